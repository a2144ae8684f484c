// The routing table: longest-prefix match over the node's own addresses, its services'
// addresses (/128), connected prefixes and static routes (RFC 7608: any length 0..128).
// A fixed table, indexed by a path-compressed trie (lpm.ts) so that a lookup costs the
// same with 10 entries or 100,000; entries are added at boot, and a service's own /128s
// are added and removed with it by control messages (LOAD, UNLOAD).
// An entry keeps its index while it lives: a deleted entry's slot goes on a free list and
// the next add takes it (the most recently freed first), so a delete costs the trie's
// bounded update and no pass over the table, however large; a service's routes are chained
// from the service, so removing them costs its own routes. A tie (the same prefix and
// length) goes to the entry added first: the trie keeps equal keys in the order they were
// added, whatever their indexes. Walkers of the table (status.ts, ctl/authority.ts) go over
// 0..routeHigh and skip what routeUsed() says is free; their order is the slots', which
// depends only on the order of adds and deletes.
// lookup() answers with the matching entry's index, which the caller keeps and reads
// with routeKind/routeNic/routeSvc/routeAddrIndex; nothing is allocated. Two things are
// left in module state on purpose, caches: the last destination and its answer, dropped by
// every change to the table (routeAdd, routeDelete, routeReset), so a flow's packets cost one
// trie walk (nd.ts keeps a like cache per NIC, checked against the entry's own key); and the
// answers routeMany looked up ahead for a batch, each kept with its destination and taken
// by routeHint only while the table is unchanged (a generation every change steps). A SERVICE route has no NIC; it names
// the service and the index of the address in the service's list (the object of its ADDR
// capability).
// Routes learned from the link (routers.ts, slaac.ts: learned) have room of their own,
// ROUTE_LEARNED_MAX, so a host on the link cannot take what the manifest and LOADs need,
// nor they what the client role learns.
// isOwn(), asked of every received packet's source, first asks a Bloom filter of the
// node's and services' /128s, so a packet from anyone else costs no scan; the filter counts
// what set each bit, so a delete clears its bits without rebuilding it.
import { ROUTE_MAX, ROUTE_MANIFEST_MAX, ROUTE_LEARNED_MAX, SVC_MAX } from "../param";
import { RouteKind } from "../../abi/status";
import { addrCopy, addrEq, isUnspecified } from "../../wire/addr";
import { lpmReset, lpmInsert, lpmRemove, lpmLookup, lpmExact, lpmNext, lpmLookupMany, MANY_MAX } from "./lpm";

const PREFIXES: usize = memory.data(ROUTE_MAX * 16, 8);
const VIAS: usize = memory.data(ROUTE_MAX * 16, 8);
const lens = new StaticArray<u8>(ROUTE_MAX);
const kinds = new StaticArray<u8>(ROUTE_MAX);
const nics = new StaticArray<u8>(ROUTE_MAX);
const svcs = new StaticArray<u16>(ROUTE_MAX);         // service ids up to SVC_MAX 1024 (issue #17)
const addrIdx = new StaticArray<u8>(ROUTE_MAX);       // SERVICE: the address's index in its service's list
const learnedRt = new StaticArray<bool>(ROUTE_MAX);   // learned from the link (counts against ROUTE_LEARNED_MAX)
// A free slot: its next free one; a SERVICE route: its service's next route; -1: the end.
const link = new StaticArray<i32>(ROUTE_MAX);
const svcHead = new StaticArray<i32>(SVC_MAX);       // each service's first SERVICE route, -1: none
const FREE: u8 = 0xff;                                // a free slot's kind (no RouteKind)
let freeHead: i32 = -1;                               // the most recently freed slot, -1: none
let learnedCount: i32 = 0;
const OWN_BITS: u32 = 4096;                           // the Bloom filter of own /128s
const ownBits = new StaticArray<u32>(<i32>(OWN_BITS / 32));
const ownCounts = new StaticArray<u32>(<i32>OWN_BITS); // own /128s setting each bit (a delete clears it at 0)
/** Entries in the table. */
export let routeCount: i32 = 0;
/** Slots below this have been used: walk 0..routeHigh, skipping those not routeUsed(). */
export let routeHigh: i32 = 0;

// @ts-ignore: decorator
@inline export function routePrefix(i: i32): usize { return PREFIXES + <usize>(i * 16); }
// @ts-ignore: decorator
@inline export function routeVia(i: i32): usize { return VIAS + <usize>(i * 16); }
export function routeLen(i: i32): i32 { return <i32>unchecked(lens[i]); }
export function routeKind(i: i32): RouteKind { return <RouteKind>unchecked(kinds[i]); }
export function routeNic(i: i32): i32 { return <i32>unchecked(nics[i]); }
export function routeSvc(i: i32): i32 { return <i32>unchecked(svcs[i]); }
export function routeAddrIndex(i: i32): i32 { return <i32>unchecked(addrIdx[i]); }
/** Does slot i (below routeHigh) hold an entry? */
export function routeUsed(i: i32): bool { return unchecked(kinds[i]) != FREE; }

/** The filter's 64-bit mix of the address at a: its low and high halves name its two bits. */
function ownHash(a: usize): u64 {
  let x = load<u64>(a) ^ (load<u64>(a, 8) * 0x9e3779b97f4a7c15);
  x ^= x >> 31; x *= 0xbf58476d1ce4e5b9; x ^= x >> 29;
  return x;
}

// @ts-ignore: decorator
@inline function ownSet(b: u32): bool { return (unchecked(ownBits[b >> 5]) & (1 << (b & 31))) != 0; }

/** Entry i, if it is an own /128, is added to the filter (by +1) or taken out (by -1). */
function ownMark(i: i32, by: i32): void {
  let k = <RouteKind>unchecked(kinds[i]);
  if ((k != RouteKind.LOCAL && k != RouteKind.SERVICE) || unchecked(lens[i]) != 128) return;
  let x = ownHash(routePrefix(i));
  ownCount(<u32>x & (OWN_BITS - 1), by);
  ownCount(<u32>(x >> 32) & (OWN_BITS - 1), by);
}

function ownCount(b: u32, by: i32): void {
  let c = unchecked(ownCounts[b]) + <u32>by;        // never below 0: each -1 follows its +1
  unchecked(ownCounts[b] = c);
  if (c != 0) unchecked(ownBits[b >> 5] |= 1 << (b & 31));
  else unchecked(ownBits[b >> 5] &= ~(1 << (b & 31)));
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
  if (kind == RouteKind.SERVICE && <u32>svc >= <u32>SVC_MAX) return -1;
  if (learned ? learnedCount >= ROUTE_LEARNED_MAX : routeCount - learnedCount >= ROUTE_MANIFEST_MAX) return -1;
  let i = freeHead;
  if (i >= 0) freeHead = unchecked(link[i]);
  else i = routeHigh++;                                // never past ROUTE_MAX: the rooms above
  routeCount++;
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
  unchecked(link[i] = -1);
  if (kind == RouteKind.SERVICE) { unchecked(link[i] = unchecked(svcHead[svc])); unchecked(svcHead[svc] = i); }
  lpmInsert(i, prefix, len);
  forget();
  ownMark(i, 1);
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
 *  On a tie the entry added first (and still present) wins (the node's and the services' own /128s are added
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
/** The lookups of up to MANY_MAX destinations at once, made before the first of their
 *  packets is routed (k_rx_batch: lpm.ts lpmLookupMany walks them in step, so their cache
 *  misses overlap), then the kind and gateway of each answer read, for the same reason.
 *  routeHint(i, dst) hands answer i to lookup() as if it had just found it. dsts: n u32
 *  offsets of addresses; each address is kept with its answer. */
export function routeMany(dsts: usize, n: i32): void {
  if (n > MANY_MAX) n = MANY_MAX;
  lpmLookupMany(dsts, n, MANY);
  manyGen = tableGen;
  manyCount = n;
  let sink = 0;
  for (let i = 0; i < n; i++) {
    addrCopy(MANY_DST + (<usize>i << 4), <usize>load<u32>(dsts + (<usize>i << 2)));
    let r = load<i32>(MANY + (<usize>i << 2));
    if (r >= 0) sink ^= load<i32>(routeVia(r)) ^ <i32>unchecked(kinds[r]) ^ <i32>unchecked(nics[r]);
  }
  manySink = sink;
}

/** Answer i of the last routeMany becomes lookup()'s for dst, if it was looked up for dst
 *  and the table has not changed since (otherwise lookup() walks as it would have): never
 *  another destination's answer, nor a stale one. */
export function routeHint(i: i32, dst: usize): void {
  if (manyGen != tableGen || <u32>i >= <u32>manyCount || !addrEq(MANY_DST + (<usize>i << 4), dst)) return;
  addrCopy(LAST_DST, dst);
  lastRoute = load<i32>(MANY + (<usize>i << 2));
  lastValid = true;
}
const MANY: usize = memory.data(MANY_MAX * 4, 4);
const MANY_DST: usize = memory.data(MANY_MAX * 16, 8);
let manyGen: u32 = 0;
let manyCount: i32 = 0;
let manySink: i32 = 0;
let tableGen: u32 = 1;                                 // steps at every change to the table

const LAST_DST: usize = memory.data(16, 8);
let lastRoute: i32 = -1;
let lastValid = false;

/** The table changed: the answer lookup() kept may be wrong now. */
// @ts-ignore: decorator
@inline function forget(): void { lastValid = false; tableGen++; }

/** The next hop through route i towards dst: the gateway, or dst itself when on-link. */
export function nextHop(i: i32, dst: usize): usize {
  let via = routeVia(i);
  return isUnspecified(via) ? dst : via;
}

/** If addr is exactly one of the node's or services' own addresses, its route's index
 *  (LOCAL or SERVICE), else -1. */
export function ownRoute(addr: usize): i32 {
  if (!ownMaybe(addr)) return -1;
  // Not lookup(): asked of every received source the filter lets by, it would put the
  // source where the destination's answer waits (routeHint) and cost that frame a walk.
  let i = lpmLookup(addr);
  if (i < 0) return -1;
  let k = <RouteKind>unchecked(kinds[i]);
  return (k == RouteKind.LOCAL || k == RouteKind.SERVICE) && routeLen(i) == 128 ? i : -1;
}

/** Is addr exactly one of the node's or services' own addresses? */
export function isOwn(addr: usize): bool { return ownRoute(addr) >= 0; }

/** Where addr would go if no service or node address held it: the index of the longest
 *  CONNECTED or STATIC route that matches, or -1 (none; not even a default route). */
export function routeBeyond(addr: usize): i32 {
  // The trie's exact match at each length, longest first: 129 walks of the trie at most,
  // and a tie goes to the entry added first, as lookup()'s does.
  for (let l = 128; l >= 0; l--) {
    for (let i = lpmExact(addr, l); i >= 0; i = lpmNext(i)) {
      let k = <RouteKind>unchecked(kinds[i]);
      if (k == RouteKind.CONNECTED || k == RouteKind.STATIC) return i;
    }
  }
  return -1;
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

/** Remove entry i; the others keep their indexes. Costs the trie's bounded update, and for a
 *  SERVICE route a walk of its service's routes (its addresses, ADDR_PER_SVC in use). */
export function routeDelete(i: i32): void {
  if (<u32>i >= <u32>routeHigh || !routeUsed(i)) return;
  if (<RouteKind>unchecked(kinds[i]) == RouteKind.SERVICE) svcUnlink(i);
  release(i);
}

/** Remove service svc's SERVICE routes (its addresses): its own chain, not the table. */
export function routeRemoveService(svc: i32): void {
  if (<u32>svc >= <u32>SVC_MAX) return;
  let i = unchecked(svcHead[svc]);
  unchecked(svcHead[svc] = -1);
  // The chain holds only svc's SERVICE routes, each once (routeAdd, svcUnlink), so at most
  // routeHigh of them; the walk stops at anything else rather than follow a broken chain
  // into the free list, whose links could lead it round for ever.
  for (let n = routeHigh; i >= 0 && n > 0; n--) {
    if (!mine(i, svc)) break;
    let next = unchecked(link[i]);
    release(i);
    i = next;
  }
}

/** Is entry i (an index below routeHigh) a SERVICE route of svc? */
function mine(i: i32, svc: i32): bool {
  return <u32>i < <u32>routeHigh && <RouteKind>unchecked(kinds[i]) == RouteKind.SERVICE && <i32>unchecked(svcs[i]) == svc;
}

/** Take SERVICE route i out of its service's chain. */
function svcUnlink(i: i32): void {
  let s = <i32>unchecked(svcs[i]);
  let prev = -1, e = unchecked(svcHead[s]);
  // i is on it (routeAdd put it there): at most routeHigh steps, none off the chain.
  for (let n = routeHigh; e != i; n--) {
    if (n <= 0 || !mine(e, s)) return;
    prev = e; e = unchecked(link[e]);
  }
  if (prev < 0) unchecked(svcHead[s] = unchecked(link[i]));
  else unchecked(link[prev] = unchecked(link[i]));
}

/** Entry i out of the trie and the filter; its slot to the free list. */
function release(i: i32): void {
  forget();
  lpmRemove(i);
  ownMark(i, -1);
  if (unchecked(learnedRt[i])) learnedCount--;
  unchecked(kinds[i] = FREE);
  unchecked(link[i] = freeHead);
  freeHead = i;
  routeCount--;
}

/** Forget every route (a refused boot). */
export function routeReset(): void {
  routeCount = 0; routeHigh = 0; freeHead = -1; learnedCount = 0;
  lpmReset(); forget();
  for (let s = 0; s < SVC_MAX; s++) unchecked(svcHead[s] = -1);
  for (let b = 0; b < <i32>OWN_BITS; b++) unchecked(ownCounts[b] = 0);
  for (let w = 0; w < <i32>(OWN_BITS / 32); w++) unchecked(ownBits[w] = 0);
}
routeReset();
