// kernel/net/lpm.ts through route.ts: the trie answers every lookup, exact find and tie as
// a linear scan of the table does, over thousands of seeded random inserts, deletions and
// lookups on prefixes drawn close together (so that they overlap, share paths and split
// nodes), with service removals compacting the table in between.
import { RouteKind } from "../../../abi/status";
import { ROUTE_MANIFEST_MAX } from "../../../kernel/param";
import { routeAdd, routeAddService, routeDelete, routeRemoveService, routeFind, lookup, routeCount,
  routePrefix, routeLen, routeKind, routeSvc, hasDefaultRoute, routeReset } from "../../../kernel/net/route";
import { prefixMatch } from "../../../wire/addr";

let seed: u64 = 0x9e3779b97f4a7c15;
function rnd(): u32 {
  seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
  return <u32>(seed >> 32);
}

const P = heap.alloc(16);
/** A random address: its bytes from a few values each, so that random ones share long prefixes. */
function randomAddr(a: usize): void {
  for (let k = 0; k < 16; k++) store<u8>(a + <usize>k, k < 2 ? 0x20 : <u8>(rnd() % 3 == 0 ? rnd() & 0xff : (rnd() & 1) << 7));
}
function randomLen(): i32 {
  let r = rnd() % 8;
  return r == 0 ? <i32>(rnd() % 129) : r < 3 ? 128 : r < 5 ? 64 : <i32>(16 + rnd() % 50);
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
    if (lookup(P) != reference(P)) wrong++;
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
