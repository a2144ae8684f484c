// The replay window of a session's receiving side (RFC 6479, as wireguard-go's
// replay/replay.go): a ring of 64-bit blocks holding which of the last 8,128 counters were
// seen. Called only after a packet authenticated, so a forged counter never moves it.
import { REPLAY_BLOCKS, kpRing, kpLast } from "./state";

const BLOCK_MASK: u64 = <u64>(REPLAY_BLOCKS - 1);
const WINDOW: u64 = <u64>((REPLAY_BLOCKS - 1) * 64);

/** Empty keypair k's window: nothing seen yet. */
export function replayReset(k: i32): void {
  memory.fill(kpRing(k), 0, REPLAY_BLOCKS * 8);
  unchecked(kpLast[k] = 0);
}

/** Accept counter c on keypair k (marking it seen), or refuse it: seen before, behind the
 *  window, or at limit or beyond. */
export function replayCheck(k: i32, c: u64, limit: u64): bool {
  if (c >= limit) return false;
  let ring = kpRing(k);
  let block = c >> 6;
  let last = unchecked(kpLast[k]);
  if (c > last) {
    let current = last >> 6;
    let diff = block - current;
    if (diff > <u64>REPLAY_BLOCKS) diff = <u64>REPLAY_BLOCKS;
    for (let i: u64 = current + 1; i <= current + diff; i++) store<u64>(ring + <usize>((i & BLOCK_MASK) << 3), 0);
    unchecked(kpLast[k] = c);
  } else if (last - c > WINDOW) {
    return false;
  }
  let at = ring + <usize>((block & BLOCK_MASK) << 3);
  let old = load<u64>(at);
  let bit = (<u64>1) << (c & 63);
  store<u64>(at, old | bit);
  return (old & bit) == 0;
}
