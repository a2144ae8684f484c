// Test service: a recursion bomb. It answers ICMPv6 Echo Requests as echo does, and on a
// UDP datagram to port 9 whose data starts with "recurse" (tests/services/trigger.ts) it
// calls itself without end, each frame keeping a live local so that the compiler can
// neither inline the recursion nor turn it into a loop. The engine's call stack runs out
// long before the call's fuel budget does, so the kernel must see Fault.STACK and restart
// it. It keeps no state. Used by tests/integration/hostile.test.ts.
import { untilTrigger } from "../trigger";

/** Where the depth reached is written, so that every frame has an effect. */
const DEPTH: usize = memory.data(4);

function deeper(n: u32): u32 {
  store<u32>(DEPTH, n);
  return deeper(n + 1) ^ n;
}

export function persia_event(): void {
  if (untilTrigger("recurse")) store<u32>(DEPTH, deeper(0));
}
