// Running services: start each at boot, call persia_event when it has packets queued or
// its timer is due, and contain faults — a trapping service is stopped, counted and
// restarted after a backoff that doubles per restart, until its restart limit; then it
// stays down (FAILED) and its queue is dropped. Every call runs under a fuel budget, and
// a call that uses it up (Fault.FUEL) is a fault like any other; the fuel each call
// consumed is counted per service. The kernel and every other service go on.
// Called from k_poll; control messages add, restart and forget services (kernel/ctl/).
import { SVC_MAX, RESTART_BACKOFF_MS, RESTART_BACKOFF_MAX_MS, FUEL_PER_CALL } from "../param";
import { SvcState, Fault, Entry, LogLevel } from "../../abi/kernel";
import { now, earliest } from "../clock";
import { logStart, logStr, logBytes, logInt, logEnd } from "../log";
import { host_svc_start, host_svc_stop, host_svc_call, host_svc_fuel_used } from "../../abi/gen/host";
import { svcState, svcName, svcNameLen, svcFaults, svcLastFault, svcRestarts,
  svcRestartLimit, svcFuel } from "./registry";
import { queueDepth, queueFlush, svcWoken } from "./queue";
import { usbAny, usbPending, usbStop, usbStart } from "./usb";
import { cpuTick, cpuUnderMin, cpuMayRun, cpuCharge, cpuPeriodEnd } from "./cpu";
import { READY_WORDS, readyAbove, markReady, clearReady } from "./ready";

export const svcTimer = new StaticArray<i64>(SVC_MAX);      // 0: no timer
const nextStart = new StaticArray<i64>(SVC_MAX);
const everStarted = new StaticArray<bool>(SVC_MAX);
const ranRound = new StaticArray<i32>(SVC_MAX);          // the round it was last called in
let round: i32 = 0;                                      // runServices calls so far
/** Bumped whenever a service's instance is stopped other than by its own fault (a GRANT's
 *  restart, an UNLOAD), so a call can tell that it was stopped from inside. */
const svcEpoch = new StaticArray<u32>(SVC_MAX);
/** The service whose call or start runs now (-1: none), and its epoch when it began. */
let callSvc: i32 = -1;
let callEpoch: u32 = 0;
const backoffFirst = new StaticArray<i64>(SVC_MAX);      // delay before the first restart
const backoffMax = new StaticArray<i64>(SVC_MAX);        // the delay doubles up to this

/** A service's restart backoff: the manifest's RESTART record, or the defaults. */
export function schedBackoff(svc: i32, first: i64, max: i64): void {
  unchecked(backoffFirst[svc] = first);
  unchecked(backoffMax[svc] = max);
}

function logSvc(level: LogLevel, svc: i32, what: string, n: i64): void {
  logStart();
  logStr("service ");
  logBytes(svcName(svc), <i32>unchecked(svcNameLen[svc]));
  logStr(what);
  if (n >= 0) logInt(n);
  logEnd(level);
}

function fault(svc: i32, kind: i32): void {
  host_svc_stop(svc);
  usbStop(svc);
  unchecked(svcFaults[svc]++);
  unchecked(svcLastFault[svc] = <u8>kind);
  unchecked(svcTimer[svc] = 0);
  let restarts = <i32>unchecked(svcRestarts[svc]);
  // A module the loader refused can never start: no point in retrying it.
  if (kind == Fault.BAD_MODULE || restarts >= <i32>unchecked(svcRestartLimit[svc])) {
    unchecked(svcState[svc] = <u8>SvcState.FAILED);
    queueFlush(svc);
    logSvc(LogLevel.ERROR, svc, " faulted and is over its restart limit; it stays down. Restarts: ", restarts);
    return;
  }
  let backoff = unchecked(backoffFirst[svc]) << <i64>min(restarts, 16);
  if (backoff > unchecked(backoffMax[svc])) backoff = unchecked(backoffMax[svc]);
  unchecked(svcState[svc] = <u8>SvcState.RESTARTING);
  unchecked(nextStart[svc] = now + backoff);
  markReady(svc);
  logSvc(LogLevel.WARN, svc, " faulted; restarting in ms: ", backoff);
}

/** Is svc's running call or start one whose instance was stopped from inside it (it UNLOADed
 *  itself, maybe LOADing another service into its id, or a GRANT restarted it)? Its code runs
 *  on until the call returns, but it is no longer the id's: sys() refuses its syscalls, which
 *  would otherwise act with the capabilities of whatever the id holds now. */
export function callStale(svc: i32): bool {
  return svc == callSvc && unchecked(svcEpoch[svc]) != callEpoch;
}

/** Run one entry point under the call budget, count the fuel it used, contain its fault. */
function call(svc: i32, entry: Entry): void {
  let epoch = unchecked(svcEpoch[svc]);
  let prevSvc = callSvc, prevEpoch = callEpoch;
  callSvc = svc; callEpoch = epoch;
  let f = host_svc_call(svc, entry, FUEL_PER_CALL);
  callSvc = prevSvc; callEpoch = prevEpoch;
  // Stopped from inside its own call (it UNLOADed itself, or its GRANT changed its RAM max):
  // its instance is gone, and what the host reports of the call belongs to no running
  // service. Taken as a fault it would turn a freed id into a RESTARTING service with no
  // name, which nothing can UNLOAD and the free-id mask never offers again; its fuel would
  // count against the next service LOADed into the id.
  if (unchecked(svcEpoch[svc]) != epoch) return;
  let used = host_svc_fuel_used(svc);
  if (used > 0) { unchecked(svcFuel[svc] += <u64>used); cpuCharge(svc, used); }
  if (f != Fault.NONE) fault(svc, f);
}

function start(svc: i32): void {
  if (unchecked(everStarted[svc])) unchecked(svcRestarts[svc]++);
  unchecked(everStarted[svc] = true);
  usbStart(svc);
  let epoch = unchecked(svcEpoch[svc]);
  let prevSvc = callSvc, prevEpoch = callEpoch;
  callSvc = svc; callEpoch = epoch;
  let f = host_svc_start(svc);
  callSvc = prevSvc; callEpoch = prevEpoch;
  // Stopped from inside its own start function (as call() above): the id is free or waits
  // for its GRANT's restart, and neither RUNNING nor the start's fault belongs to it.
  if (unchecked(svcEpoch[svc]) != epoch) return;
  if (f != Fault.NONE) { fault(svc, f); return; }
  unchecked(svcState[svc] = <u8>SvcState.RUNNING);
  call(svc, Entry.INIT);
}

/** Start due services, then run every service that has work: first those under their CPU
 *  min, then the others while their max and the period's capacity allow (cpu.ts). Returns
 *  the next time the scheduler needs to run: now if a packet reached a service after its
 *  turn in this round (another service sent it one), else its timers, restarts and the end
 *  of the CPU period for a service that waits, or -1. A service that leaves packets queued
 *  without new arrivals waits for them or its timer: no busy loop. */
export function runServices(): i64 {
  cpuTick();
  round++;
  for (let w = 0; w < READY_WORDS; w++) {
    let bits = readyAbove(w, -1);
    while (bits != 0) {
      let k = <i32>ctz(bits);
      bits &= bits - 1;
      let svc = (w << 5) + k;
      if (unchecked(svcState[svc]) == SvcState.RESTARTING && unchecked(nextStart[svc]) <= now) start(svc);
    }
  }
  let next: i64 = -1;
  for (let pass = 0; pass < 2; pass++) {
    for (let w = 0; w < READY_WORDS; w++) {
      // Bits set during the round (a service sent another one a packet) are seen when they
      // are above the one just run, as the scan in id order saw them before.
      let bits = readyAbove(w, -1);
      while (bits != 0) {
        let k = <i32>ctz(bits);
        let svc = (w << 5) + k;
        runOne(svc, pass);
        if (runNext >= 0) next = earliest(next, runNext);
        bits = readyAbove(w, k);
      }
    }
  }
  for (let w = 0; w < READY_WORDS; w++) {
    let bits = readyAbove(w, -1);
    while (bits != 0) {
      let k = <i32>ctz(bits);
      bits &= bits - 1;
      let svc = (w << 5) + k;
      let st = <i32>unchecked(svcState[svc]);
      if (st == SvcState.RUNNING && unchecked(svcWoken[svc]) && cpuMayRun(svc)) return now;
      let t: i64 = st == SvcState.RUNNING ? unchecked(svcTimer[svc]) :
        st == SvcState.RESTARTING ? unchecked(nextStart[svc]) : 0;
      if (t != 0) next = earliest(next, t);
    }
  }
  return next;
}

let runNext: i64 = -1;

/** One service's turn in a pass of runServices: call it if it has work and its grant lets
 *  it; forget its ready bit if it has nothing to do and no timer (it is set again when a
 *  packet, an event or a restart comes). Sets runNext to when it may run again, or -1. */
function runOne(svc: i32, pass: i32): void {
  runNext = -1;
  let st = <i32>unchecked(svcState[svc]);
  if (st != SvcState.RUNNING) {
    if (st != SvcState.RESTARTING) clearReady(svc);   // EMPTY or FAILED: nothing to come
    return;
  }
  if (unchecked(ranRound[svc]) == round) return;
  if (pass == 0 && !cpuUnderMin(svc)) return;
  let t = unchecked(svcTimer[svc]);
  let due = t != 0 && t <= now;
  if (queueDepth(svc) == 0 && !due && !(usbAny && usbPending(svc))) {
    // Woken, but what woke it is gone (it read its own packet during its own call): nothing
    // is left to call it for, so the flag must not keep every poll returning "now".
    unchecked(svcWoken[svc] = false);
    if (t == 0) clearReady(svc);
    return;
  }
  if (!cpuMayRun(svc)) { runNext = cpuPeriodEnd(); return; }
  if (due) unchecked(svcTimer[svc] = 0);
  unchecked(svcWoken[svc] = false);
  unchecked(ranRound[svc] = round);
  call(svc, Entry.EVENT);
}


/** Services are registered RESTARTING and started by the first runServices() (at boot, and
 *  after a LOAD). */
export function schedBoot(svc: i32): void { unchecked(nextStart[svc] = now); markReady(svc); }

/** Start svc afresh at the next poll (a GRANT changed its RAM max), without counting a
 *  restart. Its instance is stopped now. */
export function schedRestartNow(svc: i32): void {
  unchecked(svcEpoch[svc]++);
  host_svc_stop(svc);
  usbStop(svc);
  unchecked(svcTimer[svc] = 0);
  unchecked(everStarted[svc] = false);
  unchecked(svcState[svc] = <u8>SvcState.RESTARTING);
  unchecked(nextStart[svc] = now);
  markReady(svc);
}

/** Forget svc's scheduling state (UNLOAD): no timer, default backoff, never started. */
export function schedForget(svc: i32): void {
  unchecked(svcEpoch[svc]++);
  unchecked(svcTimer[svc] = 0);
  unchecked(everStarted[svc] = false);
  unchecked(ranRound[svc] = 0);
  schedBackoff(svc, RESTART_BACKOFF_MS, RESTART_BACKOFF_MAX_MS);
}

export function backoffFirstMs(svc: i32): i64 { return unchecked(backoffFirst[svc]); }
export function backoffMaxMs(svc: i32): i64 { return unchecked(backoffMax[svc]); }

/** Every service back to the default backoff (boot, and a refused boot). */
export function schedReset(): void {
  for (let s = 0; s < SVC_MAX; s++) schedBackoff(s, RESTART_BACKOFF_MS, RESTART_BACKOFF_MAX_MS);
}
