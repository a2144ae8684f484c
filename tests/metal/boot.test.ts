// The metal image boots under QEMU (TCG, no root, no NIC): the serial console carries the
// kernel's SHA-256, which equals that of build/wasm/kernel.wasm, the file the Node host and
// the wasmtime image run; a status line that `persia status --from` reads back with the
// node and its service; and with `for=` the node stops and QEMU exits 1 through
// isa-debug-exit. A disk (virtio-blk) is attached, so a node with disks boots too.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { MTL_KERNEL_LINE } from "../../abi/metal";
import { KERNEL_WASM } from "../../cli/image";
import { ROOT } from "../../hosts/node/paths";
import { MetalImage } from "../../loader/metal/image";
import { EXIT_STOPPED, metalImageOf, metalOrSkip, RunningQemu, tempDir } from "./qemu";

const skip = metalOrSkip();

const manifest = (disk: string) => `
node: { name: metal.sabz.city, role: server }
nics: []
disks:
  - { name: data, path: ${disk}, size: 1MiB }
services:
  - { domain: echo.sabz.city, module: build/wasm/services/echo.wasm, addresses: ["fd00:5ab2:1::7"], ram: { min: 64KiB, max: 1MiB } }
  - { domain: kv.sabz.city, module: build/wasm/services/kv.wasm, addresses: ["fd00:5ab2:1::8"], ram: { min: 64KiB, max: 1MiB },
      disk: [{ device: data, offset: 0, length: 1MiB, rights: [read, write] }] }
`;

describe("a metal image under QEMU", { skip }, () => {
  let dir = "", elf = "", image: MetalImage, qemu: RunningQemu;

  before(async () => {
    dir = tempDir("boot");
    elf = path.join(dir, "node.elf");
    image = await metalImageOf(manifest(path.join(dir, "data.img")), elf);
    qemu = new RunningQemu(image, elf, { append: "for=3000 status-every=500", seconds: 60 });
  });
  after(async () => {
    await qemu?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("prints the SHA-256 of the kernel.wasm every host runs", async () => {
    const line = await qemu.line(new RegExp(`^${MTL_KERNEL_LINE}[0-9a-f]{64}`), 20000);
    const want = createHash("sha256").update(fs.readFileSync(KERNEL_WASM)).digest("hex");
    assert.equal(line.slice(MTL_KERNEL_LINE.length, MTL_KERNEL_LINE.length + 64), want);
    assert.equal(image.kernelSha256, want);
  });

  it("prints status lines that `persia status --from` reads", async () => {
    const s = await qemu.freshStatus(20000);
    assert.ok(s.services.some((x) => x.name === "echo.sabz.city"), `services: ${s.services.map((x) => x.name).join(", ")}`);
    const log = path.join(dir, "serial.log");
    fs.writeFileSync(log, qemu.serial);
    const cli = spawnSync(process.execPath, [path.join(ROOT, "build/ts/cli/cli.js"), "status", "--from", log], { encoding: "utf8" });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /echo\.sabz\.city/);
    assert.match(cli.stdout, /kv\.sabz\.city/);
  });

  it("stops after for= and exits 1 through isa-debug-exit", async () => {
    assert.equal(await qemu.exited(30000), EXIT_STOPPED, qemu.serial.slice(-2000));
  });
});
