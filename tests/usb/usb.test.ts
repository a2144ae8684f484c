// hosts/node/usb.ts on this machine, without a guest (it has no USB bus; tests/usb/
// guest.test.ts drives real devices): libusb's transfer statuses map to the contract's
// errnos; interfacesOf walks a configuration by bLength and stops at a length that lies;
// libusb binds and two UsbHosts can live in one process one after the other (a node
// started again); with no device present usb_submit answers ENODEV. Then, on a stand-in for
// libusb that plays one device, the failures no QEMU device shows: descriptor reads that
// fail, a configuration shorter than it claims (the kernel refuses; the device is closed),
// an interface another program holds, completions after an unplug, a kernel trap inside
// k_usb_done.
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

// ——— Failures no QEMU device shows, on a stand-in for libusb that plays a device ———

/** A device as the stand-in plays it: what GET_DESCRIPTOR answers, and how claiming goes. */
interface Played { vendor: number; product: number; desc: Uint8Array; configLies?: boolean; claim?: number; readFails?: boolean }

/** A stand-in for libusb with one device; transfers complete when the test says. */
function playedLibusb(dev: Played) {
  const mem = new Map<bigint, ArrayBuffer>();
  const callbacks = new Map<bigint, (...a: unknown[]) => unknown>();
  let next = 0x1000n;
  const alloc = (n: number) => { const p = next; next += 0x100000n; mem.set(p, new ArrayBuffer(n)); return p; };
  const submitted: bigint[] = [];
  const closed: bigint[] = [];
  const lib = {
    koffi: {
      register: (fn: (...a: unknown[]) => unknown) => { const p = next; next += 0x10n; callbacks.set(p, fn); return p; },
      node: { poll: () => ({ close() {} }) },
    },
    types: { transfer: 0, pollAdded: 0, pollRemoved: 0, hotplug: 0 },
    init: () => 1n, errorName: (c: number) => `LIBUSB_ERROR(${c})`, hasCapability: () => true,
    deviceList: () => ({ list: 0n, devices: [] as bigint[] }), freeDeviceList() {}, refDevice() {}, unrefDevice() {},
    deviceDescriptor: (_d: bigint, out: Uint8Array) => { out.set(dev.desc.subarray(0, 18)); return 0; },
    busNumber: () => 1, portNumbers: (_d: bigint, out: Uint8Array) => { out[0] = 1; return 1; },
    open: () => 0x77n, close: (h: bigint) => { closed.push(h); },
    setAutoDetach: () => 0, getConfiguration: () => 1,
    claimInterface: () => dev.claim ?? 0, releaseInterface: () => 0,
    control: (_h: bigint, _rt: number, _rq: number, value: number, _i: number, out: Uint8Array) => {
      if (dev.readFails) return -1;
      const src = (value >> 8) === 1 ? dev.desc.subarray(0, 18) : dev.desc.subarray(18);
      const n = Math.min(out.length, src.length - (dev.configLies && (value >> 8) === 2 && out.length > 9 ? 5 : 0));
      out.set(src.subarray(0, n));
      return n;
    },
    stringAscii: () => 0,
    allocTransfer: () => alloc(64), freeTransfer() {},
    submit: (t: bigint) => { submitted.push(t); return 0; }, cancel: () => 0,
    handleEventsNow: () => 0, pollfds: () => [], pollfdsHandleTimeouts: () => true, setPollfdNotifiers() {},
    hotplugRegister: (_c: bigint, _e: number, _f: number, cb: bigint) => { callbacks.get(cb)!(1n, 0x55n, 1, null); return 0; },
    alloc, view: (p: bigint) => mem.get(p)!,
  };
  /** libusb ends transfer t with a status (enum libusb_transfer_status), a length and IN data. */
  const complete = (t: bigint, status: number, actual: number, data: number[] = []) => {
    const f = new DataView(mem.get(t)!);
    new Uint8Array(mem.get(f.getBigUint64(48, true))!).set(data);   // the transfer's buffer
    f.setInt32(16, status, true);
    f.setInt32(24, actual, true);
    callbacks.get(f.getBigUint64(32, true))!(t);
  };
  return { lib: lib as never, submitted, closed, complete };
}

const PLAYED_DESC = Uint8Array.from([...DEVICE.slice(0, 17), 1, 9, 2, 25, 0, 1, 1, 0, 0xa0, 50, ...iface(0, 0), ...endpoint]);
const turn = () => new Promise((r) => setImmediate(r));

function recorder(attachResult = 0) {
  const seen: string[] = [];
  const sink: UsbSink & { seen: string[]; throwOnDone: boolean; failures: unknown[] } = {
    seen, throwOnDone: false, failures: [],
    attach: (dev, desc) => { seen.push(`attach ${dev} ${desc.length}`); return attachResult; },
    detach: (dev) => seen.push(`detach ${dev}`),
    done: (dev, xfer, status, moved, data) => {
      if (sink.throwOnDone) throw new Error("a kernel trap");
      seen.push(`done ${dev}/${xfer} ${status} ${moved} ${data === null ? "-" : Buffer.from(data).toString("hex")}`);
    },
    log: (level, line) => seen.push(`${LogLevel[level]} ${line}`),
    failed: (e) => sink.failures.push(e),
  };
  return sink;
}

test("a device whose descriptor reads fail, or whose configuration comes back short, is not used, never a crash", async () => {
  for (const dev of [{ readFails: true }, { configLies: true }]) {
    const played = playedLibusb({ vendor: 0x0627, product: 1, desc: PLAYED_DESC, ...dev });
    const sink = recorder(dev.configLies ? -Errno.EBADMSG : 0);
    const usb = new UsbHost([{ id: 0, name: "kbd", vendor: 0x0627, product: 1 }], sink, played.lib);
    await turn();
    if (dev.readFails) {
      assert.ok(!sink.seen.some((l) => l.startsWith("attach")), "never attached");
      assert.ok(sink.seen.some((l) => /reading its device descriptor failed \(LIBUSB_ERROR\(-1\)\); it stays unused/.test(l)), sink.seen.join("\n"));
    } else {
      assert.ok(sink.seen.includes(`attach 0 ${PLAYED_DESC.length - 5}`), `the short bytes went to the kernel as the device gave them:\n${sink.seen.join("\n")}`);
      assert.ok(sink.seen.some((l) => /the kernel refuses its descriptors \(EBADMSG/.test(l)), sink.seen.join("\n"));
    }
    assert.deepEqual(played.closed, [0x77n], "the device was closed again");
    assert.equal(usb.submit(0, 0, 0x81, UsbType.INTERRUPT, 0n, new Uint8Array(8), 0, 8, 100), -Errno.ENODEV);
    usb.close();
  }
});

test("an interface another program holds: the device is detached again and closed", async () => {
  const played = playedLibusb({ vendor: 0x0627, product: 1, desc: PLAYED_DESC, claim: -6 });
  const sink = recorder();
  const usb = new UsbHost([{ id: 0, name: "kbd", vendor: 0x0627, product: 1 }], sink, played.lib);
  await turn();
  usb.close();
  assert.deepEqual(sink.seen.filter((l) => /^(attach|detach)/.test(l)), [`attach 0 ${PLAYED_DESC.length}`, "detach 0"]);
  assert.ok(sink.seen.some((l) => /cannot claim interface 0 \(LIBUSB_ERROR\(-6\)\)/.test(l)));
  assert.deepEqual(played.closed, [0x77n]);
});

test("completions: IN data and OUT counts go to the kernel once; after an unplug none; a kernel trap stops the callbacks", async () => {
  const played = playedLibusb({ vendor: 0x0627, product: 1, desc: PLAYED_DESC });
  const sink = recorder();
  const usb = new UsbHost([{ id: 0, name: "kbd", vendor: 0x0627, product: 1 }], sink, played.lib);
  await turn();
  const mem = new Uint8Array(64).fill(0xab);
  assert.equal(usb.submit(0, 0, 0x81, UsbType.INTERRUPT, 0n, mem, 0, 8, 100), 0);
  assert.equal(usb.submit(0, 0, 0x81, UsbType.INTERRUPT, 0n, mem, 0, 8, 100), -Errno.EAGAIN, "the slot is libusb's until it comes back");
  assert.equal(usb.submit(0, 1, 0x02, UsbType.BULK, 0n, mem, 0, 4, 100), 0);
  const [tIn, tOut] = played.submitted;
  played.complete(tIn, 0, 3, [1, 2, 3]);
  played.complete(tOut, 4, 0);                                // STALL
  assert.deepEqual(sink.seen.filter((l) => l.startsWith("done")), ["done 0/0 0 3 010203", `done 0/1 ${-Errno.EPIPE} 0 -`]);
  assert.equal(usb.submit(0, 2, 0x81, UsbType.INTERRUPT, 0n, mem, 0, 8, 100), 0);
  played.complete(played.submitted[2], 5, 0);                 // NO_DEVICE: the device is gone
  assert.deepEqual(sink.seen.filter((l) => /^(done 0\/2|detach)/.test(l)), [`done 0/2 ${-Errno.ENODEV} 0 `, "detach 0"]);
  assert.equal(usb.submit(0, 3, 0x81, UsbType.INTERRUPT, 0n, mem, 0, 8, 100), -Errno.ENODEV);
  await turn();
  assert.deepEqual(played.closed, [0x77n], "closed once every slot was back");

  const again = playedLibusb({ vendor: 0x0627, product: 1, desc: PLAYED_DESC });
  const trapping = recorder();
  const usb2 = new UsbHost([{ id: 0, name: "kbd", vendor: 0x0627, product: 1 }], trapping, again.lib);
  await turn();
  usb2.submit(0, 0, 0x81, UsbType.INTERRUPT, 0n, mem, 0, 8, 100);
  usb2.submit(0, 1, 0x81, UsbType.INTERRUPT, 0n, mem, 0, 8, 100);
  trapping.throwOnDone = true;
  again.complete(again.submitted[0], 0, 8);                   // the kernel traps inside k_usb_done
  again.complete(again.submitted[1], 0, 8);                   // ... and is not called again
  assert.equal(trapping.failures.length, 0, "not from inside libusb's event handling");
  await turn();
  assert.equal(trapping.failures.length, 1);
  assert.match(String(trapping.failures[0]), /a kernel trap/);
});
