// Block filters (issue #15; spec/kernel.md, "Block filters"): the rules a signed BLOCK
// installs through ctl/block.ts (filterAdd, filterRemove). A filter drops received packets
// to one destination from inside one source prefix, of one upper-layer protocol and port or
// of any, until a kernel time. net/input.ts asks filterMatch of each received unicast
// packet after neighbor discovery and before routing, while any filter is installed; what
// a service or the kernel sends is never asked. main.ts's k_poll calls filterExpire. A
// lookup's work is bounded whatever the number of filters; the tables are reserved once,
// and nothing is allocated after start.
import { Errno } from "../../abi/errno";
import { FILTER_MAX, FILTER_PER_HOLDER } from "../../abi/limits";
import { HOLDER_MAX, FILTER_EXPIRE_PER_POLL } from "../param";
import { now } from "../clock";
import { ld8, ld16 } from "../../wire/bytes";
import { IP_SRC, IP_DST, NH_TCP, NH_UDP, NH_ICMPV6 } from "../../wire/ipv6";
import { TCP_DST_PORT, TCP_PORTS } from "../../wire/layout/tcp";
import { ICMP_TYPE } from "../../wire/icmpv6";
import { Chain, walk, ipTotal } from "./ipv6";
import { Index, IDX_SLOT_BYTES, idxFind, idxAdd, idxDel, idxRec, idxLive, idxClear } from "../hashidx";
import { heapPush, heapSet, heapDel, heapTop, heapExpires, heapClear } from "./filterheap";
import { host_random } from "../../abi/gen/host";

export let filterActive: i32 = 0;        // filters installed now (0: input.ts asks nothing)
// Since boot (status FILTERS): new filters, BLOCKs for one already there, filters that ran
// out, filters taken out by filterRemove (UNBLOCK) or with their holder (filterDropHolder).
export let filterInstalled: u64 = 0;
export let filterRefreshed: u64 = 0;
export let filterExpired: u64 = 0;
export let filterRemoved: u64 = 0;

// Four hash indexes (hashidx.ts: keyed SipHash, load at most 1/2), one level of a packet's
// question each:
//
//   dsts     destination[16]                  → the source lengths (0..128) it has filters for
//   lens     (dst, length)                    → its source groups (so dsts' lengths stay exact)
//   sources  (dst, length, source & mask)     → its filter for any protocol; how many it has
//                                               with a protocol, and with a port
//   filters  (source group, protocol, port)   → the holder; the expiry is filterheap.ts's
//
// A packet costs a test of PRE (below) and, unless that rules its destination out, one
// probe of dsts (a destination without filters stops there); then, for each source length
// its destination uses, one probe of sources, and only where that group has protocol or
// port filters, the packet's upper layer (ipv6.walk, once) and one or two probes of
// filters: at most 1 + 129 · 3 lookups, however many filters there are.
// A packet whose headers cannot be walked to the upper layer matches every protocol and
// port filter of its source groups; one whose TCP, UDP or ICMPv6 header ends before the
// port (the ICMPv6 type) matches every port filter of its groups: hiding what a packet
// carries never takes it past a filter. A filter stops matching at its expiry, before
// filterExpire takes it out.

// dsts: destination[16] (the key), then its source lengths: bit l & 63 of u64 l >> 6.
const D_MASK = 16;
const MASK_WORDS = 3;
const D_SIZE = 40;
// lens: (dst record | length << 32) (the key), then how many source groups have both.
const L_GROUPS = 8;
const L_SIZE = 16;
// sources: (dst record | length << 32), source & mask[16] (the key), then its filter for
// any protocol (record + 1; 0: none), its filters with a protocol and port 0, with a port.
const S_ANY = 24;
const S_PROTO = 28;
const S_PORT = 32;
const S_SIZE = 40;
// filters: (source record | protocol << 32 | port << 40) (the key), then the holder.
const F_HOLDER = 8;
const F_SIZE = 16;

// Host randomness, drawn whenever the first filter goes in: the indexes' SipHash key, then
// the key of the destinations' first test (PRE).
const SECRET_BYTES: i32 = 32;
const SECRET: usize = memory.data(SECRET_BYTES, 8);
// The first test of every packet, before any SipHash: how many destinations with filters
// fall in each of PRE_BUCKETS buckets of a cheap keyed mix of the address. A packet whose
// bucket is empty stops there (with 1,000 destinations filtered, 99 % of the others); a
// collision costs no more than the lookup that follows, so a weak mix is enough.
const PRE_BITS: u64 = 17;
const PRE_BUCKETS: i32 = 1 << <i32>PRE_BITS;
const PRE: usize = memory.data(PRE_BUCKETS * 4, 8);
const KEY: usize = memory.data(24, 8);        // the key being looked up or added
const dsts = new Index(memory.data(FILTER_MAX * D_SIZE, 8), memory.data(FILTER_MAX * IDX_SLOT_BYTES, 8),
  memory.data(FILTER_MAX / 8, 8), SECRET, D_SIZE, 2, FILTER_MAX);
const lens = new Index(memory.data(FILTER_MAX * L_SIZE, 8), memory.data(FILTER_MAX * IDX_SLOT_BYTES, 8),
  memory.data(FILTER_MAX / 8, 8), SECRET, L_SIZE, 1, FILTER_MAX);
const sources = new Index(memory.data(FILTER_MAX * S_SIZE, 8), memory.data(FILTER_MAX * IDX_SLOT_BYTES, 8),
  memory.data(FILTER_MAX / 8, 8), SECRET, S_SIZE, 3, FILTER_MAX);
const filters = new Index(memory.data(FILTER_MAX * F_SIZE, 8), memory.data(FILTER_MAX * IDX_SLOT_BYTES, 8),
  memory.data(FILTER_MAX / 8, 8), SECRET, F_SIZE, 1, FILTER_MAX);
const holderFilters = new StaticArray<u32>(HOLDER_MAX);
/** The upper layer of the packet being matched (upperLayer). */
const FILTER_CHAIN = new Chain();

/** The first `bits` bits (0..64, clamped) of 8 address bytes, as load<u64> reads them
 *  (little-endian: the address's first byte lowest). */
function prefixBits(bits: i32): u64 {
  if (bits <= 0) return 0;
  if (bits >= 64) return U64.MAX_VALUE;
  return bswap<u64>(U64.MAX_VALUE << <u64>(64 - bits));
}

/** The PRE counter of the destination address at a. */
function preOf(a: usize): usize {
  let x = (load<u64>(a) ^ load<u64>(SECRET, 16)) ^ ((load<u64>(a, 8) ^ load<u64>(SECRET, 24)) * 0x9e3779b97f4a7c15);
  x ^= x >> 31; x *= 0xbf58476d1ce4e5b9; x ^= x >> 29;
  return PRE + (<usize>(x >> (64 - PRE_BITS)) << 2);
}

/** KEY := the source group (dst record d, length len, the source a:b masked to len). Its
 *  first word alone is the lens key. */
function groupKey(d: i32, len: i32, a: u64, b: u64): void {
  store<u64>(KEY, <u64><u32>d | <u64>len << 32);
  store<u64>(KEY, a & prefixBits(len), 8);
  store<u64>(KEY, b & prefixBits(len - 64), 16);
}

/** KEY := the filter (source group s, protocol, port). */
function filterKey(s: i32, proto: i32, port: i32): void {
  store<u64>(KEY, <u64><u32>s | <u64>proto << 32 | <u64>port << 40);
}

/** Protocols whose filters may name a port: TCP and UDP (the destination port), ICMPv6
 *  (the type << 8; abi/control.ts BL_PORT). */
function hasPorts(proto: i32): bool { return proto == NH_TCP || proto == NH_UDP || proto == NH_ICMPV6; }

function valid(srcLen: i32, proto: i32, port: i32): bool {
  if (<u32>srcLen > 128 || <u32>proto > 255 || <u32>port > 0xffff) return false;
  if (port == 0) return true;
  return hasPorts(proto) && (proto != NH_ICMPV6 || (port & 0xff) == 0);
}

/** A record idxAdd made. Each record of every index has a filter of its own, so below
 *  FILTER_MAX filters every index has room. */
function made(r: i32): i32 {
  if (r < 0) abort("filter: an index is full below FILTER_MAX filters");
  return r;
}

/** The filter with exactly these fields, or -1. */
function find(dst: usize, src: usize, len: i32, proto: i32, port: i32): i32 {
  let d = idxFind(dsts, dst);
  if (d < 0) return -1;
  groupKey(d, len, load<u64>(src), load<u64>(src, 8));
  let s = idxFind(sources, KEY);
  if (s < 0) return -1;
  filterKey(s, proto, port);
  return idxFind(filters, KEY);
}

/** The source group (dst, src masked to len), made if new, with its destination and its
 *  length. */
function group(dst: usize, src: usize, len: i32): i32 {
  let d = idxFind(dsts, dst);
  if (d < 0) {
    d = made(idxAdd(dsts, dst));
    memory.fill(idxRec(dsts, d) + D_MASK, 0, MASK_WORDS * 8);
    let c = preOf(dst);
    store<u32>(c, load<u32>(c) + 1);
  }
  groupKey(d, len, load<u64>(src), load<u64>(src, 8));
  let s = idxFind(sources, KEY);
  if (s >= 0) return s;
  s = made(idxAdd(sources, KEY));
  memory.fill(idxRec(sources, s) + S_ANY, 0, S_SIZE - S_ANY);
  let l = idxFind(lens, KEY);
  if (l < 0) {
    l = made(idxAdd(lens, KEY));
    store<u32>(idxRec(lens, l) + L_GROUPS, 0);
    let m = idxRec(dsts, d) + D_MASK + (<usize>(len >> 6) << 3);
    store<u64>(m, load<u64>(m) | (<u64>1 << <u64>(len & 63)));
  }
  let lr = idxRec(lens, l);
  store<u32>(lr + L_GROUPS, load<u32>(lr + L_GROUPS) + 1);
  return s;
}

/** Filter f, of this protocol and port, joins (by 1) or leaves (by -1) source record r:
 *  the any-protocol filter is kept as its record + 1, the others counted. */
function count(r: usize, f: i32, proto: i32, port: i32, by: i32): void {
  if (proto == 0) store<u32>(r + S_ANY, by > 0 ? <u32>(f + 1) : 0);
  else if (port == 0) store<u32>(r + S_PROTO, load<u32>(r + S_PROTO) + <u32>by);
  else store<u32>(r + S_PORT, load<u32>(r + S_PORT) + <u32>by);
}

/** Install (or refresh) a filter: drop packets to dst (16 bytes) from inside src/srcLen
 *  (0..128; bits past srcLen are ignored), protocol proto (0 = any; else the upper-layer
 *  protocol after extension headers), destination port (0 = any; only with proto 6, 17,
 *  or 58 as the ICMPv6 type << 8), until kernel time expires (ms). holder: 0..HOLDER_MAX-1,
 *  whose quota it counts against. Returns 0 installed, 1 refreshed (same dst/src/len/proto/
 *  port already there: its expiry becomes the later of the two, its holder stays),
 *  -Errno.ENOSPC (FILTER_MAX active), -Errno.EDQUOT (holder has FILTER_PER_HOLDER), or
 *  -Errno.EINVAL (a field out of its range), before anything changes. */
export function filterAdd(dst: usize, src: usize, srcLen: i32, proto: i32, port: i32, expires: i64, holder: i32): i32 {
  if (!valid(srcLen, proto, port) || <u32>holder >= <u32>HOLDER_MAX) return -Errno.EINVAL;
  let f = find(dst, src, srcLen, proto, port);
  if (f >= 0) {
    if (expires > heapExpires(f)) heapSet(f, expires);
    filterRefreshed++;
    return 1;
  }
  if (unchecked(holderFilters[holder]) >= <u32>FILTER_PER_HOLDER) return -Errno.EDQUOT;
  if (filterActive >= FILTER_MAX) return -Errno.ENOSPC;
  // Empty indexes take a new secret: nothing hashed with the old one is left.
  if (filterActive == 0) host_random(<i32>SECRET, SECRET_BYTES);
  let s = group(dst, src, srcLen);
  filterKey(s, proto, port);
  f = made(idxAdd(filters, KEY));
  store<u16>(idxRec(filters, f) + F_HOLDER, <u16>holder);
  count(idxRec(sources, s), f, proto, port, 1);
  heapPush(f, expires);
  unchecked(holderFilters[holder]++);
  filterActive++;
  filterInstalled++;
  return 0;
}

/** Take filter f out, and its source group, length and destination when it was their
 *  last. */
function unlink(f: i32): void {
  let fr = idxRec(filters, f);
  let key = load<u64>(fr);
  let s = <i32><u32>key, proto = <i32>(key >> 32) & 0xff, port = <i32>(key >> 40) & 0xffff;
  unchecked(holderFilters[<i32>load<u16>(fr + F_HOLDER)]--);
  heapDel(f);
  idxDel(filters, f);
  filterActive--;
  let r = idxRec(sources, s);
  count(r, f, proto, port, -1);
  if (load<u32>(r + S_ANY) != 0 || load<u32>(r + S_PROTO) != 0 || load<u32>(r + S_PORT) != 0) return;
  let w = load<u64>(r);                         // (dst record, length): the lens key
  idxDel(sources, s);
  store<u64>(KEY, w);
  let l = idxFind(lens, KEY);
  let lr = idxRec(lens, l);
  let n = load<u32>(lr + L_GROUPS) - 1;
  store<u32>(lr + L_GROUPS, n);
  if (n != 0) return;
  idxDel(lens, l);
  let d = <i32><u32>w, len = <i32>(w >> 32);
  let m = idxRec(dsts, d) + D_MASK;
  let mw = m + (<usize>(len >> 6) << 3);
  store<u64>(mw, load<u64>(mw) & ~(<u64>1 << <u64>(len & 63)));
  if ((load<u64>(m) | load<u64>(m, 8) | load<u64>(m, 16)) != 0) return;
  let c = preOf(idxRec(dsts, d));
  store<u32>(c, load<u32>(c) - 1);
  idxDel(dsts, d);
}

/** Remove the filter with exactly these fields; true if there was one. */
export function filterRemove(dst: usize, src: usize, srcLen: i32, proto: i32, port: i32): bool {
  if (!valid(srcLen, proto, port)) return false;
  let f = find(dst, src, srcLen, proto, port);
  if (f < 0) return false;
  unlink(f);
  filterRemoved++;
  return true;
}

// upperLayer's answer: the protocol in bits 0..7, the port (TCP's and UDP's destination
// port, ICMPv6's type << 8) in bits 8..23, or PORT_CUT: the header ends before it.
const PORT_CUT: i32 = 1 << 24;
const UNWALKABLE: i32 = -1;
const NOT_WALKED: i32 = -2;

/** The protocol and port of the packet at p (len bytes), or UNWALKABLE. */
function upperLayer(p: usize, len: i32): i32 {
  let c = FILTER_CHAIN;
  if (walk(p, c) >= 0) return UNWALKABLE;
  let proto = <i32>c.proto;
  let end = min(len, ipTotal(p));
  let u = p + <usize>c.off;
  // TCP's destination port is where UDP's is (wire/layout/tcp.ts).
  if (proto == NH_TCP || proto == NH_UDP) {
    return c.off + TCP_PORTS > end ? proto | PORT_CUT : proto | <i32>ld16(u + TCP_DST_PORT) << 8;
  }
  if (proto == NH_ICMPV6) {
    return c.off + ICMP_TYPE + 1 > end ? proto | PORT_CUT : proto | <i32>ld8(u + ICMP_TYPE) << 16;
  }
  return proto;
}

/** Is filter (source group s, proto, port) there and not yet expired? */
function inForce(s: i32, proto: i32, port: i32): bool {
  filterKey(s, proto, port);
  let f = idxFind(filters, KEY);
  return f >= 0 && heapExpires(f) > now;
}

/** Does a protocol or port filter of source group s (record r) drop a packet whose
 *  upperLayer() is upper? */
function specific(s: i32, r: usize, upper: i32): bool {
  if (upper == UNWALKABLE) return true;
  let proto = upper & 0xff;
  if (load<u32>(r + S_PROTO) != 0 && inForce(s, proto, 0)) return true;
  if (load<u32>(r + S_PORT) == 0 || !hasPorts(proto)) return false;
  if ((upper & PORT_CUT) != 0) return true;
  return inForce(s, proto, (upper >> 8) & 0xffff);
}

/** Does a filter drop this IPv6 packet (data at p, len bytes, header already validated)? */
export function filterMatch(p: usize, len: i32): bool {
  if (load<u32>(preOf(p + IP_DST)) == 0) return false;
  let d = idxFind(dsts, p + IP_DST);
  if (d < 0) return false;
  let m = idxRec(dsts, d) + D_MASK;
  let a = load<u64>(p + IP_SRC), b = load<u64>(p + IP_SRC, 8);
  let upper = NOT_WALKED;
  for (let w = 0; w < MASK_WORDS; w++) {
    let bits = load<u64>(m + (<usize>w << 3));
    while (bits != 0) {
      let l = (w << 6) + <i32>ctz(bits);
      bits &= bits - 1;
      groupKey(d, l, a, b);
      let s = idxFind(sources, KEY);
      if (s < 0) continue;
      let r = idxRec(sources, s);
      let any = <i32>load<u32>(r + S_ANY);
      if (any != 0 && heapExpires(any - 1) > now) return true;
      if (load<u32>(r + S_PROTO) == 0 && load<u32>(r + S_PORT) == 0) continue;
      if (upper == NOT_WALKED) upper = upperLayer(p, len);
      if (specific(s, r, upper)) return true;
    }
  }
  return false;
}

/** Remove the filters whose expiry is <= now, at most FILTER_EXPIRE_PER_POLL of them (the
 *  rest at the next poll, which filterNext() then asks for at once: an expired filter no
 *  longer matches meanwhile), so that 65,536 filters running out together never hold up one
 *  poll; returns how many. */
export function filterExpire(): i32 {
  let n = 0;
  for (let f = heapTop(); f >= 0 && heapExpires(f) <= now && n < FILTER_EXPIRE_PER_POLL; f = heapTop()) {
    unlink(f);
    n++;
  }
  filterExpired += <u64>n;
  return n;
}

/** The earliest expiry (kernel ms), or -1 with no filters. */
export function filterNext(): i64 {
  let f = heapTop();
  return f < 0 ? -1 : heapExpires(f);
}

/** How many source lengths dst has filters for: each costs every packet to dst a lookup,
 *  which ctl/block.ts may want to bound. */
export function filterLengths(dst: usize): i32 {
  let d = idxFind(dsts, dst);
  if (d < 0) return 0;
  let m = idxRec(dsts, d) + D_MASK;
  return <i32>(popcnt(load<u64>(m)) + popcnt(load<u64>(m, 8)) + popcnt(load<u64>(m, 16)));
}

/** Is there a filter with exactly these fields (expired or not: a BLOCK refreshes it)? */
export function filterExists(dst: usize, src: usize, srcLen: i32, proto: i32, port: i32): bool {
  return valid(srcLen, proto, port) && find(dst, src, srcLen, proto, port) >= 0;
}

/** Does dst have filters of source length len? */
export function filterHasLength(dst: usize, len: i32): bool {
  let d = idxFind(dsts, dst);
  if (d < 0 || <u32>len > 128) return false;
  return (load<u64>(idxRec(dsts, d) + D_MASK + (<usize>(len >> 6) << 3)) >> <u64>(len & 63) & 1) != 0;
}

export function filterHolderCount(holder: i32): i32 {
  return <u32>holder < <u32>HOLDER_MAX ? <i32>unchecked(holderFilters[holder]) : 0;
}

/** Forget every filter of this holder (its key's state is being reused): a scan of the
 *  filters, on the control path only. Counted as removed. */
export function filterDropHolder(holder: i32): void {
  if (<u32>holder >= <u32>HOLDER_MAX) return;
  for (let f = filters.high - 1; f >= 0 && unchecked(holderFilters[holder]) != 0; f--) {
    if (idxLive(filters, f) && <i32>load<u16>(idxRec(filters, f) + F_HOLDER) == holder) {
      unlink(f);
      filterRemoved++;
    }
  }
}

/** At boot: no filters, and the counters at 0. */
export function filtersReset(): void {
  if (dsts.high > 0) memory.fill(PRE, 0, <usize>PRE_BUCKETS * 4);
  idxClear(dsts);
  idxClear(lens);
  idxClear(sources);
  idxClear(filters);
  heapClear();
  for (let h = 0; h < HOLDER_MAX; h++) unchecked(holderFilters[h] = 0);
  filterActive = 0;
  filterInstalled = 0; filterRefreshed = 0; filterExpired = 0; filterRemoved = 0;
}

// For status (kernel/status.ts): filter records are numbered below filterSlots(); those
// filterLive() are installed.
export function filterSlots(): i32 { return filters.high; }
export function filterLive(f: i32): bool { return idxLive(filters, f); }
// @ts-ignore: decorator
@inline function sourceOf(f: i32): usize { return idxRec(sources, <i32>load<u32>(idxRec(filters, f))); }
export function filterDst(f: i32): usize { return idxRec(dsts, <i32>load<u32>(sourceOf(f))); }
export function filterSrc(f: i32): usize { return sourceOf(f) + 8; }
export function filterSrcLen(f: i32): i32 { return <i32>load<u32>(sourceOf(f), 4); }
export function filterProto(f: i32): i32 { return <i32>load<u8>(idxRec(filters, f), 4); }
export function filterPort(f: i32): i32 { return <i32>load<u16>(idxRec(filters, f), 5); }
export function filterExpires(f: i32): i64 { return heapExpires(f); }
