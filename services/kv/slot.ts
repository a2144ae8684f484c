// The 1024-byte slot, kv's unit of disk I/O (format version 2, spec/services.md): the
// header in slot 0 and the records in slots 1.., each sealed by a CRC-32C of its first
// 1020 bytes, and the classification of bytes read back: empty (all zero), a live record,
// a tombstone, or torn (the check does not hold or a length is out of range: a crash cut
// the write or the disk corrupted it). It does no I/O (copies.ts does) and keeps no state.
//
//   header  0 u32 magic "PKVS"  4 u16 version 2  6 u16 flags (1 syncing, 2 degraded)
//           8 u32 slot size  12 u32 slot count (header included)  16 u64 generation
//           24 u64 base: with flag degraded, the generation both copies last shared when
//           this copy went on alone (0 in older headers: read as generation - 1)
//           32.. zero  1020 u32 CRC-32C of bytes 0..1020
//   record  0 u8 state (1 live, 2 tombstone)  1 u8 key length  2 u16 value length
//           4 u32 FNV-1a of the key  8 u64 sequence  16 key[64]  80 value[900]
//           980.. zero  1020 u32 CRC-32C of bytes 0..1020
//   All integers little-endian.
import { isZero } from "../sdk/bytes";
import { crc32c } from "./crc32c";

export const SLOT: i32 = 1024;        // bytes per slot
export const KEY_MAX: i32 = 64;       // bytes in a key
export const VALUE_MAX: i32 = 900;    // bytes in a value
const CHECK = SLOT - 4;               // offset of the CRC-32C

export const MAGIC: u32 = 0x53564b50; // "PKVS" read as u32 LE
export const VERSION: u32 = 2;
export const V1: u32 = 1;             // the format before checksums and sequences (refused)
export const H_MAGIC = 0, H_VERSION = 4, H_FLAGS = 6, H_SLOT_SIZE = 8, H_SLOTS = 12, H_GEN = 16, H_BASE = 24;
export const F_SYNCING: u16 = 1;      // this copy is being rebuilt from the other: untrusted
export const F_DEGRADED: u16 = 2;     // this copy went on alone: its generation is already raised

export const S_STATE = 0, S_KEY_LEN = 1, S_VALUE_LEN = 2, S_HASH = 4, S_SEQ = 8, S_KEY = 16,
  S_VALUE = 80;
export const LIVE: u8 = 1, TOMBSTONE: u8 = 2;

/** What a data slot's bytes hold. */
export const enum Kind { EMPTY, LIVE, TOMBSTONE, TORN }

/** What a header slot's bytes hold. */
export const enum Head {
  OURS,      // a version 2 header whose check holds
  BLANK,     // all zero: never formatted
  TORN,      // our magic and version, or only the check, but the check fails: cut while formatting
  V1,        // a version 1 header: kv's old format, refused and never written
  FOREIGN,   // anything else: not ours, never written
}

export function fnv1a(p: usize, n: i32): u32 {
  let h: u32 = 2166136261;
  for (let i = 0; i < n; i++) h = (h ^ load<u8>(p + <usize>i)) * 16777619;
  return h;
}

/** Write the slot's check: its bytes are final. */
export function seal(p: usize): void {
  store<u32>(p + <usize>CHECK, crc32c(p, CHECK));
}

export function intact(p: usize): bool {
  return load<u32>(p + <usize>CHECK) == crc32c(p, CHECK);
}

/** True if the slot at p is all zero (eight bytes at a time: opening reads every slot). */
export function zero(p: usize): bool {
  for (let i = 0; i < SLOT; i += 8) if (load<u64>(p + <usize>i) != 0) return false;
  return true;
}

/** True if the slots at a and b hold the same bytes. */
export function same(a: usize, b: usize): bool {
  for (let i = 0; i < SLOT; i += 8) if (load<u64>(a + <usize>i) != load<u64>(b + <usize>i)) return false;
  return true;
}

/** Empty, or sealed whole: what a write leaves when it was not cut. */
export function whole(p: usize): bool {
  return zero(p) || intact(p);
}

/** Written and sealed whole: a record that was once written (a written slot is never
 *  all zero again: a zero slot beside a sealed one is a lost or zeroed block). */
export function sealed(p: usize): bool {
  return !zero(p) && intact(p);
}

/** What the slot at p holds, given whole(p) (computed once, by whoever read it). */
export function kind(p: usize, isWhole: bool): Kind {
  if (!isWhole) return Kind.TORN;
  if (zero(p)) return Kind.EMPTY;
  let st = load<u8>(p, S_STATE);
  let klen = <i32>load<u8>(p, S_KEY_LEN), vlen = <i32>load<u16>(p, S_VALUE_LEN);
  if (klen > KEY_MAX || vlen > VALUE_MAX) return Kind.TORN;
  if (st == LIVE && klen > 0) return Kind.LIVE;
  if (st == TOMBSTONE && vlen == 0) return Kind.TOMBSTONE;
  return Kind.TORN;
}

export function head(p: usize): Head {
  if (zero(p)) return Head.BLANK;
  let magic = load<u32>(p, H_MAGIC), version = <u32>load<u16>(p, H_VERSION);
  if (magic == MAGIC && version == V1) return Head.V1;
  let ours = magic == MAGIC && version == VERSION;
  if (ours && intact(p)) return Head.OURS;
  if (ours || isZero(p, CHECK)) return Head.TORN;
  return Head.FOREIGN;
}

/** Fill p with a header for count slots (header included) at generation gen. */
export function header(p: usize, count: u32, gen: u64, flags: u16, base: u64 = 0): void {
  memory.fill(p, 0, SLOT);
  store<u32>(p, MAGIC, H_MAGIC);
  store<u16>(p, <u16>VERSION, H_VERSION);
  store<u16>(p, flags, H_FLAGS);
  store<u32>(p, <u32>SLOT, H_SLOT_SIZE);
  store<u32>(p, count, H_SLOTS);
  store<u64>(p, gen, H_GEN);
  store<u64>(p, base, H_BASE);
  seal(p);
}

/** Fill p with a record: LIVE with the key and value, or TOMBSTONE (vlen 0). A tombstone
 *  with klen 0 is a free slot that names no key. */
export function record(p: usize, state: u8, seq: u64, key: usize, klen: i32, hash: u32,
    val: usize, vlen: i32): void {
  memory.fill(p, 0, SLOT);
  store<u8>(p, state, S_STATE);
  store<u8>(p, <u8>klen, S_KEY_LEN);
  store<u16>(p, <u16>vlen, S_VALUE_LEN);
  store<u32>(p, hash, S_HASH);
  store<u64>(p, seq, S_SEQ);
  memory.copy(p + S_KEY, key, klen);
  memory.copy(p + S_VALUE, val, vlen);
  seal(p);
}
