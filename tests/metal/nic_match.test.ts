// Which virtio-net device carries a manifest NIC is decided at boot (node/devices.rs), and
// what would make the kernel send from a MAC its port does not own, or hand one device to
// two NICs, is refused with a sentence and exit FAILED: a device at a NIC's PCI place with
// another MAC than the manifest's (the NIC section always carries the MAC now), one MAC on
// two devices, two NICs on one device (a payload patched past the image builder, which
// refuses two NICs with one MAC). QEMU's devices here have no backend: no root needed.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { MTL_NIC_MAC, MtlSection } from "../../abi/metal";
import { unwrapElf } from "../../loader/metal/elf";
import { decodePayload } from "../../loader/metal/payload";
import { EXIT_FAILED, metalImageOf, metalOrSkip, QEMU, tempDir } from "./qemu";

const skip = metalOrSkip();
const A = "02:00:5a:b2:0c:01", B = "02:00:5a:b2:0c:02";
const ECHO = `  - { domain: echo.sabz.city, module: build/wasm/services/echo.wasm, addresses: ["fd00:c::7"], ram: { min: 64KiB, max: 1MiB } }`;
const manifest = (...nics: string[]) => `node: { name: n.sabz.city, role: server }\nnics:\n${nics.map((n) => `  - ${n}`).join("\n")}\nservices:\n${ECHO}\n`;

/** Boots `elf` with a virtio-net device (no backend) per MAC, in PCI order. */
function boot(elf: string, macs: string[]): { status: number | null; out: string } {
  const r = spawnSync("timeout", ["--kill-after=2", "60", QEMU, "-accel", "tcg", "-cpu", "max", "-m", "512M", "-display", "none",
    "-serial", "stdio", "-monitor", "none", "-no-reboot", "-nic", "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
    "-kernel", elf, "-append", "for=1", ...macs.flatMap((m) => ["-device", `virtio-net-pci,mac=${m}`])], { encoding: "utf8" });
  return { status: r.status, out: r.stdout.replace(/\r/g, "") };
}

describe("matching manifest NICs to virtio-net devices at boot", { skip, timeout: 240000 }, () => {
  let dir = "";
  before(() => { dir = tempDir("nic-match"); });
  after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  it("refuses a device at the NIC's PCI place whose MAC is not the manifest's", async () => {
    const elf = path.join(dir, "pci.elf");
    await metalImageOf(manifest(`{ name: lan0, kind: virtio, virtio: { pci: 0 }, mac: "${A}", prefixes: ["fd00:c::/64"] }`), elf);
    const r = boot(elf, [B]);
    assert.equal(r.status, EXIT_FAILED, r.out);
    assert.match(r.out, new RegExp(`^persia-metal: NIC 0: the virtio-net device at PCI place 0 has MAC ${B}, the manifest gives the NIC ${A}: the kernel would send from an address its port does not own; give the NIC mac: "${B}" or the device mac=${A}$`, "m"));
    const ok = boot(elf, [A]);
    assert.match(ok.out, /is running on metal: 1 NIC/, ok.out);
  });

  it("refuses a MAC that two devices have", async () => {
    const elf = path.join(dir, "mac.elf");
    await metalImageOf(manifest(`{ name: lan0, kind: virtio, mac: "${A}", prefixes: ["fd00:c::/64"] }`), elf);
    const r = boot(elf, [B, A, A]);
    assert.equal(r.status, EXIT_FAILED, r.out);
    assert.match(r.out, new RegExp(`^persia-metal: NIC 0: MAC ${A} is on more than one virtio-net device \\(PCI places 1 and 2\\); give each device its own MAC$`, "m"));
  });

  it("refuses two NICs on one device", async () => {
    const elf = path.join(dir, "two.elf");
    await metalImageOf(manifest(`{ name: lan0, kind: virtio, virtio: { pci: 0 }, mac: "${A}", prefixes: ["fd00:c::/64"] }`,
      `{ name: lan1, kind: virtio, mac: "${B}", prefixes: ["fd00:d::/64"] }`), elf);
    // The image builder refuses two NICs with one MAC: give NIC 1 NIC 0's MAC in the payload.
    const f = new Uint8Array(fs.readFileSync(elf));
    const payload = unwrapElf(f).payload;
    const nic1 = decodePayload(payload).sections.find((s) => s.kind === MtlSection.NIC && s.id === 1)!;
    nic1.bytes.set(A.split(":").map((h) => parseInt(h, 16)), MTL_NIC_MAC);
    fs.writeFileSync(elf, f);
    const r = boot(elf, [A]);
    assert.equal(r.status, EXIT_FAILED, r.out);
    assert.match(r.out, /^persia-metal: NIC 1 and NIC 0 are both on the virtio-net device at PCI place 0; give each NIC a device of its own$/m);
  });
});
