// The services the scheduler must look at (issue #17): a bit per service id, set when a
// packet or a USB event is queued for it (svcWoken), when it is registered or set to restart,
// and left set while it has a timer; sched.ts clears the bit of a service it finds with
// nothing to do. runServices then walks SVC_MAX / 32 words and the set bits, in id order as
// before, instead of every service four times per poll: 1,000 idle services cost a poll 32
// word loads, not 4,000 checks.
import { SVC_MAX } from "../param";

export const READY_WORDS: i32 = (SVC_MAX + 31) >> 5;
export const readyBits = new StaticArray<u32>(READY_WORDS);

// @ts-ignore: decorator
@inline export function markReady(svc: i32): void {
  unchecked(readyBits[svc >> 5] |= <u32>1 << <u32>(svc & 31));
}

// @ts-ignore: decorator
@inline export function clearReady(svc: i32): void {
  unchecked(readyBits[svc >> 5] &= ~(<u32>1 << <u32>(svc & 31)));
}

/** The set bits of word w above bit `after` (-1: all of them). */
// @ts-ignore: decorator
@inline export function readyAbove(w: i32, after: i32): u32 {
  let bits = unchecked(readyBits[w]);
  return after < 0 ? bits : bits & ~((<u32>2 << <u32>after) - 1);
}
