// The receive side every service shares: one static packet buffer, next() for the drain
// loop in persia_event, and accept(), which runs a received packet through every check a
// service makes before it reads a field: whole IPv6 header and payload, destination is one
// of the service's own addresses, Next Header is directly ICMPv6 or UDP, the upper-layer
// length is sound and its checksum right. Each refusal is counted by reason. It does not
// skip extension headers (such packets are ignored). It answers ICMPv6 Echo Requests itself,
// because every IPv6 node must (RFC 4443 §4.1): any service built on the SDK answers ping at
// its own addresses without code of its own. Used by services.
import { MTU_MAX } from "../../abi/limits";
import { sys_recv, sys_send } from "../../abi/gen/persia";
import * as ipv6 from "./ipv6";
import * as udp from "./udp";
import * as icmpv6 from "./icmpv6";
import { l4Checksum } from "../../wire/checksum";
import { isOwn } from "./addrs";

/** Bytes in the receive buffer: the largest packet the kernel routes, so recv never
 *  refuses a packet as too long for it (-EMSGSIZE, which would leave it queued). */
export const RX_CAP: i32 = MTU_MAX;
/** The packet next() received. */
export const RX: usize = memory.data(RX_CAP);

// Why accept() ignored a packet; ignored(reason) reads the counter.
export const SHORT: i32 = 0;      // shorter than its headers say, or not IPv6
export const NOT_OURS: i32 = 1;   // destination is not one of the service's addresses
export const PROTO: i32 = 2;      // Next Header is neither ICMPv6 nor UDP
export const CHECKSUM: i32 = 3;   // upper-layer checksum wrong (or a UDP checksum of 0)
const REASONS: i32 = 4;

const COUNTS = memory.data(REASONS * 4);

function ignore(reason: i32): i32 {
  let p = COUNTS + <usize>(reason * 4);
  store<u32>(p, load<u32>(p) + 1);
  return -1;
}

/** Packets ignored for the given reason since the service started. */
export function ignored(reason: i32): u32 {
  return <u32>reason < <u32>REASONS ? load<u32>(COUNTS + <usize>(reason * 4)) : 0;
}

/** Receive the next queued packet into RX: its length, or -1 when the queue is drained
 *  (recv returned -EAGAIN, or any other error, which a retry would only repeat). */
export function next(): i32 {
  let n = sys_recv(<i32>RX, RX_CAP);
  return n < 0 ? -1 : n;
}

/** Check the n received bytes in RX; returns the upper-layer protocol (ipv6.NH_ICMPV6 or
 *  ipv6.NH_UDP) of a packet the service may read, or -1 if it was ignored or was an Echo
 *  Request, which accept() has answered. */
export function accept(n: i32): i32 {
  let proto = acceptAt(RX, n);
  if (proto == <i32>ipv6.NH_ICMPV6) {
    let reply = icmpv6.echoReply(RX);
    if (reply > 0) { sys_send(<i32>RX, reply); return -1; }
  }
  return proto;
}

/** accept() for the n bytes at p (a record of batch.ts), without answering anything:
 *  the caller turns an Echo Request around (icmpv6.echoReply) and sends it its way. */
export function acceptAt(p: usize, n: i32): i32 {
  let len = ipv6.length(p, n);
  if (len < 0) return ignore(SHORT);
  if (!isOwn(ipv6.dst(p))) return ignore(NOT_OURS);
  let next = ipv6.nextHeader(p);
  let plen = ipv6.payloadLen(p);
  if (next == ipv6.NH_UDP) {
    if (plen < udp.HEADER || udp.length(p) != plen) return ignore(SHORT);
    if (load<u16>(p + <usize>(ipv6.HEADER + udp.CHECKSUM)) == 0) return ignore(CHECKSUM);
  } else if (next == ipv6.NH_ICMPV6) {
    if (plen < icmpv6.HEADER) return ignore(SHORT);
  } else {
    return ignore(PROTO);
  }
  if (l4Checksum(p, ipv6.HEADER, plen, next) != 0) return ignore(CHECKSUM);
  return <i32>next;
}
