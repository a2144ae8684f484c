// Scalars modulo the group order L = 2^252 + 27742317777372353535851937790883648493
// (RFC 8032 §5.1): reducing a 64-byte hash to 32 bytes (modL and reduce, ported from
// TweetNaCl, public domain, under its names), a signature's S = r + k·a mod L (TweetNaCl's
// last step of crypto_sign), and telling whether a 32-byte scalar is already below L
// (RFC 8032 §5.1.7 step 1). Scalars are little-endian bytes at a caller's address. All but
// scalarBelowL run in time that depends on no scalar's value (signing passes secrets).
// Used by kernel/crypto/ed25519.ts and kernel/crypto/ed25519_sign.ts.

const L: usize = memory.data<i64>([        // L, one byte per i64, little-endian
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
]);
const X: usize = memory.data(64 * 8, 8);   // reduce's and muladd's working copy, one byte per i64

@inline function at(x: usize, i: i32): usize { return x + (<usize>i << 3); }

/** r (32 bytes) = x mod L, where x is 64 signed digits of 8 bits at x; x is destroyed. */
export function modL(r: usize, x: usize): void {
  let carry: i64 = 0;
  let j = 0;
  for (let i = 63; i >= 32; --i) {
    let xi = load<i64>(at(x, i));
    carry = 0;
    for (j = i - 32; j < i - 12; ++j) {
      let v = load<i64>(at(x, j)) + carry - 16 * xi * load<i64>(at(L, j - (i - 32)));
      carry = (v + 128) >> 8;
      store<i64>(at(x, j), v - (carry << 8));
    }
    store<i64>(at(x, j), load<i64>(at(x, j)) + carry);
    store<i64>(at(x, i), 0);
  }
  carry = 0;
  let top = load<i64>(at(x, 31)) >> 4;
  for (j = 0; j < 32; j++) {
    let v = load<i64>(at(x, j)) + carry - top * load<i64>(at(L, j));
    carry = v >> 8;
    store<i64>(at(x, j), v & 255);
  }
  for (j = 0; j < 32; j++) store<i64>(at(x, j), load<i64>(at(x, j)) - carry * load<i64>(at(L, j)));
  for (let i = 0; i < 32; i++) {
    let xi = load<i64>(at(x, i));
    store<i64>(at(x, i + 1), load<i64>(at(x, i + 1)) + (xi >> 8));
    store<u8>(r + <usize>i, <u8>(xi & 255));
  }
}

/** The 64 bytes at r, taken as a little-endian number, reduced mod L into r[0..32). */
export function reduce(r: usize): void {
  for (let i = 0; i < 64; i++) store<i64>(at(X, i), <i64>load<u8>(r + <usize>i));
  memory.fill(r, 0, 64);
  modL(r, X);
}

/** s (32 bytes) = (r + k·a) mod L for the 32-byte scalars at r, k and a (RFC 8032 §5.1.6
 *  step 5): the schoolbook product into 64 digits, then modL. X held a secret's products
 *  and is wiped before returning; s may be r, k or a. */
export function muladd(s: usize, k: usize, a: usize, r: usize): void {
  for (let i = 0; i < 64; i++) store<i64>(at(X, i), i < 32 ? <i64>load<u8>(r + <usize>i) : 0);
  for (let i = 0; i < 32; i++) {
    let ki = <i64>load<u8>(k + <usize>i);
    for (let j = 0; j < 32; j++) {
      store<i64>(at(X, i + j), load<i64>(at(X, i + j)) + ki * <i64>load<u8>(a + <usize>j));
    }
  }
  modL(s, X);
  memory.fill(X, 0, 64 * 8);
}

/** Whether the 32-byte little-endian scalar at s is below L: the canonical form that
 *  RFC 8032 §5.1.7 requires of a signature's S. */
export function scalarBelowL(s: usize): bool {
  for (let i = 31; i >= 0; i--) {
    let a = <i64>load<u8>(s + <usize>i), b = load<i64>(at(L, i));
    if (a != b) return a < b;
  }
  return false;
}
