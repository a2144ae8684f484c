// Test service: integer division by zero on demand. It answers ICMPv6 Echo Requests as echo
// does, and on the trigger of tests/services/trigger.ts with the word "div" it divides by a
// zero it read from memory, so the compiler cannot see it coming: the engine traps, or, in a
// wasmtime image, the containment pass's check calls fault(DIV_ZERO). Either way the kernel
// must see Fault.TRAP and restart it. Used by the parity suite (tests/parity).
import { untilTrigger } from "../trigger";

/** Holds 0; read at run time. */
const ZERO: usize = memory.data(4);
/** Where the quotient goes, so the division has an effect. */
const OUT: usize = memory.data(4);

export function persia_event(): void {
  if (untilTrigger("div")) store<i32>(OUT, 1000 / load<i32>(ZERO));
}
