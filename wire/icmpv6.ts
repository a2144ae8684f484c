// ICMPv6 messages (layout/icmpv6.ts) over raw memory: the header's fields, the checksum
// sealed in place, and the builders of the header of an error or echo. Neighbor discovery's
// bodies and options are in wire/nd.ts. The caller has checked the message's length
// (ICMP_MIN, or ICMP_HDR before reading the word). AssemblyScript; used by the kernel and
// the SDK.
import { ld8, ld16, st8, st16, st32 } from "./bytes";
import { l4Checksum } from "./checksum";
import { IP_HDR, NH_ICMPV6 } from "./layout/ipv6";
import { ICMP_TYPE, ICMP_CODE, ICMP_CHECKSUM, ICMP_WORD } from "./layout/icmpv6";
export * from "./layout/icmpv6";

// @ts-ignore: decorator
@inline export function icmpType(m: usize): u32 { return ld8(m + ICMP_TYPE); }
// @ts-ignore: decorator
@inline export function icmpCode(m: usize): u32 { return ld8(m + ICMP_CODE); }
// @ts-ignore: decorator
@inline export function icmpChecksum(m: usize): u32 { return ld16(m + ICMP_CHECKSUM); }

/** Write type, code, a zero checksum and the 32-bit word (MTU, pointer, echo identifier
 *  and sequence, or 0) at m: the first ICMP_HDR bytes of a message. */
export function icmpEmit(m: usize, type: u32, code: u32, word: u32): void {
  st8(m + ICMP_TYPE, type);
  st8(m + ICMP_CODE, code);
  st16(m + ICMP_CHECKSUM, 0);
  st32(m + ICMP_WORD, word);
}

/** Fill in the checksum of the len-byte ICMPv6 message at ip+off, with the pseudo-header of
 *  the IPv6 packet at ip. off defaults to right after the fixed header. */
export function icmpSeal(ip: usize, len: i32, off: i32 = IP_HDR): void {
  let m = ip + off;
  st16(m + ICMP_CHECKSUM, 0);
  st16(m + ICMP_CHECKSUM, l4Checksum(ip, off, len, NH_ICMPV6));
}
