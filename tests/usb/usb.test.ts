// hosts/node/usb.ts on this machine, without a guest (it has no USB bus; tests/usb/
// guest.test.ts drives real devices): libusb's transfer statuses map to the contract's
// errnos; interfacesOf walks a configuration by bLength and stops at a length that lies;
// libusb binds and two UsbHosts can live in one process one after the other (a node
// started again); with no device present usb_submit answers ENODEV, and a manifest device
// that is not plugged in leaves a node running.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import { Errno } from "../../abi/errno";
import { LogLevel } from "../../abi/kernel";
import { UsbType } from "../../abi/usb";
import { interfacesOf, UsbHost, UsbSink, xferStatus } from "../../hosts/node/usb";
import { LIBUSB_SO } from "../../hosts/node/libusb";

const LIBUSB = `/lib/x86_64-linux-gnu/${LIBUSB_SO}`;
function noLibusb(): string | false {
  if (fs.existsSync(LIBUSB) || process.arch !== "x64") return false;
  if (process.env.CI === "true") throw new Error(`${LIBUSB} is missing (node tests/setup.js installs libusb-1.0-0)`);
  return `${LIBUSB} is missing (node tests/setup.js installs libusb-1.0-0)`;
}

test("libusb's transfer statuses become the contract's errnos", () => {
  // enum libusb_transfer_status: COMPLETED, ERROR, TIMED_OUT, CANCELLED, STALL, NO_DEVICE, OVERFLOW.
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 99].map(xferStatus),
    [0, -Errno.EIO, -Errno.ETIMEDOUT, -Errno.ECANCELED, -Errno.EPIPE, -Errno.ENODEV, -Errno.EOVERFLOW, -Errno.EIO]);
});

const DEVICE = [18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x27, 0x06, 0x01, 0x00, 0, 0, 1, 2, 3, 1];
const CONFIG_HEAD = [9, 2, 0, 0, 2, 1, 0, 0xa0, 50];
const iface = (n: number, alt: number) => [9, 4, n, alt, 1, 3, 1, 1, 0];
const endpoint = [7, 5, 0x81, 3, 8, 0, 7];

test("interfacesOf: every interface number once, alternate settings too; a lying length ends the walk", () => {
  const good = Uint8Array.from([...DEVICE, ...CONFIG_HEAD, ...iface(0, 0), ...endpoint, ...iface(0, 1), ...endpoint, ...iface(1, 0)]);
  assert.deepEqual(interfacesOf(good), [0, 1]);
  const zeroLength = Uint8Array.from([...DEVICE, ...CONFIG_HEAD, 0, 4, 7, ...iface(2, 0)]);
  assert.deepEqual(interfacesOf(zeroLength), [], "bLength 0 would loop forever: the walk stops");
  const past = Uint8Array.from([...DEVICE, ...CONFIG_HEAD, ...iface(0, 0), 200, 4, 5]);
  assert.deepEqual(interfacesOf(past), [0], "a descriptor longer than what is left is not read");
  assert.deepEqual(interfacesOf(Uint8Array.from(DEVICE.slice(0, 10))), []);
});

test("UsbHost: libusb binds; with nothing plugged in, submit is ENODEV; a second host in the same process works", { skip: noLibusb() }, () => {
  const logs: string[] = [];
  const attached: number[] = [];
  const sink: UsbSink = {
    attach: (dev) => { attached.push(dev); return 0; },
    detach: () => {}, done: () => {},
    log: (level, line) => logs.push(`${LogLevel[level]} ${line}`),
    failed: (e) => assert.fail(`failed: ${e}`),
  };
  for (let round = 0; round < 2; round++) {
    const usb = new UsbHost([{ id: 0, name: "stick", vendor: 0x46f4, product: 0x0001 }], sink);
    const mem = new Uint8Array(64);
    assert.equal(usb.submit(0, 0, 0x81, UsbType.BULK, 0n, mem, 0, 8, 100), -Errno.ENODEV);
    assert.equal(usb.submit(5, 0, 0x81, UsbType.BULK, 0n, mem, 0, 8, 100), -Errno.ENODEV, "a device the manifest does not name");
    usb.cancel(0, 0);
    usb.cancel(9, 99);
    usb.close();
    usb.close();
  }
  assert.deepEqual(attached, []);
  for (const l of logs) assert.match(l, /^(WARN|INFO) /);
});
