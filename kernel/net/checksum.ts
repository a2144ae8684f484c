// The Internet checksum (RFC 1071) over the IPv6 pseudo-header (RFC 8200 §8.1) and an
// upper-layer message. Used to verify ICMPv6 the kernel receives and to fill in the
// checksum of ICMPv6 it sends. The caller guarantees the bytes are inside its buffer.
import { ld16 } from "./bytes";
import { IP_SRC } from "./ipv6";

function sumBytes(p: usize, n: i32, acc: u64): u64 {
  let i = 0;
  for (; i + 1 < n; i += 2) acc += <u64>ld16(p + i);
  if (i < n) acc += <u64>load<u8>(p + i) << 8;
  return acc;
}

function fold(acc: u64): u32 {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return <u32>acc;
}

/** One's-complement checksum of the upper-layer message at ip+off (len bytes) with the
 *  pseudo-header of the IPv6 packet at ip. Over a message whose checksum field is filled
 *  in, a correct checksum gives 0. */
export function l4Checksum(ip: usize, off: i32, len: i32, proto: u32): u32 {
  let acc = sumBytes(ip + IP_SRC, 32, 0);
  acc += <u64>(<u32>len >> 16) + <u64>(<u32>len & 0xffff) + <u64>proto;
  acc = sumBytes(ip + off, len, acc);
  return (~fold(acc)) & 0xffff;
}
