// kernel/net/lpm.ts through route.ts: the trie answers every lookup, exact find and tie as
// a linear scan of the table does, over thousands of seeded random inserts, deletions and
// lookups on prefixes drawn close together (so that they overlap, share paths and split
// nodes), with service removals compacting the table in between. lookup() starts its walk
// from the direct table over the first 16 bits; lpmRootLookup walks from the root: both are
// checked, and the addresses' first 16 bits vary (a quarter of the time) so that prefixes
// shorter than 16 bits and blocks beside one another are exercised.
import { RouteKind } from "../../../abi/status";
import { ROUTE_MANIFEST_MAX } from "../../../kernel/param";
import { routeAdd, routeAddService, routeDelete, routeRemoveService, routeFind, lookup, routeCount,
  routePrefix, routeLen, routeKind, routeSvc, hasDefaultRoute, routeReset } from "../../../kernel/net/route";
import { prefixMatch } from "../../../wire/addr";
import { lpmRootLookup } from "../../../kernel/net/lpm";

let seed: u64 = 0x9e3779b97f4a7c15;
function rnd(): u32 {
  seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
  return <u32>(seed >> 32);
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

/** The linear answer: the longest matching entry, the first added on a tie. */
function reference(dst: usize): i32 {
  let best = -1, bestLen = -1;
  for (let i = 0; i < routeCount; i++) {
    let l = routeLen(i);
    if (l > bestLen && prefixMatch(dst, routePrefix(i), l)) { best = i; bestLen = l; }
  }
  return best;
}

function checkLookups(n: i32): i32 {
  let wrong = 0;
  for (let q = 0; q < n; q++) {
    // Half near an entry (its prefix, a random tail), half anywhere.
    if (routeCount > 0 && (rnd() & 1) == 0) {
      let i = <i32>(rnd() % <u32>routeCount);
      memory.copy(P, routePrefix(i), 16);
      let tail = <i32>(rnd() % 16);
      for (let k = tail; k < 16; k++) store<u8>(P + <usize>k, <u8>rnd());
    } else randomAddr(P);
    let want = reference(P);
    if (lookup(P) != want || lpmRootLookup(P) != want) wrong++;
  }
  return wrong;
}

describe("the trie against a linear scan", () => {
  it("agrees on 20,000 lookups over 3,000 random inserts, deletions and service removals", () => {
    let wrong = 0, finds = 0;
    for (let round = 0; round < 3000; round++) {
      let r = rnd() % 10;
      if (r < 6 && routeCount < ROUTE_MANIFEST_MAX - 8) {
        randomAddr(P);
        let len = randomLen();
        // A third of them repeat an entry's prefix and length: chains of equal keys.
        if (routeCount > 0 && rnd() % 3 == 0) {
          let e = <i32>(rnd() % <u32>routeCount);
          memory.copy(P, routePrefix(e), 16);
          len = routeLen(e);
        }
        if (rnd() % 4 == 0) routeAddService(P, <i32>(rnd() % 4), 0);
        else routeAdd(rnd() % 3 == 0 ? RouteKind.CONNECTED : RouteKind.STATIC, P, len, <i32>(rnd() % 3), 0, 0);
      } else if (r < 9 && routeCount > 0) {
        let i = <i32>(rnd() % <u32>routeCount);
        // routeFind by exact prefix answers this entry or an earlier one of the same key.
        let f = routeFind(routeKind(i), routePrefix(i), routeLen(i), 0);
        if (routeKind(i) == RouteKind.SERVICE && (f < 0 || f > i || routeLen(f) != routeLen(i))) finds++;
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
      } else routeDelete(<i32>(rnd() % <u32>routeCount));
      for (let q = 0; q < 8; q++) {
        for (let k = 0; k < 16; k++) store<u8>(P + <usize>k, <u8>rnd());
        store<u8>(P, <u8>(0x20 | (rnd() & 3)));
        let want = reference(P);
        if (lookup(P) != want || lpmRootLookup(P) != want) wrong++;
      }
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
    expect(lookup(P)).toBe(0, "the second ::/0, now at index 0");
    expect(routeFind(RouteKind.STATIC, d, 0, 3)).toBe(1);
    routeDelete(0); routeDelete(0);
    expect(lookup(P)).toBe(-1);
    expect(hasDefaultRoute()).toBe(false);
    expect(routeSvc(0)).toBe(routeSvc(0));
  });
});
