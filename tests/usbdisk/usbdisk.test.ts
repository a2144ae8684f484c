// usbdisk.sabz.city (services/usbdisk) against a software model of a Bulk-Only mass-storage
// stick (bot_device.ts) behind a fake kernel: the UDP protocol of spec/services.md, the
// CBW it sends (literal bytes), reads and writes byte for byte, SYNCHRONIZE CACHE before a
// write's OK, 4096-byte blocks in parts, the queue bound, unplug and replug, and a hostile
// device (stalls, lying CSWs, short data, babble, a reset that fails) costing an ERR with a
// bounded number of transfers, never a trap. The end-to-end proof against QEMU's
// usb-storage is tests/usb and tests/metal.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Guest } from "../sdk/guest";
import { udp, checksumOk } from "../sdk/packets";
import { BotDevice, STICK_DESC } from "./bot_device";
import { Errno } from "../../abi/errno";

const WASM = "build/wasm/services/usbdisk.wasm";
const ME = "2001:db8::71";
const ME_HEX = "20010db8000000000000000000000071";
const CLIENT = "2001:db8::1";

interface Rig { g: Guest; dev: BotDevice; disk: Buffer; clock: { now: number } }

/** A disk of `blocks` blocks with a recognisable pattern, behind a stick, behind usbdisk. */
function rig(blocks = 64, blockSize = 512, setup?: (dev: BotDevice) => void, noUsb = false): Rig {
  const disk = Buffer.alloc(blocks * blockSize);
  for (let i = 0; i < disk.length; i++) disk[i] = (i * 7 + (i >> 9) * 13) & 0xff;
  const dev = new BotDevice(disk, blockSize);
  setup?.(dev);
  const clock = { now: 1000 };
  const g = new Guest(WASM, {
    addrs: [ME_HEX], now: () => clock.now,
    syscalls: noUsb ? () => ({ usb_event: () => -Errno.EAGAIN }) : (m) => dev.syscalls(m),
  });
  const r = { g, dev, disk, clock };
  settle(r);
  return r;
}

/** Let transfers complete (and timers fire) until the service has nothing in flight. */
function settle(r: Rig): void {
  let timers = r.g.timers.length;
  for (let i = 0; i < 5000; i++) {
    if (r.dev.busy()) { r.dev.complete(); r.g.event(); continue; }
    if (r.g.timers.length > timers) {
      r.clock.now += r.g.timers[r.g.timers.length - 1];
      timers = r.g.timers.length;
      r.g.event();
      continue;
    }
    return;
  }
  assert.fail("usbdisk kept the device busy for 5000 rounds");
}

/** Send requests at once; settle; return the replies' data in the order they came. */
function askAll(r: Rig, ...reqs: (string | Buffer)[]): Buffer[] {
  const before = r.g.sent.length;
  r.g.deliver(...reqs.map((q, i) => udp(CLIENT, ME, 40000 + i, 7071, q)));
  settle(r);
  const out = r.g.sent.slice(before);
  for (const p of out) assert.ok(checksumOk(p), "reply checksum");
  return out.map((p) => p.subarray(48));
}

function ask(r: Rig, req: string | Buffer): string {
  const out = askAll(r, req);
  assert.equal(out.length, 1, `one reply to ${req.toString().slice(0, 20)}`);
  return out[0].toString("latin1");
}

function read(r: Rig, addr: string): Buffer {
  const reply = askAll(r, `READ ${addr}`);
  assert.equal(reply.length, 1);
  const head = `DATA ${addr} `;
  assert.equal(reply[0].subarray(0, head.length).toString(), head, reply[0].toString("latin1").slice(0, 40));
  return reply[0].subarray(head.length);
}

test("INFO: blocks, block size, INQUIRY's vendor and product; the probe's commands in order", () => {
  const r = rig(64);
  assert.equal(ask(r, "INFO"), "OK 64 512 MOCKVEND Model Stick 42");
  assert.equal(ask(r, "INFO\r\n"), "OK 64 512 MOCKVEND Model Stick 42");
  assert.deepEqual(r.dev.ops, [0x12, 0x00, 0x25]);   // INQUIRY, TEST UNIT READY, READ CAPACITY(10)
  // The probe began with Reset Recovery: class reset to interface 0, clear halt 0x81 and 0x02.
  assert.deepEqual(r.dev.controls, ["21ff000000000000", "0201000081000000", "0201000002000000"]);
});

test("READ(10) goes out as this literal CBW, and the block comes back byte for byte", () => {
  const r = rig(64);
  let cbw: Buffer | undefined;
  r.dev.faults.bulk = (t) => { if (t.ep === 0x02 && t.out?.length === 31) cbw = t.out; return undefined; };
  const data = read(r, "5");
  assert.deepEqual(data, r.disk.subarray(5 * 512, 6 * 512));
  assert.ok(cbw);
  const tag = cbw.subarray(4, 8).toString("hex");
  assert.equal(cbw.toString("hex"),
    "55534243" + tag + "00020000" + "80" + "00" + "0a" + "28000000000500000100" + "000000000000");
  for (const lba of ["0", "1", "33", "63"]) assert.deepEqual(read(r, lba), r.disk.subarray(+lba * 512, (+lba + 1) * 512));
});

test("WRITE is OK only after WRITE(10) and SYNCHRONIZE CACHE(10); READ gives it back", () => {
  const r = rig(64);
  const block = Buffer.alloc(512, 0);
  block.write("hello usb\n\r\n ", 0);   // binary data, line ends included, is taken verbatim
  block[511] = 0x0a;
  r.dev.ops.length = 0;
  assert.equal(ask(r, Buffer.concat([Buffer.from("WRITE 7 "), block])), "OK");
  assert.deepEqual(r.dev.ops, [0x2a, 0x35]);
  assert.deepEqual(r.disk.subarray(7 * 512, 8 * 512), block);
  assert.deepEqual(read(r, "7"), block);
  assert.equal(ask(r, "WRITE 7 short"), "ERR bad length");
  assert.equal(ask(r, Buffer.concat([Buffer.from("WRITE 64 "), block])), "ERR out of range");
});

test("requests that are not the protocol are refused without touching the device", () => {
  const r = rig(64);
  r.dev.ops.length = 0;
  for (const q of ["", "READ", "READ ", "READ x", "READ 1:", "READ 1:x", "READ 1:23", "READ -1",
    "READ 4294967296", "READ 1 2", "WRITE 1", "WRITE x data", "INFO x", "info", "GET 1"]) {
    assert.equal(ask(r, q), "ERR bad request", JSON.stringify(q));
  }
  assert.equal(ask(r, "READ 64"), "ERR out of range");
  assert.equal(ask(r, "READ 4294967295"), "ERR out of range");
  assert.equal(ask(r, "READ 3:1"), "ERR out of range");   // 512-byte blocks have one part
  assert.equal(ask(r, `WRITE 1 ${"x".repeat(1025)}`), "ERR bad length");
  assert.deepEqual(r.dev.ops, []);
  assert.deepEqual(read(r, "3:0"), r.disk.subarray(3 * 512, 4 * 512));
});

test("4096-byte blocks travel in four 1024-byte parts; a part is written by read-modify-write", () => {
  const r = rig(16, 4096);
  assert.equal(ask(r, "INFO"), "OK 16 4096 MOCKVEND Model Stick 42");
  assert.equal(ask(r, "READ 3"), "ERR part needed");
  for (let part = 0; part < 4; part++) {
    assert.deepEqual(read(r, `3:${part}`), r.disk.subarray(3 * 4096 + part * 1024, 3 * 4096 + (part + 1) * 1024));
  }
  assert.equal(ask(r, "READ 3:4"), "ERR out of range");
  const before = Buffer.from(r.disk);
  const part = Buffer.alloc(1024, 0xab);
  r.dev.ops.length = 0;
  assert.equal(ask(r, Buffer.concat([Buffer.from("WRITE 3:1 "), part])), "OK");
  assert.deepEqual(r.dev.ops, [0x28, 0x2a, 0x35]);
  const want = Buffer.from(before);
  part.copy(want, 3 * 4096 + 1024);
  assert.deepEqual(r.disk, want);
});

test("block lengths outside 512..4096 are refused", () => {
  assert.equal(ask(rig(8, 520), "INFO"), "ERR bad block size");
  assert.equal(ask(rig(2, 8192), "READ 0"), "ERR bad block size");
});

test("no USB capability: ERR no device; descriptors without a Bulk-Only SCSI interface: ERR not a disk", () => {
  assert.equal(ask(rig(8, 512, undefined, true), "INFO"), "ERR no device");
  const hid = Buffer.from(STICK_DESC);
  hid[18 + 9 + 5] = 0x03;                       // interface class HID
  assert.equal(ask(rig(8, 512, (d) => { d.desc = hid; }), "INFO"), "ERR not a disk");
  const lying = Buffer.from(STICK_DESC);
  lying[18 + 9 + 9] = 0xff;                     // the IN endpoint's bLength runs past the end
  assert.equal(ask(rig(8, 512, (d) => { d.desc = lying; }), "INFO"), "ERR not a disk");
  const zero = Buffer.from(STICK_DESC);
  zero[18] = 0;                                 // a zero bLength would loop forever
  assert.equal(ask(rig(8, 512, (d) => { d.desc = zero; }), "INFO"), "ERR not a disk");
});

test("TEST UNIT READY answering NOT READY: REQUEST SENSE, wait on the timer, ready later", () => {
  const r = rig(8, 512, (d) => { d.faults.notReady = 3; });
  assert.equal(ask(r, "INFO"), "OK 8 512 MOCKVEND Model Stick 42");
  assert.deepEqual(r.dev.ops, [0x12, 0x00, 0x03, 0x00, 0x03, 0x00, 0x03, 0x00, 0x25]);
  assert.ok(r.g.timers.length >= 3);
  const never = rig(8, 512, (d) => { d.faults.notReady = 1e9; });
  assert.equal(ask(never, "INFO"), "ERR not ready");
});

test("CHECK CONDITION: REQUEST SENSE says why (medium error → ERR io, data protect, no cache)", () => {
  const r = rig(8);
  r.dev.faults.failRw = 0x3;
  r.dev.ops.length = 0;
  assert.equal(ask(r, "READ 1"), "ERR io");
  assert.deepEqual(r.dev.ops, [0x28, 0x03]);
  r.dev.faults.failRw = 0x7;
  assert.equal(ask(r, Buffer.concat([Buffer.from("WRITE 1 "), Buffer.alloc(512)])), "ERR write protected");
  r.dev.faults.failRw = undefined;
  r.dev.faults.noSync = true;
  assert.equal(ask(r, Buffer.concat([Buffer.from("WRITE 1 "), Buffer.alloc(512, 9)])), "OK");
  assert.deepEqual(r.disk.subarray(512, 1024), Buffer.alloc(512, 9));
});

test("a stalled data phase: CLEAR_FEATURE(ENDPOINT_HALT), read the CSW, retry; the data is right", () => {
  const r = rig(8);
  let once = true;
  r.dev.faults.bulk = (t) => {
    if (t.ep === 0x81 && t.len === 512 && once) { once = false; return -Errno.EPIPE; }
    return undefined;
  };
  r.dev.controls.length = 0;
  assert.deepEqual(read(r, "2"), r.disk.subarray(1024, 1536));
  assert.equal(r.dev.controls[0], "0201000081000000");
});

test("a CSW with a wrong signature, tag, residue or status: Reset Recovery, then a retry that works", () => {
  const spoil: ((c: Buffer) => void)[] = [
    (c) => c.writeUInt32LE(0x53425356, 0), (c) => c.writeUInt32LE(c.readUInt32LE(4) + 1, 4),
    (c) => c.writeUInt32LE(513, 8), (c) => { c[12] = 2; }, (c) => { c[12] = 9; }];
  for (const s of spoil) {
    const r = rig(8);
    let once = true;
    r.dev.faults.csw = (c) => { if (once && r.dev.ops.at(-1) === 0x28) { once = false; s(c); } return c; };
    r.dev.controls.length = 0;
    assert.deepEqual(read(r, "4"), r.disk.subarray(2048, 2560));
    assert.deepEqual(r.dev.controls, ["21ff000000000000", "0201000081000000", "0201000002000000"]);
  }
  const short = rig(8);
  short.dev.faults.csw = (c) => short.dev.ops.at(-1) === 0x28 ? c.subarray(0, 12) : c;
  assert.equal(ask(short, "READ 4"), "ERR io");
});

test("a hostile device gets bounded retries and an ERR, and the service keeps answering", () => {
  const cases: [string, (d: BotDevice) => void, string][] = [
    ["lying CSW every time", (d) => { d.faults.csw = (c) => { c.writeUInt32LE(0, 4); return c; }; }, "ERR io"],
    ["short data every time", (d) => { d.faults.readBytes = (n) => n - 1; }, "ERR io"],
    ["stall loop", (d) => { d.faults.bulk = (t) => t.ep === 0x81 ? -Errno.EPIPE : undefined; }, "ERR stalled"],
    ["babble", (d) => { d.faults.bulk = (t) => t.ep === 0x81 && t.len === 512 ? -Errno.EOVERFLOW : undefined; }, "ERR io"],
    ["timeouts", (d) => { d.faults.bulk = (t) => t.ep === 0x81 && t.len === 512 ? -Errno.ETIMEDOUT : undefined; }, "ERR io"],
  ];
  for (const [what, misbehave, want] of cases) {
    const r = rig(8);
    misbehave(r.dev);
    const before = r.dev.bulkCount;
    assert.equal(ask(r, "READ 1"), want, what);
    assert.ok(r.dev.bulkCount - before <= 20, `${what}: ${r.dev.bulkCount - before} bulk transfers for one READ`);
    assert.equal(ask(r, "INFO"), "OK 8 512 MOCKVEND Model Stick 42", what);
  }
});

test("Reset Recovery that fails leaves the device broken (ERR io) until it is replugged", () => {
  const r = rig(8);
  r.dev.faults.csw = (c) => { c[12] = 2; return c; };   // phase error: Reset Recovery needed
  r.dev.faults.controlStall = true;
  assert.equal(ask(r, "READ 1"), "ERR io");
  r.dev.faults = {};
  const n = r.dev.bulkCount;
  assert.equal(ask(r, "READ 1"), "ERR io");
  assert.equal(r.dev.bulkCount, n, "a broken device is not touched");
  r.dev.unplug();
  r.dev.plug();
  settle(r);
  assert.deepEqual(read(r, "1"), r.disk.subarray(512, 1024));
});

test("unplugged during a READ: ERR detached, then ERR detached while out, then it works after replug", () => {
  const r = rig(8);
  r.dev.faults.bulk = (t, n) => { if (t.ep === 0x81 && t.len === 512) r.dev.faults.bulk = undefined; return undefined; };
  r.g.deliver(udp(CLIENT, ME, 40000, 7071, "READ 1"), udp(CLIENT, ME, 40001, 7071, "READ 2"));
  r.dev.unplug();        // with the first READ's transfer in flight
  settle(r);
  assert.deepEqual(r.g.sent.slice(-2).map((p) => p.subarray(48).toString()), ["ERR detached", "ERR detached"]);
  assert.equal(ask(r, "INFO"), "ERR detached");
  r.dev.plug();
  settle(r);
  assert.equal(ask(r, "INFO"), "OK 8 512 MOCKVEND Model Stick 42");
  assert.deepEqual(read(r, "2"), r.disk.subarray(1024, 1536));
});

test("replugged without a DETACH (events coalesced): the request in flight ends, the disk is probed again", () => {
  const r = rig(8);
  r.g.deliver(udp(CLIENT, ME, 40000, 7071, "READ 1"));
  r.dev.plug();          // an ATTACH while the READ is in flight
  settle(r);
  assert.equal(r.g.sent.at(-1)!.subarray(48).toString(), "ERR detached");
  assert.deepEqual(read(r, "1"), r.disk.subarray(512, 1024));
});

test("one command at a time; QUEUE_MAX requests wait in order, the next gets ERR busy", () => {
  const r = rig(64);
  const reqs = Array.from({ length: 9 }, (_, i) => `READ ${i}`);
  const out = askAll(r, ...reqs);
  assert.equal(out.length, 9);
  assert.equal(out[0].toString(), "ERR busy");   // answered at once, before the queue drains
  for (let i = 0; i < 8; i++) {
    assert.deepEqual(out[i + 1].subarray(0, 7).toString(), `DATA ${i} `);
    assert.deepEqual(out[i + 1].subarray(7), r.disk.subarray(i * 512, (i + 1) * 512));
  }
});
