// The keys that sign block signals and certificate requests (spec/control.md, "Block
// signals"): holders of an address's certificate, who need not be users of the node. Per
// key: the last sequence number accepted in this boot (a replayed request is refused, as a
// user's is), the latest signing time of a request another router relayed here (a relay
// carries no epoch of ours, so its time must grow), and, in net/filter.ts, the filters it
// installed, against FILTER_PER_HOLDER. A key gets a row only after its signature verified,
// so forgeries cannot fill the table; a full table frees the row of a key with no filters
// that was seen longest ago, and raises the floor below which no sequence number or relay
// time is accepted from a key without a row, so forgetting a key never lets a replay in.
// A sequence number's floor lasts only as long as a forgotten key's message could be sent
// again (its cookie's life, ctl/cookie.ts COOKIE_HONOURED_MS), so a key that signs 2^64-1
// cannot refuse every new key for good. Called by ctl/control.ts and ctl/block.ts.
import { HOLDER_MAX } from "../param";
import { now } from "../clock";
import { filterHolderCount } from "../net/filter";
import { COOKIE_HONOURED_MS } from "./cookie";

const KEYS: usize = memory.data(HOLDER_MAX * 32, 8);
const lastSeq = new StaticArray<u64>(HOLDER_MAX);       // the last number accepted from the key
// The floor when the row was made, which binds the key too until that floor has surely
// fallen (2 * COOKIE_HONOURED_MS): it covers the key's own numbers if it was forgotten.
const madeFloor = new StaticArray<u64>(HOLDER_MAX);
const madeAt = new StaticArray<i64>(HOLDER_MAX);
const lastTime = new StaticArray<i64>(HOLDER_MAX);
const seen = new StaticArray<i64>(HOLDER_MAX);
const used = new StaticArray<bool>(HOLDER_MAX);
/** Keys with a row. */
export let holderCount: i32 = 0;
// What a key without a row must be above: the highest sequence number and relay time a
// forgotten key had (numbers: one forgotten lately, below). Sequence numbers are chosen by each key's signer, so a floor from
// another key may refuse a new key's first request; `persia ctl` starts at the HELLO's
// number plus one, and HELLO reports the floor for a key without a row.
// The sequence numbers' floor is kept in two generations, each COOKIE_HONOURED_MS long: a
// key forgotten in the current one is refused below its number until the end of the next,
// when every cookie its messages carried has died; then the floor falls back.
// Relay times need no such care: one is accepted only within BLOCK_SKEW_MS of the clock.
let seqFloor: u64 = 0;          // keys forgotten since floorSince
let seqFloorBefore: u64 = 0;    // keys forgotten in the generation before it
let floorSince: i64 = 0;
let timeFloor: i64 = 0;

/** The floor of sequence numbers for a key without a row, now. */
function floor(): u64 {
  if (now - floorSince >= COOKIE_HONOURED_MS) {
    seqFloorBefore = now - floorSince >= 2 * COOKIE_HONOURED_MS ? 0 : seqFloor;
    seqFloor = 0;
    floorSince = now;
  }
  return max(seqFloor, seqFloorBefore);
}

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
  if (h < 0) return floor();
  let own = unchecked(lastSeq[h]);
  return now - unchecked(madeAt[h]) < 2 * COOKIE_HONOURED_MS ? max(own, unchecked(madeFloor[h])) : own;
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
    floor();
    if (unchecked(lastSeq[old]) > seqFloor) seqFloor = unchecked(lastSeq[old]);
    if (unchecked(lastTime[old]) > timeFloor) timeFloor = unchecked(lastTime[old]);
    free = old;
    holderCount--;
  }
  memory.copy(KEYS + <usize>(free * 32), k, 32);
  unchecked(lastSeq[free] = 0);
  unchecked(madeFloor[free] = floor());
  unchecked(madeAt[free] = now);
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
  seqFloorBefore = 0;
  floorSince = now;
  timeFloor = 0;
}
