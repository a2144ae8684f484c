// A NIC backend for benchmarks: frames the kernel sends go nowhere but are counted, in
// all and by the last byte of their IPv6 source address (which service sent them).
// Used by bench.ts and sched.ts, which drive the kernel with a manual clock.
import { NicBackend } from "../../hosts/node/nic/nic";

export class CountingNic implements NicBackend {
  readonly backend = "bench";
  onFrame: ((frame: Uint8Array) => void) | null = null;
  sent = 0;
  bytes = new Map<number, number>();
  /** The last frame sent, as the kernel handed it (valid until its next send). */
  last: Uint8Array | null = null;
  constructor(readonly id: number) {}
  send(f: Uint8Array): number {
    this.sent++;
    this.last = f;
    if (f.length > 54 && f[12] === 0x86 && f[13] === 0xdd) {
      const k = f[14 + 8 + 15];
      this.bytes.set(k, (this.bytes.get(k) ?? 0) + f.length);
    }
    return 0;
  }
  counters() { return { sent: this.sent }; }
  close() {}
}
