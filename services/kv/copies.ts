// The copies kv keeps its slots on: one disk extent, or two on different disks as a
// mirror (RAID-1). A write goes to every copy that is in sync or being resynced, each
// flushed; a read takes the first in-sync copy whose read succeeds and whose slot is
// whole, and repairs an earlier copy that was readable but wrong. A copy whose I/O fails
// is dropped from the set (degraded) and the survivor's header generation goes up, so a
// copy that comes back is recognized as stale and rebuilt, never trusted. tick() runs the
// background work: rebuilding a failed or blank copy a few slots at a time while requests
// are served, and scrubbing (comparing both copies) when the mirror is whole.
// It knows slots, not keys (store.ts does). Format and states: spec/services.md.
import { CapKind } from "../../abi/caps";
import { Errno } from "../../abi/errno";
import { sys_cap_find, sys_cap_info, sys_disk_flush } from "../../abi/gen/persia";
import { CAPINFO_OBJECT, CAPINFO_SIZE } from "../../abi/syscalls";
import { log as line, sys, text } from "../sdk/index";
import {
  SLOT, Head, head, header, same, sealed, whole, zero, F_DEGRADED, F_SYNCING, H_BASE, H_FLAGS, H_GEN,
  H_SLOTS, H_SLOT_SIZE, S_SEQ,
} from "./slot";

export const enum Result {
  OK = 0,
  NOT_FOUND = 1,
  NO_DISK = 2,      // no DISK capability
  TOO_SMALL = 3,    // extent holds fewer than two slots
  BAD_FORMAT = 4,   // the extent's header is not ours; it is never written
  IO = 5,           // a disk syscall failed or came up short on every copy
  FULL = 6,         // no free slot left on the key's probe path
  V1 = 7,           // the extent holds kv's version 1 format; it is never written
  OPENING = 8,      // the table is being read, a step per call (store.ts); ask again
  DIVERGED = 9,     // each copy went on alone and took writes the other lacks: refused
}

/** A copy's place in the set. */
const enum St {
  ABSENT,    // no such capability
  IN_SYNC,   // read and written
  FAILED,    // its I/O failed: neither read nor written until tick() finds it readable
  STALE,     // readable but out of date (blank, torn or older header): to be rebuilt
  SYNCING,   // being rebuilt: written, not read
  FOREIGN,   // holds something that is not ours, or is too small: left alone
}

const COPIES: i32 = 2;                 // a mirror has two copies
const SLOTS_MAX: u64 = 1 << 20;        // slots used at most (1 GiB); the rest stays unused
const RESYNC_MS: i32 = 10;      // between two resync steps
const IDLE_MS: i32 = 1000;      // between two checks of a failed copy, or scrub steps
const RESYNC_STEP: u32 = 64;           // slots copied per resync step (64 KiB)
const SCRUB_STEP: u32 = 16;            // slots compared per scrub step

/** The slot being read or written; store.ts builds records in it. */
export const BUF = memory.data(SLOT);
const OTHER = memory.data(SLOT);       // the other copy's bytes while comparing or copying
const HDR = memory.data(SLOT);         // header reads and writes
const HANDLE = memory.data(COPIES * 4);
const INFO = memory.data(CAPINFO_SIZE);
const STATE = memory.data(COPIES);

let copies: i32 = 0;                   // capabilities found: 1 (single) or 2 (mirror)
let count: u32 = 0;                    // slots, header included
let gen: u64 = 0;                      // generation of the in-sync copies' headers
let cursor: u32 = 0;                   // next slot a resync copies
let scrubAt: u32 = 1;                  // next slot a scrub compares
let repaired: u32 = 0;                 // slots repaired from the other copy since start
let base: u64 = 0;                     // while degraded: the generation both copies last shared
let diverged = false;                  // set when a copy came back having gone on alone too
let told = false;                      // the divergence was logged (once, not per request)

function h(c: i32): i32 { return load<i32>(HANDLE + (<usize>c << 2)); }
function st(c: i32): St { return <St>load<u8>(STATE + <usize>c); }
function set(c: i32, s: St): void { store<u8>(STATE + <usize>c, <u8>s); }

/** Read slot i of copy c into p: 0, or -Errno (a short read is -EIO). */
function rd(c: i32, i: u32, p: usize): i32 {
  let r = sys.diskRead(h(c), <u64>i * SLOT, p, SLOT);
  return r == SLOT ? 0 : r < 0 ? r : -Errno.EIO;
}

/** Write p to slot i of copy c, then flush if asked: 0, or -Errno. */
function wr(c: i32, i: u32, p: usize, flush: bool = true): i32 {
  let r = sys.diskWrite(h(c), <u64>i * SLOT, p, SLOT);
  if (r != SLOT) return r < 0 ? r : -Errno.EIO;
  return flush ? sys_disk_flush(h(c)) : 0;
}

function say(c: i32, what: string, err: i32 = 0): void {
  line.begin("kv: mirror: copy ");
  line.num(c);
  line.str(what);
  if (err != 0) { line.str(" (error "); line.num(err); line.str(")"); }
  line.str("; generation ");
  line.num(<i64>gen);
  line.emit();
}

/** Raise the generation and write it to copy c, the one that stays, marked degraded: any
 *  other copy's header is now older, so it is rebuilt when it comes back. Done once per
 *  degradation: a header is rewritten only while the other copy still has every
 *  acknowledged write, so a crash that tears it loses nothing. */
function degrade(c: i32): i32 {
  base = gen;
  gen++;
  header(HDR, count, gen, F_DEGRADED, base);
  return wr(c, 0, HDR);
}

/** Copy c failed with err. Drops it from the set unless it is the last in-sync copy or
 *  the raised generation cannot be written to the other (then the caller reports the
 *  error: a copy is never dropped without the survivor's header saying so). Returns
 *  whether the caller may go on without it. */
function fail(c: i32, err: i32): bool {
  let s = st(c);
  if (s == St.SYNCING) { set(c, St.FAILED); say(c, " failed during resync", err); return true; }
  if (s != St.IN_SYNC) return true;
  let o = 1 - c;
  if (copies < COPIES || st(o) != St.IN_SYNC) return false;
  let r = degrade(o);
  if (r < 0) {
    gen--;   // not recorded: both stay in the set, and this request fails
    say(c, " failed, and the other copy failed to record it", r);
    return false;
  }
  set(c, St.FAILED);
  say(c, " failed: degraded, serving from the other copy", err);
  return true;
}

/** True once a copy came back having gone on alone too (refuse()): nothing is served. */
export function isDiverged(): bool { return diverged; }

/** Slots in the table, header included (valid after attach() returned OK). */
export function slotCount(): u32 { return count; }

/** What read() and compare() found. */
export const FAILED: i32 = -1;   // no copy could be read
export const TORN: i32 = 0;      // BUF holds the slot, but no readable copy had it whole
export const WHOLE: i32 = 1;     // BUF holds the slot, empty or sealed whole

/** Read slot i into BUF from the first in-sync copy that has it sealed. A zero slot is
 *  whole, but a sealed one beats it (a written slot never becomes all zero again: a zero
 *  block beside a sealed one was lost or zeroed), so a zero slot is read on the other
 *  in-sync copy too. A copy that was readable but wrong is repaired. */
export function read(i: u32): i32 {
  let bad = -1, empty = -1, got = FAILED;
  for (let c = 0; c < copies; c++) {
    if (st(c) != St.IN_SYNC) continue;
    let p = empty >= 0 ? OTHER : BUF;
    let r = rd(c, i, p);
    if (r < 0) { if (fail(c, r)) continue; return FAILED; }
    if (got == FAILED) got = TORN;
    if (sealed(p)) {
      if (p != BUF) memory.copy(BUF, p, SLOT);
      if (empty >= 0) repair(empty, i, BUF);
      if (bad >= 0) repair(bad, i, BUF);
      return WHOLE;
    }
    if (empty < 0 && zero(p)) { empty = c; got = WHOLE; continue; }
    if (empty < 0) bad = c;
  }
  if (empty >= 0 && bad >= 0) repair(bad, i, BUF);   // torn on the copy written first, zero here: the write was cut
  return got;
}

/** Write p over slot i of copy c, which was readable but wrong. */
function repair(c: i32, i: u32, p: usize): void {
  let r = wr(c, i, p);
  if (r < 0) { fail(c, r); return; }
  repaired++;
  line.begin("kv: mirror: slot ");
  line.num(i);
  line.str(" of copy ");
  line.num(c);
  line.str(" was wrong: repaired from the other copy");
  line.emit();
}

/** Read slot i from every in-sync copy into BUF and make them agree: a sealed slot wins
 *  over a zero one, and a zero one over a torn one; when both are sealed and differ, the
 *  higher sequence wins (every write has its own), and on a tie copy 0 (writes reach it
 *  first, so it is never the older). Returns as read() does. */
export function compare(i: u32): i32 {
  if (copies < COPIES || st(0) != St.IN_SYNC || st(1) != St.IN_SYNC) return read(i);
  let r0 = rd(0, i, BUF);
  if (r0 < 0) return fail(0, r0) ? read(i) : FAILED;
  let r1 = rd(1, i, OTHER);
  if (r1 < 0) return fail(1, r1) ? (whole(BUF) ? WHOLE : TORN) : FAILED;
  if (same(BUF, OTHER)) return whole(BUF) ? WHOLE : TORN;
  let s0 = sealed(BUF), s1 = sealed(OTHER);
  let keep0 = s0 && s1 ? load<u64>(BUF, S_SEQ) >= load<u64>(OTHER, S_SEQ) : s0 ? true : s1 ? false :
    zero(BUF) ? true : zero(OTHER) ? false : true;
  if (!s0 && !s1 && !zero(BUF) && !zero(OTHER)) return TORN;
  if (keep0) { repair(1, i, BUF); return WHOLE; }
  memory.copy(BUF, OTHER, SLOT);
  repair(0, i, BUF);
  return WHOLE;
}

/** Write p to slot i of every copy that takes writes, each flushed. True if at least one
 *  in-sync copy has it. */
export function write(i: u32, p: usize): bool {
  let ok = false;
  for (let c = 0; c < copies; c++) {
    let s = st(c);
    if (s != St.IN_SYNC && s != St.SYNCING) continue;
    let r = wr(c, i, p);
    if (r >= 0) { if (s == St.IN_SYNC) ok = true; continue; }
    if (!fail(c, r)) return false;
  }
  return ok;
}

// ---- Opening the set ----------------------------------------------------------------

const HEAD = memory.data(COPIES);      // each copy's Head at attach, 0xff for a failed read
const HGEN = memory.data(COPIES * 8);  // each copy's header generation
const HFLAGS = memory.data(COPIES * 2); // each copy's header flags
const HBASE = memory.data(COPIES * 8); // each copy's base (the generation it went alone from)
const HCOUNT = memory.data(COPIES * 4); // a torn header's slot count, if its first half is ours; else 0
const AVAIL = memory.data(COPIES * 8); // each copy's length in slots

function hd(c: i32): i32 { return <i32>load<u8>(HEAD + <usize>c); }
function hgen(c: i32): u64 { return load<u64>(HGEN + (<usize>c << 3)); }
function avail(c: i32): u64 { return load<u64>(AVAIL + (<usize>c << 3)); }
const UNREADABLE: i32 = 0xff;

/** The id of the disk copy c's extent lies on, or -Errno. */
function disk(c: i32): i32 {
  let r = sys_cap_info(h(c), <i32>INFO);
  return r < 0 ? r : <i32>load<u16>(INFO + CAPINFO_OBJECT);
}

/** Read copy c's header and length; returns its slot count if it is a trusted header
 *  (ours, not syncing, fits its extent), else 0. */
function inspect(c: i32): u32 {
  let len = sys.diskLength(h(c));
  store<u64>(AVAIL + (<usize>c << 3), len < 0 ? 0 : <u64>len / SLOT);
  let r = len < 0 ? <i32>len : rd(c, 0, HDR);
  store<u8>(HEAD + <usize>c, r < 0 ? <u8>UNREADABLE : <u8>head(HDR));
  store<u32>(HCOUNT + (<usize>c << 2), 0);
  if (r >= 0 && head(HDR) == Head.TORN) {
    // Torn while rewritten: count, slot size and generation lie in the first half, which
    // holds the old or the new header (the count never changes after formatting).
    let tn = load<u32>(HDR, H_SLOTS);
    if (load<u32>(HDR, H_SLOT_SIZE) == <u32>SLOT && tn >= 2 && <u64>tn <= avail(c)) {
      store<u32>(HCOUNT + (<usize>c << 2), tn);
      store<u64>(HGEN + (<usize>c << 3), load<u64>(HDR, H_GEN));
    }
  }
  if (r < 0 || head(HDR) != Head.OURS) return 0;
  store<u64>(HGEN + (<usize>c << 3), load<u64>(HDR, H_GEN));
  store<u16>(HFLAGS + (<usize>c << 1), load<u16>(HDR, H_FLAGS));
  store<u64>(HBASE + (<usize>c << 3), baseOf(HDR));
  let n = load<u32>(HDR, H_SLOTS);
  let ok = (load<u16>(HDR, H_FLAGS) & F_SYNCING) == 0 && load<u32>(HDR, H_SLOT_SIZE) == <u32>SLOT &&
    n >= 2 && <u64>n <= avail(c);
  return ok ? n : 0;
}

/** The generation both copies last shared, by the header at p: its base if it went on
 *  alone (degraded), else its generation (it was in sync with the other at it). */
function baseOf(p: usize): u64 {
  let g = load<u64>(p, H_GEN);
  if ((load<u16>(p, H_FLAGS) & F_DEGRADED) == 0) return g;
  let b = load<u64>(p, H_BASE);
  return b != 0 && b < g ? b : g - 1;
}

/** True if the header at p (another copy's, ours and not syncing) went on alone past the
 *  point the trusted set went on alone (its base tb): it took writes the set lacks, and the
 *  set took writes it lacks. Neither may be rebuilt from the other. */
function split(p: usize, tb: u64): bool {
  return (load<u16>(p, H_FLAGS) & (F_DEGRADED | F_SYNCING)) == F_DEGRADED && load<u64>(p, H_GEN) > tb;
}

/** Both copies went on alone: say so, and serve nothing until the operator chooses. */
function refuse(o: i32, og: u64): Result {
  diverged = true;
  if (told) return Result.DIVERGED;
  told = true;
  line.begin("kv: mirror: DIVERGED: copy ");
  line.num(o);
  line.str(" (generation ");
  line.num(<i64>og);
  line.str(") and copy ");
  line.num(1 - o);
  line.str(" (generation ");
  line.num(<i64>gen);
  line.str(") each went on alone while the other was out, and each may hold acknowledged writes the other lacks;");
  line.str(" kv serves nothing rather than drop either. Detach the copy whose writes you give up (persia disk detach), or copy its keys out first");
  line.emit();
  return Result.DIVERGED;
}

/** Find the extents, read their headers, and decide which copy is trusted: the one with
 *  the highest generation; a zero (or torn while formatting) set is formatted. */
export function attach(): Result {
  copies = 0;
  for (let c = 0; c < COPIES; c++) {
    let hc = sys_cap_find(CapKind.DISK, c);
    if (hc < 0) break;
    store<i32>(HANDLE + (<usize>c << 2), hc);
    set(c, St.ABSENT);
    copies++;
  }
  if (copies == 0) return Result.NO_DISK;
  diverged = false;
  if (copies == COPIES && disk(0) >= 0 && disk(0) == disk(1)) {
    line.begin("kv: mirror: both copies are on disk ");
    line.num(disk(0));
    line.str(": a failure of that disk loses both; grant extents on two disks");
    line.emit();
  }
  let trusted = -1, n: u32 = 0;
  for (let c = 0; c < copies; c++) {
    let m = inspect(c);
    if (m != 0 && (trusted < 0 || hgen(c) > hgen(trusted))) { trusted = c; n = m; }
  }
  if (avail(0) < 2) return Result.TOO_SMALL;
  if (trusted < 0) return format();
  count = n;
  gen = hgen(trusted);
  base = load<u64>(HBASE + (<usize>trusted << 3));
  set(trusted, St.IN_SYNC);
  if (copies == COPIES) return join(1 - trusted);
  return Result.OK;
}

/** Place the untrusted copy o of a mirror whose other copy is trusted. */
function join(o: i32): Result {
  let k = hd(o);
  let t = 1 - o;
  if (k == Head.OURS && (load<u16>(HFLAGS + (<usize>o << 1)) & F_SYNCING) == 0 &&
      (load<u16>(HFLAGS + (<usize>o << 1)) & F_DEGRADED) != 0 && hgen(o) > base &&
      (hgen(o) != gen || (load<u16>(HFLAGS + (<usize>t << 1)) & F_DEGRADED) != 0)) {
    set(o, St.FOREIGN);
    return refuse(o, hgen(o));
  }
  if (k == Head.OURS && hgen(o) == gen && inspect(o) == count) { set(o, St.IN_SYNC); return undegrade(); }
  if (k == Head.OURS || k == Head.BLANK || k == Head.TORN) {
    set(o, avail(o) < <u64>count ? St.FOREIGN : St.STALE);
    say(o, st(o) == St.STALE ? " is stale or blank: it will be rebuilt" : " is too small for the table");
    if (st(o) == St.STALE) return Result.OK;
  } else {
    set(o, k == UNREADABLE ? St.FAILED : St.FOREIGN);
    say(o, k == UNREADABLE ? " cannot be read: degraded" : " holds data that is not ours: left alone");
  }
  if ((load<u16>(HFLAGS + (<usize>t << 1)) & F_DEGRADED) != 0) return Result.OK;   // raised already
  return degrade(t) < 0 ? Result.IO : Result.OK;
}

/** Both copies are in sync: clear a degraded mark a crash left on one (between the two
 *  header writes that end a resync), or it would stop the next degradation's raise. */
function undegrade(): Result {
  base = gen;
  header(HDR, count, gen, 0);
  for (let c = 0; c < COPIES; c++) {
    if ((load<u16>(HFLAGS + (<usize>c << 1)) & F_DEGRADED) == 0) continue;
    if (wr(c, 0, HDR) < 0) return Result.IO;
  }
  return Result.OK;
}

/** No copy has a trusted header: format them if every one is blank or torn while
 *  formatting, else say why not. */
function format(): Result {
  let n = avail(0);
  for (let c = 0; c < copies; c++) {
    let k = hd(c);
    if (k == Head.V1) return Result.V1;
    if (k == UNREADABLE) return Result.IO;
    if (k != Head.BLANK && k != Head.TORN) return Result.BAD_FORMAT;
    if (avail(c) < n) n = avail(c);
  }
  if (n < 2) return Result.TOO_SMALL;
  // A header torn while it was rewritten has records behind it: keep its table (count),
  // never format over it; the other copy (blank) is rebuilt from it.
  let rec = -1;
  for (let c = 0; c < copies; c++) {
    if (hd(c) == Head.TORN && load<u32>(HCOUNT + (<usize>c << 2)) != 0 && (rec < 0 || hgen(c) > hgen(rec))) rec = c;
  }
  if (rec >= 0) {
    count = load<u32>(HCOUNT + (<usize>rec << 2));
    gen = hgen(rec);
    base = gen;
    header(HDR, count, gen, 0);
    if (wr(rec, 0, HDR) < 0) return Result.IO;
    set(rec, St.IN_SYNC);
    store<u16>(HFLAGS + (<usize>rec << 1), 0);
    line.begin("kv: the header of copy ");
    line.num(rec);
    line.str(" was torn (a crash while it was rewritten): rewritten for its table of ");
    line.num(count);
    line.str(" slots, records kept; generation ");
    line.num(<i64>gen);
    line.emit();
    return copies == COPIES ? join(1 - rec) : Result.OK;
  }
  count = <u32>(n < SLOTS_MAX ? n : SLOTS_MAX);
  gen = 1;
  header(HDR, count, gen, 0);
  for (let c = 0; c < copies; c++) {
    if (wr(c, 0, HDR) < 0) return Result.IO;
    set(c, St.IN_SYNC);
  }
  return Result.OK;
}

// ---- Background work: resync and scrub ------------------------------------------------

/** One step of background work; returns the ms until the next step is wanted, 0 for a
 *  single copy (it has none). */
export function tick(): i32 {
  if (copies < COPIES || count == 0 || diverged) return 0;
  for (let c = 0; c < COPIES; c++) {
    let s = st(c);
    if (s == St.SYNCING) return step(c);
    if ((s == St.FAILED || s == St.STALE || s == St.FOREIGN) && st(1 - c) == St.IN_SYNC) {
      if (begin(c)) return RESYNC_MS;
      return IDLE_MS;
    }
  }
  for (let k: u32 = 0; k < SCRUB_STEP; k++) {
    if (compare(scrubAt) == FAILED) break;
    scrubAt = scrubAt + 1 >= count ? 1 : scrubAt + 1;
  }
  return IDLE_MS;
}

/** Start rebuilding copy c if it reads again and is ours or blank: mark its header
 *  syncing first, so a crash mid-resync leaves it untrusted. */
function begin(c: i32): bool {
  let was = st(c);
  let len = sys.diskLength(h(c));
  if (len < 0 || rd(c, 0, HDR) < 0) return false;
  let k = head(HDR);
  if (k == Head.OURS && split(HDR, base)) { set(c, St.FOREIGN); refuse(c, load<u64>(HDR, H_GEN)); return false; }
  let small = <u64>len / SLOT < <u64>count;
  if (small || !(k == Head.OURS || k == Head.BLANK || k == Head.TORN)) {
    if (was != St.FOREIGN) { set(c, St.FOREIGN); say(c, small ? " is too small for the table" : " holds data that is not ours: left alone"); }
    return false;
  }
  header(HDR, count, gen, F_SYNCING);
  let r = wr(c, 0, HDR);
  if (r < 0) { if (was != St.FAILED) { set(c, St.FAILED); say(c, " failed", r); } return false; }
  set(c, St.SYNCING);
  cursor = 1;
  say(c, " resync started");
  return true;
}

/** Copy the next slots from the in-sync copy to copy c; finish with its header. */
function step(c: i32): i32 {
  let o = 1 - c;
  for (let k: u32 = 0; k < RESYNC_STEP && cursor < count; k++) {
    let r = rd(o, cursor, OTHER);
    if (r < 0) { fail(o, r); return IDLE_MS; }
    r = wr(c, cursor, OTHER, false);
    if (r < 0) { fail(c, r); return IDLE_MS; }
    cursor++;
  }
  let r = sys_disk_flush(h(c));
  if (r < 0) { fail(c, r); return IDLE_MS; }
  if (cursor < count) return RESYNC_MS;
  header(HDR, count, gen, 0);
  r = wr(c, 0, HDR);
  if (r < 0) { fail(c, r); return IDLE_MS; }
  set(c, St.IN_SYNC);
  r = wr(o, 0, HDR);            // the survivor is no longer alone: clear its degraded mark
  if (r < 0) { fail(o, r); return IDLE_MS; }
  base = gen;                    // in sync again: no longer alone
  say(c, " resynced: both in sync");
  return IDLE_MS;
}

/** The set's state as text at p (at most room bytes): "single copy", "mirror: both in
 *  sync", "mirror: copy 1 failed", "mirror: copy 1 resync 40%", …, then the generation
 *  and the count of repaired slots. Returns the length. */
export function status(p: usize, room: i32): i32 {
  let n = 0;
  if (copies < COPIES) n += text.utf8(p, room, "single copy");
  else {
    let c = st(0) != St.IN_SYNC ? 0 : st(1) != St.IN_SYNC ? 1 : -1;
    if (c < 0) n += text.utf8(p, room, "mirror: both in sync");
    else {
      n += text.utf8(p + <usize>n, room - n, "mirror: copy ");
      n += text.dec(p + <usize>n, room - n, c);
      let s = st(c);
      if (s == St.SYNCING) {
        n += text.utf8(p + <usize>n, room - n, " resync ");
        n += text.dec(p + <usize>n, room - n, <i64>(<u64>cursor * 100 / <u64>count));
        n += text.utf8(p + <usize>n, room - n, "%");
      } else {
        n += text.utf8(p + <usize>n, room - n, s == St.FAILED ? " failed" : s == St.STALE ? " stale" : " left alone");
      }
    }
  }
  n += text.utf8(p + <usize>n, room - n, "; generation ");
  n += text.dec(p + <usize>n, room - n, <i64>gen);
  n += text.utf8(p + <usize>n, room - n, "; repaired ");
  n += text.dec(p + <usize>n, room - n, repaired);
  return n;
}
