// Kernel time: milliseconds, set only by the host through k_boot(now), k_rx(nic, len, now)
// and k_poll(now), so a frame is handled on the clock of its arrival, not of the last poll.
// The kernel has no clock of its own; the same calls with the same times give the same
// results. Read by rate limits, timers, neighbor discovery and restart backoff.

export let now: i64 = 0;

export function setNow(t: i64): void {
  if (t > now) now = t;   // time never runs backwards inside the kernel
}
