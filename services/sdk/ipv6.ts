// The IPv6 fixed header for services, in the SDK's names, over wire/ipv6.ts (where the
// layout is written once, under its diagram): the length check, accessors, and the
// in-place turn-around a reply needs. It does not walk extension headers: a service only
// handles packets whose Next Header is directly the upper-layer protocol (see ingress.ts).
// Used by ingress, icmpv6, udp and services.
import { addrEq, addrCopy } from "../../wire/addr";
import * as W from "../../wire/ipv6";
import { st32 } from "./bytes";

export const PLEN = W.IP_PLEN;
export const NEXT = W.IP_NEXT;
export const HOPS = W.IP_HOPS;
export const SRC = W.IP_SRC;
export const DST = W.IP_DST;
export const HEADER = W.IP_HDR;
export const ADDR_LEN = W.ADDR_LEN;

// Next Header values (IANA protocol numbers) a service may see.
export const NH_UDP = W.NH_UDP;
export const NH_ICMPV6 = W.NH_ICMPV6;

/** Hop limit of every packet a service originates (RFC 8200 §3 leaves it to the node). */
export const HOP_LIMIT = W.HOP_LIMIT;

/** The packet's length by its header (40 + Payload Length), if the n bytes at p hold a
 *  whole IPv6 packet; else -1. Bytes beyond that length are not part of the packet. */
export function length(p: usize, n: i32): i32 { return W.ipLength(p, n); }

export function payloadLen(p: usize): i32 { return W.ipPayloadLen(p); }
export function nextHeader(p: usize): u32 { return W.ipNext(p); }
export function hopLimit(p: usize): u32 { return W.ipHops(p); }
export function src(p: usize): usize { return W.ipSrc(p); }
export function dst(p: usize): usize { return W.ipDst(p); }

/** Write a fixed header: version 6, traffic class and flow label 0, hop limit HOP_LIMIT.
 *  src and dst must not overlap the header being written. */
export function writeHeader(p: usize, plen: i32, next: u32, from: usize, to: usize): void {
  W.ipEmit(p, plen, next, HOP_LIMIT, from, to);
}

/** Turn a received packet into the header of its reply, in place: the source becomes the
 *  address it was sent to and the destination the sender; version, class and flow label
 *  are reset and the hop limit is HOP_LIMIT. Payload Length and Next Header stay. */
export function turnAround(p: usize): void {
  st32(p, W.IP_FIRST_WORD);
  W.ipReverse(p, payloadLen(p), nextHeader(p), HOP_LIMIT);
}

export { addrEq, addrCopy };
