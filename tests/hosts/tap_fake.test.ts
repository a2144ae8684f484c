// The TAP NIC (hosts/node/nic/tap.ts) against a fake libc that plays Linux, so what Linux
// would do rarely or only on some kernels can be made to happen, deterministically, without
// a device: reads that are 64 KiB GSO super-frames (how many frames one readable turn
// delivers), TUNSETOFFLOAD refusing USO (UDP is then not merged), a GSO write refused with
// EINVAL (merging of that kind stops, reported once), and with a fake io_uring (uring_fake.ts):
// a ring Linux cannot give or that refuses plain writes (frames written by write(), said
// once), super-frames written directly past a ring sized for the MTU, a full tun counted busy,
// no ring left open when the NIC cannot be made.
import { test, afterEach } from "node:test";
import * as assert from "node:assert/strict";
import { RX_BATCH, TapNic } from "../../hosts/node/nic/tap";
import { Libc, useLibcForTests } from "../../hosts/node/nic/tap_device";
import { Errno } from "../../abi/errno";
import { RingSys } from "../../hosts/node/nic/uring";
import { fakeLinux } from "./uring_fake";
import { sendFrame } from "../../hosts/node/nic/nic";
import { GSO_FRAME_MAX } from "../../abi/kernel";

const E: Record<string, number> = {
  EPERM: 1, ENOENT: 2, EINTR: 4, EIO: 5, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EBUSY: 16, EINVAL: 22, ENOBUFS: 105,
};
const TUNSETOFFLOAD = 0x400454d0;

interface Fake {
  lib: Libc;
  /** What the next reads return, vnet header first. */
  reads: Uint8Array[];
  /** Every write, copied. */
  writes: Uint8Array[];
  /** The TUNSETOFFLOAD flags asked for, in order. */
  offloadAsked: number[];
  /** The poll callback the NIC registered. */
  turn(): void;
}

function fake(o: { offloadOk?: (flags: number) => boolean; writeErrno?: (buf: Uint8Array) => number; ring?: RingSys; pollThrows?: boolean } = {}): Fake {
  let errno = 0;
  let readable: ((status: number) => void) | null = null;
  const f: Fake = {
    reads: [], writes: [], offloadAsked: [],
    turn: () => readable!(0),
    lib: {
      open: () => 3,
      ioctl: () => 0,
      ioctlValue: (_fd, request, arg) => {
        if (request !== TUNSETOFFLOAD) return 0;
        f.offloadAsked.push(arg);
        if (o.offloadOk === undefined || o.offloadOk(arg)) return 0;
        errno = E.EINVAL;
        return -1;
      },
      socket: () => 4,
      read: (_fd, buf) => {
        const r = f.reads.shift();
        if (r === undefined) { errno = E.EAGAIN; return -1; }
        buf.set(r);
        return r.length;
      },
      write: (_fd, buf, n) => {
        const e = o.writeErrno?.(buf.subarray(0, n)) ?? 0;
        if (e !== 0) { errno = e; return -1; }
        f.writes.push(buf.slice(0, n));
        return n;
      },
      close: () => 0,
      errno: () => errno,
      E,
      describe: (e) => `errno ${e}`,
      poll: (_fd, cb) => {
        if (o.pollThrows) throw new Error("uv_poll_init: EPERM");
        readable = cb;
        return { close() {} };
      },
      ring: o.ring,
    },
  };
  return f;
}

afterEach(() => useLibcForTests(null));

const SRC = [0xfd, 0, 0, 0xa, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
const DST = [0xfd, 0, 0, 0xb, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
const ETH = [2, 0, 0, 0, 0xb, 2, 2, 0, 0, 0, 0xb, 1, 0x86, 0xdd];

function ip6(l4: number[], proto: number): number[] {
  return [...ETH, 0x60, 0, 0, 0, l4.length >> 8, l4.length & 0xff, proto, 64, ...SRC, ...DST, ...l4];
}
/** A GSO_TCPV6 read: vnet header, then one TCP segment of `data` bytes to be cut at gsoSize. */
function tcpSuper(data: number, gsoSize: number): Uint8Array {
  const tcp = [0x9c, 0x40, 0x13, 0x89, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x10, 2, 0, 0, 0, 0, 0];
  const f = ip6([...tcp, ...new Array<number>(data).fill(0x5a)], 6);
  const vnet = [1, 4, 74, 0, gsoSize & 0xff, gsoSize >> 8, 54, 0, 16, 0];
  return new Uint8Array([...vnet, ...f]);
}

/** Sums like RFC 1071 over the IPv6 pseudo-header and the transport bytes, filled in. */
function udpFrame(data: number[], sport = 5000): Uint8Array {
  const len = 8 + data.length;
  const f = new Uint8Array(ip6([sport >> 8, sport & 0xff, 0x14, 0x51, len >> 8, len & 0xff, 0, 0, ...data], 17));
  let s = 0;
  const words = [...f.subarray(22, 54), 0, 0, len >> 8, len & 0xff, 0, 0, 0, 17, ...f.subarray(54)];
  for (let i = 0; i < words.length; i += 2) s += words[i] * 256 + (words[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  const c = (0xffff - s) || 0xffff;
  f[60] = c >> 8; f[61] = c & 0xff;
  return f;
}

test("a readable turn delivers RX_BATCH frames counted after the split, not RX_BATCH reads of 45 segments each", async () => {
  const f = fake();
  useLibcForTests(f.lib);
  const nic = await TapNic.open({ id: 0, device: "q8fake0", offload: true });
  try {
    let got = 0;
    nic.onFrame = () => { got++; };
    for (let i = 0; i < 20; i++) f.reads.push(tcpSuper(45 * 1440, 1440));
    f.turn();
    // The read that reaches RX_BATCH finishes its super-frame: at most RX_BATCH - 1 + 45.
    assert.ok(got >= RX_BATCH && got <= RX_BATCH - 1 + 45, `one turn delivered ${got} frames`);
    let turns = 1;
    while (f.reads.length > 0) { f.turn(); turns++; }
    f.turn();
    assert.equal(got, 20 * 45, "every segment arrives over the later turns");
    assert.ok(turns >= 10, `20 super-frames took ${turns} turns`);
    assert.equal(nic.counters().rx_gso, 20);
  } finally {
    nic.close();
  }
});

const settle = () => new Promise<void>((r) => setImmediate(r));
const datagrams = (n: number, sport = 5000) => Array.from({ length: n }, (_, i) => udpFrame(new Array<number>(100).fill(i), sport));

test("sendAt writes the frame at an offset of a larger memory, as the node hands it over: the same bytes as send", async () => {
  const f = fake();
  useLibcForTests(f.lib);
  const nic = await TapNic.open({ id: 0, device: "q8fake2", offload: true });
  try {
    const [d] = datagrams(1);
    assert.equal(sendFrame(nic, d), 0);
    const memory = new Uint8Array(d.length + 50).fill(0xee);
    memory.set(d, 29);
    assert.equal(nic.sendAt(memory, 29, d.length), 0);
    await settle();
    assert.equal(f.writes.length, 2);
    assert.deepEqual([...f.writes[1]], [...f.writes[0]], "vnet header and frame alike, nothing of what lies around it");
  } finally {
    nic.close();
  }
});

test("USO is asked for as USO4 and USO6 together; where Linux refuses it, UDP is not merged even if asked", async () => {
  const refusing = fake({ offloadOk: (flags) => (flags & 0x60) === 0 });
  useLibcForTests(refusing.lib);
  const nic = await TapNic.open({ id: 0, device: "q8fake0", offload: true, udpGro: true });
  try {
    assert.deepEqual(refusing.offloadAsked, [0x65, 0x05], "CSUM|TSO6|USO4|USO6, then CSUM|TSO6");
    assert.equal(nic.uso, false);
    for (const d of datagrams(10)) assert.equal(sendFrame(nic, d), 0);
    await settle();
    assert.equal(refusing.writes.length, 10, "each datagram written alone");
    assert.ok(refusing.writes.every((w) => w[1] === 0), "no write is a GSO frame");
    assert.equal(nic.counters().tx_lost, 0);
  } finally {
    nic.close();
  }
  const taking = fake();
  useLibcForTests(taking.lib);
  const nic2 = await TapNic.open({ id: 1, device: "q8fake1", offload: true, udpGro: true });
  try {
    assert.equal(nic2.uso, true);
    for (const d of datagrams(10)) sendFrame(nic2, d);
    await settle();
    assert.equal(taking.writes.length, 1, "where Linux took USO the 10 datagrams go as one super-frame");
    assert.equal(taking.writes[0][1], 5, "GSO_UDP_L4");
  } finally {
    nic2.close();
  }
});

test("a merged write Linux refuses with EINVAL stops that kind's merging on the NIC, reported once", async () => {
  const f = fake({ writeErrno: (w) => (w[1] === 5 ? E.EINVAL : 0) });
  useLibcForTests(f.lib);
  const nic = await TapNic.open({ id: 0, device: "q8fake0", offload: true, udpGro: true });
  const told: string[] = [];
  nic.onError = (m) => told.push(m);
  try {
    for (const d of datagrams(10)) sendFrame(nic, d);
    await settle();
    assert.equal(nic.counters().tx_lost, 10, "the refused super-frame's datagrams are lost, and counted");
    for (let round = 0; round < 3; round++) {
      for (const d of datagrams(10, 6000 + round)) sendFrame(nic, d);
      await settle();
    }
    assert.equal(f.writes.length, 30, "later datagrams go alone and arrive");
    assert.equal(nic.counters().tx_lost, 10);
    assert.equal(nic.counters().tx_gso_refused, 1);
    assert.equal(told.length, 1, told.join("\n"));
    assert.match(told[0], /UDP is no longer merged/);
  } finally {
    nic.close();
  }
});

test("a GSO read whose gso_size exceeds the NIC's MTU is refused, not split into frames the kernel would drop", async () => {
  const f = fake();
  useLibcForTests(f.lib);
  const nic = await TapNic.open({ id: 0, device: "q8fake0", offload: true, mtu: 1500 });
  try {
    let got = 0;
    nic.onFrame = () => { got++; };
    f.reads.push(tcpSuper(16000, 8000), tcpSuper(16000, 1440), tcpSuper(64000, 1));
    f.turn();
    f.turn();
    assert.equal(nic.counters().rx_gso_bad, 1, "gso_size 8000 on a 1500-byte link");
    assert.equal(got, 12 + 128, "gso_size 1440: 12 frames; gso_size 1: cut at GSO_SEGS_MAX");
    assert.equal(nic.counters().rx_gso_capped, 1);
  } finally {
    nic.close();
  }
});

/** A TCP segment (ACK, 20-byte header) with a right checksum, `data` bytes of payload. */
function tcpFrame(seq: number, data: number): Uint8Array {
  const tcp = [0x9c, 0x40, 0x13, 0x89, seq >>> 24, (seq >>> 16) & 0xff, (seq >>> 8) & 0xff, seq & 0xff,
    0, 0, 0, 1, 0x50, 0x10, 2, 0, 0, 0, 0, 0];
  const f = new Uint8Array(ip6([...tcp, ...new Array<number>(data).fill(seq & 0xff)], 6));
  const len = f.length - 54;
  let s = 0;
  const words = [...f.subarray(22, 54), 0, 0, len >> 8, len & 0xff, 0, 0, 0, 6, ...f.subarray(54)];
  for (let i = 0; i < words.length; i += 2) s += words[i] * 256 + (words[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  const c = 0xffff - s;
  f[70] = c >> 8; f[71] = c & 0xff;
  return f;
}

test("a merged write that fails at the flush is counted per frame, and a send on a link known down answers what its own write met", async () => {
  let errno = E.EIO;
  const f = fake({ writeErrno: () => errno });
  useLibcForTests(f.lib);
  const nic = await TapNic.open({ id: 0, device: "q8fake0", offload: true });
  const told: string[] = [];
  nic.onError = (m) => told.push(m);
  try {
    for (let i = 0; i < 10; i++) assert.equal(sendFrame(nic, tcpFrame(1000 + i * 1000, 1000)), 0);
    await settle();
    const c = nic.counters();
    assert.equal(c.tx_lost, 10);
    assert.equal(c.tx_link_down, 10, "ten frames met a link that was down, not one write");
    assert.equal(c.send_errors, 10);
    assert.equal(told.length, 1, "reported once");
    // Known down; the next write meets a full queue (EAGAIN), not a down link: -ENOSPC.
    errno = E.EAGAIN;
    assert.equal(sendFrame(nic, tcpFrame(50_000, 100)), -Errno.ENOSPC);
    assert.equal(nic.counters().tx_busy, 1);
    assert.equal(nic.counters().tx_lost, 10, "send's own result, not a loss after it");
    errno = 0;
    assert.equal(sendFrame(nic, tcpFrame(60_000, 100)), 0);
    assert.equal(f.writes.length, 1);
  } finally {
    nic.close();
  }
});

const plain = (i: number): Uint8Array => new Uint8Array(ip6(new Array<number>(40 + i).fill(i), 59));

test("io_uring unavailable (io_uring_setup fails): said once with why, tx_ring 0, frames written by write()", async () => {
  const r = fakeLinux(0x10000n);
  r.sys.setup = () => -1;
  r.sys.errno = () => 38;
  r.sys.describe = (e) => `ENOSYS (errno ${e})`;
  const f = fake({ ring: r.sys });
  useLibcForTests(f.lib);
  const nic = await TapNic.open({ id: 0, device: "q8fake0", offload: true });
  const told: string[] = [];
  nic.onError = (m) => told.push(m);
  try {
    for (let i = 0; i < 3; i++) assert.equal(sendFrame(nic, plain(i)), 0);
    await settle();
    assert.equal(told.length, 1);
    assert.match(told[0], /not through io_uring \(io_uring_setup failed: ENOSYS/);
    assert.equal(nic.counters().tx_ring, 0);
    assert.equal(f.writes.length, 3);
  } finally {
    nic.close();
  }
});

test("a ring that answers a plain frame's write EINVAL (Linux without IORING_OP_WRITE): written again with write(), ring closed, said once", async () => {
  const r = fakeLinux(0x10000n);
  r.result = () => -E.EINVAL;
  const f = fake({ ring: r.sys });
  useLibcForTests(f.lib);
  const nic = await TapNic.open({ id: 0, device: "q8fake0", offload: true, mtu: 1500 });
  const told: string[] = [];
  nic.onError = (m) => told.push(m);
  try {
    assert.equal(nic.counters().tx_ring, 1);
    for (let i = 0; i < 3; i++) assert.equal(sendFrame(nic, plain(i)), 0);
    await settle();
    assert.equal(r.taken.length, 3, "the ring took them, and refused them");
    assert.deepEqual(f.writes.map((w) => w.length), [0, 1, 2].map((i) => 10 + plain(i).length), "each written again, in order");
    let c = nic.counters();
    assert.equal(c.tx_lost, 0);
    assert.equal(c.tx_writes, 3);
    assert.equal(c.tx_ring, 0);
    assert.deepEqual(r.closed, [99]);
    assert.equal(r.unmapped, 3);
    for (let i = 3; i < 5; i++) assert.equal(sendFrame(nic, plain(i)), 0);
    await settle();
    assert.equal(r.taken.length, 3, "no more ring");
    assert.equal(f.writes.length, 5);
    c = nic.counters();
    assert.equal(c.tx_ring_submits, 1);
    assert.equal(told.length, 1);
    assert.match(told[0], /EINVAL/);
  } finally {
    nic.close();
  }
});

test("a 45-segment TCP turn: the super-frame is written directly, past a ring whose arena is sized for the MTU", async () => {
  const r = fakeLinux(0x10000n);
  const f = fake({ ring: r.sys });
  useLibcForTests(f.lib);
  const nic = await TapNic.open({ id: 0, device: "q8fake0", offload: true, mtu: 1500 });
  try {
    assert.ok(r.arenaLen <= 64 * 1536, `arena of ${r.arenaLen} bytes`);
    for (let i = 0; i < 45; i++) assert.equal(sendFrame(nic, tcpFrame(1000 + i * 1440, 1440)), 0);
    await settle();
    assert.equal(r.taken.length, 0, "nothing went through the ring");
    assert.equal(f.writes.length, 1);
    assert.equal(f.writes[0].length, 10 + 74 + 45 * 1440);
    assert.equal(nic.counters().tx_gso, 1);
  } finally {
    nic.close();
  }
});

test("a ring write that meets a full tun (-EAGAIN, RWF_NOWAIT) is counted busy, as write() would be", async () => {
  const r = fakeLinux(0x10000n);
  r.result = () => -E.EAGAIN;
  const f = fake({ ring: r.sys });
  useLibcForTests(f.lib);
  const nic = await TapNic.open({ id: 0, device: "q8fake0", offload: true });
  try {
    for (let i = 0; i < 2; i++) assert.equal(sendFrame(nic, plain(i)), 0);
    await settle();
    const c = nic.counters();
    assert.equal(c.tx_busy, 2);
    assert.equal(c.tx_lost, 2);
    assert.equal(c.tx_ring, 1, "the ring stays");
  } finally {
    nic.close();
  }
});

test("a NIC whose poll cannot start leaves no ring open", async () => {
  const r = fakeLinux(0x10000n);
  const f = fake({ ring: r.sys, pollThrows: true });
  useLibcForTests(f.lib);
  await assert.rejects(TapNic.open({ id: 0, device: "q8fake0", offload: true }), /uv_poll_init/);
  assert.equal(r.closed.length, r.setups, "every ring set up is closed");
  assert.equal(r.unmapped, 0 + (r.setups > 0 ? 3 : 0));
});

// ——— TCP super-frames handed to the kernel whole (onSuper) and written whole (sendGsoAt) ———

test("a TCP super-frame goes to onSuper whole, once, counted as its segments; anything else is split as before", async () => {
  const f = fake();
  useLibcForTests(f.lib);
  const nic = await TapNic.open({ id: 0, device: "q8fake0", offload: true, mtu: 1500 });
  try {
    const wholes: { len: number; gso: number; first: number }[] = [];
    let frames = 0;
    nic.onSuper = (frame, gso) => { wholes.push({ len: frame.length, gso, first: frame[0] }); };
    nic.onFrame = () => { frames++; };
    f.reads.push(tcpSuper(45 * 1440, 1440));           // taken whole
    const ext = tcpSuper(3000, 1440); ext[VNET + 20] = 17; // UDP in the IPv6 header: no TCP super-frame
    f.reads.push(ext);
    f.reads.push(tcpSuper(1000, 1440));                 // one segment only: split (a checksum completed)
    const late = tcpSuper(3000, 1440); late[6] = 62;    // csum_start past an extension header that is not there
    f.reads.push(late);
    const big = tcpSuper(3000, 1461);                   // a segment over the MTU's frame: split refuses it too
    f.reads.push(big);
    f.turn();
    assert.deepEqual(wholes, [{ len: 14 + 40 + 20 + 45 * 1440, gso: 1440, first: 2 }]);
    assert.equal(frames, 1, "the one-segment frame went as a frame");
    const c = nic.counters();
    assert.equal(c.rx_gso_whole, 1);
    assert.equal(c.rx_frames, 45 + 1, "the whole one counted as its 45 segments");
    assert.equal(c.rx_gso_bad, 3, "the UDP-in-TCPV6, misplaced and oversized reads refused by the split, as before");
    nic.onSuper = null;                                  // a node that takes none: split
    f.reads.push(tcpSuper(3 * 1440, 1440));
    f.turn();
    assert.equal(frames, 4);
    assert.equal(wholes.length, 1);
  } finally {
    nic.close();
  }
});

test("after a super-frame taken whole, the next read goes straight into the node's Buf.GSO: taken there without a copy; a frame that is not one is copied out and received as ever; no target, no read there", async () => {
  const f = fake();
  useLibcForTests(f.lib);
  const nic = await TapNic.open({ id: 0, device: "q9fake0", offload: true, mtu: 1500 });
  try {
    const kernel = new Uint8Array(300_000);              // the kernel's memory, as the node hands it over
    let at = 1000;                                       // Buf.GSO: it moves after each one taken whole
    let offer = true;                                    // false: the kernel is busy (k_rx_batch)
    const taken: { at: number; len: number; gso: number; bytes: Uint8Array }[] = [];
    const wholes: number[] = [], frames: Uint8Array[] = [];
    nic.gsoSink = {
      target: () => offer ? { bytes: kernel, at, cap: GSO_FRAME_MAX } : null,
      taken: (len, gso) => { taken.push({ at, len, gso, bytes: kernel.slice(at, at + len) }); at += 80_000; },
    };
    nic.onSuper = (frame) => { wholes.push(frame.length); };
    nic.onFrame = (frame) => { frames.push(frame.slice()); };
    // Where each read that found a frame landed: the NIC's own buffer, or the kernel's at the
    // frame's address (its vnet header before it).
    const landed: string[] = [];
    const read = f.lib.read;
    f.lib.read = (fd, buf, n) => {
      const r = read(fd, buf, n);
      if (r >= 0) landed.push(buf.buffer === kernel.buffer ? `kernel ${buf.byteOffset + VNET}` : "nic");
      return r;
    };
    const a = tcpSuper(45 * 1440, 1440), b = tcpSuper(30 * 1440, 1440), c = tcpSuper(20 * 1440, 1440);
    b[VNET + 60] = 0x77; c[VNET + 60] = 0x66;            // told apart by a byte of their payload
    f.reads.push(a, b, c);
    f.turn();                                            // 45 + 30 segments: past RX_BATCH, the turn ends
    f.turn();
    assert.deepEqual(landed, ["nic", "kernel 1000", "kernel 81000"], "the first into the NIC's buffer, the next two where Buf.GSO was");
    assert.deepEqual(wholes, [a.length - VNET], "only the first went through onSuper (the node copies it)");
    assert.deepEqual(taken.map((t) => [t.at, t.len, t.gso]), [[1000, b.length - VNET, 1440], [81000, c.length - VNET, 1440]]);
    assert.deepEqual(taken[0].bytes, b.subarray(VNET), "the frame lies at Buf.GSO");
    assert.deepEqual(taken[1].bytes, c.subarray(VNET));
    let cnt = nic.counters();
    assert.equal(cnt.rx_gso_whole, 3);
    assert.equal(cnt.rx_gso_in_place, 2);
    assert.equal(cnt.rx_frames, 45 + 30 + 20);
    // A UDP datagram read there (the guess was wrong) is copied out and goes as a frame, whole;
    // the read after it goes to the NIC's own buffer again.
    const udp = new Uint8Array([...new Array<number>(VNET).fill(0), ...udpFrame([1, 2, 3, 4])]);
    f.reads.push(udp, tcpSuper(3 * 1440, 1440));
    f.turn();
    assert.deepEqual(frames, [udp.subarray(VNET)]);
    assert.deepEqual(landed.slice(3), ["kernel 161000", "nic"]);
    assert.equal(wholes.length, 2, "the super-frame after it went through onSuper");
    // Offered no Buf.GSO (the kernel busy), the read goes to the NIC's buffer.
    offer = false;
    f.reads.push(tcpSuper(4 * 1440, 1440));
    f.turn();
    assert.deepEqual(landed.slice(5), ["nic"]);
    assert.equal(wholes.length, 3);
    // A target without room for the vnet header before it is not read into either.
    offer = true;
    at = VNET - 1;
    f.reads.push(tcpSuper(4 * 1440, 1440));
    f.turn();
    assert.deepEqual(landed.slice(6), ["nic"]);
    assert.equal(wholes.length, 4);
    cnt = nic.counters();
    assert.equal(cnt.rx_gso_in_place, 2);
    assert.equal(cnt.rx_gso_whole, 6);
  } finally {
    nic.close();
  }
});

const VNET = 10;

/** The kernel's side of a super-frame: the frame alone, 20 TCP header bytes, `data` of 0x5a. */
function kernelSuper(data: number, cwr = false): Uint8Array {
  const f = tcpSuper(data, 1440).subarray(VNET);
  if (cwr) f[14 + 40 + 13] |= 0x80;
  return f;
}

test("sendGsoAt writes one super-frame behind a GSO_TCPV6 vnet header, after what was queued before it", async () => {
  const f = fake();
  useLibcForTests(f.lib);
  const nic = await TapNic.open({ id: 0, device: "q8fake0", offload: true });
  try {
    const before = udpFrame([1, 2, 3]);
    assert.equal(sendFrame(nic, before), 0);             // queued in the coalescer until the turn ends
    const sf = kernelSuper(10 * 1440 + 7, true);
    const mem = new Uint8Array(100 + sf.length); mem.set(sf, 100);
    assert.equal(nic.sendGsoAt!(mem, 100, sf.length, 1440), 0);
    assert.equal(f.writes.length, 2, "the queued frame was written first");
    assert.deepEqual([...f.writes[0].subarray(VNET)], [...before]);
    const w = f.writes[1];
    assert.deepEqual([...w.subarray(0, VNET)], [1, 4 | 0x80, 74, 0, 1440 & 0xff, 1440 >> 8, 54, 0, 16, 0],
      "NEEDS_CSUM, GSO_TCPV6 with ECN for CWR, hdr_len 74, gso_size, csum_start 54, csum_offset 16");
    assert.deepEqual([...w.subarray(VNET)], [...sf]);
    const c = nic.counters();
    assert.equal(c.tx_gso_whole, 1);
    assert.equal(c.tx_frames, 1 + 11);
    assert.equal(nic.sendGsoAt!(mem, 100, 40, 1440), -Errno.EINVAL, "shorter than its headers");
    assert.equal(nic.sendGsoAt!(mem, 100, sf.length, 0), -Errno.EINVAL, "no segment size");
  } finally {
    nic.close();
  }
});

test("sendGsoAt on a TAP without offloads cuts the super-frame and writes each segment, checksums filled", async () => {
  let writes = 0, failFirst = -1;
  const f = fake({ writeErrno: () => (++writes === 6 || writes === failFirst ? E.EAGAIN : 0) });
  useLibcForTests(f.lib);
  const nic = await TapNic.open({ id: 0, device: "q8fake0", offload: false, mtu: 1500 });
  try {
    const sf = kernelSuper(3 * 1440 + 100);
    assert.equal(nic.sendGsoAt!(sf, 0, sf.length, 1440), 0);
    assert.deepEqual(f.writes.map((w) => w.length), [74 + 1440, 74 + 1440, 74 + 1440, 74 + 100]);
    for (const [k, w] of f.writes.entries()) {
      assert.equal((w[14 + 4] << 8) | w[14 + 5], 20 + (k < 3 ? 1440 : 100), "payload length");
      const seq = ((w[58] << 24) | (w[59] << 16) | (w[60] << 8) | w[61]) >>> 0;
      assert.equal(seq, 1 + k * 1440, "the sequence number steps by each segment's payload");
      // The checksum over the pseudo-header and the segment comes to zero.
      const words = [...w.subarray(22, 54), 0, 0, (w.length - 54) >> 8, (w.length - 54) & 0xff, 0, 0, 0, 6, ...w.subarray(54)];
      let s = 0;
      for (let i = 0; i < words.length; i += 2) s += words[i] * 256 + (words[i + 1] ?? 0);
      while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
      assert.equal(s, 0xffff, `segment ${k}'s checksum`);
    }
    // A later segment that cannot be written is counted here, as lost; the answer is the first's.
    assert.equal(nic.sendGsoAt!(sf, 0, sf.length, 1440), 0);
    assert.equal(f.writes.length, 4 + 3);
    assert.equal(nic.counters().send_errors, 1);
    assert.equal(nic.counters().tx_lost, 1);
    // A first segment that cannot be written is the answer, and nothing more is written.
    assert.equal(nic.sendGsoAt!(sf, 0, sf.length, 1440), 0);   // writes 8-11
    failFirst = writes + 1;
    assert.equal(nic.sendGsoAt!(sf, 0, sf.length, 1440), -Errno.ENOSPC);
    assert.equal(f.writes.length, 4 + 3 + 4, "none of the other three segments was written");
  } finally {
    nic.close();
  }
});
