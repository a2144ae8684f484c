// The IPv6 header (RFC 8200 §3) and the extension-header chain (§4): validation of outside
// bytes, never a trap. check() validates the fixed header against the bytes received;
// walk() follows the chain to the upper-layer header. Both report problems as a Drop
// reason (or a Parameter Problem to send back). Neither changes the packet. What walk()
// learns goes into a Chain record the caller owns and passes on: nothing about a packet
// stays in this module for the next one to read.
//
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |Version| Traffic Class |           Flow Label                  |   0
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |         Payload Length        |  Next Header  |   Hop Limit   |   4
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |                     Source Address (16 bytes)                 |   8
//    |                  Destination Address (16 bytes)               |  24
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  40
import { Drop } from "../../abi/drop";
import { EXT_MAX } from "../param";
import { ld8, ld16 } from "./bytes";
import { isMulticast } from "./addr";

export const IP_PLEN: i32 = 4;
export const IP_NEXT: i32 = 6;
export const IP_HOPS: i32 = 7;
export const IP_SRC: i32 = 8;
export const IP_DST: i32 = 24;
export const IP_HDR: i32 = 40;

export const NH_HOPOPT: u32 = 0;
export const NH_TCP: u32 = 6;
export const NH_UDP: u32 = 17;
export const NH_ROUTING: u32 = 43;
export const NH_FRAGMENT: u32 = 44;
export const NH_ESP: u32 = 50;
export const NH_AH: u32 = 51;
export const NH_ICMPV6: u32 = 58;
export const NH_NONE: u32 = 59;
export const NH_DSTOPT: u32 = 60;

/** What walk() found in one packet's extension-header chain. Each stage that parses a
 *  packet owns one (allocated once, at start) and hands it down with the packet. */
@unmanaged export class Chain {
  /** The upper-layer protocol and its offset, when walk() accepted the chain. */
  proto: u32 = 0;
  off: i32 = 0;
  /** When a check returned Drop.PARAM_PROBLEM: the RFC 4443 §3.4 code and pointer. */
  code: u32 = 0;
  ptr: u32 = 0;
}

/** The packet's length from its header (40 + payload length); what check() accepted. */
// @ts-ignore: decorator
@inline export function ipLength(p: usize): i32 { return IP_HDR + <i32>ld16(p + IP_PLEN); }

/** Validate the fixed header of n received bytes at p. -1 if valid, else a Drop. */
export function check(p: usize, n: i32): i32 {
  if (n < IP_HDR) return Drop.IP_SHORT;
  if ((ld8(p) >> 4) != 6) return Drop.IP_VERSION;
  let plen = <i32>ld16(p + IP_PLEN);
  // A payload length of 0 announces a jumbogram (RFC 2675), which no link here carries.
  // Ethernet may pad a short frame, so trailing bytes beyond the payload are allowed.
  if (plen == 0 && ld8(p + IP_NEXT) == NH_HOPOPT) return Drop.IP_LENGTH;
  if (IP_HDR + plen > n) return Drop.IP_LENGTH;
  if (isMulticast(p + IP_SRC)) return Drop.IP_SRC;
  return -1;
}

function paramProblem(c: Chain, code: u32, ptr: i32): i32 {
  c.code = code;
  c.ptr = <u32>ptr;
  return Drop.PARAM_PROBLEM;
}

/** The options of a Hop-by-Hop (§4.3) or Destination Options (§4.6) header at [off, end):
 *  skip padding, act on an unknown option by its type's two high bits (§4.2): 00 skip,
 *  01 discard, 10 discard and Parameter Problem code 2 at the option, 11 the same unless
 *  the destination is multicast. `known` is the one option type besides padding that
 *  needs no action (Router Alert for Hop-by-Hop, -1 for none). -1 to go on, or a Drop. */
function options(p: usize, off: i32, end: i32, known: i32, c: Chain): i32 {
  let i = off + 2;
  while (i < end) {
    let type = ld8(p + i);
    if (type == 0) { i++; continue; }                 // Pad1
    if (i + 2 > end) return Drop.EXT_HEADER;
    let olen = <i32>ld8(p + i + 1);
    if (i + 2 + olen > end) return Drop.EXT_HEADER;
    if (type != 1 && <i32>type != known) {            // PadN, or the known option
      let action = type >> 6;
      if (action == 1) return Drop.EXT_HEADER;
      if (action == 2) return paramProblem(c, 2, i);
      if (action == 3) {
        if (isMulticast(p + IP_DST)) return Drop.EXT_HEADER;
        return paramProblem(c, 2, i);
      }
    }
    i += 2 + olen;
  }
  return -1;
}

const OPT_ROUTER_ALERT: i32 = 5;   // RFC 2711: no action for a node that is not an MLD router

/** Follow the extension headers of a packet check() accepted. -1 if the chain is sound
 *  (c.proto, c.off set), else a Drop (PARAM_PROBLEM with c.code, c.ptr). */
export function walk(p: usize, c: Chain): i32 {
  let next = ld8(p + IP_NEXT);
  let nextField = IP_NEXT;      // where the Next Header value we follow was read
  let off = IP_HDR;
  let end = ipLength(p);
  for (let n = 0; n <= EXT_MAX; n++) {
    if (next == NH_HOPOPT && off != IP_HDR) return paramProblem(c, 1, nextField);
    if (next == NH_FRAGMENT) return Drop.FRAGMENT;
    if (next != NH_HOPOPT && next != NH_ROUTING && next != NH_DSTOPT && next != NH_AH) {
      c.proto = next;
      c.off = off;
      return -1;
    }
    if (off + 8 > end) return Drop.EXT_HEADER;
    let hlen = next == NH_AH ? (<i32>ld8(p + off + 1) + 2) * 4 : (<i32>ld8(p + off + 1) + 1) * 8;
    if (off + hlen > end) return Drop.EXT_HEADER;
    if (next == NH_HOPOPT) {
      let r = options(p, off, off + hlen, OPT_ROUTER_ALERT, c);
      if (r >= 0) return r;
    }
    nextField = off;
    next = ld8(p + off);
    off += hlen;
  }
  return Drop.EXT_HEADER;
}

/** For a packet addressed to this node: a Routing header with segments left (§4.4) asks
 *  the node to act as a source-routing hop, which it never does: Parameter Problem code 0
 *  at the routing type (c.code, c.ptr). -1 if there is none. */
export function routingProblem(p: usize, c: Chain): i32 {
  let next = ld8(p + IP_NEXT);
  let off = IP_HDR;
  let end = ipLength(p);
  for (let n = 0; n <= EXT_MAX && off + 8 <= end; n++) {
    if (next == NH_ROUTING) {
      if (ld8(p + off + 3) != 0) return paramProblem(c, 0, off + 2);
      return -1;
    }
    if (next != NH_HOPOPT && next != NH_DSTOPT && next != NH_AH) return -1;
    let hlen = next == NH_AH ? (<i32>ld8(p + off + 1) + 2) * 4 : (<i32>ld8(p + off + 1) + 1) * 8;
    next = ld8(p + off);
    off += hlen;
  }
  return -1;
}

/** For a packet addressed to this node, whose chain walk() accepted: the options of every
 *  Destination Options header (§4.6; those before a Routing header are for each of its
 *  destinations, and this node is the only one left, since it never source-routes).
 *  -1 if every option is understood or skippable, else a Drop (PARAM_PROBLEM with
 *  c.code, c.ptr). */
export function destOptions(p: usize, c: Chain): i32 {
  let next = ld8(p + IP_NEXT);
  let off = IP_HDR;
  let end = ipLength(p);
  for (let n = 0; n <= EXT_MAX && off + 8 <= end; n++) {
    if (next != NH_HOPOPT && next != NH_ROUTING && next != NH_DSTOPT && next != NH_AH) return -1;
    let hlen = next == NH_AH ? (<i32>ld8(p + off + 1) + 2) * 4 : (<i32>ld8(p + off + 1) + 1) * 8;
    if (next == NH_DSTOPT) {
      let r = options(p, off, off + hlen, -1, c);
      if (r >= 0) return r;
    }
    next = ld8(p + off);
    off += hlen;
  }
  return -1;
}

/** Turn a received packet's header around for the node's answer to it: source and
 *  destination swapped, payload length plen, next header next, hop limit 64 (ICMPv6 echo
 *  replies, control-message replies). */
export function turnAround(p: usize, plen: i32, next: u32): void {
  let t0 = load<u64>(p + IP_SRC), t1 = load<u64>(p + IP_SRC, 8);
  memory.copy(p + IP_SRC, p + IP_DST, 16);
  store<u64>(p + IP_DST, t0); store<u64>(p + IP_DST, t1, 8);
  store<u16>(p + IP_PLEN, bswap<u16>(<u16>plen));
  store<u8>(p + IP_NEXT, <u8>next);
  store<u8>(p + IP_HOPS, 64);
}

/** Write a fixed header: version 6, traffic class and flow label 0. */
export function writeHeader(p: usize, plen: i32, next: u32, hops: u32, src: usize, dst: usize): void {
  store<u32>(p, bswap<u32>(0x60000000));
  store<u16>(p + IP_PLEN, bswap<u16>(<u16>plen));
  store<u8>(p + IP_NEXT, <u8>next);
  store<u8>(p + IP_HOPS, <u8>hops);
  memory.copy(p + IP_SRC, src, 16);
  memory.copy(p + IP_DST, dst, 16);
}
