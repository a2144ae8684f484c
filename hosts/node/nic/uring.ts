// A small io_uring for a TAP's writes (tap.ts): the frames the node sends in one turn are
// copied into a ring's arena as SQEs (IORING_OP_WRITE) and handed to Linux with one
// io_uring_enter instead of one write() each. A system call costs 0.3-0.7 µs here before it
// does anything (spec/performance.md "TAP router"), about as much as a small frame's own
// work, so a turn of 64 frames saves 63 of them. Each write carries RWF_NOWAIT: a tun that
// cannot take a frame now completes it -EAGAIN (counted busy, as write() on the O_NONBLOCK
// fd answers) instead of io_uring parking it in a worker, which would block the enter that
// waits for it or reorder it behind later frames; the enter waits for all (min_complete).
// open() needs IORING_FEAT_RW_CUR_POS (Linux 5.6, the release that added IORING_OP_WRITE):
// 5.4 and 5.5 have io_uring but answer every IORING_OP_WRITE -EINVAL.
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
  EAGAIN: number;
  /** Why io_uring_setup failed with `errno`, in words (ENOSYS, EPERM and io_uring_disabled). */
  describe(errno: number): string;
}

// <linux/io_uring.h>
const IORING_OP_WRITE = 23;
const IORING_ENTER_GETEVENTS = 1;
const IORING_FEAT_SINGLE_MMAP = 1;
const IORING_FEAT_RW_CUR_POS = 1 << 3;   // Linux 5.6, with IORING_OP_WRITE
const RWF_NOWAIT = 0x8;                   // <linux/fs.h>: -EAGAIN rather than wait
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
  private readonly slotAt: Int32Array;   // where each slot's bytes are in the arena
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
    this.slotAt = new Int32Array(entries);
  }

  /** The `n` bytes queued as `slot` in this batch (for `done` to write them another way). */
  bytes(slot: number, n: number): Uint8Array {
    const at = this.slotAt[slot];
    return this.arena.subarray(at, at + n);
  }

  /** A ring of `entries` writes to `fd` with `arenaBytes` to copy them into, or why not, in
   *  words: this Linux has no io_uring (ENOSYS; seccomp or io_uring_disabled: EPERM), no
   *  IORING_OP_WRITE (before 5.6), or the rings cannot be mapped. The caller then writes
   *  frame by frame. */
  static open(sys: RingSys, fd: number, entries: number, arenaBytes: number): WriteRing | string {
    const params = new Uint8Array(PARAMS_SIZE);
    const ringFd = sys.setup(entries, params);
    if (ringFd < 0) return `io_uring_setup failed: ${sys.describe(sys.errno())}`;
    const p = new DataView(params.buffer);
    const sqEntries = p.getUint32(P_SQ_ENTRIES, true), cqEntries = p.getUint32(P_CQ_ENTRIES, true);
    const unmaps: (() => void)[] = [];
    const fail = (why: string) => { for (const u of unmaps) u(); sys.close(ringFd); return why; };
    const features = p.getUint32(P_FEATURES, true);
    if (!(features & IORING_FEAT_RW_CUR_POS)) return fail("this Linux's io_uring has no IORING_OP_WRITE (IORING_FEAT_RW_CUR_POS, Linux 5.6)");
    if (!(features & IORING_FEAT_SINGLE_MMAP)) return fail("no IORING_FEAT_SINGLE_MMAP");
    if (sqEntries < entries || cqEntries < sqEntries) return fail(`io_uring_setup gave ${sqEntries}/${cqEntries} entries, ${entries} asked`);
    const ringLen = Math.max(p.getUint32(P_SQ_OFF + 24, true) + sqEntries * 4, p.getUint32(P_CQ_OFF + 20, true) + cqEntries * CQE_SIZE);
    const ring = sys.map(ringLen, ringFd, IORING_OFF_SQ_RING);
    if (ring === null) return fail("cannot map the rings");
    unmaps.push(ring.unmap);
    const sqes = sys.map(sqEntries * SQE_SIZE, ringFd, IORING_OFF_SQES);
    if (sqes === null) return fail("cannot map the SQEs");
    unmaps.push(sqes.unmap);
    const arena = sys.anon(arenaBytes);
    if (arena === null) return fail(`cannot map a ${arenaBytes}-byte arena`);
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
    if (slot < this.entries) this.slotAt[slot] = at;
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
    s.setUint32(o + 28, RWF_NOWAIT, true);          // rw_flags: a full tun answers -EAGAIN
    s.setUint32(o + 32, slot, true);                // user_data
    s.setUint32(o + 36, 0, true);
    for (let i = 40; i < SQE_SIZE; i += 4) s.setUint32(o + i, 0, true);   // buf_index, personality, ...
    Atomics.store(this.sqTail, 0, (tail + 1) >>> 0);
    this.pending++;
  }

  /** Views of the source buffer, by length: made the first time a length is written, reused
   *  after (a flow's frames take a few lengths), so a copy allocates nothing once warm, even
   *  when the length changes from write to write. Bounded by the longest write; made again
   *  only if the caller hands a different buffer. (Buffer.copy would not do: Node 20 makes a
   *  view for any copy shorter than its source, and a word loop is 4x slower than set.) */
  private views: (Uint8Array | undefined)[] = [];
  private viewsOf: Uint8Array | null = null;
  private head(buf: Uint8Array, n: number): Uint8Array {
    if (this.viewsOf !== buf) { this.viewsOf = buf; this.views = []; }
    return this.views[n] ??= buf.subarray(0, n);
  }

  /** Forgets the pending writes (the device is gone): the caller counts them lost. */
  drop(): void {
    Atomics.store(this.sqTail, 0, this.sqHead[0]);
    this.pending = 0;
    this.used = 0;
  }

  /** Hands Linux every pending write and waits for them all; `done` hears each, by slot.
   *  Returns 0, or the errno io_uring_enter failed with: the writes it did not take are then
   *  still in the arena, and `rest` is told each one's bytes to write another way; the ones
   *  it took are waited for (an enter that only reaps), so none completes into a later
   *  batch's slots. If even that wait fails, they are told to `done` as -EAGAIN (their fate
   *  unknown: counted as a frame tun could not take, not as a device gone), and `broken` is
   *  set: the caller closes the ring, which ends them. */
  submit(done: WriteDone, rest: (slot: number, bytes: Uint8Array) => void): number {
    const want = this.pending, first = this.sqHead[0];
    let submitted = 0, reaped = 0, err = 0;
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
      // What Linux took (the SQ head moved over it) is waited for; what it did not take is
      // backed out of the SQ (the tail moves back) and written by the caller, in order.
      const taken = this.sqHead[0];
      const tail = this.sqTail[0];
      reaped += this.drain(done, ((taken - first) >>> 0) - reaped);
      for (let i = taken; i !== tail; i = (i + 1) >>> 0) {
        const o = (i & this.sqMask) * SQE_SIZE;
        const addr = (this.sqes.getUint32(o + 16, true) - this.arenaLo) >>> 0;
        rest(this.sqes.getUint32(o + 32, true), this.arena.subarray(addr, addr + this.sqes.getUint32(o + 24, true)));
      }
      Atomics.store(this.sqTail, 0, taken);
    }
    this.pending = 0;
    this.used = 0;
    return err;
  }

  /** True once a submit could not learn how writes Linux took came out: close the ring. */
  broken = false;

  /** Waits for `outstanding` completions of writes Linux took; returns how many came. */
  private drain(done: WriteDone, outstanding: number): number {
    let got = this.reap(done);
    while (got < outstanding) {
      const r = this.sys.enter(this.ringFd, 0, outstanding - got, IORING_ENTER_GETEVENTS);
      const e = r < 0 ? this.sys.errno() : 0;
      got += this.reap(done);
      if (r < 0 && e !== this.sys.EINTR && got < outstanding) {
        this.broken = true;
        // Which are still out: the slots of the taken SQEs whose completion did not come.
        this.lost(done, outstanding - got, -this.sys.EAGAIN);
        return outstanding;
      }
    }
    return got;
  }

  /** The last `count` writes Linux took, before the SQ head, told to `done` as `result`
   *  (tun completes writes in the order it takes them). */
  private lost(done: WriteDone, count: number, result: number): void {
    const taken = this.sqHead[0];
    for (let i = (taken - count) >>> 0; i !== taken; i = (i + 1) >>> 0) {
      done(this.sqes.getUint32((i & this.sqMask) * SQE_SIZE + 32, true), result);
    }
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
