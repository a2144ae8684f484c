// Test service: a guest that makes an out-of-bounds memory access on demand. It answers
// ICMPv6 Echo Requests as echo does, and on the trigger of tests/services/trigger.ts it
// loads 8 bytes at 0xfffffffc, which end past 4 GiB and so lie outside any wasm32 memory:
// the access traps whatever RAM grant the service has. The kernel must count the fault
// and restart it like any trap. Used by the services' tests and fault-isolation tests.
import { untilTrigger } from "../trigger";

/** An 8-byte load here ends at 2^32 + 4: out of bounds for every wasm32 memory. */
const FAR: usize = 0xfffffffc;

let sink: u64 = 0;   // keeps the load from being optimized away

export function persia_event(): void {
  if (untilTrigger()) sink = load<u64>(FAR);
}
