// The routing table's index (route.ts): a path-compressed binary trie over IPv6 prefixes,
// so that longest-prefix match costs a walk of at most one node per distinct prefix length
// on the destination's path — about log2(routes) nodes — whether the table holds 10
// routes or 100,000. A node holds a prefix (masked, as two big-endian halves), its length,
// two children and the chain of route entries with exactly that prefix and length, in the
// order they were added (so a tie goes to the entry added first, whatever its index; the
// chain is linked both ways, so an entry leaves it in one step). A node without
// entries exists only where two subtrees branch; every node has room fixed at start
// (2 × ROUTE_MAX + 1: at most one leaf and one branch per entry, and the root ::/0).
// Entries are named by their index in route.ts's table, which an entry keeps while it
// lives. Nothing is allocated after start; no walk depends on anything but the prefixes.
// A lookup does not start at the root: a direct table over the destination's first 20 bits
// (DIR_BITS) has a slot per block of 2^108 addresses, 2^20 slots of 8 bytes (8 MiB). A slot
// names where the walk starts (top: the deepest node of length <= 20 covering the block if
// it is 20 bits long, else its child towards the block when that child is longer than 20
// bits and inside the block) and the best match the walk cannot see (the deepest node of
// length < 20 covering the block with entries, the root aside: a lookup falls back to the
// root's entries itself, so ::/0 coming and going refills nothing). A lookup reads the slot,
// then only the nodes longer than 20 bits on its path (1-2 for 100,000 random routes),
// and the best node's first entry only when the walk found none.
// Bounded updates: the slots of 1,024 blocks make a superblock (the first 10 bits), and
// each superblock has a 16-bit generation; a slot also holds the generation it was filled
// at, and a lookup that finds its slot's generation behind its superblock's refills that one
// slot first (a walk of at most 21 nodes from the root). An update refills, after it, the
// slots under the shortest node it made, freed or gave or took the first entry of (the
// nodes an update touches lie on one path, so that one covers the others): of length
// L > 20, its one block; 10 < L <= 20, the 2^(20-L) blocks under it (at most 512); L <= 10,
// none — the 2^(10-L) superblocks under it (at most 512, for a /1) move to their next
// generation instead. So an update costs at most 512 slot refills, a lookup at most one.
// Generations wrap; so that a stale slot never meets its superblock's generation again,
// each step of a superblock's generation g also refills its slot g mod 1,024: no slot is
// ever more than 1,023 steps behind, and a 16-bit generation 1,023 steps behind is not equal.
import { ROUTE_MAX } from "../param";

const NODE_MAX: i32 = 2 * ROUTE_MAX + 1;
const ROOT: i32 = 0;
// What a lookup reads of a node, in one 32-byte record (one cache line or half of one, so
// a walk over a table larger than the caches misses once per node):
//   0 hi u64   the prefix's first 64 bits, masked     8 lo u64   its last 64
//  16 kid0 i32, 20 kid1 i32: children by the bit after the prefix, -1: none
//  24 head i32: the first entry added here, -1: none                 28 len u8
const N_HI = 0, N_LO = 8, N_KID = 16, N_HEAD = 24, N_LEN = 28, N_SIZE = 32;
const nodeMem = new StaticArray<u8>(NODE_MAX * N_SIZE + N_SIZE);  // kept here, so never collected
const NODES: usize = (changetype<usize>(nodeMem) + <usize>(N_SIZE - 1)) & ~<usize>(N_SIZE - 1);
const nUp = new StaticArray<i32>(NODE_MAX);       // parent; for a free node, the next free one
const nTail = new StaticArray<i32>(NODE_MAX);     // last entry here
const eNext = new StaticArray<i32>(ROUTE_MAX);    // the next entry with the same prefix and length
const ePrev = new StaticArray<i32>(ROUTE_MAX);    // the one before it, -1: the first
const eNode = new StaticArray<i32>(ROUTE_MAX);    // the node holding an entry
let free: i32 = -1;                               // free nodes, linked through nUp
let nodeHigh: i32 = 1;                            // nodes below this have been used
const DIR_BITS: i32 = 20;
const GEN_BITS: i32 = 10;                         // superblocks: the first 10 bits
const SUB_BITS: i32 = DIR_BITS - GEN_BITS;        // slots per superblock: 2^10
// Slot b: top + 1 (bits 0-23, 0: no walk), best + 1 (24-47, 0: none but the root's entries),
// the superblock generation it was filled at (48-63); all zero is the empty table's slot.
// Node numbers fit 24 bits while ROUTE_MAX < 2^23 (about 108,500 now): checked when the
// kernel is compiled (asc compiles only the branch a constant condition takes).
// @ts-ignore: a constant condition, folded away
if (NODE_MAX >= 1 << 24) ERROR("lpm.ts: trie node numbers no longer fit a slot's 24-bit fields (ROUTE_MAX must stay below 2^23)");
const dir = new StaticArray<u64>(1 << DIR_BITS);
const gens = new StaticArray<u16>(1 << GEN_BITS);
let dirLen: i32 = 129;                            // the shortest node this update touched; 129: none
let dirHi: u64 = 0;                               // its prefix's first 64 bits
/** Slots refilled since start (the spec bounds an update's work by it). */
export let lpmRefills: i64 = 0;

// @ts-ignore: decorator
@inline function node(n: i32): usize { return NODES + (<usize>n << 5); }
// @ts-ignore: decorator
@inline function hiOf(n: i32): u64 { return load<u64>(node(n), N_HI); }
// @ts-ignore: decorator
@inline function loOf(n: i32): u64 { return load<u64>(node(n), N_LO); }
// @ts-ignore: decorator
@inline function lenOf(n: i32): i32 { return <i32>load<u8>(node(n), N_LEN); }
// @ts-ignore: decorator
@inline function kid(n: i32, b: i32): i32 { return load<i32>(node(n) + (<usize>b << 2), N_KID); }
// @ts-ignore: decorator
@inline function setKid(n: i32, b: i32, c: i32): void { store<i32>(node(n) + (<usize>b << 2), c, N_KID); }
// @ts-ignore: decorator
@inline function headOf(n: i32): i32 { return load<i32>(node(n), N_HEAD); }
// @ts-ignore: decorator
@inline function setHead(n: i32, e: i32): void { store<i32>(node(n), e, N_HEAD); }

// @ts-ignore: decorator
@inline function maskHi(len: i32): u64 { return len >= 64 ? ~(<u64>0) : len == 0 ? 0 : ~(<u64>0) << <u64>(64 - len); }
// @ts-ignore: decorator
@inline function maskLo(len: i32): u64 { return len <= 64 ? 0 : ~(<u64>0) << <u64>(128 - len); }
// @ts-ignore: decorator
@inline function bitAt(hi: u64, lo: u64, k: i32): i32 {
  return k < 64 ? <i32>((hi >> <u64>(63 - k)) & 1) : <i32>((lo >> <u64>(127 - k)) & 1);
}

function nodeSet(n: i32, hi: u64, lo: u64, len: i32, up: i32): void {
  let p = node(n);
  store<u64>(p, hi & maskHi(len), N_HI); store<u64>(p, lo & maskLo(len), N_LO); store<u8>(p, <u8>len, N_LEN);
  setKid(n, 0, -1); setKid(n, 1, -1); setHead(n, -1);
  unchecked(nUp[n] = up); unchecked(nTail[n] = -1);
}

/** Forget every entry: the root ::/0 alone, without entries. */
export function lpmReset(): void {
  free = -1; nodeHigh = 1;
  dirLen = 129;
  nodeSet(ROOT, 0, 0, 0, -1);
  for (let g = 0; g < 1 << GEN_BITS; g++) genStep(g);   // every slot stale: 1,024 refills, not 8 MiB
}
lpmReset();

function nodeNew(hi: u64, lo: u64, len: i32, up: i32): i32 {
  let n = free;
  if (n >= 0) free = unchecked(nUp[n]);
  else n = nodeHigh++;                 // never past NODE_MAX: see the header
  nodeSet(n, hi, lo, len, up);
  dirTouch(n);
  return n;
}

function nodeFree(n: i32): void { dirTouch(n); unchecked(nUp[n] = free); free = n; }

/** Node n (still holding its prefix) was made, freed or got or lost its entries: the
 *  direct table under it is refilled when the update is done (dirDone). */
function dirTouch(n: i32): void {
  let l = lenOf(n);
  // Not the root: the table never names it (a lookup falls back to its entries itself), so
  // a default route coming and going (an RA's router lifetime) refills nothing.
  if (n != ROOT && l < dirLen) { dirLen = l; dirHi = hiOf(n); }
}

/** Refill, or make stale, the slots under the shortest node the update touched, if any. */
function dirDone(): void {
  let l = dirLen;
  if (l > 128) return;
  dirLen = 129;
  if (l <= GEN_BITS) {
    let first = <i32>(dirHi >> <u64>(64 - GEN_BITS));
    for (let s = first, end = first + (1 << (GEN_BITS - l)); s < end; s++) genStep(s);
  } else {
    let first = <i32>(dirHi >> <u64>(64 - DIR_BITS));
    let end = first + (l >= DIR_BITS ? 1 : 1 << (DIR_BITS - l));
    for (let b = first; b < end; b++) refill(b);
  }
}

/** Superblock s's next generation: its slots are stale until refilled, the one the
 *  generation names now (so none falls 1,024 steps behind: see the header). */
function genStep(s: i32): void {
  let g = <u16>(unchecked(gens[s]) + 1);
  unchecked(gens[s] = g);
  refill((s << SUB_BITS) | (<i32>g & ((1 << SUB_BITS) - 1)));
}

/** Slot b again from the trie, at its superblock's generation: a walk from the root over
 *  the nodes of at most 20 bits covering the block, and one more. */
function refill(b: i32): u64 {
  let hi = <u64>b << <u64>(64 - DIR_BITS);
  let n = ROOT, top = -1, best = -1;
  while (true) {
    let l = lenOf(n);
    if (l == DIR_BITS) { top = n; break; }             // the walk starts here, its entries too
    if (n != ROOT && headOf(n) >= 0) best = n;
    let c = kid(n, bitAt(hi, 0, l));                   // l < 20: the bit is the block's
    if (c < 0) break;
    let lc = lenOf(c);
    let m = maskHi(lc < DIR_BITS ? lc : DIR_BITS);
    if ((hiOf(c) & m) != (hi & m)) break;              // it leaves the block: nothing below
    if (lc > DIR_BITS) { top = c; break; }
    n = c;
  }
  lpmRefills++;
  let s = <u64>(top + 1) | (<u64>(best + 1) << 24) | (<u64>unchecked(gens[b >> SUB_BITS]) << 48);
  unchecked(dir[b] = s);
  return s;
}

/** Put child c (or -1) where old was under parent p. */
function relink(p: i32, old: i32, c: i32): void {
  setKid(p, kid(p, 0) == old ? 0 : 1, c);
  if (c >= 0) unchecked(nUp[c] = p);
}

/** The node for exactly hi/lo/len, made if missing (with the branch node it may need). */
function nodeFor(hi: u64, lo: u64, len: i32): i32 {
  let n = ROOT;
  while (lenOf(n) < len) {
    let b = bitAt(hi, lo, lenOf(n));
    let c = kid(n, b);
    if (c < 0) { c = nodeNew(hi, lo, len, n); setKid(n, b, c); return c; }
    let x = hi ^ hiOf(c), y = lo ^ loOf(c);
    let k = x != 0 ? <i32>clz(x) : y != 0 ? 64 + <i32>clz(y) : 128;
    if (k > len) k = len;
    if (k >= lenOf(c)) { n = c; continue; }            // c's prefix covers ours: go down
    // c branches off below k bits: a node at k takes its place, with c under it.
    let m = nodeNew(hi, lo, k, n);
    setKid(n, b, m);
    setKid(m, bitAt(hiOf(c), loOf(c), k), c);
    unchecked(nUp[c] = m);
    if (k == len) return m;
    let leaf = nodeNew(hi, lo, len, m);
    setKid(m, bitAt(hi, lo, k), leaf);
    return leaf;
  }
  return n;                                            // equal length: the same prefix
}

/** Index entry i (not indexed now) under prefix/len (len ≤ 128, checked by the caller), after
 *  the entries already there. */
export function lpmInsert(i: i32, prefix: usize, len: i32): void {
  let n = nodeFor(bswap<u64>(load<u64>(prefix)), bswap<u64>(load<u64>(prefix, 8)), len);
  let t = unchecked(nTail[n]);
  unchecked(eNode[i] = n);
  unchecked(eNext[i] = -1);
  unchecked(ePrev[i] = t);
  if (t >= 0) unchecked(eNext[t] = i);
  else { setHead(n, i); dirTouch(n); }
  unchecked(nTail[n] = i);
  dirDone();
}

/** Take entry i out of the index; a node left without entries and with fewer than two
 *  children goes too. */
export function lpmRemove(i: i32): void {
  let n = unchecked(eNode[i]);
  let prev = unchecked(ePrev[i]), next = unchecked(eNext[i]);
  if (prev < 0) setHead(n, next); else unchecked(eNext[prev] = next);
  if (next < 0) unchecked(nTail[n] = prev); else unchecked(ePrev[next] = prev);
  if (headOf(n) < 0) dirTouch(n);
  prune(n);
  dirDone();
}

/** Drop node n if it holds nothing a lookup needs, and then its parent likewise. */
function prune(n: i32): void {
  while (n != ROOT && headOf(n) < 0) {
    let k0 = kid(n, 0), k1 = kid(n, 1);
    if (k0 >= 0 && k1 >= 0) return;                    // still a branch
    let p = unchecked(nUp[n]);
    relink(p, n, k0 >= 0 ? k0 : k1);
    nodeFree(n);
    if (k0 >= 0 || k1 >= 0) return;                    // a child took its place: p unchanged
    n = p;
  }
}

/** Longest-prefix match: the first entry of the longest prefix covering dst, or -1. One
 *  8-byte slot of the direct table (refilled first if its superblock moved on), the walk
 *  below 20 bits from its top node, and the slot's best node only if the walk found none. */
export function lpmLookup(dst: usize): i32 {
  let hi = bswap<u64>(load<u64>(dst)), lo = bswap<u64>(load<u64>(dst, 8));
  let s = slotFor(hi);
  let r = walkFrom(slotTop(s), -1, hi, lo);
  return r >= 0 ? r : slotAnswer(s);
}

/** The direct-table slot of the block an address whose first 64 bits are hi lies in,
 *  refilled first if its superblock's generation moved on. */
// @ts-ignore: decorator
@inline function slotFor(hi: u64): u64 {
  let b = <i32>(hi >> <u64>(64 - DIR_BITS));
  let s = unchecked(dir[b]);
  if (<u16>(s >> 48) != unchecked(gens[b >> SUB_BITS])) s = refill(b);
  return s;
}
/** The node a slot's walk starts from (-1: none below 20 bits on the block's path). */
// @ts-ignore: decorator
@inline function slotTop(s: u64): i32 { return <i32>(<u32>s & 0xffffff) - 1; }
/** The answer when the walk from slotTop found no entry: the first entry of the slot's best
 *  node shorter than 20 bits, or the root's (::/0's). */
// @ts-ignore: decorator
@inline function slotAnswer(s: u64): i32 {
  let bn = <i32>(<u32>(s >> 24) & 0xffffff) - 1;
  return headOf(bn >= 0 ? bn : ROOT);
}

/** lpmLookup of n destinations at once: out[i] (an i32 at out + 4i) = lpmLookup(the
 *  address at the u32 offset dsts + 4i), the same answers. The walks go in step, one node
 *  of each in turn, so the cache misses of all of them overlap where one walk waits on each
 *  of its own (k_rx_batch's frames: route.ts routeMany); a walk that ends leaves the
 *  steps, so one deep walk costs only itself. n is at most MANY_MAX (more are not looked up). */
export function lpmLookupMany(dsts: usize, n: i32, out: usize): void {
  if (n > MANY_MAX) n = MANY_MAX;
  let live = 0;                                        // mLive[0, live): the walks still going
  for (let i = 0; i < n; i++) {
    let d = <usize>load<u32>(dsts + (<usize>i << 2));
    let hi = bswap<u64>(load<u64>(d)), lo = bswap<u64>(load<u64>(d, 8));
    let s = slotFor(hi);
    let top = slotTop(s);
    unchecked(mHi[i] = hi); unchecked(mLo[i] = lo); unchecked(mSlot[i] = s);
    unchecked(mAt[i] = top); unchecked(mBest[i] = -1);
    if (top >= 0) unchecked(mLive[live++] = i);
  }
  while (live > 0) {                                   // one step of every walk still going
    for (let q = 0; q < live;) {
      let i = unchecked(mLive[q]);
      let m = unchecked(mAt[i]);
      let hi = unchecked(mHi[i]), lo = unchecked(mLo[i]);
      let l = lenOf(m);
      let c = -1;
      if ((hi & maskHi(l)) == hiOf(m) && (lo & maskLo(l)) == loOf(m)) {
        let h = headOf(m);
        if (h >= 0) unchecked(mBest[i] = h);
        if (l < 128) c = kid(m, bitAt(hi, lo, l));
      }
      unchecked(mAt[i] = c);
      if (c >= 0) q++;
      else unchecked(mLive[q] = unchecked(mLive[--live]));   // done: the last one still going takes its place
    }
  }
  for (let i = 0; i < n; i++) {
    let r = unchecked(mBest[i]);
    store<i32>(out + (<usize>i << 2), r >= 0 ? r : slotAnswer(unchecked(mSlot[i])));
  }
}
export const MANY_MAX = 64;                            // a power of two: k_rx_batch counts lanes with n & (MANY_MAX - 1)
// @ts-ignore: a constant condition, folded away
if ((MANY_MAX & (MANY_MAX - 1)) != 0) ERROR("lpm.ts: MANY_MAX must be a power of two (kernel/main.ts k_rx_batch)");
const mHi = new StaticArray<u64>(MANY_MAX);
const mLo = new StaticArray<u64>(MANY_MAX);
const mAt = new StaticArray<i32>(MANY_MAX);            // the node each walk reads next, -1: done
const mBest = new StaticArray<i32>(MANY_MAX);          // the entry each walk found so far
const mSlot = new StaticArray<u64>(MANY_MAX);          // its direct-table slot
const mLive = new StaticArray<i32>(MANY_MAX);          // the walks still going, in no order

/** The same answer walking from the root (the spec checks the direct table against it). */
export function lpmRootLookup(dst: usize): i32 {
  return walkFrom(ROOT, -1, bswap<u64>(load<u64>(dst)), bswap<u64>(load<u64>(dst, 8)));
}

// @ts-ignore: decorator
@inline function walkFrom(n: i32, best: i32, hi: u64, lo: u64): i32 {
  while (n >= 0) {
    let l = lenOf(n);
    if ((hi & maskHi(l)) != hiOf(n) || (lo & maskLo(l)) != loOf(n)) break;
    let h = headOf(n);
    if (h >= 0) best = h;
    if (l == 128) break;
    n = kid(n, bitAt(hi, lo, l));
  }
  return best;
}

/** The first entry with exactly prefix/len, or -1. */
export function lpmExact(prefix: usize, len: i32): i32 {
  let hi = bswap<u64>(load<u64>(prefix)) & maskHi(len), lo = bswap<u64>(load<u64>(prefix, 8)) & maskLo(len);
  let n = ROOT;
  while (n >= 0) {
    let l = lenOf(n);
    if (l > len || (hi & maskHi(l)) != hiOf(n) || (lo & maskLo(l)) != loOf(n)) return -1;
    if (l == len) return headOf(n);
    n = kid(n, bitAt(hi, lo, l));
  }
  return -1;
}

/** The entry after i with the same prefix and length, or -1. */
export function lpmNext(i: i32): i32 { return unchecked(eNext[i]); }
