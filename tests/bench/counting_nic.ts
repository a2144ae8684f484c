// A NIC backend for benchmarks: frames the kernel sends go nowhere but are counted, in
// all and by the last byte of their IPv6 source address (which service sent them).
// Used by bench.ts and sched.ts, which drive the kernel with a manual clock.
import { NicBackend } from "../../hosts/node/nic/nic";

export class CountingNic implements NicBackend {
  readonly backend = "bench";
  onFrame: ((frame: Uint8Array) => void) | null = null;
  sent = 0;
  bytes = new Map<number, number>();
  private lastBytes: Uint8Array | null = null;
  private lastOff = 0;
  private lastLen = 0;
  constructor(readonly id: number) {}
  /** The last frame sent, as the kernel handed it (valid until its next send). */
  get last(): Uint8Array | null {
    return this.lastBytes === null ? null : this.lastBytes.subarray(this.lastOff, this.lastOff + this.lastLen);
  }
  sendAt(b: Uint8Array, off: number, len: number): number {
    this.sent++;
    this.lastBytes = b;
    this.lastOff = off;
    this.lastLen = len;
    if (len > 54 && b[off + 12] === 0x86 && b[off + 13] === 0xdd) {
      const k = b[off + 14 + 8 + 15];
      this.bytes.set(k, (this.bytes.get(k) ?? 0) + len);
    }
    return 0;
  }
  counters() { return { sent: this.sent }; }
  close() {}
}
