// The kernel's pseudo-random numbers (RFC 4861 asks for randomised timers): xorshift32,
// seeded at boot from the host's random import, the kernel's only source of entropy. The
// same seed gives the same sequence, so a test with a fixed mock host replays exactly.
// Not for secrets: capability secrets take host random bytes directly.
let state: u32 = 0x9e3779b9;

export function seed(s: u32): void { state = s != 0 ? s : 0x9e3779b9; }

export function next(): u32 {
  let x = state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  state = x;
  return x;
}

/** A uniform integer in [lo, hi] (hi ≥ lo, span below 2^32). */
export function between(lo: i64, hi: i64): i64 {
  if (hi <= lo) return lo;
  return lo + <i64>(<u64>next() % <u64>(hi - lo + 1));
}
