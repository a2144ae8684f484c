// kernel/net/lpm.ts through route.ts: the trie answers every lookup, exact find and tie as
// a linear scan of the table does, over thousands of seeded random inserts, deletions and
// lookups on prefixes drawn close together (so that they overlap, share paths and split
// nodes), with service removals in between; entries keep their indexes and a deleted one's
// slot is taken again by a later add, so the scan breaks ties by the order of adds (kept
// here, seq), not by index. lookup() starts its walk
// from the direct table over the first 20 bits; lpmRootLookup walks from the root: both are
// checked, and the addresses' first 16 bits vary (a quarter of the time) so that prefixes
// shorter than 20 bits and blocks beside one another are exercised. Then the direct table
// itself: prefixes across its 20-bit boundary and its 10-bit superblocks, the slots a lookup
// refills lazily, a generation that wraps, and the bound on an update's and a lookup's work.
// lpmLookupMany (k_rx_batch's walks in step) is checked against the same scan wherever the
// single lookup is, over batches of 1 to MANY_MAX addresses whose walks end at different
// depths, and routeHint must never hand over an answer the table has since changed.
// Last, what a slot's reuse must not change: ties, the filter of own addresses, a service's
// chain of routes, and routeBeyond.
import { RouteKind } from "../../../abi/status";
import { ROUTE_MANIFEST_MAX, ROUTE_LEARNED_MAX, ROUTE_MAX } from "../../../kernel/param";
import { routeAdd as tableAdd, routeAddService as tableAddService, routeDelete, routeRemoveService, routeFind, lookup, routeCount,
  routeHigh, routeUsed, routePrefix, routeLen, routeKind, routeSvc, hasDefaultRoute, routeReset, routeBeyond, isOwn } from "../../../kernel/net/route";
import { prefixMatch } from "../../../wire/addr";
import { lpmRootLookup, lpmRefills, lpmLookupMany, MANY_MAX } from "../../../kernel/net/lpm";
import { routeMany, routeHint } from "../../../kernel/net/route";

let seed: u64 = 0x9e3779b97f4a7c15;
function rnd(): u32 {
  seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
  return <u32>(seed >> 32);
}

// The order of adds: seq[i] for the entry now at index i (the linear scan's tie rule).
const seq = new StaticArray<i32>(ROUTE_MAX);
let seqNext = 0;
function routeAdd(kind: RouteKind, prefix: usize, len: i32, nic: i32, svc: i32, via: usize): i32 {
  let i = tableAdd(kind, prefix, len, nic, svc, via);
  if (i >= 0) seq[i] = seqNext++;
  return i;
}
function routeAddService(a: usize, svc: i32, index: i32): i32 {
  let i = tableAddService(a, svc, index);
  if (i >= 0) seq[i] = seqNext++;
  return i;
}
/** A random entry in use (the first in use from a random slot), or -1 in an empty table. */
function pick(): i32 {
  if (routeCount == 0) return -1;
  let i = <i32>(rnd() % <u32>routeHigh);
  while (!routeUsed(i)) i = i + 1 == routeHigh ? 0 : i + 1;
  return i;
}

const P = heap.alloc(16);
/** A random address: its bytes from a few values each, so that random ones share long prefixes. */
function randomAddr(a: usize): void {
  let top = rnd() % 4 == 0;
  for (let k = 0; k < 16; k++) {
    store<u8>(a + <usize>k, k < 2 ? (top ? <u8>(0x20 | (rnd() & (k == 0 ? 0x01 : 0x83))) : 0x20) : <u8>(rnd() % 3 == 0 ? rnd() & 0xff : (rnd() & 1) << 7));
  }
}
function randomLen(): i32 {
  let r = rnd() % 8;
  return r == 0 ? <i32>(rnd() % 129) : r == 1 ? <i32>(rnd() % 17) : r < 3 ? 128 : r < 5 ? 64 : <i32>(16 + rnd() % 50);
}

/** The linear answer: the longest matching entry, the first added on a tie; only CONNECTED
 *  and STATIC entries if beyond (routeBeyond's question). */
function reference(dst: usize, beyond: bool = false): i32 {
  let best = -1, bestLen = -1;
  for (let i = 0; i < routeHigh; i++) {
    if (!routeUsed(i)) continue;
    if (beyond && routeKind(i) != RouteKind.CONNECTED && routeKind(i) != RouteKind.STATIC) continue;
    let l = routeLen(i);
    if ((l > bestLen || (l == bestLen && seq[i] < seq[best])) && prefixMatch(dst, routePrefix(i), l)) { best = i; bestLen = l; }
  }
  return best;
}

// A batch for lpmLookupMany: up to MANY_MAX addresses, the scan's answer for each, and the
// offsets lpmLookupMany reads them from.
const MQ = heap.alloc(MANY_MAX * 16);
const MQ_AT = heap.alloc(MANY_MAX * 4);
const MQ_OUT = heap.alloc(MANY_MAX * 4);
const mqWant = new StaticArray<i32>(MANY_MAX);
let mqN = 0;
/** Queue P (with the scan's answer want) for the next batch; a full queue is checked now. */
function manyPush(want: i32): i32 {
  memory.copy(MQ + <usize>(mqN << 4), P, 16);
  store<u32>(MQ_AT + <usize>(mqN << 2), <u32>(MQ + <usize>(mqN << 4)));
  mqWant[mqN++] = want;
  return mqN == MANY_MAX ? manyCheck() : 0;
}
/** lpmLookupMany over the queued addresses (the table unchanged since they were queued):
 *  its answers that differ from the scan's. Empties the queue. */
function manyCheck(): i32 {
  if (mqN == 0) return 0;
  lpmLookupMany(MQ_AT, mqN, MQ_OUT);
  let wrong = 0;
  for (let i = 0; i < mqN; i++) if (load<i32>(MQ_OUT + <usize>(i << 2)) != mqWant[i]) wrong++;
  mqN = 0;
  return wrong;
}

function checkLookups(n: i32): i32 {
  let wrong = 0;
  let batch = 1 + <i32>(rnd() % <u32>MANY_MAX);     // the batch's size, 1 to MANY_MAX
  for (let q = 0; q < n; q++) {
    // Half near an entry (its prefix, a random tail), half anywhere.
    if (routeCount > 0 && (rnd() & 1) == 0) {
      let i = pick();
      memory.copy(P, routePrefix(i), 16);
      let tail = <i32>(rnd() % 16);
      for (let k = tail; k < 16; k++) store<u8>(P + <usize>k, <u8>rnd());
    } else randomAddr(P);
    let want = reference(P);
    if (lookup(P) != want || lpmRootLookup(P) != want) wrong++;
    if (q % 4 == 0 && routeBeyond(P) != reference(P, true)) wrong++;
    wrong += manyPush(want);
    if (mqN >= batch) wrong += manyCheck();
  }
  return wrong + manyCheck();
}

describe("the trie against a linear scan", () => {
  it("agrees on 20,000 lookups over 3,000 random inserts, deletions (freed slots taken again) and service removals", () => {
    let wrong = 0, finds = 0;
    for (let round = 0; round < 3000; round++) {
      let r = rnd() % 10;
      if (r < 6 && routeCount < ROUTE_MANIFEST_MAX - 8) {
        randomAddr(P);
        let len = randomLen();
        // A third of them repeat an entry's prefix and length: chains of equal keys.
        if (routeCount > 0 && rnd() % 3 == 0) {
          let e = pick();
          memory.copy(P, routePrefix(e), 16);
          len = routeLen(e);
        }
        if (rnd() % 4 == 0) routeAddService(P, <i32>(rnd() % 4), 0);
        else routeAdd(rnd() % 3 == 0 ? RouteKind.CONNECTED : RouteKind.STATIC, P, len, <i32>(rnd() % 3), 0, 0);
      } else if (r < 9 && routeCount > 0) {
        let i = pick();
        // routeFind by exact prefix answers this entry or one added earlier with the same key.
        let f = routeFind(routeKind(i), routePrefix(i), routeLen(i), 0);
        if (routeKind(i) == RouteKind.SERVICE && (f < 0 || seq[f] > seq[i] || routeLen(f) != routeLen(i))) finds++;
        routeDelete(i);
      } else routeRemoveService(<i32>(rnd() % 4));
      wrong += checkLookups(round % 10 == 0 ? 60 : 4);
    }
    expect(wrong).toBe(0, "lookups that differ from the linear scan");
    expect(finds).toBe(0, "exact finds that missed an entry");
  });
  it("keeps the direct table right while prefixes of 0 to 20 bits come and go", () => {
    // Prefixes no longer than the table's 16 bits make, split, free and fill its blocks;
    // every update is followed by lookups in the blocks around it.
    routeReset();
    let wrong = 0;
    for (let round = 0; round < 4000; round++) {
      if ((rnd() % 5 < 3 || routeCount == 0) && routeCount < 200) {
        for (let k = 0; k < 16; k++) store<u8>(P + <usize>k, <u8>rnd());
        store<u8>(P, <u8>(0x20 | (rnd() & 3)));
        // Mostly 12 to 20 bits, so that many blocks have no prefix of their own; an eighth ::/0.
        routeAdd(RouteKind.STATIC, P, rnd() % 8 == 0 ? 0 : <i32>(12 + rnd() % 9), 1, 0, 0);
      } else routeDelete(pick());
      for (let q = 0; q < 8; q++) {
        for (let k = 0; k < 16; k++) store<u8>(P + <usize>k, <u8>rnd());
        store<u8>(P, <u8>(0x20 | (rnd() & 3)));
        let want = reference(P);
        if (lookup(P) != want || lpmRootLookup(P) != want) wrong++;
        wrong += manyPush(want);
      }
      wrong += manyCheck();
    }
    expect(wrong).toBe(0, "lookups that differ from the linear scan");
  });
  it("keeps ties to the entry added first, and finds the default route, after deletions", () => {
    routeReset();
    let d = heap.alloc(16);
    memory.fill(d, 0, 16);
    expect(hasDefaultRoute()).toBe(false);
    expect(routeAdd(RouteKind.CONNECTED, d, 0, 1, 0, 0)).toBe(0);
    expect(hasDefaultRoute()).toBe(false, "a CONNECTED ::/0 is no default route");
    expect(routeAdd(RouteKind.STATIC, d, 0, 2, 0, 0)).toBe(1);
    expect(hasDefaultRoute()).toBe(true);
    expect(routeAdd(RouteKind.STATIC, d, 0, 3, 0, 0)).toBe(2);
    store<u8>(P, 0x20);
    expect(lookup(P)).toBe(0);
    routeDelete(0);
    expect(lookup(P)).toBe(1, "the second ::/0, still at index 1");
    expect(routeFind(RouteKind.STATIC, d, 0, 3)).toBe(2);
    // A fourth ::/0 takes the freed slot 0, but was added last: it wins no tie.
    expect(routeAdd(RouteKind.STATIC, d, 0, 4, 0, 0)).toBe(0, "the freed slot, taken again");
    expect(lookup(P)).toBe(1, "the tie still goes to the first added");
    expect(routeFind(RouteKind.STATIC, d, 0, 4)).toBe(0);
    routeDelete(1);
    expect(lookup(P)).toBe(2, "then to the third added");
    routeDelete(2);
    expect(lookup(P)).toBe(0, "then to the fourth, in slot 0");
    routeDelete(0);
    expect(lookup(P)).toBe(-1);
    expect(hasDefaultRoute()).toBe(false);
    expect(routeCount).toBe(0);
    expect(routeHigh).toBe(3, "slots once used");
    expect(routeSvc(0)).toBe(routeSvc(0));
  });
});

/** P := the address whose first 32 bits are top, the rest from seeded noise. */
function addrTop(top: u32): void {
  for (let k = 4; k < 16; k++) store<u8>(P + <usize>k, <u8>rnd());
  store<u32>(P, bswap<u32>(top));
}

/** Lookups (direct table and root walk) at P that differ from the linear scan: 0 or 1.
 *  P also joins the batch that manyCheck() checks, before the table next changes. */
function wrongAt(): i32 {
  let want = reference(P);
  return (lookup(P) != want || lpmRootLookup(P) != want ? 1 : 0) + manyPush(want);
}

describe("the 20-bit direct table", () => {
  it("agrees with a linear scan on prefixes nested across its 20-bit and 10-bit boundaries", () => {
    // Addresses whose first 24 bits come from a few values (so /0../24 prefixes nest and
    // share blocks and superblocks), lengths mostly 0-2, 9-11, 19-22, 24, 48 and 128, each
    // update followed by lookups near it: delete-then-lookup and interleaved updates.
    routeReset();
    const TOPS: u32[] = [0x20000000, 0x20000800, 0x20001000, 0x20001f00, 0x20400000, 0x20800000, 0xa0000000, 0x2000_0fff];
    let wrong = 0;
    for (let round = 0; round < 6000; round++) {
      if ((rnd() % 8 < 5 || routeCount == 0) && routeCount < 300) {
        addrTop(TOPS[rnd() % <u32>TOPS.length] ^ (rnd() % 4 == 0 ? rnd() & 0x00f00000 : 0) ^ (rnd() & 0x1f00));
        let r = rnd() % 12;
        let len = r == 0 ? 0 : r == 1 ? 1 : r == 2 ? <i32>(9 + rnd() % 3) : r < 7 ? <i32>(19 + rnd() % 4) : r == 7 ? 24 : r == 8 ? 48 : r == 9 ? 128 : <i32>(rnd() % 129);
        routeAdd(RouteKind.STATIC, P, len, 1, 0, 0);
      } else routeDelete(pick());
      for (let q = 0; q < 6; q++) {
        if (routeCount > 0 && (rnd() & 1) == 0) {
          let i = pick();
          memory.copy(P, routePrefix(i), 16);
          // Just inside, or just past, the entry's prefix.
          let l = routeLen(i);
          if (l > 0 && rnd() % 3 == 0) store<u8>(P + <usize>((l - 1) >> 3), <u8>(<i32>load<u8>(P + <usize>((l - 1) >> 3)) ^ (0x80 >> ((l - 1) & 7))));
          for (let k = (l + 7) >> 3; k < 16; k++) store<u8>(P + <usize>k, <u8>rnd());
        } else addrTop(TOPS[rnd() % <u32>TOPS.length] ^ (rnd() & 0x00f01f00));
        wrong += wrongAt();
      }
      wrong += manyCheck();
    }
    expect(wrong).toBe(0, "lookups that differ from the linear scan");
  });

  it("answers /0, /1, /20, /21 and /128 at and beside their blocks' edges, and after each is deleted", () => {
    routeReset();
    let a = heap.alloc(16);
    memory.fill(a, 0, 16);
    expect(routeAdd(RouteKind.STATIC, a, 0, 1, 0, 0)).toBe(0);                // ::/0
    store<u32>(a, bswap<u32>(0x80000000));
    expect(routeAdd(RouteKind.STATIC, a, 1, 1, 0, 0)).toBe(1);                // 8000::/1
    store<u32>(a, bswap<u32>(0xa0123000));
    expect(routeAdd(RouteKind.STATIC, a, 20, 1, 0, 0)).toBe(2);               // a012:3000::/20
    store<u32>(a, bswap<u32>(0xa0123800));
    expect(routeAdd(RouteKind.STATIC, a, 21, 1, 0, 0)).toBe(3);               // a012:3800::/21
    store<u32>(a, bswap<u32>(0xa0123c00)); store<u8>(a + 15, 7);
    expect(routeAdd(RouteKind.STATIC, a, 128, 1, 0, 0)).toBe(4);              // a012:3c00::7/128
    // Each probe: (first 32 bits, last byte, the answer).
    const probes: u32[] = [
      0x00000000, 0, 0, 0x7fffffff, 0, 0, 0x80000000, 0, 1, 0xa0122fff, 0, 1,
      0xa0123000, 0, 2, 0xa01237ff, 0, 2, 0xa0123800, 0, 3, 0xa0123fff, 0, 3,
      0xa0123c00, 7, 4, 0xa0123c00, 6, 3, 0xa0124000, 0, 1, 0xffffffff, 0xff, 1,
    ];
    let wrong = 0;
    for (let k = 0; k < probes.length; k += 3) {
      memory.fill(P, 0, 16);
      store<u32>(P, bswap<u32>(probes[k])); store<u8>(P + 15, <u8>probes[k + 1]);
      if (lookup(P) != <i32>probes[k + 2] || wrongAt() != 0) wrong++;
    }
    wrong += manyCheck();
    expect(wrong).toBe(0, "probes answered wrong with all five");
    // Delete them longest first, then the rest, looking everywhere after each.
    for (let d = 4; d >= 0; d--) {
      routeDelete(d);
      for (let k = 0; k < probes.length; k += 3) {
        memory.fill(P, 0, 16);
        store<u32>(P, bswap<u32>(probes[k])); store<u8>(P + 15, <u8>probes[k + 1]);
        wrong += wrongAt();
      }
      wrong += manyCheck();
    }
    expect(wrong).toBe(0, "probes answered wrong after deletions");
    memory.fill(P, 0, 16);
    expect(lookup(P)).toBe(-1, "an empty table");
  });

  it("bounds an update's work at 512 slot refills and a lookup's at one, with routes in every superblock", () => {
    routeReset();
    // A route in each of the 1,024 superblocks' first block, and lookups in every block
    // of superblock 0x200 (8000::/10), so that all those slots are filled.
    for (let s: u32 = 0; s < 1024; s++) { addrTop((s << 22) | 0x100); routeAdd(RouteKind.STATIC, P, 48, 1, 0, 0); }
    for (let b: u32 = 0; b < 1024; b++) { addrTop(0x80000000 | (b << 12)); lookup(P); }
    const LENS: i32[] = [1, 5, 10, 11, 12, 16, 20, 21, 48, 128, 0];
    let most: i64 = 0, wrong = 0;
    for (let k = 0; k < LENS.length; k++) {
      addrTop(0x80000000 | (rnd() & 0x3fffff));
      let before = lpmRefills;
      let i = routeAdd(RouteKind.STATIC, P, LENS[k], 2, 0, 0);
      if (lpmRefills - before > most) most = lpmRefills - before;
      // Every block of the superblock, each lookup refilling at most its own slot.
      for (let b: u32 = 0; b < 1024; b++) {
        addrTop(0x80000000 | (b << 12));
        let r0 = lpmRefills;
        wrong += wrongAt();
        if (lpmRefills - r0 > 1) wrong += 1000;
      }
      wrong += manyCheck();
      before = lpmRefills;
      routeDelete(i);
      if (lpmRefills - before > most) most = lpmRefills - before;
      for (let b: u32 = 0; b < 1024; b += 7) { addrTop(0x80000000 | (b << 12)); wrong += wrongAt(); }
      wrong += manyCheck();
    }
    expect(wrong).toBe(0, "wrong lookups (1,000 for each lookup that refilled more than its slot)");
    expect(most <= 512).toBe(true, "an update refilled more than 512 slots");
    expect(most >= 512).toBe(true, "an /11 refills 512 blocks (the bound is reached)");
  });

  it("never takes a stale slot for a fresh one when a superblock's generation wraps", () => {
    // A slot filled while a0::/8 held its block; then a0::/8 goes, 3000::/32 takes its
    // node, and a0::/9 comes and goes 65,535 times: its superblock's 16-bit generation
    // comes back to the slot's own after 65,536 steps, with no lookup in between.
    routeReset();
    let a = heap.alloc(16);
    memory.fill(a, 0, 16);
    routeAdd(RouteKind.STATIC, a, 0, 1, 0, 0);                                // 0: ::/0
    store<u32>(a, bswap<u32>(0xa0000000));
    let p = routeAdd(RouteKind.STATIC, a, 8, 1, 0, 0);                        // a0::/8
    memory.fill(P, 0, 16); store<u32>(P, bswap<u32>(0xa0123456));
    expect(lookup(P)).toBe(p);
    routeDelete(p);
    store<u32>(a, bswap<u32>(0x30000000));
    routeAdd(RouteKind.STATIC, a, 32, 1, 0, 0);                               // 1: 3000::/32
    store<u32>(a, bswap<u32>(0xa0000000));
    let q = -1;
    for (let k = 0; k < 65535; k++) {
      if (q < 0) q = routeAdd(RouteKind.STATIC, a, 9, 1, 0, 0);
      else { routeDelete(q); q = -1; }
    }
    expect(q).toBe(2, "a0::/9 is in the table");
    memory.fill(P, 0, 16); store<u32>(P, bswap<u32>(0xa0123456));
    expect(lookup(P)).toBe(q);
    expect(wrongAt() + manyCheck()).toBe(0);
    // The batched walk, whose slot is stale again after one more step.
    routeDelete(q);
    memory.fill(P, 0, 16); store<u32>(P, bswap<u32>(0xa0123456));
    manyPush(0);
    expect(manyCheck()).toBe(0, "a0::/9 gone: ::/0 answers, from a refilled slot");
  });

  it("hands k_rx_batch's answers to lookup() only while the table is as it was", () => {
    routeReset();
    let a = heap.alloc(16);
    memory.fill(a, 0, 16);
    store<u32>(a, bswap<u32>(0x20010db8));
    let wide = routeAdd(RouteKind.STATIC, a, 32, 1, 0, 0);                  // 2001:db8::/32
    let other = heap.alloc(16);
    memory.fill(other, 0, 16); store<u32>(other, bswap<u32>(0x20020000));
    memory.fill(P, 0, 16); store<u32>(P, bswap<u32>(0x20010db8)); store<u8>(P + 15, 1);
    store<u32>(MQ_AT, <u32>P);
    store<u32>(MQ_AT + 4, <u32>other);
    routeMany(MQ_AT, 2);
    lookup(other);                                 // lookup()'s own memory now holds another address
    routeHint(0, P);
    expect(lookup(P)).toBe(wide, "the batch's answer, table unchanged");
    routeMany(MQ_AT, 2);
    let narrow = routeAdd(RouteKind.STATIC, P, 128, 2, 0, 0);             // 2001:db8::1/128, after the batch
    routeHint(0, P);
    expect(lookup(P)).toBe(narrow, "a route added after the batch's walks wins over its answer");
    // Another destination's answer is never handed over, whatever index is asked for.
    let otherRoute = routeAdd(RouteKind.STATIC, other, 16, 3, 0, 0);       // 2002::/16
    routeMany(MQ_AT, 2);
    lookup(P);
    routeHint(0, other);                           // P's answer, asked for other
    expect(lookup(other)).toBe(otherRoute, "other's own route, not the one looked up for P");
    routeHint(1, P);                               // other's answer, asked for P
    expect(lookup(P)).toBe(narrow, "P's own route, not the one looked up for other");
  });
});

describe("stable indexes", () => {
  it("keeps every other entry's index when one is deleted, and gives the freed slot to the next add", () => {
    routeReset();
    let a = heap.alloc(16);
    for (let k = 0; k < 6; k++) {
      memory.fill(a, 0, 16); store<u32>(a, bswap<u32>(0x20010db8)); store<u8>(a + 5, <u8>k);
      expect(routeAdd(RouteKind.STATIC, a, 48, k, 0, 0)).toBe(k);
    }
    routeDelete(2);
    routeDelete(4);
    routeDelete(4);                                           // already free: nothing
    routeDelete(99);                                          // past the table: nothing
    expect(routeCount).toBe(4);
    expect(routeUsed(2) || routeUsed(4)).toBe(false);
    for (let k = 0; k < 6; k++) {
      if (k == 2 || k == 4) continue;
      memory.fill(P, 0, 16); store<u32>(P, bswap<u32>(0x20010db8)); store<u8>(P + 5, <u8>k); store<u8>(P + 15, 1);
      expect(lookup(P)).toBe(k, "an entry kept its index");
    }
    memory.fill(a, 0, 16); store<u32>(a, bswap<u32>(0x20010db9));
    expect(routeAdd(RouteKind.STATIC, a, 32, 7, 0, 0)).toBe(4, "the slot freed last");
    expect(routeAdd(RouteKind.STATIC, a, 33, 7, 0, 0)).toBe(2, "then the one before it");
    expect(routeAdd(RouteKind.STATIC, a, 34, 7, 0, 0)).toBe(6, "then a new one");
    expect(routeHigh).toBe(7);
  });

  it("removes a service's routes alone, and keeps an own address the filter shares with one removed", () => {
    routeReset();
    // Own /128s of three services, interleaved with static routes; 1,000 of them, so that
    // the filter's 4,096 bits are shared between the ones removed and the ones kept.
    let a = heap.alloc(16);
    memory.fill(a, 0, 16); store<u32>(a, bswap<u32>(0x20010db8));
    routeAdd(RouteKind.STATIC, a, 32, 1, 0, 0);
    for (let k = 0; k < 1000; k++) {
      store<u16>(a + 14, bswap<u16>(<u16>k));
      routeAddService(a, k % 3, 0);
      if (k % 10 == 0) routeAdd(RouteKind.STATIC, a, 120, 2, 0, 0);
    }
    routeRemoveService(1);
    routeRemoveService(1);                                    // nothing left of it
    routeRemoveService(-1); routeRemoveService(1 << 20);      // no such service: nothing
    let wrong = 0;
    for (let k = 0; k < 1000; k++) {
      store<u16>(a + 14, bswap<u16>(<u16>k));
      let i = lookup(a);
      if (isOwn(a) != (k % 3 != 1)) wrong++;
      if (k % 3 != 1 && (routeKind(i) != RouteKind.SERVICE || routeSvc(i) != k % 3)) wrong++;
      if (k % 3 == 1 && (routeKind(i) != RouteKind.STATIC || routeLen(i) != 120)) wrong++;
    }
    expect(wrong).toBe(0, "addresses answered wrong after service 1's went");
    expect(routeCount).toBe(1 + 100 + 667);
    // Deleting service 0's routes one by one unlinks them from its chain.
    for (let i = 0; i < routeHigh; i++) if (routeUsed(i) && routeKind(i) == RouteKind.SERVICE && routeSvc(i) == 0 && i % 2 == 0) routeDelete(i);
    routeRemoveService(0);
    for (let i = 0; i < routeHigh; i++) if (routeUsed(i) && routeKind(i) == RouteKind.SERVICE && routeSvc(i) != 2) wrong++;
    expect(wrong).toBe(0, "a route of service 0 or 1 is left");
    expect(routeCount).toBe(1 + 100 + 333);
  });

  it("gives a deleted learned route's room back: churn past ROUTE_LEARNED_MAX leaves exactly that room", () => {
    routeReset();
    // A host on the link that announces short-lived prefixes adds and deletes learned routes
    // without end; each delete must give its room back, or the learned room runs out for good.
    let a = heap.alloc(16);
    memory.fill(a, 0, 16); store<u32>(a, bswap<u32>(0x20010db8));
    for (let k = 0; k < 10; k++) { store<u16>(a + 4, bswap<u16>(<u16>k)); tableAdd(RouteKind.STATIC, a, 48, 1, 0, 0); }
    let refused = 0;
    for (let k = 0; k < 3 * ROUTE_LEARNED_MAX; k++) {
      store<u16>(a + 6, bswap<u16>(<u16>k));
      let i = tableAdd(RouteKind.STATIC, a, 64, 1, 0, 0, true);
      if (i < 0) { refused++; continue; }
      routeDelete(i);
    }
    expect(refused).toBe(0, "learned adds refused during churn");
    let room = 0;
    store<u16>(a + 6, 0);
    for (let k = 0; k < ROUTE_LEARNED_MAX + 5; k++) {
      store<u16>(a + 8, bswap<u16>(<u16>k));
      if (tableAdd(RouteKind.STATIC, a, 80, 1, 0, 0, true) >= 0) room++;
    }
    expect(room).toBe(ROUTE_LEARNED_MAX, "learned room after churn");
    expect(routeCount).toBe(10 + ROUTE_LEARNED_MAX);
  });

  it("refuses a SERVICE route of no service", () => {
    routeReset();
    expect(tableAddService(P, -1, 0)).toBe(-1);
    expect(tableAddService(P, 1 << 16, 0)).toBe(-1);
    expect(routeCount).toBe(0);
  });

  it("answers routeBeyond by the longest CONNECTED or STATIC match, the first added on a tie", () => {
    routeReset();
    let a = heap.alloc(16);
    memory.fill(a, 0, 16); store<u32>(a, bswap<u32>(0x20010db8));
    expect(routeAdd(RouteKind.STATIC, a, 32, 1, 0, 0)).toBe(0);
    expect(routeAdd(RouteKind.CONNECTED, a, 64, 1, 0, 0)).toBe(1);
    expect(routeAdd(RouteKind.STATIC, a, 64, 2, 0, 0)).toBe(2);
    store<u8>(a + 15, 5);
    expect(routeAddService(a, 3, 0)).toBe(3);
    expect(routeBeyond(a)).toBe(1, "the /64 added first, not the service's /128");
    routeDelete(1);
    expect(routeBeyond(a)).toBe(2);
    expect(routeAdd(RouteKind.CONNECTED, a, 64, 1, 0, 0)).toBe(1, "slot 1 again");
    expect(routeBeyond(a)).toBe(2, "the tie goes to the older, in slot 2");
    routeDelete(2); routeDelete(1);
    expect(routeBeyond(a)).toBe(0);
    store<u8>(a, 0x30);
    expect(routeBeyond(a)).toBe(-1);
  });
});
