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
import { ROUTE_MAX } from "../param";

const NODE_MAX: i32 = 2 * ROUTE_MAX + 1;
const ROOT: i32 = 0;
const nHi = new StaticArray<u64>(NODE_MAX);       // the prefix's first 64 bits, masked
const nLo = new StaticArray<u64>(NODE_MAX);       // ... and its last 64
const nLen = new StaticArray<u8>(NODE_MAX);
const nKid = new StaticArray<i32>(2 * NODE_MAX);  // children by the bit after the prefix, -1: none
const nUp = new StaticArray<i32>(NODE_MAX);       // parent; for a free node, the next free one
const nHead = new StaticArray<i32>(NODE_MAX);     // first (lowest-index) entry here, -1: none
const nTail = new StaticArray<i32>(NODE_MAX);     // last entry here
const eNext = new StaticArray<i32>(ROUTE_MAX);    // the next entry with the same prefix and length
const eNode = new StaticArray<i32>(ROUTE_MAX);    // the node holding an entry
let free: i32 = -1;                               // free nodes, linked through nUp
let nodeHigh: i32 = 1;                            // nodes below this have been used

// @ts-ignore: decorator
@inline function maskHi(len: i32): u64 { return len >= 64 ? ~(<u64>0) : len == 0 ? 0 : ~(<u64>0) << <u64>(64 - len); }
// @ts-ignore: decorator
@inline function maskLo(len: i32): u64 { return len <= 64 ? 0 : ~(<u64>0) << <u64>(128 - len); }
// @ts-ignore: decorator
@inline function bitAt(hi: u64, lo: u64, k: i32): i32 {
  return k < 64 ? <i32>((hi >> <u64>(63 - k)) & 1) : <i32>((lo >> <u64>(127 - k)) & 1);
}

/** Forget every entry: the root ::/0 alone, without entries. */
export function lpmReset(): void {
  free = -1; nodeHigh = 1;
  unchecked(nHi[ROOT] = 0); unchecked(nLo[ROOT] = 0); unchecked(nLen[ROOT] = 0);
  unchecked(nKid[0] = -1); unchecked(nKid[1] = -1);
  unchecked(nUp[ROOT] = -1); unchecked(nHead[ROOT] = -1); unchecked(nTail[ROOT] = -1);
}
lpmReset();

function nodeNew(hi: u64, lo: u64, len: i32, up: i32): i32 {
  let n = free;
  if (n >= 0) free = unchecked(nUp[n]);
  else n = nodeHigh++;                 // never past NODE_MAX: see the header
  unchecked(nHi[n] = hi & maskHi(len)); unchecked(nLo[n] = lo & maskLo(len)); unchecked(nLen[n] = <u8>len);
  unchecked(nKid[2 * n] = -1); unchecked(nKid[2 * n + 1] = -1);
  unchecked(nUp[n] = up); unchecked(nHead[n] = -1); unchecked(nTail[n] = -1);
  return n;
}

function nodeFree(n: i32): void { unchecked(nUp[n] = free); free = n; }

/** Put child c (or -1) where old was under parent p. */
function relink(p: i32, old: i32, c: i32): void {
  let k = unchecked(nKid[2 * p]) == old ? 2 * p : 2 * p + 1;
  unchecked(nKid[k] = c);
  if (c >= 0) unchecked(nUp[c] = p);
}

/** The node for exactly hi/lo/len, made if missing (with the branch node it may need). */
function nodeFor(hi: u64, lo: u64, len: i32): i32 {
  let n = ROOT;
  while (<i32>unchecked(nLen[n]) < len) {
    let l = <i32>unchecked(nLen[n]);
    let b = bitAt(hi, lo, l);
    let c = unchecked(nKid[2 * n + b]);
    if (c < 0) { c = nodeNew(hi, lo, len, n); unchecked(nKid[2 * n + b] = c); return c; }
    let cl = <i32>unchecked(nLen[c]);
    let x = (hi ^ unchecked(nHi[c])), y = (lo ^ unchecked(nLo[c]));
    let k = x != 0 ? <i32>clz(x) : y != 0 ? 64 + <i32>clz(y) : 128;
    if (k > len) k = len;
    if (k >= cl) { n = c; continue; }                  // c's prefix covers ours: go down
    // c branches off below k bits: a node at k takes its place, with c under it.
    let m = nodeNew(hi, lo, k, n);
    unchecked(nKid[2 * n + b] = m);
    unchecked(nKid[2 * m + bitAt(unchecked(nHi[c]), unchecked(nLo[c]), k)] = c);
    unchecked(nUp[c] = m);
    if (k == len) return m;
    let leaf = nodeNew(hi, lo, len, m);
    unchecked(nKid[2 * m + bitAt(hi, lo, k)] = leaf);
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
  else unchecked(nHead[n] = i);
  unchecked(nTail[n] = i);
}

/** Take entry i out of the index; a node left without entries and with fewer than two
 *  children goes too. */
export function lpmRemove(i: i32): void {
  let n = unchecked(eNode[i]);
  let prev = -1, e = unchecked(nHead[n]);
  while (e != i) { prev = e; e = unchecked(eNext[e]); }
  let next = unchecked(eNext[i]);
  if (prev < 0) unchecked(nHead[n] = next); else unchecked(eNext[prev] = next);
  if (unchecked(nTail[n]) == i) unchecked(nTail[n] = prev);
  prune(n);
}

/** Drop node n if it holds nothing a lookup needs, and then its parent likewise. */
function prune(n: i32): void {
  while (n != ROOT && unchecked(nHead[n]) < 0) {
    let k0 = unchecked(nKid[2 * n]), k1 = unchecked(nKid[2 * n + 1]);
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
    let h = unchecked(nHead[n]);
    if (h < 0) continue;                               // free, or a branch
    unchecked(nHead[n] = unchecked(to[h]));
    unchecked(nTail[n] = unchecked(to[unchecked(nTail[n])]));
  }
  for (let j = 0; j < count; j++) {
    let x = unchecked(eNext[j]);
    if (x >= 0) unchecked(eNext[j] = unchecked(to[x]));
  }
}

/** Longest-prefix match: the first entry of the longest prefix covering dst, or -1. */
export function lpmLookup(dst: usize): i32 {
  let hi = bswap<u64>(load<u64>(dst)), lo = bswap<u64>(load<u64>(dst, 8));
  let n = ROOT, best = -1;
  while (n >= 0) {
    let l = <i32>unchecked(nLen[n]);
    if ((hi & maskHi(l)) != unchecked(nHi[n]) || (lo & maskLo(l)) != unchecked(nLo[n])) break;
    let h = unchecked(nHead[n]);
    if (h >= 0) best = h;
    if (l == 128) break;
    n = unchecked(nKid[2 * n + bitAt(hi, lo, l)]);
  }
  return best;
}

/** The first entry with exactly prefix/len, or -1. */
export function lpmExact(prefix: usize, len: i32): i32 {
  let hi = bswap<u64>(load<u64>(prefix)) & maskHi(len), lo = bswap<u64>(load<u64>(prefix, 8)) & maskLo(len);
  let n = ROOT;
  while (n >= 0) {
    let l = <i32>unchecked(nLen[n]);
    if (l > len || (hi & maskHi(l)) != unchecked(nHi[n]) || (lo & maskLo(l)) != unchecked(nLo[n])) return -1;
    if (l == len) return unchecked(nHead[n]);
    n = unchecked(nKid[2 * n + bitAt(hi, lo, l)]);
  }
  return -1;
}

/** The entry after i with the same prefix and length, or -1. */
export function lpmNext(i: i32): i32 { return unchecked(eNext[i]); }
