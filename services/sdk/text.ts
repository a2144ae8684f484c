// Text formatting into a caller's buffer without allocating: AS strings as UTF-8, decimal
// integers, IPv6 addresses in their RFC 5952 text form, and raw bytes made printable.
// Each function writes at most `room` bytes at p and returns how many it wrote; output
// that does not fit is cut off (a UTF-8 sequence is never split). It does not parse text.
// Used by log.ts and sys.ts.
import { ld16 } from "./bytes";

/** UTF-8 of s; an unpaired surrogate is written as WTF-8, as String.UTF8 does. */
export function utf8(p: usize, room: i32, s: string): i32 {
  let n = 0;
  let units = s.length;
  for (let i = 0; i < units; i++) {
    let c = s.charCodeAt(i);
    let pair = (c & 0xfc00) == 0xd800 && i + 1 < units && (s.charCodeAt(i + 1) & 0xfc00) == 0xdc00;
    let size = c < 0x80 ? 1 : c < 0x800 ? 2 : pair ? 4 : 3;
    if (n + size > room) break;
    let q = changetype<usize>(s) + (<usize>i << 1);
    n += <i32>String.UTF8.encodeUnsafe(q, pair ? 2 : 1, p + <usize>n);
    if (pair) i++;
  }
  return n;
}

/** Decimal digits of v, with a '-' for negative values. */
export function dec(p: usize, room: i32, v: i64): i32 {
  let digits = 1;
  let mag: u64 = v < 0 ? <u64>(-v) : <u64>v;
  for (let t = mag; t >= 10; t /= 10) digits++;
  let size = digits + (v < 0 ? 1 : 0);
  if (size > room) return 0;
  if (v < 0) store<u8>(p, 0x2d);
  for (let i = size - 1; i >= size - digits; i--) {
    store<u8>(p + <usize>i, <u8>(0x30 + <u32>(mag % 10)));
    mag /= 10;
  }
  return size;
}

function hex16(p: usize, room: i32, v: u32): i32 {
  let digits = v >= 0x1000 ? 4 : v >= 0x100 ? 3 : v >= 0x10 ? 2 : 1;
  if (digits > room) return 0;
  for (let i = digits - 1; i >= 0; i--) {
    let d = v & 0xf;
    store<u8>(p + <usize>i, <u8>(d < 10 ? 0x30 + d : 0x57 + d));
    v >>= 4;
  }
  return digits;
}

/** The 16-byte address at a: lower-case hex groups without leading zeros, the longest
 *  run of two or more zero groups (the first of equal runs) written as "::". */
export function addr(p: usize, room: i32, a: usize): i32 {
  let runAt = -1, runLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && ld16(a + <usize>(j * 2)) == 0) j++;
    if (j - i > runLen) { runAt = i; runLen = j - i; }
    i = j == i ? i + 1 : j;
  }
  let n = 0;
  let afterRun = false;
  for (let i = 0; i < 8; i++) {
    if (i == runAt) {
      n += colons(p + <usize>n, room - n, 2);
      i += runLen - 1;
      afterRun = true;
      continue;
    }
    if (i > 0 && !afterRun) n += colons(p + <usize>n, room - n, 1);
    afterRun = false;
    n += hex16(p + <usize>n, room - n, ld16(a + <usize>(i * 2)));
  }
  return n;
}

function colons(p: usize, room: i32, k: i32): i32 {
  if (k > room) return 0;
  for (let i = 0; i < k; i++) store<u8>(p + <usize>i, 0x3a);
  return k;
}

/** len bytes from q, each byte outside printable ASCII shown as '.'. */
export function printable(p: usize, room: i32, q: usize, len: i32): i32 {
  let n = len < room ? len : room;
  for (let i = 0; i < n; i++) {
    let b = load<u8>(q + <usize>i);
    store<u8>(p + <usize>i, b >= 0x20 && b < 0x7f ? b : 0x2e);
  }
  return n;
}
