// The key-value table in the slots of copies.ts (format version 2, spec/services.md):
// slot 0 the header, slots 1.. records placed by the FNV-1a hash of the key with linear
// probing. A PUT never overwrites the record it replaces: it writes the new value, with a
// sequence number above every other in the table, into a free slot on the key's probe
// path, and only then frees the old record. A crash between the two leaves two records of
// the key whose newer one holds the table's highest sequence: opening finds that key and
// frees the older, so afterwards a key has one record and a lookup stops at it. A DEL
// overwrites the key's one record with a tombstone: a cut write leaves it absent either way.
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
const KEY = memory.data(KEY_MAX);   // the key settle() looks up (BUF is overwritten by probing)
const SCAN_STEP: u32 = 2048;        // slots opening reads per call: ~20M fuel for a mirror, a fifth of FUEL_PER_CALL
const SCAN_MS: i32 = 1;             // between two steps of opening
/** Slots a lookup reads at most: a record lies within this many slots of its home, so a
 *  lookup on a table with no empty slot left still ends within one call's fuel. */
export const PROBE_MAX: u32 = 512;
let slots: u32 = 0;              // data slots, excluding the header
let nextSeq: u64 = 1;            // above every sequence in the table
let scanAt: u32 = 0;             // while OPENING: the next slot to scan
let newest: u32 = 0;             // while OPENING: the slot of the highest sequence naming a key so far
let newestSeq: u64 = 0;          // while OPENING: its sequence
let budget = false;              // whether this call may still take a step of opening
let state: Result = Result.NO_DISK;  // until ready() has opened the table

/** Attach the copies and start the scan of every slot. */
function attach(): Result {
  let r = copies.attach();
  if (r != Result.OK) return r;
  slots = copies.slotCount() - 1;
  nextSeq = 1;
  newest = 0;
  newestSeq = 0;
  scanAt = 1;
  return Result.OPENING;
}

/** Scan the next SCAN_STEP slots: find the highest sequence and make the copies of a
 *  mirror agree slot by slot (a crash may have cut a write between them). After the last
 *  slot, settle the newest record's key. */
function scan(): Result {
  let end = slots - scanAt + 1 > SCAN_STEP ? scanAt + SCAN_STEP : slots + 1;
  for (; scanAt < end; scanAt++) {
    let k = what(copies.compare(scanAt));
    if (k == UNREADABLE) return Result.IO;
    if (k != Kind.LIVE && k != Kind.TOMBSTONE) continue;
    let seq = load<u64>(BUF, S_SEQ);
    if (seq >= nextSeq) nextSeq = seq + 1;
    // The newest record that names a key: a free slot's tombstone has a sequence too
    // (a mirror keeps the newer of two), but the crash settle() mends is the PUT's.
    if (load<u8>(BUF, S_KEY_LEN) != 0 && seq >= newestSeq) { newestSeq = seq; newest = scanAt; }
  }
  if (scanAt <= slots) return Result.OPENING;
  return newest == 0 || settle(newest) ? Result.OK : Result.IO;
}

/** Free the older record of the key in slot s, if a crash left one: the last write before
 *  the crash was either the newest record (s) or did not create a second record. */
function settle(s: u32): bool {
  let k = what(copies.read(s));
  if (k != Kind.LIVE && k != Kind.TOMBSTONE) return false;
  let klen = <i32>load<u8>(BUF, S_KEY_LEN);
  if (klen == 0) return true;
  memory.copy(KEY, BUF + S_KEY, klen);
  return find(KEY, klen, load<u32>(BUF, S_HASH), Probe.ALL);
}

/** Allow one step of opening in this call (main.ts, at the start of each entry point):
 *  however many requests a call serves, it reads at most SCAN_STEP slots for opening. */
export function begin(): void { budget = true; }

/** The table's state: OK, OPENING (being read, a step per call: ask again), or why it
 *  cannot be used; a table not yet found, or given up on an I/O error, is looked for again. */
export function ready(): Result {
  if (state != Result.OK && state != Result.OPENING && state != Result.BAD_FORMAT &&
      state != Result.V1) state = attach();
  if (state == Result.OPENING && budget) {
    budget = false;
    state = scan();
  }
  if (state == Result.OK && copies.isDiverged()) state = Result.DIVERGED;
  return state;
}

/** How much of the table opening has read, in percent. */
export function opened(): i32 { return slots == 0 ? 0 : <i32>(<u64>(scanAt - 1) * 100 / slots); }

/** Background work: opening, then the copies' (resync, scrub). Returns ms until it wants
 *  the next call, 0 if it has none (a single copy, or a table that cannot be used until a
 *  request asks again). */
export function tick(): i32 {
  let r = ready();
  if (r == Result.OPENING) return SCAN_MS;
  return r == Result.OK ? copies.tick() : 0;
}

const UNREADABLE: i32 = -1;

/** What BUF holds after copies.read() or compare() returned r: a Kind, or UNREADABLE. */
function what(r: i32): i32 {
  return r == copies.FAILED ? UNREADABLE : <i32>kind(BUF, r == copies.WHOLE);
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
  record(BUF, TOMBSTONE, nextSeq++, 0, 0, 0, 0, 0);   // its own sequence: a mirror's copies that differ keep the newer
  return copies.write(s, BUF);
}

/** How far find() probes. */
const enum Probe {
  KEY,    // to the key's record (GET, DEL)
  FREE,   // to the key's record and a free slot (PUT)
  ALL,    // to the first empty slot, freeing older records of the key (settle)
}

/** Probe for key from its home slot, at most to the first empty slot or PROBE_MAX slots.
 *  Sets winner (its record in WIN) and reusable. False on I/O error. */
function find(key: usize, klen: i32, hash: u32, probe: Probe): bool {
  winner = 0;
  reusable = 0;
  let n = slots < PROBE_MAX ? slots : PROBE_MAX;
  for (let i: u32 = 0; i < n; i++) {
    let s = 1 + <u32>((<u64>hash + i) % slots);
    let k = what(copies.read(s));
    if (k == UNREADABLE) return false;
    let mine = (k == Kind.LIVE || k == Kind.TOMBSTONE) && holds(key, klen, hash);
    if (!mine) {
      if (k != Kind.LIVE && reusable == 0) reusable = s;
      if (k == Kind.EMPTY) break;
      if (probe == Probe.FREE && winner != 0 && reusable != 0) break;
      continue;
    }
    if (winner == 0) {
      winner = s;
      memory.copy(WIN, BUF, SLOT);
      if (probe == Probe.KEY || (probe == Probe.FREE && reusable != 0)) break;
      continue;
    }
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
  if (!find(key, klen, fnv1a(key, klen), Probe.KEY)) return Result.IO;
  return winnerLive() ? Result.OK : Result.NOT_FOUND;
}

export function value(): usize { return WIN + S_VALUE; }
export function valueLen(): i32 { return <i32>load<u16>(WIN, S_VALUE_LEN); }

/** Store key = value durably: the new record first, then the old one freed. */
export function put(key: usize, klen: i32, val: usize, vlen: i32): Result {
  let hash = fnv1a(key, klen);
  if (!find(key, klen, hash, Probe.FREE)) return Result.IO;
  if (reusable == 0) return Result.FULL;
  record(BUF, LIVE, nextSeq++, key, klen, hash, val, vlen);
  if (!copies.write(reusable, BUF)) return reopen(Result.IO);
  // The new record is durable and wins by its sequence; if the old one cannot be freed,
  // the table is opened again (settle() frees it) before the next request.
  if (winner != 0 && !release(winner)) return reopen(Result.OK);
  return Result.OK;
}

/** A write may have left two records of a key: open the table again at the next request. */
function reopen(r: Result): Result {
  state = Result.IO;
  return r;
}

/** Remove key durably: its one record becomes a tombstone in place. */
export function del(key: usize, klen: i32): Result {
  let hash = fnv1a(key, klen);
  if (!find(key, klen, hash, Probe.KEY)) return Result.IO;
  if (!winnerLive()) return Result.NOT_FOUND;
  record(BUF, TOMBSTONE, nextSeq++, key, klen, hash, 0, 0);
  return copies.write(winner, BUF) ? Result.OK : Result.IO;
}
