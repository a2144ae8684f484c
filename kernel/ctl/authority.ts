// What a signed control message may claim (spec/control.md, "Who may hand out what"). A
// user gets only what the node's owner delegated to it (ctl/delegations.ts):
//   an address for a service it loads: inside one of its prefixes, never one of the node's
//   own addresses or a route's next hop, never an address the node reaches through a static
//   route (a network beyond it), inside a connected prefix only if the delegation lies
//   inside that prefix and never the prefix's subnet-router or reserved anycast addresses
//   (RFC 4291 §2.6.1, RFC 2526), and not an address a neighbor on a link is using;
//   a disk extent: inside one of its extents with no more rights, and sharing no byte with
//   an extent that a service of another owner holds.
// Each check only reads; a refusal logs one line (the reply quotes it) and returns -Errno.
// Called by ctl/ops.ts for each SVC_ADDR and CAP_DISK record, before the record is applied.
import { Errno } from "../../abi/errno";
import { LogLevel } from "../../abi/kernel";
import { RouteKind } from "../../abi/status";
import { RIGHT_READ, RIGHT_WRITE } from "../../abi/caps";
import { SVC_MAX } from "../param";
import { logStart, logStr, logInt, logBytes, logAddr, logEnd } from "../log";
import { ownRoute, routeBeyond, routeKind, routeLen, routePrefix, routeVia, routeHigh, routeUsed } from "../net/route";
import { addrEq } from "../../wire/addr";
import { neighborNic } from "../net/nd";
import { svcValid, svcName, svcNameLen, svcOwner } from "../svc/registry";
import { capOverlaps } from "../svc/caps";
import { prefixFor, delegatedLen, extentDelegated } from "./delegations";
import { userName, userNameLen } from "./users";

function start(a: usize): void {
  logStart();
  logStr("control message refused: ");
  logAddr(a);
}

function end(err: Errno): i32 {
  logEnd(LogLevel.WARN);
  return -err;
}

function user(u: i32): void { logBytes(userName(u), userNameLen(u)); }

/** May user u give the address at a to a service it loads? 0, or -Errno after logging why. */
export function mayClaimAddress(u: i32, a: usize): i32 {
  let d = prefixFor(u, a);
  if (d < 0) {
    start(a); logStr(" is not in a prefix the node's owner gave "); user(u);
    logStr(" (users[].addresses in the node's manifest)");
    return end(Errno.EACCES);
  }
  // A router answers at its prefixes' Subnet-Router anycast addresses (boot.ts), so one is
  // also its own address: the more particular reason is given first.
  let r = routeBeyond(a);
  if (r >= 0 && routeKind(r) == RouteKind.CONNECTED && anycast(a, routeLen(r))) {
    start(a); logStr(" is a subnet anycast address of the connected prefix "); logAddr(routePrefix(r));
    logStr("/"); logInt(routeLen(r)); logStr(" (RFC 4291 §2.6.1, RFC 2526): its routers'");
    return end(Errno.EACCES);
  }
  let own = ownRoute(a);
  if (own >= 0 && routeKind(own) == RouteKind.LOCAL) {
    start(a); logStr(" is one of the node's own addresses");
    return end(Errno.EACCES);
  }
  for (let i = 0; i < routeHigh; i++) {
    if (!routeUsed(i) || routeKind(i) != RouteKind.STATIC || !addrEq(routeVia(i), a)) continue;
    start(a); logStr(" is the next hop of the route to "); logAddr(routePrefix(i)); logStr("/"); logInt(routeLen(i));
    return end(Errno.EACCES);
  }
  if (r >= 0 && routeKind(r) == RouteKind.STATIC && routeLen(r) > 0) {
    start(a); logStr(" is reached through the route to "); logAddr(routePrefix(r));
    logStr("/"); logInt(routeLen(r)); logStr(": it belongs to a network beyond this node");
    return end(Errno.EACCES);
  }
  if (r >= 0 && routeKind(r) == RouteKind.CONNECTED && delegatedLen(d) < routeLen(r)) {
    start(a); logStr(" is in the connected prefix "); logAddr(routePrefix(r)); logStr("/"); logInt(routeLen(r));
    logStr(", which the node's owner did not delegate: the prefix given to "); user(u); logStr(" is wider than it");
    return end(Errno.EACCES);
  }
  let nic = neighborNic(a);
  if (nic >= 0) {
    start(a); logStr(" is in use by a neighbor on NIC "); logInt(nic);
    return end(Errno.EEXIST);
  }
  return 0;
}

/** Is a, in a connected prefix of len bits, that prefix's subnet-router anycast address
 *  (every bit after the prefix 0, RFC 4291 §2.6.1) or, in a /64, one of the 128 reserved
 *  subnet anycast addresses (interface identifier fdff:ffff:ffff:ff80 and up, RFC 2526)? */
function anycast(a: usize, len: i32): bool {
  let hi = bswap<u64>(load<u64>(a)), lo = bswap<u64>(load<u64>(a, 8));
  if (len >= 127) return false;                                  // RFC 6164: /127 links have none
  let zero = len >= 64 ? (lo << <u64>(len - 64)) == 0 : (hi << <u64>len) == 0 && lo == 0;
  return zero || (len == 64 && lo >= 0xfdffffffffffff80);
}

/** May user u grant service svc the extent [off, off + len) of disk with these rights?
 *  0, or -Errno after logging why. */
export function mayGrantExtent(u: i32, svc: i32, disk: i32, rights: i32, off: u64, len: u64): i32 {
  if (!extentDelegated(u, disk, rights & (RIGHT_READ | RIGHT_WRITE), off, len)) {
    logStart(); logStr("control message refused: the extent at "); logInt(<i64>off); logStr(" of ");
    logInt(<i64>len); logStr(" bytes of disk "); logInt(disk);
    logStr(", with those rights, is not inside one the node's owner gave "); user(u);
    logStr(" (users[].disks in the node's manifest)");
    return end(Errno.EACCES);
  }
  let owner = <i32>unchecked(svcOwner[svc]);
  for (let s = 0; s < SVC_MAX; s++) {
    if (!svcValid(s) || <i32>unchecked(svcOwner[s]) == owner || !capOverlaps(s, disk, off, len)) continue;
    logStart(); logStr("control message refused: the extent at "); logInt(<i64>off); logStr(" of ");
    logInt(<i64>len); logStr(" bytes of disk "); logInt(disk); logStr(" overlaps one that ");
    logBytes(svcName(s), <i32>unchecked(svcNameLen[s])); logStr(", a service of another owner, holds");
    return end(Errno.EEXIST);
  }
  return 0;
}
