// Arithmetic modulo p = 2^255 - 19, ported from TweetNaCl (tweetnacl.c, public domain)
// function by function and under its names, so the two can be read side by side. A field
// element ("gf") is 16 signed limbs of 16 bits, each an i64, at a caller's address
// (GF bytes); results may alias inputs. Temporaries live in static memory: nothing here
// allocates, and no function is re-entered. Nothing here is constant-time beyond what
// TweetNaCl gives, and there is no inversion of zero check (0^-1 gives 0). The scratch
// keeps the last operands until the next call or wipe25519.
// Used by kernel/crypto/x25519.ts and ed25519_x25519.ts (Ed25519 itself uses fe25519.ts).

export const GF: i32 = 16 * 8;             // bytes in one field element

export const gf0: usize = memory.data<i64>([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
export const gf1: usize = memory.data<i64>([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

const PT: usize = memory.data(GF, 8);      // pack25519's reduced copy
const PM: usize = memory.data(GF, 8);      // ... and the same minus p
const MT: usize = memory.data(GF, 8);      // M's folded product before carrying
const C0: usize = memory.data(GF, 8);      // inv25519's powers of its input
const C1: usize = memory.data(GF, 8);
const C2: usize = memory.data(GF, 8);
const C3: usize = memory.data(GF, 8);

@inline function limb(o: usize, i: i32): usize { return o + (<usize>i << 3); }
@inline function v(o: usize, i: i32): i64 { return load<i64>(limb(o, i)); }

export function set25519(r: usize, a: usize): void {
  memory.copy(r, a, <usize>GF);
}

/** Carry each limb into the next, the top one into limb 0 times 38 (2^256 = 38 mod p). */
export function car25519(o: usize): void {
  for (let i = 0; i < 16; i++) {
    let p = limb(o, i);
    let v = load<i64>(p) + (1 << 16);
    let c = v >> 16;
    let next = i < 15 ? p + 8 : o;
    store<i64>(next, load<i64>(next) + c - 1 + (i == 15 ? 37 * (c - 1) : 0));
    store<i64>(p, v - (c << 16));
  }
}

/** Swap p and q if b is 1, leave them if b is 0, without a branch. */
export function sel25519(p: usize, q: usize, b: i64): void {
  let c = ~(b - 1);
  for (let i = 0; i < 16; i++) {
    let x = load<i64>(limb(p, i)), y = load<i64>(limb(q, i));
    let t = c & (x ^ y);
    store<i64>(limb(p, i), x ^ t);
    store<i64>(limb(q, i), y ^ t);
  }
}

/** The canonical 32-byte little-endian encoding of n (fully reduced mod p) at o. */
export function pack25519(o: usize, n: usize): void {
  set25519(PT, n);
  car25519(PT);
  car25519(PT);
  car25519(PT);
  for (let j = 0; j < 2; j++) {
    store<i64>(PM, load<i64>(PT) - 0xffed);
    for (let i = 1; i < 15; i++) {
      let prev = load<i64>(limb(PM, i - 1));
      store<i64>(limb(PM, i), load<i64>(limb(PT, i)) - 0xffff - ((prev >> 16) & 1));
      store<i64>(limb(PM, i - 1), prev & 0xffff);
    }
    let m14 = load<i64>(limb(PM, 14));
    let m15 = load<i64>(limb(PT, 15)) - 0x7fff - ((m14 >> 16) & 1);
    store<i64>(limb(PM, 15), m15);
    store<i64>(limb(PM, 14), m14 & 0xffff);
    sel25519(PT, PM, 1 - ((m15 >> 16) & 1));
  }
  for (let i = 0; i < 16; i++) {
    let t = load<i64>(limb(PT, i));
    store<u8>(o + <usize>(2 * i), <u8>(t & 0xff));
    store<u8>(o + <usize>(2 * i + 1), <u8>(t >> 8));
  }
}

/** o from the 32 bytes at n, bit 255 ignored. Values from p to 2^255-1 are taken as they are
 *  (the caller checks for them). */
export function unpack25519(o: usize, n: usize): void {
  for (let i = 0; i < 16; i++) {
    let v = <i64>load<u8>(n + <usize>(2 * i)) + (<i64>load<u8>(n + <usize>(2 * i + 1)) << 8);
    store<i64>(limb(o, i), v);
  }
  store<i64>(limb(o, 15), load<i64>(limb(o, 15)) & 0x7fff);
}

/** o = a + b, not carried. */
export function A(o: usize, a: usize, b: usize): void {
  for (let i = 0; i < 16; i++) store<i64>(limb(o, i), load<i64>(limb(a, i)) + load<i64>(limb(b, i)));
}

/** o = a - b, not carried. */
export function Z(o: usize, a: usize, b: usize): void {
  for (let i = 0; i < 16; i++) store<i64>(limb(o, i), load<i64>(limb(a, i)) - load<i64>(limb(b, i)));
}

/** o = a * b, schoolbook by columns with a's limbs in locals (b's are loaded where used: a
 *  function has at most 32 locals, loader/wasm/limits.ts): limb k of the result is
 *  column k plus 38 times column k + 16 (TweetNaCl's fold of the upper half, 2^256 = 38 mod p),
 *  then carried twice. Written out because a loop over memory costs X25519 half its time. */
export function M(o: usize, a: usize, b: usize): void {
  let a0 = v(a, 0), a1 = v(a, 1), a2 = v(a, 2), a3 = v(a, 3);
  let a4 = v(a, 4), a5 = v(a, 5), a6 = v(a, 6), a7 = v(a, 7);
  let a8 = v(a, 8), a9 = v(a, 9), a10 = v(a, 10), a11 = v(a, 11);
  let a12 = v(a, 12), a13 = v(a, 13), a14 = v(a, 14), a15 = v(a, 15);
  store<i64>(limb(MT, 0), a0 * v(b, 0) + 38 * (a1 * v(b, 15) + a2 * v(b, 14) + a3 * v(b, 13)
    + a4 * v(b, 12) + a5 * v(b, 11) + a6 * v(b, 10) + a7 * v(b, 9) + a8 * v(b, 8) + a9 * v(b, 7)
    + a10 * v(b, 6) + a11 * v(b, 5) + a12 * v(b, 4) + a13 * v(b, 3) + a14 * v(b, 2) + a15 * v(b, 1)));
  store<i64>(limb(MT, 1), a0 * v(b, 1) + a1 * v(b, 0) + 38 * (a2 * v(b, 15) + a3 * v(b, 14)
    + a4 * v(b, 13) + a5 * v(b, 12) + a6 * v(b, 11) + a7 * v(b, 10) + a8 * v(b, 9) + a9 * v(b, 8)
    + a10 * v(b, 7) + a11 * v(b, 6) + a12 * v(b, 5) + a13 * v(b, 4) + a14 * v(b, 3) + a15 * v(b, 2)));
  store<i64>(limb(MT, 2), a0 * v(b, 2) + a1 * v(b, 1) + a2 * v(b, 0) + 38 * (a3 * v(b, 15)
    + a4 * v(b, 14) + a5 * v(b, 13) + a6 * v(b, 12) + a7 * v(b, 11) + a8 * v(b, 10) + a9 * v(b, 9)
    + a10 * v(b, 8) + a11 * v(b, 7) + a12 * v(b, 6) + a13 * v(b, 5) + a14 * v(b, 4) + a15 * v(b, 3)));
  store<i64>(limb(MT, 3), a0 * v(b, 3) + a1 * v(b, 2) + a2 * v(b, 1) + a3 * v(b, 0)
    + 38 * (a4 * v(b, 15) + a5 * v(b, 14) + a6 * v(b, 13) + a7 * v(b, 12) + a8 * v(b, 11)
    + a9 * v(b, 10) + a10 * v(b, 9) + a11 * v(b, 8) + a12 * v(b, 7) + a13 * v(b, 6) + a14 * v(b, 5)
    + a15 * v(b, 4)));
  store<i64>(limb(MT, 4), a0 * v(b, 4) + a1 * v(b, 3) + a2 * v(b, 2) + a3 * v(b, 1) + a4 * v(b, 0)
    + 38 * (a5 * v(b, 15) + a6 * v(b, 14) + a7 * v(b, 13) + a8 * v(b, 12) + a9 * v(b, 11)
    + a10 * v(b, 10) + a11 * v(b, 9) + a12 * v(b, 8) + a13 * v(b, 7) + a14 * v(b, 6) + a15 * v(b, 5)));
  store<i64>(limb(MT, 5), a0 * v(b, 5) + a1 * v(b, 4) + a2 * v(b, 3) + a3 * v(b, 2) + a4 * v(b, 1)
    + a5 * v(b, 0) + 38 * (a6 * v(b, 15) + a7 * v(b, 14) + a8 * v(b, 13) + a9 * v(b, 12)
    + a10 * v(b, 11) + a11 * v(b, 10) + a12 * v(b, 9) + a13 * v(b, 8) + a14 * v(b, 7) + a15 * v(b, 6)));
  store<i64>(limb(MT, 6), a0 * v(b, 6) + a1 * v(b, 5) + a2 * v(b, 4) + a3 * v(b, 3) + a4 * v(b, 2)
    + a5 * v(b, 1) + a6 * v(b, 0) + 38 * (a7 * v(b, 15) + a8 * v(b, 14) + a9 * v(b, 13) + a10 * v(b, 12)
    + a11 * v(b, 11) + a12 * v(b, 10) + a13 * v(b, 9) + a14 * v(b, 8) + a15 * v(b, 7)));
  store<i64>(limb(MT, 7), a0 * v(b, 7) + a1 * v(b, 6) + a2 * v(b, 5) + a3 * v(b, 4) + a4 * v(b, 3)
    + a5 * v(b, 2) + a6 * v(b, 1) + a7 * v(b, 0) + 38 * (a8 * v(b, 15) + a9 * v(b, 14) + a10 * v(b, 13)
    + a11 * v(b, 12) + a12 * v(b, 11) + a13 * v(b, 10) + a14 * v(b, 9) + a15 * v(b, 8)));
  store<i64>(limb(MT, 8), a0 * v(b, 8) + a1 * v(b, 7) + a2 * v(b, 6) + a3 * v(b, 5) + a4 * v(b, 4)
    + a5 * v(b, 3) + a6 * v(b, 2) + a7 * v(b, 1) + a8 * v(b, 0) + 38 * (a9 * v(b, 15) + a10 * v(b, 14)
    + a11 * v(b, 13) + a12 * v(b, 12) + a13 * v(b, 11) + a14 * v(b, 10) + a15 * v(b, 9)));
  store<i64>(limb(MT, 9), a0 * v(b, 9) + a1 * v(b, 8) + a2 * v(b, 7) + a3 * v(b, 6) + a4 * v(b, 5)
    + a5 * v(b, 4) + a6 * v(b, 3) + a7 * v(b, 2) + a8 * v(b, 1) + a9 * v(b, 0) + 38 * (a10 * v(b, 15)
    + a11 * v(b, 14) + a12 * v(b, 13) + a13 * v(b, 12) + a14 * v(b, 11) + a15 * v(b, 10)));
  store<i64>(limb(MT, 10), a0 * v(b, 10) + a1 * v(b, 9) + a2 * v(b, 8) + a3 * v(b, 7) + a4 * v(b, 6)
    + a5 * v(b, 5) + a6 * v(b, 4) + a7 * v(b, 3) + a8 * v(b, 2) + a9 * v(b, 1) + a10 * v(b, 0)
    + 38 * (a11 * v(b, 15) + a12 * v(b, 14) + a13 * v(b, 13) + a14 * v(b, 12) + a15 * v(b, 11)));
  store<i64>(limb(MT, 11), a0 * v(b, 11) + a1 * v(b, 10) + a2 * v(b, 9) + a3 * v(b, 8) + a4 * v(b, 7)
    + a5 * v(b, 6) + a6 * v(b, 5) + a7 * v(b, 4) + a8 * v(b, 3) + a9 * v(b, 2) + a10 * v(b, 1)
    + a11 * v(b, 0) + 38 * (a12 * v(b, 15) + a13 * v(b, 14) + a14 * v(b, 13) + a15 * v(b, 12)));
  store<i64>(limb(MT, 12), a0 * v(b, 12) + a1 * v(b, 11) + a2 * v(b, 10) + a3 * v(b, 9) + a4 * v(b, 8)
    + a5 * v(b, 7) + a6 * v(b, 6) + a7 * v(b, 5) + a8 * v(b, 4) + a9 * v(b, 3) + a10 * v(b, 2)
    + a11 * v(b, 1) + a12 * v(b, 0) + 38 * (a13 * v(b, 15) + a14 * v(b, 14) + a15 * v(b, 13)));
  store<i64>(limb(MT, 13), a0 * v(b, 13) + a1 * v(b, 12) + a2 * v(b, 11) + a3 * v(b, 10) + a4 * v(b, 9)
    + a5 * v(b, 8) + a6 * v(b, 7) + a7 * v(b, 6) + a8 * v(b, 5) + a9 * v(b, 4) + a10 * v(b, 3)
    + a11 * v(b, 2) + a12 * v(b, 1) + a13 * v(b, 0) + 38 * (a14 * v(b, 15) + a15 * v(b, 14)));
  store<i64>(limb(MT, 14), a0 * v(b, 14) + a1 * v(b, 13) + a2 * v(b, 12) + a3 * v(b, 11) + a4 * v(b, 10)
    + a5 * v(b, 9) + a6 * v(b, 8) + a7 * v(b, 7) + a8 * v(b, 6) + a9 * v(b, 5) + a10 * v(b, 4)
    + a11 * v(b, 3) + a12 * v(b, 2) + a13 * v(b, 1) + a14 * v(b, 0) + 38 * (a15 * v(b, 15)));
  store<i64>(limb(MT, 15), a0 * v(b, 15) + a1 * v(b, 14) + a2 * v(b, 13) + a3 * v(b, 12) + a4 * v(b, 11)
    + a5 * v(b, 10) + a6 * v(b, 9) + a7 * v(b, 8) + a8 * v(b, 7) + a9 * v(b, 6) + a10 * v(b, 5)
    + a11 * v(b, 4) + a12 * v(b, 3) + a13 * v(b, 2) + a14 * v(b, 1) + a15 * v(b, 0));
  memory.copy(o, MT, <usize>GF);
  car25519(o);
  car25519(o);
}

export function S(o: usize, a: usize): void {
  M(o, a, a);
}

/** o = a * c for a small constant c (|c| < 2^20, e.g. X25519's 121665), carried twice. */
export function Msmall(o: usize, a: usize, c: i64): void {
  for (let i = 0; i < 16; i++) store<i64>(limb(o, i), load<i64>(limb(a, i)) * c);
  car25519(o);
  car25519(o);
}

/** o = a^(2^n), n >= 1. */
function sqn(o: usize, a: usize, n: i32): void {
  S(o, a);
  for (let k = 1; k < n; k++) S(o, o);
}

/** o = i^(p-2) = 1/i (Fermat; 0 gives 0) by ref10's addition chain: 254 squarings and 11
 *  products where square-and-multiply over the bits of p - 2 took 506 operations. The
 *  chain is the same for every i (constant time). C1 = i^(2^250 - 1) on the way. */
export function inv25519(o: usize, i: usize): void {
  S(C0, i);                                // i^2
  sqn(C1, C0, 2);                          // i^8
  M(C1, i, C1);                            // i^9
  M(C0, C0, C1);                           // i^11
  S(C2, C0);                               // i^22
  M(C1, C1, C2);                           // i^(2^5 - 1)
  sqn(C2, C1, 5); M(C1, C2, C1);           // i^(2^10 - 1)
  sqn(C2, C1, 10); M(C2, C2, C1);          // i^(2^20 - 1)
  sqn(C3, C2, 20); M(C2, C3, C2);          // i^(2^40 - 1)
  sqn(C2, C2, 10); M(C1, C2, C1);          // i^(2^50 - 1)
  sqn(C2, C1, 50); M(C2, C2, C1);          // i^(2^100 - 1)
  sqn(C3, C2, 100); M(C2, C3, C2);         // i^(2^200 - 1)
  sqn(C2, C2, 50); M(C1, C2, C1);          // i^(2^250 - 1)
  sqn(C1, C1, 5);                          // i^(2^255 - 32)
  M(o, C1, C0);                            // i^(2^255 - 21) = i^(p - 2)
}

/** Forget what the last operations left in this file's scratch (after arithmetic on secrets). */
export function wipe25519(): void {
  memory.fill(PT, 0, <usize>GF); memory.fill(PM, 0, <usize>GF);
  memory.fill(MT, 0, <usize>GF); memory.fill(C0, 0, <usize>GF); memory.fill(C1, 0, <usize>GF);
  memory.fill(C2, 0, <usize>GF); memory.fill(C3, 0, <usize>GF);
}
