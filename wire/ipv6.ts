// The IPv6 fixed header and extension headers (layout/ipv6.ts, layout/ext.ts) over raw
// memory: a checked view (ipLength checks once; the accessors then read without checks),
// the length of an extension header, and the builders (ipEmit writes every byte of a
// header; ipReverse turns one around for a reply). It makes no policy: which packets to
// drop and why is the kernel's (kernel/net/ipv6.ts) and the SDK's (services/sdk/ingress.ts).
// AssemblyScript; allocates nothing.
import { ld8, ld16, st8, st16, st32 } from "./bytes";
import { addrCopy } from "./addr";
import { IP_VERSION, IP_PLEN, IP_NEXT, IP_HOPS, IP_SRC, IP_DST, IP_HDR, IP_FIRST_WORD, NH_AH } from "./layout/ipv6";
import { EXT_LEN, EXT_UNIT, AH_UNIT } from "./layout/ext";
export * from "./layout/ipv6";
export * from "./layout/ext";

/** The packet's length by its header (40 + Payload Length), if the n bytes at p hold a
 *  whole IPv6 packet of version 6; else -1. Bytes beyond it are not part of the packet
 *  (Ethernet pads short frames). After this, every accessor below may read. */
export function ipLength(p: usize, n: i32): i32 {
  if (n < IP_HDR || ipVersion(p) != 6) return -1;
  let total = IP_HDR + ipPayloadLen(p);
  return total <= n ? total : -1;
}

// @ts-ignore: decorator
@inline export function ipVersion(p: usize): u32 { return ld8(p + IP_VERSION) >> 4; }
// @ts-ignore: decorator
@inline export function ipPayloadLen(p: usize): i32 { return <i32>ld16(p + IP_PLEN); }
// @ts-ignore: decorator
@inline export function ipNext(p: usize): u32 { return ld8(p + IP_NEXT); }
// @ts-ignore: decorator
@inline export function ipHops(p: usize): u32 { return ld8(p + IP_HOPS); }
// @ts-ignore: decorator
@inline export function ipSrc(p: usize): usize { return p + IP_SRC; }
// @ts-ignore: decorator
@inline export function ipDst(p: usize): usize { return p + IP_DST; }

/** The length of the extension header of type next at p+off, from its Hdr Ext Len (RFC
 *  8200 §4.3-4.6 count 8-byte units beyond the first, AH 4-byte units less two). The
 *  caller has checked that its first EXT_UNIT bytes are inside the packet. */
// @ts-ignore: decorator
@inline export function extLen(p: usize, off: i32, next: u32): i32 {
  let n = <i32>ld8(p + off + EXT_LEN);
  return next == NH_AH ? (n + 2) * AH_UNIT : (n + 1) * EXT_UNIT;
}

/** Write a fixed header at p: version 6, traffic class and flow label 0. src and dst must
 *  not lie in the 40 bytes being written. */
export function ipEmit(p: usize, plen: i32, next: u32, hops: u32, src: usize, dst: usize): void {
  st32(p, IP_FIRST_WORD);
  st16(p + IP_PLEN, <u32>plen);
  st8(p + IP_NEXT, next);
  st8(p + IP_HOPS, hops);
  addrCopy(p + IP_SRC, src);
  addrCopy(p + IP_DST, dst);
}

/** Turn a received header around for the answer to it, in place: source and destination
 *  swapped, payload length plen, next header next, hop limit hops. Version, traffic class
 *  and flow label are left as they were. */
export function ipReverse(p: usize, plen: i32, next: u32, hops: u32): void {
  let t0 = load<u64>(p + IP_SRC), t1 = load<u64>(p + IP_SRC, 8);
  addrCopy(p + IP_SRC, p + IP_DST);
  store<u64>(p + IP_DST, t0); store<u64>(p + IP_DST, t1, 8);
  st16(p + IP_PLEN, <u32>plen);
  st8(p + IP_NEXT, next);
  st8(p + IP_HOPS, hops);
}
