// Full tables make room for the default router in use: strangers' prefixes with infinite
// lifetimes fill the prefix list and echo's address slots, and the router's new prefix
// still gets its on-link route and an address for the node and echo; a stranger's new
// prefix does not. And a flood of strangers' routers does not keep a router off the list.
import { RouteKind } from "../../../abi/status";
import { LEARNED_MAX, ROUTER_MAX } from "../../../kernel/param";
import { lookup, routeKind } from "../../../kernel/net/route";
import { learnedNic, routerNic, routerAddr } from "../../../kernel/net/routers";
import { addr, firstDiff } from "../frames";
import { bootClient, ra, pollAt, T, ROUTER, NODE_C2, ECHO_C2, stateOf, PREFERRED } from "./client_review";

describe("full tables", () => {
  it("the router is chosen; strangers fill the prefix list", () => {
    expect(bootClient(0)).toBe(0);
    ra(ROUTER, 1800, "fd00:c1::", 0xc0, 86400, 86400);
    for (let k = 0; k < LEARNED_MAX; k++) ra("fe80::1:" + k.toString(16), 0, "fd00:e" + k.toString(16) + "::", 0xc0, 0xffffffff, 0xffffffff);
    let n = 0;
    for (let i = 0; i < LEARNED_MAX; i++) if (learnedNic(i) >= 0) n++;
    expect(n).toBe(LEARNED_MAX);
    ra("fe80::2:1", 0, "fd00:99::", 0xc0, 0xffffffff, 0xffffffff);
    expect(routeKind(lookup(addr("fd00:99::1")))).toBe(RouteKind.STATIC);   // no room for a stranger
  });
  it("the router's new prefix gets room, its on-link route and addresses", () => {
    ra(ROUTER, 1800, "fd00:c2::", 0xc0, 86400, 86400);
    pollAt(T + 10);
    expect(routeKind(lookup(addr("fd00:c2::99")))).toBe(RouteKind.CONNECTED);
    expect(stateOf(NODE_C2)).toBe(PREFERRED);
    expect(stateOf(ECHO_C2)).toBe(PREFERRED);
  });
  it("a router gets on a list that strangers filled", () => {
    for (let k = 0; k < ROUTER_MAX * 2; k++) ra("fe80::3:" + k.toString(16), 1800, "", 0, 0, 0);
    ra("fe80::4:1", 1800, "", 0, 0, 0);
    let found = false;
    for (let i = 0; i < ROUTER_MAX; i++) if (routerNic(i) >= 0 && firstDiff(routerAddr(i), addr("fe80::4:1"), 16) < 0) found = true;
    expect(found).toBe(true);
    let kept = false;
    for (let i = 0; i < ROUTER_MAX; i++) if (routerNic(i) >= 0 && firstDiff(routerAddr(i), addr(ROUTER), 16) < 0) kept = true;
    expect(kept).toBe(true);                            // the one in use is never the one to go
  });
});
