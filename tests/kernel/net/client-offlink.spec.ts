// A prefix answers to its router: a stranger's prefix option with a short or zero valid
// lifetime does not take it off-link, nor does repeating the prefix take it from its
// router, whose own withdrawal still works.
import { RouteKind } from "../../../abi/status";
import { lookup, routeKind } from "../../../kernel/net/route";
import { addr } from "../frames";
import { bootClient, ra, pollAt, T, ROUTER, STRANGER, NODE_C1, stateOf, PREFERRED } from "./client_review";

describe("a prefix on-link", () => {
  it("is learned from the router", () => {
    expect(bootClient(0)).toBe(0);
    ra(ROUTER, 1800, "fd00:c1::", 0xc0, 86400, 86400);
    pollAt(T);
    expect(routeKind(lookup(addr("fd00:c1::99")))).toBe(RouteKind.CONNECTED);
  });
  it("stays on-link when a stranger advertises it with valid lifetime 1, or 0", () => {
    ra(STRANGER, 0, "fd00:c1::", 0x80, 1, 0);
    ra(STRANGER, 0, "fd00:c1::", 0xc0, 0, 0);
    pollAt(T + 1000);
    expect(routeKind(lookup(addr("fd00:c1::99")))).toBe(RouteKind.CONNECTED);
    expect(stateOf(NODE_C1)).toBe(PREFERRED);
  });
  it("goes off-link when its router withdraws it, whatever the stranger repeated", () => {
    ra(STRANGER, 0, "fd00:c1::", 0x80, 86400, 0);
    ra(ROUTER, 1800, "fd00:c1::", 0x80, 0, 0);
    pollAt(T + 3000);
    expect(routeKind(lookup(addr("fd00:c1::99")))).toBe(RouteKind.STATIC);   // through the router
  });
});
