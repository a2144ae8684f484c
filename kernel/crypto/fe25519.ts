// Arithmetic modulo p = 2^255 - 19 in ref10's representation (SUPERCOP's ed25519/ref10 and
// curve25519/ref10, public domain; ported under its names with a "fe" prefix), for Ed25519
// (kernel/crypto/ge25519.ts) and X25519 (x25519.ts, ed25519_x25519.ts). A field element is
// 10 signed limbs of alternately 26 and 25 bits (radix 2^25.5), each an i64, at a caller's
// address (FE bytes): element h0 + h1·2^26 + h2·2^51 + h3·2^77 + … + h9·2^230. A product
// is 100 i64 multiplications where TweetNaCl's 16 limbs of 16 bits took 256, and a square
// 55. Additions are not carried: the formulas that use this file (ref10's point formulas
// and ladder) keep every input to feMul and feSq within the bounds ref10 states, about
// 2^26.7 per limb.
// Results may alias inputs. Nothing allocates; the scratch is static; nothing re-enters.
// Nothing here branches on a value or indexes memory by one (feToBytes's loop is over limb
// positions), so signing may use it on secrets (kernel/crypto/ge25519.ts's ladder) and
// wipes the scratch afterwards (feWipe), and so may X25519.

export const FE: i32 = 10 * 8;             // bytes in one field element

const T0: usize = memory.data(FE, 8);      // feInvert's and fePow22523's powers
const T1: usize = memory.data(FE, 8);
const T2: usize = memory.data(FE, 8);
const T3: usize = memory.data(FE, 8);
const BYTES: usize = memory.data(32, 8);   // feIsNegative's and feIsZero's encoding

@inline function v(o: usize, i: i32): i64 { return load<i64>(o + (<usize>i << 3)); }

@inline function st(o: usize, h0: i64, h1: i64, h2: i64, h3: i64, h4: i64,
  h5: i64, h6: i64, h7: i64, h8: i64, h9: i64): void {
  store<i64>(o, h0); store<i64>(o, h1, 8); store<i64>(o, h2, 16); store<i64>(o, h3, 24);
  store<i64>(o, h4, 32); store<i64>(o, h5, 40); store<i64>(o, h6, 48); store<i64>(o, h7, 56);
  store<i64>(o, h8, 64); store<i64>(o, h9, 72);
}

export function fe0(o: usize): void { memory.fill(o, 0, <usize>FE); }
export function fe1(o: usize): void { memory.fill(o, 0, <usize>FE); store<i64>(o, 1); }
export function feCopy(o: usize, f: usize): void { memory.copy(o, f, <usize>FE); }

/** o = f + g, not carried. */
export function feAdd(o: usize, f: usize, g: usize): void {
  for (let i = 0; i < 10; i++) store<i64>(o + (<usize>i << 3), v(f, i) + v(g, i));
}

/** o = f - g, not carried. */
export function feSub(o: usize, f: usize, g: usize): void {
  for (let i = 0; i < 10; i++) store<i64>(o + (<usize>i << 3), v(f, i) - v(g, i));
}

/** Swap f and g if b is 1, leave them if b is 0, without a branch (constant time). */
export function feCswap(f: usize, g: usize, b: i64): void {
  let m = -b;
  for (let i = 0; i < 10; i++) {
    let a = f + (<usize>i << 3), z = g + (<usize>i << 3);
    let x = load<i64>(a), y = load<i64>(z), t = m & (x ^ y);
    store<i64>(a, x ^ t);
    store<i64>(z, y ^ t);
  }
}

/** Forget the scratch (the powers of the last inversion and the last encoding). */
export function feWipe(): void {
  memory.fill(T0, 0, <usize>FE); memory.fill(T1, 0, <usize>FE); memory.fill(T2, 0, <usize>FE);
  memory.fill(T3, 0, <usize>FE); memory.fill(BYTES, 0, 32);
}

/** o = -f. */
export function feNeg(o: usize, f: usize): void {
  for (let i = 0; i < 10; i++) store<i64>(o + (<usize>i << 3), -v(f, i));
}

@inline function load3(s: usize): i64 {
  return <i64>load<u8>(s) | (<i64>load<u8>(s, 1) << 8) | (<i64>load<u8>(s, 2) << 16);
}
@inline function load4(s: usize): i64 { return <i64>load<u32>(s); }

/** Carries ten limbs of up to about 2^43 (feFromBytes's, feMul121666's) and stores them
 *  at o: the odd limbs first, limb 9 folded into limb 0 as 19 (2^255 = 19 mod p), then the
 *  even ones, so even limbs end within 2^25 and odd ones within 2^24 plus a carry of at most
 *  about 2^17 (ref10 fe_frombytes's and fe_mul121666's chain and bounds). */
@inline function carryStore(o: usize, h0: i64, h1: i64, h2: i64, h3: i64, h4: i64,
  h5: i64, h6: i64, h7: i64, h8: i64, h9: i64): void {
  let c: i64;
  c = (h9 + (1 << 24)) >> 25; h0 += c * 19; h9 -= c << 25;
  c = (h1 + (1 << 24)) >> 25; h2 += c; h1 -= c << 25;
  c = (h3 + (1 << 24)) >> 25; h4 += c; h3 -= c << 25;
  c = (h5 + (1 << 24)) >> 25; h6 += c; h5 -= c << 25;
  c = (h7 + (1 << 24)) >> 25; h8 += c; h7 -= c << 25;
  c = (h0 + (1 << 25)) >> 26; h1 += c; h0 -= c << 26;
  c = (h2 + (1 << 25)) >> 26; h3 += c; h2 -= c << 26;
  c = (h4 + (1 << 25)) >> 26; h5 += c; h4 -= c << 26;
  c = (h6 + (1 << 25)) >> 26; h7 += c; h6 -= c << 26;
  c = (h8 + (1 << 25)) >> 26; h9 += c; h8 -= c << 26;
  st(o, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
}

/** o from the 32 bytes at s (ref10 fe_frombytes), bit 255 ignored; values from p to
 *  2^255 - 1 are taken as they are (the caller refuses them where it must). */
export function feFromBytes(o: usize, s: usize): void {
  carryStore(o, load4(s), load3(s + 4) << 6, load3(s + 7) << 5, load3(s + 10) << 3,
    load3(s + 13) << 2, load4(s + 16), load3(s + 20) << 7, load3(s + 23) << 5,
    load3(s + 26) << 4, (load3(s + 29) & 0x7fffff) << 2);
}

/** o = 121666 · f (ref10 fe_mul121666: (A + 2) / 4, the Montgomery ladder's constant in
 *  ref10's form of RFC 7748's step), carried. |f| up to about 2^26.1 (a difference of two
 *  carried elements). */
export function feMul121666(o: usize, f: usize): void {
  carryStore(o, v(f, 0) * 121666, v(f, 1) * 121666, v(f, 2) * 121666, v(f, 3) * 121666,
    v(f, 4) * 121666, v(f, 5) * 121666, v(f, 6) * 121666, v(f, 7) * 121666,
    v(f, 8) * 121666, v(f, 9) * 121666);
}

/** The canonical 32-byte encoding of f (ref10 fe_tobytes): q = the multiple of p to take
 *  away (0 or 1, from a trial carry of f + 19), then a carry chain that leaves every limb
 *  in [0, 2^26) or [0, 2^25), then the limbs' bits laid end to end. */
export function feToBytes(s: usize, f: usize): void {
  let h0 = v(f, 0), h1 = v(f, 1), h2 = v(f, 2), h3 = v(f, 3), h4 = v(f, 4);
  let h5 = v(f, 5), h6 = v(f, 6), h7 = v(f, 7), h8 = v(f, 8), h9 = v(f, 9);
  let q = (19 * h9 + (1 << 24)) >> 25;
  q = (h0 + q) >> 26; q = (h1 + q) >> 25; q = (h2 + q) >> 26; q = (h3 + q) >> 25;
  q = (h4 + q) >> 26; q = (h5 + q) >> 25; q = (h6 + q) >> 26; q = (h7 + q) >> 25;
  q = (h8 + q) >> 26; q = (h9 + q) >> 25;
  h0 += 19 * q;
  let c: i64;
  c = h0 >> 26; h1 += c; h0 -= c << 26;
  c = h1 >> 25; h2 += c; h1 -= c << 25;
  c = h2 >> 26; h3 += c; h2 -= c << 26;
  c = h3 >> 25; h4 += c; h3 -= c << 25;
  c = h4 >> 26; h5 += c; h4 -= c << 26;
  c = h5 >> 25; h6 += c; h5 -= c << 25;
  c = h6 >> 26; h7 += c; h6 -= c << 26;
  c = h7 >> 25; h8 += c; h7 -= c << 25;
  c = h8 >> 26; h9 += c; h8 -= c << 26;
  c = h9 >> 25; h9 -= c << 25;             // 2^255: dropped, as q already took p away
  let acc: u64 = 0, bits = 0, at: usize = 0;
  for (let i = 0; i < 10; i++) {
    let h: i64 = i == 0 ? h0 : i == 1 ? h1 : i == 2 ? h2 : i == 3 ? h3 : i == 4 ? h4
      : i == 5 ? h5 : i == 6 ? h6 : i == 7 ? h7 : i == 8 ? h8 : h9;
    acc |= <u64>h << <u64>bits;
    bits += (i & 1) == 0 ? 26 : 25;
    while (bits >= 8) { store<u8>(s + at++, <u8>acc); acc >>= 8; bits -= 8; }
  }
  store<u8>(s + at, <u8>acc);              // the last 7 bits: 255 = 31 · 8 + 7
}

/** 1 if f's canonical encoding is odd (RFC 8032's sign of x), else 0. */
export function feIsNegative(f: usize): i32 {
  feToBytes(BYTES, f);
  return load<u8>(BYTES) & 1;
}

/** Whether f is 0 mod p. */
export function feIsZero(f: usize): bool {
  feToBytes(BYTES, f);
  let d: u8 = 0;
  for (let i = 0; i < 32; i++) d |= load<u8>(BYTES + <usize>i);
  return d == 0;
}

/** o = f^(2^n), n ≥ 1. */
function feSqN(o: usize, f: usize, n: i32): void {
  feSq(o, f);
  for (let i = 1; i < n; i++) feSq(o, o);
}

/** T0 = z^11 and T1 = z^(2^250 - 1), the common start of feInvert and fePow22523 (ref10's
 *  addition chain: 249 squarings and 10 products, where square-and-multiply takes ~500;
 *  feInvert adds 5 and 1, fePow22523 2 and 1). */
function chain250(z: usize): void {
  feSq(T0, z);                             // z^2
  feSqN(T1, T0, 2);                        // z^8
  feMul(T1, z, T1);                        // z^9
  feMul(T0, T0, T1);                       // z^11
  feSq(T2, T0);                            // z^22
  feMul(T1, T1, T2);                       // z^(2^5 - 1)
  feSqN(T2, T1, 5); feMul(T1, T2, T1);     // z^(2^10 - 1)
  feSqN(T2, T1, 10); feMul(T2, T2, T1);    // z^(2^20 - 1)
  feSqN(T3, T2, 20); feMul(T2, T3, T2);    // z^(2^40 - 1)
  feSqN(T2, T2, 10); feMul(T1, T2, T1);    // z^(2^50 - 1)
  feSqN(T2, T1, 50); feMul(T2, T2, T1);    // z^(2^100 - 1)
  feSqN(T3, T2, 100); feMul(T2, T3, T2);   // z^(2^200 - 1)
  feSqN(T2, T2, 50); feMul(T1, T2, T1);    // z^(2^250 - 1)
}

/** o = z^(p-2) = 1/z (0 gives 0). */
export function feInvert(o: usize, z: usize): void {
  chain250(z);
  feSqN(T1, T1, 5);                        // z^(2^255 - 32)
  feMul(o, T1, T0);                        // z^(2^255 - 21) = z^(p - 2)
}

/** o = z^((p-5)/8) = z^(2^252 - 3), for square roots (RFC 8032 §5.1.3). */
export function fePow22523(o: usize, z: usize): void {
  chain250(z);
  feSqN(T1, T1, 2);                        // z^(2^252 - 4)
  feMul(o, T1, z);                         // z^(2^252 - 3)
}

/** o = f * g (ref10 fe_mul): 100 products of 25.5-bit limbs in i64, the upper half folded
 *  with 2^255 = 19, then one carry chain. Limbs in: |f|, |g| below about 2^26.7 (sums of
 *  two or three carried elements, as the point formulas make). */
export function feMul(o: usize, f: usize, g: usize): void {
  let f0 = v(f, 0), f1 = v(f, 1), f2 = v(f, 2), f3 = v(f, 3), f4 = v(f, 4);
  let f5 = v(f, 5), f6 = v(f, 6), f7 = v(f, 7), f8 = v(f, 8), f9 = v(f, 9);
  let g0 = v(g, 0), g1 = v(g, 1), g2 = v(g, 2), g3 = v(g, 3), g4 = v(g, 4);
  let g5 = v(g, 5), g6 = v(g, 6), g7 = v(g, 7), g8 = v(g, 8), g9 = v(g, 9);
  let g1_19 = g1 * 19, g2_19 = g2 * 19, g3_19 = g3 * 19, g4_19 = g4 * 19, g5_19 = g5 * 19;
  let g6_19 = g6 * 19, g7_19 = g7 * 19, g8_19 = g8 * 19, g9_19 = g9 * 19;
  let f1_2 = f1 * 2, f3_2 = f3 * 2, f5_2 = f5 * 2, f7_2 = f7 * 2, f9_2 = f9 * 2;
  let h0 = f0 * g0 + f1_2 * g9_19 + f2 * g8_19 + f3_2 * g7_19 + f4 * g6_19
    + f5_2 * g5_19 + f6 * g4_19 + f7_2 * g3_19 + f8 * g2_19 + f9_2 * g1_19;
  let h1 = f0 * g1 + f1 * g0 + f2 * g9_19 + f3 * g8_19 + f4 * g7_19
    + f5 * g6_19 + f6 * g5_19 + f7 * g4_19 + f8 * g3_19 + f9 * g2_19;
  let h2 = f0 * g2 + f1_2 * g1 + f2 * g0 + f3_2 * g9_19 + f4 * g8_19
    + f5_2 * g7_19 + f6 * g6_19 + f7_2 * g5_19 + f8 * g4_19 + f9_2 * g3_19;
  let h3 = f0 * g3 + f1 * g2 + f2 * g1 + f3 * g0 + f4 * g9_19
    + f5 * g8_19 + f6 * g7_19 + f7 * g6_19 + f8 * g5_19 + f9 * g4_19;
  let h4 = f0 * g4 + f1_2 * g3 + f2 * g2 + f3_2 * g1 + f4 * g0
    + f5_2 * g9_19 + f6 * g8_19 + f7_2 * g7_19 + f8 * g6_19 + f9_2 * g5_19;
  let h5 = f0 * g5 + f1 * g4 + f2 * g3 + f3 * g2 + f4 * g1
    + f5 * g0 + f6 * g9_19 + f7 * g8_19 + f8 * g7_19 + f9 * g6_19;
  let h6 = f0 * g6 + f1_2 * g5 + f2 * g4 + f3_2 * g3 + f4 * g2
    + f5_2 * g1 + f6 * g0 + f7_2 * g9_19 + f8 * g8_19 + f9_2 * g7_19;
  let h7 = f0 * g7 + f1 * g6 + f2 * g5 + f3 * g4 + f4 * g3
    + f5 * g2 + f6 * g1 + f7 * g0 + f8 * g9_19 + f9 * g8_19;
  let h8 = f0 * g8 + f1_2 * g7 + f2 * g6 + f3_2 * g5 + f4 * g4
    + f5_2 * g3 + f6 * g2 + f7_2 * g1 + f8 * g0 + f9_2 * g9_19;
  let h9 = f0 * g9 + f1 * g8 + f2 * g7 + f3 * g6 + f4 * g5
    + f5 * g4 + f6 * g3 + f7 * g2 + f8 * g1 + f9 * g0;
  let c: i64;
  c = (h0 + (1 << 25)) >> 26; h1 += c; h0 -= c << 26;
  c = (h4 + (1 << 25)) >> 26; h5 += c; h4 -= c << 26;
  c = (h1 + (1 << 24)) >> 25; h2 += c; h1 -= c << 25;
  c = (h5 + (1 << 24)) >> 25; h6 += c; h5 -= c << 25;
  c = (h2 + (1 << 25)) >> 26; h3 += c; h2 -= c << 26;
  c = (h6 + (1 << 25)) >> 26; h7 += c; h6 -= c << 26;
  c = (h3 + (1 << 24)) >> 25; h4 += c; h3 -= c << 25;
  c = (h7 + (1 << 24)) >> 25; h8 += c; h7 -= c << 25;
  c = (h4 + (1 << 25)) >> 26; h5 += c; h4 -= c << 26;
  c = (h8 + (1 << 25)) >> 26; h9 += c; h8 -= c << 26;
  c = (h9 + (1 << 24)) >> 25; h0 += c * 19; h9 -= c << 25;
  c = (h0 + (1 << 25)) >> 26; h1 += c; h0 -= c << 26;
  st(o, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
}

/** o = f² (ref10 fe_sq): the 55 distinct products of feMul(f, f). */
export function feSq(o: usize, f: usize): void {
  let f0 = v(f, 0), f1 = v(f, 1), f2 = v(f, 2), f3 = v(f, 3), f4 = v(f, 4);
  let f5 = v(f, 5), f6 = v(f, 6), f7 = v(f, 7), f8 = v(f, 8), f9 = v(f, 9);
  let f0_2 = f0 * 2, f1_2 = f1 * 2, f1_4 = f1 * 4, f2_2 = f2 * 2, f3_2 = f3 * 2, f3_4 = f3 * 4, f4_2 = f4 * 2, f5_19 = f5 * 19, f5_2 = f5 * 2, f5_4 = f5 * 4, f6_19 = f6 * 19, f6_2 = f6 * 2, f7_19 = f7 * 19, f7_2 = f7 * 2, f7_4 = f7 * 4, f8_19 = f8 * 19, f8_2 = f8 * 2, f9_19 = f9 * 19, f9_2 = f9 * 2;
  let h0 = f0 * f0 + f1_4 * f9_19 + f2_2 * f8_19 + f3_4 * f7_19 + f4_2 * f6_19
    + f5_2 * f5_19;
  let h1 = f0_2 * f1 + f2_2 * f9_19 + f3_2 * f8_19 + f4_2 * f7_19 + f5_2 * f6_19;
  let h2 = f0_2 * f2 + f1_2 * f1 + f3_4 * f9_19 + f4_2 * f8_19 + f5_4 * f7_19
    + f6 * f6_19;
  let h3 = f0_2 * f3 + f1_2 * f2 + f4_2 * f9_19 + f5_2 * f8_19 + f6_2 * f7_19;
  let h4 = f0_2 * f4 + f1_4 * f3 + f2 * f2 + f5_4 * f9_19 + f6_2 * f8_19
    + f7_2 * f7_19;
  let h5 = f0_2 * f5 + f1_2 * f4 + f2_2 * f3 + f6_2 * f9_19 + f7_2 * f8_19;
  let h6 = f0_2 * f6 + f1_4 * f5 + f2_2 * f4 + f3_2 * f3 + f7_4 * f9_19
    + f8 * f8_19;
  let h7 = f0_2 * f7 + f1_2 * f6 + f2_2 * f5 + f3_2 * f4 + f8_2 * f9_19;
  let h8 = f0_2 * f8 + f1_4 * f7 + f2_2 * f6 + f3_4 * f5 + f4 * f4
    + f9_2 * f9_19;
  let h9 = f0_2 * f9 + f1_2 * f8 + f2_2 * f7 + f3_2 * f6 + f4_2 * f5;
  let c: i64;
  c = (h0 + (1 << 25)) >> 26; h1 += c; h0 -= c << 26;
  c = (h4 + (1 << 25)) >> 26; h5 += c; h4 -= c << 26;
  c = (h1 + (1 << 24)) >> 25; h2 += c; h1 -= c << 25;
  c = (h5 + (1 << 24)) >> 25; h6 += c; h5 -= c << 25;
  c = (h2 + (1 << 25)) >> 26; h3 += c; h2 -= c << 26;
  c = (h6 + (1 << 25)) >> 26; h7 += c; h6 -= c << 26;
  c = (h3 + (1 << 24)) >> 25; h4 += c; h3 -= c << 25;
  c = (h7 + (1 << 24)) >> 25; h8 += c; h7 -= c << 25;
  c = (h4 + (1 << 25)) >> 26; h5 += c; h4 -= c << 26;
  c = (h8 + (1 << 25)) >> 26; h9 += c; h8 -= c << 26;
  c = (h9 + (1 << 24)) >> 25; h0 += c * 19; h9 -= c << 25;
  c = (h0 + (1 << 25)) >> 26; h1 += c; h0 -= c << 26;
  st(o, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
}

/** o = 2f² (ref10 fe_sq2), for doubling a point. */
export function feSq2(o: usize, f: usize): void {
  let f0 = v(f, 0), f1 = v(f, 1), f2 = v(f, 2), f3 = v(f, 3), f4 = v(f, 4);
  let f5 = v(f, 5), f6 = v(f, 6), f7 = v(f, 7), f8 = v(f, 8), f9 = v(f, 9);
  let f0_2 = f0 * 2, f1_2 = f1 * 2, f1_4 = f1 * 4, f2_2 = f2 * 2, f3_2 = f3 * 2, f3_4 = f3 * 4, f4_2 = f4 * 2, f5_19 = f5 * 19, f5_2 = f5 * 2, f5_4 = f5 * 4, f6_19 = f6 * 19, f6_2 = f6 * 2, f7_19 = f7 * 19, f7_2 = f7 * 2, f7_4 = f7 * 4, f8_19 = f8 * 19, f8_2 = f8 * 2, f9_19 = f9 * 19, f9_2 = f9 * 2;
  let h0 = f0 * f0 + f1_4 * f9_19 + f2_2 * f8_19 + f3_4 * f7_19 + f4_2 * f6_19
    + f5_2 * f5_19;
  let h1 = f0_2 * f1 + f2_2 * f9_19 + f3_2 * f8_19 + f4_2 * f7_19 + f5_2 * f6_19;
  let h2 = f0_2 * f2 + f1_2 * f1 + f3_4 * f9_19 + f4_2 * f8_19 + f5_4 * f7_19
    + f6 * f6_19;
  let h3 = f0_2 * f3 + f1_2 * f2 + f4_2 * f9_19 + f5_2 * f8_19 + f6_2 * f7_19;
  let h4 = f0_2 * f4 + f1_4 * f3 + f2 * f2 + f5_4 * f9_19 + f6_2 * f8_19
    + f7_2 * f7_19;
  let h5 = f0_2 * f5 + f1_2 * f4 + f2_2 * f3 + f6_2 * f9_19 + f7_2 * f8_19;
  let h6 = f0_2 * f6 + f1_4 * f5 + f2_2 * f4 + f3_2 * f3 + f7_4 * f9_19
    + f8 * f8_19;
  let h7 = f0_2 * f7 + f1_2 * f6 + f2_2 * f5 + f3_2 * f4 + f8_2 * f9_19;
  let h8 = f0_2 * f8 + f1_4 * f7 + f2_2 * f6 + f3_4 * f5 + f4 * f4
    + f9_2 * f9_19;
  let h9 = f0_2 * f9 + f1_2 * f8 + f2_2 * f7 + f3_2 * f6 + f4_2 * f5;
  h0 += h0; h1 += h1; h2 += h2; h3 += h3; h4 += h4; h5 += h5; h6 += h6; h7 += h7; h8 += h8; h9 += h9;
  let c: i64;
  c = (h0 + (1 << 25)) >> 26; h1 += c; h0 -= c << 26;
  c = (h4 + (1 << 25)) >> 26; h5 += c; h4 -= c << 26;
  c = (h1 + (1 << 24)) >> 25; h2 += c; h1 -= c << 25;
  c = (h5 + (1 << 24)) >> 25; h6 += c; h5 -= c << 25;
  c = (h2 + (1 << 25)) >> 26; h3 += c; h2 -= c << 26;
  c = (h6 + (1 << 25)) >> 26; h7 += c; h6 -= c << 26;
  c = (h3 + (1 << 24)) >> 25; h4 += c; h3 -= c << 25;
  c = (h7 + (1 << 24)) >> 25; h8 += c; h7 -= c << 25;
  c = (h4 + (1 << 25)) >> 26; h5 += c; h4 -= c << 26;
  c = (h8 + (1 << 25)) >> 26; h9 += c; h8 -= c << 26;
  c = (h9 + (1 << 24)) >> 25; h0 += c * 19; h9 -= c << 25;
  c = (h0 + (1 << 25)) >> 26; h1 += c; h0 -= c << 26;
  st(o, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
}
