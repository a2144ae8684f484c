// The TAP's io_uring for writes (hosts/node/nic/uring.ts) against a fake Linux that plays
// io_uring_setup, the mmaps and io_uring_enter on plain memory: what a submit hands over is
// the queued bytes, in order, at the right addresses (also where the arena's address crosses
// 4 GiB); each write's result comes back by slot; an enter that fails part-way hands the
// writes Linux did not take back, in order, to be written another way, and the ring goes on
// working, no completion of one batch taken for the next's; an io_uring without
// IORING_OP_WRITE (Linux 5.4, 5.5) is refused at open; fits() refuses a write that the SQ or the arena cannot hold.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { WriteRing } from "../../hosts/node/nic/uring";
import { fakeLinux } from "./uring_fake";

const EBUSY = 16, EINTR = 4;

const frame = (i: number, len: number): Uint8Array => new Uint8Array(len).map((_, j) => (i * 31 + j) & 0xff);

test("a submit hands Linux the queued bytes in order, and each result comes back by slot (arena across 4 GiB)", () => {
  const f = fakeLinux(0x1_ffff_ff80n);      // 128 bytes below 4 GiB: the second write's address carries
  const ring = WriteRing.open(f.sys, 7, 8, 4096) as WriteRing;
  assert.ok(ring instanceof WriteRing);
  const sizes = [60, 1514, 74, 130];
  const big = new Uint8Array(2000);
  sizes.forEach((n, i) => { big.set(frame(i, n)); assert.ok(ring.fits(n)); ring.queue(big, n, i); });
  assert.equal(ring.pending, 4);
  const done: [number, number][] = [];
  assert.equal(ring.submit((slot, r) => done.push([slot, r]), () => assert.fail("nothing is left over")), 0);
  assert.deepEqual(done, sizes.map((n, i) => [i, n]));
  assert.deepEqual(f.taken.map((t) => t.fd), [7, 7, 7, 7]);
  f.taken.forEach((t, i) => assert.deepEqual(t.bytes, [...frame(i, sizes[i])], `write ${i}`));
  assert.equal(ring.pending, 0);
  // The ring and arena are reused: more than `entries` writes over several submits.
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 8; i++) { big.set(frame(round * 8 + i, 100)); ring.queue(big, 100, i); }
    assert.equal(ring.fits(1), false, "the SQ is full");
    ring.submit(() => {}, () => assert.fail("nothing is left over"));
  }
  assert.equal(f.taken.length, 44);
  f.taken.slice(4).forEach((t, i) => assert.deepEqual(t.bytes, [...frame(i, 100)]));
  ring.close();
  assert.deepEqual(f.closed, [99]);
  assert.equal(f.unmapped, 3);
});

test("an enter that fails part-way: what Linux took is reported, the rest handed back in order, and the ring goes on", () => {
  const f = fakeLinux(0x7f00_0000_0000n);
  const ring = WriteRing.open(f.sys, 7, 8, 4096) as WriteRing;
  const buf = new Uint8Array(200);
  for (let i = 0; i < 5; i++) { buf.set(frame(i, 90 + i)); ring.queue(buf, 90 + i, i); }
  f.failAfter = { take: 2, errno: EBUSY, late: 1 };   // write 1's completion comes after the failure
  const done: number[] = [], rest: [number, number[]][] = [];
  assert.equal(ring.submit((slot) => done.push(slot), (slot, bytes) => rest.push([slot, [...bytes]])), EBUSY);
  assert.deepEqual(done, [0, 1], "write 1, taken, is waited for, not left to complete into the next batch");
  assert.deepEqual(rest.map(([slot]) => slot), [2, 3, 4]);
  rest.forEach(([slot, bytes]) => assert.deepEqual(bytes, [...frame(slot, 90 + slot)]));
  assert.equal(ring.pending, 0);
  buf.set(frame(9, 64));
  ring.queue(buf, 64, 0);
  const again: number[] = [];
  assert.equal(ring.submit((slot, r) => again.push(slot, r), () => assert.fail("nothing is left over")), 0);
  assert.deepEqual(again, [0, 64]);
  assert.deepEqual(f.taken.at(-1)!.bytes, [...frame(9, 64)], "written from where the SQ was backed out to");
});

test("an interrupted enter (EINTR) is entered again until every write is done", () => {
  const f = fakeLinux(0x10000n);
  const ring = WriteRing.open(f.sys, 7, 8, 4096) as WriteRing;
  const buf = new Uint8Array(100);
  for (let i = 0; i < 4; i++) ring.queue(buf, 60, i);
  f.failAfter = { take: 1, errno: EINTR };
  const done: number[] = [];
  assert.equal(ring.submit((slot) => done.push(slot), () => assert.fail("EINTR hands nothing back")), 0);
  assert.deepEqual(done, [0, 1, 2, 3]);
});

test("fits() refuses a write the arena cannot hold; no io_uring (setup fails) is null", () => {
  const f = fakeLinux(0x10000n);
  const ring = WriteRing.open(f.sys, 7, 8, 256) as WriteRing;
  assert.equal(ring.fits(256), true);
  assert.equal(ring.fits(257), false);
  ring.queue(new Uint8Array(200), 200, 0);
  assert.equal(ring.fits(40), true);
  assert.equal(ring.fits(57), false, "writes are 16-byte aligned in the arena");
  const none = fakeLinux(0x10000n);
  none.sys.setup = () => -1;
  assert.equal(typeof WriteRing.open(none.sys, 7, 8, 256), "string");
});

test("an io_uring without IORING_FEAT_RW_CUR_POS (Linux 5.4, 5.5: no IORING_OP_WRITE) is refused at open, nothing left open", () => {
  const f = fakeLinux(0x10000n);
  f.features = 1;         // SINGLE_MMAP only
  const r = WriteRing.open(f.sys, 7, 8, 4096);
  assert.equal(typeof r, "string");
  assert.match(r as string, /IORING_OP_WRITE/);
  assert.deepEqual(f.closed, [99]);
  assert.equal(f.unmapped, 0);
});

test("a failed enter whose taken writes cannot be waited for: each told by slot as -EAGAIN (not a device gone), and the ring marked broken", () => {
  const f = fakeLinux(0x10000n);
  const ring = WriteRing.open(f.sys, 7, 8, 4096) as WriteRing;
  for (let i = 0; i < 4; i++) ring.queue(new Uint8Array(100), 60, i);
  f.failAfter = { take: 3, errno: EBUSY, late: 2 };
  f.waitFails = EBUSY;
  const done: [number, number][] = [], rest: number[] = [];
  assert.equal(ring.submit((slot, r) => done.push([slot, r]), (slot) => rest.push(slot)), EBUSY);
  assert.deepEqual(done, [[0, 60], [1, -11], [2, -11]]);
  assert.deepEqual(rest, [3]);
  assert.equal(ring.broken, true);
});

test("queued writes of changing lengths from one buffer make no view each once warm", () => {
  const f = fakeLinux(0x10000n);
  const ring = WriteRing.open(f.sys, 7, 64, 64 * 128) as WriteRing;
  const buf = new Uint8Array(2000);
  for (let i = 0; i < 4; i++) ring.queue(buf, 70 + (i % 2) * 30, i);    // warm: one view per length
  ring.submit(() => {}, () => {});
  const sub = Uint8Array.prototype.subarray;
  let views = 0;
  Uint8Array.prototype.subarray = function (this: Uint8Array, ...a: [number?, number?]) { views++; return sub.apply(this, a); };
  try {
    for (let i = 0; i < 60; i++) ring.queue(buf, 70 + (i % 2) * 30, i);
  } finally {
    Uint8Array.prototype.subarray = sub;
  }
  assert.equal(views, 0);
});
