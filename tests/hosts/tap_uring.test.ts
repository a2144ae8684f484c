// The TAP's io_uring for writes (hosts/node/nic/uring.ts) against a fake Linux that plays
// io_uring_setup, the mmaps and io_uring_enter on plain memory: what a submit hands over is
// the queued bytes, in order, at the right addresses (also where the arena's address crosses
// 4 GiB); each write's result comes back by slot; an enter that fails part-way hands the
// writes Linux did not take back, in order, to be written another way, and the ring goes on
// working; fits() refuses a write that the SQ or the arena cannot hold.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { RingSys, WriteRing } from "../../hosts/node/nic/uring";

const EBUSY = 16, EINTR = 4;

interface Fake {
  sys: RingSys;
  /** What Linux took, in order: the target fd, user_data and the bytes. */
  taken: { fd: number; slot: number; bytes: number[] }[];
  /** The next enter takes this many and then fails with this errno (0: takes them all). */
  failAfter: { take: number; errno: number } | null;
  closed: number[];
  unmapped: number;
}

function fakeLinux(arenaAddress: bigint): Fake {
  const f: Fake = { sys: null!, taken: [], failAfter: null, closed: [], unmapped: 0 };
  let entries = 0, ring: ArrayBuffer | null = null, sqes: ArrayBuffer | null = null, arena: ArrayBuffer | null = null;
  // Offsets in the ring: SQ head 0, tail 4, mask 8, entries 12, array 64; CQ head 32, tail 36,
  // mask 40, entries 44, cqes from 64 + entries * 4 (rounded to 16).
  const cqesAt = () => (64 + entries * 4 + 15) & ~15;
  let errno = 0;
  f.sys = {
    setup(n, params) {
      entries = n;
      const p = new DataView(params.buffer, params.byteOffset);
      p.setUint32(0, n, true); p.setUint32(4, 2 * n, true); p.setUint32(20, 1, true);    // SINGLE_MMAP
      for (const [i, v] of [0, 4, 8, 12, 16, 20, 64].entries()) p.setUint32(40 + 4 * i, v, true);
      for (const [i, v] of [32, 36, 40, 44, 48, cqesAt(), 52].entries()) p.setUint32(80 + 4 * i, v, true);
      return 99;
    },
    map(len, fd, off) {
      assert.equal(fd, 99);
      const view = new ArrayBuffer(len);
      if (off === 0) {
        ring = view;
        const u = new Uint32Array(view);
        u[2] = entries - 1; u[3] = entries; u[10] = 2 * entries - 1; u[11] = 2 * entries;
        return { view, address: 0x1000n, unmap: () => { f.unmapped++; } };
      }
      sqes = view;
      return { view, address: 0x2000n, unmap: () => { f.unmapped++; } };
    },
    anon(len) {
      arena = new ArrayBuffer(len);
      return { view: arena, address: arenaAddress, unmap: () => { f.unmapped++; } };
    },
    enter(fd, toSubmit, minComplete, flags) {
      assert.equal(fd, 99);
      assert.equal(flags, 1, "GETEVENTS");
      const u = new Uint32Array(ring!), s = new DataView(sqes!), c = new DataView(ring!, cqesAt());
      const limit = f.failAfter === null ? toSubmit : Math.min(toSubmit, f.failAfter.take);
      let n = 0;
      while (n < limit && u[0] !== u[1]) {
        const idx = new Uint32Array(ring!, 64, entries)[u[0] & (entries - 1)];
        const o = idx * 64;
        assert.equal(s.getUint8(o), 23, "IORING_OP_WRITE");
        assert.equal(s.getBigInt64(o + 8, true), -1n, "no offset");
        const addr = s.getBigUint64(o + 16, true), len = s.getUint32(o + 24, true);
        const at = Number(addr - arenaAddress);
        const slot = Number(s.getBigUint64(o + 32, true));
        f.taken.push({ fd: s.getInt32(o + 4, true), slot, bytes: [...new Uint8Array(arena!, at, len)] });
        const cq = u[9] & (2 * entries - 1);
        c.setBigUint64(cq * 16, BigInt(slot), true);
        c.setInt32(cq * 16 + 8, len, true);
        u[9]++; u[0]++; n++;
      }
      if (f.failAfter !== null) {
        errno = f.failAfter.errno;
        f.failAfter = null;
        return -1;
      }
      assert.ok(n >= Math.min(minComplete, toSubmit));
      return n;
    },
    close(fd) { f.closed.push(fd); return 0; },
    errno: () => errno,
    EINTR,
  };
  return f;
}

const frame = (i: number, len: number): Uint8Array => new Uint8Array(len).map((_, j) => (i * 31 + j) & 0xff);

test("a submit hands Linux the queued bytes in order, and each result comes back by slot (arena across 4 GiB)", () => {
  const f = fakeLinux(0x1_ffff_ff80n);      // 128 bytes below 4 GiB: the second write's address carries
  const ring = WriteRing.open(f.sys, 7, 8, 4096)!;
  assert.ok(ring !== null);
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
  const ring = WriteRing.open(f.sys, 7, 8, 4096)!;
  const buf = new Uint8Array(200);
  for (let i = 0; i < 5; i++) { buf.set(frame(i, 90 + i)); ring.queue(buf, 90 + i, i); }
  f.failAfter = { take: 2, errno: EBUSY };
  const done: number[] = [], rest: [number, number[]][] = [];
  assert.equal(ring.submit((slot) => done.push(slot), (slot, bytes) => rest.push([slot, [...bytes]])), EBUSY);
  assert.deepEqual(done, [0, 1]);
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
  const ring = WriteRing.open(f.sys, 7, 8, 4096)!;
  const buf = new Uint8Array(100);
  for (let i = 0; i < 4; i++) ring.queue(buf, 60, i);
  f.failAfter = { take: 1, errno: EINTR };
  const done: number[] = [];
  assert.equal(ring.submit((slot) => done.push(slot), () => assert.fail("EINTR hands nothing back")), 0);
  assert.deepEqual(done, [0, 1, 2, 3]);
});

test("fits() refuses a write the arena cannot hold; no io_uring (setup fails) is null", () => {
  const f = fakeLinux(0x10000n);
  const ring = WriteRing.open(f.sys, 7, 8, 256)!;
  assert.equal(ring.fits(256), true);
  assert.equal(ring.fits(257), false);
  ring.queue(new Uint8Array(200), 200, 0);
  assert.equal(ring.fits(40), true);
  assert.equal(ring.fits(57), false, "writes are 16-byte aligned in the arena");
  const none = fakeLinux(0x10000n);
  none.sys.setup = () => -1;
  assert.equal(WriteRing.open(none.sys, 7, 8, 256), null);
});
