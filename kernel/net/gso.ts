// TCP super-frames (issue #17, spec/abi.md "Super-frames"): up to 64 KiB of one TCP flow's
// consecutive segments behind one set of headers, as Linux's GSO hands them to a TAP. The
// host gives the kernel one whole (k_rx_gso); input.ts checks it here, output.ts forwards it
// whole to a TAP NIC or cuts it here into the segments Linux would have sent, each then
// going the way of any received packet. What this file knows is TCP segmentation as Linux
// does it (net/ipv4/tcp_offload.c tcp_gso_segment): every segment carries the headers, the
// sequence number steps by the payload before it, FIN and PSH stay on the last segment
// only and CWR on the first only, and each checksum is computed whole (the super-frame's
// checksum field holds only the pseudo-header's partial sum: CHECKSUM_PARTIAL).
// It decides nothing about routing and sends nothing; it allocates nothing.
import { ETH_HDR, GSO_FRAME_MAX, GSO_SEGS_MAX } from "../../abi/kernel";
import { ETHERTYPE_IPV6, ethType } from "../../wire/ethernet";
import { IP_HDR, IP_PLEN, NH_TCP, ipNext, ipPayloadLen } from "../../wire/ipv6";
import { TCP_SEQ, TCP_OFFSET, TCP_FLAGS, TCP_CHECKSUM, TCP_HDR, TCP_FIN, TCP_PSH, TCP_CWR } from "../../wire/layout/tcp";
import { l4Checksum } from "../../wire/checksum";
import { ld8, ld32, st16, st32 } from "../../wire/bytes";

/** The TCP header's length (Data Offset × 4) of the IPv6 packet at p, whose TCP header follows
 *  the fixed header. */
// @ts-ignore: decorator
@inline export function tcpHdrLen(p: usize): i32 { return <i32>(ld8(p + IP_HDR + TCP_OFFSET) >> 4) << 2; }

/** The segments of the super-frame at f (len bytes, an Ethernet frame) whose segments carry
 *  gso bytes of TCP payload each, if it is one the kernel takes, else -1 (Drop.GSO_BAD): an
 *  IPv6 packet whose TCP header follows the fixed header, whose Payload Length covers the
 *  frame exactly, with more TCP payload than one segment and at most GSO_SEGS_MAX segments,
 *  each of which fits an IPv6 packet of mtu bytes (the NIC's). */
export function gsoSegments(f: usize, len: i32, gso: i32, mtu: i32): i32 {
  if (len < ETH_HDR + IP_HDR + TCP_HDR || len > GSO_FRAME_MAX || gso <= 0) return -1;
  if (ethType(f) != ETHERTYPE_IPV6) return -1;
  let p = f + ETH_HDR;
  if ((ld8(p) >> 4) != 6 || ipNext(p) != NH_TCP || IP_HDR + ipPayloadLen(p) != len - ETH_HDR) return -1;
  let thl = tcpHdrLen(p);
  if (thl < TCP_HDR || ETH_HDR + IP_HDR + thl > len) return -1;
  let payload = len - ETH_HDR - IP_HDR - thl;
  if (payload <= gso || IP_HDR + thl + gso > mtu) return -1;
  let segs = (payload + gso - 1) / gso;
  return segs <= GSO_SEGS_MAX ? segs : -1;
}

/** The bytes of the frames super-frame p (an IPv6 packet of ipLen bytes, its segments gso
 *  bytes of payload) is as segments, each with its own link header of `link` bytes: what
 *  a NIC's byte counters count, so that they read as if the segments had passed. */
export function gsoWireBytes(p: usize, ipLen: i32, gso: i32, link: i32): u64 {
  let hdr = IP_HDR + tcpHdrLen(p);
  let segs = (ipLen - hdr + gso - 1) / gso;
  return <u64>ipLen + <u64>(segs - 1) * <u64>hdr + <u64>segs * <u64>link;
}

/** The number of segments of super-frame p (an IPv6 packet of ipLen bytes). */
export function gsoCount(p: usize, ipLen: i32, gso: i32): i32 {
  return (ipLen - IP_HDR - tcpHdrLen(p) + gso - 1) / gso;
}

/** Writes segment k of super-frame p (an IPv6 packet of ipLen bytes, its segments gso bytes
 *  of TCP payload) as a whole IPv6 packet at dst, which has room for IP_HDR + the TCP header
 *  + gso bytes; returns its length. k is below gsoCount. */
export function gsoSegment(p: usize, ipLen: i32, gso: i32, k: i32, dst: usize): i32 {
  let thl = tcpHdrLen(p);
  let hdr = IP_HDR + thl;
  let off = k * gso;
  let left = ipLen - hdr - off;
  let n = left < gso ? left : gso;
  memory.copy(dst, p, <usize>hdr);
  memory.copy(dst + <usize>hdr, p + <usize>(hdr + off), <usize>n);
  st16(dst + IP_PLEN, <u32>(thl + n));
  let t = dst + IP_HDR;
  st32(t + TCP_SEQ, ld32(p + IP_HDR + TCP_SEQ) + <u32>off);
  let flags = ld8(t + TCP_FLAGS);
  if (n < left) flags &= ~(TCP_FIN | TCP_PSH);   // not the last segment
  if (k > 0) flags &= ~TCP_CWR;                   // CWR goes with the first segment only
  store<u8>(t + TCP_FLAGS, <u8>flags);
  st16(t + TCP_CHECKSUM, 0);
  st16(t + TCP_CHECKSUM, l4Checksum(dst, IP_HDR, thl + n, NH_TCP));
  return hdr + n;
}
