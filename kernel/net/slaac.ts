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
// The node's choice of source address (sourceFor) is here too, as it skips what is not
// usable. Imports nothing of nd.ts, which calls dadHeard and sourceFor.
import { LogLevel } from "../../abi/kernel";
import { RouteKind, AddrState, AddrOrigin } from "../../abi/status";
import { CapKind, RIGHT_SEND, RIGHT_RECV, RIGHT_DERIVE } from "../../abi/caps";
import { ADDRCONF_MAX, NIC_MAX, SVC_MAX, ADDR_PER_SVC, IDGEN_RETRIES, TWO_HOURS_MS,
  MAX_RTR_SOLICITATION_DELAY_MS } from "../param";
import { now } from "../clock";
import { between } from "../rand";
import { logStart, logStr, logInt, logAddr, logBytes, logEnd } from "../log";
import { addrCopy, addrEq, isLinkLocal, prefixMatch, solicitedNode, multicastMac } from "../../wire/addr";
import { nicLinkLocal, nicMac, nicRetransMs, prefixCount, prefixNic, prefixAddr, prefixLen, prefixNodeAddr, connectedNic } from "./iface";
import { txPush } from "./egress";
import { Drop } from "../../abi/drop";
import { drop } from "../stats";
import { pktAlloc, pktData, pktSetLen } from "../pool";
import { IP_HDR, IP_SRC, IP_DST, NH_ICMPV6, ipEmit } from "../../wire/ipv6";
import { ETH_HDR, ETHERTYPE_IPV6, ethEmit } from "../../wire/ethernet";
import { ICMP_NS, icmpEmit, icmpSeal } from "../../wire/icmpv6";
import { ND_HOP_LIMIT, ND_TARGET, ND_OPTIONS } from "../../wire/nd";
import { routeAdd, routeAddService, routeFind, routeDelete } from "./route";
import { stableAddress, SECRET_LEN } from "./iid";
import { svcAddr, svcAddrCount, svcName, svcNameLen, svcAddrUse, svcAddAddr, svcValid } from "../svc/registry";
import { capGrant } from "../svc/caps";

export const FOREVER: i64 = I64.MAX_VALUE;
const NODE: i8 = -1;

// Per NIC: the AUTOCONF record.
const dadTransmits = new StaticArray<u8>(NIC_MAX);
export const acceptRa = new StaticArray<bool>(NIC_MAX);
const SECRETS: usize = memory.data(NIC_MAX * SECRET_LEN, 8);
const learnNics = new StaticArray<u16>(SVC_MAX);   // per service: the NICs it wants a learned address on

// Per address.
const ADDRS: usize = memory.data(ADDRCONF_MAX * 16, 8);
const aNic = new StaticArray<i8>(ADDRCONF_MAX);     // -1: free
const aSvc = new StaticArray<i8>(ADDRCONF_MAX);     // NODE, or the service
const aIdx = new StaticArray<u8>(ADDRCONF_MAX);     // a service's: its index in the service's list
const aOrigin = new StaticArray<u8>(ADDRCONF_MAX);
const aState = new StaticArray<u8>(ADDRCONF_MAX);
const aDadLeft = new StaticArray<u8>(ADDRCONF_MAX);
const aCounter = new StaticArray<u8>(ADDRCONF_MAX); // RFC 7217 DAD_Counter
const aPrefix = new StaticArray<i8>(ADDRCONF_MAX);  // the learned prefix (routers.ts), or -1
const aNext = new StaticArray<i64>(ADDRCONF_MAX);   // TENTATIVE: when the next solicitation goes out
const aPreferred = new StaticArray<i64>(ADDRCONF_MAX);
const aValid = new StaticArray<i64>(ADDRCONF_MAX);
export let addrHigh: i32 = 0;                        // entries in use are below this
export let unusable: i32 = 0;                        // TENTATIVE and DUPLICATE entries: while
                                                     // 0, no packet needs a look at this table

acReset();

// @ts-ignore: decorator
@inline export function acAddr(i: i32): usize { return ADDRS + <usize>(i * 16); }
export function acNic(i: i32): i32 { return <i32>unchecked(aNic[i]); }
export function acSvc(i: i32): i32 { return <i32>unchecked(aSvc[i]); }
export function acState(i: i32): AddrState { return <AddrState>unchecked(aState[i]); }
export function acOrigin(i: i32): AddrOrigin { return <AddrOrigin>unchecked(aOrigin[i]); }
export function acDadLeft(i: i32): i32 { return <i32>unchecked(aDadLeft[i]); }
export function acCounter(i: i32): i32 { return <i32>unchecked(aCounter[i]); }
export function acPreferred(i: i32): i64 { return unchecked(aPreferred[i]); }
export function acValid(i: i32): i64 { return unchecked(aValid[i]); }
export function dadOn(nic: i32): bool { return unchecked(dadTransmits[nic]) > 0; }

/** The AUTOCONF record of nic (checked by boot.ts): claim its link-local and the node's
 *  addresses in the prefixes given so far (later ones are claimed as they come). */
export function acConfigure(nic: i32, accept: bool, dad: i32, secret: usize): void {
  unchecked(acceptRa[nic] = accept);
  unchecked(dadTransmits[nic] = <u8>dad);
  memory.copy(SECRETS + <usize>(nic * SECRET_LEN), secret, SECRET_LEN);
  if (dad == 0) return;
  claim(nic, nicLinkLocal(nic), NODE, 0, AddrOrigin.LINK_LOCAL, -1, true);
  for (let i = 0; i < prefixCount; i++) if (prefixNic(i) == nic) claim(nic, prefixNodeAddr(i), NODE, 0, AddrOrigin.MANIFEST, -1, true);
}

/** The node's address in a prefix just added on nic: checked first if the NIC asks. */
export function acPrefixAdded(nic: i32, i: i32): void {
  if (dadOn(nic)) claim(nic, prefixNodeAddr(i), NODE, 0, AddrOrigin.MANIFEST, -1, true);
}

/** Service svc's index-th address, just given (boot or LOAD): checked first if it lies in a
 *  prefix of a NIC that asks. */
export function acServiceAddress(svc: i32, index: i32): void {
  let a = svcAddr(svc, index);
  let nic = connectedNic(a);
  if (nic >= 0 && dadOn(nic)) claim(nic, a, <i8>svc, index, AddrOrigin.MANIFEST, -1, true);
}

/** A SVC_LEARNED record: service svc wants an address in every prefix learned on nic. */
export function acWantLearned(svc: i32, nic: i32): void { unchecked(learnNics[svc] |= <u16>(<u32>1 << <u32>nic)); }

/** A free entry, or -1. */
function room(): i32 {
  for (let i = 0; i < ADDRCONF_MAX; i++) {
    if (unchecked(aNic[i]) < 0) { if (i >= addrHigh) addrHigh = i + 1; return i; }
  }
  return -1;
}

/** Take address a on nic for the node or svc (its index-th) under DAD: TENTATIVE, its route
 *  (if it has one yet) taken away until DAD passes. atStart: the NIC is just coming up,
 *  so the first solicitation waits a random delay (§5.4.2). Returns the entry or -1. */
function claim(nic: i32, a: usize, svc: i8, index: i32, origin: AddrOrigin, pfx: i32, atStart: bool): i32 {
  let i = room();
  if (i < 0) return -1;
  addrCopy(acAddr(i), a);
  unchecked(aNic[i] = <i8>nic);
  unchecked(aSvc[i] = svc);
  unchecked(aIdx[i] = <u8>index);
  unchecked(aOrigin[i] = <u8>origin);
  unchecked(aPrefix[i] = <i8>pfx);
  unchecked(aCounter[i] = 0);
  unchecked(aPreferred[i] = FOREVER);
  unchecked(aValid[i] = FOREVER);
  withdraw(i);
  tentative(i, atStart ? now + between(0, MAX_RTR_SOLICITATION_DELAY_MS) : now);
  return i;
}

/** Start (again) entry i's DAD; the first solicitation at time t. */
function tentative(i: i32, t: i64): void {
  let nic = <i32>unchecked(aNic[i]);
  unchecked(aState[i] = <u8>AddrState.TENTATIVE);
  unchecked(aDadLeft[i] = unchecked(dadTransmits[nic]));
  unchecked(aNext[i] = t);
  unusable++;
}

/** Take entry i's address out of use: its route goes, a service's address stops working. */
function withdraw(i: i32): void {
  let svc = <i32>unchecked(aSvc[i]);
  let a = acAddr(i);
  let r = svc == NODE ? routeFind(RouteKind.LOCAL, a, 128, <i32>unchecked(aNic[i])) : routeFind(RouteKind.SERVICE, a, 128, 0);
  if (r >= 0) routeDelete(r);
  if (svc != NODE) svcAddrUse(svc, <i32>unchecked(aIdx[i]), false);
}

/** DAD passed for entry i: its route, and the address works. */
function use(i: i32): void {
  let svc = <i32>unchecked(aSvc[i]);
  let nic = <i32>unchecked(aNic[i]);
  unusable--;
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
  if (unusable == 0) return false;
  let i = find(addr);
  if (i < 0 || <i32>unchecked(aNic[i]) != nic) return false;
  let st = <AddrState>unchecked(aState[i]);
  if (st == AddrState.DUPLICATE) return true;
  if (st != AddrState.TENTATIVE) return false;
  if (conflict) duplicate(i);
  return true;
}

/** Is addr an address of ours that DAD has not cleared (TENTATIVE or DUPLICATE)? Packets
 *  to it are dropped (§5.4: a tentative address is not yet ours to receive on). */
export function isTentative(addr: usize): bool {
  if (unusable == 0) return false;
  let i = find(addr);
  if (i < 0) return false;
  let st = <AddrState>unchecked(aState[i]);
  return st == AddrState.TENTATIVE || st == AddrState.DUPLICATE;
}

function find(addr: usize): i32 {
  for (let i = 0; i < addrHigh; i++) if (unchecked(aNic[i]) >= 0 && addrEq(acAddr(i), addr)) return i;
  return -1;
}

/** Another host holds entry i's address. A learned one tries its next identifier (RFC 7217
 *  §6); any other, or one out of tries, stays DUPLICATE and unused. */
function duplicate(i: i32): void {
  let c = <i32>unchecked(aCounter[i]);
  if (<AddrOrigin>unchecked(aOrigin[i]) == AddrOrigin.LEARNED && c < IDGEN_RETRIES) {
    say(i, "is a duplicate: another host on the link holds it; trying the next stable identifier", LogLevel.WARN);
    unusable--;
    form(i, c + 1);
    tentative(i, now);
    return;
  }
  unchecked(aState[i] = <u8>AddrState.DUPLICATE);
  say(i, "is a duplicate: another host on the link holds it; the node does not use it", LogLevel.ERROR);
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
  let nic = <i32>unchecked(aNic[i]);
  let svc = <i32>unchecked(aSvc[i]);
  let a = acAddr(i);
  let secret = SECRETS + <usize>(nic * SECRET_LEN);
  let used = svc == NODE ? stableAddress(a, a, nicMac(nic), 6, c, secret)
    : stableAddress(a, a, svcName(svc), <i32>unchecked(svcNameLen[svc]), c, secret);
  unchecked(aCounter[i] = <u8>used);
  if (svc != NODE) addrCopy(svcAddr(svc, <i32>unchecked(aIdx[i])), a);
}

/** A prefix information option with A set for the learned prefix pfx on nic (the caller
 *  checked it: a /64, preferred ≤ valid, not link-local), lifetimes in seconds. New: form
 *  the node's and the wanting services' addresses. Known: §5.5.3(e) for each. */
export function acLearned(nic: i32, pfx: i32, prefix: usize, valid: u32, preferred: u32): void {
  let seen = false;
  for (let i = 0; i < addrHigh; i++) {
    if (unchecked(aNic[i]) < 0 || <i32>unchecked(aPrefix[i]) != pfx) continue;
    seen = true;
    lifetimes(i, valid, preferred, false);
  }
  if (seen || valid == 0) return;
  learnedAddress(nic, pfx, prefix, NODE, valid, preferred);
  for (let s = 0; s < SVC_MAX; s++) {
    if (svcValid(s) && (<u32>unchecked(learnNics[s]) & (<u32>1 << <u32>nic)) != 0) learnedAddress(nic, pfx, prefix, <i8>s, valid, preferred);
  }
}

function learnedAddress(nic: i32, pfx: i32, prefix: usize, svc: i8, valid: u32, preferred: u32): void {
  let index = 0, had = 0;
  if (svc != NODE) {
    had = <i32>unchecked(svcAddrCount[svc]);
    index = freeSlot(svc);
    if (index < 0) return;                          // ADDR_PER_SVC reached: no address in this prefix
  }
  let i = claim(nic, prefix, svc, index, AddrOrigin.LEARNED, pfx, false);
  if (i < 0) return;
  form(i, 0);
  lifetimes(i, valid, preferred, true);
  // A new slot gets its ADDR capability as a manifest address does; a slot emptied before
  // keeps what the service made of its capability.
  if (svc != NODE && index >= had) capGrant(svc, CapKind.ADDR, RIGHT_SEND | RIGHT_RECV | RIGHT_DERIVE, index, 0, 0);
}

/** A service's list slot for a learned address: an emptied one (all zero), or a new one. */
function freeSlot(svc: i32): i32 {
  let n = <i32>unchecked(svcAddrCount[svc]);
  for (let k = 0; k < n; k++) {
    let a = svcAddr(svc, k);
    if (load<u64>(a) == 0 && load<u64>(a, 8) == 0) return k;
  }
  return n < ADDR_PER_SVC ? svcAddAddr(svc, ZERO) : -1;
}
const ZERO: usize = memory.data(16, 8);

/** Set entry i's lifetimes from an advertisement (§5.5.3 e): the preferred lifetime as
 *  given; the valid one as given if over two hours or over what is left, else left alone
 *  if at most two hours are left, else two hours. A new address takes both as given. */
function lifetimes(i: i32, valid: u32, preferred: u32, fresh: bool): void {
  unchecked(aPreferred[i] = until(preferred));
  let v = until(valid);
  let left = unchecked(aValid[i]);
  if (fresh || v > now + TWO_HOURS_MS || v > left) unchecked(aValid[i] = v);
  else if (left - now > TWO_HOURS_MS) unchecked(aValid[i] = now + TWO_HOURS_MS);
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

/** A lifetime in seconds as the time it ends; all ones is infinity (RFC 4861 §4.6.2). */
function until(s: u32): i64 { return s == 0xffffffff ? FOREVER : now + <i64>s * 1000; }

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
  if (unchecked(aValid[i]) <= now) { expire(i); return -1; }
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
  return due == FOREVER ? -1 : due;
}

/** Entry i's valid lifetime ended: the address goes, and a service's slot is emptied. */
function expire(i: i32): void {
  let st = <AddrState>unchecked(aState[i]);
  if (st == AddrState.TENTATIVE || st == AddrState.DUPLICATE) unusable--;
  else withdraw(i);
  say(i, "expired: its valid lifetime ended", LogLevel.INFO);
  let svc = <i32>unchecked(aSvc[i]);
  if (svc != NODE) memory.fill(svcAddr(svc, <i32>unchecked(aIdx[i])), 0, 16);
  free(i);
}

function free(i: i32): void {
  unchecked(aNic[i] = -1);
  while (addrHigh > 0 && unchecked(aNic[addrHigh - 1]) < 0) addrHigh--;
}

/** Is the node's address at a usable as a source for new traffic: not under DAD, not a
 *  duplicate, not deprecated? (Addresses this table does not hold are.) */
export function preferredSource(a: usize): bool {
  let i = find(a);
  return i < 0 || <AddrState>unchecked(aState[i]) == AddrState.PREFERRED;
}

/** The node's learned address on nic best for dst as RFC 6724 §5 ranks sources among
 *  global ones: not deprecated (rule 3), then the longest common prefix with dst (rule 8);
 *  0 if it has none in use. */
export function learnedSource(nic: i32, dst: usize): usize {
  let best = -1, bestScore = -1;
  for (let i = 0; i < addrHigh; i++) {
    if (<i32>unchecked(aNic[i]) != nic || unchecked(aSvc[i]) != NODE) continue;
    let st = <AddrState>unchecked(aState[i]);
    if (<AddrOrigin>unchecked(aOrigin[i]) != AddrOrigin.LEARNED || (st != AddrState.PREFERRED && st != AddrState.DEPRECATED)) continue;
    let score = sourceScore(acAddr(i), st == AddrState.PREFERRED, dst);
    if (score > bestScore) { best = i; bestScore = score; }
  }
  return best < 0 ? 0 : acAddr(best);
}

/** RFC 6724 rules 3 and 8 as one number: 256 for an address not deprecated, plus the
 *  length of the prefix it shares with dst. */
export function sourceScore(a: usize, preferred: bool, dst: usize): i32 {
  let hi = bswap<u64>(load<u64>(a)) ^ bswap<u64>(load<u64>(dst));
  let bits = hi != 0 ? <i32>clz(hi) : 64 + <i32>clz(bswap<u64>(load<u64>(a, 8)) ^ bswap<u64>(load<u64>(dst, 8)));
  return (preferred ? 256 : 0) + bits;
}

/** Choose the node's source address for a packet it originates on nic towards dst:
 *  link-local for a link-local destination, else the node's address in a prefix of that
 *  NIC containing dst, else the better (RFC 6724 rules 3 and 8) of its address in the
 *  NIC's first prefix and its best learned one (slaac.ts), else link-local. An address under DAD, a duplicate or a deprecated one is not chosen
 *  (RFC 4862 §5.4, §5.5.4). Writes 16 bytes to out. */
export function sourceFor(nic: i32, dst: usize, out: usize): void {
  if (!isLinkLocal(dst)) {
    let first = -1;
    for (let i = 0; i < prefixCount; i++) {
      if (prefixNic(i) != nic || !preferredSource(prefixNodeAddr(i))) continue;
      if (prefixMatch(dst, prefixAddr(i), prefixLen(i))) { addrCopy(out, prefixNodeAddr(i)); return; }
      if (first < 0) first = i;
    }
    let l = learnedSource(nic, dst);
    if (l != 0 && (first < 0 || sourceScore(l, preferredSource(l), dst) > sourceScore(prefixNodeAddr(first), true, dst))) {
      addrCopy(out, l);
      return;
    }
    if (first >= 0) { addrCopy(out, prefixNodeAddr(first)); return; }
  }
  addrCopy(out, nicLinkLocal(nic));
}

/** A duplicate address detection NS for target on nic (RFC 4862 §5.4.2): from ::, to
 *  target's solicited-node group, without a link-layer address option. */
function sendDadSolicit(nic: i32, target: usize): void {
  let pkt = pktAlloc();
  if (pkt < 0) { drop(Drop.POOL_EMPTY); return; }
  let p = pktData(pkt);
  solicitedNode(GROUP, target);
  ipEmit(p, ND_OPTIONS, NH_ICMPV6, ND_HOP_LIMIT, ZERO, GROUP);
  icmpEmit(p + IP_HDR, ICMP_NS, 0, 0);
  addrCopy(p + IP_HDR + ND_TARGET, target);
  icmpSeal(p, ND_OPTIONS);
  pktSetLen(pkt, IP_HDR + ND_OPTIONS);
  multicastMac(GROUP_MAC, GROUP);
  ethEmit(p - ETH_HDR, GROUP_MAC, nicMac(nic), ETHERTYPE_IPV6);
  txPush(nic, pkt);
}
const GROUP: usize = memory.data(16, 8);
const GROUP_MAC: usize = memory.data(8, 8);

/** Service svc is gone (UNLOAD): forget its entries. */
export function acForgetService(svc: i32): void {
  for (let i = 0; i < addrHigh; i++) {
    if (unchecked(aNic[i]) < 0 || <i32>unchecked(aSvc[i]) != svc) continue;
    let st = <AddrState>unchecked(aState[i]);
    if (st == AddrState.TENTATIVE || st == AddrState.DUPLICATE) unusable--;
    free(i);
  }
  unchecked(learnNics[svc] = 0);
}

/** Forget everything (a refused boot). */
export function acReset(): void {
  for (let i = 0; i < ADDRCONF_MAX; i++) unchecked(aNic[i] = -1);
  for (let n = 0; n < NIC_MAX; n++) { unchecked(dadTransmits[n] = 0); unchecked(acceptRa[n] = false); }
  for (let s = 0; s < SVC_MAX; s++) unchecked(learnNics[s] = 0);
  addrHigh = 0;
  unusable = 0;
}
