// The manifest's virtio NICs (spec/manifest.md "virtio NICs"): found by `virtio: { pci: n }`
// or by `mac`, each place and MAC once, reported at their line and field; the kernel gets
// an Ethernet NIC (TAP in the boot manifest). And what each host refuses by name: metal
// every NIC that is not virtio (WireGuard for want of a UDP underlay), the Node host and
// the wasmtime image a virtio NIC ("a virtio NIC needs --target metal").
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import { NicKind } from "../../abi/kernel";
import { MTL_NIC_MTU_MAX } from "../../abi/metal";
import { compileManifest, decodeBootManifest, HostPlan, parseManifest } from "../../loader/manifest";
import { checkMetal, composeMetal } from "../../loader/metal/image";
import { composeImage } from "../../loader/image/compose";
import { launch } from "../../hosts/node/launch";
import { ROOT } from "../../hosts/node/paths";
import { KERNEL_WASM, SHIM_WASM } from "../../cli/image";
import { errorsOf, one } from "../loader/refused";
import { fakePrecompile, flatBootImage } from "./fixture";

const yaml = (...nics: string[]) => `node: { name: metal.sabz.city, role: server }
nics:
${nics.map((n) => `  - ${n}`).join("\n")}
services:
  - { domain: echo.sabz.city, module: build/wasm/services/echo.wasm, addresses: ["fd00:5ab2:1::7"], ram: { min: 64KiB, max: 1MiB } }
`;
const PCI0 = `{ name: lan0, kind: virtio, virtio: { pci: 0 }, prefixes: ["fd00:5ab2:1::/64"] }`;
const MAC1 = `{ name: lan1, kind: virtio, mac: "02:00:00:00:00:11" }`;

describe("virtio NICs in the manifest", () => {
  it("are found by PCI place or by MAC, and reach the kernel as Ethernet NICs of kind VIRTIO", () => {
    const { boot, plan } = compileManifest(parseManifest(yaml(PCI0, MAC1), "node.yaml", ROOT));
    assert.deepEqual(plan.nics.map((n) => [n.name, n.kind, n.virtio]), [["lan0", "virtio", { pci: 0 }], ["lan1", "virtio", { pci: null }]]);
    assert.equal(plan.nics[1].mac, "02:00:00:00:00:11");
    assert.deepEqual(decodeBootManifest(boot).nics.map((n) => n.kind), [NicKind.VIRTIO, NicKind.VIRTIO]);
  });

  it("need a PCI place or a MAC", () => {
    one(yaml("{ name: lan0, kind: virtio }"), 3, "nics[0]",
      'a virtio NIC is found at boot by its place in PCI order or by its MAC; give virtio: { pci: 0 } (the first virtio-net device) or the device\'s mac, e.g. mac: "02:00:5a:b2:00:01"');
  });

  it("take each PCI place and each matched MAC once", () => {
    one(yaml(PCI0, "{ name: lan1, kind: virtio, virtio: { pci: 0 } }"), 4, "nics[1].virtio.pci",
      "is already the PCI place of nics[0]; each virtio-net device carries one NIC");
    one(yaml(MAC1, `{ name: lan2, kind: virtio, mac: "02:00:00:00:00:11" }`), 4, "nics[1].mac", /is already the MAC of nics\[0\], which is matched by it/);
    // A MAC shared with a NIC found by its PCI place matches nothing twice.
    assert.doesNotThrow(() => parseManifest(yaml(MAC1, `{ name: lan2, kind: virtio, virtio: { pci: 1 }, mac: "02:00:00:00:00:11" }`), "node.yaml", ROOT));
  });

  it("refuse virtio settings on another kind, and a PCI place out of range", () => {
    one(yaml(`{ name: lan0, kind: tap, tap: { device: pt0 }, virtio: { pci: 0 } }`), 3, "nics[0].virtio",
      "is only allowed when kind is virtio, and this NIC's kind is tap");
    one(yaml(`{ name: lan0, kind: virtio, virtio: { pci: 256 } }`), 3, "nics[0].virtio.pci", "256 is not allowed; pci is a whole number from 0 to 255");
    const errs = errorsOf(yaml(`{ name: lan0, kind: virtio, virtio: { pci: 0, slot: 3 } }`));
    assert.match(errs[0].message, /the keys allowed here are pci/);
  });
});

describe("what a host refuses by name", () => {
  const plan = (kind: string) => ({ nics: [{ name: "x0", kind }] }) as unknown as HostPlan;

  it("metal: every NIC that is not virtio, WireGuard for want of a UDP underlay", () => {
    const refusal = (kind: string) => { try { checkMetal(plan(kind)); } catch (e) { return (e as Error).message; } return "accepted"; };
    assert.match(refusal("wireguard"), /^NIC x0: kind "wireguard" cannot run on metal: WireGuard needs a UDP underlay .* the metal host has none yet.*Give the NIC `kind: virtio`/);
    assert.match(refusal("vxlan"), /kind "vxlan" cannot run on metal: VXLAN is Ethernet carried in the host's UDP datagrams/);
    assert.match(refusal("tap"), /kind "tap" cannot run on metal: a TAP device is a Linux interface/);
    assert.match(refusal("virtual"), /kind "virtual" cannot run on metal: a virtual NIC is an in-process link of the Node host/);
    assert.equal(refusal("virtio"), "accepted");
  });

  it("metal: a virtio NIC's MTU over the driver's MTL_NIC_MTU_MAX (its buffers hold one 1514-byte frame)", () => {
    const mtu = (n: number) => compileManifest(parseManifest(yaml(`{ name: lan0, kind: virtio, virtio: { pci: 0 }, mtu: ${n} }`), "node.yaml", ROOT)).plan;
    assert.throws(() => checkMetal(mtu(9000)),
      /^LoaderError: NIC lan0: mtu 9000 cannot run on metal: its virtio-net driver gives each receive buffer one frame of at most 1500 bytes .*Give the NIC `mtu: 1500` or less/);
    assert.throws(() => checkMetal(mtu(MTL_NIC_MTU_MAX + 1)), /mtu 1501 cannot run on metal/);
    assert.doesNotThrow(() => checkMetal(mtu(MTL_NIC_MTU_MAX)));
  });

  it("metal: two NICs with one MAC (each NIC's MAC is its device's)", () => {
    const { plan } = compileManifest(parseManifest(yaml(MAC1, `{ name: lan2, kind: virtio, virtio: { pci: 1 }, mac: "02:00:00:00:00:11" }`), "node.yaml", ROOT));
    assert.throws(() => checkMetal(plan), /^LoaderError: NIC lan1: it has the MAC 02:00:00:00:00:11 of NIC lan2: on metal a NIC's MAC is its virtio-net device's.*Give each NIC its own `mac`/);
  });

  it("metal: when the image is built, before anything is compiled", async () => {
    const m = parseManifest(yaml(`{ name: vx0, kind: vxlan, vxlan: { local: "[::1]:4789", remote: "[::1]:4790", vni: 1 } }`), "node.yaml", ROOT);
    let compiled = 0;
    await assert.rejects(composeMetal(m, { kernel: new Uint8Array(8), boot: flatBootImage(), precompile: (w, l) => (compiled++, fakePrecompile(w, l)) }),
      /NIC vx0: kind "vxlan" cannot run on metal/);
    assert.equal(compiled, 0);
  });

  it("the Node host: a virtio NIC needs --target metal", { skip: fs.existsSync(KERNEL_WASM) ? false : "build/wasm is not built" }, async () => {
    await assert.rejects(launch(parseManifest(yaml(PCI0), "node.yaml", ROOT)),
      /^Error: NIC lan0: a virtio NIC needs --target metal: it is a virtio-net PCI device, which only the metal host drives/);
  });

  it("the wasmtime image: a virtio NIC needs --target metal", { skip: fs.existsSync(SHIM_WASM) ? false : "build/wasm is not built" }, async () => {
    await assert.rejects(composeImage(parseManifest(yaml(MAC1), "node.yaml", ROOT), { kernel: fs.readFileSync(KERNEL_WASM), shim: fs.readFileSync(SHIM_WASM) }),
      /NIC lan1: a virtio NIC needs --target metal: .* Build it with `persia image node.yaml --target metal -o node.elf`/);
  });
});
