// kernel/cert/issue.ts without a wall clock: a router with a key that boots before its
// host calls k_epoch certifies nothing yet (its services' certificates wait, a host's ask
// is refused with -ESTALE, the poll does nothing), and issues them when k_epoch comes,
// dated by it; certVerifyChain says -ESTALE meanwhile.
import { Errno } from "../../../abi/errno";
import { Buf } from "../../../abi/kernel";
import { CERT_BYTES, CERT_NOT_BEFORE } from "../../../wire/layout/cert";
import { k_boot, k_buf, k_epoch, k_poll } from "../../../kernel/main";
import { certIssueHost, certChainFor } from "../../../kernel/cert/issue";
import { certVerifyChain } from "../../../kernel/cert/verify";
import { addr } from "../frames";
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix, mfService, mfSvcAddr, mfNodeKey } from "../manifest";
import { lastLog } from "../mock";
import { pk, seed } from "./make";

const M: usize = memory.data(1024, 16);
const OUT: usize = memory.data(CERT_BYTES * 4, 16);
const T: i64 = 1796515200;

describe("a router booted before the wall clock", () => {
  it("boots, and certifies nothing yet", () => {
    mfStart(M);
    mfNode(2, "r2.test");
    mfNodeKey(seed(5));
    mfNic(0, 1500, "02:00:00:00:00:02");
    mfPrefix(0, 64, "fd00:c::");
    mfService(0, "s.r2.test");
    mfSvcAddr(0, "fd00:c::7");
    let len = mfEnd();
    memory.copy(<usize>k_buf(Buf.BOOT), M, <usize>len);
    expect(k_boot(len, 5000)).toBe(0);
    expect(certChainFor(addr("fd00:c::7"), OUT, 4)).toBe(0);
    k_poll(6000);
    expect(certChainFor(addr("fd00:c::7"), OUT, 4)).toBe(0, "the poll has no clock either");
  });

  it("refuses a host's ask, and any chain, with -ESTALE", () => {
    expect(certIssueHost(addr("fd00:c::20"), pk(1))).toBe(-Errno.ESTALE);
    expect(certVerifyChain(OUT, 1, addr("fd00:c::7"))).toBe(-Errno.ESTALE);
    expect(lastLog()).toBe("certificate chain refused: the node has no wall clock to check validity against (the host did not call k_epoch)");
  });

  it("issues its services' certificates when k_epoch comes, dated by it", () => {
    k_epoch(T * 1000 - 6000);               // kernel time 6 s is T
    expect(certChainFor(addr("fd00:c::7"), OUT, 4)).toBe(1);
    expect(load<i64>(OUT + CERT_NOT_BEFORE)).toBe(T - 60);
    expect(certVerifyChain(OUT, 1, addr("fd00:c::7"))).toBe(0);
    expect(certIssueHost(addr("fd00:c::20"), pk(1))).toBeGreaterThanOrEqual(0);
  });
});
