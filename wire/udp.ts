// UDP (layout/udp.ts) over raw memory: a checked view (udpCheck once, then the accessors),
// the header's builder and the checksum sealed in place (a computed 0 goes out as 0xffff,
// RFC 8200 §8.1). AssemblyScript; used by the kernel's control plane (ctl/control.ts) and
// the SDK (services/sdk/udp.ts).
import { ld16, st16 } from "./bytes";
import { l4Checksum } from "./checksum";
import { NH_UDP } from "./layout/ipv6";
import { UDP_SRC_PORT, UDP_DST_PORT, UDP_LENGTH, UDP_CHECKSUM, UDP_HDR, UDP_CHECKSUM_ZERO } from "./layout/udp";
export * from "./layout/udp";

/** Do the n bytes at u hold one whole datagram, its Length field n and a checksum present
 *  (IPv6 forbids 0)? The checksum's value is the caller's to verify (l4Checksum gives 0). */
export function udpCheck(u: usize, n: i32): bool {
  return n >= UDP_HDR && udpLength(u) == n && load<u16>(u + UDP_CHECKSUM) != 0;
}

// @ts-ignore: decorator
@inline export function udpSrcPort(u: usize): u32 { return ld16(u + UDP_SRC_PORT); }
// @ts-ignore: decorator
@inline export function udpDstPort(u: usize): u32 { return ld16(u + UDP_DST_PORT); }
/** The Length field: header plus data. */
// @ts-ignore: decorator
@inline export function udpLength(u: usize): i32 { return <i32>ld16(u + UDP_LENGTH); }

/** Write the header at u for a datagram of len bytes (header included), checksum 0. */
export function udpEmit(u: usize, sport: u32, dport: u32, len: i32): void {
  st16(u + UDP_SRC_PORT, sport);
  st16(u + UDP_DST_PORT, dport);
  st16(u + UDP_LENGTH, <u32>len);
  st16(u + UDP_CHECKSUM, 0);
}

/** Fill in the checksum of the len-byte datagram at ip+off, with the pseudo-header of the
 *  IPv6 packet at ip. */
export function udpSeal(ip: usize, off: i32, len: i32): void {
  let u = ip + off;
  st16(u + UDP_CHECKSUM, 0);
  let c = l4Checksum(ip, off, len, NH_UDP);
  st16(u + UDP_CHECKSUM, c == 0 ? UDP_CHECKSUM_ZERO : c);
}
