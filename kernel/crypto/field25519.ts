// Arithmetic modulo p = 2^255 - 19, ported from TweetNaCl (tweetnacl.c, public domain)
// function by function and under its names, so the two can be read side by side. A field
// element ("gf") is 16 signed limbs of 16 bits, each an i64, at a caller's address
// (GF bytes); results may alias inputs. Temporaries live in static memory: nothing here
// allocates, and no function is re-entered. Nothing here is constant-time beyond what
// TweetNaCl gives, and there is no inversion of zero check (0^-1 gives 0).
// Used by kernel/crypto/ed25519.ts.

export const GF: i32 = 16 * 8;             // bytes in one field element

export const gf0: usize = memory.data<i64>([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
export const gf1: usize = memory.data<i64>([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

const PT: usize = memory.data(GF, 8);      // pack25519's reduced copy
const PM: usize = memory.data(GF, 8);      // ... and the same minus p
const MT: usize = memory.data(31 * 8, 8);  // M's product before reduction
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

/** o = a * b, schoolbook, then the upper half folded in times 38, then carried twice. */
export function M(o: usize, a: usize, b: usize): void {
  memory.fill(MT, 0, 31 * 8);
  for (let i = 0; i < 16; i++) {
    let ai = load<i64>(limb(a, i));
    let t = limb(MT, i);
    for (let j = 0; j < 16; j++) {
      let tj = limb(t, j);
      store<i64>(tj, load<i64>(tj) + ai * load<i64>(limb(b, j)));
    }
  }
  for (let i = 0; i < 15; i++) {
    store<i64>(limb(MT, i), load<i64>(limb(MT, i)) + 38 * load<i64>(limb(MT, i + 16)));
  }
  memory.copy(o, MT, <usize>GF);
  car25519(o);
  car25519(o);
}

export function S(o: usize, a: usize): void {
  M(o, a, a);
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
