// Addresses checked before use, and addresses with lifetimes (RFC 4862). Here live: every
// address of a NIC whose manifest asks for duplicate address detection (AUTOCONF dad > 0)
// — its link-local, the node's address in each of its prefixes, the services' addresses in
// its prefixes — and every address formed in a prefix learned from a router advertisement
// (net/routers.ts hands over the prefix). An address is TENTATIVE while its solicitations
// are out (§5.4): it has no route, so nothing is delivered to or sent from it; then
// PREFERRED, with its route; DEPRECATED when its preferred lifetime ends (§5.5.4: still
// answered, not chosen for new traffic); removed when its valid lifetime ends. A DUPLICATE
// (§5.4.5) is never used, and says so in the log and status. A learned address takes the
// RFC 7217 identifier (net/iid.ts); after a duplicate, the next one (IDGEN_RETRIES).
// Addresses of NICs without DAD never come here: they are usable from boot, as before.
// Forming addresses in a learned prefix is learned.ts's; what each NIC asked for is autoconf.ts's; the solicitations are built by dad.ts; the
// node's choice among these addresses is source.ts's. Imports nothing of nd.ts, which
// calls dadHeard.
import { LogLevel } from "../../abi/kernel";
import { RouteKind, AddrState, AddrOrigin } from "../../abi/status";
import { CapKind, RIGHT_SEND, RIGHT_RECV, RIGHT_DERIVE } from "../../abi/caps";
import { ADDRCONF_MAX, SVC_MAX, ADDR_PER_SVC, IDGEN_RETRIES, TWO_HOURS_MS,
  MAX_RTR_SOLICITATION_DELAY_MS } from "../param";
import { now, NEVER, lifetimeEnd } from "../clock";
import { between } from "../rand";
import { logStart, logStr, logInt, logAddr, logBytes, logEnd } from "../log";
import { addrCopy, addrEq } from "../../wire/addr";
import { nicLinkLocal, nicMac, nicRetransMs, prefixCount, prefixNic, prefixNodeAddr, connectedNic } from "./iface";
import { autoconfSet, autoconfForget, autoconfReset, dadOn, dadTransmits, secretOf, wantsLearned } from "./autoconf";
import { sendDadSolicit } from "./dad";
import { routeAdd, routeAddService, routeFind, routeDelete, routeSvc, ownRoute } from "./route";
import { stableAddress } from "./iid";
import { svcAddr, svcAddrCount, svcName, svcNameLen, svcAddrUse, svcAddrOk, svcAddAddr, svcValid } from "../svc/registry";
import { capGrant } from "../svc/caps";

export const NODE: i8 = -1;

// Per address.
const ADDRS: usize = memory.data(ADDRCONF_MAX * 16, 8);
const aNic = new StaticArray<i8>(ADDRCONF_MAX);     // -1: free
const aSvc = new StaticArray<i16>(ADDRCONF_MAX);    // NODE, or the service (ids up to SVC_MAX 1024)
const aIdx = new StaticArray<u8>(ADDRCONF_MAX);     // a service's: its index in the service's list
const aOrigin = new StaticArray<u8>(ADDRCONF_MAX);
const aState = new StaticArray<u8>(ADDRCONF_MAX);
const aDadLeft = new StaticArray<u8>(ADDRCONF_MAX);
const aCounter = new StaticArray<u8>(ADDRCONF_MAX); // RFC 7217 DAD_Counter
const aNext = new StaticArray<i64>(ADDRCONF_MAX);   // TENTATIVE: when the next solicitation goes out
const aPreferred = new StaticArray<i64>(ADDRCONF_MAX);
const aValid = new StaticArray<i64>(ADDRCONF_MAX);
export let addrHigh: i32 = 0;                        // entries in use are below this
export let tentatives: i32 = 0;                      // TENTATIVE entries: while 0, no packet
                                                     // needs a look at this table
let duplicates: i32 = 0;                             // DUPLICATE entries

acReset();

// @ts-ignore: decorator
@inline export function acAddr(i: i32): usize { return ADDRS + <usize>(i * 16); }
export function acNic(i: i32): i32 { return <i32>unchecked(aNic[i]); }
export function acSvc(i: i32): i32 { return <i32>unchecked(aSvc[i]); }
export function acState(i: i32): AddrState { return <AddrState>unchecked(aState[i]); }
export function acOrigin(i: i32): AddrOrigin { return <AddrOrigin>unchecked(aOrigin[i]); }
export function acDadLeft(i: i32): i32 { return <i32>unchecked(aDadLeft[i]); }
export function acCounter(i: i32): i32 { return <i32>unchecked(aCounter[i]); }
export function acSetCounter(i: i32, c: i32): void { unchecked(aCounter[i] = <u8>c); }
export function acPreferred(i: i32): i64 { return unchecked(aPreferred[i]); }
export function acValid(i: i32): i64 { return unchecked(aValid[i]); }

/** The AUTOCONF record of nic (checked by boot.ts): claim its link-local and the node's
 *  addresses in the prefixes given so far (later ones are claimed as they come). */
export function acConfigure(nic: i32, accept: bool, dad: i32, secret: usize): void {
  autoconfSet(nic, accept, dad, secret);
  if (dad == 0) return;
  claim(nic, nicLinkLocal(nic), NODE, 0, AddrOrigin.LINK_LOCAL, true);
  for (let i = 0; i < prefixCount; i++) if (prefixNic(i) == nic) claim(nic, prefixNodeAddr(i), NODE, 0, AddrOrigin.MANIFEST, true);
}

/** The node's address in a prefix just added on nic: checked first if the NIC asks. */
export function acPrefixAdded(nic: i32, i: i32): void {
  if (dadOn(nic)) claim(nic, prefixNodeAddr(i), NODE, 0, AddrOrigin.MANIFEST, true);
}

/** Service svc's index-th address, just given (boot or LOAD): checked first if it lies in a
 *  prefix of a NIC that asks. */
export function acServiceAddress(svc: i32, index: i32): void {
  let a = svcAddr(svc, index);
  let nic = connectedNic(a);
  if (nic >= 0 && dadOn(nic)) claim(nic, a, svc, index, AddrOrigin.MANIFEST, true);
}

/** How many entries are free. */
export function acFree(): i32 {
  let n = 0;
  for (let i = 0; i < ADDRCONF_MAX; i++) if (unchecked(aNic[i]) < 0) n++;
  return n;
}

/** A free entry, or -1. */
function room(): i32 {
  for (let i = 0; i < ADDRCONF_MAX; i++) {
    if (unchecked(aNic[i]) < 0) { if (i >= addrHigh) addrHigh = i + 1; return i; }
  }
  return -1;
}

/** Take address a on nic for the node or svc (its index-th) under DAD: TENTATIVE, its route
 *  (a manifest address has one already) taken away until DAD passes. atStart: the NIC is
 *  just coming up, so the first solicitation waits a random delay (§5.4.2). Returns the
 *  entry, or -1 when the table is full or already holds the address. */
export function claim(nic: i32, a: usize, svc: i32, index: i32, origin: AddrOrigin, atStart: bool): i32 {
  if (find(a) >= 0) return -1;
  let i = room();
  if (i < 0) return -1;
  addrCopy(acAddr(i), a);
  unchecked(aNic[i] = <i8>nic);
  unchecked(aSvc[i] = <i16>svc);
  unchecked(aIdx[i] = <u8>index);
  unchecked(aOrigin[i] = <u8>origin);
  unchecked(aCounter[i] = 0);
  unchecked(aPreferred[i] = NEVER);
  unchecked(aValid[i] = NEVER);
  if (origin != AddrOrigin.LEARNED) withdraw(i);                   // it had a route and worked
  else if (svc != NODE) svcAddrUse(svc, index, false);             // a new slot: not until DAD passed
  tentative(i, atStart ? now + between(0, MAX_RTR_SOLICITATION_DELAY_MS) : now);
  return i;
}

/** Start (again) entry i's DAD; the first solicitation at time t. */
function tentative(i: i32, t: i64): void {
  let nic = <i32>unchecked(aNic[i]);
  unchecked(aState[i] = <u8>AddrState.TENTATIVE);
  unchecked(aDadLeft[i] = <u8>dadTransmits(nic));
  unchecked(aNext[i] = t);
  tentatives++;
}

/** Take entry i's address out of use: its route goes, a service's address stops working. */
function withdraw(i: i32): void {
  let svc = <i32>unchecked(aSvc[i]);
  let a = acAddr(i);
  let r = svc == NODE ? routeFind(RouteKind.LOCAL, a, 128, <i32>unchecked(aNic[i])) : routeFind(RouteKind.SERVICE, a, 128, 0);
  if (r >= 0 && (svc == NODE || routeSvc(r) == svc)) routeDelete(r);
  if (svc != NODE) svcAddrUse(svc, <i32>unchecked(aIdx[i]), false);
}

/** DAD passed for entry i: its route, and the address works. */
function use(i: i32): void {
  let svc = <i32>unchecked(aSvc[i]);
  let nic = <i32>unchecked(aNic[i]);
  tentatives--;
  unchecked(aState[i] = <u8>(unchecked(aPreferred[i]) <= now ? AddrState.DEPRECATED : AddrState.PREFERRED));
  if (svc == NODE) routeAdd(RouteKind.LOCAL, acAddr(i), 128, nic, 0, 0, <AddrOrigin>unchecked(aOrigin[i]) == AddrOrigin.LEARNED);
  else {
    routeAddService(acAddr(i), svc, <i32>unchecked(aIdx[i]));
    svcAddrUse(svc, <i32>unchecked(aIdx[i]), true);
  }
  if (<AddrOrigin>unchecked(aOrigin[i]) == AddrOrigin.LEARNED) say(i, "in use: no other host on the link answered for it", LogLevel.INFO);
}

/** Is addr one of ours under DAD on nic (TENTATIVE) or found a duplicate there? conflict:
 *  what was heard shows another holder (an NA for it, or another node's DAD solicitation). */
export function dadHeard(nic: i32, addr: usize, conflict: bool): bool {
  if (tentatives == 0 && duplicates == 0) return false;
  let i = find(addr);
  if (i < 0 || <i32>unchecked(aNic[i]) != nic) return false;
  let st = <AddrState>unchecked(aState[i]);
  if (st == AddrState.DUPLICATE) return true;
  if (st != AddrState.TENTATIVE) return false;
  if (conflict) duplicate(i);
  return true;
}

/** Is addr an address of ours under DAD? Packets to it are dropped (§5.4: a tentative
 *  address is not yet ours to receive on). A DUPLICATE is another host's: packets to it go
 *  where the routes say, and it costs the hot path nothing. */
export function isTentative(addr: usize): bool {
  if (tentatives == 0) return false;
  let i = find(addr);
  return i >= 0 && <AddrState>unchecked(aState[i]) == AddrState.TENTATIVE;
}

/** Is addr an address of ours that DAD found another host holding? */
export function isDuplicate(addr: usize): bool {
  if (duplicates == 0) return false;
  let i = find(addr);
  return i >= 0 && <AddrState>unchecked(aState[i]) == AddrState.DUPLICATE;
}

export function find(addr: usize): i32 {
  for (let i = 0; i < addrHigh; i++) if (unchecked(aNic[i]) >= 0 && addrEq(acAddr(i), addr)) return i;
  return -1;
}

/** Another host holds entry i's address. A learned one tries its next identifier (RFC 7217
 *  §6); any other, or one out of tries, stays DUPLICATE and unused. */
function duplicate(i: i32): void {
  let c = <i32>unchecked(aCounter[i]);
  if (<AddrOrigin>unchecked(aOrigin[i]) == AddrOrigin.LEARNED && c < IDGEN_RETRIES) {
    say(i, "is a duplicate: another host on the link holds it; trying the next stable identifier (RFC 7217)", LogLevel.WARN);
    tentatives--;
    form(i, c + 1);
    tentative(i, now);
    return;
  }
  tentatives--;
  duplicates++;
  unchecked(aState[i] = <u8>AddrState.DUPLICATE);
  say(i, <AddrOrigin>unchecked(aOrigin[i]) == AddrOrigin.MANIFEST
    ? "is a duplicate: another host on the link holds it; the node does not use it: give it another address in the manifest"
    : "is a duplicate: another host on the link holds it; the node does not use it", LogLevel.ERROR);
}

/** One log line about entry i's address. */
function say(i: i32, what: string, level: LogLevel): void {
  let svc = <i32>unchecked(aSvc[i]);
  logStart();
  logStr("address ");
  logAddr(acAddr(i));
  logStr(" on NIC ");
  logInt(<i64>unchecked(aNic[i]));
  logStr(" (");
  if (svc == NODE) logStr("the node");
  else logBytes(svcName(svc), <i32>unchecked(svcNameLen[svc]));
  logStr(") ");
  logStr(what);
  logEnd(level);
}

/** Entry i's learned address from its prefix and DAD_Counter c (at least). */
function form(i: i32, c: i32): void {
  unchecked(aCounter[i] = <u8>stable(acAddr(i), acAddr(i), <i32>unchecked(aNic[i]), <i32>unchecked(aSvc[i]), c));
  let svc = <i32>unchecked(aSvc[i]);
  if (svc != NODE) addrCopy(svcAddr(svc, <i32>unchecked(aIdx[i])), acAddr(i));
}

/** The RFC 7217 address of the node (svc NODE) or svc in prefix on nic into out; returns
 *  the DAD_Counter used. */
export function stable(out: usize, prefix: usize, nic: i32, svc: i32, c: i32): i32 {
  let secret = secretOf(nic);
  return svc == NODE ? stableAddress(out, prefix, nicMac(nic), 6, c, secret)
    : stableAddress(out, prefix, svcName(svc), <i32>unchecked(svcNameLen[svc]), c, secret);
}

/** Set entry i's lifetimes from an advertisement (§5.5.3 e): the preferred lifetime as
 *  given; the valid one as given if over two hours or over what is left, else left alone
 *  if at most two hours are left, else two hours. A new address takes both as given. An
 *  advertisement from anyone but the prefix's owner (routers.ts) may only lengthen them. */
export function lifetimes(i: i32, valid: u32, preferred: u32, fresh: bool, owner: bool = true): void {
  let p = lifetimeEnd(preferred);
  if (fresh || owner || p > unchecked(aPreferred[i])) unchecked(aPreferred[i] = p);
  let v = lifetimeEnd(valid);
  let left = unchecked(aValid[i]);
  if (fresh || v > now + TWO_HOURS_MS || v > left) unchecked(aValid[i] = v);
  else if (owner && left - now > TWO_HOURS_MS) unchecked(aValid[i] = now + TWO_HOURS_MS);
  let st = <AddrState>unchecked(aState[i]);
  let pref = unchecked(aPreferred[i]) > now;
  if (st == AddrState.DEPRECATED && pref) unchecked(aState[i] = <u8>AddrState.PREFERRED);
  if (st == AddrState.PREFERRED && !pref) deprecate(i);
}

/** Entry i's preferred lifetime ended (§5.5.4). */
function deprecate(i: i32): void {
  unchecked(aState[i] = <u8>AddrState.DEPRECATED);
  if (<AddrOrigin>unchecked(aOrigin[i]) == AddrOrigin.LEARNED) say(i, "deprecated: its preferred lifetime ended; kept for what already uses it", LogLevel.INFO);
}

/** Send what DAD has due, age lifetimes; returns the next time anything is due, or -1. */
export function acTimers(): i64 {
  let next: i64 = -1;
  for (let i = 0; i < addrHigh; i++) {
    if (unchecked(aNic[i]) < 0) continue;
    let due = step(i);
    if (due >= 0 && (next < 0 || due < next)) next = due;
  }
  return next;
}

/** Advance entry i; when it next needs attention, or -1. */
function step(i: i32): i64 {
  let st = <AddrState>unchecked(aState[i]);
  if (unchecked(aValid[i]) <= now) { remove(i, "expired: its valid lifetime ended"); return -1; }
  if (st == AddrState.TENTATIVE) {
    let t = unchecked(aNext[i]);
    if (t > now) return t;
    let nic = <i32>unchecked(aNic[i]);
    if (unchecked(aDadLeft[i]) == 0) use(i);
    else {
      sendDadSolicit(nic, acAddr(i));
      unchecked(aDadLeft[i]--);
      unchecked(aNext[i] = now + unchecked(nicRetransMs[nic]));
      return unchecked(aNext[i]);
    }
    st = <AddrState>unchecked(aState[i]);
  }
  if (st == AddrState.PREFERRED && unchecked(aPreferred[i]) <= now) deprecate(i);
  let due = unchecked(aValid[i]);
  if (<AddrState>unchecked(aState[i]) == AddrState.PREFERRED && unchecked(aPreferred[i]) < due) due = unchecked(aPreferred[i]);
  return due == NEVER ? -1 : due;
}

/** Entry i's address goes (its valid lifetime ended, or its prefix made room), and a
 *  service's slot is emptied. */
export function remove(i: i32, why: string): void {
  let st = <AddrState>unchecked(aState[i]);
  if (st != AddrState.TENTATIVE && st != AddrState.DUPLICATE) withdraw(i);
  say(i, why, LogLevel.INFO);
  let svc = <i32>unchecked(aSvc[i]);
  if (svc != NODE) {
    memory.fill(svcAddr(svc, <i32>unchecked(aIdx[i])), 0, 16);
    svcAddrUse(svc, <i32>unchecked(aIdx[i]), false);
  }
  free(i);
}

/** Entry i is empty again (the caller took its address out of use). */
function free(i: i32): void {
  let st = <AddrState>unchecked(aState[i]);
  if (st == AddrState.TENTATIVE) tentatives--;
  else if (st == AddrState.DUPLICATE) duplicates--;
  unchecked(aNic[i] = -1);
  while (addrHigh > 0 && unchecked(aNic[addrHigh - 1]) < 0) addrHigh--;
}

/** Is the node's address at a usable as a source for new traffic: not under DAD, not a
 *  duplicate, not deprecated? (Addresses this table does not hold are.) */
export function preferredSource(a: usize): bool {
  let i = find(a);
  return i < 0 || <AddrState>unchecked(aState[i]) == AddrState.PREFERRED;
}

/** Service svc is gone (UNLOAD): forget its entries. */
export function acForgetService(svc: i32): void {
  for (let i = 0; i < addrHigh; i++) {
    if (unchecked(aNic[i]) >= 0 && <i32>unchecked(aSvc[i]) == svc) free(i);
  }
  autoconfForget(svc);
}

/** Forget everything (a refused boot). */
export function acReset(): void {
  for (let i = 0; i < ADDRCONF_MAX; i++) unchecked(aNic[i] = -1);
  autoconfReset();
  addrHigh = 0;
  tentatives = 0;
  duplicates = 0;
}
