// The routing table: longest-prefix match over the node's own addresses, its services'
// addresses (/128), connected prefixes and static routes (RFC 7608: any length 0..128).
// A fixed table, indexed by a path-compressed trie (lpm.ts) so that a lookup costs the
// same with 10 entries or 100,000; entries are added at boot, and a service's own /128s
// are added and removed with it by control messages (LOAD, UNLOAD). Removing an entry
// keeps the others in order (ties go by index) at a cost linear in the table: a control
// path, never a packet's.
// lookup() answers with the matching entry's index, which the caller keeps and reads
// with routeKind/routeNic/routeSvc/routeAddrIndex; nothing is allocated. One thing is
// left in module state on purpose, a cache: the last destination and its answer, dropped by
// every change to the table (routeAdd, compact, routeReset), so a flow's packets cost one
// trie walk. (nd.ts keeps a like cache per NIC, checked against the entry's own key.) A SERVICE route has no NIC; it names
// the service and the index of the address in the service's list (the object of its ADDR
// capability).
// Routes learned from the link (routers.ts, slaac.ts: learned) have room of their own,
// ROUTE_LEARNED_MAX, so a host on the link cannot take what the manifest and LOADs need,
// nor they what the client role learns.
// isOwn(), asked of every received packet's source, first asks a Bloom filter of the
// node's and services' /128s, so a packet from anyone else costs no scan.
import { ROUTE_MAX, ROUTE_MANIFEST_MAX, ROUTE_LEARNED_MAX } from "../param";
import { RouteKind } from "../../abi/status";
import { prefixMatch, addrCopy, addrEq, isUnspecified } from "../../wire/addr";
import { lpmReset, lpmInsert, lpmRemove, lpmMove, lpmRenumber, lpmLookup, lpmExact, lpmNext } from "./lpm";

const PREFIXES: usize = memory.data(ROUTE_MAX * 16, 8);
const VIAS: usize = memory.data(ROUTE_MAX * 16, 8);
const lens = new StaticArray<u8>(ROUTE_MAX);
const kinds = new StaticArray<u8>(ROUTE_MAX);
const nics = new StaticArray<u8>(ROUTE_MAX);
const svcs = new StaticArray<u16>(ROUTE_MAX);         // service ids up to SVC_MAX 1024 (issue #17)
const addrIdx = new StaticArray<u8>(ROUTE_MAX);       // SERVICE: the address's index in its service's list
const learnedRt = new StaticArray<bool>(ROUTE_MAX);   // learned from the link (counts against ROUTE_LEARNED_MAX)
const renum = new StaticArray<i32>(ROUTE_MAX);        // compact(): each old index's new one
let learnedCount: i32 = 0;
const OWN_BITS: u32 = 4096;                           // the Bloom filter of own /128s, ~8x ROUTE_MAX
const ownBits = new StaticArray<u32>(<i32>(OWN_BITS / 32));
export let routeCount: i32 = 0;

// @ts-ignore: decorator
@inline export function routePrefix(i: i32): usize { return PREFIXES + <usize>(i * 16); }
// @ts-ignore: decorator
@inline export function routeVia(i: i32): usize { return VIAS + <usize>(i * 16); }
export function routeLen(i: i32): i32 { return <i32>unchecked(lens[i]); }
export function routeKind(i: i32): RouteKind { return <RouteKind>unchecked(kinds[i]); }
export function routeNic(i: i32): i32 { return <i32>unchecked(nics[i]); }
export function routeSvc(i: i32): i32 { return <i32>unchecked(svcs[i]); }
export function routeAddrIndex(i: i32): i32 { return <i32>unchecked(addrIdx[i]); }

/** The filter's 64-bit mix of the address at a: its low and high halves name its two bits. */
function ownHash(a: usize): u64 {
  let x = load<u64>(a) ^ (load<u64>(a, 8) * 0x9e3779b97f4a7c15);
  x ^= x >> 31; x *= 0xbf58476d1ce4e5b9; x ^= x >> 29;
  return x;
}

// @ts-ignore: decorator
@inline function ownSet(b: u32): bool { return (unchecked(ownBits[b >> 5]) & (1 << (b & 31))) != 0; }

function ownMark(i: i32): void {
  let k = <RouteKind>unchecked(kinds[i]);
  if ((k != RouteKind.LOCAL && k != RouteKind.SERVICE) || unchecked(lens[i]) != 128) return;
  let x = ownHash(routePrefix(i));
  let b0 = <u32>x & (OWN_BITS - 1), b1 = <u32>(x >> 32) & (OWN_BITS - 1);
  unchecked(ownBits[b0 >> 5] |= 1 << (b0 & 31));
  unchecked(ownBits[b1 >> 5] |= 1 << (b1 & 31));
}

/** Might the address at a be one of the own /128s? No false "no". Asked of every received
 *  packet's source, so the address is mixed once for both bits. */
function ownMaybe(a: usize): bool {
  let x = ownHash(a);
  return ownSet(<u32>x & (OWN_BITS - 1)) && ownSet(<u32>(x >> 32) & (OWN_BITS - 1));
}

/** Add a route; via may be 0 (on-link); learned: from the link, in its own room. Returns
 *  its index or -1 if its part of the table is full. */
export function routeAdd(kind: RouteKind, prefix: usize, len: i32, nic: i32, svc: i32, via: usize, learned: bool = false): i32 {
  if (<u32>len > 128) return -1;
  if (learned ? learnedCount >= ROUTE_LEARNED_MAX : routeCount - learnedCount >= ROUTE_MANIFEST_MAX) return -1;
  let i = routeCount++;
  unchecked(learnedRt[i] = learned);
  if (learned) learnedCount++;
  addrCopy(routePrefix(i), prefix);
  if (via != 0) addrCopy(routeVia(i), via);
  else memory.fill(routeVia(i), 0, 16);
  unchecked(lens[i] = <u8>len);
  unchecked(kinds[i] = <u8>kind);
  unchecked(nics[i] = <u8>nic);
  unchecked(svcs[i] = <u16>svc);
  unchecked(addrIdx[i] = 0);
  lpmInsert(i, prefix, len);
  forget();
  ownMark(i);
  return i;
}

/** Add service svc's address at a, the index-th in its list. Returns the route's index or
 *  -1 if the table is full. */
export function routeAddService(a: usize, svc: i32, index: i32): i32 {
  let i = routeAdd(RouteKind.SERVICE, a, 128, 0, svc, 0);
  if (i >= 0) unchecked(addrIdx[i] = <u8>index);
  return i;
}

/** Longest-prefix match for dst: the matching entry's index, or -1 if there is no route.
 *  On a tie the entry added first wins (the node's and the services' own /128s are added
 *  before anything else). The last destination looked up and its answer are kept until the
 *  next one or a change to the table (forget()): a train of packets to one destination,
 *  what a flow is on a link, costs one trie walk. */
export function lookup(dst: usize): i32 {
  if (lastValid && addrEq(LAST_DST, dst)) return lastRoute;
  let i = lpmLookup(dst);
  addrCopy(LAST_DST, dst);
  lastRoute = i;
  lastValid = true;
  return i;
}
const LAST_DST: usize = memory.data(16, 8);
let lastRoute: i32 = -1;
let lastValid = false;

/** The table changed: the answer lookup() kept may be wrong now. */
// @ts-ignore: decorator
@inline function forget(): void { lastValid = false; }

/** The next hop through route i towards dst: the gateway, or dst itself when on-link. */
export function nextHop(i: i32, dst: usize): usize {
  let via = routeVia(i);
  return isUnspecified(via) ? dst : via;
}

/** If addr is exactly one of the node's or services' own addresses, its route's index
 *  (LOCAL or SERVICE), else -1. */
export function ownRoute(addr: usize): i32 {
  if (!ownMaybe(addr)) return -1;
  let i = lookup(addr);
  if (i < 0) return -1;
  let k = <RouteKind>unchecked(kinds[i]);
  return (k == RouteKind.LOCAL || k == RouteKind.SERVICE) && routeLen(i) == 128 ? i : -1;
}

/** Is addr exactly one of the node's or services' own addresses? */
export function isOwn(addr: usize): bool { return ownRoute(addr) >= 0; }

/** Where addr would go if no service or node address held it: the index of the longest
 *  CONNECTED or STATIC route that matches, or -1 (none; not even a default route). */
export function routeBeyond(addr: usize): i32 {
  let best = -1, bestLen = -1;
  for (let i = 0; i < routeCount; i++) {
    let k = <RouteKind>unchecked(kinds[i]);
    if (k != RouteKind.CONNECTED && k != RouteKind.STATIC) continue;
    let l = <i32>unchecked(lens[i]);
    if (l > bestLen && prefixMatch(addr, routePrefix(i), l)) { best = i; bestLen = l; }
  }
  return best;
}

/** Does the node have a default route (a static ::/0)? A router without one advertises a
 *  router lifetime of 0 (net/ra.ts). */
export function hasDefaultRoute(): bool {
  for (let i = lpmExact(ZERO, 0); i >= 0; i = lpmNext(i)) {
    if (<RouteKind>unchecked(kinds[i]) == RouteKind.STATIC) return true;
  }
  return false;
}
const ZERO: usize = memory.data(16, 8);

/** The entry of this kind for exactly prefix/len on nic (any NIC for SERVICE), through
 *  via if it is not 0, and learned from the link if learned, or -1. */
export function routeFind(kind: RouteKind, prefix: usize, len: i32, nic: i32, via: usize = 0, learned: bool = false): i32 {
  if (<u32>len > 128) return -1;
  for (let i = lpmExact(prefix, len); i >= 0; i = lpmNext(i)) {
    if (<RouteKind>unchecked(kinds[i]) != kind) continue;
    if (learned && !unchecked(learnedRt[i])) continue;
    if (kind != RouteKind.SERVICE && <i32>unchecked(nics[i]) != nic) continue;
    if (via != 0 && !addrEq(routeVia(i), via)) continue;
    return i;
  }
  return -1;
}

/** Remove entry i (kept in order: ties still go to the entry added first). */
export function routeDelete(i: i32): void {
  if (<u32>i >= <u32>routeCount) return;
  compact(i, -1);
}

/** Remove service svc's SERVICE routes (its addresses), keeping the others in order. */
export function routeRemoveService(svc: i32): void { compact(-1, svc); }

/** Keep every entry but index drop and service svc's SERVICE routes, in order. */
function compact(drop: i32, svc: i32): void {
  forget();
  // Out of the trie first, while every link still names an entry where it is.
  for (let i = 0; i < routeCount; i++) if (dropped(i, drop, svc)) lpmRemove(i);
  let j = 0;
  for (let i = 0; i < routeCount; i++) {
    if (dropped(i, drop, svc)) continue;
    unchecked(renum[i] = j);
    if (j != i) {
      lpmMove(i, j);
      addrCopy(routePrefix(j), routePrefix(i));
      addrCopy(routeVia(j), routeVia(i));
      unchecked(lens[j] = unchecked(lens[i]));
      unchecked(kinds[j] = unchecked(kinds[i]));
      unchecked(nics[j] = unchecked(nics[i]));
      unchecked(svcs[j] = unchecked(svcs[i]));
      unchecked(addrIdx[j] = unchecked(addrIdx[i]));
      unchecked(learnedRt[j] = unchecked(learnedRt[i]));
    }
    j++;
  }
  routeCount = j;
  lpmRenumber(renum, routeCount);
  learnedCount = 0;
  for (let i = 0; i < routeCount; i++) if (unchecked(learnedRt[i])) learnedCount++;
  ownRebuild();
}

function dropped(i: i32, drop: i32, svc: i32): bool {
  return i == drop || (svc >= 0 && <RouteKind>unchecked(kinds[i]) == RouteKind.SERVICE && <i32>unchecked(svcs[i]) == svc);
}

/** The filter again from the table, after routes were taken out. */
function ownRebuild(): void {
  for (let w = 0; w < <i32>(OWN_BITS / 32); w++) unchecked(ownBits[w] = 0);
  for (let i = 0; i < routeCount; i++) ownMark(i);
}

/** Forget every route (a refused boot). */
export function routeReset(): void { routeCount = 0; learnedCount = 0; lpmReset(); forget(); ownRebuild(); }
