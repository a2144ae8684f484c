// The TAP's offloads on literal bytes (hosts/node/nic/offload.ts), no device needed: a GSO
// super-frame from Linux is split into link-sized frames whose lengths, sequence numbers,
// flags and checksums are right (checksums checked by an independent, plain computation
// here); what the Coalescer merges and writes splits back into exactly the frames it was
// given; frames that must not be merged (another flow, a gap in the sequence, a bad
// checksum, SYN/FIN, a short datagram in the middle) are not; NEEDS_CSUM is completed; and a
// malformed vnet header or GSO frame is refused by name, never thrown on (also random bytes).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  Coalescer, F_NEEDS_CSUM, GSO_NONE, GSO_TCPV4, GSO_TCPV6, GSO_UDP_L4, VNET_HDR_LEN, readVnetHdr, receive, writeVnetHdr, sum16, fold,
} from "../../hosts/node/nic/offload";
import { checksumBuffer, checksumMemory, checksumsInJs, wasmSum } from "../../hosts/node/nic/csum";
import { GSO_SEGS_MAX } from "../../abi/kernel";

const SRC = [0xfd, 0, 0, 0xa, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
const DST = [0xfd, 0, 0, 0xb, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
const ETH = [2, 0, 0, 0, 0xb, 2, 2, 0, 0, 0, 0xb, 1, 0x86, 0xdd];

/** RFC 1071 the slow way: 16-bit words summed as a whole, folded once at the end. */
function inetSum(bytes: number[]): number {
  let s = 0;
  for (let i = 0; i < bytes.length; i += 2) s += bytes[i] * 256 + (bytes[i + 1] ?? 0);
  while (s > 0xffff) s = Math.floor(s / 65536) + (s % 65536);
  return s;
}
/** The checksum a transport header must carry: ~sum(pseudo-header, segment with its field 0). */
function expectedChecksum(frame: Uint8Array, proto: number, csumAt: number): number {
  const l4 = Array.from(frame.subarray(54));
  l4[csumAt] = 0; l4[csumAt + 1] = 0;
  const len = l4.length;
  const pseudo = [...frame.subarray(22, 54), 0, 0, len >> 8, len & 0xff, 0, 0, 0, proto];
  const c = 0xffff - inetSum([...pseudo, ...l4]);
  return c === 0 && proto === 17 ? 0xffff : c;
}
const be16 = (f: Uint8Array, at: number) => f[at] * 256 + f[at + 1];
const be32 = (f: Uint8Array, at: number) => be16(f, at) * 65536 + be16(f, at + 2);

function ip6(l4: number[], proto: number, hop = 64): Uint8Array {
  const f = new Uint8Array([...ETH, 0x60, 0, 0, 0, l4.length >> 8, l4.length & 0xff, proto, hop, ...SRC, ...DST, ...l4]);
  return f;
}
function withChecksum(f: Uint8Array, proto: number): Uint8Array {
  const at = proto === 6 ? 16 : 6;
  const c = expectedChecksum(f, proto, at);
  f[54 + at] = c >> 8; f[54 + at + 1] = c & 0xff;
  return f;
}
const payload = (n: number, seed: number) => Array.from({ length: n }, (_, i) => (i * 7 + seed * 13) & 0xff);

function tcp(seq: number, data: number[], flags = 0x10, opts: { sport?: number; window?: number } = {}): Uint8Array {
  const sport = opts.sport ?? 40000, window = opts.window ?? 512;
  const h = [sport >> 8, sport & 0xff, 0x13, 0x89, seq >>> 24, (seq >>> 16) & 0xff, (seq >>> 8) & 0xff, seq & 0xff,
    0, 0, 0x10, 0x01, 0x80, flags, window >> 8, window & 0xff, 0, 0, 0, 0,
    1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2];                       // NOP NOP timestamps: a 32-byte header
  return withChecksum(ip6([...h, ...data], 6), 6);
}
function udp(data: number[], sport = 5000): Uint8Array {
  const len = 8 + data.length;
  return withChecksum(ip6([sport >> 8, sport & 0xff, 0x14, 0x51, len >> 8, len & 0xff, 0, 0, ...data], 17), 17);
}

/** A read as Linux gives it: vnet header, then the frame. */
function read(h: Partial<ReturnType<typeof readVnetHdr>>, frame: Uint8Array): Uint8Array {
  const b = new Uint8Array(VNET_HDR_LEN + frame.length);
  writeVnetHdr(b, 0, { flags: 0, gsoType: GSO_NONE, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0, ...h });
  b.set(frame, VNET_HDR_LEN);
  return b;
}
/** A GSO super-frame as Linux's TSO/USO gives it: one header set, payload_len the total,
 *  checksum field holding the pseudo-header sum. */
function superFrame(first: Uint8Array, proto: number, data: number[]): Uint8Array {
  const hdr = proto === 6 ? 54 + (first[54 + 12] >> 4) * 4 : 62;
  const f = new Uint8Array([...first.subarray(0, hdr), ...data]);
  const l4len = f.length - 54;
  f[18] = l4len >> 8; f[19] = l4len & 0xff;
  if (proto === 17) { f[58] = l4len >> 8; f[59] = l4len & 0xff; }
  const at = 54 + (proto === 6 ? 16 : 6);
  const ps = inetSum([...f.subarray(22, 54), 0, 0, l4len >> 8, l4len & 0xff, 0, 0, 0, proto]);
  f[at] = ps >> 8; f[at + 1] = ps & 0xff;
  return f;
}
function receiveAll(buf: Uint8Array, frameMax = 1514): { r: string | number; frames: Uint8Array[] } {
  const frames: Uint8Array[] = [];
  const r = receive(buf, buf.length, new Uint8Array(frameMax), frameMax, (f) => frames.push(f.slice()));
  return { r, frames };
}

test("a TCP super-frame from Linux splits into MSS-sized segments with the right sequence numbers, flags and checksums", () => {
  const data = payload(3000, 1);
  const first = tcp(1_000_000, [], 0x18 | 0x01);                 // ACK PSH FIN on the super-frame
  const sf = superFrame(first, 6, data);
  const { r, frames } = receiveAll(read({ flags: F_NEEDS_CSUM, gsoType: GSO_TCPV6, hdrLen: 86, gsoSize: 1428, csumStart: 54, csumOffset: 16 }, sf));
  assert.equal(r, 3);
  assert.deepEqual(frames.map((f) => f.length), [86 + 1428, 86 + 1428, 86 + 144]);
  frames.forEach((f, i) => {
    assert.equal(be32(f, 58), 1_000_000 + i * 1428, "sequence number");
    assert.equal(be16(f, 18), f.length - 54, "IPv6 payload length");
    assert.equal(f[54 + 13], i === 2 ? 0x19 : 0x10, "PSH and FIN only on the last");
    assert.equal(be16(f, 70), expectedChecksum(f, 6, 16), "TCP checksum");
    assert.deepEqual(Array.from(f.subarray(86)), data.slice(i * 1428, (i + 1) * 1428));
  });
});

test("CWR stays on the first segment of a split only", () => {
  const sf = superFrame(tcp(7, [], 0x90), 6, payload(2000, 1));
  const { frames } = receiveAll(read({ flags: F_NEEDS_CSUM, gsoType: GSO_TCPV6 | 0x80, hdrLen: 86, gsoSize: 1000, csumStart: 54, csumOffset: 16 }, sf));
  assert.deepEqual(frames.map((f) => f[54 + 13]), [0x90, 0x10]);
  for (const f of frames) assert.equal(be16(f, 70), expectedChecksum(f, 6, 16));
});

test("a UDP (USO) super-frame splits into datagrams with their own length and checksum", () => {
  const data = payload(64 * 5 + 10, 2);
  const sf = superFrame(udp(payload(64, 0)), 17, data);
  const { r, frames } = receiveAll(read({ flags: F_NEEDS_CSUM, gsoType: GSO_UDP_L4, hdrLen: 62, gsoSize: 64, csumStart: 54, csumOffset: 6 }, sf));
  assert.equal(r, 6);
  frames.forEach((f, i) => {
    assert.equal(be16(f, 58), f.length - 54, "UDP length");
    assert.equal(be16(f, 60), expectedChecksum(f, 17, 6), "UDP checksum");
    assert.deepEqual(Array.from(f.subarray(62)), data.slice(i * 64, (i + 1) * 64));
  });
});

test("a NEEDS_CSUM frame gets its checksum completed; a DATA_VALID or plain frame passes untouched", () => {
  const good = udp(payload(100, 3));
  const partial = good.slice();
  const ps = inetSum([...partial.subarray(22, 54), 0, 0, 0, 108, 0, 0, 0, 17]);
  partial[60] = ps >> 8; partial[61] = ps & 0xff;
  const { r, frames } = receiveAll(read({ flags: F_NEEDS_CSUM, csumStart: 54, csumOffset: 6 }, partial));
  assert.equal(r, 1);
  assert.deepEqual(frames[0], good);
  assert.deepEqual(receiveAll(read({ flags: 2 }, good)).frames[0], good);
  assert.deepEqual(receiveAll(read({}, good)).frames[0], good);
});

test("what the Coalescer merges splits back into exactly the frames it was given (TCP and UDP)", () => {
  const writes: { bytes: Uint8Array; frames: number }[] = [];
  const c = new Coalescer((buf, n, frames) => writes.push({ bytes: buf.slice(0, n), frames }), true);
  const segs = [0, 1, 2, 3].map((i) => tcp(5000 + i * 1428, payload(i === 3 ? 500 : 1428, i), i === 3 ? 0x18 : 0x10));
  const dgrams = [0, 1, 2, 3, 4].map((i) => udp(payload(64, 10 + i)));
  for (const f of [...segs, ...dgrams]) c.add(f);
  c.flush();
  assert.deepEqual(writes.map((w) => w.frames), [4, 5]);
  const [t, u] = writes.map((w) => w.bytes);
  const th = readVnetHdr(t), uh = readVnetHdr(u);
  assert.deepEqual(th, { flags: F_NEEDS_CSUM, gsoType: GSO_TCPV6, hdrLen: 86, gsoSize: 1428, csumStart: 54, csumOffset: 16 });
  assert.deepEqual(uh, { flags: F_NEEDS_CSUM, gsoType: GSO_UDP_L4, hdrLen: 62, gsoSize: 64, csumStart: 54, csumOffset: 6 });
  assert.equal(be16(t, VNET_HDR_LEN + 18), t.length - VNET_HDR_LEN - 54, "the super-frame's payload length is its total");
  assert.equal(t[VNET_HDR_LEN + 54 + 13], 0x18, "the last segment's PSH is kept");
  assert.deepEqual(receiveAll(t).frames, segs);
  assert.deepEqual(receiveAll(u).frames, dgrams);
  assert.equal(c.merged, 3 + 4);
});

test("frames that do not continue the open one are written alone, unchanged and in order", () => {
  const writes: { bytes: Uint8Array; frames: number }[] = [];
  const c = new Coalescer((buf, n, frames) => writes.push({ bytes: buf.slice(0, n), frames }), true);
  const corrupt = tcp(1000 + 1428, payload(1428, 9));
  corrupt[100] ^= 1;                                               // its checksum no longer verifies
  const frames = [
    tcp(1000, payload(1428, 8)), corrupt,                          // not merged: bad checksum
    tcp(1000 + 2856, payload(1428, 8)), tcp(1000 + 2856 + 1429, payload(1428, 8)),   // a gap
    tcp(1, payload(1428, 1), 0x12),                                // SYN
    tcp(10, payload(1428, 1)), tcp(10 + 1428, payload(1428, 1), 0x10, { sport: 40001 }),   // another flow
    tcp(10, payload(1428, 1)), tcp(10 + 1428, payload(1428, 1), 0x10, { window: 513 }),    // another window
    udp(payload(64, 1)), udp(payload(30, 1)),                      // a short datagram ends it
    udp(payload(64, 1)), udp(payload(64, 1)), udp(payload(64, 1), 5001),   // two merge; another port
    ip6([1, 2, 3, 4, 5, 6, 7, 8, 9], 58),                          // ICMPv6: never merged
  ];
  for (const f of frames) c.add(f);
  c.flush();
  assert.deepEqual(writes.map((w) => w.frames), [1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 1, 1]);
  const singles = writes.filter((w) => w.frames === 1).map((w) => w.bytes);
  for (const w of singles) assert.deepEqual(Array.from(w.subarray(0, VNET_HDR_LEN)), new Array(VNET_HDR_LEN).fill(0));
  const out = writes.flatMap((w) => receiveAll(w.bytes).frames);
  assert.deepEqual(out, frames, "every frame comes back out, in order, byte for byte");
});

test("a segment that differs from the open super-frame in any header byte the merge compares is not merged", () => {
  // Ethernet, IPv6 but its payload length, the ports, acknowledgement, data offset, window,
  // urgent pointer and options: each byte flipped in turn (its checksum made right again).
  const compared = [[0, 18], [20, 58], [62, 67], [68, 70], [72, 86]].flatMap(([a, b]) => Array.from({ length: b - a }, (_, i) => a + i));
  const first = tcp(1000, payload(1428, 8));
  const merged: number[] = [];
  for (const at of compared) {
    const writes: number[] = [];
    const c = new Coalescer((_buf, _n, frames) => writes.push(frames));
    const next = tcp(1000 + 1428, payload(1428, 8));
    next[at] ^= 0x04;
    c.add(first);
    c.add(withChecksum(next, 6));
    c.flush();
    if (writes.length !== 2) merged.push(at);
  }
  assert.deepEqual(merged, [], "bytes at which a differing segment was merged anyway");
  const writes: number[] = [];
  const c = new Coalescer((_buf, _n, frames) => writes.push(frames));
  c.add(first); c.add(tcp(1000 + 1428, payload(1428, 8))); c.flush();
  assert.deepEqual(writes, [2], "the same segment unchanged is merged");
});

test("UDP is merged only when asked (udp: true); TCP always", () => {
  const writes: number[] = [];
  const c = new Coalescer((_buf, _n, frames) => writes.push(frames));
  for (const f of [udp(payload(64, 1)), udp(payload(64, 2)), tcp(1, payload(100, 1)), tcp(101, payload(100, 2))]) c.add(f);
  c.flush();
  assert.deepEqual(writes, [1, 1, 2]);
});

test("malformed vnet headers and GSO frames are refused by name", () => {
  const sf = superFrame(tcp(1, []), 6, payload(3000, 1));
  const ok = { flags: F_NEEDS_CSUM, gsoType: GSO_TCPV6, hdrLen: 86, gsoSize: 1428, csumStart: 54, csumOffset: 16 };
  assert.equal(receiveAll(read(ok, sf)).r, 3);
  const refused = (h: Partial<typeof ok>, f = sf, max = 1514) => receiveAll(read({ ...ok, ...h }, f), max).r;
  assert.equal(receiveAll(new Uint8Array(12)).r, "rx_vnet_short");
  assert.equal(refused({ gsoType: GSO_TCPV4 }), "rx_gso_bad");
  assert.equal(refused({ gsoType: 3 }), "rx_gso_bad");
  assert.equal(refused({ gsoType: GSO_UDP_L4, csumOffset: 6 }), "rx_gso_bad", "a TCP frame called UDP");
  assert.equal(refused({ flags: 0 }), "rx_gso_bad", "GSO without NEEDS_CSUM");
  assert.equal(refused({ csumStart: 40 }), "rx_gso_bad");
  assert.equal(refused({ csumOffset: 6 }), "rx_gso_bad");
  assert.equal(refused({ gsoSize: 0 }), "rx_gso_bad");
  assert.equal(refused({ gsoSize: 1500 }), "rx_gso_bad", "a segment larger than the link's frame");
  const lying = sf.slice(); lying[18] ^= 0x40;
  assert.equal(refused({}, lying), "rx_gso_bad", "a payload length that disagrees with the read");
  const v4 = sf.slice(); v4[12] = 0x08; v4[13] = 0;
  assert.equal(refused({}, v4), "rx_gso_bad", "not IPv6");
  const ext = sf.slice(); ext[20] = 0;
  assert.equal(refused({}, ext), "rx_gso_bad", "an extension header");
  const doff = sf.slice(); doff[54 + 12] = 0x40;
  assert.equal(refused({}, doff), "rx_gso_bad", "a TCP data offset under 20 bytes");
  const many = superFrame(udp(payload(8, 0)), 17, payload(8 * 65, 1));
  assert.equal(refused({ gsoType: GSO_UDP_L4, hdrLen: 62, gsoSize: 8, csumOffset: 6 }, many), "rx_gso_bad", "over 64 UDP segments");
  assert.equal(receiveAll(read({ flags: F_NEEDS_CSUM, csumStart: 54, csumOffset: 2000 }, udp([1]))).r, "rx_vnet_bad_csum");
  assert.equal(receiveAll(read({ flags: F_NEEDS_CSUM, csumStart: 3, csumOffset: 0 }, udp([1]))).r, "rx_vnet_bad_csum");
});

test("random reads and random frames never throw", () => {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 16;
  const c = new Coalescer(() => {}, true);
  const base = superFrame(tcp(1, []), 6, payload(4000, 1));
  for (let i = 0; i < 20000; i++) {
    const b = read({ flags: F_NEEDS_CSUM, gsoType: GSO_TCPV6, hdrLen: 86, gsoSize: 1428, csumStart: 54, csumOffset: 16 }, base);
    const flips = 1 + (rnd() % 4);
    for (let k = 0; k < flips; k++) b[rnd() % (i % 2 ? 100 : b.length)] = rnd() & 0xff;
    const n = rnd() % (b.length + 1);
    receive(b, n, new Uint8Array(1514), 1514, () => {});
    c.add(b.subarray(VNET_HDR_LEN, Math.max(VNET_HDR_LEN, n)));
  }
  c.flush();
});

test("gso_size is bounded by the link's frame and a split by GSO_SEGS_MAX: gso_size 1 on 64 KiB gives 128 frames, not 65,000", () => {
  const data = payload(64000, 3);
  const sf = superFrame(tcp(7, [], 0x18 | 0x01), 6, data);
  const h = { flags: F_NEEDS_CSUM, gsoType: GSO_TCPV6, hdrLen: 86, gsoSize: 1, csumStart: 54, csumOffset: 16 };
  const { r, frames } = receiveAll(read(h, sf));
  assert.equal(r, -GSO_SEGS_MAX, "cut short, and said so");
  assert.equal(frames.length, GSO_SEGS_MAX);
  frames.forEach((f, i) => {
    assert.equal(be32(f, 58), 7 + i, "sequence number");
    assert.equal(f[54 + 13], 0x10, "no FIN or PSH: the rest of the data (and the FIN) is not here");
    assert.equal(be16(f, 70), expectedChecksum(f, 6, 16));
  });
  // 1500-byte link: 86 bytes of headers leave 1428 of payload; 1429 is refused, 1428 taken.
  assert.equal(receiveAll(read({ ...h, gsoSize: 1429 }, sf)).r, "rx_gso_bad");
  assert.equal(receiveAll(read({ ...h, gsoSize: 1428 }, sf)).r, 45);
  // The same frame on a 9000-byte link is split at 8914.
  assert.equal(receiveAll(read({ ...h, gsoSize: 8914 }, sf), 9014).r, 8);
});

test("a TCP super-frame with a destination options header (PadN) splits with the header kept in every segment", () => {
  const data = payload(3000, 4);
  const tcpHdr = Array.from(tcp(500, [], 0x18).subarray(54));      // 32 bytes, ACK PSH
  const dstopts = [6, 0, 1, 4, 0, 0, 0, 0];                        // next TCP, 8 bytes, PadN of 4
  const l4 = [...dstopts, ...tcpHdr, ...data];
  const f = ip6(l4, 60);
  const { r, frames } = receiveAll(read({ flags: F_NEEDS_CSUM, gsoType: GSO_TCPV6, hdrLen: 94, gsoSize: 1420, csumStart: 62, csumOffset: 16 }, f));
  assert.equal(r, 3);
  assert.deepEqual(frames.map((g) => g.length), [94 + 1420, 94 + 1420, 94 + 160]);
  frames.forEach((g, i) => {
    assert.equal(g[20], 60, "next header: destination options");
    assert.deepEqual(Array.from(g.subarray(54, 62)), dstopts, "the extension header, unchanged");
    assert.equal(be16(g, 18), g.length - 54, "IPv6 payload length counts the extension header");
    assert.equal(be32(g, 62 + 4), 500 + i * 1420, "sequence number");
    assert.equal(g[62 + 13], i === 2 ? 0x18 : 0x10, "PSH only on the last");
    // Independent checksum: pseudo-header with the TCP length (not the IPv6 payload length).
    const t = Array.from(g.subarray(62)); t[16] = 0; t[17] = 0;
    const len = t.length;
    const c = 0xffff - inetSum([...g.subarray(22, 54), 0, 0, len >> 8, len & 0xff, 0, 0, 0, 6, ...t]);
    assert.equal(be16(g, 62 + 16), c, "TCP checksum");
    assert.deepEqual(Array.from(g.subarray(94)), data.slice(i * 1420, (i + 1) * 1420));
  });
  // The chain must end exactly at csum_start, with TCP after it.
  const h = { flags: F_NEEDS_CSUM, gsoType: GSO_TCPV6, hdrLen: 94, gsoSize: 1420, csumStart: 62, csumOffset: 16 };
  assert.equal(receiveAll(read({ ...h, csumStart: 70 }, f)).r, "rx_gso_bad", "csum_start inside TCP");
  const udpNext = f.slice(); udpNext[54] = 17;
  assert.equal(receiveAll(read(h, udpNext)).r, "rx_gso_bad", "the chain ends in UDP, the GSO type says TCP");
  const hbhLate = ip6([60, 0, 1, 4, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 0, ...tcpHdr, ...data], 60);
  hbhLate[54] = 0;                                                  // hop-by-hop after destination options
  hbhLate[62] = 6;
  assert.equal(receiveAll(read({ ...h, csumStart: 70, gsoSize: 1412 }, hbhLate)).r, "rx_gso_bad", "hop-by-hop not first");
  const hbhFirst = ip6([60, 0, 1, 4, 0, 0, 0, 0, 6, 0, 1, 4, 0, 0, 0, 0, ...tcpHdr, ...data], 0);
  assert.equal(receiveAll(read({ ...h, csumStart: 70, gsoSize: 1412 }, hbhFirst)).r, 3, "hop-by-hop first, then destination options");
});

test("split makes no view per segment: full-sized segments come as one reused view, and a read sharing the segment's buffer splits the same", () => {
  const data = payload(6000, 9);
  const sf = superFrame(tcp(77, [], 0x18), 6, data);
  const h = { flags: F_NEEDS_CSUM, gsoType: GSO_TCPV6, hdrLen: 86, gsoSize: 1428, csumStart: 54, csumOffset: 16 };
  const r = read(h, sf);
  // The read and the segment buffer in one ArrayBuffer, as tap.ts allocates them.
  const mem = new ArrayBuffer(r.length + 1514);
  const rx = new Uint8Array(mem, 0, r.length), seg = new Uint8Array(mem, r.length, 1514);
  const views: Uint8Array[] = [], copies: Uint8Array[] = [];
  for (let round = 0; round < 2; round++) {
    rx.set(r);
    assert.equal(receive(rx, rx.length, seg, 1514, (f) => { views.push(f); copies.push(f.slice()); }), 5);
  }
  const full = views.filter((v) => v.length === 86 + 1428);
  assert.equal(full.length, 8);
  assert.ok(full.every((v) => v === full[0]), "one view for every full-sized segment, over both reads");
  assert.equal(views[4], views[9], "and one for the last, shorter one");
  const plain = receiveAll(r).frames;
  assert.deepEqual(copies.slice(0, 5).map((c) => Array.from(c)), plain.map((c) => Array.from(c)), "the same bytes as with separate buffers");
});

/** The ones'-complement sum of b[start, end) byte by byte, from `sum`, folded: what sum16 must give. */
function refSum(b: Uint8Array, start: number, end: number, sum: number): number {
  let i = start;
  for (; i + 1 < end; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (i < end) sum += b[i] << 8;
  return fold(sum);
}

test("sum16 equals a byte-by-byte ones'-complement sum at every alignment, length and starting sum", () => {
  const ref = refSum;
  const buf = new Uint8Array(70_003);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 7919 + (i >> 5)) & 0xff;
  // Every offset of the view in its buffer and of the start in the view (word-aligned, even,
  // odd), short and long lengths around the 32-byte and 16-byte steps, odd ends.
  for (let off = 0; off < 8; off++) {
    const b = buf.subarray(off);
    for (let start = 0; start < 9; start++) {
      for (const len of [0, 1, 2, 3, 31, 32, 33, 34, 35, 47, 48, 63, 64, 65, 66, 67, 1220, 1460, 1461, 9000, 65_535]) {
        assert.equal(fold(sum16(b, start, start + len, 7)), ref(b, start, start + len, 7), `offset ${off}, start ${start}, ${len} bytes`);
      }
    }
  }
  // All-ones words, the most a sum can carry: 64 KiB of 0xff.
  const ones = new Uint8Array(65_540).fill(0xff);
  assert.equal(fold(sum16(ones, 2, 65_538)), ref(ones, 2, 65_538, 0));
  // A view into the middle of a buffer whose length is not a whole number of words.
  const odd = new Uint8Array(new ArrayBuffer(1_003), 1, 1_001).map((_, i) => (i * 31) & 0xff);
  assert.equal(fold(sum16(odd, 1, 1_001, 0xfffe)), ref(odd, 1, 1_001, 0xfffe));
});

test("sum16 in a registered Wasm memory (csum.ts's SIMD loop) gives the byte-by-byte sum, at every alignment and length, and after the memory grows", () => {
  // Around the loop's 64-byte step and its 16 KiB blocks (a run of 16,448 is one block and one step).
  const lengths = [0, 1, 2, 3, 31, 32, 33, 34, 63, 64, 65, 66, 127, 128, 129, 1220, 1460, 1461, 9000,
    16_383, 16_384, 16_385, 16_447, 16_448, 16_449, 32_832, 65_535, 65_536];
  const check = (buf: ArrayBuffer, what: string) => {
    const all = new Uint8Array(buf);
    for (let i = 0; i < all.length; i++) all[i] = (i * 7919 + (i >> 5) + (i >> 13)) & 0xff;
    for (let off = 0; off < 5; off++) {
      const b = all.subarray(off, 70_000);
      for (let start = 0; start < 5; start++) {
        for (const len of lengths) {
          assert.equal(fold(sum16(b, start, start + len, 7)), refSum(b, start, start + len, 7), `${what}: offset ${off}, start ${start}, ${len} bytes`);
        }
      }
    }
    // All-ones words, the most each lane of the loop can carry, over more than its 16 KiB block.
    all.fill(0xff, 0, 65_540);
    assert.equal(fold(sum16(all, 2, 65_538)), refSum(all, 2, 65_538, 0), `${what}: 64 KiB of 0xff`);
    assert.equal(fold(sum16(all.subarray(1), 0, 65_537, 0xfffe)), refSum(all.subarray(1), 0, 65_537, 0xfffe), `${what}: an odd view`);
  };
  assert.equal(checksumsInJs(), null, "this build sums in Wasm");
  const own = checksumBuffer(70_000);
  assert.notEqual(wasmSum(own), null, "a checksum buffer is summed in Wasm");
  assert.equal(wasmSum(new ArrayBuffer(70_000)), null, "a plain buffer is not");
  check(own, "a TAP's buffer");
  // A memory that grows, as the kernel's may: its new buffer is summed in Wasm too.
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
  checksumMemory(memory);
  const before = memory.buffer;
  assert.notEqual(wasmSum(before), null);
  memory.grow(1);
  assert.notEqual(wasmSum(memory.buffer), null, "the grown memory's new buffer");
  check(memory.buffer, "a grown memory");
});
