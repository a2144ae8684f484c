// kernel/net/route.ts under long churn, as a hostile link or service would drive it (from
// review RV-LPM): 200,000 adds and deletes of own /128s (SERVICE, LOCAL, learned and not)
// that share the own-address filter's bits, checked against a linear scan; learned routes
// added and deleted 100,000 times, after which the learned room is exactly
// ROUTE_LEARNED_MAX again; a full table (ROUTE_MAX) churned without its slots passing
// ROUTE_MAX; and the service id's bounds. lpm.spec.ts holds the trie's own checks.
import { RouteKind } from "../../../abi/status";
import { ROUTE_LEARNED_MAX, ROUTE_MAX, SVC_MAX } from "../../../kernel/param";
import { routeAdd as tableAdd, routeAddService as tableAddService, routeDelete, routeRemoveService, lookup, routeCount,
  routeHigh, routeUsed, routePrefix, routeLen, routeKind, routeReset, isOwn } from "../../../kernel/net/route";
import { prefixMatch } from "../../../wire/addr";

let seed: u64 = 0x1234567887654321;
function rnd(): u32 { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return <u32>(seed >> 32); }
const seq = new StaticArray<i32>(ROUTE_MAX);
let seqNext = 0;
function add(kind: RouteKind, p: usize, len: i32, svc: i32, learned: bool): i32 {
  let i = kind == RouteKind.SERVICE ? tableAddService(p, svc, 0) : tableAdd(kind, p, len, 1, 0, 0, learned);
  if (i >= 0) seq[i] = seqNext++;
  return i;
}
function reference(dst: usize): i32 {
  let best = -1, bestLen = -1;
  for (let i = 0; i < routeHigh; i++) {
    if (!routeUsed(i)) continue;
    let l = routeLen(i);
    if ((l > bestLen || (l == bestLen && seq[i] < seq[best])) && prefixMatch(dst, routePrefix(i), l)) { best = i; bestLen = l; }
  }
  return best;
}
const P = heap.alloc(16);
function addrFrom(k: u32): void {   // 600 distinct addresses: many equal prefixes
  memory.fill(P, 0, 16); store<u32>(P, bswap<u32>(0x20010db8)); store<u16>(P + 14, bswap<u16>(<u16>(k % 600)));
}
function pick(): i32 {
  if (routeCount == 0) return -1;
  let i = <i32>(rnd() % <u32>routeHigh);
  while (!routeUsed(i)) i = i + 1 == routeHigh ? 0 : i + 1;
  return i;
}

describe("the routing table under churn", () => {
  it("isOwn/ownRoute agree with a linear scan through 200,000 churn steps of own /128s sharing filter bits", () => {
    routeReset();
    let wrong = 0, maxHigh = 0;
    for (let step = 0; step < 200000; step++) {
      let r = rnd() % 10;
      if (r < 5 && routeCount < 1500) {
        addrFrom(rnd());
        let kr = rnd() % 4;
        if (kr == 0) add(RouteKind.SERVICE, P, 128, <i32>(rnd() % 8), false);
        else if (kr == 1) add(RouteKind.LOCAL, P, 128, 0, rnd() % 2 == 0);
        else if (kr == 2) add(RouteKind.STATIC, P, 128, 0, rnd() % 2 == 0);
        else add(RouteKind.STATIC, P, 112 + <i32>(rnd() % 17), 0, false);
      } else if (r < 9) { let i = pick(); if (i >= 0) routeDelete(i); }
      else routeRemoveService(<i32>(rnd() % 8));
      if (routeHigh > maxHigh) maxHigh = routeHigh;
      if (step % 50 == 0) {
        for (let q: u32 = 0; q < 600; q += 7) {
          addrFrom(q + (step & 7));
          let want = reference(P);
          let wantOwn = want >= 0 && (routeKind(want) == RouteKind.LOCAL || routeKind(want) == RouteKind.SERVICE) && routeLen(want) == 128;
          if (isOwn(P) != wantOwn) wrong++;
          if (lookup(P) != want) wrong++;
        }
      }
    }
    expect(wrong).toBe(0, "wrong own/lookup answers");
    expect(maxHigh <= 1500).toBe(true, "slots past the largest table");
  });

  it("learned churn: the learned room is exact after 100,000 add/delete rounds, slots bounded", () => {
    routeReset();
    let a = heap.alloc(16); memory.fill(a, 0, 16); store<u32>(a, bswap<u32>(0x20010db8));
    // Manifest routes around them, and one added and deleted every 1,000 rounds.
    for (let k = 0; k < 100; k++) { store<u16>(a + 4, <u16>k); tableAdd(RouteKind.STATIC, a, 48, 1, 0, 0); }
    let live = new StaticArray<i32>(ROUTE_LEARNED_MAX);
    let n = 0;
    for (let k = 0; k < 100000; k++) {
      store<u16>(a + 6, <u16>k);
      if (n < ROUTE_LEARNED_MAX && rnd() % 2 == 0) { let i = tableAdd(RouteKind.STATIC, a, 64, 1, 0, 0, true); if (i >= 0) live[n++] = i; else break; }
      else if (n > 0) { let j = <i32>(rnd() % <u32>n); routeDelete(live[j]); live[j] = live[--n]; }
      if (k % 1000 == 0) { let m = tableAdd(RouteKind.STATIC, a, 56, 1, 0, 0); routeDelete(m); }
    }
    let extra = 0;
    while (tableAdd(RouteKind.STATIC, a, 80, 1, 0, 0, true) >= 0) extra++;
    expect(n + extra).toBe(ROUTE_LEARNED_MAX, "learned room after churn");
    expect(routeHigh).toBe(100 + ROUTE_LEARNED_MAX, "slots used");
  });

  it("full table: manifest + learned fill exactly ROUTE_MAX slots, churn never passes it", () => {
    routeReset();
    let a = heap.alloc(16); memory.fill(a, 0, 16);
    let k = 0;
    while (true) { store<u32>(a, bswap<u32>(0x30000000 + <u32>(k++))); if (tableAdd(RouteKind.STATIC, a, 48, 1, 0, 0) < 0) break; }
    while (true) { store<u32>(a, bswap<u32>(0x30000000 + <u32>(k++))); if (tableAdd(RouteKind.STATIC, a, 48, 1, 0, 0, true) < 0) break; }
    expect(routeCount).toBe(ROUTE_MAX);
    expect(routeHigh).toBe(ROUTE_MAX);
    for (let r = 0; r < 20000; r++) {
      let i = pick(); routeDelete(i);
      store<u32>(a, bswap<u32>(0x30000000 + <u32>(k++)));
      let j = tableAdd(RouteKind.STATIC, a, 48, 1, 0, 0, rnd() % 2 == 0);
      if (j < 0) j = tableAdd(RouteKind.STATIC, a, 48, 1, 0, 0, rnd() % 2 == 0);
    }
    expect(routeHigh).toBe(ROUTE_MAX);
    expect(routeCount <= ROUTE_MAX).toBe(true);
  });

  it("SERVICE of svc SVC_MAX-1 is accepted, SVC_MAX refused", () => {
    routeReset();
    memory.fill(P, 0, 16);
    expect(tableAddService(P, SVC_MAX - 1, 0) >= 0).toBe(true);
    expect(tableAddService(P, SVC_MAX, 0)).toBe(-1);
    routeRemoveService(SVC_MAX - 1);
    expect(routeCount).toBe(0);
  });
});
