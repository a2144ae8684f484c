// The LPM micro-benchmark's module (tests/bench/lpm.ts compiles it, with the kernel's
// route.ts and lpm.ts, by itself): a table built through routeAdd, lookups timed by the host
// over addresses it writes here, and the cost of one update with the table full, in the trie
// alone (lpmInsert/lpmRemove of a spare index) and through route.ts (routeAdd/routeDelete,
// which frees the slot). Not a spec: no describe() here.
import { RouteKind } from "../../../abi/status";
import { routeAdd, routeDelete, routeCount, routeHigh, routeKind, routeNic, routeVia } from "../../../kernel/net/route";
import { lpmLookup, lpmRootLookup, lpmInsert, lpmRemove } from "../../../kernel/net/lpm";

export function alloc(n: i32): usize { return heap.alloc(<usize>n); }
export function count(): i32 { return routeCount; }
export function add(p: usize, len: i32): i32 { return routeAdd(RouteKind.STATIC, p, len, 1, 0, 0); }
export function del(i: i32): void { routeDelete(i); }
/** One entry in and out of the trie alone, at the spare index routeHigh. */
export function trieIn(p: usize, len: i32): void { lpmInsert(routeHigh, p, len); }
export function trieOut(): void { lpmRemove(routeHigh); }

/** rounds passes over n addresses of 16 bytes at a; the sum of the answers. */
export function lookups(a: usize, n: i32, rounds: i32): i32 {
  let sum = 0;
  for (let r = 0; r < rounds; r++) for (let i = 0; i < n; i++) sum += lpmLookup(a + <usize>(i << 4));
  return sum;
}
export function rootLookups(a: usize, n: i32, rounds: i32): i32 {
  let sum = 0;
  for (let r = 0; r < rounds; r++) for (let i = 0; i < n; i++) sum += lpmRootLookup(a + <usize>(i << 4));
  return sum;
}
/** As lookups, and then what forwarding reads of the entry found (kind, NIC, gateway). */
export function lookupsRead(a: usize, n: i32, rounds: i32): i32 {
  let sum = 0;
  for (let r = 0; r < rounds; r++) for (let i = 0; i < n; i++) {
    let e = lpmLookup(a + <usize>(i << 4));
    sum += e + <i32>routeKind(e) + routeNic(e) + <i32>load<u8>(routeVia(e), 15);
  }
  return sum;
}
