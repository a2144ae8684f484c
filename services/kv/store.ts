// The key-value table on the service's raw disk extent: fixed 1024-byte slots, slot 0 a
// header, slots 1.. addressed by the FNV-1a hash of the key with linear probing and
// tombstones. Every change writes its one slot and flushes before it reports success.
// A zero extent is formatted on open; an extent with a foreign header is never written.
// It parses no requests and knows nothing of UDP (main.ts does). Layout: spec/services.md.
//
//   header slot  0 u32 magic "PKVS"  4 u16 version  6 u16 0  8 u32 slot size
//                12 u32 slot count (header included)  rest zero
//   data slot    0 u8 state  1 u8 key length  2 u16 value length  4 u32 key hash
//                8 key[64]  72 value[900]  972 zero  1020 u32 FNV-1a of bytes 0..1020
//   All integers little-endian.
import { equal, isZero } from "../sdk/bytes";
import { sys } from "../sdk/index";
import { sys_disk_flush } from "../../abi/gen/persia";

export const SLOT: i32 = 1024;        // bytes per slot
export const KEY_MAX: i32 = 64;       // bytes in a key
export const VALUE_MAX: i32 = 900;    // bytes in a value
const SLOTS_MAX: u64 = 1 << 20;       // slots used at most (1 GiB); the rest stays unused
const MAGIC: u32 = 0x53564b50;        // "PKVS" read as u32 LE
const VERSION: u32 = 1;

const H_MAGIC = 0, H_VERSION = 4, H_SLOT_SIZE = 8, H_SLOTS = 12;
const S_STATE = 0, S_KEY_LEN = 1, S_VALUE_LEN = 2, S_HASH = 4, S_KEY = 8, S_VALUE = 72;
const S_CHECK = SLOT - 4;
const EMPTY: u8 = 0, LIVE: u8 = 1, TOMBSTONE: u8 = 2;

export const enum Result {
  OK = 0,
  NOT_FOUND = 1,
  NO_DISK = 2,      // no DISK capability
  TOO_SMALL = 3,    // extent holds fewer than two slots
  BAD_FORMAT = 4,   // the extent's header is not ours; it is never written
  IO = 5,           // a disk syscall failed or came up short
  FULL = 6,         // no empty slot or tombstone left
}

/** One slot's bytes: the last one read, or the one being written. */
const BUF = memory.data(SLOT);
let disk: i32 = -1;
let slots: u32 = 0;              // data slots, excluding the header
let state: Result = Result.NO_DISK;  // until ready() has opened the table

function fnv1a(p: usize, n: i32): u32 {
  let h: u32 = 2166136261;
  for (let i = 0; i < n; i++) h = (h ^ load<u8>(p + <usize>i)) * 16777619;
  return h;
}

function io(r: i32): bool { return r == SLOT; }
function readSlot(i: u32): bool { return io(sys.diskRead(disk, <u64>i * SLOT, BUF, SLOT)); }
function writeSlot(i: u32): bool {
  return io(sys.diskWrite(disk, <u64>i * SLOT, BUF, SLOT)) && sys_disk_flush(disk) >= 0;
}

/** Find the extent, format it if it is zero, check its header. */
function open(): Result {
  disk = sys.firstDisk();
  if (disk < 0) return Result.NO_DISK;
  let bytes = sys.diskLength(disk);
  if (bytes < 0) return Result.IO;
  let avail = <u64>bytes / SLOT;
  if (avail < 2) return Result.TOO_SMALL;
  if (!readSlot(0)) return Result.IO;
  if (isZero(BUF, SLOT)) {
    let n = avail < SLOTS_MAX ? avail : SLOTS_MAX;
    store<u32>(BUF, MAGIC, H_MAGIC);
    store<u16>(BUF, <u16>VERSION, H_VERSION);
    store<u32>(BUF, <u32>SLOT, H_SLOT_SIZE);
    store<u32>(BUF, <u32>n, H_SLOTS);
    if (!writeSlot(0)) return Result.IO;
  }
  let n = <u64>load<u32>(BUF, H_SLOTS);
  if (load<u32>(BUF, H_MAGIC) != MAGIC || <u32>load<u16>(BUF, H_VERSION) != VERSION ||
      load<u32>(BUF, H_SLOT_SIZE) != <u32>SLOT || n < 2 || n > avail) return Result.BAD_FORMAT;
  slots = <u32>n - 1;
  return Result.OK;
}

/** Open the table unless it is open or its header is foreign: OK or why it is not. */
export function ready(): Result {
  if (state != Result.OK && state != Result.BAD_FORMAT) state = open();
  return state;
}

/** True if the live slot in BUF holds the key of klen bytes at key. */
function holds(key: usize, klen: i32, hash: u32): bool {
  return load<u32>(BUF, S_HASH) == hash && <i32>load<u8>(BUF, S_KEY_LEN) == klen &&
    equal(BUF + S_KEY, key, klen);
}

/** Whether the slot in BUF is as it was written. A slot whose check does not match (a
 *  torn write) or whose lengths are out of range counts as a tombstone: never a match,
 *  free for reuse. */
function intact(): bool {
  return load<u32>(BUF, S_CHECK) == fnv1a(BUF, S_CHECK) &&
    <i32>load<u8>(BUF, S_KEY_LEN) <= KEY_MAX && <i32>load<u16>(BUF, S_VALUE_LEN) <= VALUE_MAX;
}

let reusable: u32 = 0;   // set by find: the first empty slot or tombstone on the probe path

/** Probe for key from its home slot. Returns the slot holding it (its bytes in BUF), 0 if
 *  absent (reusable set, 0 if the table is full), or -1 on an I/O error. */
function find(key: usize, klen: i32, hash: u32): i64 {
  reusable = 0;
  for (let i: u32 = 0; i < slots; i++) {
    let s = 1 + <u32>((<u64>hash + i) % slots);
    if (!readSlot(s)) return -1;
    let st = load<u8>(BUF, S_STATE);
    if (st == EMPTY && isZero(BUF, SLOT)) {
      if (reusable == 0) reusable = s;
      return 0;
    }
    let live = st == LIVE && intact();
    if (live && holds(key, klen, hash)) return s;
    if (!live && reusable == 0) reusable = s;
  }
  return 0;
}

/** Look key up; on OK its value is at value() for valueLen() bytes. */
export function get(key: usize, klen: i32): Result {
  let r = find(key, klen, fnv1a(key, klen));
  if (r < 0) return Result.IO;
  return r == 0 ? Result.NOT_FOUND : Result.OK;
}

export function value(): usize { return BUF + S_VALUE; }
export function valueLen(): i32 { return <i32>load<u16>(BUF, S_VALUE_LEN); }

/** Store key = value durably. */
export function put(key: usize, klen: i32, val: usize, vlen: i32): Result {
  let hash = fnv1a(key, klen);
  let r = find(key, klen, hash);
  if (r < 0) return Result.IO;
  let s = r > 0 ? <u32>r : reusable;
  if (s == 0) return Result.FULL;
  memory.fill(BUF, 0, SLOT);
  store<u8>(BUF, LIVE, S_STATE);
  store<u8>(BUF, <u8>klen, S_KEY_LEN);
  store<u16>(BUF, <u16>vlen, S_VALUE_LEN);
  store<u32>(BUF, hash, S_HASH);
  memory.copy(BUF + S_KEY, key, klen);
  memory.copy(BUF + S_VALUE, val, vlen);
  return seal(s);
}

/** Remove key durably, leaving a tombstone so later keys on its probe path stay found. */
export function del(key: usize, klen: i32): Result {
  let r = find(key, klen, fnv1a(key, klen));
  if (r < 0) return Result.IO;
  if (r == 0) return Result.NOT_FOUND;
  memory.fill(BUF, 0, SLOT);
  store<u8>(BUF, TOMBSTONE, S_STATE);
  return seal(<u32>r);
}

function seal(s: u32): Result {
  store<u32>(BUF, fnv1a(BUF, S_CHECK), S_CHECK);
  return writeSlot(s) ? Result.OK : Result.IO;
}
