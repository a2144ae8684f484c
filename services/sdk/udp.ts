// UDP (RFC 768) over IPv6 for services: header offsets, accessors, building a datagram
// in a buffer, turning a received one around in place, and the checksum, which IPv6
// makes mandatory (RFC 8200 §8.1): a received 0 is invalid, and a computed 0 is sent as
// 0xffff. It assumes UDP follows the fixed IPv6 header directly (ingress.accept checks).
// It does not verify incoming checksums itself (ingress.accept does). The layout, under
// its diagram, is wire/layout/udp.ts; these are its names for services. Used by services.
import { ld16, st16 } from "./bytes";
import * as ipv6 from "./ipv6";
import * as W from "../../wire/udp";

export const SRC_PORT = W.UDP_SRC_PORT;
export const DST_PORT = W.UDP_DST_PORT;
export const LENGTH = W.UDP_LENGTH;
export const CHECKSUM = W.UDP_CHECKSUM;
export const HEADER = W.UDP_HDR;

/** Offset of the datagram's data in an IPv6 packet. */
export const DATA: i32 = ipv6.HEADER + HEADER;

function at(p: usize, field: i32): usize { return p + <usize>(ipv6.HEADER + field); }

export function srcPort(p: usize): u32 { return ld16(at(p, SRC_PORT)); }
export function dstPort(p: usize): u32 { return ld16(at(p, DST_PORT)); }
/** The UDP Length field: header plus data. */
export function length(p: usize): i32 { return <i32>ld16(at(p, LENGTH)); }
export function data(p: usize): usize { return at(p, HEADER); }
export function dataLen(p: usize): i32 { return length(p) - HEADER; }

/** Fill in the checksum of the datagram following p's fixed header. */
export function seal(p: usize): void {
  W.udpSeal(p, ipv6.HEADER, length(p));
}

/** Start a datagram from from:srcPort to to:dstPort at p; the caller writes the data at
 *  data(p) and then calls finish. from and to must not lie in p's first 40 bytes. */
export function begin(p: usize, from: usize, to: usize, sport: u32, dport: u32): void {
  ipv6.writeHeader(p, HEADER, ipv6.NH_UDP, from, to);
  st16(at(p, SRC_PORT), sport);
  st16(at(p, DST_PORT), dport);
}

/** Set the lengths for dataLen bytes of data, seal, and return the packet's length. */
export function finish(p: usize, dataLen: i32): i32 {
  st16(p + <usize>ipv6.PLEN, <u32>(HEADER + dataLen));
  st16(at(p, LENGTH), <u32>(HEADER + dataLen));
  seal(p);
  return DATA + dataLen;
}

/** Turn the accepted datagram p into its reply in place: addresses and ports swapped,
 *  same data. Returns the packet's length to send. */
export function turnAround(p: usize): i32 {
  ipv6.turnAround(p);
  let s = srcPort(p);
  st16(at(p, SRC_PORT), dstPort(p));
  st16(at(p, DST_PORT), s);
  return finish(p, dataLen(p));
}
