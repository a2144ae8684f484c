// Test service: a guest that loops forever on demand. It answers ICMPv6 Echo Requests as
// echo does, and on a UDP datagram to port 9 whose data starts with "spin" (the trigger of
// tests/services/trigger.ts) it never returns: a runaway loop that only the loader's fuel
// metering can stop. The kernel must see Fault.FUEL, restart it by policy, and keep every
// other service, and the host's event loop, running. It keeps no state.
// Used by tests/integration/fuel.test.ts.
import { untilTrigger } from "../trigger";

/** Where the loop writes, so that the compiler cannot prove the loop has no effect. */
const COUNTER: usize = memory.data(4);

export function persia_event(): void {
  if (!untilTrigger("spin")) return;
  for (let n: u32 = 0; ; n++) store<u32>(COUNTER, n);
}
