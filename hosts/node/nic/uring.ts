// A small io_uring for a TAP's writes (tap.ts): the frames the node sends in one turn are
// copied into a ring's arena as SQEs (IORING_OP_WRITE) and handed to Linux with one
// io_uring_enter instead of one write() each. A system call costs 0.3-0.7 µs here before it
// does anything (spec/performance.md "TAP router"), about as much as a small frame's own
// work, so a turn of 64 frames saves 63 of them. tun's write path does not block (the fd is
// O_NONBLOCK and its socket's send buffer is unbounded), so every write completes inside
// the enter, in order; the enter waits for all of them anyway (min_complete).
// Bound through koffi (no ioctl or mmap in Node): syscall(2) for io_uring_setup and
// io_uring_enter, mmap(2) for the rings, koffi.view for JS to read and write them.
// Reference: <linux/io_uring.h>, io_uring(7), liburing's setup.c / queue.c.

/** The libc calls and koffi helpers the ring needs (bound in tap.ts's libc()). */
export interface RingSys {
  setup(entries: number, params: Uint8Array): number;
  enter(fd: number, toSubmit: number, minComplete: number, flags: number): number;
  /** mmap(2) of the ring fd; null on failure. */
  map(len: number, fd: number, offset: number): { view: ArrayBuffer; address: bigint; unmap(): void } | null;
  /** An anonymous, private mapping (the arena the writes are copied into). */
  anon(len: number): { view: ArrayBuffer; address: bigint; unmap(): void } | null;
  close(fd: number): number;
  errno(): number;
  EINTR: number;
}

// <linux/io_uring.h>
const IORING_OP_WRITE = 23;
const IORING_ENTER_GETEVENTS = 1;
const IORING_FEAT_SINGLE_MMAP = 1;
const IORING_OFF_SQ_RING = 0;
const IORING_OFF_SQES = 0x10000000;
const SQE_SIZE = 64, CQE_SIZE = 16;
/* struct io_uring_params (120 bytes): sq_entries 0, cq_entries 4, flags 8, sq_thread_cpu 12,
 * sq_thread_idle 16, features 20, wq_fd 24, resv[3] 28; struct io_sqring_offsets sq_off at 40
 * (head, tail, ring_mask, ring_entries, flags, dropped, array, resv1: u32; user_addr: u64);
 * struct io_cqring_offsets cq_off at 80 (head, tail, ring_mask, ring_entries, overflow, cqes,
 * flags, resv1: u32; user_addr: u64). */
const P_SQ_ENTRIES = 0, P_CQ_ENTRIES = 4, P_FEATURES = 20, P_SQ_OFF = 40, P_CQ_OFF = 80, PARAMS_SIZE = 120;

/** How a queued write came out: bytes written, or -errno (Linux's numbers). */
export type WriteDone = (slot: number, result: number) => void;

export class WriteRing {
  /** Writes queued and not yet submitted. */
  pending = 0;
  private readonly sqHead: Uint32Array; private readonly sqTail: Uint32Array;
  private readonly cqHead: Uint32Array; private readonly cqTail: Uint32Array;
  private readonly sqMask: number; private readonly cqMask: number;
  private readonly sqes: DataView;
  private readonly cqes: DataView;
  private readonly arena: Uint8Array;
  /** The arena's address as two 32-bit halves (no BigInt per write: nothing allocated per frame). */
  private readonly arenaLo: number; private readonly arenaHi: number;
  private used = 0;           // arena bytes taken by pending writes
  private readonly unmaps: (() => void)[];

  private constructor(private readonly sys: RingSys, private readonly ringFd: number, private readonly fd: number,
    readonly entries: number, p: DataView, ring: ArrayBuffer, sqes: ArrayBuffer, arena: { view: ArrayBuffer; address: bigint }, unmaps: (() => void)[]) {
    const u32 = (off: number) => new Uint32Array(ring, p.getUint32(off, true), 1);
    this.sqHead = u32(P_SQ_OFF); this.sqTail = u32(P_SQ_OFF + 4);
    this.sqMask = new Uint32Array(ring, p.getUint32(P_SQ_OFF + 8, true), 1)[0];
    this.cqHead = u32(P_CQ_OFF); this.cqTail = u32(P_CQ_OFF + 4);
    this.cqMask = new Uint32Array(ring, p.getUint32(P_CQ_OFF + 8, true), 1)[0];
    // The SQ's index array maps slot i to SQE i, once: SQEs are used in ring order.
    const array = new Uint32Array(ring, p.getUint32(P_SQ_OFF + 24, true), entries);
    for (let i = 0; i < entries; i++) array[i] = i;
    this.sqes = new DataView(sqes);
    this.cqes = new DataView(ring, p.getUint32(P_CQ_OFF + 20, true));
    this.arena = new Uint8Array(arena.view);
    this.arenaLo = Number(arena.address & 0xffffffffn);
    this.arenaHi = Number(arena.address >> 32n);
    this.unmaps = unmaps;
  }

  /** A ring of `entries` writes to `fd` with `arenaBytes` to copy them into, or null if this
   *  Linux has no io_uring (ENOSYS; seccomp or io_uring_disabled: EPERM) or it cannot be
   *  mapped: the caller then writes frame by frame. */
  static open(sys: RingSys, fd: number, entries: number, arenaBytes: number): WriteRing | null {
    const params = new Uint8Array(PARAMS_SIZE);
    const ringFd = sys.setup(entries, params);
    if (ringFd < 0) return null;
    const p = new DataView(params.buffer);
    const sqEntries = p.getUint32(P_SQ_ENTRIES, true), cqEntries = p.getUint32(P_CQ_ENTRIES, true);
    const unmaps: (() => void)[] = [];
    const fail = () => { for (const u of unmaps) u(); sys.close(ringFd); return null; };
    if (!(p.getUint32(P_FEATURES, true) & IORING_FEAT_SINGLE_MMAP) || sqEntries < entries || cqEntries < sqEntries) return fail();
    const ringLen = Math.max(p.getUint32(P_SQ_OFF + 24, true) + sqEntries * 4, p.getUint32(P_CQ_OFF + 20, true) + cqEntries * CQE_SIZE);
    const ring = sys.map(ringLen, ringFd, IORING_OFF_SQ_RING);
    if (ring === null) return fail();
    unmaps.push(ring.unmap);
    const sqes = sys.map(sqEntries * SQE_SIZE, ringFd, IORING_OFF_SQES);
    if (sqes === null) return fail();
    unmaps.push(sqes.unmap);
    const arena = sys.anon(arenaBytes);
    if (arena === null) return fail();
    unmaps.push(arena.unmap);
    return new WriteRing(sys, ringFd, fd, sqEntries, p, ring.view, sqes.view, arena, unmaps);
  }

  /** True if a write of n bytes fits beside the pending ones (else submit first). */
  fits(n: number): boolean {
    return this.pending < this.entries && this.used + n <= this.arena.length;
  }

  /** Queues a write of buf[0, n) (copied into the arena) as write number `slot` of this
   *  batch; the caller checked fits(n). */
  queue(buf: Uint8Array, n: number, slot: number): void {
    const at = this.used;
    this.arena.set(n === buf.length ? buf : this.head(buf, n), at);
    this.used += (n + 15) & ~15;
    const tail = this.sqTail[0];
    const s = this.sqes, o = (tail & this.sqMask) * SQE_SIZE;
    const lo = this.arenaLo + at;
    s.setUint32(o, IORING_OP_WRITE, true);          // opcode, flags 0, ioprio 0
    s.setInt32(o + 4, this.fd, true);
    s.setInt32(o + 8, -1, true);                    // offset -1: none (tun is a stream)
    s.setInt32(o + 12, -1, true);
    s.setUint32(o + 16, lo >>> 0, true);            // addr
    s.setUint32(o + 20, this.arenaHi + (lo > 0xffffffff ? 1 : 0), true);
    s.setUint32(o + 24, n, true);
    s.setUint32(o + 28, 0, true);                   // rw_flags
    s.setUint32(o + 32, slot, true);                // user_data
    s.setUint32(o + 36, 0, true);
    for (let i = 40; i < SQE_SIZE; i += 4) s.setUint32(o + i, 0, true);   // buf_index, personality, ...
    Atomics.store(this.sqTail, 0, (tail + 1) >>> 0);
    this.pending++;
  }

  private last: Uint8Array | null = null;
  /** buf[0, n) as a view kept for the next write of the same length (one frame size a flow:
   *  no view per write). */
  private head(buf: Uint8Array, n: number): Uint8Array {
    const v = this.last;
    if (v !== null && v.buffer === buf.buffer && v.byteOffset === buf.byteOffset && v.length === n) return v;
    return (this.last = buf.subarray(0, n));
  }

  /** Forgets the pending writes (the device is gone): the caller counts them lost. */
  drop(): void {
    Atomics.store(this.sqTail, 0, this.sqHead[0]);
    this.pending = 0;
    this.used = 0;
  }

  /** Hands Linux every pending write and waits for them all; `done` hears each, by slot.
   *  Returns 0, or the errno io_uring_enter failed with: the writes it did not take are then
   *  still in the arena, and `rest` is told each one's bytes to write another way. */
  submit(done: WriteDone, rest: (slot: number, bytes: Uint8Array) => void): number {
    let want = this.pending, submitted = 0, reaped = 0, err = 0;
    while (reaped < want) {
      const r = this.sys.enter(this.ringFd, want - submitted, want - reaped, IORING_ENTER_GETEVENTS);
      if (r < 0) {
        const e = this.sys.errno();
        if (e === this.sys.EINTR) { reaped += this.reap(done); continue; }
        err = e;
        break;
      }
      submitted += r;
      reaped += this.reap(done);
    }
    if (err !== 0) {
      // What Linux did not take: back out of the SQ (the tail moves back over the ones not
      // consumed), then written by the caller, in order.
      reaped += this.reap(done);
      const taken = this.sqHead[0];
      const tail = this.sqTail[0];
      for (let i = taken; i !== tail; i = (i + 1) >>> 0) {
        const o = (i & this.sqMask) * SQE_SIZE;
        const addr = (this.sqes.getUint32(o + 16, true) - this.arenaLo) >>> 0;
        rest(this.sqes.getUint32(o + 32, true), this.arena.subarray(addr, addr + this.sqes.getUint32(o + 24, true)));
      }
      Atomics.store(this.sqTail, 0, taken);
      want = reaped;
    }
    this.pending = 0;
    this.used = 0;
    return err;
  }

  private reap(done: WriteDone): number {
    let head = this.cqHead[0], n = 0;
    const tail = Atomics.load(this.cqTail, 0);
    while (head !== tail) {
      const o = (head & this.cqMask) * CQE_SIZE;
      done(this.cqes.getUint32(o, true), this.cqes.getInt32(o + 8, true));
      head = (head + 1) >>> 0;
      n++;
    }
    Atomics.store(this.cqHead, 0, head);
    return n;
  }

  close(): void {
    for (const u of this.unmaps) u();
    this.unmaps.length = 0;
    this.sys.close(this.ringFd);
  }
}
