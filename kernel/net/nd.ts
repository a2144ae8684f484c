// Neighbor discovery (RFC 4861 §7): the neighbor cache with the states of §7.3.2
// (INCOMPLETE, REACHABLE, STALE, DELAY, PROBE), link output (resolve the next hop's MAC,
// write the Ethernet header, queue the frame), and the answers to Neighbor Solicitations
// for the node's and its services' addresses. One packet is held per unresolved neighbor;
// multicast solicitations are retried every RETRANS_TIMER and give up with ICMPv6 address
// unreachable after MAX_MULTICAST_SOLICIT (§7.2.2); a STALE neighbor in use is probed by
// unicast after DELAY_FIRST_PROBE_TIME and forgotten after MAX_UNICAST_SOLICIT. The cache
// cannot be filled for good (RFC 6583, and Linux's neighbour garbage collection): at most
// NEIGH_INCOMPLETE_MAX entries are being resolved at once (forwarded packets may start at
// most NEIGH_INCOMPLETE_FWD of them), and when the table is full the entry the node has
// sent to least recently makes room — first those it never sent to, such as any host on
// the link can create with solicitations; DELAY and PROBE entries, hosts in use now, are
// never taken. The cache is a hash index keyed by (address, NIC) under a secret SipHash key
// (hashidx.ts: a neighbor chooses its addresses, and must not choose them to collide), and
// the settled entries (STALE, REACHABLE) wait in two lists, those never sent to and those
// sent to, each in the order they settled or were last sent to: finding an entry, making
// room and counting INCOMPLETE ones cost the same with 10 entries or NEIGH_MAX. A solicited advertisement confirms only an entry the node is soliciting
// (INCOMPLETE, PROBE), so nobody can make an entry REACHABLE unasked. Router
// advertisements are in ra.ts (router side) and routers.ts (host side, which may set a
// link's BaseReachableTime and RetransTimer in iface.ts); solicitations and advertisements for an
// address still under duplicate address detection go to slaac.ts.
import { NEIGH_MAX, NEIGH_INCOMPLETE_MAX, NEIGH_INCOMPLETE_FWD, ND_MAX_MCAST, ND_MAX_UNICAST,
  ND_DELAY_FIRST_PROBE_MS } from "../param";
import { between } from "../rand";
import { Drop } from "../../abi/drop";
import { NeighState } from "../../abi/status";
import { Role, NicKind } from "../../abi/kernel";
import { drop, dropParsed, dropSent } from "../stats";
import { NIC_MAX } from "../param";
import { Index, IDX_SLOT_BYTES, idxFind, idxAdd, idxDel, idxRec, idxClear } from "../hashidx";
import { host_random } from "../../abi/gen/host";
import { now } from "../clock";
import { pktAlloc, pktFree, pktData, pktSetLen, pktClass, CLASS_FORWARD } from "../pool";
import { addrCopy, addrEq, isMulticast, isUnspecified, isSolicitedFor, isSolicitedNode,
  solicitedNode, multicastMac, macCopy, macEq } from "../../wire/addr";
import { IP_HDR, IP_SRC, IP_DST, NH_ICMPV6, ipHops, ipSrc, ipEmit } from "../../wire/ipv6";
import { ETH_HDR, ETHERTYPE_IPV6, ethEmit } from "../../wire/ethernet";
import { ICMP_NS, ICMP_NA, icmpType, icmpCode, icmpSeal } from "../../wire/icmpv6";
import { ND_HOP_LIMIT, ND_TARGET, ND_OPTIONS, ND_LLA_MSG, NA_FLAGS, NA_ROUTER, NA_SOLICITED, NA_OVERRIDE,
  NDOPT_SLLA, NDOPT_TLLA, ndFindOption, ndEmit } from "../../wire/nd";
import { ld32 } from "../../wire/bytes";
import { nicMac, nicKind, nicReachableMs, nicRetransMs } from "./iface";
import { wgOut } from "../wg/link";
import { txPush } from "./egress";
import { ownRoute, routeKind, routeNic } from "./route";
import { RouteKind } from "../../abi/status";
import { dadHeard } from "./slaac";
import { sourceFor } from "./source";

// An entry's record in the index: its key, the address and then the NIC as a u64.
const KEY_SIZE: i32 = 24;
const SECRET: usize = memory.data(16, 8);          // the SipHash key, drawn when the cache is empty
const cache = new Index(memory.data(NEIGH_MAX * KEY_SIZE, 8), memory.data(NEIGH_MAX * IDX_SLOT_BYTES, 8),
  memory.data(NEIGH_MAX / 8, 8), SECRET, KEY_SIZE, 3, NEIGH_MAX);
const KEY: usize = memory.data(KEY_SIZE, 8);
const MACS: usize = memory.data(NEIGH_MAX * 8, 8);
const nNic = new StaticArray<i8>(NEIGH_MAX);       // -1: free
const nState = new StaticArray<u8>(NEIGH_MAX);
const nHeld = new StaticArray<i16>(NEIGH_MAX);     // held packet or -1
const nProbes = new StaticArray<u8>(NEIGH_MAX);
const nTime = new StaticArray<i64>(NEIGH_MAX);
const nReach = new StaticArray<i64>(NEIGH_MAX);    // this entry's ReachableTime (§6.3.2)
const nUsed = new StaticArray<i64>(NEIGH_MAX);     // when the node last sent to it; -1: never
const nList = new StaticArray<u8>(NEIGH_MAX);      // the settled list it waits in: NONE, UNUSED, USED
const nPrev = new StaticArray<i32>(NEIGH_MAX);     // ... and its neighbors there, -1: none
const nNext = new StaticArray<i32>(NEIGH_MAX);
const NONE: u8 = 0, UNUSED: u8 = 1, USED: u8 = 2;
const lHead = new StaticArray<i32>(3);             // each list's first (the one to take first) and last
const lTail = new StaticArray<i32>(3);
let incomplete: i32 = 0;                            // entries INCOMPLETE now
let timersNext: i64 = -1;                           // ndTimers: the earliest deadline known, -1: none
const seenRetrans = new StaticArray<i64>(NIC_MAX);  // ... and each link's RetransTimer at its last pass
const lastFound = new StaticArray<i32>(NIC_MAX);    // find(): each NIC's entry found last + 1, 0: none
/** REACHABLE entries age to STALE, and DELAY ones are first probed, on multiples of this
 *  many ms, a little late (RFC 4861 §7.3.3 needs them after ReachableTime and
 *  DELAY_FIRST_PROBE_TIME, not at the ms): the entries of a full cache that expire at
 *  staggered times then cost one pass over it per GRAIN_MS, not one each. (INCOMPLETE
 *  entries, at most NEIGH_INCOMPLETE_MAX, keep RetransTimer to the ms; PROBE entries start
 *  together in the pass that made them.) */
export const GRAIN_MS: i64 = 100;
/** Passes ndTimers made over the cache: a debug counter for the tests. */
export let timerPasses: u64 = 0;
export let neighHigh: i32 = 0;                      // entries in use are below this
export let nodeRole: Role = Role.SERVER;
const TMP: usize = memory.data(16, 8);

export function ndInit(role: Role): void {
  nodeRole = role;
  for (let i = 0; i < neighHigh; i++) { unchecked(nNic[i] = -1); unchecked(nHeld[i] = -1); unchecked(nList[i] = NONE); }
  idxClear(cache);
  for (let n = 0; n < NIC_MAX; n++) unchecked(lastFound[n] = 0);
  neighHigh = 0; incomplete = 0; timersNext = -1;
  for (let l = 0; l < 3; l++) { unchecked(lHead[l] = -1); unchecked(lTail[l] = -1); }
}

/** ReachableTime for an entry on nic: uniformly random in [0.5, 1.5] × BaseReachableTime. */
function reachableTime(nic: i32): i64 {
  let base = unchecked(nicReachableMs[nic]);
  return between(base / 2, base * 3 / 2);
}

// @ts-ignore: decorator
@inline export function neighAddr(i: i32): usize { return idxRec(cache, i); }
// @ts-ignore: decorator
@inline export function neighMac(i: i32): usize { return MACS + <usize>(i * 8); }
export function neighNic(i: i32): i32 { return <i32>unchecked(nNic[i]); }
export function neighState(i: i32): NeighState { return <NeighState>unchecked(nState[i]); }

/** The NIC on which a neighbor with address addr is in use: it answered the node's own
 *  solicitation (REACHABLE), or the node is sending to it (DELAY, PROBE); or -1. An entry a
 *  solicitation alone made (STALE) proves nothing. */
export function neighborNic(addr: usize): i32 {
  for (let nic = 0; nic < NIC_MAX; nic++) {
    let i = find(nic, addr);
    if (i < 0) continue;
    let st = unchecked(nState[i]);
    if (st != NeighState.INCOMPLETE && st != NeighState.STALE) return nic;
  }
  return -1;
}

/** Is addr a neighbor on nic whose link-layer address the node knows (any state but
 *  INCOMPLETE: reachable or probably so, RFC 4861 §6.3.6)? */
export function neighborKnown(nic: i32, addr: usize): bool {
  let i = find(nic, addr);
  return i >= 0 && unchecked(nState[i]) != NeighState.INCOMPLETE;
}

/** The entry for (addr, nic), or -1. Each NIC remembers the entry it found last (a router
 *  sends most of a link's packets to one next hop): that entry is checked against its own
 *  key (address and NIC), so the SipHash of the full lookup is skipped when it is the one,
 *  and no change to the cache can leave the memory naming a wrong entry (a released
 *  entry's NIC is -1; keys are unique, so an entry with this key is the one the index
 *  would find). */
// @ts-ignore: decorator
@inline function find(nic: i32, addr: usize): i32 {
  if (<u32>nic < <u32>NIC_MAX) {
    let c = unchecked(lastFound[nic]) - 1;
    if (c >= 0 && <i32>unchecked(nNic[c]) == nic && addrEq(neighAddr(c), addr)) return c;
  }
  return findIndexed(nic, addr);
}

/** find() through the hash index, remembered for the NIC. */
function findIndexed(nic: i32, addr: usize): i32 {
  addrCopy(KEY, addr);
  store<u64>(KEY, <u64>nic, 16);
  let i = idxFind(cache, KEY);
  if (i >= 0 && <u32>nic < <u32>NIC_MAX) unchecked(lastFound[nic] = i + 1);
  return i;
}

function unlink(i: i32): void {
  let l = <i32>unchecked(nList[i]);
  if (l == NONE) return;
  let p = unchecked(nPrev[i]), n = unchecked(nNext[i]);
  if (p >= 0) unchecked(nNext[p] = n); else unchecked(lHead[l] = n);
  if (n >= 0) unchecked(nPrev[n] = p); else unchecked(lTail[l] = p);
  unchecked(nList[i] = NONE);
}

/** Entry i, settled, goes last in its list: it made room last. */
function enqueue(i: i32): void {
  let l = unchecked(nUsed[i]) < 0 ? UNUSED : USED;
  if (<i32>unchecked(nList[i]) == l && unchecked(lTail[l]) == i) return;   // last already (sent to again)
  unlink(i);
  let t = unchecked(lTail[l]);
  unchecked(nPrev[i] = t); unchecked(nNext[i] = -1);
  if (t >= 0) unchecked(nNext[t] = i); else unchecked(lHead[l] = i);
  unchecked(lTail[l] = i);
  unchecked(nList[i] = l);
}

/** Every state change goes here: it keeps the INCOMPLETE count and the settled lists.
 *  Whoever gives the entry a deadline tells ndTimers with due(). */
function setState(i: i32, st: NeighState): void {
  let old = <NeighState>unchecked(nState[i]);
  if (old == NeighState.INCOMPLETE) incomplete--;
  if (st == NeighState.INCOMPLETE) incomplete++;
  unchecked(nState[i] = <u8>st);
  let settled = st == NeighState.STALE || st == NeighState.REACHABLE;
  if (!settled) unlink(i);
  else if (unchecked(nList[i]) == NONE) enqueue(i);
}

/** The settled entry that should make room first: one never sent to (the one that settled
 *  longest ago), else the one sent to longest ago; or -1 when every entry is being
 *  resolved or in use now (DELAY, PROBE). */
function victim(): i32 {
  let v = unchecked(lHead[UNUSED]);
  return v >= 0 ? v : unchecked(lHead[USED]);
}

/** An entry needs attention at t: ndTimers passes over the cache no later than then. A change
 *  that sets no deadline (to STALE, a refresh) costs no pass. */
function due(t: i64): void {
  if (timersNext < 0 || t < timersNext) timersNext = t;
}

/** When an entry whose REACHABLE or DELAY time lapses at until is moved on: the next
 *  multiple of GRAIN_MS. */
function grained(until: i64): i64 {
  let g = GRAIN_MS;
  let r = until % g;
  return r == 0 ? until : until - r + (r < 0 ? 0 : g);
}

/** How many entries are INCOMPLETE. */
function resolving(): i32 { return incomplete; }

function create(nic: i32, addr: usize): i32 {
  if (cache.count >= NEIGH_MAX) {
    let v = victim();
    if (v < 0) return -1;
    release(v);
  }
  if (cache.count == 0) host_random(<i32>SECRET, 16);   // nothing hashed under the old key is left
  addrCopy(KEY, addr);
  store<u64>(KEY, <u64>nic, 16);
  let i = idxAdd(cache, KEY);
  if (i < 0) return -1;
  if (i >= neighHigh) neighHigh = i + 1;
  unchecked(nNic[i] = <i8>nic);
  unchecked(nState[i] = <u8>NeighState.INCOMPLETE);   // no MAC known yet (a reclaimed entry's is stale)
  incomplete++;
  unchecked(nList[i] = NONE);
  unchecked(nUsed[i] = -1);
  unchecked(nHeld[i] = -1);
  unchecked(nProbes[i] = 0);
  unchecked(nTime[i] = now);
  return i;
}

function release(i: i32): void {
  if (unchecked(nState[i]) == NeighState.INCOMPLETE) incomplete--;
  unlink(i);
  unchecked(nNic[i] = -1);
  idxDel(cache, i);
}

function ethHeader(pkt: i32, nic: i32, dstMac: usize): void {
  ethEmit(pktData(pkt) - ETH_HDR, dstMac, nicMac(nic), ETHERTYPE_IPV6);
}

/** Transmit pkt on nic towards nextHop (dst itself when on-link). Consumes pkt. */
export function linkOut(nic: i32, nextHop: usize, pkt: i32): void {
  if (unchecked(nicKind[nic]) == <u8>NicKind.WIREGUARD) { wgOut(nic, pkt); return; }   // layer 3: no neighbors
  if (isMulticast(nextHop)) {
    multicastMac(TMP, nextHop);
    ethHeader(pkt, nic, TMP);
    txPush(nic, pkt);
    return;
  }
  let i = find(nic, nextHop);
  if (i >= 0 && unchecked(nState[i]) != NeighState.INCOMPLETE) {
    unchecked(nUsed[i] = now);
    if (unchecked(nState[i]) == NeighState.STALE) {   // §7.3.3: used while stale
      setState(i, NeighState.DELAY);
      unchecked(nTime[i] = now);
      due(grained(now + ND_DELAY_FIRST_PROBE_MS));
    } else if (unchecked(nList[i]) != NONE) enqueue(i);   // REACHABLE: sent to last
    ethHeader(pkt, nic, neighMac(i));
    txPush(nic, pkt);
    return;
  }
  if (i < 0) {
    let limit = pktClass(pkt) == CLASS_FORWARD ? NEIGH_INCOMPLETE_FWD : NEIGH_INCOMPLETE_MAX;
    i = resolving() < limit ? create(nic, nextHop) : -1;
    if (i < 0) { dropSent(Drop.NEIGH_UNRESOLVED, pkt, nic); pktFree(pkt); return; }
    unchecked(nUsed[i] = now);
    sendSolicit(nic, nextHop, 0);
    unchecked(nProbes[i] = 1);
    unchecked(nTime[i] = now);
    due(now + unchecked(nicRetransMs[nic]));
  }
  let old = <i32>unchecked(nHeld[i]);
  if (old >= 0) { dropSent(Drop.NEIGH_UNRESOLVED, old, nic); pktFree(old); }
  unchecked(nHeld[i] = <i16>pkt);
}

/** A router solicitation's source link-layer option (§6.2.6): STALE, as for an NS. */
export function learnFrom(nic: i32, addr: usize, mac: usize): void {
  learn(nic, addr, mac, NeighState.STALE);
}

/** Learn (or refresh) a neighbor's MAC; send its held packet if it was unresolved. */
function learn(nic: i32, addr: usize, mac: usize, state: NeighState): void {
  let i = find(nic, addr);
  if (i < 0) {
    i = create(nic, addr);
    if (i < 0) return;
  }
  let st = unchecked(nState[i]);
  let same = st != NeighState.INCOMPLETE && macEq(neighMac(i), mac);
  // §7.2.3: an unchanged address from a solicitation leaves the state alone.
  if (same && state == NeighState.STALE) return;
  macCopy(neighMac(i), mac);
  setState(i, state);
  unchecked(nTime[i] = now);
  if (unchecked(nUsed[i]) < 0) enqueue(i);            // never sent to: it settled last
  if (state == NeighState.REACHABLE) {
    unchecked(nReach[i] = reachableTime(nic));
    due(grained(now + unchecked(nReach[i])));
  }
  let held = <i32>unchecked(nHeld[i]);
  if (held >= 0) {
    unchecked(nHeld[i] = -1);
    ethHeader(held, nic, mac);
    txPush(nic, held);
  }
}

/** An NS for target: to its solicited-node group, or (mac != 0) by unicast to the
 *  neighbor itself at that MAC, to probe it (§7.3.3). */
function sendSolicit(nic: i32, target: usize, mac: usize): void {
  let pkt = pktAlloc();
  if (pkt < 0) { drop(Drop.POOL_EMPTY); return; }
  let p = pktData(pkt);
  if (mac != 0) addrCopy(TMP, target);
  else solicitedNode(TMP, target);
  ipEmit(p, ND_LLA_MSG, NH_ICMPV6, ND_HOP_LIMIT, TMP, TMP);
  sourceFor(nic, target, p + IP_SRC);
  ndEmit(p + IP_HDR, ICMP_NS, 0, target, NDOPT_SLLA, nicMac(nic));
  icmpSeal(p, ND_LLA_MSG);
  pktSetLen(pkt, IP_HDR + ND_LLA_MSG);
  if (mac != 0) { ethHeader(pkt, nic, mac); txPush(nic, pkt); }
  else linkOut(nic, p + IP_DST, pkt);
}

function sendAdvert(nic: i32, target: usize, dst: usize, dstMac: usize, solicited: bool): void {
  let pkt = pktAlloc();
  if (pkt < 0) { drop(Drop.POOL_EMPTY); return; }
  let p = pktData(pkt);
  ipEmit(p, ND_LLA_MSG, NH_ICMPV6, ND_HOP_LIMIT, target, dst);
  // A router's Subnet-Router anycast address (prefix::, boot.ts) is advertised without
  // Override (RFC 4861 §7.2.7), so that two routers of the link do not overwrite each other
  // in their neighbors' caches; no address of the node's own ends in 64 zero bits otherwise.
  let anycast = nodeRole == Role.ROUTER && load<u64>(target, 8) == 0;
  let flags = (anycast ? 0 : NA_OVERRIDE) | (solicited ? NA_SOLICITED : 0) | (nodeRole == Role.ROUTER ? NA_ROUTER : 0);
  ndEmit(p + IP_HDR, ICMP_NA, flags, target, NDOPT_TLLA, nicMac(nic));
  icmpSeal(p, ND_LLA_MSG);
  pktSetLen(pkt, IP_HDR + ND_LLA_MSG);
  if (dstMac != 0) { ethHeader(pkt, nic, dstMac); txPush(nic, pkt); }
  else linkOut(nic, p + IP_DST, pkt);
}

/** An NS or NA (checksum already verified) at p, ICMPv6 at offset off, len bytes of it.
 *  srcMac is the Ethernet source of the frame. */
export function ndInput(nic: i32, p: usize, off: i32, len: i32, srcMac: usize): void {
  let m = p + off;
  let type = icmpType(m);
  if (ipHops(p) != ND_HOP_LIMIT || icmpCode(m) != 0 || len < ND_OPTIONS || isMulticast(m + ND_TARGET)) {
    dropParsed(Drop.ND_INVALID, nic, p); return;
  }
  let opt = ndFindOption(m, len, ND_OPTIONS, type == ICMP_NS ? NDOPT_SLLA : NDOPT_TLLA);
  if (opt < 0) { dropParsed(Drop.ND_INVALID, nic, p); return; }
  if (type == ICMP_NS) solicitation(nic, p, m, <usize>opt, srcMac);
  else advertisement(nic, p, m, <usize>opt);
}

function solicitation(nic: i32, p: usize, m: usize, sll: usize, srcMac: usize): void {
  let src = ipSrc(p);
  let target = m + ND_TARGET;
  let dad = isUnspecified(src);
  if (dad && (!isSolicitedNode(p + IP_DST) || sll != 0)) { dropParsed(Drop.ND_INVALID, nic, p); return; }
  if (isMulticast(p + IP_DST) && !isSolicitedFor(p + IP_DST, target)) { dropParsed(Drop.ND_INVALID, nic, p); return; }
  // Another node's DAD for an address of ours still under DAD: a duplicate (RFC 4862
  // §5.4.3). A solicitation from an address for it is ignored: the address is not ours yet.
  if (dadHeard(nic, target, dad)) return;
  let own = ownRoute(target);
  if (own < 0) return;                             // a valid NS for someone else
  if (routeKind(own) == RouteKind.LOCAL && routeNic(own) != nic) return;
  if (dad) {
    store<u64>(TMP, bswap<u64>(0xff02000000000000)); // ff02::1, all nodes (§7.2.4)
    store<u64>(TMP, bswap<u64>(1), 8);
    sendAdvert(nic, target, TMP, 0, false);
    return;
  }
  if (sll != 0) learn(nic, src, sll, NeighState.STALE);
  sendAdvert(nic, target, src, sll != 0 ? sll : srcMac, true);
}

function advertisement(nic: i32, p: usize, m: usize, tll: usize): void {
  let flags = ld32(m + NA_FLAGS);
  if (isMulticast(p + IP_DST) && (flags & NA_SOLICITED) != 0) { dropParsed(Drop.ND_INVALID, nic, p); return; }
  if (dadHeard(nic, m + ND_TARGET, true)) return;  // someone holds an address still under DAD (§5.4.4)
  let i = find(nic, m + ND_TARGET);
  if (i < 0) return;                               // unsolicited, for no entry: ignore
  let st = unchecked(nState[i]);
  // Only an answer to the node's own solicitation confirms reachability (§7.2.5 takes any
  // S flag; honouring it unasked would let anyone pin an entry as REACHABLE).
  let solicited = (flags & NA_SOLICITED) != 0 && (st == NeighState.INCOMPLETE || st == NeighState.PROBE);
  let state = solicited ? NeighState.REACHABLE : NeighState.STALE;
  if (st == NeighState.INCOMPLETE) {
    if (tll == 0) return;
    learn(nic, m + ND_TARGET, tll, state);
    return;
  }
  if (tll != 0 && !macEq(tll, neighMac(i))) {
    if ((flags & NA_OVERRIDE) == 0) return;
    learn(nic, m + ND_TARGET, tll, state);
  } else if (solicited) {
    setState(i, NeighState.REACHABLE);
    unchecked(nTime[i] = now);
    unchecked(nProbes[i] = 0);
    unchecked(nReach[i] = reachableTime(nic));
    due(grained(now + unchecked(nReach[i])));
  }
}

/** Retransmit solicitations and give up on neighbors that never answered (§7.2.2), move
 *  DELAY to PROBE and probe by unicast (§7.3.3), age REACHABLE to STALE. Calls
 *  unreachable(pkt) for each held packet given up. Returns the next time this needs to
 *  run, or -1. Called on every poll: it passes over the cache only when the earliest
 *  deadline is due — every change that sets one lowers it (due()), and a link's
 *  RetransTimer changed by an RA (routers.ts) makes it now — so neither a full cache nor a
 *  neighbor changing its entry to STALE on every packet costs a poll a pass. */
export function ndTimers(unreachable: (pkt: i32) => void): i64 {
  for (let n = 0; n < NIC_MAX; n++) {
    let r = unchecked(nicRetransMs[n]);
    if (r != unchecked(seenRetrans[n])) { unchecked(seenRetrans[n] = r); due(now); }
  }
  if (timersNext < 0 || now < timersNext) return timersNext;
  timerPasses++;
  timersNext = -1;                                 // what the pass sends may set deadlines (due())
  let next: i64 = -1;
  for (let i = 0; i < neighHigh; i++) {
    let nic = <i32>unchecked(nNic[i]);
    if (nic < 0) continue;
    let t = step(i, nic, unreachable);
    if (t >= 0 && (next < 0 || t < next)) next = t;
  }
  if (next >= 0) due(next);
  return timersNext;
}

/** Advance entry i; returns when it next needs attention, or -1. */
function step(i: i32, nic: i32, unreachable: (pkt: i32) => void): i64 {
  let t = unchecked(nTime[i]);
  let st = <i32>unchecked(nState[i]);
  let probes = <i32>unchecked(nProbes[i]);
  if (st == NeighState.INCOMPLETE || st == NeighState.PROBE) {
    let retrans = unchecked(nicRetransMs[nic]);
    if (now - t < retrans) return t + retrans;
    let limit = st == NeighState.INCOMPLETE ? ND_MAX_MCAST : ND_MAX_UNICAST;
    if (probes >= limit) {
      let held = <i32>unchecked(nHeld[i]);
      unchecked(nHeld[i] = -1);
      release(i);
      if (held >= 0) unreachable(held);
      return -1;
    }
    unchecked(nProbes[i] = <u8>(probes + 1));
    unchecked(nTime[i] = now);
    sendSolicit(nic, neighAddr(i), st == NeighState.PROBE ? neighMac(i) : 0);
    return now + retrans;
  }
  if (st == NeighState.DELAY) {
    let until = grained(t + ND_DELAY_FIRST_PROBE_MS);
    if (now < until) return until;
    setState(i, NeighState.PROBE);
    unchecked(nProbes[i] = 1);
    unchecked(nTime[i] = now);
    sendSolicit(nic, neighAddr(i), neighMac(i));
    return now + unchecked(nicRetransMs[nic]);
  }
  if (st == NeighState.REACHABLE) {
    let until = grained(t + unchecked(nReach[i]));
    if (now < until) return until;
    setState(i, NeighState.STALE);
  }
  return -1;
}
