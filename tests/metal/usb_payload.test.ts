// The metal image's USB side without QEMU: a USB section (abi/metal.ts MTL_USB_*) reads back
// as written, with only the matchers the manifest gave; bodies the host could not hold are
// refused when the image is built; an image of a manifest with usb: has one USB section per
// device and its QEMU line adds the xHCI controller (loader/metal/image.ts XHCI_ARGS).
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { MTL_USB_PATH_MAX, MTL_USB_SERIAL, MTL_USB_SERIAL_MAX } from "../../abi/metal";
import { qemuArgs, XHCI_ARGS } from "../../loader/metal/image";
import { readUsbBody, usbBody, UsbMatch } from "../../loader/metal/payload";
import { compileManifest, parseManifest } from "../../loader/manifest";
import { ROOT } from "../../hosts/node/paths";

const m = (o: Partial<UsbMatch>): UsbMatch => ({ name: "stick", vendor: null, product: null, serial: null, path: null, ...o });

describe("the metal payload's USB sections", () => {
  it("read back with exactly the matchers given", () => {
    for (const u of [
      m({ vendor: 0x46f4, product: 1 }),
      m({ serial: "1-0000:00:04.0-1" }),
      m({ path: "1-1.2.3.4.5.6.7" }),
      m({ name: "keys-and-more12", vendor: 0x0627, product: 0x0001, serial: "Ünïcode ✓", path: "2-4" }),
    ]) {
      const b = usbBody(u);
      assert.equal(b.length, MTL_USB_SERIAL + new TextEncoder().encode(u.serial ?? "").length);
      assert.deepEqual(readUsbBody(b), u);
    }
  });

  it("refuses a body the host could not hold, or one that matches nothing", () => {
    assert.throws(() => usbBody(m({})), /no device, serial or path/);
    assert.throws(() => usbBody(m({ path: "1-" + "255.".repeat(8) })), new RegExp(`at most ${MTL_USB_PATH_MAX}`));
    assert.throws(() => usbBody(m({ serial: "✓".repeat(MTL_USB_SERIAL_MAX) })), new RegExp(`at most ${MTL_USB_SERIAL_MAX}`));
    const b = usbBody(m({ serial: "abc" }));
    assert.throws(() => readUsbBody(b.subarray(0, b.length - 1)), /serial length/);
  });

  it("come one per manifest usb: entry, and QEMU's line gets the xHCI", () => {
    const plan = compileManifest(parseManifest(`
node: { name: u.sabz.city, role: server }
nics: []
usb:
  - { name: stick, device: "46f4:0001", serial: "s-1" }
  - { name: keys, path: "1-2" }
services:
  - { domain: echo.sabz.city, module: build/wasm/services/echo.wasm, addresses: ["fd00:5ab2:1::7"], ram: { min: 64KiB, max: 1MiB },
      usb: [{ device: stick, rights: [read, write] }] }
`, "u.yaml", ROOT)).plan;
    assert.deepEqual(plan.usb.map((u) => readUsbBody(usbBody(u))), [
      { name: "stick", vendor: 0x46f4, product: 1, serial: "s-1", path: null },
      { name: "keys", vendor: null, product: null, serial: null, path: "1-2" },
    ]);
    const args = qemuArgs(plan, "node.elf").join(" ");
    assert.ok(args.includes(XHCI_ARGS.join(" ")), args);
  });
});
