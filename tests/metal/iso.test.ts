// `persia image --target metal -o node.iso`: a GRUB ISO whose grub.cfg boots the image with
// `multiboot /boot/node.elf` and the --cmdline options; QEMU boots it from -cdrom (no root,
// no NIC): the node prints its kernel line and, with for=, stops and exits 1.
// Needs grub-pc-bin and xorriso (tests/setup.js), and what qemu.ts needs.
import { describe, it, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { MTL_KERNEL_LINE } from "../../abi/metal";
import { ROOT } from "../../hosts/node/paths";
import { compileManifest, parseManifest } from "../../loader/manifest";
import { EXIT_STOPPED, metalOrSkip, RunningQemu, tempDir } from "./qemu";

const grub = fs.existsSync("/usr/lib/grub/i386-pc/multiboot.mod") && spawnSync("sh", ["-c", "command -v grub-mkrescue && command -v xorriso"]).status === 0;
const noGrub = grub ? false : "grub-pc-bin or xorriso is missing (node tests/setup.js installs them)";
if (noGrub && process.env.CI === "true") throw new Error(`the ISO test cannot run under CI: ${noGrub}`);
const skip = noGrub || metalOrSkip();

const YAML = `
node: { name: iso.sabz.city, role: server }
nics: []
services:
  - { domain: echo.sabz.city, module: ${ROOT}/build/wasm/services/echo.wasm, addresses: ["fd00:5ab2:1::7"], ram: { min: 64KiB, max: 1MiB } }
`;

describe("a metal ISO booted by GRUB", { skip, timeout: 120000 }, () => {
  const dir = skip ? "" : tempDir("iso");
  let qemu: RunningQemu | null = null;
  after(async () => {
    await qemu?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("is written by persia image, which prints the GRUB line, and boots from -cdrom", async () => {
    const yaml = path.join(dir, "iso.yaml"), iso = path.join(dir, "node.iso");
    fs.writeFileSync(yaml, YAML);
    const r = spawnSync(process.execPath, [path.join(ROOT, "build/ts/cli/cli.js"), "image", yaml, "--target", "metal", "-o", iso,
      "--cmdline", "for=2000 status-every=500"], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^GRUB: multiboot \/boot\/node\.elf \/boot\/node\.elf for=2000 status-every=500$/m);
    assert.match(r.stdout, new RegExp(`-cdrom ${iso.replace(/[.]/g, "\\.")}`));
    const plan = compileManifest(parseManifest(YAML, "iso.yaml", ROOT)).plan;
    qemu = new RunningQemu({ plan }, iso, { cdrom: true, seconds: 90 });
    await qemu.line(new RegExp(`^${MTL_KERNEL_LINE}[0-9a-f]{64}`), 60000);
    assert.equal(await qemu.exited(60000), EXIT_STOPPED, qemu.serial.slice(-2000));
  });
});
