// A fake Linux for the TAP's io_uring (hosts/node/nic/uring.ts): io_uring_setup, the mmaps
// and io_uring_enter played on plain memory, checking each SQE as Linux would take it
// (IORING_OP_WRITE, no offset, RWF_NOWAIT). Used by tap_uring.test.ts and tap_fake.test.ts.
import * as assert from "node:assert/strict";
import { RingSys } from "../../hosts/node/nic/uring";

const EINTR = 4;

export interface Fake {
  sys: RingSys;
  /** What Linux took, in order: the target fd, user_data and the bytes. */
  taken: { fd: number; slot: number; bytes: number[] }[];
  /** The next enter takes `take` and returns that, their completions but `late` posted
   *  (the rest come at a later enter that waits); the enter after fails with `errno`,
   *  taking nothing, as Linux's io_uring_enter does (it fails only if it submitted none). */
  failAfter: { take: number; errno: number; late?: number } | null;
  /** Completions of taken writes not yet posted (slot, result). */
  late: [number, number][];
  /** The next enter that only waits fails with this errno and posts nothing. */
  waitFails: number;
  /** What io_uring_setup reports in features (SINGLE_MMAP | RW_CUR_POS: Linux 5.6 on). */
  features: number;
  /** The result each write completes with (default: all its bytes). */
  result: (bytes: number[]) => number;
  closed: number[];
  unmapped: number;
  /** io_uring_setup calls. */
  setups: number;
  /** The arena's length (the last anon mapping). */
  arenaLen: number;
}

export function fakeLinux(arenaAddress: bigint): Fake {
  const f: Fake = { sys: null!, taken: [], failAfter: null, late: [], waitFails: 0, features: 1 | 8, result: (b) => b.length, closed: [], unmapped: 0, arenaLen: 0, setups: 0 };
  let entries = 0, ring: ArrayBuffer | null = null, sqes: ArrayBuffer | null = null, arena: ArrayBuffer | null = null;
  // Offsets in the ring: SQ head 0, tail 4, mask 8, entries 12, array 64; CQ head 32, tail 36,
  // mask 40, entries 44, cqes from 64 + entries * 4 (rounded to 16).
  const cqesAt = () => (64 + entries * 4 + 15) & ~15;
  let errno = 0;
  f.sys = {
    setup(n, params) {
      f.setups++;
      entries = n;
      const p = new DataView(params.buffer, params.byteOffset);
      p.setUint32(0, n, true); p.setUint32(4, 2 * n, true); p.setUint32(20, f.features, true);
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
      f.arenaLen = len;
      return { view: arena, address: arenaAddress, unmap: () => { f.unmapped++; } };
    },
    enter(fd, toSubmit, minComplete, flags) {
      assert.equal(fd, 99);
      assert.equal(flags, 1, "GETEVENTS");
      const u = new Uint32Array(ring!), s = new DataView(sqes!), c = new DataView(ring!, cqesAt());
      const post = (slot: number, result: number) => {
        const cq = u[9] & (2 * entries - 1);
        c.setBigUint64(cq * 16, BigInt(slot), true);
        c.setInt32(cq * 16 + 8, result, true);
        u[9]++;
      };
      if (f.failAfter !== null && f.failAfter.take < 0) {      // the enter after a partial take
        errno = f.failAfter.errno;
        f.failAfter = null;
        return -1;
      }
      if (toSubmit === 0 && f.waitFails !== 0) { errno = f.waitFails; f.waitFails = 0; return -1; }
      for (const [slot, r] of f.late.splice(0)) post(slot, r);
      const limit = f.failAfter === null ? toSubmit : Math.min(toSubmit, f.failAfter.take);
      const late = f.failAfter?.late ?? 0;
      let n = 0;
      while (n < limit && u[0] !== u[1]) {
        const idx = new Uint32Array(ring!, 64, entries)[u[0] & (entries - 1)];
        const o = idx * 64;
        assert.equal(s.getUint8(o), 23, "IORING_OP_WRITE");
        assert.equal(s.getBigInt64(o + 8, true), -1n, "no offset");
        assert.equal(s.getUint32(o + 28, true), 8, "rw_flags RWF_NOWAIT: a full tun answers -EAGAIN, the write is not parked");
        const addr = s.getBigUint64(o + 16, true), len = s.getUint32(o + 24, true);
        const at = Number(addr - arenaAddress);
        const slot = Number(s.getBigUint64(o + 32, true));
        const bytes = [...new Uint8Array(arena!, at, len)];
        f.taken.push({ fd: s.getInt32(o + 4, true), slot, bytes });
        if (n >= limit - late) f.late.push([slot, f.result(bytes)]);
        else post(slot, f.result(bytes));
        u[0]++; n++;
      }
      if (f.failAfter !== null) {
        f.failAfter = { take: -1, errno: f.failAfter.errno };
        return n;
      }
      assert.ok(n >= Math.min(minComplete, toSubmit));
      return n;
    },
    close(fd) { f.closed.push(fd); return 0; },
    errno: () => errno,
    EINTR,
    EAGAIN: 11,
    describe: (e) => `errno ${e}`,
  };
  return f;
}

