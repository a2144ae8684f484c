// What the ready-set specs (ready.spec.ts, ready-wake.spec.ts) count: how many services the
// scheduler's ready set (kernel/svc/ready.ts) holds now.
import { readyBits, READY_WORDS } from "../../../kernel/svc/ready";

/** The number of bits set in the ready set. */
export function setBits(): i32 {
  let n = 0;
  for (let w = 0; w < READY_WORDS; w++) n += <i32>popcnt(readyBits[w]);
  return n;
}
