// A service stopped from inside its own start function (kernel/svc/sched.ts start()): its
// start function UNLOADs it, or a GRANT restarts it with a new RAM max, and then the host
// reports the start's result. As for a call stopped from inside (stop-inside.spec.ts), the
// kernel must not act on it: marked RUNNING, an UNLOADed id would be a running service with
// no name (its INIT called on no instance) that nothing can UNLOAD and no LOAD is offered
// again; taken as a fault, a RESTARTING one. The mock host calls duringStart(id) below from
// inside svc_start (mock.svc_during) and returns what mock.svc_start_next set.
import { Fault, SvcState } from "../../../abi/kernel";
import { k_poll } from "../../../kernel/main";
import { opLoad, opUnload } from "../../../kernel/ctl/ops";
import { svcByName, svcState, svcFaults, svcRestarts } from "../../../kernel/svc/registry";
import { schedRestartNow } from "../../../kernel/svc/sched";
import { svcNext, svcDuring, svcStartNext, svcCalls } from "../mock";
import { BODY, loadBody, unloadBody, LOAD_NAME, bootAlice, alice } from "../ctl/bodies";

/** What the service does from inside its next start: 1 UNLOAD itself, 2 a GRANT's restart. */
let act: i32 = 0;

export function duringCall(id: i32): void {}
export function duringStart(id: i32): void {
  if (act == 1) opUnload(alice, BODY, unloadBody("self.a.n1.test"));
  else if (act == 2) schedRestartNow(id);
  act = 0;
}

/** Start the LOADed service with `what` done inside its start, which then returns `f`. */
function startWith(what: i32, f: i32, at: i64): void {
  act = what;
  svcDuring(true);
  svcStartNext(f);
  svcNext(Fault.NONE, 0);
  k_poll(at);
  svcDuring(false);
  svcStartNext(Fault.NONE);
}

describe("a service stopped from inside its own start function", () => {
  it("boots a node with a user", () => {
    expect(bootAlice(false)).toBe(0);
  });

  it("UNLOADs itself, the start succeeds: the id is free, not RUNNING, and its INIT is not called", () => {
    expect(opLoad(alice, BODY, loadBody("self.a.n1.test", "fd00:b::a:1"))).toBe(0);
    let id = svcByName(LOAD_NAME, 14);
    expect(id).toBeGreaterThanOrEqual(0);
    let calls = svcCalls();
    startWith(1, Fault.NONE, 1000);
    expect(svcState[id]).toBe(<u8>SvcState.EMPTY, "the id after the UNLOAD");
    expect(svcCalls()).toBe(calls, "calls made to the unloaded id");
    expect(opLoad(alice, BODY, loadBody("next.a.n1.test", "fd00:b::a:2"))).toBe(0);
    expect(svcByName(LOAD_NAME, 14)).toBe(id, "a LOAD takes the freed id again");
    expect(opUnload(alice, BODY, unloadBody("next.a.n1.test"))).toBe(0);
  });

  it("UNLOADs itself, then its start traps: the id is free, no fault counted", () => {
    expect(opLoad(alice, BODY, loadBody("self.a.n1.test", "fd00:b::a:1"))).toBe(0);
    let id = svcByName(LOAD_NAME, 14);
    expect(id).toBeGreaterThanOrEqual(0);
    startWith(1, Fault.TRAP, 2000);
    expect(svcState[id]).toBe(<u8>SvcState.EMPTY, "the id after the UNLOAD");
    expect(svcFaults[id]).toBe(0, "faults counted against the freed id");
    expect(opLoad(alice, BODY, loadBody("next.a.n1.test", "fd00:b::a:2"))).toBe(0);
    expect(svcByName(LOAD_NAME, 14)).toBe(id, "a LOAD takes the freed id again");
  });

  it("is restarted by a GRANT, then its start traps: no fault, no restart, and it starts again", () => {
    let id = svcByName(LOAD_NAME, 14);
    let restarts = svcRestarts[id];
    let calls = svcCalls();
    startWith(2, Fault.TRAP, 3000);
    expect(svcFaults[id]).toBe(0, "faults");
    expect(svcRestarts[id]).toBe(restarts, "restarts");
    expect(svcState[id]).toBe(<u8>SvcState.RESTARTING, "waits for its restart with the new RAM max");
    expect(svcCalls()).toBe(calls, "INIT of the stopped instance");
    k_poll(3001);
    expect(svcState[id]).toBe(<u8>SvcState.RUNNING, "started again");
    expect(svcCalls()).toBe(calls + 1, "its INIT, once");
  });
});
