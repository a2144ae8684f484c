// CPU grants (issue #5): each service's min and max share of a scheduling period, in fuel,
// and what it used in the current period. The scheduler (sched.ts) asks who is under its
// min (runs first), who is at its max (waits for the next period), and whether the period's
// capacity is spent (then only services under their min run). Calls cannot be preempted,
// so a service may overshoot its max by at most one call's budget (FUEL_PER_CALL).
import { SVC_MAX, CPU_PERIOD_MS, CPU_PERIOD_FUEL, CPU_SHARE_MAX } from "../param";
import { now } from "../clock";

const minPermille = new StaticArray<u16>(SVC_MAX);
const maxPermille = new StaticArray<u16>(SVC_MAX);
const minFuel = new StaticArray<i64>(SVC_MAX);
const maxFuel = new StaticArray<i64>(SVC_MAX);
export const cpuUsed = new StaticArray<i64>(SVC_MAX);   // fuel used in this period
let usedAll: i64 = 0;
let periodStart: i64 = -1;
// Fuel still owed to services under their min this period, kept as it changes (a grant, a
// charge, a new period) rather than summed over SVC_MAX services at every cpuMayRun: with
// 1,024 services that sum was the scheduler's cost per call (issue #17).
let owedAll: i64 = 0;

// @ts-ignore: decorator
@inline function owedBy(svc: i32): i64 {
  let d = unchecked(minFuel[svc]) - unchecked(cpuUsed[svc]);
  return d > 0 ? d : 0;
}

/** A grant in permille of the period (max 0 means all of it). */
export function cpuGrant(svc: i32, min: i32, max: i32): void {
  if (max == 0) max = CPU_SHARE_MAX;
  owedAll -= owedBy(svc);
  unchecked(minPermille[svc] = <u16>min);
  unchecked(maxPermille[svc] = <u16>max);
  unchecked(minFuel[svc] = <i64>CPU_PERIOD_FUEL * min / CPU_SHARE_MAX);
  unchecked(maxFuel[svc] = <i64>CPU_PERIOD_FUEL * max / CPU_SHARE_MAX);
  owedAll += owedBy(svc);
}

export function cpuMinPermille(svc: i32): i32 { return <i32>unchecked(minPermille[svc]); }
export function cpuMaxPermille(svc: i32): i32 { return <i32>unchecked(maxPermille[svc]); }

/** Every service gets min 0 and max all (boot, and a refused boot). */
export function cpuReset(): void {
  for (let s = 0; s < SVC_MAX; s++) cpuGrant(s, 0, CPU_SHARE_MAX);
}

/** Start a new period if the last one is over. */
export function cpuTick(): void {
  if (periodStart >= 0 && now < periodStart + CPU_PERIOD_MS) return;
  periodStart = now;
  usedAll = 0;
  owedAll = 0;
  for (let s = 0; s < SVC_MAX; s++) {   // once a period (CPU_PERIOD_MS), not per poll
    unchecked(cpuUsed[s] = 0);
    owedAll += unchecked(minFuel[s]);
  }
}

export function cpuPeriodEnd(): i64 { return periodStart + CPU_PERIOD_MS; }
export function cpuUnderMin(svc: i32): bool { return unchecked(cpuUsed[svc]) < unchecked(minFuel[svc]); }

/** Fuel still owed to services under their min this period: kept back from the others. */
export function cpuOwed(): i64 { return owedAll; }

/** May svc run now: under its min, or under its max while the period has capacity left
 *  beyond what the others' mins still need? */
export function cpuMayRun(svc: i32): bool {
  if (cpuUnderMin(svc)) return true;
  return unchecked(cpuUsed[svc]) < unchecked(maxFuel[svc]) && usedAll + owedAll < CPU_PERIOD_FUEL;
}

export function cpuCharge(svc: i32, fuel: i64): void {
  owedAll -= owedBy(svc);
  unchecked(cpuUsed[svc] += fuel);
  owedAll += owedBy(svc);
  usedAll += fuel;
}
