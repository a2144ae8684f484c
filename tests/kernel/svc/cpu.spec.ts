// kernel/svc/cpu.ts, the CPU grants of spec/kernel.md ("CPU grants"), on the kernel's
// clock: each period of 100 ms has a capacity of 10^9 units of fuel (both figures from the
// spec, not from param.ts, so a drifted constant fails here). First the module alone: a
// grant is its share of that capacity; a service under its min may always run; the others
// run while under their max and while the capacity left covers the mins still owed; the
// period starts at the first tick and ends exactly 100 ms later. Then through the
// scheduler (k_poll, the mock host's svc_call): three services that always want to run,
// capped (max 20 %), first (min 50 %) and free (no grant), checked at every poll and at
// the end of each period: a service under its min is called first; a max is reached and
// overshot by less than the service's last call (so by at most FUEL_PER_CALL); a min is
// met; the period's capacity is overshot by less than two calls; with calls of 1 % of a
// period the shares are exactly 20, 50 and 30 %.
import { Fault } from "../../../abi/kernel";
import { FUEL_PER_CALL } from "../../../kernel/param";
import { setNow } from "../../../kernel/clock";
import { cpuGrant, cpuReset, cpuTick, cpuMayRun, cpuUnderMin, cpuCharge, cpuUsed, cpuPeriodEnd,
  cpuMinPermille, cpuMaxPermille } from "../../../kernel/svc/cpu";
import { k_poll } from "../../../kernel/main";
import { svcFuel } from "../../../kernel/svc/registry";
import { svcTimer } from "../../../kernel/svc/sched";
import { markReady } from "../../../kernel/svc/ready";
import { mfStart, mfEnd, mfNode, mfService, mfCpu } from "../manifest";
import { bootFrom } from "../drive";
import { svcNext, svcCalls, svcCalled } from "../mock";
import { CPU_PERIOD_FUEL, CPU_PERIOD_MS } from "../../../abi/limits";

const PERIOD_MS: i64 = <i64>CPU_PERIOD_MS;     // spec/kernel.md
const CAPACITY: i64 = <i64>CPU_PERIOD_FUEL;    // spec/kernel.md: 10^9 units
const M: usize = memory.data(1024, 16);

/** The fuel of a share in permille of the period. */
function share(permille: i64): i64 { return CAPACITY * permille / 1000; }

describe("cpu.ts alone", () => {
  it("gives every service min 0 and max all of the period after a reset", () => {
    cpuReset();
    setNow(1000);
    cpuTick();
    expect(cpuMinPermille(3)).toBe(0);
    expect(cpuMaxPermille(3)).toBe(1000);
    cpuCharge(3, CAPACITY - 1);
    expect(cpuMayRun(3)).toBe(true);
    cpuCharge(3, 1);
    expect(cpuMayRun(3)).toBe(false);
  });

  it("starts the period at the first tick and ends it exactly 100 ms later, counters zeroed", () => {
    setNow(1099);
    cpuTick();
    expect(cpuUsed[3]).toBe(CAPACITY);
    expect(cpuPeriodEnd()).toBe(1000 + PERIOD_MS);
    setNow(1100);
    cpuTick();
    expect(cpuUsed[3]).toBe(0);
    expect(cpuMayRun(3)).toBe(true);
    expect(cpuPeriodEnd()).toBe(1100 + PERIOD_MS);
    setNow(1250);                            // a late tick starts the next period then
    cpuTick();
    expect(cpuPeriodEnd()).toBe(1250 + PERIOD_MS);
  });

  it("lets a service run while under its max: a max 0 grant means all of the period", () => {
    cpuGrant(0, 0, 200);
    cpuGrant(1, 0, 0);
    expect(cpuMaxPermille(1)).toBe(1000);
    cpuCharge(0, share(200) - 1);
    expect(cpuMayRun(0)).toBe(true);
    cpuCharge(0, 1);
    expect(cpuMayRun(0)).toBe(false);
    expect(cpuMayRun(1)).toBe(true);
  });

  it("lets a service under its min run even when the period's capacity is spent", () => {
    setNow(1400);
    cpuTick();
    cpuGrant(0, 0, 0);
    cpuGrant(2, 300, 400);
    cpuCharge(0, CAPACITY);
    expect(cpuUnderMin(2)).toBe(true);
    expect(cpuMayRun(2)).toBe(true);
    expect(cpuMayRun(0)).toBe(false);
    cpuCharge(2, share(300) - 1);
    expect(cpuMayRun(2)).toBe(true);
    cpuCharge(2, 1);
    expect(cpuUnderMin(2)).toBe(false);
    expect(cpuMayRun(2)).toBe(false);         // at its min, and no capacity left
  });

  it("keeps back the capacity still owed to the mins from the others", () => {
    setNow(1500);
    cpuTick();
    cpuGrant(0, 0, 0);                        // no grant
    cpuGrant(2, 300, 400);                    // 3 * 10^8 owed until it runs
    cpuCharge(0, CAPACITY - share(300) - 1);
    expect(cpuMayRun(0)).toBe(true);
    cpuCharge(0, 1);
    expect(cpuMayRun(0)).toBe(false);         // the rest is service 2's
    cpuCharge(2, share(100));
    expect(cpuMayRun(0)).toBe(false);         // it used its own: still owed 2 * 10^8
    expect(cpuMayRun(2)).toBe(true);
    cpuReset();
  });
});

// Through the scheduler. Services 0 capped (max 20 %), 1 first (min 50 %), 2 free.
const SVCS = 3;
const MAXES: StaticArray<i64> = [200, 1000, 1000];
const MINS: StaticArray<i64> = [0, 500, 0];
const lastCall = new StaticArray<i64>(SVCS);     // fuel of each service's last call
const before = new StaticArray<u64>(SVCS);

let seed: u32 = 5;
/** A number in [0, n), from a seeded generator. */
function rand(n: u32): u32 { seed = seed * 1103515245 + 12345; return <u32>((<u64>seed * <u64>n) >> 32); }

function boot(t: i64): void {
  mfStart(M);
  mfNode(0, "n1.test");
  mfService(0, "capped.sabz.city");
  mfService(1, "first.sabz.city");
  mfService(2, "free.sabz.city");
  mfCpu(0, 0, 200);
  mfCpu(1, 500, 0);
  svcNext(Fault.NONE, 0);                   // persia_init uses no fuel
  expect(bootFrom(M, mfEnd(), t)).toBe(0);
  k_poll(t);
}

/** Poll at t with every service due and each call using `fuel`; remember each one's call.
 *  False if a service under its min was not the first called (it runs first each round). */
function pollAll(t: i64, fuel: i64): bool {
  for (let s = 0; s < SVCS; s++) { svcTimer[s] = t; markReady(s); before[s] = svcFuel[s]; }   // markReady: as the timer syscall does
  svcNext(Fault.NONE, fuel);
  let owed = cpuUnderMin(1) && t < cpuPeriodEnd();
  let calls = svcCalls();
  k_poll(t);
  if (owed && svcCalled(calls) != 1) { trace("first was not called first at", 1, <f64>t); return false; }
  for (let s = 0; s < SVCS; s++) {
    let d = <i64>(svcFuel[s] - before[s]);
    if (d > 0) lastCall[s] = d;           // at most one call a service a poll
  }
  return true;
}

/** The bounds that hold at every poll: a service ran only while under its max, so it is
 *  over it by less than its last call, and never by more than FUEL_PER_CALL. */
function withinMax(): bool {
  for (let s = 0; s < SVCS; s++) {
    let max = share(MAXES[s]);
    if (cpuUsed[s] - lastCall[s] >= max || cpuUsed[s] > max + FUEL_PER_CALL) {
      trace("over its max: service, used, last call", 3, <f64>s, <f64>cpuUsed[s], <f64>lastCall[s]);
      return false;
    }
  }
  return true;
}

/** At the end of a period: every min was met, capped reached its max if `reached` (it wants
 *  more, and the capacity has room for it), and the capacity was overshot by less than two
 *  calls (the last one beyond the mins, and the min service's last). */
function periodDone(biggest: i64, reached: bool): bool {
  let all: i64 = 0;
  for (let s = 0; s < SVCS; s++) {
    all += cpuUsed[s];
    if (cpuUsed[s] < share(MINS[s])) { trace("under its min: service, used", 2, <f64>s, <f64>cpuUsed[s]); return false; }
  }
  if (reached && cpuUsed[0] < share(MAXES[0])) { trace("capped under its max: used", 1, <f64>cpuUsed[0]); return false; }
  if (all >= CAPACITY + 2 * biggest) { trace("over the capacity: used", 1, <f64>all); return false; }
  return true;
}

describe("the scheduler holds the grants, every period", () => {
  it("with calls of 1 % of a period: capped 20 %, first 50 %, free the other 30 %", () => {
    let t0: i64 = 10000;
    boot(t0);
    let c = CAPACITY / 100;
    let ok = true;
    for (let period = 0; ok && period < 10; period++) {
      for (let t = t0 + period * PERIOD_MS + 1; ok && t < t0 + (period + 1) * PERIOD_MS; t++) {
        ok = pollAll(t, c) && withinMax();
      }
      ok = ok && periodDone(c, true);
      if (ok) {
        expect(cpuUsed[0]).toBe(share(200));
        expect(cpuUsed[1]).toBe(share(500));
        expect(cpuUsed[2]).toBe(share(300));
      }
      expect(cpuPeriodEnd()).toBe(t0 + (period + 1) * PERIOD_MS);
      ok = pollAll(t0 + (period + 1) * PERIOD_MS, c) && ok;   // the next period: counters start again
      expect(cpuUsed[0]).toBe(c);
    }
    expect(ok).toBe(true);
  });

  it("with calls of any size up to the whole budget, over 100 periods", () => {
    let t0: i64 = 20000;
    let ok = true;
    let biggest: i64 = 0;
    setNow(t0);
    pollAll(t0, 0);                           // a new period starts here
    for (let period = 0; ok && period < 100; period++) {
      biggest = 0;
      for (let t = t0 + period * PERIOD_MS + 1; ok && t < t0 + (period + 1) * PERIOD_MS; t++) {
        let fuel = 1 + <i64>rand(<u32>FUEL_PER_CALL);
        if (fuel > biggest) biggest = fuel;
        ok = pollAll(t, fuel) && withinMax();
      }
      ok = ok && periodDone(biggest, false);
      ok = pollAll(t0 + (period + 1) * PERIOD_MS, 0) && ok;
    }
    expect(ok).toBe(true);
  });
});
