// The Internet checksum (RFC 1071) as upper-layer protocols over IPv6 use it: the ones'
// complement sum of the pseudo-header (RFC 8200 §8.1) and the upper-layer bytes. Sums
// are built in pieces (sum over several ranges, then finish), so a builder can add a
// header and a payload that live apart. It knows no protocol's field offsets; udp.ts and
// icmpv6.ts place the result. Used by ingress (verify) and udp/icmpv6 (seal).
//
//    pseudo-header:  Source Address (16) | Destination Address (16) |
//                    Upper-Layer Packet Length (32) | zero (24) | Next Header (8)
import { ld8, ld16 } from "./bytes";
import { SRC, DST, ADDR_LEN } from "./ipv6";

/** Add n bytes at p, as big-endian 16-bit words, to a running sum. An odd last byte is
 *  padded with a zero byte, so only the final piece of a sum may have an odd length.
 *  The result is folded below 0x20000, so pieces of up to 64 KiB each can be chained. */
export function sum(p: usize, n: i32, acc: u32): u32 {
  let i = 0;
  for (; i + 1 < n; i += 2) acc += ld16(p + <usize>i);
  if (i < n) acc += ld8(p + <usize>i) << 8;
  return fold(acc);
}

function fold(acc: u32): u32 {
  acc = (acc & 0xffff) + (acc >> 16);
  return (acc & 0xffff) + (acc >> 16);
}

/** The pseudo-header's sum for the IPv6 header at p, an upper-layer packet of upperLen
 *  bytes and the given Next Header value. */
export function pseudo(p: usize, upperLen: i32, next: u32): u32 {
  let acc = sum(p + SRC, ADDR_LEN, 0);
  acc = sum(p + DST, ADDR_LEN, acc);
  return fold(acc + (<u32>upperLen >> 16) + (<u32>upperLen & 0xffff) + next);
}

/** The checksum field's value for a finished sum: its ones' complement. */
export function finish(acc: u32): u32 {
  return ~fold(acc) & 0xffff;
}

/** Checksum of the upper-layer packet of len bytes at offset off of the IPv6 packet at p.
 *  Over bytes whose checksum field is filled in, a correct packet gives 0. */
export function upper(p: usize, off: i32, len: i32, next: u32): u32 {
  return finish(sum(p + <usize>off, len, pseudo(p, len, next)));
}
