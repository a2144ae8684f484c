// Arithmetic modulo p = 2^255 - 19, ported from TweetNaCl (tweetnacl.c, public domain)
// function by function and under its names, so the two can be read side by side. A field
// element ("gf") is 16 signed limbs of 16 bits, each an i64, at a caller's address
// (GF bytes); results may alias inputs. Temporaries live in static memory: nothing here
// allocates, and no function is re-entered. Nothing here is constant-time beyond what
// TweetNaCl gives, and there is no inversion of zero check (0^-1 gives 0).
// Used by kernel/crypto/ed25519.ts and kernel/crypto/x25519.ts.

export const GF: i32 = 16 * 8;             // bytes in one field element

export const gf0: usize = memory.data<i64>([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
export const gf1: usize = memory.data<i64>([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

const PT: usize = memory.data(GF, 8);      // pack25519's reduced copy
const PM: usize = memory.data(GF, 8);      // ... and the same minus p
const MT: usize = memory.data(GF, 8);      // M's folded product before carrying
const PC: usize = memory.data(GF, 8);      // inv25519's and pow2523's running power
const NA: usize = memory.data(32, 8);      // neq25519's and par25519's encodings
const NB: usize = memory.data(32, 8);

@inline function limb(o: usize, i: i32): usize { return o + (<usize>i << 3); }

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

/** 1 if a and b are different field elements, 0 if equal. */
export function neq25519(a: usize, b: usize): i32 {
  pack25519(NA, a);
  pack25519(NB, b);
  let d = 0;
  for (let i = 0; i < 32; i++) d |= load<u8>(NA + <usize>i) ^ load<u8>(NB + <usize>i);
  return d != 0 ? 1 : 0;
}

/** The low bit of a's canonical encoding: the "sign" of RFC 8032 §5.1.2. */
export function par25519(a: usize): i32 {
  pack25519(NA, a);
  return load<u8>(NA) & 1;
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

/** o = a * b, schoolbook by columns with every limb in a local: limb k of the result is
 *  column k plus 38 times column k + 16 (TweetNaCl's fold of the upper half, 2^256 = 38 mod p),
 *  then carried twice. Written out because a loop over memory costs X25519 half its time. */
export function M(o: usize, a: usize, b: usize): void {
  let a0 = load<i64>(a, 0), a1 = load<i64>(a, 8), a2 = load<i64>(a, 16), a3 = load<i64>(a, 24);
  let a4 = load<i64>(a, 32), a5 = load<i64>(a, 40), a6 = load<i64>(a, 48), a7 = load<i64>(a, 56);
  let a8 = load<i64>(a, 64), a9 = load<i64>(a, 72), a10 = load<i64>(a, 80), a11 = load<i64>(a, 88);
  let a12 = load<i64>(a, 96), a13 = load<i64>(a, 104), a14 = load<i64>(a, 112), a15 = load<i64>(a, 120);
  let b0 = load<i64>(b, 0), b1 = load<i64>(b, 8), b2 = load<i64>(b, 16), b3 = load<i64>(b, 24);
  let b4 = load<i64>(b, 32), b5 = load<i64>(b, 40), b6 = load<i64>(b, 48), b7 = load<i64>(b, 56);
  let b8 = load<i64>(b, 64), b9 = load<i64>(b, 72), b10 = load<i64>(b, 80), b11 = load<i64>(b, 88);
  let b12 = load<i64>(b, 96), b13 = load<i64>(b, 104), b14 = load<i64>(b, 112), b15 = load<i64>(b, 120);
  store<i64>(MT, a0 * b0 + 38 * (a1 * b15 + a2 * b14 + a3 * b13 + a4 * b12 + a5 * b11 + a6 * b10 + a7 * b9
    + a8 * b8 + a9 * b7 + a10 * b6 + a11 * b5 + a12 * b4 + a13 * b3 + a14 * b2 + a15 * b1), 0);
  store<i64>(MT, a0 * b1 + a1 * b0 + 38 * (a2 * b15 + a3 * b14 + a4 * b13 + a5 * b12 + a6 * b11 + a7 * b10
    + a8 * b9 + a9 * b8 + a10 * b7 + a11 * b6 + a12 * b5 + a13 * b4 + a14 * b3 + a15 * b2), 8);
  store<i64>(MT, a0 * b2 + a1 * b1 + a2 * b0 + 38 * (a3 * b15 + a4 * b14 + a5 * b13 + a6 * b12 + a7 * b11
    + a8 * b10 + a9 * b9 + a10 * b8 + a11 * b7 + a12 * b6 + a13 * b5 + a14 * b4 + a15 * b3), 16);
  store<i64>(MT, a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0 + 38 * (a4 * b15 + a5 * b14 + a6 * b13 + a7 * b12 +
    a8 * b11 + a9 * b10 + a10 * b9 + a11 * b8 + a12 * b7 + a13 * b6 + a14 * b5 + a15 * b4), 24);
  store<i64>(MT, a0 * b4 + a1 * b3 + a2 * b2 + a3 * b1 + a4 * b0 + 38 * (a5 * b15 + a6 * b14 + a7 * b13 +
    a8 * b12 + a9 * b11 + a10 * b10 + a11 * b9 + a12 * b8 + a13 * b7 + a14 * b6 + a15 * b5), 32);
  store<i64>(MT, a0 * b5 + a1 * b4 + a2 * b3 + a3 * b2 + a4 * b1 + a5 * b0 + 38 * (a6 * b15 + a7 * b14 +
    a8 * b13 + a9 * b12 + a10 * b11 + a11 * b10 + a12 * b9 + a13 * b8 + a14 * b7 + a15 * b6), 40);
  store<i64>(MT, a0 * b6 + a1 * b5 + a2 * b4 + a3 * b3 + a4 * b2 + a5 * b1 + a6 * b0 + 38 * (a7 * b15 + a8
    * b14 + a9 * b13 + a10 * b12 + a11 * b11 + a12 * b10 + a13 * b9 + a14 * b8 + a15 * b7), 48);
  store<i64>(MT, a0 * b7 + a1 * b6 + a2 * b5 + a3 * b4 + a4 * b3 + a5 * b2 + a6 * b1 + a7 * b0 + 38 * (a8
    * b15 + a9 * b14 + a10 * b13 + a11 * b12 + a12 * b11 + a13 * b10 + a14 * b9 + a15 * b8), 56);
  store<i64>(MT, a0 * b8 + a1 * b7 + a2 * b6 + a3 * b5 + a4 * b4 + a5 * b3 + a6 * b2 + a7 * b1 + a8 * b0 +
    38 * (a9 * b15 + a10 * b14 + a11 * b13 + a12 * b12 + a13 * b11 + a14 * b10 + a15 * b9), 64);
  store<i64>(MT, a0 * b9 + a1 * b8 + a2 * b7 + a3 * b6 + a4 * b5 + a5 * b4 + a6 * b3 + a7 * b2 + a8 * b1 +
    a9 * b0 + 38 * (a10 * b15 + a11 * b14 + a12 * b13 + a13 * b12 + a14 * b11 + a15 * b10), 72);
  store<i64>(MT, a0 * b10 + a1 * b9 + a2 * b8 + a3 * b7 + a4 * b6 + a5 * b5 + a6 * b4 + a7 * b3 + a8 * b2
    + a9 * b1 + a10 * b0 + 38 * (a11 * b15 + a12 * b14 + a13 * b13 + a14 * b12 + a15 * b11), 80);
  store<i64>(MT, a0 * b11 + a1 * b10 + a2 * b9 + a3 * b8 + a4 * b7 + a5 * b6 + a6 * b5 + a7 * b4 + a8 * b3
    + a9 * b2 + a10 * b1 + a11 * b0 + 38 * (a12 * b15 + a13 * b14 + a14 * b13 + a15 * b12), 88);
  store<i64>(MT, a0 * b12 + a1 * b11 + a2 * b10 + a3 * b9 + a4 * b8 + a5 * b7 + a6 * b6 + a7 * b5 + a8 *
    b4 + a9 * b3 + a10 * b2 + a11 * b1 + a12 * b0 + 38 * (a13 * b15 + a14 * b14 + a15 * b13), 96);
  store<i64>(MT, a0 * b13 + a1 * b12 + a2 * b11 + a3 * b10 + a4 * b9 + a5 * b8 + a6 * b7 + a7 * b6 + a8 *
    b5 + a9 * b4 + a10 * b3 + a11 * b2 + a12 * b1 + a13 * b0 + 38 * (a14 * b15 + a15 * b14), 104);
  store<i64>(MT, a0 * b14 + a1 * b13 + a2 * b12 + a3 * b11 + a4 * b10 + a5 * b9 + a6 * b8 + a7 * b7 + a8 *
    b6 + a9 * b5 + a10 * b4 + a11 * b3 + a12 * b2 + a13 * b1 + a14 * b0 + 38 * (a15 * b15), 112);
  store<i64>(MT, a0 * b15 + a1 * b14 + a2 * b13 + a3 * b12 + a4 * b11 + a5 * b10 + a6 * b9 + a7 * b8 + a8
    * b7 + a9 * b6 + a10 * b5 + a11 * b4 + a12 * b3 + a13 * b2 + a14 * b1 + a15 * b0, 120);
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

/** o = i^(p-2) = 1/i (Fermat), by square-and-multiply over the bits of p - 2. */
export function inv25519(o: usize, i: usize): void {
  set25519(PC, i);
  for (let a = 253; a >= 0; a--) {
    S(PC, PC);
    if (a != 2 && a != 4) M(PC, PC, i);
  }
  set25519(o, PC);
}

/** o = i^((p-5)/8) = i^(2^252 - 3), the power used for square roots (RFC 8032 §5.1.3). */
export function pow2523(o: usize, i: usize): void {
  set25519(PC, i);
  for (let a = 250; a >= 0; a--) {
    S(PC, PC);
    if (a != 1) M(PC, PC, i);
  }
  set25519(o, PC);
}
