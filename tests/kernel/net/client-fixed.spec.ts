// A fixed service address inside a prefix the node learns later is checked by DAD when the
// default router in use advertises that prefix, never because a stranger did: else a host
// on the link could take a working address out of use at will, then answer its DAD.
import { AddrState } from "../../../abi/status";
import { mfStart, mfEnd, mfNode, mfNic, mfService, mfAutoconf, mfSvcAddr } from "../manifest";
import { bootFrom } from "../drive";
import { ownRoute } from "../../../kernel/net/route";
import { addr } from "../frames";
import { ra, pollAt, T, ROUTER, STRANGER, MAC_N, stateOf } from "./client_review";

const M: usize = memory.data(2048, 16);
const KV = "fd00:7::7";

describe("a fixed address in a learned prefix", () => {
  it("is in use from boot: no prefix of the NIC holds it yet", () => {
    mfStart(M); mfNode(1, "c1.test"); mfNic(0, 1500, MAC_N); mfAutoconf(0, 1, 1, "");
    mfService(0, "kv.sabz.city"); mfSvcAddr(0, KV);
    expect(bootFrom(M, mfEnd(), T)).toBe(0);
    pollAt(T + 1000);
    pollAt(T + 2000);
    ra(ROUTER, 1800, "fd00:c1::", 0xc0, 86400, 86400);
    expect(ownRoute(addr(KV))).toBeGreaterThanOrEqual(0);
  });
  it("stays in use when a stranger advertises its /64", () => {
    ra(STRANGER, 0, "fd00:7::", 0xc0, 86400, 86400);
    expect(stateOf(KV)).toBe(-1);
    expect(ownRoute(addr(KV))).toBeGreaterThanOrEqual(0);
  });
  it("is checked by DAD when the router in use advertises its /64, then used again", () => {
    ra(ROUTER, 1800, "fd00:7::", 0xc0, 86400, 86400);
    expect(stateOf(KV)).toBe(<i32>AddrState.TENTATIVE);
    pollAt(T + 3000);
    pollAt(T + 4000);
    expect(stateOf(KV)).toBe(<i32>AddrState.PREFERRED);
    expect(ownRoute(addr(KV))).toBeGreaterThanOrEqual(0);
  });
});
