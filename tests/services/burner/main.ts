// Test service: CPU-bound on a timer. Every millisecond it burns about 16 million units of
// fuel in a loop (1.6 % of a scheduling period's capacity), for ever. The kernel's CPU
// grants (kernel/svc/cpu.ts) must hold it to its max share and give a service under its
// min the first turns. It answers pings through the SDK, so a test can see it is up.
import { sys_timer } from "../../../abi/gen/persia";
import { ingress } from "../../../services/sdk/index";

const SPINS: i32 = 1000000;
let sink: i32 = 0;

export function persia_init(): void {
  sys_timer(1);
}

export function persia_event(): void {
  for (let n = ingress.next(); n >= 0; n = ingress.next()) ingress.accept(n);
  let x = sink;
  for (let i = 0; i < SPINS; i++) x = x * 31 + i;
  sink = x;
  sys_timer(1);
}
