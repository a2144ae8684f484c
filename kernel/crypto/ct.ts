// Comparison of secrets in time that does not depend on where they differ: every byte is
// read and folded into one accumulator, and the result is computed from it without a
// branch. Used by kernel/crypto/aead.ts (tags) and by kernel/wg/ (MACs, keys). It does not
// hide n, and it cannot stop a caller from branching on the answer, which is the point.

/** true if the n bytes at a and at b are equal (n ≤ 0: true). */
export function ctEq(a: usize, b: usize, n: i32): bool {
  let d: u32 = 0;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    let x = load<u64>(a + <usize>i) ^ load<u64>(b + <usize>i);
    d |= <u32>x | <u32>(x >>> 32);
  }
  for (; i < n; i++) d |= <u32>(load<u8>(a + <usize>i) ^ load<u8>(b + <usize>i));
  return ((d | (0 - d)) >>> 31) == 0;      // top bit set iff d ≠ 0
}
