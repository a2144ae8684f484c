// A run-time LOAD that takes the id an UNLOADed service held (kernel/ctl/ops.ts): the new
// service starts with nothing of the old one's — in particular not the fuel the old one
// used in the current CPU period, which would count against the new one's CPU min and max
// until the period ends (its min not owed to it, a small max spent before it ran).
import { Buf } from "../../../abi/kernel";
import { k_boot, k_buf } from "../../../kernel/main";
import { opLoad, opUnload } from "../../../kernel/ctl/ops";
import { userByKey } from "../../../kernel/ctl/users";
import { svcByName } from "../../../kernel/svc/registry";
import { cpuCharge, cpuUsed, cpuUnderMin } from "../../../kernel/svc/cpu";
import { CPU_PERIOD_FUEL } from "../../../abi/limits";
import { hexBuf } from "../frames";
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix, mfService, mfSvcAddr, mfUser, mfUserPrefix } from "../manifest";
import { TEST_2 } from "../crypto/rfc8032";
import { BODY, loadBody, unloadBody, LOAD_NAME } from "./bodies";

const M: usize = memory.data(4096, 16);

describe("a LOAD into the id of an UNLOADed service", () => {
  it("boots a node with a user", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    mfUser(TEST_2.pk, "alice", "a.n1.test");
    mfNic(0, 1500, "02:00:00:00:00:01");
    mfPrefix(0, 64, "fd00:b::");
    mfUserPrefix(TEST_2.pk, 112, "fd00:b::a:0");
    mfService(0, "s.n1.test");
    mfSvcAddr(0, "fd00:b::8");
    let len = mfEnd();
    memory.copy(<usize>k_buf(Buf.BOOT), M, <usize>len);
    expect(k_boot(len, 1000)).toBe(0);
  });

  it("does not hand the new service the fuel the old one used this period", () => {
    let alice = userByKey(hexBuf(TEST_2.pk));
    expect(opLoad(alice, BODY, loadBody("old.a.n1.test", "fd00:b::a:1", 0))).toBe(0);
    let id = svcByName(LOAD_NAME, 13);
    expect(id).toBe(1, "the first free id");
    cpuCharge(id, CPU_PERIOD_FUEL / 2);            // the old service ran a lot this period
    expect(opUnload(alice, BODY, unloadBody("old.a.n1.test"))).toBe(0);
    expect(opLoad(alice, BODY, loadBody("new.a.n1.test", "fd00:b::a:2", 100))).toBe(0);
    expect(svcByName(LOAD_NAME, 13)).toBe(id, "the same id again");
    expect(cpuUsed[id]).toBe(0, "fuel used by the new service");
    expect(cpuUnderMin(id)).toBe(true, "its CPU min is owed to it from the start");
  });
});
