// The routing table's index (route.ts): a path-compressed binary trie over IPv6 prefixes,
// so that longest-prefix match costs a walk of at most one node per distinct prefix length
// on the destination's path — about log2(routes) nodes — whether the table holds 10
// routes or 100,000. A node holds a prefix (masked, as two big-endian halves), its length,
// two children and the chain of route entries with exactly that prefix and length, in the
// order of their index (so a tie still goes to the entry added first). A node without
// entries exists only where two subtrees branch; every node has room fixed at start
// (2 × ROUTE_MAX + 1: at most one leaf and one branch per entry, and the root ::/0).
// Entries are named by their index in route.ts's table; when route.ts compacts the table
// it moves an entry's links here (lpmMove) and renumbers them (lpmRenumber). Nothing is
// allocated after start; no walk depends on anything but the prefixes.
// A lookup does not start at the root: a direct table over the destination's first 16 bits
// (DIR_BITS) names, for each of the 65,536 blocks, the deepest node of length <= 16 whose
// prefix covers the whole block, and the deepest such node with entries; the walk starts
// there. That skips the top of the walk (at 100,000 random routes about 16 of its 17-20
// nodes) for two reads from one 8-byte slot of a 512 KiB table. An update that adds,
// frees or changes the entries of a node of length L <= 16 refills the 2^(16-L) blocks
// under it (each a walk from the root of at most 17 nodes): 32,768 for a /1, none for a
// node longer than 16 bits nor for the root (::/0), which the table never names. The nodes an update touches lie on one path, so refilling
// under the shortest of them covers the others.
import { ROUTE_MAX } from "../param";

const NODE_MAX: i32 = 2 * ROUTE_MAX + 1;
const ROOT: i32 = 0;
// What a lookup reads of a node, in one 32-byte record (one cache line or half of one, so
// a walk over a table larger than the caches misses once per node):
//   0 hi u64   the prefix's first 64 bits, masked     8 lo u64   its last 64
//  16 kid0 i32, 20 kid1 i32: children by the bit after the prefix, -1: none
//  24 head i32: the first (lowest-index) entry here, -1: none        28 len u8
const N_HI = 0, N_LO = 8, N_KID = 16, N_HEAD = 24, N_LEN = 28, N_SIZE = 32;
const nodeMem = new StaticArray<u8>(NODE_MAX * N_SIZE + N_SIZE);  // kept here, so never collected
const NODES: usize = (changetype<usize>(nodeMem) + <usize>(N_SIZE - 1)) & ~<usize>(N_SIZE - 1);
const nUp = new StaticArray<i32>(NODE_MAX);       // parent; for a free node, the next free one
const nTail = new StaticArray<i32>(NODE_MAX);     // last entry here
const eNext = new StaticArray<i32>(ROUTE_MAX);    // the next entry with the same prefix and length
const eNode = new StaticArray<i32>(ROUTE_MAX);    // the node holding an entry
let free: i32 = -1;                               // free nodes, linked through nUp
let nodeHigh: i32 = 1;                            // nodes below this have been used
const DIR_BITS: i32 = 16;
// Block b's start node at 2b, its best node (with entries, not the root) + 1 at 2b + 1
// (0: none but the root's entries, if any), so that all zero is the empty table.
const dir = new StaticArray<i32>(2 << DIR_BITS);
let dirLen: i32 = 129;                            // the shortest node (<= DIR_BITS) this update touched; 129: none
let dirHi: u64 = 0;                               // its prefix's first 64 bits

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
  memory.fill(changetype<usize>(dir), 0, <usize>(2 << DIR_BITS) * 4);
  dirLen = 129;
  nodeSet(ROOT, 0, 0, 0, -1);
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
  if (n != ROOT && l <= DIR_BITS && l < dirLen) { dirLen = l; dirHi = hiOf(n); }
}

/** Refill the blocks under the shortest node the update touched, if any. */
function dirDone(): void {
  if (dirLen > DIR_BITS) return;
  let first = <i32>(dirHi >> <u64>(64 - DIR_BITS)), count = 1 << (DIR_BITS - dirLen);
  dirLen = 129;
  for (let b = first; b < first + count; b++) {
    let hi = <u64>b << <u64>(64 - DIR_BITS);
    let n = ROOT, start = ROOT, best = -1;
    while (n >= 0) {
      let l = lenOf(n);
      if (l > DIR_BITS || (hi & maskHi(l)) != hiOf(n)) break;
      start = n;
      if (n != ROOT && headOf(n) >= 0) best = n;
      n = kid(n, bitAt(hi, 0, l));
    }
    unchecked(dir[b << 1] = start);
    unchecked(dir[(b << 1) + 1] = best + 1);
  }
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

/** Index entry i, the table's highest so far, under prefix/len (len ≤ 128, checked by the caller). */
export function lpmInsert(i: i32, prefix: usize, len: i32): void {
  let n = nodeFor(bswap<u64>(load<u64>(prefix)), bswap<u64>(load<u64>(prefix, 8)), len);
  unchecked(eNode[i] = n);
  unchecked(eNext[i] = -1);
  let t = unchecked(nTail[n]);
  if (t >= 0) unchecked(eNext[t] = i);
  else { setHead(n, i); dirTouch(n); }
  unchecked(nTail[n] = i);
  dirDone();
}

/** Take entry i out of the index; a node left without entries and with fewer than two
 *  children goes too. */
export function lpmRemove(i: i32): void {
  let n = unchecked(eNode[i]);
  let prev = -1, e = headOf(n);
  while (e != i) { prev = e; e = unchecked(eNext[e]); }
  let next = unchecked(eNext[i]);
  if (prev < 0) setHead(n, next); else unchecked(eNext[prev] = next);
  if (unchecked(nTail[n]) == i) unchecked(nTail[n] = prev);
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

/** Entry j now holds what entry i held (route.ts compacting): links still name old indexes
 *  until lpmRenumber. */
export function lpmMove(i: i32, j: i32): void {
  unchecked(eNext[j] = unchecked(eNext[i]));
  unchecked(eNode[j] = unchecked(eNode[i]));
}

/** After compaction: every link to old index x now names to[x]; count entries remain. */
export function lpmRenumber(to: StaticArray<i32>, count: i32): void {
  for (let n = 0; n < nodeHigh; n++) {
    let h = headOf(n);
    if (h < 0) continue;                               // free, or a branch
    setHead(n, unchecked(to[h]));
    unchecked(nTail[n] = unchecked(to[unchecked(nTail[n])]));
  }
  for (let j = 0; j < count; j++) {
    let x = unchecked(eNext[j]);
    if (x >= 0) unchecked(eNext[j] = unchecked(to[x]));
  }
}

/** Longest-prefix match: the first entry of the longest prefix covering dst, or -1. One
 *  8-byte slot of the direct table, then the walk below 16 bits from its start node. */
export function lpmLookup(dst: usize): i32 {
  let hi = bswap<u64>(load<u64>(dst)), lo = bswap<u64>(load<u64>(dst, 8));
  let b = <i32>(hi >> <u64>(64 - DIR_BITS)) << 1;
  let n = unchecked(dir[b]), bn = unchecked(dir[b + 1]) - 1;
  return walkFrom(n, headOf(bn >= 0 ? bn : ROOT), hi, lo);
}

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
