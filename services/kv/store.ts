// The key-value table in the slots of copies.ts (format version 2, spec/services.md):
// slot 0 the header, slots 1.. records placed by the FNV-1a hash of the key with linear
// probing. A PUT never overwrites the record it replaces: it writes the new value, with a
// sequence number above every other in the table, into a free slot on the key's probe
// path, and only then frees the old record; when a crash leaves two records of one key,
// the higher sequence wins and the other is freed when next met. A DEL overwrites the
// key's one record with a tombstone, so a cut write leaves the key absent either way.
// Every write is flushed before the request is answered. It parses no requests (main.ts).
import { equal } from "../sdk/bytes";
import * as copies from "./copies";
import { Result } from "./copies";
import {
  SLOT, KEY_MAX, VALUE_MAX, Kind, kind, fnv1a, record, LIVE, TOMBSTONE,
  S_HASH, S_KEY, S_KEY_LEN, S_SEQ, S_VALUE, S_VALUE_LEN,
} from "./slot";

export { Result } from "./copies";
export { KEY_MAX, VALUE_MAX } from "./slot";

const BUF = copies.BUF;
/** The record that wins the last lookup: its value is what GET answers. */
const WIN = memory.data(SLOT);
let slots: u32 = 0;              // data slots, excluding the header
let nextSeq: u64 = 1;            // above every sequence in the table
let state: Result = Result.NO_DISK;  // until ready() has opened the table

/** Attach the copies and scan every slot once: find the highest sequence and make the
 *  copies of a mirror agree slot by slot (a crash may have cut a write between them). */
function open(): Result {
  let r = copies.attach();
  if (r != Result.OK) return r;
  slots = copies.slotCount() - 1;
  nextSeq = 1;
  for (let s: u32 = 1; s <= slots; s++) {
    if (!copies.compare(s)) return Result.IO;
    let k = kind(BUF);
    if (k != Kind.LIVE && k != Kind.TOMBSTONE) continue;
    let seq = load<u64>(BUF, S_SEQ);
    if (seq >= nextSeq) nextSeq = seq + 1;
  }
  return Result.OK;
}

/** Open the table unless it is open or refused: OK or why it is not. */
export function ready(): Result {
  if (state != Result.OK && state != Result.BAD_FORMAT && state != Result.V1) state = open();
  return state;
}

/** Background work of the copies (resync, scrub): ms until it wants the next call. */
export function tick(): i32 {
  return state == Result.OK ? copies.tick() : copies.IDLE_MS;
}

export function status(p: usize, room: i32): i32 { return copies.status(p, room); }

/** True if the record in BUF names the key of klen bytes at key. */
function holds(key: usize, klen: i32, hash: u32): bool {
  return load<u32>(BUF, S_HASH) == hash && <i32>load<u8>(BUF, S_KEY_LEN) == klen &&
    equal(BUF + S_KEY, key, klen);
}

let winner: u32 = 0;     // set by find: the slot of the key's newest record, 0 if none
let reusable: u32 = 0;   // set by find: the first free slot on the probe path but winner's

/** Free slot s (a tombstone naming no key). */
function release(s: u32): bool {
  record(BUF, TOMBSTONE, 0, 0, 0, 0, 0, 0);
  return copies.write(s, BUF);
}

/** Probe for key from its home slot to the first empty slot. Sets winner (its record in
 *  WIN) and reusable; frees an older record of the key met on the way. False on I/O error. */
function find(key: usize, klen: i32, hash: u32): bool {
  winner = 0;
  reusable = 0;
  for (let i: u32 = 0; i < slots; i++) {
    let s = 1 + <u32>((<u64>hash + i) % slots);
    if (!copies.read(s)) return false;
    let k = kind(BUF);
    let mine = (k == Kind.LIVE || k == Kind.TOMBSTONE) && holds(key, klen, hash);
    if (!mine) {
      if (k != Kind.LIVE && reusable == 0) reusable = s;
      if (k == Kind.EMPTY) break;
      continue;
    }
    if (winner == 0) { winner = s; memory.copy(WIN, BUF, SLOT); continue; }
    let older = s;
    if (load<u64>(BUF, S_SEQ) > load<u64>(WIN, S_SEQ)) {
      older = winner;
      winner = s;
      memory.copy(WIN, BUF, SLOT);
    }
    if (!release(older)) return false;
    if (reusable == 0) reusable = older;
  }
  return true;
}

function winnerLive(): bool { return winner != 0 && load<u8>(WIN) == LIVE; }

/** Look key up; on OK its value is at value() for valueLen() bytes. */
export function get(key: usize, klen: i32): Result {
  if (!find(key, klen, fnv1a(key, klen))) return Result.IO;
  return winnerLive() ? Result.OK : Result.NOT_FOUND;
}

export function value(): usize { return WIN + S_VALUE; }
export function valueLen(): i32 { return <i32>load<u16>(WIN, S_VALUE_LEN); }

/** Store key = value durably: the new record first, then the old one freed. */
export function put(key: usize, klen: i32, val: usize, vlen: i32): Result {
  let hash = fnv1a(key, klen);
  if (!find(key, klen, hash)) return Result.IO;
  if (reusable == 0) return Result.FULL;
  record(BUF, LIVE, nextSeq++, key, klen, hash, val, vlen);
  if (!copies.write(reusable, BUF)) return Result.IO;
  if (winner != 0) release(winner);    // the new record already wins by its sequence
  return Result.OK;
}

/** Remove key durably: its one record becomes a tombstone in place. */
export function del(key: usize, klen: i32): Result {
  let hash = fnv1a(key, klen);
  if (!find(key, klen, hash)) return Result.IO;
  if (!winnerLive()) return Result.NOT_FOUND;
  record(BUF, TOMBSTONE, nextSeq++, key, klen, hash, 0, 0);
  return copies.write(winner, BUF) ? Result.OK : Result.IO;
}
