// The Internet checksum (RFC 1071) as upper-layer protocols over IPv6 use it: the ones'
// complement sum of the pseudo-header (RFC 8200 §8.1) and the upper-layer message. A sum
// can be built in pieces (sum over several ranges, then finish), so a builder may add a
// header and a payload that live apart. It knows no protocol's field offsets: the views
// in wire/ place the result. The caller guarantees the bytes are inside its buffer.
// AssemblyScript; used by the kernel (verify and fill in ICMPv6 and UDP) and the SDK.
//
//    pseudo-header:  Source Address (16) | Destination Address (16) |
//                    Upper-Layer Packet Length (32) | zero (24) | Next Header (8)
import { ld16 } from "./bytes";
import { IP_SRC, ADDR_LEN } from "./layout/ipv6";

/** Add n bytes at p, as big-endian 16-bit words, to a running sum. An odd last byte is
 *  padded with a zero byte, so only the final piece of a sum may have an odd length. The
 *  64-bit sum needs no folding until finish(). */
export function sum(p: usize, n: i32, acc: u64): u64 {
  let i = 0;
  for (; i + 1 < n; i += 2) acc += <u64>ld16(p + i);
  if (i < n) acc += <u64>load<u8>(p + i) << 8;
  return acc;
}

/** The pseudo-header's sum for the IPv6 header at ip, an upper-layer packet of upperLen
 *  bytes and the given Next Header value. */
export function pseudo(ip: usize, upperLen: i32, next: u32): u64 {
  let acc = sum(ip + IP_SRC, 2 * ADDR_LEN, 0);   // source, then destination
  return acc + <u64>(<u32>upperLen >> 16) + <u64>(<u32>upperLen & 0xffff) + <u64>next;
}

/** The checksum field's value for a finished sum: its folded ones' complement. */
export function finish(acc: u64): u32 {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return ~<u32>acc & 0xffff;
}

/** Checksum of the upper-layer message at ip+off (len bytes) with the pseudo-header of the
 *  IPv6 packet at ip. Over a message whose checksum field is filled in, a correct checksum
 *  gives 0. */
export function l4Checksum(ip: usize, off: i32, len: i32, next: u32): u32 {
  return finish(sum(ip + off, len, pseudo(ip, len, next)));
}
