// Test service: a call_indirect whose signature does not match the function in the table
// slot, on demand. It answers ICMPv6 Echo Requests as echo does, and on the trigger of
// tests/services/trigger.ts with the word "indirect" it calls `answer` (a () => i32 in the
// table) as if it took an f64 and returned an i64: the engine traps, or, in a wasmtime
// image, the containment pass's check calls fault(INDIRECT). Either way the kernel must
// see Fault.TRAP and restart it. Used by the parity suite (tests/parity).
import { untilTrigger } from "../trigger";

const OUT: usize = memory.data(8);

function answer(): i32 {
  return 42;
}

/** A reference that puts `answer` in the table; its index is read back at run time. */
let target: () => i32 = answer;

export function persia_event(): void {
  if (untilTrigger("indirect")) store<i64>(OUT, call_indirect<i64>(<u32>load<u32>(changetype<usize>(target)), 1.5));
}
