// Byte-level helpers for packets in a service's own memory: the network-order
// (big-endian) loads and stores are wire/bytes.ts, the kernel's own, re-exported so
// that services and kernel read packets the same way; here are the byte-range compares,
// ASCII matching and line-end trimming services add. None checks bounds: every caller has
// checked that the bytes lie inside its buffer. Used by every SDK module and by services.
export { ld8, ld16, ld32, st8, st16, st32 } from "../../wire/bytes";

/** True if the n bytes at a and b are equal. */
export function equal(a: usize, b: usize, n: i32): bool {
  for (let i = 0; i < n; i++) {
    if (load<u8>(a + <usize>i) != load<u8>(b + <usize>i)) return false;
  }
  return true;
}

/** True if the n bytes at p are all zero. */
export function isZero(p: usize, n: i32): bool {
  for (let i = 0; i < n; i++) {
    if (load<u8>(p + <usize>i) != 0) return false;
  }
  return true;
}

/** True if the n bytes at p equal the ASCII string s (no allocation). */
export function equalsAscii(p: usize, n: i32, s: string): bool {
  if (n != s.length) return false;
  for (let i = 0; i < n; i++) {
    if (<i32>load<u8>(p + <usize>i) != s.charCodeAt(i)) return false;
  }
  return true;
}

/** True if the n bytes at p begin with the ASCII string s. */
export function startsWithAscii(p: usize, n: i32, s: string): bool {
  return n >= s.length && equalsAscii(p, s.length, s);
}

/** n without one trailing "\n" or "\r\n" of the n bytes at p (text sent by nc, echo). */
export function trimLineEnd(p: usize, n: i32): i32 {
  if (n > 0 && load<u8>(p + <usize>(n - 1)) == 0x0a) n--;
  if (n > 0 && load<u8>(p + <usize>(n - 1)) == 0x0d) n--;
  return n;
}
