// A hash index from fixed-size keys to the records that hold them, for tables whose keys
// outsiders choose (the block filters, net/filter.ts). Open addressing with linear probing
// over twice as many slots as records, so the load is at most 1/2; SipHash under a secret
// from the host's randomness, so without it no one can choose keys that crowd one run of
// slots; deletion by backward shift (Knuth, TAOCP vol. 3, §6.4 Algorithm R), so no
// tombstones pile up and a lookup's cost depends on the load alone, never on the table's
// history. The owner reserves the memory once and lays out its records (the key first, as
// `words` u64s, then its own fields); the index hands out record numbers from a free list
// and never moves a record, so a record's number may be kept in other records' keys.
// Allocates nothing after start; a lookup never traps on outside bytes.
import { siphash } from "./crypto/siphash";

/** A slot: 0 empty, else the key's hash in the bits above IDX_BITS, and record + 1. */
const IDX_BITS: u32 = 17;
const IDX: u32 = (1 << IDX_BITS) - 1;
const TAG: u32 = ~IDX;

/** Slots looked at by idxFind, over every index: a debug counter for the tests, which
 *  check that a lookup's work does not grow with the number of records. */
export let probes: u64 = 0;

@unmanaged export class Index {
  constructor(
    public recs: usize,     // cap records of `stride` bytes, each starting with its key
    public slots: usize,    // 2·cap u32 slots
    public live: usize,     // cap bits: the record is in use
    public secret: usize,   // the 16-byte SipHash key
    public stride: i32,
    public words: i32,      // u64s in a key
    public cap: i32,        // a power of two, 8 .. 2^IDX_BITS / 2
  ) {
    if (cap < 8 || (cap & (cap - 1)) != 0 || <u32>cap > IDX) abort("hashidx: bad capacity");
    this.mask = <u32>(2 * cap - 1);
  }
  mask: u32 = 0;     // slots - 1
  high: i32 = 0;     // records ever handed out: those above are untouched
  free: i32 = -1;    // a free record below high, whose first u32 names the next (-1: none)
  count: i32 = 0;    // records in use
}

/** Bytes of slots an index needs per record (two u32 slots); its live bits take cap / 8. */
export const IDX_SLOT_BYTES: i32 = 8;

// @ts-ignore: decorator
@inline export function idxRec(t: Index, r: i32): usize { return t.recs + <usize>r * <usize>t.stride; }
// @ts-ignore: decorator
@inline function slotAt(t: Index, i: u32): usize { return t.slots + (<usize>i << 2); }
// @ts-ignore: decorator
@inline function hashOf(t: Index, key: usize): u32 { return <u32>siphash(t.secret, key, t.words); }

/** Is record r in use? */
export function idxLive(t: Index, r: i32): bool {
  return <u32>r < <u32>t.high && (load<u8>(t.live + (<usize>r >> 3)) & (1 << (r & 7))) != 0;
}

function setLive(t: Index, r: i32, on: bool): void {
  let b = t.live + (<usize>r >> 3);
  let bit = <u32>1 << <u32>(r & 7);
  store<u8>(b, <u8>(on ? <u32>load<u8>(b) | bit : <u32>load<u8>(b) & ~bit));
}

function keyEq(a: usize, b: usize, words: i32): bool {
  for (let i = 0; i < words; i++) {
    if (load<u64>(a + (<usize>i << 3)) != load<u64>(b + (<usize>i << 3))) return false;
  }
  return true;
}

/** The record whose key is the t.words u64s at key, or -1. */
export function idxFind(t: Index, key: usize): i32 {
  let h = hashOf(t, key);
  let i = h & t.mask;
  while (true) {                          // ends: at least half the slots are empty
    probes++;
    let s = load<u32>(slotAt(t, i));
    if (s == 0) return -1;
    if ((s & TAG) == (h & TAG)) {
      let r = <i32>(s & IDX) - 1;
      if (keyEq(idxRec(t, r), key, t.words)) return r;
    }
    i = (i + 1) & t.mask;
  }
}

/** Add a record with the key at key, which idxFind did not find: its number (the bytes
 *  after the key are the caller's to set), or -1 if all cap records are in use. */
export function idxAdd(t: Index, key: usize): i32 {
  if (t.count >= t.cap) return -1;
  let r = t.free;
  if (r >= 0) t.free = load<i32>(idxRec(t, r));
  else r = t.high++;
  memory.copy(idxRec(t, r), key, <usize>t.words << 3);
  setLive(t, r, true);
  let h = hashOf(t, key);
  let i = h & t.mask;
  while (load<u32>(slotAt(t, i)) != 0) i = (i + 1) & t.mask;
  store<u32>(slotAt(t, i), (h & TAG) | <u32>(r + 1));
  t.count++;
  return r;
}

/** Take record r (in use) out: its slot is emptied by moving later slots of the run back,
 *  and its number is free again. */
export function idxDel(t: Index, r: i32): void {
  let i = hashOf(t, idxRec(t, r)) & t.mask;
  while ((load<u32>(slotAt(t, i)) & IDX) != <u32>(r + 1)) i = (i + 1) & t.mask;
  // Algorithm R: slot i is the hole. A later slot j of the run may fill it unless its home
  // lies cyclically in (i, j], where a lookup starting at home would not pass i.
  let j = i;
  while (true) {
    j = (j + 1) & t.mask;
    let s = load<u32>(slotAt(t, j));
    if (s == 0) break;
    let home = hashOf(t, idxRec(t, <i32>(s & IDX) - 1)) & t.mask;
    let stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (stays) continue;
    store<u32>(slotAt(t, i), s);
    i = j;
  }
  store<u32>(slotAt(t, i), 0);
  setLive(t, r, false);
  store<i32>(idxRec(t, r), t.free);
  t.free = r;
  t.count--;
}

/** Empty the index. One never used is left as it is: its memory stays untouched. */
export function idxClear(t: Index): void {
  if (t.high == 0) return;
  memory.fill(t.slots, 0, <usize>(t.cap * IDX_SLOT_BYTES));
  memory.fill(t.live, 0, <usize>(t.cap >> 3));
  t.high = 0;
  t.free = -1;
  t.count = 0;
}
