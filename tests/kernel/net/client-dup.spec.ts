// One address, one entry: whatever a stranger advertises in between, the router's prefix
// keeps one entry per address and echo one slot for it.
import { ownRoute } from "../../../kernel/net/route";
import { svcRx, svcAddrCount } from "../../../kernel/svc/registry";
import { addr } from "../frames";
import { bootClient, ra, ping, pollAt, T, ROUTER, STRANGER, NODE_C1, ECHO_C1, entries } from "./client_review";

describe("a stranger between the router's advertisements", () => {
  it("learns fd00:c1::/64", () => {
    expect(bootClient(0)).toBe(0);
    ra(ROUTER, 1800, "fd00:c1::", 0xc0, 86400, 86400);
    pollAt(T);
  });
  it("a stranger advertises c1 with valid 1, then a prefix of its own; the router c1 again", () => {
    ra(STRANGER, 0, "fd00:c1::", 0xc0, 1, 0);
    pollAt(T + 1000);
    ra(STRANGER, 0, "fd00:e1::", 0xc0, 0xffffffff, 0);
    pollAt(T + 1001);
    ra(ROUTER, 1800, "fd00:c1::", 0xc0, 86400, 86400);
    pollAt(T + 1002);
    expect(entries(NODE_C1)).toBe(1);
    expect(entries(ECHO_C1)).toBe(1);
    expect(<i32>svcAddrCount[0]).toBe(2);               // c1's and e1's
    expect(ownRoute(addr(NODE_C1))).toBeGreaterThanOrEqual(0);
    let r = svcRx[0];
    ping(ECHO_C1, 2);
    expect(svcRx[0]).toBe(r + 1);
  });
});
