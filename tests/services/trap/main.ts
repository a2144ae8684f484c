// Test service: a guest that traps on demand. It answers ICMPv6 Echo Requests as echo
// does, and on the trigger of tests/services/trigger.ts (UDP to port 9, data starting
// with "crash") it executes `unreachable`. The kernel must count the fault, restart it by
// policy, and keep every other service running. It keeps no state.
// Used by the services' tests (tests/sdk/) and the kernel's fault-isolation tests.
import { untilTrigger } from "../trigger";

export function persia_event(): void {
  if (untilTrigger()) unreachable();
}
