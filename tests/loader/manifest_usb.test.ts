// USB devices in the manifest (issue #16, loader/manifest/usb.ts): the top-level usb: list
// and services' usb: grants compile to USB and CAP_USB records (literal bytes below) and to
// HostPlan.usb, which tells the host how to find each device; every malformed matcher,
// a device with no matcher, two devices one plug could both fit, a grant of a device that
// does not exist or that another service already holds are refused at their line; a
// LOAD may not carry a usb grant, and a wasmtime image refuses usb: with what to use.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as M from "../../abi/manifest";
import { RIGHT_DERIVE, RIGHT_READ, RIGHT_WRITE } from "../../abi/caps";
import { USB_MAX } from "../../abi/limits";
import { parseManifest, compileManifest, decodeBootManifest, ManifestError } from "../../loader/manifest";
import { composeImage } from "../../loader/image/compose";
import { loadRequest } from "../../loader/control/request";
import { LoaderError } from "../../loader/errors";
import { bootRefusal, errorsOf } from "./refused";

const doc = (usb: string, grants: string[] = ["[]"]) => `node: { name: usb.sabz.city, role: server }
nics: []
usb:
${usb}
services:
${grants.map((g, i) => `  - { domain: s${i}.sabz.city, module: x.wasm, addresses: ["fd00::${i + 1}"], ram: { min: 64KiB, max: 1MiB }, usb: ${g} }`).join("\n")}
`;

const DEVICES = `  - name: stick
    device: "46f4:0001"
    serial: "1-0000:00:04.0-1"
  - { name: kbd, path: "1-2.3" }
  - { name: tablet, device: "0627:0001" }`;

/** The record bodies of one type in boot bytes, in order, walking the framing by hand. */
function bodies(boot: Uint8Array, type: M.Rec): number[][] {
  const v = new DataView(boot.buffer, boot.byteOffset, boot.byteLength);
  const out: number[][] = [];
  for (let at = M.MF_HEADER; at < boot.length; at += M.MF_REC_HEADER + v.getUint16(at + 2, true)) {
    if (boot[at] === type) out.push([...boot.subarray(at + M.MF_REC_HEADER, at + M.MF_REC_HEADER + v.getUint16(at + 2, true))]);
  }
  return out;
}

test("usb: devices become USB records (id only) and grants CAP_USB records: service, device, rights with derive", () => {
  const { boot, plan } = compileManifest(parseManifest(doc(DEVICES, ["[{ device: tablet, rights: [read] }]",
    "[{ device: stick, rights: [write, read] }, { device: kbd, rights: [read] }]"]), "node.yaml", "/srv"));
  assert.deepEqual(bodies(boot, M.Rec.USB), [[0, 0, 0, 0], [1, 0, 0, 0], [2, 0, 0, 0]]);
  assert.deepEqual(bodies(boot, M.Rec.CAP_USB), [
    [0, 0, 2, RIGHT_READ | RIGHT_DERIVE], [1, 0, 0, RIGHT_READ | RIGHT_WRITE | RIGHT_DERIVE], [1, 0, 1, RIGHT_READ | RIGHT_DERIVE]]);   // service u16
  const d = decodeBootManifest(boot);
  assert.deepEqual(d.usbs, [{ id: 0 }, { id: 1 }, { id: 2 }]);
  assert.deepEqual(d.capUsbs.map((c) => [c.svc, c.usb]), [[0, 2], [1, 0], [1, 1]]);
  assert.deepEqual(plan.usb, [
    { id: 0, name: "stick", vendor: 0x46f4, product: 0x0001, serial: "1-0000:00:04.0-1", path: null },
    { id: 1, name: "kbd", vendor: null, product: null, serial: null, path: "1-2.3" },
    { id: 2, name: "tablet", vendor: 0x0627, product: 0x0001, serial: null, path: null },
  ]);
});

test("USB records come after the DISKs and CAP_USBs after the CAP_DISKs, so references point back; decode then encode is the same", () => {
  const { boot } = compileManifest(parseManifest(doc(DEVICES, ["[{ device: stick, rights: [read] }]"]), "node.yaml", "/srv"));
  const types: number[] = [];
  const v = new DataView(boot.buffer, boot.byteOffset);
  for (let at = M.MF_HEADER; at < boot.length; at += M.MF_REC_HEADER + v.getUint16(at + 2, true)) types.push(boot[at]);
  assert.ok(types.indexOf(M.Rec.CAP_USB) > types.indexOf(M.Rec.SERVICE));
  assert.ok(types.lastIndexOf(M.Rec.USB) < types.indexOf(M.Rec.SERVICE));
});

test("a USB record with a non-zero reserved byte or the wrong length is refused, naming the byte", () => {
  const header = [0x50, 0x52, 0x53, 0x41, 2, 0, 2, 0, M.Rec.NODE, 0, 3, 0, 0, 1, 0x61];
  assert.match(bootRefusal([...header, M.Rec.USB, 0, 4, 0, 0, 0, 1, 0]), /^at byte 21: record 1 \(USB\) has a non-zero reserved byte$/);
  assert.match(bootRefusal([...header, M.Rec.USB, 0, 3, 0, 0, 0, 0]), /record 1 \(USB\) is 3 bytes, not 4/);
  assert.match(bootRefusal([...header, M.Rec.CAP_USB, 0, 5, 0, 0, 0, 0, RIGHT_READ, 7]), /record 1 \(CAP_USB\) is 5 bytes, not 4/);
});

test("each malformed matcher is refused at its line with what to write", () => {
  const errors = errorsOf(doc(`  - { name: a, device: "46f4-0001" }
  - { name: b, device: 12345678 }
  - { name: c, serial: 12345 }
  - { name: d, serial: "" }
  - { name: e, path: "0-1" }
  - { name: f, path: "1-1.256" }
  - { name: g, path: "1-01" }
  - { name: h, path: "1-1.1.1.1.1.1.1.1" }`));
  assert.deepEqual(errors.map((e) => [e.line, e.path]), [
    [4, "usb[0].device"], [5, "usb[1].device"], [6, "usb[2].serial"], [7, "usb[3].serial"],
    [8, "usb[4].path"], [9, "usb[5].path"], [10, "usb[6].path"], [11, "usb[7].path"]]);
  assert.match(errors[0].message, /^"46f4-0001" is not a vendor:product pair; write the vendor and product ids as lsusb prints them, 4 hex digits each/);
  assert.match(errors[1].message, /is not a vendor:product pair.*\(in quotes\)$/);
  assert.match(errors[2].message, /^12345 is not text; .*a number loses its leading zeros/);
  assert.match(errors[3].message, /is 0 characters; a USB string descriptor holds 1 to 126/);
  assert.match(errors[4].message, /^"0-1" is not a bus-port path; write the bus, a dash and the ports joined by dots/);
  assert.match(errors[7].message, /goes through 8 ports; USB allows at most 7/);
});

test("a serial outside printable ASCII is refused with the character and what to do", () => {
  const errors = errorsOf(doc(`  - { name: a, serial: "caf\u00e9-1" }
  - { name: b, serial: "a\\tb" }
  - { name: c, serial: "x\u007f" }
  - { name: d, serial: " ~ok~ " }`));
  assert.deepEqual(errors.map((e) => [e.line, e.path]), [[4, "usb[0].serial"], [5, "usb[1].serial"], [6, "usb[2].serial"]]);
  assert.match(errors[0].message, /has the character U\+00e9 at 3: a serial is printable ASCII only \(0x20\.\.0x7e; .*match this device by device or path instead/);
  assert.match(errors[1].message, /has the character U\+0009 at 1/);
  assert.match(errors[2].message, /has the character U\+007f at 1/);
});

test("a device with no matcher, a name or path twice, and two devices with the same matchers are refused", () => {
  const errors = errorsOf(doc(`  - { name: a }
  - { name: b, path: "1-1" }
  - { name: b, path: "1-1", serial: "X" }
  - { name: c, device: "46f4:0001", serial: "S1" }
  - { name: d, serial: "S1", device: "46F4:0001" }
  - { name: e, device: "46f4:0001", serial: "S2" }`));
  assert.deepEqual(errors.map((e) => [e.line, e.path]), [
    [4, "usb[0]"], [6, "usb[2].name"], [6, "usb[2].path"], [8, "usb[4]"]]);
  assert.match(errors[0].message, /^says nothing to find the device by; give at least one of device/);
  assert.equal(errors[1].message, "is already the name of usb[1]; USB device names must be unique");
  assert.equal(errors[2].message, "is already the path of usb[1]; one port holds one device");
  assert.match(errors[3].message, /^matches exactly what usb\[3\] matches, so one device would fit both/);
});

test("a grant of a missing device, a device granted twice, bad rights and too many devices are refused", () => {
  const errors = errorsOf(doc(DEVICES, ["[{ device: stick, rights: [read] }, { device: mouse, rights: [read] }]",
    "[{ device: stick, rights: [read, read] }]", "[{ device: kbd, rights: [] }, { device: tablet, rights: [in] }, { device: kbd }]"]));
  assert.deepEqual(errors.map((e) => [e.line, e.path]), [
    [10, "services[0].usb[1].device"], [11, "services[1].usb[0].device"], [11, "services[1].usb[0].rights"],
    [12, "services[2].usb[0].rights"], [12, "services[2].usb[1].rights"], [12, "services[2].usb[2].device"], [12, "services[2].usb[2].rights"]]);
  assert.equal(errors[0].message, `"mouse" is not the name of a USB device; the USB devices are stick, kbd, tablet`);
  assert.equal(errors[1].message, "is already granted to services[0] (s0.sabz.city); a USB device is granted whole to one service, once");
  assert.match(errors[2].message, /^lists "read" twice/);
  assert.match(errors[4].message, /^"in" is not a USB right; write one of read, write$/);
  assert.match(errors[5].message, /is already granted to services\[2\]/);
  const many = Array.from({ length: USB_MAX + 1 }, (_, i) => `  - { name: u${i}, path: "1-${i + 1}" }`).join("\n");
  assert.match(errorsOf(doc(many))[0].message, new RegExp(`has too many USB devices; at most ${USB_MAX}`));
});

test("a LOAD may not carry a usb grant: devices are granted at boot only", () => {
  const node = parseManifest(doc(DEVICES), "node.yaml", "/srv");
  assert.throws(() => loadRequest(`{ domain: late.sabz.city, module: x.wasm, addresses: ["fd00::9"], ram: { min: 64KiB, max: 1MiB }, ` +
    `usb: [{ device: stick, rights: [read] }] }`, "load.yaml", "/srv", node), (e: unknown) => {
    assert.ok(e instanceof ManifestError);
    assert.deepEqual(e.errors.map((i) => i.path), ["usb"]);
    assert.match(e.errors[0].message, /^a USB device is granted only at boot/);
    return true;
  });
});

test("a wasmtime image refuses usb: before reading any module, and says which hosts have USB", async () => {
  const m = parseManifest(doc(DEVICES, ["[{ device: stick, rights: [read] }]"]).replace("nics: []",
    `nics: [{ name: vx0, kind: vxlan, vxlan: { local: "[::1]:47890", remote: "[::1]:47891", vni: 7 } }]`), "node.yaml", "/srv");
  await assert.rejects(composeImage(m, { kernel: new Uint8Array(0), shim: new Uint8Array(0), readModule: () => assert.fail("read a module") }),
    (e: unknown) => {
      assert.ok(e instanceof LoaderError);
      assert.equal(e.what, "USB devices stick, kbd, tablet");
      assert.match(e.message, /USB devices need the Node host or --target metal: the wasmtime image has no device access/);
      assert.match(e.fix, /persia image node\.yaml --target metal/);
      return true;
    });
  const plain = parseManifest(doc("  []").replace("usb:\n  []\n", ""), "node.yaml", "/srv");
  assert.deepEqual(compileManifest(plain).plan.usb, []);
  assert.deepEqual(decodeBootManifest(compileManifest(plain).boot).usbs, []);
});
