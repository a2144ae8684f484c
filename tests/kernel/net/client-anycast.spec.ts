// A learned prefix never touches a route it did not make: a stranger's prefix option for
// kv's /64 with A set leaves kv's manifest address (its subnet-router anycast) routed.
import { mfStart, mfEnd, mfNode, mfNic, mfService, mfAutoconf, mfSvcLearned, mfSvcAddr, mfPrefix } from "../manifest";
import { bootFrom } from "../drive";
import { ownRoute } from "../../../kernel/net/route";
import { addr } from "../frames";
import { ra, pollAt, T, STRANGER, MAC_N } from "./client_review";

const M: usize = memory.data(2048, 16);

describe("a stranger's prefix over a manifest address", () => {
  it("boots: kv holds fd00:1:: (no DAD on the NIC), echo learns", () => {
    mfStart(M); mfNode(1, "c1.test"); mfNic(0, 1500, MAC_N); mfPrefix(0, 64, "fd00:1::"); mfAutoconf(0, 1, 0, "");
    mfService(0, "echo.sabz.city"); mfSvcLearned(0, 0);
    mfService(1, "kv.sabz.city"); mfSvcAddr(1, "fd00:1::");
    expect(bootFrom(M, mfEnd(), T)).toBe(0);
    expect(ownRoute(addr("fd00:1::"))).toBeGreaterThanOrEqual(0);
  });
  it("leaves kv's route alone", () => {
    ra(STRANGER, 0, "fd00:1::", 0x40, 3600, 3600);
    pollAt(T + 10);
    expect(ownRoute(addr("fd00:1::"))).toBeGreaterThanOrEqual(0);
  });
});
