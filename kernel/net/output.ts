// Where every packet that leaves the ingress chain goes: routed by destination to a
// service's queue, to the kernel itself, or out of a NIC. Forwarded packets have their
// hop limit decremented here — the only byte the node ever changes in a packet it
// forwards — and get ICMPv6 errors (time exceeded, packet too big, unreachable) from
// here; packets the kernel or a service originates get an error code instead.
// Every call consumes the packet: it is queued, transmitted, delivered or dropped.
import { Errno } from "../../abi/errno";
import { Drop } from "../../abi/drop";
import { RouteKind } from "../../abi/status";
import { Role } from "../../abi/kernel";
import { LOCAL_MTU } from "../param";
import { drop } from "../stats";
import { pktData, pktLen, pktFree } from "../pool";
import { ld8 } from "./bytes";
import { isLinkLocal, isMulticast, isUnspecified, isLoopback, isV4Mapped, addrEq } from "./addr";
import { IP_SRC, IP_DST, IP_HOPS } from "./ipv6";
import { lookup, nextHop, routeKind, routeNic, routeSvc, routeAddrIndex } from "./route";
import { nicMtu, nicValid, nicLinkLocal } from "./iface";
import { linkOut, nodeRole } from "./nd";
import { svcDeliver } from "../svc/queue";
import { capHolds } from "../svc/caps";
import { CapKind, RIGHT_RECV } from "../../abi/caps";
import { localInput } from "./local";
import { icmpError, ICMP_UNREACH, ICMP_TOO_BIG, ICMP_TIME } from "./icmpv6";

export enum Origin {
  FORWARD = 0,  // received on a NIC, not for this node: hop limit decrements
  NODE = 1,     // built by the kernel (ND, ICMPv6)
  SERVICE = 2,  // sent by a service through the send syscall
}

function refuse(pkt: i32, reason: Drop, err: Errno): i32 {
  drop(reason);
  pktFree(pkt);
  return -err;
}

/** Route pkt. inNic is the NIC it came from (-1 if none): link-local destinations of the
 *  kernel's own answers leave through it. Returns 0, or -Errno for NODE and SERVICE. */
export function output(pkt: i32, origin: Origin, inNic: i32): i32 {
  let p = pktData(pkt);
  let dst = p + IP_DST;
  let len = pktLen(pkt);
  // Never routed anywhere (RFC 4291, RFC 6890): a service asking for them is told so. A
  // received packet was checked for them on its way in (input.ts martian).
  if (origin != Origin.FORWARD && (isUnspecified(dst) || isLoopback(dst) || isV4Mapped(dst))) {
    return refuse(pkt, Drop.MARTIAN, Errno.EHOSTUNREACH);
  }
  if (isMulticast(dst) || isLinkLocal(dst)) {
    // Scoped to one link: only the kernel answers on the link a packet came from, and the
    // only link-local address that is the node's own is that of the NIC it arrived on.
    if (origin == Origin.NODE && nicValid(inNic)) { linkOut(inNic, dst, pkt); return 0; }
    if (origin == Origin.FORWARD && nicValid(inNic) && addrEq(dst, nicLinkLocal(inNic))) {
      localInput(pkt, inNic);
      return 0;
    }
    if (origin == Origin.FORWARD) return refuse(pkt, Drop.LINK_LOCAL_FWD, Errno.EHOSTUNREACH);
    if (isMulticast(dst)) return refuse(pkt, Drop.MULTICAST, Errno.EHOSTUNREACH);
    return refuse(pkt, Drop.NO_ROUTE, Errno.EHOSTUNREACH);
  }
  let route = lookup(dst);
  if (route < 0) return unreachable(pkt, origin, 0, inNic);
  let kind = routeKind(route);
  if (kind == RouteKind.SERVICE || kind == RouteKind.LOCAL) {
    if (kind == RouteKind.LOCAL) { localInput(pkt, inNic); return 0; }
    if (origin == Origin.SERVICE && len > LOCAL_MTU) return refuse(pkt, Drop.TOO_BIG, Errno.EMSGSIZE);
    let svc = routeSvc(route);
    if (!capHolds(svc, CapKind.ADDR, routeAddrIndex(route), RIGHT_RECV)) return refuse(pkt, Drop.SVC_DOWN, Errno.EHOSTUNREACH);
    let r = svcDeliver(svc, pkt);
    return origin == Origin.SERVICE ? r : 0;
  }
  if (origin == Origin.FORWARD) {
    if (nodeRole != Role.ROUTER) return unreachable(pkt, origin, 3, inNic);
    if (isLinkLocal(p + IP_SRC)) {
      icmpError(pkt, ICMP_UNREACH, 2, 0, inNic);   // beyond scope of source address (RFC 4443 §3.1)
      return refuse(pkt, Drop.LINK_LOCAL_FWD, Errno.EHOSTUNREACH);
    }
  }
  let nic = routeNic(route);
  let hop = nextHop(route, dst);
  let mtu = unchecked(nicMtu[nic]);
  if (origin == Origin.FORWARD) {
    let hops = ld8(p + IP_HOPS);
    if (hops <= 1) {
      icmpError(pkt, ICMP_TIME, 0, 0, inNic);
      return refuse(pkt, Drop.HOP_LIMIT, Errno.EHOSTUNREACH);
    }
    if (len > mtu) {
      icmpError(pkt, ICMP_TOO_BIG, 0, <u32>mtu, inNic);
      return refuse(pkt, Drop.TOO_BIG, Errno.EMSGSIZE);
    }
    store<u8>(p + IP_HOPS, <u8>(hops - 1));
  } else if (len > mtu) {
    return refuse(pkt, Drop.TOO_BIG, Errno.EMSGSIZE);
  }
  linkOut(nic, hop, pkt);
  return 0;
}

/** No route (code 0) or, for a host that does not forward, address unreachable (3). */
function unreachable(pkt: i32, origin: Origin, code: u32, inNic: i32): i32 {
  if (origin == Origin.FORWARD) icmpError(pkt, ICMP_UNREACH, code, 0, inNic);
  return refuse(pkt, Drop.NO_ROUTE, Errno.EHOSTUNREACH);
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
