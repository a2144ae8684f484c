// A service stopped from inside its own call (kernel/svc/sched.ts call()): it UNLOADs itself,
// or a GRANT restarts it with a new RAM max, and then the host reports that call's fault.
// The kernel must not take that fault as the service's: an UNLOADed id would become a
// RESTARTING service with no name that nothing can UNLOAD and no LOAD is offered again, and
// a restarted service would count a restart and a fault it never had. The mock host calls
// duringCall(id) below from inside svc_call (mock.svc_during).
import { Fault, SvcState } from "../../../abi/kernel";
import { k_boot, k_buf, k_poll } from "../../../kernel/main";
import { Buf } from "../../../abi/kernel";
import { opLoad, opUnload } from "../../../kernel/ctl/ops";
import { userByKey } from "../../../kernel/ctl/users";
import { svcByName, svcState, svcFaults, svcRestarts } from "../../../kernel/svc/registry";
import { schedRestartNow, svcTimer } from "../../../kernel/svc/sched";
import { markReady } from "../../../kernel/svc/ready";
import { hexBuf } from "../frames";
import { mfStart, mfEnd, mfNode, mfUser, mfUserPrefix, mfNic, mfPrefix } from "../manifest";
import { svcNext, svcDuring, svcCalls } from "../mock";
import { TEST_2 } from "../crypto/rfc8032";
import { BODY, loadBody, unloadBody, LOAD_NAME } from "../ctl/bodies";

const M: usize = memory.data(4096, 16);
let alice: i32 = -1;
/** What the service does from inside its next call: 1 UNLOAD itself, 2 a GRANT's restart. */
let act: i32 = 0;

export function duringCall(id: i32): void {
  if (act == 1) opUnload(alice, BODY, unloadBody("self.a.n1.test"));
  else if (act == 2) schedRestartNow(id);
  act = 0;
}

describe("a service stopped from inside its own call", () => {
  it("boots a node with a user", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    mfUser(TEST_2.pk, "alice", "a.n1.test");
    mfNic(0, 1500, "02:00:00:00:00:01");
    mfPrefix(0, 64, "fd00:b::");
    mfUserPrefix(TEST_2.pk, 112, "fd00:b::a:0");
    let len = mfEnd();
    memory.copy(<usize>k_buf(Buf.BOOT), M, <usize>len);
    expect(k_boot(len, 1000)).toBe(0);
    alice = userByKey(hexBuf(TEST_2.pk));
  });

  it("UNLOADs itself, then traps: the id is free, not a nameless RESTARTING service", () => {
    expect(opLoad(alice, BODY, loadBody("self.a.n1.test", "fd00:b::a:1"))).toBe(0);
    let id = svcByName(LOAD_NAME, 14);
    expect(id).toBeGreaterThanOrEqual(0);
    let calls = svcCalls();
    act = 1;
    svcDuring(true);
    svcNext(Fault.TRAP, 5);
    k_poll(1000);                                   // starts it: INIT runs, unloads, traps
    svcDuring(false);
    svcNext(Fault.NONE, 0);
    expect(svcCalls()).toBe(calls + 1, "its INIT was called");
    expect(svcState[id]).toBe(<u8>SvcState.EMPTY, "the id after the UNLOAD");
    expect(svcFaults[id]).toBe(0, "faults counted against the freed id");
    expect(opLoad(alice, BODY, loadBody("next.a.n1.test", "fd00:b::a:2"))).toBe(0);
    expect(svcByName(LOAD_NAME, 14)).toBe(id, "a LOAD takes the freed id again");
  });

  it("is restarted by a GRANT, then traps: no fault and no restart counted", () => {
    let id = svcByName(LOAD_NAME, 14);
    k_poll(1000);                                   // next.a.n1.test starts
    expect(svcState[id]).toBe(<u8>SvcState.RUNNING);
    let restarts = svcRestarts[id];
    let calls = svcCalls();
    act = 2;
    svcDuring(true);
    svcNext(Fault.TRAP, 5);
    svcTimer[id] = 1500;                            // its timer is due: it is called at 2000
    markReady(id);
    k_poll(2000);
    svcDuring(false);
    svcNext(Fault.NONE, 0);
    expect(svcCalls()).toBe(calls + 1, "its timer's call was made");
    expect(svcFaults[id]).toBe(0, "faults");
    expect(svcRestarts[id]).toBe(restarts, "restarts");
    expect(svcState[id]).toBe(<u8>SvcState.RESTARTING, "waits for its restart with the new RAM max");
  });
});
