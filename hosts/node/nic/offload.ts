// The TAP's offloads in the host (tap.ts opens the device with IFF_VNET_HDR): every frame
// crosses the TAP behind a 10-byte struct virtio_net_hdr, which lets Linux hand over and
// take GSO "super-frames" (up to 64 KiB of one TCP or UDP flow behind one set of headers)
// and frames whose checksum is left for the other end to fill (NEEDS_CSUM).
//
//  - Read side (gsoSplit, completeChecksum): what Linux sends is cut back into ordinary
//    frames no larger than the link's, each with its own headers and a complete checksum,
//    before the kernel sees it. The kernel never sees a vnet header or a GSO frame.
//  - Write side (Coalescer): the frames the kernel sends in one turn are merged, when they
//    are consecutive segments of one TCP flow or equal-sized datagrams of one UDP flow, into
//    one super-frame that Linux receives once (GRO done in the host), as wireguard-go's
//    tun/offload_linux.go does for a TUN.
//
// Only IPv6 over Ethernet is split (with hop-by-hop, routing and destination options headers
// kept in each segment) or merged (without extension headers); the kernel routes IPv6 only,
// any other frame passes alone. A malformed vnet header or GSO frame from Linux
// is refused (the caller counts and drops it); nothing here throws on any input.
// Reference: <linux/virtio_net.h>, include/linux/virtio_net.h (virtio_net_hdr_to_skb),
// wireguard-go tun/offload_linux.go (gsoSplit, applyTCPCoalesceAccounting).

/*
 * struct virtio_net_hdr, <linux/virtio_net.h> (virtio 1.x spec 5.1.6): 10 bytes before each
 * frame on a TAP opened with IFF_VNET_HDR, little-endian fields.
 *
 *   offset 0  u8  flags        NEEDS_CSUM (1): checksum from csum_start, stored at
 *                              csum_start + csum_offset; DATA_VALID (2): already checked
 *   offset 1  u8  gso_type     NONE 0, TCPV4 1, UDP 3, TCPV6 4, UDP_L4 5; | ECN 0x80
 *   offset 2  u16 hdr_len      Ethernet + IP + transport header length (a hint only)
 *   offset 4  u16 gso_size     payload bytes per segment
 *   offset 6  u16 csum_start   where the checksummed part starts (frame offset)
 *   offset 8  u16 csum_offset  where, from csum_start, the checksum goes (TCP 16, UDP 6)
 */

import { wasmSum } from "./csum";
import { GSO_FRAME_MAX, GSO_SEGS_MAX } from "../../../abi/kernel";
import { ETH_HDR, ETH_TYPE, ETHERTYPE_IPV6 } from "../../../wire/layout/ethernet";
import { IP_HDR, IP_PLEN, IP_NEXT, IP_SRC, IP_DST, NH_TCP, NH_UDP, NH_HOPOPT, NH_ROUTING, NH_DSTOPT } from "../../../wire/layout/ipv6";
import { UDP_LENGTH, UDP_CHECKSUM, UDP_CHECKSUM_ZERO, UDP_HDR } from "../../../wire/layout/udp";
import { EXT_NEXT, EXT_LEN, EXT_UNIT, RH_TYPE, RH_SEGMENTS_LEFT } from "../../../wire/layout/ext";
import { TCP_PORTS, TCP_SEQ, TCP_ACKNUM, TCP_OFFSET, TCP_FLAGS, TCP_WINDOW, TCP_CHECKSUM, TCP_URGENT, TCP_HDR,
  TCP_FIN, TCP_PSH, TCP_ACK, TCP_CWR } from "../../../wire/layout/tcp";

/** sizeof(struct virtio_net_hdr): what TUNSETVNETHDRSZ is given; every read and write
 *  starts with one. Its fields are little-endian here (x86-64 and arm64; tun uses the
 *  host's order for a non-"legacy big-endian" device). */
export const VNET_HDR_LEN = 10;
export const F_NEEDS_CSUM = 1;   // VIRTIO_NET_HDR_F_NEEDS_CSUM
export const F_DATA_VALID = 2;   // VIRTIO_NET_HDR_F_DATA_VALID
export const GSO_NONE = 0;       // VIRTIO_NET_HDR_GSO_NONE
export const GSO_TCPV4 = 1;
export const GSO_UDP = 3;        // UFO, gone from Linux
export const GSO_TCPV6 = 4;
export const GSO_UDP_L4 = 5;     // USO, Linux >= 6.2 on tun
export const GSO_ECN = 0x80;

// The wire's own offsets and numbers (wire/layout/), under the short names this file reads.
const ETH = ETH_HDR;             // Ethernet header
const IP6 = IP_HDR;              // fixed IPv6 header
const L4 = ETH + IP6;            // where TCP or UDP starts with no extension header: 54
const TCP = NH_TCP, UDP = NH_UDP;
// IPv6 extension headers a GSO frame may carry
const EXT_HOPOPTS = NH_HOPOPT, EXT_ROUTING = NH_ROUTING, EXT_DSTOPTS = NH_DSTOPT;
/** Linux's UDP_MAX_SEGMENTS: a UDP GSO frame of more segments is refused on receive. */
export const UDP_MAX_SEGMENTS = 64;
// A split makes at most abi/kernel.ts GSO_SEGS_MAX segments (the most k_rx_gso takes too); the
// rest of the payload is dropped (rx_gso_capped) — TCP resends it. A 64 KiB frame at IPv6's
// smallest MSS (1220) is 54; a hostile or odd gso_size (1 byte: 65,515 segments, 39-131 ms a
// read) is cut short, and one read stays within about twice the turn's RX_BATCH. The largest
// frame a read returns with offloads on is abi/kernel.ts GSO_FRAME_MAX. (Imported, not
// re-exported: a re-export would make this module's exports getters; see abi/kernel.ts ETH_HDR.)

export interface VnetHdr {
  flags: number; gsoType: number; hdrLen: number; gsoSize: number; csumStart: number; csumOffset: number;
}

export function readVnetHdr(b: Uint8Array, at = 0): VnetHdr {
  return {
    flags: b[at], gsoType: b[at + 1], hdrLen: b[at + 2] | (b[at + 3] << 8), gsoSize: b[at + 4] | (b[at + 5] << 8),
    csumStart: b[at + 6] | (b[at + 7] << 8), csumOffset: b[at + 8] | (b[at + 9] << 8),
  };
}

export function writeVnetHdr(b: Uint8Array, at: number, h: VnetHdr): void {
  b[at] = h.flags; b[at + 1] = h.gsoType;
  b[at + 2] = h.hdrLen & 0xff; b[at + 3] = h.hdrLen >>> 8;
  b[at + 4] = h.gsoSize & 0xff; b[at + 5] = h.gsoSize >>> 8;
  b[at + 6] = h.csumStart & 0xff; b[at + 7] = h.csumStart >>> 8;
  b[at + 8] = h.csumOffset & 0xff; b[at + 9] = h.csumOffset >>> 8;
}

const u16 = (b: Uint8Array, at: number): number => (b[at] << 8) | b[at + 1];
const u32 = (b: Uint8Array, at: number): number => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
function put16(b: Uint8Array, at: number, v: number): void { b[at] = (v >>> 8) & 0xff; b[at + 1] = v & 0xff; }
function put32(b: Uint8Array, at: number, v: number): void { put16(b, at, v >>> 16); put16(b, at + 2, v & 0xffff); }

/** One DataView per buffer, made once: frames are views into a few long-lived buffers (the
 *  TAP's read buffer, its segment and coalescer buffers, the kernel's memory). */
const views = new WeakMap<ArrayBufferLike, DataView>();
function viewOf(b: Uint8Array): DataView {
  let v = views.get(b.buffer);
  if (v === undefined) {
    v = new DataView(b.buffer);
    views.set(b.buffer, v);
  }
  return v;
}

/** True if bytes [from, to) of two frames are the same (a frame at byte offset ao of the
 *  buffer a views, the other at bo of b's), compared four at a time: the coalescer's check
 *  that a segment continues the open super-frame, ~80 bytes a segment. */
function same(a: DataView, ao: number, b: DataView, bo: number, from: number, to: number): boolean {
  let i = from;
  for (; i + 4 <= to; i += 4) if (a.getUint32(ao + i) !== b.getUint32(bo + i)) return false;
  for (; i < to; i++) if (a.getUint8(ao + i) !== b.getUint8(bo + i)) return false;
  return true;
}

/** A view of the whole of b's buffer, made once per buffer: split copies a segment's payload
 *  within it (copyWithin) when the read and the segment share one buffer, with no view per
 *  segment. */
const wholes = new WeakMap<ArrayBufferLike, Uint8Array>();
function wholeOf(b: Uint8Array): Uint8Array {
  let w = wholes.get(b.buffer);
  if (w === undefined) {
    w = new Uint8Array(b.buffer);
    wholes.set(b.buffer, w);
  }
  return w;
}

/** The last views split emitted, for full-sized segments and for a last, shorter one: a
 *  flow's super-frames cut the same way emit the same views again, not a new one each. */
let fullView: Uint8Array | null = null, lastView: Uint8Array | null = null;
function viewFull(out: Uint8Array, len: number): Uint8Array {
  const v = fullView;
  if (v !== null && v.buffer === out.buffer && v.byteOffset === out.byteOffset && v.length === len) return v;
  return (fullView = out.subarray(0, len));
}
function viewLast(out: Uint8Array, len: number): Uint8Array {
  const v = lastView;
  if (v !== null && v.buffer === out.buffer && v.byteOffset === out.byteOffset && v.length === len) return v;
  return (lastView = out.subarray(0, len));
}

/** The ones'-complement sum of b[start, end) as 16-bit big-endian words (an odd last byte is
 *  padded with zero), added to `sum`; not folded. Where b lies in a Wasm memory registered with
 *  csum.ts (the kernel's, a TAP's buffers: every frame on the TAP's paths), its SIMD loop sums
 *  it; anywhere else (the coalescer's pseudo-header, a build without csum.wasm) 32-bit words
 *  through a DataView, about twice as fast as bytes in V8. The sum is a double, exact far
 *  beyond 64 KiB of words. */
export function sum16(b: Uint8Array, start: number, end: number, sum = 0): number {
  let i = start;
  if (end - start >= 32) {
    // The Wasm loop sums little-endian words, the big-endian ones byte-swapped (Wasm memory is
    // little-endian on every host), and the ones'-complement sum of byte-swapped words is the
    // byte-swapped sum (RFC 1071 2(B)): its folded sum is swapped back once. Callers keep to
    // 0 <= start <= end <= b.length; a run that reaches 4 GiB, where the module's 32-bit
    // addresses end, is left to the loop below.
    const wasm = b.byteOffset + end < 0x1_0000_0000 ? wasmSum(b.buffer) : null;
    if (wasm !== null) {
      const t = fold(wasm(b.byteOffset + start, b.byteOffset + end));
      return sum + (((t & 0xff) << 8) | (t >>> 8));
    }
    const v = viewOf(b), base = b.byteOffset;
    let s = 0;
    for (; i + 3 < end; i += 4) s += v.getUint32(base + i);
    sum += (s % 0x10000) + Math.floor(s / 0x10000);
  }
  for (; i + 1 < end; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (i < end) sum += b[i] << 8;
  return sum;
}

export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/** The IPv6 pseudo-header's sum (RFC 8200 8.1) for the frame's addresses, `len` and `proto`. */
function pseudo(f: Uint8Array, len: number, proto: number): number {
  return sum16(f, ETH + IP_SRC, L4, len + proto);
}

/** True if the TCP or UDP checksum of an IPv6 frame (transport at 54, `len` bytes) verifies.
 *  UDP's 0 ("none") is not valid over IPv6. */
export function transportChecksumOk(f: Uint8Array, proto: number, len: number): boolean {
  if (proto === UDP && u16(f, L4 + UDP_CHECKSUM) === 0) return false;
  // The pseudo-header's addresses (bytes 22–53 of the frame) and the transport right after
  // them are one run of whole words: one sum, not two (each a call into Wasm).
  return fold(sum16(f, ETH + IP_SRC, L4 + len, len + proto)) === 0xffff;
}

/** Fills in a NEEDS_CSUM frame's checksum: the field at start + offset holds the sum of the
 *  pseudo-header; the ones'-complement sum from `start` to the end goes there. False (and
 *  nothing written) if the offsets lie outside the frame. */
export function completeChecksum(f: Uint8Array, start: number, offset: number): boolean {
  const at = start + offset;
  if (start < ETH || at + 2 > f.length || offset < 0) return false;
  const initial = u16(f, at);
  f[at] = 0; f[at + 1] = 0;
  const c = (~fold(sum16(f, start, f.length, initial))) & 0xffff;
  put16(f, at, c === 0 ? UDP_CHECKSUM_ZERO : c);   // as Linux's skb_checksum_help (CSUM_MANGLED_0)
  return true;
}

/** Why a frame read from the TAP was refused (counted by the caller by this name). */
export type RxRefusal = "rx_vnet_short" | "rx_vnet_bad_csum" | "rx_gso_bad";

/**
 * One frame read from the TAP, vnet header first (`n` bytes of `buf`): hands each ordinary
 * frame it carries to `emit` (a GSO frame split into segments of gsoSize, each with its own
 * length, sequence number and checksum; a NEEDS_CSUM frame with its checksum completed, in
 * place), or returns why it was refused. Returns how many it emitted, negated if a GSO frame
 * was cut short at GSO_SEGS_MAX. `out` is scratch for one segment (at least `frameMax`
 * bytes: the NIC's MTU plus the Ethernet header); an emitted frame is valid only during the
 * call. A GSO frame whose segments would be larger than `frameMax` is refused, as is any GSO
 * frame that is not IPv6 TCP or UDP (after hop-by-hop, routing or destination options
 * headers ending at csum_start), whose lengths do not agree, or whose offsets point elsewhere
 * than Linux puts them.
 */
export function receive(buf: Uint8Array, n: number, out: Uint8Array, frameMax: number,
  emit: (frame: Uint8Array) => void): RxRefusal | number {
  if (n < VNET_HDR_LEN + ETH) return "rx_vnet_short";
  const flags = buf[0], gso = buf[1];
  const csumStart = buf[6] | (buf[7] << 8), csumOffset = buf[8] | (buf[9] << 8);
  const f = buf.subarray(VNET_HDR_LEN, n);
  if (gso === GSO_NONE) {
    if (flags & F_NEEDS_CSUM) {
      if (!completeChecksum(f, csumStart, csumOffset)) return "rx_vnet_bad_csum";
    }
    emit(f);
    return 1;
  }
  return split(f, buf[4] | (buf[5] << 8), gso, flags, csumStart, csumOffset, out, frameMax, emit);
}

/** The segments of the read buf[0, n) (vnet header first) if it is a TCP super-frame the kernel
 *  takes whole (k_rx_gso; its own checks, kernel/net/gso.ts, are the same and final), else 0:
 *  GSO_TCPV6 (with or without ECN) with its checksum left to fill from the TCP header, which
 *  follows the IPv6 header directly, a payload length that covers the frame, more than one
 *  segment and at most GSO_SEGS_MAX, each no longer than frameMax (the link's MTU and Ethernet
 *  header). Anything else is split here (receive), as before. */
export function wholeSegments(buf: Uint8Array, n: number, frameMax: number): number {
  const f = VNET_HDR_LEN, t = f + L4;                   // where the frame and its TCP header start
  if ((buf[1] & ~GSO_ECN) !== GSO_TCPV6 || (buf[0] & F_NEEDS_CSUM) === 0 || n < t + TCP_HDR) return 0;
  if ((buf[6] | (buf[7] << 8)) !== L4 || (buf[8] | (buf[9] << 8)) !== TCP_CHECKSUM) return 0;
  if (u16(buf, f + ETH_TYPE) !== ETHERTYPE_IPV6 || (buf[f + ETH] >>> 4) !== 6 || buf[f + ETH + IP_NEXT] !== TCP) return 0;
  if (u16(buf, f + ETH + IP_PLEN) !== n - t) return 0;
  const hdr = L4 + ((buf[t + TCP_OFFSET] >>> 4) << 2);
  const gso = buf[4] | (buf[5] << 8);
  const data = n - f - hdr;
  if (hdr < L4 + TCP_HDR || data <= gso || gso === 0 || hdr + gso > frameMax) return 0;
  const segs = Math.ceil(data / gso);
  return segs <= GSO_SEGS_MAX ? segs : 0;
}

/** gsoSplit: a GSO super-frame (IPv6, TCP or UDP) cut into frames of at most gsoSize bytes of
 *  payload, GSO_SEGS_MAX at most. The transport header starts at csum_start; IPv6 extension
 *  headers between (hop-by-hop first, routing, destination options — what Linux's own
 *  ipv6_gso_segment walks) are kept in every segment's header. Returns how many were
 *  emitted (negated if cut short), or why none was. */
export function split(f: Uint8Array, gsoSize: number, gso: number, flags: number, csumStart: number, csumOffset: number,
  out: Uint8Array, frameMax: number, emit: (frame: Uint8Array) => void): RxRefusal | number {
  const type = gso & ~GSO_ECN;
  if (type !== GSO_TCPV6 && type !== GSO_UDP_L4) return "rx_gso_bad";
  const t = csumStart;                                             // where TCP or UDP starts
  if (!(flags & F_NEEDS_CSUM) || t < L4 || t + UDP_HDR > f.length) return "rx_gso_bad";
  if (u16(f, ETH_TYPE) !== ETHERTYPE_IPV6 || (f[ETH] >>> 4) !== 6) return "rx_gso_bad";
  if (u16(f, ETH + IP_PLEN) !== f.length - L4) return "rx_gso_bad";     // payload length agrees with what came
  // The extension headers must end exactly at csum_start. The pseudo-header's destination is
  // the final one (RFC 8200 8.1): with a routing header still to be walked, not the header's.
  let proto = f[ETH + IP_NEXT], at = L4, dst = ETH + IP_DST;
  while (at < t) {
    if (!(proto === EXT_DSTOPTS || proto === EXT_ROUTING || (proto === EXT_HOPOPTS && at === L4))) return "rx_gso_bad";
    const len = (f[at + EXT_LEN] + 1) * EXT_UNIT;
    if (proto === EXT_ROUTING && f[at + RH_SEGMENTS_LEFT] !== 0) {
      const rt = f[at + RH_TYPE];
      if (rt === 2 || rt === 4) dst = at + 8;                      // home address; SRH segment list[0]
      else if (rt === 0) dst = at + len - 16;                      // the last address
      else return "rx_gso_bad";
      if (len < 24) return "rx_gso_bad";
    }
    proto = f[at + EXT_NEXT];
    at += len;
  }
  if (at !== t) return "rx_gso_bad";
  let hdr: number;
  if (type === GSO_TCPV6) {
    if (proto !== TCP || csumOffset !== TCP_CHECKSUM || f.length < t + TCP_HDR) return "rx_gso_bad";
    hdr = t + (f[t + TCP_OFFSET] >>> 4) * 4;
    if (hdr < t + TCP_HDR || hdr > f.length) return "rx_gso_bad";
  } else {
    if (proto !== UDP || csumOffset !== 6) return "rx_gso_bad";
    hdr = t + UDP_HDR;
  }
  const data = f.length - hdr;
  if (gsoSize === 0 || data === 0 || hdr + gsoSize > frameMax || out.length < hdr + gsoSize) return "rx_gso_bad";
  if (type === GSO_UDP_L4 && Math.ceil(data / gsoSize) > UDP_MAX_SEGMENTS) return "rx_gso_bad";
  const seq0 = type === GSO_TCPV6 ? u32(f, t + TCP_SEQ) : 0;
  const tcpFlags = type === GSO_TCPV6 ? f[t + TCP_FLAGS] : 0;
  out.set(f.subarray(0, hdr), 0);
  let count = 0;
  const last = Math.min(f.length, hdr + GSO_SEGS_MAX * gsoSize);
  const sumAt = t + csumOffset;
  const shared = out.buffer === f.buffer ? wholeOf(out) : null;
  for (let at = hdr; at < last; at += gsoSize, count++) {
    const end = Math.min(at + gsoSize, last);
    const len = end - at, tlen = hdr - t + len;                    // transport length
    put16(out, ETH + IP_PLEN, hdr - L4 + len);
    if (type === GSO_TCPV6) {
      put32(out, t + TCP_SEQ, (seq0 + count * gsoSize) >>> 0);
      // FIN and PSH on the last segment only, CWR on the first only (as Linux's tcp_gso_segment).
      let fl = end === f.length ? tcpFlags : tcpFlags & ~(TCP_FIN | TCP_PSH);
      if (count > 0) fl &= ~TCP_CWR;
      out[t + TCP_FLAGS] = fl;
    } else {
      put16(out, t + UDP_LENGTH, tlen);
    }
    if (shared !== null) shared.copyWithin(out.byteOffset + hdr, f.byteOffset + at, f.byteOffset + end);
    else out.set(f.subarray(at, end), hdr);
    out[sumAt] = 0; out[sumAt + 1] = 0;
    const ps = dst === ETH + IP_DST ? pseudo(out, tlen, proto) : sum16(out, dst, dst + 16, sum16(out, ETH + IP_SRC, ETH + IP_DST, tlen + proto));
    const c = (~fold(sum16(out, t, hdr + len, ps))) & 0xffff;
    put16(out, sumAt, c === 0 && type === GSO_UDP_L4 ? UDP_CHECKSUM_ZERO : c);
    emit(len === gsoSize ? viewFull(out, hdr + len) : viewLast(out, hdr + len));
  }
  return last < f.length ? -count : count;
}

/** What the Coalescer writes: `n` bytes of `buf` from 0, vnet header first. 0 or a negative
 *  errno-like result is the writer's; the Coalescer only passes it back. */
export type Writer = (buf: Uint8Array, n: number, frames: number) => void;

/**
 * GRO in the host, for what the node writes to a TAP: frames are added in order; each is
 * merged into the open super-frame when it continues it (the same Ethernet and IPv6
 * headers but for the payload length; TCP: the same ports, acknowledgement, window, options
 * and flags — ACK, PSH only last — and the next sequence number; UDP: the same ports and a
 * payload no longer than the first's, a shorter one ending it), else the open one is
 * written and the frame opens the next. A frame is merged only if its own checksum
 * verifies (the super-frame goes to Linux as NEEDS_CSUM, and Linux then trusts it, so a
 * corrupt segment must not be merged and "repaired"). flush() writes the open one.
 * Everything it writes is a copy: frames added are only borrowed.
 */
export class Coalescer {
  /** vnet header + the open frame; GSO_FRAME_MAX of frame at most. */
  private readonly buf = new Uint8Array(VNET_HDR_LEN + GSO_FRAME_MAX);
  private readonly f = this.buf.subarray(VNET_HDR_LEN);
  private readonly fView = new DataView(this.buf.buffer);
  private len = 0;        // bytes of frame in f; 0: nothing open
  private frames = 0;     // frames merged into the open one
  private proto = 0;      // TCP or UDP when it can grow, 0 when it cannot
  private hdr = 0;        // header bytes (Ethernet + IPv6 + TCP/UDP)
  private gsoSize = 0;
  private nextSeq = 0;
  private closedToMore = false;
  private tcp = true;
  /** Frames that were merged into another (not written alone). */
  merged = 0;

  /** udp: merge UDP datagrams too. Off by default, as Linux's own rx-udp-gro-forwarding: a
   *  packet socket on the TAP's interface (a relay, a capture) sees the super-frame whole,
   *  which a UDP reader that does not expect it takes for one long datagram; a local UDP
   *  socket and Linux's forwarding segment it back. TCP super-frames are what every Linux NIC
   *  with GRO (on by default) hands up, so TCP is always merged. */
  constructor(private readonly write: Writer, private udp = false) {}

  /** Merges no more of this kind (Linux refused a super-frame of it); takes effect with the
   *  next frame that opens one. */
  stopMerging(kind: "tcp" | "udp"): void {
    if (kind === "udp") this.udp = false;
    else this.tcp = false;
  }

  /** Adds one frame (copied). */
  add(frame: Uint8Array): void {
    if (this.len > 0 && !this.closedToMore && this.proto !== 0 && this.continues(frame)) {
      this.append(frame);
      return;
    }
    this.flush();
    this.open(frame);
  }

  /** Writes the open super-frame (or single frame), if any. */
  flush(): void {
    if (this.len === 0) return;
    const f = this.f, n = this.len;
    if (this.frames > 1) {
      const l4len = n - L4;
      put16(f, ETH + IP_PLEN, l4len);
      if (this.proto === UDP) put16(f, L4 + UDP_LENGTH, l4len);
      const sumAt = L4 + (this.proto === TCP ? 16 : 6);
      put16(f, sumAt, fold(pseudo(f, l4len, this.proto)));   // Linux adds the rest (CHECKSUM_PARTIAL)
      const b = this.buf;     // struct virtio_net_hdr, field by field (no object per write)
      b[0] = F_NEEDS_CSUM; b[1] = this.proto === TCP ? GSO_TCPV6 : GSO_UDP_L4;
      b[2] = this.hdr & 0xff; b[3] = this.hdr >>> 8;
      b[4] = this.gsoSize & 0xff; b[5] = this.gsoSize >>> 8;
      b[6] = L4; b[7] = 0;
      b[8] = sumAt - L4; b[9] = 0;
    } else {
      this.buf.fill(0, 0, VNET_HDR_LEN);
    }
    const frames = this.frames;
    this.len = 0;
    this.frames = 0;
    this.write(this.buf, VNET_HDR_LEN + n, frames);
  }

  private open(frame: Uint8Array): void {
    const n = frame.length;
    this.f.set(frame, 0);
    this.len = n;
    this.frames = 1;
    this.closedToMore = false;
    this.proto = 0;
    if (n <= L4 + UDP_HDR || n > GSO_FRAME_MAX || u16(frame, ETH_TYPE) !== ETHERTYPE_IPV6 || (frame[ETH] >>> 4) !== 6) return;
    if (u16(frame, ETH + IP_PLEN) !== n - L4) return;
    const proto = frame[ETH + IP_NEXT];
    if (proto === TCP && this.tcp) {
      if (n < L4 + TCP_HDR) return;
      const hdr = L4 + (frame[L4 + TCP_OFFSET] >>> 4) * 4;
      const flags = frame[L4 + TCP_FLAGS];
      if (hdr < L4 + TCP_HDR || hdr >= n || (flags & ~(TCP_ACK | TCP_PSH)) !== 0 || !(flags & TCP_ACK)) return;
      if (!transportChecksumOk(frame, TCP, n - L4)) return;
      this.hdr = hdr;
      this.nextSeq = (u32(frame, L4 + TCP_SEQ) + (n - hdr)) >>> 0;
      this.closedToMore = (flags & TCP_PSH) !== 0;
    } else if (proto === UDP && this.udp) {
      if (u16(frame, L4 + UDP_LENGTH) !== n - L4 || !transportChecksumOk(frame, UDP, n - L4)) return;
      this.hdr = L4 + UDP_HDR;
    } else {
      return;
    }
    this.proto = proto;
    this.gsoSize = n - this.hdr;
  }

  /** True if `g` is the next segment of the open TCP flow or datagram of the open UDP flow. */
  private continues(g: Uint8Array): boolean {
    const f = this.f, n = g.length, hdr = this.hdr;
    if (n <= hdr || n - hdr > this.gsoSize || this.len + n - hdr > GSO_FRAME_MAX) return false;
    if (u16(g, ETH + IP_PLEN) !== n - L4) return false;
    // Ethernet, the IPv6 header's first 4 bytes, next header, hop limit, addresses.
    const fv = this.fView, gv = viewOf(g), fo = f.byteOffset, go = g.byteOffset;
    if (!same(fv, fo, gv, go, 0, ETH + IP_PLEN)) return false;
    if (!same(fv, fo, gv, go, ETH + IP_NEXT, L4 + TCP_PORTS)) return false;   // also the ports (TCP and UDP alike)
    if (this.proto === TCP) {
      if (u32(g, L4 + TCP_SEQ) !== this.nextSeq) return false;
      if (!same(fv, fo, gv, go, L4 + TCP_ACKNUM, L4 + TCP_FLAGS)) return false;   // ack, data offset
      const flags = g[L4 + TCP_FLAGS];
      if ((flags & ~TCP_PSH) !== (f[L4 + TCP_FLAGS] & ~TCP_PSH)) return false;
      if (!same(fv, fo, gv, go, L4 + TCP_WINDOW, L4 + TCP_CHECKSUM)) return false;  // window
      if (!same(fv, fo, gv, go, L4 + TCP_URGENT, hdr)) return false;      // urgent, options
      if (!transportChecksumOk(g, TCP, n - L4)) return false;
      return true;
    }
    if (this.frames >= UDP_MAX_SEGMENTS) return false;
    return u16(g, L4 + UDP_LENGTH) === n - L4 && transportChecksumOk(g, UDP, n - L4);
  }

  private append(g: Uint8Array): void {
    const n = g.length, hdr = this.hdr;
    this.f.set(g.subarray(hdr), this.len);
    this.len += n - hdr;
    this.frames++;
    this.merged++;
    if (this.proto === TCP) {
      this.nextSeq = (this.nextSeq + (n - hdr)) >>> 0;
      if (g[L4 + TCP_FLAGS] & TCP_PSH) {
        this.f[L4 + TCP_FLAGS] |= TCP_PSH;
        this.closedToMore = true;
      }
    }
    if (n - hdr < this.gsoSize) this.closedToMore = true;   // a short segment is the last
  }
}
