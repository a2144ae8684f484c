// The event loop of a node under wasmtime: poll the kernel, send what it queued, print
// status lines when due, then wait in wasi:io/poll for the first of: a datagram on any NIC,
// room to send on a NIC that had none, or a timer at the earliest of the kernel's deadline,
// the next status line and the end of --for. Received datagrams go to the kernel in
// batches, each batch followed by a k_poll. Time is ms since run() began (clockStart).
// When --for has passed the node stops gracefully: the loop goes on with k_stop in place of
// k_poll (receiving, answering) until the kernel says the stop is done — a router's final
// RAs went out — or STOP_MAX_MS passed. Without --for it runs until wasmtime is killed,
// which stops it at once (WASI has no signals to catch).
// Does not allocate: the pollable list and its owners are fixed tables; the timer pollable
// is dropped after every wait.
// Used by main.ts.
import { wasi_clock_now, wasi_clock_subscribe, wasi_poll, wasi_pollable_drop, wasi_wall_now, k_poll, k_stop } from "../../abi/gen/shim";
import { NIC_MAX } from "../../abi/limits";
import { STOP_MAX_MS } from "../../abi/kernel";
import { LIST_PTR, LIST_LEN } from "./cabi";
import { arenaMark, arenaRelease, RET } from "./arena";
import { forMs, statusEveryMs, quiet } from "./args";
import { nicCount } from "./config";
import { nic } from "./nic";
import { flushAll, receiveBatch, printCounters, printHostLine } from "./vxlan";
import { printStatus } from "./status";

const NS_PER_MS: i64 = 1_000_000;
const MAX_WAIT_NS: i64 = 60_000 * NS_PER_MS;  // longest wait: the loop turns even with nothing to do
const BATCHES_PER_WAKE: i32 = 64;             // receive batches per NIC before timers are looked at again
const POLL_MAX: i32 = 2 * NIC_MAX + 1;        // each NIC's incoming and outgoing, and the timer
const POLLS: usize = memory.data(POLL_MAX * 4, 4);   // pollable handles, as wasi poll takes them
const OWNER: usize = memory.data(POLL_MAX * 4, 4);   // the NIC index whose datagrams a pollable signals, or -1

let t0: i64 = 0;

export function clockStart(): void {
  t0 = wasi_clock_now();
}

/** Milliseconds since run() began: the kernel's clock. */
export function nowMs(): i64 {
  return (wasi_clock_now() - t0) / NS_PER_MS;
}

/** The Unix time in ms at kernel time 0, for k_epoch: the wall clock (wasi:clocks/wall-clock
 *  datetime: u64 seconds, u32 nanoseconds at RET) less the kernel's clock. */
export function epochMs(): i64 {
  wasi_wall_now(<i32>RET);
  return load<i64>(RET) * 1000 + <i64>(load<u32>(RET + 8) / <u32>NS_PER_MS) - nowMs();
}

/** The earlier of two times in ms, where -1 means never. */
function earliest(a: i64, b: i64): i64 {
  if (a < 0) return b;
  if (b < 0) return a;
  return min(a, b);
}

/** Runs until --for has passed and the stop is done (0), or forever. */
export function runLoop(): i32 {
  let nextStatus: i64 = statusEveryMs > 0 ? statusEveryMs : -1;
  let stopEnd: i64 = -1;   // once stopping: when the stop ends at the latest
  while (true) {
    let deadline = stopEnd < 0 ? k_poll(nowMs()) : k_stop(nowMs());
    flushAll();
    let now = nowMs();
    if (nextStatus >= 0 && now >= nextStatus) {
      printHostLine();
      printStatus();
      nextStatus += statusEveryMs;
      if (nextStatus <= now) nextStatus = now + statusEveryMs;   // fell behind: skip, do not burst
    }
    if (stopEnd < 0 && forMs >= 0 && now >= forMs) {
      stopEnd = now + STOP_MAX_MS;
      deadline = k_stop(now);
      flushAll();
    }
    if (stopEnd >= 0 && (deadline < 0 || now >= stopEnd)) {
      printHostLine();
      printStatus();
      if (!quiet) printCounters();
      return 0;
    }
    let ready = wait(earliest(earliest(deadline, nextStatus), stopEnd >= 0 ? stopEnd : forMs));
    for (let i = 0; i < nicCount; i++) {
      if ((ready & (1 << i)) != 0) receive(i);
    }
  }
}

/** Waits until `wake` (ms, -1 for no time) or a NIC is ready; a bit per NIC with datagrams. */
function wait(wake: i64): u32 {
  let n = 0;
  for (let i = 0; i < nicCount; i++) {
    let x = nic(i);
    store<i32>(POLLS + 4 * n, x.inPoll);
    store<i32>(OWNER + 4 * n, i);
    n++;
    if (x.waiting && x.count > 0) {
      store<i32>(POLLS + 4 * n, x.outPoll);
      store<i32>(OWNER + 4 * n, -1);
      n++;
    }
  }
  let ns = MAX_WAIT_NS;
  if (wake >= 0) ns = max<i64>(0, min<i64>(MAX_WAIT_NS, t0 + wake * NS_PER_MS - wasi_clock_now()));
  let timer = wasi_clock_subscribe(ns);
  store<i32>(POLLS + 4 * n, timer);
  store<i32>(OWNER + 4 * n, -1);
  n++;
  let mark = arenaMark();
  wasi_poll(<i32>POLLS, n, <i32>RET);
  let list = <usize>load<u32>(RET + LIST_PTR);
  let count = load<i32>(RET + LIST_LEN);
  let ready: u32 = 0;
  for (let j = 0; j < count; j++) {
    let index = load<u32>(list + 4 * j);
    if (index < <u32>n && load<i32>(OWNER + 4 * index) >= 0) ready |= 1 << load<i32>(OWNER + 4 * index);
  }
  arenaRelease(mark);
  wasi_pollable_drop(timer);
  return ready;
}

/** Delivers NIC i's datagrams batch by batch, each on the clock of its arrival (not of the
 *  last poll, which may be a long wait ago), polling the kernel after each. */
function receive(i: i32): void {
  for (let b = 0; b < BATCHES_PER_WAKE; b++) {
    if (receiveBatch(i, nowMs()) == 0) return;
    k_poll(nowMs());
    flushAll();
  }
}
