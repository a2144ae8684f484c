// Test service: a guest that loops forever calling a syscall through a function reference,
// on demand. It answers ICMPv6 Echo Requests as echo does, and on the trigger of
// tests/services/trigger.ts with the word "stall" it calls `send` through `sendRef` (which
// AssemblyScript compiles to a call_indirect into a table slot holding the import
// persia.send itself) with a length over the MTU, forever. Each call is refused by the
// kernel and counted in the service's send refusals, so a test can tell how many syscalls
// one budget of fuel allowed: at most FUEL_PER_CALL / IMPORT_CALL_COST once the loader
// charges an indirect call to a syscall like a direct one, ~10^7 before it did.
// Used by tests/integration/fuel.test.ts.
import { sys_send } from "../../../abi/gen/persia";
import { untilTrigger } from "../trigger";

/** Longer than any MTU: the kernel refuses it at once, before copying anything. */
const TOO_LONG: i32 = 65536;

/** A reference that puts persia.send in the table; a global, so the compiler keeps the call indirect. */
let sendRef: (ptr: i32, len: i32) => i32 = sys_send;

export function persia_event(): void {
  if (!untilTrigger("stall")) return;
  for (;;) sendRef(0, TOO_LONG);
}
