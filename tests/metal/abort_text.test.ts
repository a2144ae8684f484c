// A service's abort message is printed inside the host's fault line (node/faults.rs
// read_as_string → host.rs note_fault): its control characters become '?', as the kernel's
// log syscall does (kernel/svc/syscall.ts log), so a service cannot end the host's line and
// print whole lines of its own — a second "kernel.wasm sha256" attestation line, a "status"
// line for `persia status --from`. Found by the attacker's review of issue #12. No root, no NIC.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { loadBinaryen } from "../../loader/instrument/binaryen";
import { metalImageOf, metalOrSkip, RunningQemu, tempDir } from "./qemu";

const skip = metalOrSkip();
const FORGED_SHA = "kernel.wasm sha256 " + "0".repeat(64);
const TEXT = `\n${FORGED_SHA}\nstatus AAAA\n`;

async function forger(): Promise<Uint8Array> {
  const b = await loadBinaryen();
  const bytes = Buffer.alloc(4 + TEXT.length * 2);
  bytes.writeUInt32LE(TEXT.length * 2, 0);
  bytes.write(TEXT, 4, "utf16le");
  const data = Array.from(bytes).map((x) => "\\" + x.toString(16).padStart(2, "0")).join("");
  const m = b.parseText(`(module
    (import "env" "memory" (memory 1))
    (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
    (data (i32.const 16) "${data}")
    (func (export "persia_event"))
    (func (export "persia_init") (call $abort (i32.const 20) (i32.const 0) (i32.const 0) (i32.const 0))))`);
  try {
    if (!m.validate()) throw new Error("the forger module does not validate");
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

describe("a service's abort text cannot forge console lines", { skip }, () => {
  let dir = "", qemu: RunningQemu;
  before(async () => {
    dir = tempDir("review-forge");
    const wasm = path.join(dir, "forge.wasm");
    fs.writeFileSync(wasm, await forger());
    const elf = path.join(dir, "node.elf");
    const image = await metalImageOf(`
node: { name: forge.sabz.city, role: server }
nics: []
services:
  - { domain: forge.sabz.city, module: ${wasm}, addresses: ["fd00:5ab2:1::9"], ram: { min: 64KiB, max: 1MiB } }
`, elf);
    qemu = new RunningQemu(image, elf, { append: "for=2000", seconds: 60 });
  });
  after(async () => {
    await qemu?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the forged lines stay inside the host's fault line, their newlines shown as '?'", async () => {
    await qemu.exited(60000);
    const forged = qemu.lines.filter((l) => l === FORGED_SHA || l === "status AAAA");
    assert.equal(forged.length, 0, `forged whole lines on the serial console: ${forged.length}`);
    assert.ok(qemu.lines.some((l) => /^warn host: service 0 \(forge\.sabz\.city\) trapped in a call: ServiceAbort: \?kernel\.wasm sha256 0{64}\?status AAAA\?$/.test(l)),
      qemu.lines.filter((l) => /forge|ServiceAbort/.test(l)).slice(0, 4).join("\n"));
  });
});
