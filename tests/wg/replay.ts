// The replay window of the tests' WireGuard peer (tests/wg/peer.ts): RFC 6479's ring of
// 64-bit blocks, as wireguard-go's replay/replay.go has it: 128 blocks, a window of
// (128 − 1) × 64 = 8,128 counters behind the highest seen, and every counter at or above
// the limit refused. A counter is checked after its packet's tag verified (a forged
// packet must not move the window). Independent of the kernel's window (kernel/wg/).

const BLOCK_BITS = 64n;
const RING_BLOCKS = 128n;
export const WINDOW = (RING_BLOCKS - 1n) * BLOCK_BITS;   // 8,128
/** wireguard-go's RejectAfterMessages: 2^64 − 2^13 − 1. */
export const REJECT_AFTER_MESSAGES = (1n << 64n) - (1n << 13n) - 1n;

export class ReplayWindow {
  private last = 0n;
  private ring = new BigUint64Array(Number(RING_BLOCKS));

  /** True the first time a counter below limit and inside the window is seen, which it
   *  then records; false for a replay, a counter too old, or one at or above limit. */
  accept(counter: bigint, limit = REJECT_AFTER_MESSAGES): boolean {
    if (counter >= limit) return false;
    let block = counter / BLOCK_BITS;
    if (counter > this.last) {
      const current = this.last / BLOCK_BITS;
      let diff = block - current;
      if (diff > RING_BLOCKS) diff = RING_BLOCKS;   // clear the whole ring, no more
      for (let i = current + 1n; i <= current + diff; i++) this.ring[Number(i % RING_BLOCKS)] = 0n;
      this.last = counter;
    } else if (this.last - counter > WINDOW) {
      return false;
    }
    block %= RING_BLOCKS;
    const bit = 1n << (counter % BLOCK_BITS);
    const old = this.ring[Number(block)];
    this.ring[Number(block)] = old | bit;
    return (old & bit) === 0n;
  }
}
