// kernel/svc/sched.ts against the mock host's scripted svc_call: every call gets the
// FUEL_PER_CALL budget, the fuel each call used is added to the service's counter (and
// shows in its k_status SVC record), and a call that ran out of fuel (Fault.FUEL) is a
// fault like a trap: stopped, counted, restarted after the first backoff.
import { Buf, Fault, SvcState } from "../../../abi/kernel";
import * as S from "../../../abi/status";
import { FUEL_PER_CALL, RESTART_BACKOFF_MS } from "../../../kernel/param";
import { k_poll, k_status, k_buf } from "../../../kernel/main";
import { svcState, svcFaults, svcLastFault, svcRestarts, svcFuel } from "../../../kernel/svc/registry";
import { svcTimer } from "../../../kernel/svc/sched";
import { markReady } from "../../../kernel/svc/ready";
import { mfStart, mfEnd, mfNode, mfService } from "../manifest";
import { bootFrom } from "../drive";
import { svcNext, svcFuelGiven, svcCalls } from "../mock";

const M: usize = memory.data(1024, 16);
const T0: i64 = 1000;

/** The fuel counter of service 0's SVC record in a fresh k_status snapshot (-1 if none). */
function statusFuel(): i64 {
  let len = k_status();
  let p = <usize>k_buf(Buf.STATUS);
  let at = 8;
  for (let i = 0; i < <i32>load<u16>(p + 6); i++) {
    let r = p + <usize>at;
    if (load<u8>(r) == S.St.SVC && load<u8>(r + 4 + S.SS_ID) == 0) return load<i64>(r + 4 + S.SS_FUEL);
    at += 4 + <i32>load<u16>(r + 2);
    if (at >= len) break;
  }
  return -1;
}

describe("the scheduler's fuel", () => {
  it("boots one service (restart limit 3)", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    mfService(0, "spin.sabz.city");
    expect(bootFrom(M, mfEnd(), T0)).toBe(0);
  });

  it("gives persia_init the per-call budget and counts what it used", () => {
    svcNext(Fault.NONE, 1234);
    k_poll(T0);
    expect(svcCalls()).toBe(1);
    expect(svcFuelGiven()).toBe(FUEL_PER_CALL);
    expect(svcState[0]).toBe(<u8>SvcState.RUNNING);
    expect(svcFuel[0]).toBe(1234);
    expect(statusFuel()).toBe(1234);
  });

  it("treats a call that ran out of fuel as a fault, and still counts its fuel", () => {
    svcNext(Fault.FUEL, FUEL_PER_CALL + 1);
    svcTimer[0] = T0 + 1;                    // the timer makes persia_event due
    markReady(0);                            // as the timer syscall does (kernel/svc/ready.ts)
    k_poll(T0 + 1);
    expect(svcCalls()).toBe(2);
    expect(svcFuelGiven()).toBe(FUEL_PER_CALL);
    expect(svcState[0]).toBe(<u8>SvcState.RESTARTING);
    expect(svcFaults[0]).toBe(1);
    expect(svcLastFault[0]).toBe(<u8>Fault.FUEL);
    expect(svcFuel[0]).toBe(<u64>(1234 + FUEL_PER_CALL + 1));
  });

  it("restarts it after the first backoff with a fresh budget", () => {
    svcNext(Fault.NONE, 10);
    k_poll(T0 + RESTART_BACKOFF_MS);
    expect(svcState[0]).toBe(<u8>SvcState.RESTARTING);
    k_poll(T0 + 1 + RESTART_BACKOFF_MS);
    expect(svcState[0]).toBe(<u8>SvcState.RUNNING);
    expect(svcRestarts[0]).toBe(1);
    expect(svcCalls()).toBe(3);
    expect(svcFuelGiven()).toBe(FUEL_PER_CALL);
    expect(statusFuel()).toBe(1234 + FUEL_PER_CALL + 1 + 10);
  });
});
