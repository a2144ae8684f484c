// Flash renumbering (RFC 8978): the router withdraws its prefix (valid 0) and advertises a
// new one. The old addresses keep what the two-hour rule leaves them; the new prefix gets
// addresses of its own, however routers.ts reuses its place for it.
import { acValid } from "../../../kernel/net/slaac";
import { bootClient, ra, pollAt, T, ROUTER, NODE_C1, ECHO_C1, NODE_C2, ECHO_C2, stateOf, entry, PREFERRED } from "./client_review";

describe("a prefix withdrawn, then a new one", () => {
  it("learns fd00:c1::/64", () => {
    expect(bootClient(0)).toBe(0);
    ra(ROUTER, 1800, "fd00:c1::", 0xc0, 86400, 86400);
    pollAt(T);
    expect(stateOf(NODE_C1)).toBe(PREFERRED);
    expect(stateOf(ECHO_C1)).toBe(PREFERRED);
  });
  it("keeps two hours of c1 when the router withdraws it", () => {
    ra(ROUTER, 1800, "fd00:c1::", 0xc0, 0, 0);
    pollAt(T + 1000);
    expect(acValid(entry(NODE_C1))).toBe(T + 7200000);
  });
  it("forms addresses in the new prefix, and leaves c1's lifetimes alone", () => {
    ra(ROUTER, 1800, "fd00:c2::", 0xc0, 86400, 86400);
    pollAt(T + 2000);
    expect(stateOf(NODE_C2)).toBe(PREFERRED);
    expect(stateOf(ECHO_C2)).toBe(PREFERRED);
    expect(acValid(entry(NODE_C1))).toBe(T + 7200000);
  });
});
