// loader/metal/image.ts with a stand-in precompiler (fixture.ts): the payload holds the
// boot manifest, the name, a NIC section per NIC (PCI place or MAC), a DISK section per
// disk in PCI order, the kernel, one MODULE_CODE per distinct module and one SLOT per
// service id in the Node host's order (services, then store slots); a module the loader
// refuses fails the image with the loader's message; the QEMU command line puts each NIC's
// virtio-net device at its PCI place, with its MAC and a TAP, and a virtio-blk per disk.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { createHash } from "crypto";
import * as fs from "fs";
import { MTL_NO_MAX, MtlSection, MtlSlotFlag } from "../../abi/metal";
import { compileManifest, parseManifest } from "../../loader/manifest";
import { composeMetal, qemuArgs } from "../../loader/metal/image";
import { unwrapElf } from "../../loader/metal/elf";
import { decodePayload, readDiskBody, readNicBody, readSlotBody } from "../../loader/metal/payload";
import { ROOT } from "../../hosts/node/paths";
import { fakePrecompile, flatBootImage } from "./fixture";

const ECHO = `${ROOT}/build/wasm/services/echo.wasm`, KV = `${ROOT}/build/wasm/services/kv.wasm`;
const built = fs.existsSync(ECHO) && fs.existsSync(KV) ? false : "build/wasm is not built (npm run build)";
const YAML = `node: { name: metal.sabz.city, role: router }
nics:
  - { name: lan0, kind: virtio, virtio: { pci: 1 }, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"] }
  - { name: lan1, kind: virtio, mac: "02:00:00:00:00:02", prefixes: ["fd00:5ab2:2::/64"] }
disks:
  - { name: a, path: /tmp/a.img, size: 1MiB }
  - { name: b, path: "/tmp/b,c.img", size: 2MiB }
services:
  - { domain: echo.sabz.city, module: ${ECHO}, addresses: ["fd00:5ab2:1::7"], ram: { min: 64KiB, max: 1MiB } }
  - { domain: kv.sabz.city, module: ${KV}, addresses: ["fd00:5ab2:1::8"], ram: { min: 64KiB, max: 2MiB } }
  - { domain: echo2.sabz.city, module: ${ECHO}, addresses: ["fd00:5ab2:1::9"], ram: { min: 64KiB, max: 512KiB } }
store:
  - { module: ${ECHO}, ram: 4MiB, slots: 2 }
`;
const KERNEL = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
const hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("composeMetal", { skip: built }, () => {
  it("lays out the payload: boot manifest, name, NICs, disks, kernel, slots in the Node host's order, one code per module", async () => {
    const m = parseManifest(YAML, "node.yaml", ROOT);
    const image = await composeMetal(m, { kernel: KERNEL, boot: flatBootImage(), precompile: fakePrecompile });
    const p = decodePayload(unwrapElf(image.bytes).payload);
    assert.equal(Buffer.from(p.kernelSha256).toString("hex"), hex(KERNEL));
    const of = (k: MtlSection) => p.sections.filter((s) => s.kind === k);
    assert.deepEqual(of(MtlSection.BOOT)[0].bytes, compileManifest(m).boot);
    assert.equal(new TextDecoder().decode(of(MtlSection.NAME)[0].bytes), "metal.sabz.city");
    assert.deepEqual(of(MtlSection.NIC).map((s) => [s.id, readNicBody(s.bytes)]), [[0, { pci: 1, mac: Uint8Array.from([2, 0, 0, 0, 0, 1]) }], [1, { pci: null, mac: Uint8Array.from([2, 0, 0, 0, 0, 2]) }]]);
    assert.deepEqual(of(MtlSection.SLOT_NAME).map((s) => [s.id, new TextDecoder().decode(s.bytes)]),
      [[0, "echo.sabz.city"], [1, "kv.sabz.city"], [2, "echo2.sabz.city"]], "the manifest services' domains, for the host's lines; store slots get theirs by LOAD");
    assert.deepEqual(of(MtlSection.DISK).map((s) => [s.id, readDiskBody(s.bytes)]), [[0, { pci: 0, size: 1n << 20n }], [1, { pci: 1, size: 2n << 20n }]]);
    assert.equal(new TextDecoder().decode(of(MtlSection.KERNEL)[0].bytes), `precompiled:kernel.wasm:${hex(KERNEL)}`);
    const echo = hex(fs.readFileSync(ECHO)), kv = hex(fs.readFileSync(KV));
    const slots = of(MtlSection.SLOT).map((s) => ({ id: s.id, ...readSlotBody(s.bytes) }));
    assert.deepEqual(slots.map((s) => [s.id, s.flags, s.module, s.ramMaxPages, Buffer.from(s.sha256).toString("hex")]), [
      [0, MtlSlotFlag.BOOT, 0, 16, echo], [1, MtlSlotFlag.BOOT, 1, 32, kv], [2, MtlSlotFlag.BOOT, 0, 8, echo],
      [3, MtlSlotFlag.STORE, 0, 64, echo], [4, MtlSlotFlag.STORE, 0, 64, echo],
    ]);
    for (const s of slots) assert.ok(s.memMinPages >= 1 && (s.declaredMaxPages === MTL_NO_MAX || s.declaredMaxPages >= s.memMinPages));
    const code = of(MtlSection.MODULE_CODE);
    assert.deepEqual(code.map((s) => s.id), [0, 1]);
    assert.match(new TextDecoder().decode(code[0].bytes), /^precompiled:echo\.sabz\.city:[0-9a-f]{64}$/);
    assert.notEqual(new TextDecoder().decode(code[0].bytes).slice(-64), echo, "the code is compiled from the metered module, not the file");
    assert.equal(of(MtlSection.MODULE_FILE).length, 0, "module files only with domains:");
    assert.deepEqual(image.slots.map((s) => s.id), [0, 1, 2, 3, 4]);
  });

  it("fails with the loader's message for a module the loader refuses", async () => {
    const m = parseManifest(YAML, "node.yaml", ROOT);
    const readModule = (f: string) => (f === KV ? new Uint8Array([1, 2, 3]) : fs.readFileSync(f));
    await assert.rejects(composeMetal(m, { kernel: KERNEL, boot: flatBootImage(), precompile: fakePrecompile, readModule }), /^LoaderError: service kv\.sabz\.city: /);
  });

  it("puts each NIC's device at its PCI place, with its MAC and TAP, and a virtio-blk per disk", () => {
    const { plan } = compileManifest(parseManifest(YAML, "node.yaml", ROOT));
    const args = qemuArgs(plan, "node.elf", { taps: { lan1: "tp1" }, append: "for=1000" });
    const devices = args.filter((_, i) => args[i - 1] === "-device" || args[i - 1] === "-netdev" || args[i - 1] === "-drive");
    assert.deepEqual(devices, [
      "isa-debug-exit,iobase=0xf4,iosize=0x04",
      "virtio-net-pci",
      "tap,id=n1,ifname=lan0,script=no,downscript=no,vhost=off", "virtio-net-pci,netdev=n1,mac=02:00:00:00:00:01",
      "tap,id=n2,ifname=tp1,script=no,downscript=no,vhost=off", "virtio-net-pci,netdev=n2,mac=02:00:00:00:00:02",
      "file=/tmp/a.img,format=raw,if=none,id=d0", "virtio-blk-pci,drive=d0",
      "file=/tmp/b,,c.img,format=raw,if=none,id=d1", "virtio-blk-pci,drive=d1",
    ]);
    assert.deepEqual(args.slice(args.indexOf("-kernel"), args.indexOf("-kernel") + 4), ["-kernel", "node.elf", "-append", "for=1000"]);
    for (const a of ["-accel", "tcg", "-cpu", "max", "-m", "512M", "-serial", "stdio", "-nic", "none"]) assert.ok(args.includes(a), a);
  });
});
