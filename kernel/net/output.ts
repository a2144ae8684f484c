// Where every packet that leaves the ingress chain goes: routed by destination to a
// service's queue, to the kernel itself, or out of a NIC. Forwarded packets have their
// hop limit decremented here — the only byte the node ever changes in a packet it
// forwards — and get ICMPv6 errors (time exceeded, packet too big, unreachable) from
// here; packets the kernel or a service originates get an error code instead.
// Every call consumes the packet: it is queued, transmitted, delivered or dropped.
// This is the one place that sends: the handlers of packets for the node (local.ts,
// ctl/control.ts) and icmpv6.ts return what they answer, and output() routes that in turn,
// in a loop, until nothing is left. None of them imports this file.
import { Errno } from "../../abi/errno";
import { Drop } from "../../abi/drop";
import { RouteKind } from "../../abi/status";
import { Role } from "../../abi/kernel";
import { LOCAL_MTU } from "../param";
import { dropPacket, dropSent } from "../stats";
import { pktData, pktLen, pktFree, pktAlloc, pktSetLen, pktClass, pktSetClass, pktIsGso, pktGso, NONE } from "../pool";
import { dropSegments } from "../stats";
import { gsoCount, gsoSegment, tcpHdrLen } from "./gso";
import { nicKind, nicNoGso } from "./iface";
import { superMayQueue } from "./egress";
import { NicKind } from "../../abi/kernel";
import { isLinkLocal, isMulticast, isUnspecified, isLoopback, isV4Mapped, addrEq } from "../../wire/addr";
import { IP_SRC, IP_DST, IP_HOPS, IP_HDR, ipHops } from "../../wire/ipv6";
import { lookup, nextHop, routeKind, routeNic, routeSvc, routeAddrIndex } from "./route";
import { nicMtu, nicValid, nicLinkLocal } from "./iface";
import { linkOut, nodeRole } from "./nd";
import { svcDeliver } from "../svc/queue";
import { capHolds } from "../svc/caps";
import { CapKind, RIGHT_RECV } from "../../abi/caps";
import { localInput } from "./local";
import { tentatives, isTentative } from "./slaac";
import { icmpError } from "./icmpv6";
import { ICMP_UNREACH, ICMP_TOO_BIG, ICMP_TIME } from "../../wire/icmpv6";

export enum Origin {
  FORWARD = 0,  // received on a NIC, not for this node: hop limit decrements
  NODE = 1,     // built by the kernel (ND, ICMPv6)
  SERVICE = 2,  // sent by a service through the send syscall
}

/** A step's result besides 0 and -Errno: ANSWER + pkt means the step is done and the node
 *  answers with pkt (a reply from the node itself, an ICMPv6 error), which output() sends
 *  next. Above every buffer index (pool.ts keeps them in a u16). */
const ANSWER: i32 = 0x10000;

/** Route pkt, then what the node answers to it, until nothing is left. inNic is the NIC
 *  it came from (-1 if none): link-local destinations of the kernel's own answers leave
 *  through it. Returns 0, or -Errno for NODE and SERVICE. */
export function output(pkt: i32, origin: Origin, inNic: i32): i32 {
  let r = step(pkt, origin, inNic);
  let result = r < 0 ? r : 0;
  while (r >= ANSWER) r = step(r - ANSWER, Origin.NODE, inNic);
  return result;
}

/** Send what a handler answered (a packet the kernel built, from inNic's side), or
 *  nothing (NONE). */
export function answer(pkt: i32, inNic: i32): void {
  if (pkt != NONE) output(pkt, Origin.NODE, inNic);
}

/** A packet for the node itself that input.ts hands over without routing (to a group the
 *  node listens to, or neighbor discovery), from a frame whose source MAC is at srcMac. */
export function deliver(pkt: i32, nic: i32, srcMac: usize): void {
  answer(localInput(pkt, nic, srcMac), nic);
}

/** Drop pkt (from inNic, or a service's), counted; -err, or the answer e (an ICMPv6 error
 *  about it) if there is one. */
function refuse(pkt: i32, inNic: i32, reason: Drop, err: Errno, e: i32 = NONE): i32 {
  dropSent(reason, pkt, inNic);
  pktFree(pkt);
  return e != NONE ? ANSWER + e : -err;
}

/** The node's answer e, or NONE, as a step's result. */
function answered(e: i32): i32 { return e != NONE ? ANSWER + e : 0; }

/** One packet's way: consumes pkt; 0, -Errno, or ANSWER + the packet the node answers with.
 *  Inlined into output(): as a call of its own it cost the image's forwarding ~3 %. */
// @ts-ignore: decorator
@inline function step(pkt: i32, origin: Origin, inNic: i32): i32 {
  if (pktIsGso(pkt)) return superStep(pkt, origin, inNic);
  let p = pktData(pkt);
  let dst = p + IP_DST;
  let len = pktLen(pkt);
  // Never routed anywhere (RFC 4291, RFC 6890): a service asking for them is told so. A
  // received packet was checked for them on its way in (input.ts martian).
  if (origin != Origin.FORWARD && (isUnspecified(dst) || isLoopback(dst) || isV4Mapped(dst))) {
    return refuse(pkt, inNic, Drop.MARTIAN, Errno.EHOSTUNREACH);
  }
  if (isMulticast(dst) || isLinkLocal(dst)) {
    // Scoped to one link: only the kernel answers on the link a packet came from, and the
    // only link-local address that is the node's own is that of the NIC it arrived on.
    if (origin == Origin.NODE && nicValid(inNic)) { linkOut(inNic, dst, pkt); return 0; }
    if (origin == Origin.FORWARD && nicValid(inNic) && addrEq(dst, nicLinkLocal(inNic))) {
      return answered(localInput(pkt, inNic, 0));
    }
    if (origin == Origin.FORWARD) return refuse(pkt, inNic, Drop.LINK_LOCAL_FWD, Errno.EHOSTUNREACH);
    if (isMulticast(dst)) return refuse(pkt, inNic, Drop.MULTICAST, Errno.EHOSTUNREACH);
    return refuse(pkt, inNic, Drop.NO_ROUTE, Errno.EHOSTUNREACH);
  }
  let route = lookup(dst);
  // An address of ours that DAD has not cleared has no route yet: a packet to it is
  // dropped without a word (RFC 4862 §5.4), not sent on or answered as unreachable.
  if (tentatives != 0 && (route < 0 || routeKind(route) > RouteKind.LOCAL) && isTentative(dst)) {
    return refuse(pkt, inNic, Drop.ADDR_TENTATIVE, Errno.EADDRNOTAVAIL);
  }
  if (route < 0) return unreachable(pkt, origin, 0, inNic);
  let kind = routeKind(route);
  if (kind == RouteKind.SERVICE || kind == RouteKind.LOCAL) {
    if (kind == RouteKind.LOCAL) return answered(localInput(pkt, inNic, 0));
    if (origin == Origin.SERVICE && len > LOCAL_MTU) return refuse(pkt, inNic, Drop.TOO_BIG, Errno.EMSGSIZE);
    let svc = routeSvc(route);
    if (!capHolds(svc, CapKind.ADDR, routeAddrIndex(route), RIGHT_RECV)) {
      dropPacket(Drop.SVC_DOWN, pkt, inNic, svc);   // a drop at a service's door names that service
      pktFree(pkt);
      return -Errno.EHOSTUNREACH;
    }
    let r = svcDeliver(svc, pkt, inNic);
    return origin == Origin.SERVICE ? r : 0;
  }
  if (origin == Origin.FORWARD) {
    if (nodeRole != Role.ROUTER) return unreachable(pkt, origin, 3, inNic);
    if (isLinkLocal(p + IP_SRC)) {
      let e = icmpError(pkt, ICMP_UNREACH, 2, 0, inNic);   // beyond scope of source address (RFC 4443 §3.1)
      return refuse(pkt, inNic, Drop.LINK_LOCAL_FWD, Errno.EHOSTUNREACH, e);
    }
  }
  let nic = routeNic(route);
  let hop = nextHop(route, dst);
  let mtu = unchecked(nicMtu[nic]);
  if (origin == Origin.FORWARD) {
    let hops = ipHops(p);
    if (hops <= 1) {
      let e = icmpError(pkt, ICMP_TIME, 0, 0, inNic);
      return refuse(pkt, inNic, Drop.HOP_LIMIT, Errno.EHOSTUNREACH, e);
    }
    if (len > mtu) {
      let e = icmpError(pkt, ICMP_TOO_BIG, 0, <u32>mtu, inNic);
      return refuse(pkt, inNic, Drop.TOO_BIG, Errno.EMSGSIZE, e);
    }
    store<u8>(p + IP_HOPS, <u8>(hops - 1));
  } else if (len > mtu) {
    return refuse(pkt, inNic, Drop.TOO_BIG, Errno.EMSGSIZE);
  }
  linkOut(nic, hop, pkt);
  return 0;
}

/** A TCP super-frame's way (net/gso.ts; only the forwarding way holds one): whole out of a
 *  TAP NIC, the one kind that takes super-frames (nic_send_gso), when each segment would
 *  have gone there as it is but for the hop limit — a router, a route to that NIC, a hop
 *  limit above 1, a source that is not link-local, a destination that is not tentative, and
 *  segments that fit the NIC's MTU — and no rate gates the NIC's forwarding (egress.ts
 *  superMayQueue). In every other case it is cut into its segments, each
 *  routed as any received packet (to a service, the kernel, a WireGuard or VXLAN NIC, or an
 *  ICMPv6 error of its own), so the shortcut changes nothing but the work. */
function superStep(pkt: i32, origin: Origin, inNic: i32): i32 {
  let p = pktData(pkt);
  let dst = p + IP_DST;
  let route = lookup(dst);
  if (route >= 0 && origin == Origin.FORWARD && nodeRole == Role.ROUTER && !isLinkLocal(p + IP_SRC)) {
    let kind = routeKind(route);
    let nic = routeNic(route);
    let hops = ipHops(p);
    if (kind != RouteKind.SERVICE && kind != RouteKind.LOCAL && unchecked(nicKind[nic]) == <u8>NicKind.TAP && !unchecked(nicNoGso[nic]) && superMayQueue(nic) && hops > 1 &&
        IP_HDR + tcpHdrLen(p) + pktGso(pkt) <= unchecked(nicMtu[nic]) && (tentatives == 0 || !isTentative(dst))) {
      store<u8>(p + IP_HOPS, <u8>(hops - 1));
      linkOut(nic, nextHop(route, dst), pkt);
      return 0;
    }
  }
  let len = pktLen(pkt);
  let gso = pktGso(pkt);
  let segs = gsoCount(p, len, gso);
  for (let k = 0; k < segs; k++) {
    let s = pktAlloc();
    if (s < 0) { dropSegments(Drop.POOL_EMPTY, segs - k); break; }
    pktSetLen(s, gsoSegment(p, len, gso, k, pktData(s)));
    pktSetClass(s, pktClass(pkt));
    output(s, origin, inNic);
  }
  pktFree(pkt);
  return 0;
}

/** No route (code 0) or, for a host that does not forward, address unreachable (3). */
function unreachable(pkt: i32, origin: Origin, code: u32, inNic: i32): i32 {
  let e = origin == Origin.FORWARD ? icmpError(pkt, ICMP_UNREACH, code, 0, inNic) : NONE;
  return refuse(pkt, inNic, Drop.NO_ROUTE, Errno.EHOSTUNREACH, e);
}

/** The MTU towards dst for a packet a service would send, or -Errno. */
export function pathMtu(dst: usize): i32 {
  if (isMulticast(dst) || isLinkLocal(dst)) return -Errno.EHOSTUNREACH;
  let route = lookup(dst);
  if (route < 0) return -Errno.EHOSTUNREACH;
  let kind = routeKind(route);
  if (kind == RouteKind.SERVICE || kind == RouteKind.LOCAL) return LOCAL_MTU;
  return unchecked(nicMtu[routeNic(route)]);
}
