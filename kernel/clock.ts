// Kernel time: milliseconds, set only by the host through k_boot(now), k_rx(nic, len, now)
// and k_poll(now), so a frame is handled on the clock of its arrival, not of the last poll.
// The kernel has no clock of its own; the same calls with the same times give the same
// results. Read by rate limits, timers, neighbor discovery and restart backoff.

import { LIFETIME_INFINITE } from "../abi/status";

export let now: i64 = 0;

/** The end of a lifetime that never runs out. */
export const NEVER: i64 = I64.MAX_VALUE;

/** The Unix time in ms at kernel time 0, from the host's k_epoch (0: not told). Only what
 *  must be wall-clock time reads it: WireGuard's TAI64N handshake timestamps. */
export let epoch: i64 = 0;

export function setEpoch(ms: i64): void { epoch = ms; }

export function setNow(t: i64): void {
  if (t > now) now = t;   // time never runs backwards inside the kernel
}

/** The earlier of two deadlines, where -1 means none. */
export function earliest(a: i64, b: i64): i64 {
  if (a < 0) return b;
  if (b < 0) return a;
  return min(a, b);
}

/** When a lifetime of s seconds from now ends; all ones is infinity (RFC 4861 §4.6.2). */
export function lifetimeEnd(s: u32): i64 { return s == <u32>LIFETIME_INFINITE ? NEVER : now + <i64>s * 1000; }
