// hosts/node/usb.ts on this machine, without a guest (it has no USB bus; tests/usb/
// guest.test.ts drives real devices): libusb's transfer statuses map to the contract's
// errnos; interfacesOf walks a configuration by bLength and stops at a length that lies;
// libusb binds and two UsbHosts can live in one process one after the other (a node
// started again); with no device present usb_submit answers ENODEV. Then, on a stand-in for
// libusb that plays one device, the failures no QEMU device shows: descriptor reads that
// fail, a configuration shorter than it claims (the kernel refuses; the device is closed),
// an interface another program holds, completions after an unplug, a kernel trap inside
// k_usb_done; the bounds on the synchronous reads of an attach (control calls counted, a
// slow device timed, a failing path backed off), hubs never opened or claimed, overlapping
// entries filled in manifest order, serials read as UTF-16, CLEAR_FEATURE(ENDPOINT_HALT)
// done with libusb_clear_halt.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import { Errno } from "../../abi/errno";
import { LogLevel } from "../../abi/kernel";
import { UsbType } from "../../abi/usb";
import { BACKOFF_FIRST_MS, BACKOFF_MAX_MS, UsbHost, UsbMatch, UsbSink } from "../../hosts/node/usb";
import { interfacesOf, xferStatus } from "../../hosts/node/usb_desc";
import { ATTACH_BUDGET_MS, ATTACH_TIMEOUT_MS, CONFIG_HEADS_MAX } from "../../hosts/node/usb_desc";
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
interface Played {
  vendor: number; product: number; desc: Uint8Array; configLies?: boolean; claim?: number; readFails?: boolean;
  serial?: string;          // its iSerialNumber string (index 3), sent as UTF-16LE
  slowMs?: number;          // each control transfer takes this long (a busy wait: they are synchronous)
  active?: number;          // what libusb_get_configuration says (1)
  clearHalt?: number;       // what libusb_clear_halt returns (0)
}

/** A stand-in for libusb with one device; transfers complete when the test says. */
function playedLibusb(dev: Played) {
  const mem = new Map<bigint, ArrayBuffer>();
  const callbacks = new Map<bigint, (...a: unknown[]) => unknown>();
  let next = 0x1000n;
  const alloc = (n: number) => { const p = next; next += 0x100000n; mem.set(p, new ArrayBuffer(n)); return p; };
  const submitted: bigint[] = [];
  const closed: bigint[] = [];
  const controls: { value: number; index: number; timeout: number }[] = [];
  const clearHalts: number[] = [];
  const opened: bigint[] = [];
  const claimed: number[] = [];
  let hotplug: ((...a: unknown[]) => unknown) | null = null;
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
    open: (d: bigint) => { opened.push(d); return 0x77n; }, close: (h: bigint) => { closed.push(h); },
    setAutoDetach: () => 0, getConfiguration: () => dev.active ?? 1,
    claimInterface: (_h: bigint, i: number) => { claimed.push(i); return dev.claim ?? 0; }, releaseInterface: () => 0,
    control: (_h: bigint, _rt: number, _rq: number, value: number, index: number, out: Uint8Array, timeout: number) => {
      controls.push({ value, index, timeout });
      if (dev.slowMs) { const end = Date.now() + Math.min(dev.slowMs, timeout); while (Date.now() < end) { /* the device thinks */ } }
      if (dev.readFails) return -1;
      if ((value >> 8) === 3) {
        const s = (value & 0xff) === 0 ? [4, 3, 0x09, 0x04]
          : [2 + 2 * (dev.serial ?? "").length, 3, ...Array.from(Buffer.from(dev.serial ?? "", "utf16le"))];
        out.set(s.slice(0, out.length));
        return Math.min(out.length, s.length);
      }
      const src = (value >> 8) === 1 ? dev.desc.subarray(0, 18) : dev.desc.subarray(18);
      const n = Math.min(out.length, src.length - (dev.configLies && (value >> 8) === 2 && out.length > 9 ? 5 : 0));
      out.set(src.subarray(0, n));
      return n;
    },
    clearHalt: (_h: bigint, ep: number) => { clearHalts.push(ep); return dev.clearHalt ?? 0; },
    allocTransfer: () => alloc(64), freeTransfer() {},
    submit: (t: bigint) => { submitted.push(t); return 0; }, cancel: () => 0,
    handleEventsNow: () => 0, pollfds: () => [], pollfdsHandleTimeouts: () => true, setPollfdNotifiers() {},
    hotplugRegister: (_c: bigint, _e: number, _f: number, cb: bigint) => { hotplug = callbacks.get(cb)!; hotplug(1n, 0x55n, 1, null); return 0; },
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
  /** The device is plugged in again (libusb's hot-plug ARRIVED; 0x55 is the device, dev a second one). */
  const plug = (d = 0x55n) => hotplug!(1n, d, 1, null);
  const unplug = (d = 0x55n) => hotplug!(1n, d, 2, null);
  return { lib: lib as never, submitted, closed, complete, controls, clearHalts, opened, claimed, plug, unplug };
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
      assert.ok(sink.seen.some((l) => /the kernel refuses it \(EBADMSG/.test(l)), sink.seen.join("\n"));
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

// ——— The attach's synchronous reads are bounded; hubs; manifest order; serials; clearing a halt ———

/** PLAYED_DESC claiming n configurations. */
const claiming = (n: number) => { const d = PLAYED_DESC.slice(); d[17] = n; return d; };
const KBD: UsbMatch[] = [{ id: 0, name: "kbd", vendor: 0x0627, product: 1 }];

test("a device claiming 255 configurations, none of them active, costs at most 1 + CONFIG_HEADS_MAX reads, each ATTACH_TIMEOUT_MS at most", async () => {
  const played = playedLibusb({ vendor: 0x0627, product: 1, desc: claiming(255), active: 7 });
  const sink = recorder();
  const usb = new UsbHost(KBD, sink, played.lib);
  await turn();
  usb.close();
  assert.equal(played.controls.length, 1 + CONFIG_HEADS_MAX, "the device descriptor, then the heads");
  assert.ok(played.controls.every((c) => c.timeout > 0 && c.timeout <= ATTACH_TIMEOUT_MS), JSON.stringify(played.controls));
  assert.ok(sink.seen.includes("attach 0 18"), "the device descriptor alone: the kernel says what is missing");
  // The active one among the first heads: the search stops at it.
  const second = playedLibusb({ vendor: 0x0627, product: 1, desc: claiming(255), active: 1 });
  const usb2 = new UsbHost(KBD, recorder(), second.lib);
  await turn();
  usb2.close();
  assert.equal(second.controls.length, 3, "device, head 0 (active), then configuration 0 whole");
});

test("a slow device: the reads of one attach stop at ATTACH_BUDGET_MS, and the path is backed off", async () => {
  const played = playedLibusb({ vendor: 0x0627, product: 1, desc: claiming(255), active: 7, slowMs: 150 });
  const sink = recorder();
  const usb = new UsbHost(KBD, sink, played.lib);
  const t0 = Date.now();
  await turn();
  const took = Date.now() - t0;
  assert.ok(took <= ATTACH_BUDGET_MS + 150, `the loop was blocked ${took} ms`);
  assert.ok(took >= ATTACH_BUDGET_MS - 150, `${took} ms: the budget, not the heads cap, ended it`);
  assert.ok(played.controls.length < 1 + CONFIG_HEADS_MAX, `${played.controls.length} reads`);
  assert.ok(sink.seen.some((l) => /reading configuration descriptor \d failed \(LIBUSB_ERROR\(-7\): each read may take 200 ms, an attach 1000 ms\); it stays unused/.test(l)),
    sink.seen.join("\n"));
  assert.ok(!sink.seen.some((l) => l.startsWith("attach")));
  const n = played.controls.length;
  played.plug();
  await turn();
  assert.equal(played.controls.length, n, "plugged in again at once: not read");
  assert.ok(sink.seen.some((l) => /not tried, attaching a device there failed 1 s ago or less; unplug it and plug it in again after 1 s/.test(l)), sink.seen.join("\n"));
  usb.close();
});

test("a path whose attach failed is left alone BACKOFF_FIRST_MS, then twice as long each time, up to BACKOFF_MAX_MS", async () => {
  const played = playedLibusb({ vendor: 0x0627, product: 1, desc: PLAYED_DESC, readFails: true });
  let now = 1_000_000;
  const usb = new UsbHost(KBD, recorder(), played.lib, () => now);
  await turn();
  assert.equal(played.controls.length, 1);
  let delay = BACKOFF_FIRST_MS, tries = 1;
  for (let round = 0; round < 9; round++) {
    now += delay - 1;
    played.plug();
    await turn();
    assert.equal(played.controls.length, tries, `round ${round}: ${delay - 1} ms after a failure: left alone`);
    now += 1;
    played.plug();
    await turn();
    assert.equal(played.controls.length, ++tries, `round ${round}: ${delay} ms after: tried again`);
    delay = Math.min(delay * 2, BACKOFF_MAX_MS);
  }
  assert.equal(delay, BACKOFF_MAX_MS, "the rounds reached the cap");
  usb.close();
  // A success clears it: a good device at that path is read at once after unplugging.
  const good = playedLibusb({ vendor: 0x0627, product: 1, desc: PLAYED_DESC });
  const sink = recorder();
  const usb2 = new UsbHost(KBD, sink, good.lib, () => now);
  await turn();
  good.unplug(); await turn();
  good.plug(); await turn();
  assert.deepEqual(sink.seen.filter((l) => /^(attach|detach)/.test(l)), [`attach 0 ${PLAYED_DESC.length}`, "detach 0", `attach 0 ${PLAYED_DESC.length}`]);
  usb2.close();
});

test("a hub is never opened; a device with a hub interface the kernel refuses is never claimed", async () => {
  const hub = PLAYED_DESC.slice(); hub[4] = 9;
  const played = playedLibusb({ vendor: 0x0627, product: 1, desc: hub });
  const sink = recorder();
  const usb = new UsbHost(KBD, sink, played.lib);
  await turn();
  usb.close();
  assert.deepEqual(played.opened, [], "not opened");
  assert.equal(played.controls.length, 0);
  assert.ok(sink.seen.some((l) => /matches usb device kbd but is a hub, which cannot be granted \(its ports reach the devices below it\): name those devices/.test(l)), sink.seen.join("\n"));
  const hubIface = PLAYED_DESC.slice(); hubIface[18 + 9 + 5] = 9;
  const second = playedLibusb({ vendor: 0x0627, product: 1, desc: hubIface });
  const usb2 = new UsbHost(KBD, recorder(-Errno.EBADMSG), second.lib);
  await turn();
  usb2.close();
  assert.deepEqual(second.claimed, [], "the kernel refused it: no interface claimed, Linux's hub driver keeps it");
  assert.deepEqual(second.closed, [0x77n]);
});

test("overlapping entries: a device goes to the first free entry in manifest order whose matchers all fit", async () => {
  const general: UsbMatch = { id: 0, name: "any", vendor: 0x0627, product: 1 };
  const specific: UsbMatch = { id: 1, name: "mine", vendor: 0x0627, product: 1, serial: "S-1" };
  for (const order of [[general, specific], [{ ...specific, id: 0 }, { ...general, id: 1 }]]) {
    const played = playedLibusb({ vendor: 0x0627, product: 1, desc: PLAYED_DESC, serial: "S-1" });
    const sink = recorder();
    const usb = new UsbHost(order, sink, played.lib);
    await turn();
    played.plug(0x56n);                // a second device just like it
    await turn();
    usb.close();
    assert.deepEqual(sink.seen.filter((l) => l.startsWith("attach")), [`attach 0 ${PLAYED_DESC.length}`, `attach 1 ${PLAYED_DESC.length}`],
      `${order.map((m) => m.name)}: the first free entry each time`);
    assert.ok(sink.seen.some((l) => new RegExp(`\\(usb device 0, ${order[0].name}\\): attached`).test(l)), sink.seen.join("\n"));
  }
  // The serial is read as UTF-16 and compared exactly: one that differs fits only the general entry.
  const other = playedLibusb({ vendor: 0x0627, product: 1, desc: PLAYED_DESC, serial: "S-2" });
  const sink = recorder();
  const usb = new UsbHost([{ ...specific, id: 0 }], sink, other.lib);
  await turn();
  usb.close();
  assert.deepEqual(sink.seen.filter((l) => l.startsWith("attach")), []);
  assert.deepEqual(other.controls.map((c) => c.value >> 8), [3, 3], "the languages, then the serial; nothing more");
  assert.equal(other.controls[1].index, 0x0409, "in the first language the device gives");
  // Serials are read only for a device that passed vendor, product and path.
  const elsewhere = playedLibusb({ vendor: 0x0627, product: 1, desc: PLAYED_DESC, serial: "S-1" });
  const usb3 = new UsbHost([{ id: 0, name: "x", vendor: 0x1234, product: 1, serial: "S-1" }, { id: 1, name: "y", path: "1-9", serial: "S-1" }],
    recorder(), elsewhere.lib);
  await turn();
  usb3.close();
  assert.deepEqual(elsewhere.opened, []);
  assert.equal(elsewhere.controls.length, 0);
});

test("CLEAR_FEATURE(ENDPOINT_HALT) from the service is libusb_clear_halt (the host's toggle reset too), completing as a control transfer", async () => {
  for (const result of [0, -9, -4]) {
    const played = playedLibusb({ vendor: 0x0627, product: 1, desc: PLAYED_DESC, clearHalt: result });
    const sink = recorder();
    const usb = new UsbHost(KBD, sink, played.lib);
    await turn();
    const mem = new Uint8Array(8);
    // bmRequestType 0x02 (endpoint), CLEAR_FEATURE (1), ENDPOINT_HALT (0), wIndex 0x81, wLength 0.
    assert.equal(usb.submit(0, 1, 0, UsbType.CONTROL, 0x0000_0081_0000_0102n, mem, 0, 0, 1000), 0);
    assert.deepEqual(played.clearHalts, [0x81]);
    assert.equal(played.submitted.length, 0, "not sent raw");
    assert.deepEqual(sink.seen.filter((l) => l.startsWith("done")), [], "its end comes on a later turn, never inside usb_submit");
    await turn();
    const want = result === 0 ? 0 : result === -9 ? -Errno.EPIPE : -Errno.ENODEV;
    assert.deepEqual(sink.seen.filter((l) => l.startsWith("done")), [`done 0/1 ${want} 0 -`]);
    // Other requests on the default pipe go to the device as they are.
    assert.equal(usb.submit(0, 2, 0, UsbType.CONTROL, 0x0000_0081_0001_0102n, mem, 0, 0, 1000), 0, "wValue 1 is not ENDPOINT_HALT");
    assert.equal(usb.submit(0, 3, 0, UsbType.CONTROL, 0x0000_0081_0000_0103n, mem, 0, 0, 1000), 0, "SET_FEATURE");
    assert.equal(played.submitted.length, 2);
    assert.deepEqual(played.clearHalts, [0x81]);
    // The node stopping before the next turn: nothing more is said.
    assert.equal(usb.submit(0, 0, 0, UsbType.CONTROL, 0x0000_0002_0000_0102n, mem, 0, 0, 1000), 0);
    usb.close();
    await turn();
    assert.deepEqual(sink.seen.filter((l) => l.startsWith("done")), [`done 0/1 ${want} 0 -`]);
  }
});
