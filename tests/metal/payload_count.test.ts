// A payload whose header claims more sections than an image can have (here 19 660 796,
// a table that still fits inside its claimed 300 MiB total) is refused by node/payload.rs
// with a sentence and exit FAILED before anything is allocated for the table — not a
// failed allocation's panic. No root, no NIC.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { MTL_COUNT, MTL_TOTAL } from "../../abi/metal";
import { unwrapElf } from "../../loader/metal/elf";
import { EXIT_FAILED, metalImageOf, metalOrSkip, RunningQemu, tempDir } from "./qemu";

const skip = metalOrSkip();

describe("a payload's section count", { skip, timeout: 120000 }, () => {
  let dir = "";
  before(() => { dir = tempDir("payload-count"); });
  after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  it("over the most an image can have is refused with a sentence, not a panic", async () => {
    const elf = path.join(dir, "ok.elf");
    await metalImageOf(`node: { name: p.sabz.city, role: server }
nics: []
services:
  - { domain: echo.sabz.city, module: build/wasm/services/echo.wasm, addresses: ["fd00:1::7"], ram: { min: 64KiB, max: 1MiB } }
`, elf);
    const f = new Uint8Array(fs.readFileSync(elf));
    const at = unwrapElf(f).payload.byteOffset;
    const v = new DataView(f.buffer);
    const total = 300 << 20;
    v.setUint32(at + MTL_TOTAL, total, true);
    v.setUint32(at + MTL_COUNT, Math.floor((total - 64) / 16), true);
    const bad = path.join(dir, "bad.elf");
    fs.writeFileSync(bad, f);
    const qemu = new RunningQemu({ plan: { nics: [], disks: [] } as never }, bad, { seconds: 60 });
    assert.equal(await qemu.exited(60000), EXIT_FAILED, qemu.serial.slice(-2000));
    assert.ok(!qemu.lines.some((l) => /panic/.test(l)), qemu.serial.slice(-2000));
    assert.ok(qemu.lines.some((l) => /^persia-metal: the image's payload is malformed \(it claims 19660796 sections \(byte 12\); an image has at most \d+\); build the image again/.test(l)),
      qemu.serial.slice(-2000));
  });
});
