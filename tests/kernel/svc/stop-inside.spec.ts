// A service stopped from inside its own call (kernel/svc/sched.ts call()): it UNLOADs itself,
// or a GRANT restarts it with a new RAM max, and then the host reports that call's fault.
// The kernel must not take that fault as the service's: an UNLOADed id would become a
// RESTARTING service with no name that nothing can UNLOAD and no LOAD is offered again, and
// a restarted service would count a restart and a fault it never had. The mock host calls
// duringCall(id) below from inside svc_call (mock.svc_during).
import { Fault, SvcState } from "../../../abi/kernel";
import { Errno } from "../../../abi/errno";
import { Sys } from "../../../abi/syscalls";
import { CapKind } from "../../../abi/caps";
import { sys } from "../../../kernel/svc/syscall";
import { k_poll } from "../../../kernel/main";
import { opLoad, opUnload } from "../../../kernel/ctl/ops";
import { svcByName, svcState, svcFaults, svcRestarts } from "../../../kernel/svc/registry";
import { schedRestartNow, svcTimer } from "../../../kernel/svc/sched";
import { markReady } from "../../../kernel/svc/ready";
import { svcNext, svcDuring, svcCalls } from "../mock";
import { BODY, loadBody, unloadBody, LOAD_NAME, bootAlice, alice } from "../ctl/bodies";

/** What the service does from inside its next call: 1 UNLOAD itself, 2 a GRANT's restart,
 *  3 UNLOAD itself and LOAD another service, which takes its id, then make a syscall. */
let act: i32 = 0;
let staleId: i32 = -1;
let staleResult: i32 = 0;

export function duringCall(id: i32): void {
  if (act == 1) opUnload(alice, BODY, unloadBody("self.a.n1.test"));
  else if (act == 2) schedRestartNow(id);
  else if (act == 3) {
    if (id != staleId) return;
    opUnload(alice, BODY, unloadBody("stale.a.n1.test"));
    opLoad(alice, BODY, loadBody("other.a.n1.test", "fd00:b::a:4"));
    // The stopped instance's code runs on: its syscalls must not act for the new service.
    staleResult = sys(id, Sys.CAP_FIND, CapKind.ADDR, 0, 0, 0, 0);
  }
  act = 0;
}

describe("a service stopped from inside its own call", () => {
  it("boots a node with a user", () => {
    expect(bootAlice(false)).toBe(0);
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

  it("UNLOADs itself and LOADs another service into its id: its own syscalls after that are refused", () => {
    k_poll(2500);                                   // next.a.n1.test restarts, with no act
    expect(opLoad(alice, BODY, loadBody("stale.a.n1.test", "fd00:b::a:3"))).toBe(0);
    staleId = svcByName(LOAD_NAME, 15);
    expect(staleId).toBeGreaterThanOrEqual(0);
    act = 3;
    staleResult = 0;
    svcDuring(true);
    k_poll(3000);                                   // starts it: INIT runs and does act 3
    svcDuring(false);
    expect(act).toBe(0, "act 3 ran inside stale.a.n1.test's call");
    expect(svcByName(LOAD_NAME, 15)).toBe(staleId, "other.a.n1.test took the freed id");
    expect(staleResult).toBe(-Errno.EPERM, "a syscall of the stopped instance, after the id was given to another");
    expect(sys(staleId, Sys.CAP_FIND, CapKind.ADDR, 0, 0, 0, 0)).toBeGreaterThanOrEqual(0, "the new service's own syscalls work");
  });
});
