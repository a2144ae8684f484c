// The keys that sign block signals and certificate requests (spec/control.md, "Block
// signals"): holders of an address's certificate, who need not be users of the node. Per
// key: the last sequence number accepted in this boot (a replayed request is refused, as a
// user's is), the latest signing time of a request another router relayed here (a relay
// carries no epoch of ours, so its time must grow), and, in net/filter.ts, the filters it
// installed, against FILTER_PER_HOLDER. A key gets a row only after its signature verified,
// so forgeries cannot fill the table; a full table frees the row of a key with no filters
// that was seen longest ago, and raises the floor below which no sequence number or relay
// time is accepted from a key without a row, so forgetting a key never lets a replay in.
// Called by ctl/control.ts and ctl/block.ts.
import { HOLDER_MAX } from "../param";
import { now } from "../clock";
import { filterHolderCount } from "../net/filter";

const KEYS: usize = memory.data(HOLDER_MAX * 32, 8);
const lastSeq = new StaticArray<u64>(HOLDER_MAX);
const lastTime = new StaticArray<i64>(HOLDER_MAX);
const seen = new StaticArray<i64>(HOLDER_MAX);
const used = new StaticArray<bool>(HOLDER_MAX);
/** Keys with a row. */
export let holderCount: i32 = 0;
// What a key without a row must be above: the highest sequence number and relay time any
// forgotten key had. Sequence numbers are chosen by each key's signer, so a floor from
// another key may refuse a new key's first request; `persia ctl` starts at the HELLO's
// number plus one, and HELLO reports the floor for a key without a row.
let seqFloor: u64 = 0;
let timeFloor: i64 = 0;

function keyEq(i: i32, k: usize): bool {
  let a = KEYS + <usize>(i * 32);
  return load<u64>(a) == load<u64>(k) && load<u64>(a, 8) == load<u64>(k, 8) &&
    load<u64>(a, 16) == load<u64>(k, 16) && load<u64>(a, 24) == load<u64>(k, 24);
}

/** The row of the key at k, or -1. */
export function holderFind(k: usize): i32 {
  for (let i = 0; i < HOLDER_MAX; i++) if (unchecked(used[i]) && keyEq(i, k)) return i;
  return -1;
}

/** The key of row h. */
export function holderKey(h: i32): usize { return KEYS + <usize>(h * 32); }

/** The last sequence number accepted from the key at k (the floor for one without a row). */
export function holderLastSeq(k: usize): u64 {
  let h = holderFind(k);
  return h < 0 ? seqFloor : unchecked(lastSeq[h]);
}

/** The latest relayed signing time accepted from the key at k. */
export function holderLastTime(k: usize): i64 {
  let h = holderFind(k);
  return h < 0 ? timeFloor : unchecked(lastTime[h]);
}

/** The row of the key at k, made if it has none (its signature has verified): -1 when every
 *  row holds filters. */
export function holderGet(k: usize): i32 {
  let h = holderFind(k);
  if (h >= 0) { unchecked(seen[h] = now); return h; }
  let free = -1, old = -1;
  for (let i = 0; i < HOLDER_MAX; i++) {
    if (!unchecked(used[i])) { free = i; break; }
    if (filterHolderCount(i) == 0 && (old < 0 || unchecked(seen[i]) < unchecked(seen[old]))) old = i;
  }
  if (free < 0) {
    if (old < 0) return -1;
    if (unchecked(lastSeq[old]) > seqFloor) seqFloor = unchecked(lastSeq[old]);
    if (unchecked(lastTime[old]) > timeFloor) timeFloor = unchecked(lastTime[old]);
    free = old;
    holderCount--;
  }
  memory.copy(KEYS + <usize>(free * 32), k, 32);
  unchecked(lastSeq[free] = seqFloor);
  unchecked(lastTime[free] = timeFloor);
  unchecked(seen[free] = now);
  unchecked(used[free] = true);
  holderCount++;
  return free;
}

/** A request of row h with this sequence number was accepted. */
export function holderAccept(h: i32, seq: u64): void { unchecked(lastSeq[h] = seq); }

/** A relayed request of row h signed at time t (Unix ms) was accepted. */
export function holderAcceptTime(h: i32, t: i64): void { unchecked(lastTime[h] = t); }

/** Forget every key (a new boot). */
export function holdersReset(): void {
  for (let i = 0; i < HOLDER_MAX; i++) unchecked(used[i] = false);
  holderCount = 0;
  seqFloor = 0;
  timeFloor = 0;
}
