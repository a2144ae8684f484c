// The IPv6 header (RFC 8200 §3) and the extension-header chain (§4): validation of outside
// bytes, never a trap. check() validates the fixed header against the bytes received;
// walk() follows the chain to the upper-layer header. Both report problems as a Drop
// reason (or a Parameter Problem to send back). Neither changes the packet. The layout
// (field offsets, Next Header numbers, the diagram) is wire/layout/ipv6.ts and ext.ts.
// What walk() learns goes into a Chain record the caller owns and passes on: nothing about
// a packet stays in this module for the next one to read.
import { Drop } from "../../abi/drop";
import { EXT_MAX } from "../param";
import { ld8 } from "../../wire/bytes";
import { isMulticast } from "../../wire/addr";
import { IP_NEXT, IP_SRC, IP_DST, IP_HDR, NH_HOPOPT, NH_ROUTING, NH_FRAGMENT, NH_AH, NH_DSTOPT,
  EXT_NEXT, EXT_UNIT, OPT_TYPE, OPT_LEN, OPT_DATA, OPT_PAD1, OPT_PADN, OPT_ROUTER_ALERT, OPT_ACTION_SHIFT,
  RH_TYPE, RH_SEGMENTS_LEFT, ipVersion, ipPayloadLen, ipNext, extLen } from "../../wire/ipv6";

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

/** The packet's length from its header (40 + payload length): what check() accepted. */
// @ts-ignore: decorator
@inline export function ipTotal(p: usize): i32 { return IP_HDR + ipPayloadLen(p); }

/** Validate the fixed header of n received bytes at p. -1 if valid, else a Drop. */
export function check(p: usize, n: i32): i32 {
  if (n < IP_HDR) return Drop.IP_SHORT;
  if (ipVersion(p) != 6) return Drop.IP_VERSION;
  let plen = ipPayloadLen(p);
  // A payload length of 0 announces a jumbogram (RFC 2675), which no link here carries.
  // Ethernet may pad a short frame, so trailing bytes beyond the payload are allowed.
  if (plen == 0 && ipNext(p) == NH_HOPOPT) return Drop.IP_LENGTH;
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
  let i = off + OPT_DATA;                             // options follow Next Header and length
  while (i < end) {
    let type = ld8(p + i + OPT_TYPE);
    if (type == OPT_PAD1) { i++; continue; }
    if (i + OPT_DATA > end) return Drop.EXT_HEADER;
    let olen = <i32>ld8(p + i + OPT_LEN);
    if (i + OPT_DATA + olen > end) return Drop.EXT_HEADER;
    if (type != OPT_PADN && <i32>type != known) {     // PadN, or the known option
      let action = type >> OPT_ACTION_SHIFT;
      if (action == 1) return Drop.EXT_HEADER;
      if (action == 2) return paramProblem(c, 2, i);
      if (action == 3) {
        if (isMulticast(p + IP_DST)) return Drop.EXT_HEADER;
        return paramProblem(c, 2, i);
      }
    }
    i += OPT_DATA + olen;
  }
  return -1;
}

// Router Alert (RFC 2711) needs no action from a node that is not an MLD router.

/** Follow the extension headers of a packet check() accepted. -1 if the chain is sound
 *  (c.proto, c.off set), else a Drop (PARAM_PROBLEM with c.code, c.ptr). Inline for what
 *  most packets are, an upper layer right after the fixed header; the chain, if any, in
 *  walkChain. */
// @ts-ignore: decorator
@inline export function walk(p: usize, c: Chain): i32 {
  let next = ipNext(p);
  if (next != NH_HOPOPT && next != NH_ROUTING && next != NH_DSTOPT && next != NH_AH && next != NH_FRAGMENT) {
    c.proto = next;
    c.off = IP_HDR;
    return -1;
  }
  return walkChain(p, c);
}

function walkChain(p: usize, c: Chain): i32 {
  let next = ipNext(p);
  let nextField = IP_NEXT;      // where the Next Header value we follow was read
  let off = IP_HDR;
  let end = ipTotal(p);
  for (let n = 0; n <= EXT_MAX; n++) {
    if (next == NH_HOPOPT && off != IP_HDR) return paramProblem(c, 1, nextField);
    if (next == NH_FRAGMENT) return Drop.FRAGMENT;
    if (next != NH_HOPOPT && next != NH_ROUTING && next != NH_DSTOPT && next != NH_AH) {
      c.proto = next;
      c.off = off;
      return -1;
    }
    if (off + EXT_UNIT > end) return Drop.EXT_HEADER;
    let hlen = extLen(p, off, next);
    if (off + hlen > end) return Drop.EXT_HEADER;
    if (next == NH_HOPOPT) {
      let r = options(p, off, off + hlen, OPT_ROUTER_ALERT, c);
      if (r >= 0) return r;
    }
    nextField = off + EXT_NEXT;
    next = ld8(p + off + EXT_NEXT);
    off += hlen;
  }
  return Drop.EXT_HEADER;
}

/** For a packet addressed to this node: a Routing header with segments left (§4.4) asks
 *  the node to act as a source-routing hop, which it never does: Parameter Problem code 0
 *  at the routing type (c.code, c.ptr). -1 if there is none. */
export function routingProblem(p: usize, c: Chain): i32 {
  let next = ipNext(p);
  let off = IP_HDR;
  let end = ipTotal(p);
  for (let n = 0; n <= EXT_MAX && off + EXT_UNIT <= end; n++) {
    if (next == NH_ROUTING) {
      if (ld8(p + off + RH_SEGMENTS_LEFT) != 0) return paramProblem(c, 0, off + RH_TYPE);
      return -1;
    }
    if (next != NH_HOPOPT && next != NH_DSTOPT && next != NH_AH) return -1;
    let hlen = extLen(p, off, next);
    next = ld8(p + off + EXT_NEXT);
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
  let next = ipNext(p);
  let off = IP_HDR;
  let end = ipTotal(p);
  for (let n = 0; n <= EXT_MAX && off + EXT_UNIT <= end; n++) {
    if (next != NH_HOPOPT && next != NH_ROUTING && next != NH_DSTOPT && next != NH_AH) return -1;
    let hlen = extLen(p, off, next);
    if (next == NH_DSTOPT) {
      let r = options(p, off, off + hlen, -1, c);
      if (r >= 0) return r;
    }
    next = ld8(p + off + EXT_NEXT);
    off += hlen;
  }
  return -1;
}
