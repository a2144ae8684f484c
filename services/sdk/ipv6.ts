// The IPv6 fixed header (RFC 8200 §3) as a view over a packet in service memory: field
// offsets, a length check, accessors, and the in-place turn-around a reply needs. It does
// not walk extension headers: a service only handles packets whose Next Header is directly
// the upper-layer protocol (see ingress.ts). Used by ingress, icmpv6, udp and services.
//
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |Version| Traffic Class |           Flow Label                  |   0
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |         Payload Length        |  Next Header  |   Hop Limit   |   4
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |                     Source Address (16 bytes)                 |   8
//    |                  Destination Address (16 bytes)               |  24
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  40
import { addrEq, addrCopy } from "../../kernel/net/addr";
import { IP_PLEN, IP_NEXT, IP_HOPS, IP_SRC, IP_DST, IP_HDR, NH_UDP as UDP, NH_ICMPV6 as ICMPV6 } from "../../kernel/net/ipv6";
import { ld8, ld16, st8, st16, st32 } from "./bytes";

// The field offsets are the kernel's (kernel/net/ipv6.ts), written once under the diagram.
export const PLEN = IP_PLEN;
export const NEXT = IP_NEXT;
export const HOPS = IP_HOPS;
export const SRC = IP_SRC;
export const DST = IP_DST;
export const HEADER = IP_HDR;
export const ADDR_LEN: i32 = 16;

// Next Header values (IANA protocol numbers) a service may see.
export const NH_UDP = UDP;
export const NH_ICMPV6 = ICMPV6;

/** Hop limit of every packet a service originates (RFC 8200 §3 leaves it to the node). */
export const HOP_LIMIT: u32 = 64;

/** The packet's length by its header (40 + Payload Length), if the n bytes at p hold a
 *  whole IPv6 packet; else -1. Bytes beyond that length are not part of the packet. */
export function length(p: usize, n: i32): i32 {
  if (n < HEADER) return -1;
  if ((ld8(p) >> 4) != 6) return -1;
  let total = HEADER + <i32>ld16(p + PLEN);
  return total <= n ? total : -1;
}

export function payloadLen(p: usize): i32 { return <i32>ld16(p + PLEN); }
export function nextHeader(p: usize): u32 { return ld8(p + NEXT); }
export function hopLimit(p: usize): u32 { return ld8(p + HOPS); }
export function src(p: usize): usize { return p + SRC; }
export function dst(p: usize): usize { return p + DST; }

/** Write a fixed header: version 6, traffic class and flow label 0, hop limit HOP_LIMIT.
 *  src and dst must not overlap the header being written. */
export function writeHeader(p: usize, plen: i32, next: u32, from: usize, to: usize): void {
  st32(p, 0x60000000);
  st16(p + PLEN, <u32>plen);
  st8(p + NEXT, next);
  st8(p + HOPS, HOP_LIMIT);
  addrCopy(p + SRC, from);
  addrCopy(p + DST, to);
}

/** Turn a received packet into the header of its reply, in place: the source becomes the
 *  address it was sent to and the destination the sender; version, class and flow label
 *  are reset and the hop limit is HOP_LIMIT. Payload Length and Next Header stay. */
export function turnAround(p: usize): void {
  st32(p, 0x60000000);
  st8(p + HOPS, HOP_LIMIT);
  let a = load<u64>(p + SRC);
  let b = load<u64>(p + SRC, 8);
  addrCopy(p + SRC, p + DST);
  store<u64>(p + DST, a);
  store<u64>(p + DST, b, 8);
}

export { addrEq, addrCopy };
