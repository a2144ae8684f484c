// The RFC 7217 secret_key reaches the identifiers: with the key of a node.secret holding
// "a node secret\n" (its SHA-512's first 16 bytes, as the loader makes it), echo's and
// the node's addresses in fd00:c1::/64 are those Python's hashlib computes, not the
// no-secret ones:
//   k = sha512(b"a node secret\n")[:16]; sha512(prefix[:8] + name + b"\0" + k)[:8]
import { AddrState } from "../../../abi/status";
import { mfStart, mfEnd, mfNode, mfNic, mfService, mfAutoconf, mfSvcLearned } from "../manifest";
import { bootFrom } from "../drive";
import { ra, pollAt, T, ROUTER, MAC_N, ECHO_C1, NODE_C1, stateOf } from "./client_review";

const M: usize = memory.data(2048, 16);
const KEY = "d790842a2ad72574ebc92611a76f85a6";
const ECHO_SECRET = "fd00:c1::8e99:4ef7:30ee:fc3f";
const NODE_SECRET = "fd00:c1::9f1c:170d:1881:c520";

describe("a node secret", () => {
  it("gives other stable addresses than none does", () => {
    mfStart(M); mfNode(1, "c1.test"); mfNic(0, 1500, MAC_N); mfAutoconf(0, 1, 0, KEY);
    mfService(0, "echo.sabz.city"); mfSvcLearned(0, 0);
    expect(bootFrom(M, mfEnd(), T)).toBe(0);
    ra(ROUTER, 1800, "fd00:c1::", 0xc0, 86400, 86400);
    pollAt(T + 10);
    expect(stateOf(ECHO_SECRET)).toBe(<i32>AddrState.PREFERRED);
    expect(stateOf(NODE_SECRET)).toBe(<i32>AddrState.PREFERRED);
    expect(stateOf(ECHO_C1)).toBe(-1);
    expect(stateOf(NODE_C1)).toBe(-1);
  });
});
