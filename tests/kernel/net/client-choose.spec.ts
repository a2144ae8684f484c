// A second router on the list does not move the default route (RFC 4861 §6.3.6): a router
// heard only through RAs is STALE, which is "probably reachable", so the one chosen stays.
import { chosen, routerAddr } from "../../../kernel/net/routers";
import { lookup, routeVia } from "../../../kernel/net/route";
import { addr, firstDiff } from "../frames";
import { bootClient, ra, pollAt, T, ROUTER, STRANGER } from "./client_review";

describe("the default router", () => {
  it("is the first router to advertise", () => {
    expect(bootClient(0)).toBe(0);
    ra(ROUTER, 1800, "fd00:c1::", 0xc0, 86400, 86400);
    expect(firstDiff(routerAddr(chosen), addr(ROUTER), 16)).toBe(-1);
    ra(STRANGER, 1800, "", 0, 0, 0);
  });
  it("stays chosen, poll after poll, when a second router advertises", () => {
    let first = chosen;
    for (let k = 1; k <= 5; k++) {
      pollAt(T + k * 10);
      expect(chosen).toBe(first);
    }
    expect(firstDiff(routeVia(lookup(addr("2001:db8::1"))), addr(ROUTER), 16)).toBe(-1);
  });
});
