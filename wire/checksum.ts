// The Internet checksum (RFC 1071) as upper-layer protocols over IPv6 use it: the ones'
// complement sum of the pseudo-header (RFC 8200 §8.1) and the upper-layer message. A sum
// can be built in pieces (sum over several ranges, then finish), so a builder may add a
// header and a payload that live apart. It knows no protocol's field offsets: the views
// in wire/ place the result. The caller guarantees the bytes are inside its buffer.
// AssemblyScript; used by the kernel (verify and fill in ICMPv6 and UDP) and the SDK.
//
//    pseudo-header:  Source Address (16) | Destination Address (16) |
//                    Upper-Layer Packet Length (32) | zero (24) | Next Header (8)
import { IP_SRC, IP_HDR, ADDR_LEN } from "./layout/ipv6";

/** Add n bytes at p, as big-endian 16-bit words, to a running sum. An odd last byte is
 *  padded with a zero byte, so only the final piece of a sum may have an odd length. The
 *  64-bit sum needs no folding until finish().
 *  The bytes are read 8 at a time (32 a loop turn) as little-endian words: the ones' complement sum does
 *  not depend on byte order (RFC 1071 §2(B)), so the piece is summed byte-swapped, folded
 *  to 16 bits and swapped back once — a quarter of the loads and loop turns of a 16-bit
 *  walk (issue #17: this sum was most of an echo service's work). */
export function sum(p: usize, n: i32, acc: u64): u64 {
  let s: u64 = 0;
  let i = 0;
  for (; i + 32 <= n; i += 32) {   // 32 bytes a turn: an address pair, most of a ping, in one
    let q = p + <usize>i;
    let a = load<u64>(q), b = load<u64>(q, 8), c = load<u64>(q, 16), d = load<u64>(q, 24);
    s += (a & 0xffffffff) + (a >> 32) + (b & 0xffffffff) + (b >> 32) +
         (c & 0xffffffff) + (c >> 32) + (d & 0xffffffff) + (d >> 32);
  }
  for (; i + 8 <= n; i += 8) {
    let x = load<u64>(p + <usize>i);
    s += (x & 0xffffffff) + (x >> 32);
  }
  if (i + 4 <= n) { s += <u64>load<u32>(p + <usize>i); i += 4; }
  if (i + 2 <= n) { s += <u64>load<u16>(p + <usize>i); i += 2; }
  if (i < n) s += <u64>load<u8>(p + <usize>i);   // the high byte of a padded word, swapped
  // For n < 65536, s < 2^46; folded it is < 2^32 + 2^14, then <= 0x1ffff, then <= 0x10000,
  // whose swap below (0x100) is that of its folded value 1: no fourth fold is needed.
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return acc + (((s & 0xff) << 8) | (s >> 8));
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

/** The checksum field's new value when one 16-bit word it covers changes from `from` to `to`,
 *  without summing the message again: RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'). Over a
 *  message whose checksum was right, the result is what finish() over the whole changed
 *  message gives (never 0xffff: the sum it complements is not zero). */
export function adjust(check: u32, from: u32, to: u32): u32 {
  return finish(<u64>(~check & 0xffff) + <u64>(~from & 0xffff) + <u64>(to & 0xffff));
}

/** Checksum of the upper-layer message at ip+off (len bytes) with the pseudo-header of the
 *  IPv6 packet at ip. Over a message whose checksum field is filled in, a correct checksum
 *  gives 0. */
export function l4Checksum(ip: usize, off: i32, len: i32, next: u32): u32 {
  // A message right after the fixed header follows the addresses: one sum over both.
  if (off == IP_HDR) {
    let rest = <u64>(<u32>len >> 16) + <u64>(<u32>len & 0xffff) + <u64>next;
    return finish(sum(ip + IP_SRC, 2 * ADDR_LEN + len, rest));
  }
  return finish(sum(ip + off, len, pseudo(ip, len, next)));
}
