// An advertised RetransTimer is kept within 10 ms .. 10 s: a stranger's 2^32-1 ms cannot
// stall the DAD of the router's prefix for weeks.
import { rx } from "../drive";
import { bootClient, raFrame, F, ra, pollAt, t, T, ROUTER, STRANGER, NODE_C1, ECHO_C1, stateOf, PREFERRED } from "./client_review";

describe("RetransTimer from a stranger", () => {
  it("boots with DAD on; the link-local passes", () => {
    expect(bootClient(1)).toBe(0);
    pollAt(T + 1000);
    pollAt(T + 2000);
    expect(stateOf("fe80::ff:fe00:1")).toBe(PREFERRED);
  });
  it("DAD of the router's prefix still ends within RETRANS_MAX_MS (10 s)", () => {
    rx(0, F, raFrame(STRANGER, 0, 0, 0xffffffff, "", 0, 0, 0, 0), t);
    ra(ROUTER, 1800, "fd00:c1::", 0xc0, 0xffffffff, 0xffffffff);
    pollAt(T + 3000);
    pollAt(T + 13000);
    expect(stateOf(NODE_C1)).toBe(PREFERRED);
    expect(stateOf(ECHO_C1)).toBe(PREFERRED);
  });
});
