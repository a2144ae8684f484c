// The kernel's counters. Every dropped packet, wherever it is dropped, goes through
// drop(reason) so that each reason has exactly one counter; `persia status` shows them.
// Per-NIC and per-service counters live with their tables (net/iface.ts, svc/registry.ts).
import { Drop } from "../abi/drop";

export const drops = new StaticArray<u64>(<i32>Drop.COUNT);
export let icmpErrorsSent: u64 = 0;

export function drop(reason: Drop): void {
  unchecked(drops[<i32>reason]++);
}

export function countIcmpError(): void { icmpErrorsSent++; }
