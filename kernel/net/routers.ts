// The host side of router discovery (RFC 4861 §6.3), on a NIC whose AUTOCONF record takes
// configuration from the link (never in the router role): solicit routers when the NIC
// comes up (§6.3.7), and from every valid RA learn the router (the default router list),
// the link's MTU, reachable time and retrans timer, and its prefixes (the prefix list: an
// on-link route each; an autonomous /64 gives the node and its services addresses through
// net/slaac.ts). One default router is chosen as §6.3.6 says and one learned ::/0 route
// points at it. Redirects (§8) from the current first hop become host routes.
// Hardened beyond the RFC: a prefix's on-link lifetime is shortened only by the router that
// advertised it (or the default router in use), so a stranger cannot take a prefix
// off-link; full tables make room for the default router in use; RetransTimer is bounded.
// The two-hour rule of RFC 4862 §5.5.3(e) keeps addresses from being cut short (slaac.ts).
// Validation of every RA (§6.1.2) is in ra.ts, which calls raLearn here.
import { Drop } from "../../abi/drop";
import { RouteKind } from "../../abi/status";
import { LogLevel } from "../../abi/kernel";
import { NIC_MAX, LEARNED_MAX, ROUTER_MAX, REDIRECT_MAX, MTU_MIN, MAX_RTR_SOLICITATION_DELAY_MS,
  RTR_SOLICITATION_INTERVAL_MS, MAX_RTR_SOLICITATIONS, MAX_REACHABLE_TIME_MS, RETRANS_MIN_MS, RETRANS_MAX_MS } from "../param";
import { drop, dropParsed } from "../stats";
import { now, NEVER, lifetimeEnd, earliest } from "../clock";
import { between } from "../rand";
import { logStart, logStr, logInt, logAddr, logEnd } from "../log";
import { pktAlloc, pktData, pktSetLen } from "../pool";
import { addrEq, addrCopy, isLinkLocal, isMulticast, prefixMatch } from "../../wire/addr";
import { ld8, ld16, ld32 } from "../../wire/bytes";
import { IP_HDR, NH_ICMPV6, ipHops, ipSrc, ipEmit } from "../../wire/ipv6";
import { icmpCode, icmpSeal } from "../../wire/icmpv6";
import { ND_HOP_LIMIT, RA_OPTIONS, RA_ROUTER_LIFETIME, RA_REACHABLE_TIME, RA_RETRANS_TIMER, NDOPT_SLLA,
  NDOPT_TLLA, NDOPT_PREFIX, NDOPT_MTU, PI_LEN, PI_PREFIX_LEN, PI_FLAGS, PI_VALID, PI_PREFERRED, PI_PREFIX,
  PI_ON_LINK, PI_AUTONOMOUS, MTUOPT_MTU, MTUOPT_LEN, LLA_MAC, LLA_LEN, RD_TARGET, RD_DEST, RD_OPTIONS,
  NDOPT_TYPE, NDOPT_LEN, NDOPT_UNIT, rsEmit, ndNextOption, ndFindOption } from "../../wire/nd";
import { nicMac, nicMtu, nicLinkLocal, linkTimes } from "./iface";
import { routeAdd, routeFind, routeDelete, lookup, routeKind, routeNic, routeVia, routeLen } from "./route";
import { linkOut, learnFrom, neighborKnown } from "./nd";
import { preferredSource, isDuplicate } from "./slaac";
import { acceptRa } from "./autoconf";
import { acLearned, acRoomFor, acForgetPrefix } from "./learned";

const ALL_ROUTERS: usize = memory.data<u8>([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
const UNSPECIFIED: usize = memory.data(16, 8);

// Per NIC: solicitations (§6.3.7) and the largest MTU the manifest allows.
const rsLeft = new StaticArray<u8>(NIC_MAX);
const rsNext = new StaticArray<i64>(NIC_MAX);
const mtuMax = new StaticArray<i32>(NIC_MAX);
export const rtMtu = new StaticArray<u16>(NIC_MAX);      // the MTU last advertised on it, 0: none

// The prefix list.
const PREFIXES: usize = memory.data(LEARNED_MAX * 16, 8);
const PFX_ROUTERS: usize = memory.data(LEARNED_MAX * 16, 8); // who advertised it last
const pNic = new StaticArray<i8>(LEARNED_MAX);               // -1: free
const pLen = new StaticArray<u8>(LEARNED_MAX);
const pFlags = new StaticArray<u8>(LEARNED_MAX);             // PI_ON_LINK | PI_AUTONOMOUS seen
const pOnLink = new StaticArray<i64>(LEARNED_MAX);           // when its on-link lifetime ends; 0: not on-link
const pValid = new StaticArray<i64>(LEARNED_MAX);            // as last advertised (for status)
const pPreferred = new StaticArray<i64>(LEARNED_MAX);

// The default router list.
const ROUTERS: usize = memory.data(ROUTER_MAX * 16, 8);
const rNic = new StaticArray<i8>(ROUTER_MAX);                // -1: free
const rUntil = new StaticArray<i64>(ROUTER_MAX);
const rReachable = new StaticArray<u32>(ROUTER_MAX);
const rRetrans = new StaticArray<u32>(ROUTER_MAX);
const rHeard = new StaticArray<i64>(ROUTER_MAX);             // its last RA
export let chosen: i32 = -1;                                  // the default router now, or -1
export let learning = false;                                  // some NIC takes configuration from RAs

// Redirected destinations: a host route each, and the router that redirected it.
const RD_DESTS: usize = memory.data(REDIRECT_MAX * 16, 8);
const RD_FROM: usize = memory.data(REDIRECT_MAX * 16, 8);
const rdNic = new StaticArray<i8>(REDIRECT_MAX);
const rdAt = new StaticArray<i64>(REDIRECT_MAX);

routersReset();

// @ts-ignore: decorator
@inline export function learnedPrefix(i: i32): usize { return PREFIXES + <usize>(i * 16); }
// @ts-ignore: decorator
@inline export function routerAddr(i: i32): usize { return ROUTERS + <usize>(i * 16); }
export function learnedNic(i: i32): i32 { return <i32>unchecked(pNic[i]); }
export function learnedLen(i: i32): i32 { return <i32>unchecked(pLen[i]); }
export function learnedFlags(i: i32): i32 { return <i32>unchecked(pFlags[i]); }
export function learnedValid(i: i32): i64 { return unchecked(pValid[i]); }
export function learnedPreferred(i: i32): i64 { return unchecked(pPreferred[i]); }
export function routerNic(i: i32): i32 { return <i32>unchecked(rNic[i]); }
export function routerUntil(i: i32): i64 { return unchecked(rUntil[i]); }
export function routerReachable(i: i32): u32 { return unchecked(rReachable[i]); }
export function routerRetrans(i: i32): u32 { return unchecked(rRetrans[i]); }

/** A NIC that takes configuration from RAs, with the manifest's MTU as its largest:
 *  solicit routers when it comes up, after a random delay (§6.3.7). With DAD on, the
 *  first solicitation goes after the link-local address passed (slaac.ts decides when
 *  the NIC's addresses are usable; a solicitation from a tentative address waits). */
export function rsStart(nic: i32): void {
  learning = true;
  unchecked(mtuMax[nic] = unchecked(nicMtu[nic]));
  unchecked(rsLeft[nic] = <u8>MAX_RTR_SOLICITATIONS);
  unchecked(rsNext[nic] = now + between(0, MAX_RTR_SOLICITATION_DELAY_MS));
}

/** Send due solicitations and expire routers, prefixes and redirects; re-choose the
 *  default router. Returns the next time anything is due, or -1. */
export function routersTimers(nicCount: i32): i64 {
  let next: i64 = -1;
  for (let n = 0; n < nicCount; n++) {
    if (unchecked(rsLeft[n]) == 0) continue;
    if (isDuplicate(nicLinkLocal(n))) { unchecked(rsLeft[n] = 0); continue; }   // §5.4.5: no IP on it
    let t = unchecked(rsNext[n]);
    // From a link-local still under DAD nothing goes out; the poll that clears it (slaac.ts
    // wakes the node for it) comes here next.
    if (!preferredSource(nicLinkLocal(n))) continue;
    if (t <= now) { solicit(n); t = unchecked(rsNext[n]); }
    if (unchecked(rsLeft[n]) > 0) next = earliest(next, t);
  }
  for (let i = 0; i < ROUTER_MAX; i++) {
    if (unchecked(rNic[i]) < 0) continue;
    if (unchecked(rUntil[i]) <= now) forgetRouter(i);
    else next = earliest(next, unchecked(rUntil[i]));
  }
  for (let i = 0; i < LEARNED_MAX; i++) {
    if (unchecked(pNic[i]) < 0) continue;
    let on = unchecked(pOnLink[i]);
    if (on != 0 && on <= now) offLink(i);
    else if (on != 0 && on != NEVER) next = earliest(next, on);
    if (unchecked(pOnLink[i]) == 0 && unchecked(pValid[i]) <= now) unchecked(pNic[i] = -1);
    else if (unchecked(pValid[i]) != NEVER && unchecked(pNic[i]) >= 0) next = earliest(next, unchecked(pValid[i]));
  }
  choose();
  return next;
}


/** One Router Solicitation on nic to all routers, from its link-local address (§6.3.7). */
function solicit(nic: i32): void {
  unchecked(rsLeft[nic]--);
  unchecked(rsNext[nic] = now + RTR_SOLICITATION_INTERVAL_MS);
  let pkt = pktAlloc();
  if (pkt < 0) { drop(Drop.POOL_EMPTY); return; }
  let p = pktData(pkt);
  let len = rsEmit(p + IP_HDR, nicMac(nic));
  ipEmit(p, len, NH_ICMPV6, ND_HOP_LIMIT, nicLinkLocal(nic), ALL_ROUTERS);
  icmpSeal(p, len);
  pktSetLen(pkt, IP_HDR + len);
  linkOut(nic, ALL_ROUTERS, pkt);
}

/** A valid RA (ra.ts checked §6.1.2) at p, its ICMPv6 message at m, len bytes, on nic:
 *  act on it if the NIC takes configuration from the link (§6.3.4). */
export function raLearn(nic: i32, p: usize, m: usize, len: i32): void {
  if (!unchecked(acceptRa[nic])) return;
  let src = ipSrc(p);
  let lifetime = ld16(m + RA_ROUTER_LIFETIME);
  let reachable = ld32(m + RA_REACHABLE_TIME), retrans = ld32(m + RA_RETRANS_TIMER);
  let r = findRouter(nic, src);
  if (lifetime == 0) { if (r >= 0) forgetRouter(r); }
  else {
    if (r < 0) r = newRouter(nic, src);
    if (r >= 0) {
      unchecked(rUntil[r] = now + <i64>lifetime * 1000);
      unchecked(rHeard[r] = now);
      unchecked(rReachable[r] = reachable);
      unchecked(rRetrans[r] = retrans);
    }
    unchecked(rsLeft[nic] = 0);                         // desist from soliciting (§6.3.7)
  }
  let sll = ndFindOption(m, len, RA_OPTIONS, NDOPT_SLLA);
  if (sll > 0) learnFrom(nic, src, <usize>sll);
  choose();                                             // prefixes below know the router in use
  // RFC 4861 §6.2.1 bounds AdvReachableTime by an hour; RetransTimer is kept within
  // 10 ms (Linux's floor) .. 10 s, so no advertisement can stall DAD and resolution for days.
  linkTimes(nic, reachable <= MAX_REACHABLE_TIME_MS ? reachable : 0,
    retrans == 0 ? 0 : min(max(retrans, RETRANS_MIN_MS), RETRANS_MAX_MS));
  // One pass over the options, whose lengths ra.ts checked (an option too short for its
  // type is skipped, §4.6).
  for (let o = m + RA_OPTIONS; o < m + <usize>len; o = ndNextOption(o)) {
    let type = ld8(o + NDOPT_TYPE), olen = <i32>ld8(o + NDOPT_LEN) * NDOPT_UNIT;
    if (type == NDOPT_MTU && olen >= MTUOPT_LEN) linkMtu(nic, ld32(o + MTUOPT_MTU));
    else if (type == NDOPT_PREFIX && olen >= PI_LEN) prefixInfo(nic, src, o);
  }
  choose();
}

/** An advertised MTU (§6.3.4): taken if it is at least 1280 and at most what the NIC
 *  can carry (the manifest's MTU). */
function linkMtu(nic: i32, mtu: u32): void {
  if (mtu < <u32>MTU_MIN || mtu > <u32>unchecked(mtuMax[nic])) return;
  unchecked(nicMtu[nic] = <i32>mtu);
  unchecked(rtMtu[nic] = <u16>mtu);
}

/** A prefix information option at o from router src (§6.3.4 on-link, RFC 4862 §5.5.3).
 *  A prefix answers to the router that advertised it first, or to the default router in
 *  use once it advertises it: only that router may shorten its on-link lifetime, take it
 *  off-link, or shorten the lifetimes of the addresses in it; anyone else may only
 *  lengthen them. A full list makes room for the default
 *  router in use, never for anyone else. */
function prefixInfo(nic: i32, src: usize, o: usize): void {
  let plen = <i32>ld8(o + PI_PREFIX_LEN);
  let flags = ld8(o + PI_FLAGS);
  let valid = ld32(o + PI_VALID), preferred = ld32(o + PI_PREFERRED);
  let prefix = o + PI_PREFIX;
  if (isLinkLocal(prefix) || isMulticast(prefix) || plen > 128) return;
  let inUse = isChosen(nic, src);
  let i = findPrefix(nic, prefix, plen);
  if (i < 0) {
    if (valid == 0) return;
    i = newPrefix(nic, prefix, plen);
    if (i < 0 && inUse && evictPrefix(nic)) i = newPrefix(nic, prefix, plen);
    if (i < 0) return;
    addrCopy(advertiser(i), src);
  }
  if (inUse) addrCopy(advertiser(i), src);
  let owner = addrEq(advertiser(i), src);
  let ends = lifetimeEnd(valid);
  if (owner) { unchecked(pValid[i] = ends); unchecked(pPreferred[i] = lifetimeEnd(preferred)); }
  if ((flags & PI_ON_LINK) != 0) {
    unchecked(pFlags[i] |= <u8>PI_ON_LINK);
    let on = unchecked(pOnLink[i]);
    if (valid == 0) { if (owner) offLink(i); }
    else if (on == 0) {
      routeAdd(RouteKind.CONNECTED, learnedPrefix(i), plen, nic, 0, 0, true);
      unchecked(pOnLink[i] = ends);
    } else if (owner || ends > on) unchecked(pOnLink[i] = ends);
  }
  // RFC 4862 §5.5.3: SLAAC takes a /64 (the identifiers are 64 bits), preferred ≤ valid.
  if ((flags & PI_AUTONOMOUS) != 0 && plen == 64 && preferred <= valid) {
    unchecked(pFlags[i] |= <u8>PI_AUTONOMOUS);
    if (inUse) while (!acRoomFor(nic) && evictPrefix(nic)) {}
    acLearned(nic, learnedPrefix(i), valid, preferred, owner, inUse);
  }
}

// @ts-ignore: decorator
@inline function advertiser(i: i32): usize { return PFX_ROUTERS + <usize>(i * 16); }

/** Is src the default router in use, on nic? */
function isChosen(nic: i32, src: usize): bool {
  return chosen >= 0 && <i32>unchecked(rNic[chosen]) == nic && addrEq(routerAddr(chosen), src);
}

/** Make room for the default router in use: forget a prefix on nic that another router
 *  advertised, with its learned addresses. Returns whether one went. */
function evictPrefix(nic: i32): bool {
  for (let i = 0; i < LEARNED_MAX; i++) {
    if (<i32>unchecked(pNic[i]) != nic || isChosen(nic, advertiser(i))) continue;
    offLink(i);
    if (<i32>unchecked(pLen[i]) == 64) acForgetPrefix(nic, learnedPrefix(i));
    unchecked(pNic[i] = -1);
    return true;
  }
  return false;
}

function findPrefix(nic: i32, prefix: usize, len: i32): i32 {
  for (let i = 0; i < LEARNED_MAX; i++) {
    if (<i32>unchecked(pNic[i]) == nic && <i32>unchecked(pLen[i]) == len && prefixMatch(prefix, learnedPrefix(i), len)) return i;
  }
  return -1;
}

function newPrefix(nic: i32, prefix: usize, len: i32): i32 {
  for (let i = 0; i < LEARNED_MAX; i++) {
    if (unchecked(pNic[i]) >= 0) continue;
    unchecked(pNic[i] = <i8>nic);
    unchecked(pLen[i] = <u8>len);
    unchecked(pFlags[i] = 0);
    unchecked(pOnLink[i] = 0);
    memory.fill(learnedPrefix(i), 0, 16);
    memory.copy(learnedPrefix(i), prefix, <usize>((len + 7) >> 3));
    if ((len & 7) != 0) store<u8>(learnedPrefix(i) + <usize>(len >> 3), load<u8>(learnedPrefix(i) + <usize>(len >> 3)) & <u8>(0xff00 >> (len & 7)));
    return i;
  }
  return -1;
}

/** Prefix i is no longer on-link: its route goes. */
function offLink(i: i32): void {
  if (unchecked(pOnLink[i]) == 0) return;
  unchecked(pOnLink[i] = 0);
  let r = routeFind(RouteKind.CONNECTED, learnedPrefix(i), <i32>unchecked(pLen[i]), <i32>unchecked(pNic[i]), 0, true);
  if (r >= 0) routeDelete(r);
}

function findRouter(nic: i32, a: usize): i32 {
  for (let i = 0; i < ROUTER_MAX; i++) if (<i32>unchecked(rNic[i]) == nic && addrEq(routerAddr(i), a)) return i;
  return -1;
}

/** A place on the list for router a: a free one, or that of the router not in use heard
 *  from longest ago (so a flood of strangers cannot keep a real router off for good). */
function newRouter(nic: i32, a: usize): i32 {
  let old = -1;
  for (let i = 0; i < ROUTER_MAX; i++) {
    if (unchecked(rNic[i]) < 0 || i == chosen) continue;
    if (old < 0 || unchecked(rHeard[i]) < unchecked(rHeard[old])) old = i;
  }
  let free = 0;
  while (free < ROUTER_MAX && unchecked(rNic[free]) >= 0) free++;
  if (free == ROUTER_MAX && old >= 0) forgetRouter(old);
  for (let i = 0; i < ROUTER_MAX; i++) {
    if (unchecked(rNic[i]) >= 0) continue;
    unchecked(rNic[i] = <i8>nic);
    addrCopy(routerAddr(i), a);
    say("router ", a, nic, " is on the default router list");
    return i;
  }
  return -1;
}

/** Router i leaves the list (its lifetime ended, or it advertised 0): the redirects it
 *  made go with it, and another router is chosen. */
function forgetRouter(i: i32): void {
  let nic = <i32>unchecked(rNic[i]);
  say("router ", routerAddr(i), nic, " left the default router list");
  for (let k = 0; k < REDIRECT_MAX; k++) {
    if (<i32>unchecked(rdNic[k]) == nic && addrEq(RD_FROM + <usize>(k * 16), routerAddr(i))) unredirect(k);
  }
  if (chosen == i) { unroute(); chosen = -1; }
  unchecked(rNic[i] = -1);
  choose();
}

/** §6.3.6: keep the chosen router while it is probably reachable (a neighbor entry that is
 *  not INCOMPLETE); else the first that is; else the next one after the chosen, round robin. */
function choose(): void {
  if (chosen >= 0 && reachableRouter(chosen)) return;
  let pick = -1;
  for (let i = 0; i < ROUTER_MAX && pick < 0; i++) if (unchecked(rNic[i]) >= 0 && reachableRouter(i)) pick = i;
  for (let k = 1; k <= ROUTER_MAX && pick < 0; k++) {
    let i = (chosen + k + ROUTER_MAX) % ROUTER_MAX;
    if (unchecked(rNic[i]) >= 0) pick = i;
  }
  if (pick == chosen) return;
  unroute();
  chosen = pick;
  if (pick >= 0) routeAdd(RouteKind.STATIC, UNSPECIFIED, 0, <i32>unchecked(rNic[pick]), 0, routerAddr(pick), true);
}

/** Is router i reachable or probably so: a neighbor entry that is not INCOMPLETE (§6.3.6)? */
function reachableRouter(i: i32): bool { return unchecked(rNic[i]) >= 0 && neighborKnown(<i32>unchecked(rNic[i]), routerAddr(i)); }

/** Take away the learned default route through the chosen router. */
function unroute(): void {
  if (chosen < 0) return;
  let nic = <i32>unchecked(rNic[chosen]);
  let r = routeFind(RouteKind.STATIC, UNSPECIFIED, 0, nic, routerAddr(chosen), true);
  if (r >= 0) routeDelete(r);
}

/** A Redirect (checksum verified) at p, ICMPv6 at off, len bytes, on nic (§8.1, §8.3). */
export function redirectInput(nic: i32, p: usize, off: i32, len: i32): void {
  let m = p + <usize>off;
  if (!unchecked(acceptRa[nic])) return;                // a router, or a NIC that takes nothing from the link
  let src = ipSrc(p), target = m + RD_TARGET, dest = m + RD_DEST;
  if (!isLinkLocal(src) || ipHops(p) != ND_HOP_LIMIT || icmpCode(m) != 0 || len < RD_OPTIONS ||
      isMulticast(dest) || (!isLinkLocal(target) && !addrEq(target, dest))) {
    dropParsed(Drop.ND_INVALID, nic, p); return;
  }
  let tll = ndFindOption(m, len, RD_OPTIONS, NDOPT_TLLA);
  if (tll < 0) { dropParsed(Drop.ND_INVALID, nic, p); return; }
  // Only the first hop now in use for dest may redirect it.
  let r = lookup(dest);
  if (r < 0 || routeKind(r) != RouteKind.STATIC || routeNic(r) != nic || !addrEq(routeVia(r), src)) {
    dropParsed(Drop.ND_INVALID, nic, p); return;
  }
  if (tll > 0) learnFrom(nic, target, <usize>tll);
  redirect(nic, dest, addrEq(target, dest) ? 0 : target, src);
}

/** Send dest through via (0: on-link) on nic from now on; the oldest redirect makes room. */
function redirect(nic: i32, dest: usize, via: usize, from: usize): void {
  let k = -1;
  for (let i = 0; i < REDIRECT_MAX && k < 0; i++) {
    if (unchecked(rdNic[i]) >= 0 && addrEq(RD_DESTS + <usize>(i * 16), dest)) k = i;
  }
  for (let i = 0; i < REDIRECT_MAX && k < 0; i++) if (unchecked(rdNic[i]) < 0) k = i;
  if (k < 0) {
    k = 0;
    for (let i = 1; i < REDIRECT_MAX; i++) if (unchecked(rdAt[i]) < unchecked(rdAt[k])) k = i;
  }
  if (unchecked(rdNic[k]) >= 0) unredirect(k);
  if (routeAdd(RouteKind.STATIC, dest, 128, nic, 0, via, true) < 0) return;
  unchecked(rdNic[k] = <i8>nic);
  unchecked(rdAt[k] = now);
  addrCopy(RD_DESTS + <usize>(k * 16), dest);
  addrCopy(RD_FROM + <usize>(k * 16), from);
}

function unredirect(k: i32): void {
  let r = routeFind(RouteKind.STATIC, RD_DESTS + <usize>(k * 16), 128, <i32>unchecked(rdNic[k]), 0, true);
  if (r >= 0) routeDelete(r);
  unchecked(rdNic[k] = -1);
}

function say(what: string, a: usize, nic: i32, rest: string): void {
  logStart();
  logStr(what);
  logAddr(a);
  logStr(" on NIC ");
  logInt(nic);
  logStr(rest);
  logEnd(LogLevel.INFO);
}

/** Forget everything learned (a refused boot). */
export function routersReset(): void {
  for (let n = 0; n < NIC_MAX; n++) { unchecked(rsLeft[n] = 0); unchecked(rtMtu[n] = 0); }
  for (let i = 0; i < LEARNED_MAX; i++) unchecked(pNic[i] = -1);
  for (let i = 0; i < ROUTER_MAX; i++) unchecked(rNic[i] = -1);
  for (let i = 0; i < REDIRECT_MAX; i++) unchecked(rdNic[i] = -1);
  chosen = -1;
  learning = false;
}
