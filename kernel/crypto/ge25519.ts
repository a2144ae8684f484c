// The twisted Edwards curve of Ed25519 in ref10's coordinates and formulas (SUPERCOP
// ed25519/ref10, public domain) over kernel/crypto/fe25519.ts. Two kinds of function:
//   VARIABLE-TIME, for verification on public data only (RFC 8032 §5.1.7): decoding a key
//     as -A (geFromBytesNegate), and [a]A + [b]B by one pass of doublings with signed
//     sliding windows (geDoubleScalarMultVartime, ref10's ge_double_scalarmult_vartime):
//     branches and table indices follow the scalars' digits. Never give them a secret.
//   CONSTANT-TIME, for signing (kernel/crypto/ed25519_sign.ts): geScalarMultBase, a ladder
//     whose operations and addresses are the same for every bit, over the point formulas
//     (dbl, toP3, toCached, addOrSub), which branch only on their own flags, never on a
//     value; geToBytes, whose inversion is a fixed chain; geWipe forgets the scratch.
//
// Points (each coordinate one FE):
//   p2     (X : Y : Z)                x = X/Z, y = Y/Z
//   p3     (X : Y : Z : T)            also xy = T/Z (extended)
//   p1p1   ((X : Z), (Y : T))         x = X/Z, y = Y/T: what an addition or doubling leaves
//   cached (Y+X, Y-X, Z, 2d·T)        a p3 ready to be added
//   precomp (y+x, y-x, 2d·xy)         an affine cached point (Z = 1): the base point's table
// Every temporary is static; nothing allocates; not re-entrant.
import { FE, fe0, fe1, feCopy, feAdd, feSub, feNeg, feMul, feSq, feSq2, feFromBytes, feToBytes,
  feIsNegative, feIsZero, feInvert, fePow22523, feCswap, feWipe } from "./fe25519";
import { BASE_WINDOW, BASE_ODD } from "./ge25519_base";

export const P2: i32 = 3 * FE;
export const P3: i32 = 4 * FE;
const CACHED: i32 = 4 * FE;
export const PRECOMP: i32 = 3 * FE;

// d = -121665/121666, 2d and sqrt(-1), reduced, as limbs (BigInt-computed; the spec checks
// them against their definitions through ed25519's vectors).
const D: usize = memory.data<i64>([56195235, 13857412, 51736253, 6949390, 114729, 24766616,
  60832955, 30306712, 48412415, 21499315]);
export const D2: usize = memory.data<i64>([45281625, 27714825, 36363642, 13898781, 229458,
  15978800, 54557047, 27058993, 29715967, 9444199]);
// B's x and y (RFC 8032 §5.1), for the signing ladder.
const BX: usize = memory.data<i64>([52811034, 25909283, 16144682, 17082669, 27570973, 30858332,
  40966398, 8378388, 20764389, 8758491]);
const BY: usize = memory.data<i64>([40265304, 26843545, 13421772, 20132659, 26843545, 6710886,
  53687091, 13421772, 40265318, 26843545]);
const SQRTM1: usize = memory.data<i64>([34513072, 25610706, 9377949, 3500415, 12389472, 33281959,
  41962654, 31548777, 326685, 11406482]);

/** Coordinate k of a point. */
@inline export function c(p: usize, k: i32): usize { return p + <usize>(k * FE); }

// The temporaries: decoding's, one addition's, the multiplication's running points, the
// odd multiples of a (A, 3A, …, 15A, cached), the signed digits of both scalars.
const U: usize = memory.data(FE, 8), V: usize = memory.data(FE, 8), V3: usize = memory.data(FE, 8);
const VXX: usize = memory.data(FE, 8), CHK: usize = memory.data(FE, 8);
const T0: usize = memory.data(FE, 8);
const RT: usize = memory.data(P3, 8);       // p1p1
const RU: usize = memory.data(P3, 8);       // p3
const A2: usize = memory.data(P3, 8);       // p3: 2a
export const A_WINDOW: i32 = 5;             // a's digits are odd, |digit| < 2^(A_WINDOW-1)
const AI: usize = memory.data(CACHED << (A_WINDOW - 2), 8);
const ASLIDE: usize = memory.data(256, 8);
const BSLIDE: usize = memory.data(256, 8);
const LQ: usize = memory.data(P3, 8);       // the signing ladder's second point
const LC: usize = memory.data(CACHED, 8);   // ... and its cached form
const ZI: usize = memory.data(FE, 8), ZX: usize = memory.data(FE, 8), ZY: usize = memory.data(FE, 8);

/** h = -A for the 32 bytes at s (ref10 ge_frombytes_negate_vartime, RFC 8032 §5.1.3): y
 *  from the bytes, x = sqrt((y²-1)/(dy²+1)) as u·v³·(u·v⁷)^((p-5)/8), times sqrt(-1) if that
 *  squares to -u/v, then the sign opposite to the encoded one. False if there is no root, or
 *  x = 0 with the sign bit set. The caller has checked y < p. */
export function geFromBytesNegate(h: usize, s: usize): bool {
  let X = c(h, 0), Y = c(h, 1), Z = c(h, 2), T = c(h, 3);
  feFromBytes(Y, s);
  fe1(Z);
  feSq(U, Y);
  feMul(V, U, D);
  feSub(U, U, Z);                           // u = y² - 1
  feAdd(V, V, Z);                           // v = dy² + 1
  feSq(V3, V);
  feMul(V3, V3, V);                         // v³
  feSq(X, V3);
  feMul(X, X, V);
  feMul(X, X, U);                           // u·v⁷
  fePow22523(X, X);
  feMul(X, X, V3);
  feMul(X, X, U);                           // u·v³·(u·v⁷)^((p-5)/8)
  feSq(VXX, X);
  feMul(VXX, VXX, V);
  feSub(CHK, VXX, U);
  if (!feIsZero(CHK)) {
    feAdd(CHK, VXX, U);
    if (!feIsZero(CHK)) return false;       // no square root: not a point
    feMul(X, X, SQRTM1);
  }
  let sign = <i32>(load<u8>(s, 31) >> 7);
  if (sign == 1 && feIsZero(X)) return false;   // x = 0 has only the encoding with sign 0
  if (feIsNegative(X) == sign) feNeg(X, X);
  feMul(T, X, Y);
  return true;
}

/** r (p1p1) = 2p for p a p2 or p3 (ref10 ge_p2_dbl: 4 squarings and no product). */
function dbl(r: usize, p: usize): void {
  feSq(c(r, 0), c(p, 0));
  feSq(c(r, 2), c(p, 1));
  feSq2(c(r, 3), c(p, 2));
  feAdd(c(r, 1), c(p, 0), c(p, 1));
  feSq(T0, c(r, 1));
  feAdd(c(r, 1), c(r, 2), c(r, 0));
  feSub(c(r, 2), c(r, 2), c(r, 0));
  feSub(c(r, 0), T0, c(r, 1));
  feSub(c(r, 3), c(r, 3), c(r, 2));
}

/** r (p2) = p (p1p1): 3 products. */
function toP2(r: usize, p: usize): void {
  feMul(c(r, 0), c(p, 0), c(p, 3));
  feMul(c(r, 1), c(p, 1), c(p, 2));
  feMul(c(r, 2), c(p, 2), c(p, 3));
}

/** r (p3) = p (p1p1): 4 products. */
export function toP3(r: usize, p: usize): void {
  feMul(c(r, 0), c(p, 0), c(p, 3));
  feMul(c(r, 1), c(p, 1), c(p, 2));
  feMul(c(r, 2), c(p, 2), c(p, 3));
  feMul(c(r, 3), c(p, 0), c(p, 1));
}

/** r (cached) = p (p3). */
function toCached(r: usize, p: usize): void {
  feAdd(c(r, 0), c(p, 1), c(p, 0));
  feSub(c(r, 1), c(p, 1), c(p, 0));
  feCopy(c(r, 2), c(p, 2));
  feMul(c(r, 3), c(p, 3), D2);
}

/** r (p1p1) = p (p3) + q (cached), or p - q when neg (ref10 ge_add and ge_sub). With
 *  q a precomp (no Z), ge_madd and ge_msub: the same with Z2 = 1. */
function addOrSub(r: usize, p: usize, q: usize, neg: bool, affine: bool): void {
  feAdd(c(r, 0), c(p, 1), c(p, 0));
  feSub(c(r, 1), c(p, 1), c(p, 0));
  feMul(c(r, 2), c(r, 0), c(q, neg ? 1 : 0));
  feMul(c(r, 1), c(r, 1), c(q, neg ? 0 : 1));
  feMul(c(r, 3), c(q, affine ? 2 : 3), c(p, 3));
  if (affine) feCopy(c(r, 0), c(p, 2));
  else feMul(c(r, 0), c(p, 2), c(q, 2));
  feAdd(T0, c(r, 0), c(r, 0));
  feSub(c(r, 0), c(r, 2), c(r, 1));
  feAdd(c(r, 1), c(r, 2), c(r, 1));
  if (neg) { feSub(c(r, 2), T0, c(r, 3)); feAdd(c(r, 3), T0, c(r, 3)); }
  else { feAdd(c(r, 2), T0, c(r, 3)); feSub(c(r, 3), T0, c(r, 3)); }
}

/** r (p1p1) = p (p3) + q (precomp), public for the base table's check. */
export function geMadd(r: usize, p: usize, q: usize): void { addOrSub(r, p, q, false, true); }

/** r (p1p1) = 2p (p3), for the key check's [8]A. */
export function geDbl(r: usize, p: usize): void { dbl(r, p); }

/** The scalar's 256 bits at a as signed digits at r (one i8 each, ref10's slide): each
 *  nonzero digit odd and below 2^(w-1) in size, at least w positions apart, so a pass of
 *  256 doublings adds about 256/(w+1) table entries. Correct for scalars below 2^255
 *  (reduced k, and S < L): a carry never runs past bit 255. */
function slide(r: usize, a: usize, w: i32): void {
  let max = (1 << (w - 1)) - 1;
  for (let i = 0; i < 256; i++) store<i8>(r + <usize>i, <i8>((load<u8>(a + <usize>(i >> 3)) >> <u8>(i & 7)) & 1));
  for (let i = 0; i < 256; i++) {
    let ri = <i32>load<i8>(r + <usize>i);
    if (ri == 0) continue;
    for (let b = 1; b <= w + 1 && i + b < 256; b++) {
      let rb = <i32>load<i8>(r + <usize>(i + b));
      if (rb == 0) continue;
      if (ri + (rb << b) <= max) {
        ri += rb << b;
        store<i8>(r + <usize>(i + b), 0);
      } else if (ri - (rb << b) >= -max) {
        ri -= rb << b;
        for (let k = i + b; k < 256; k++) {
          if (load<i8>(r + <usize>k) == 0) { store<i8>(r + <usize>k, 1); break; }
          store<i8>(r + <usize>k, 0);
        }
      } else break;
    }
    store<i8>(r + <usize>i, <i8>ri);
  }
}

/** r (p2) = [a]A + [b]B for the 32-byte scalars at a and b (both below 2^255) and the p3
 *  point A (ref10 ge_double_scalarmult_vartime, with a wider window for B, whose odd
 *  multiples are the constant table of ge25519_base.ts). */
export function geDoubleScalarMultVartime(r: usize, a: usize, A: usize, b: usize): void {
  slide(ASLIDE, a, A_WINDOW);
  slide(BSLIDE, b, BASE_WINDOW);
  toCached(AI, A);                          // AI[i] = (2i + 1)A
  dbl(RT, A);
  toP3(A2, RT);
  for (let i = 0; i < (1 << (A_WINDOW - 2)) - 1; i++) {
    addOrSub(RT, A2, AI + <usize>(i * CACHED), false, false);
    toP3(RU, RT);
    toCached(AI + <usize>((i + 1) * CACHED), RU);
  }
  fe0(c(r, 0)); fe1(c(r, 1)); fe1(c(r, 2));
  let i = 255;
  while (i >= 0 && load<i8>(ASLIDE + <usize>i) == 0 && load<i8>(BSLIDE + <usize>i) == 0) i--;
  for (; i >= 0; i--) {
    dbl(RT, r);
    let da = <i32>load<i8>(ASLIDE + <usize>i), db = <i32>load<i8>(BSLIDE + <usize>i);
    if (da != 0) {
      toP3(RU, RT);
      addOrSub(RT, RU, AI + <usize>(((da < 0 ? -da : da) >> 1) * CACHED), da < 0, false);
    }
    if (db != 0) {
      toP3(RU, RT);
      addOrSub(RT, RU, BASE_ODD + <usize>(((db < 0 ? -db : db) >> 1) * PRECOMP), db < 0, true);
    }
    toP2(r, RT);
  }
}

/** The 32-byte encoding of the p2 (or p3) point p at s (ref10 ge_tobytes). */
export function geToBytes(s: usize, p: usize): void {
  feInvert(ZI, c(p, 2));
  feMul(ZX, c(p, 0), ZI);
  feMul(ZY, c(p, 1), ZI);
  feToBytes(s, ZY);
  store<u8>(s, load<u8>(s, 31) ^ <u8>(feIsNegative(ZX) << 7), 31);
}

/** p (p3) = [s]B for the 32-byte scalar at s, in CONSTANT TIME (for signing: s is secret):
 *  a Montgomery ladder over all 256 bits keeping p and q = p + B; each step swaps the two
 *  by the bit without a branch (feCswap), sets q = q + p and p = 2p, and swaps back, so
 *  its operations and addresses are those of every step (TweetNaCl's scalarbase, in
 *  ref10's formulas). The caller wipes (geWipe) when done. */
export function geScalarMultBase(p: usize, s: usize): void {
  fe0(c(p, 0)); fe1(c(p, 1)); fe1(c(p, 2)); fe0(c(p, 3));
  feCopy(c(LQ, 0), BX); feCopy(c(LQ, 1), BY); fe1(c(LQ, 2)); feMul(c(LQ, 3), BX, BY);
  for (let i = 255; i >= 0; i--) {
    let b = <i64>((load<u8>(s + <usize>(i >> 3)) >> <u8>(i & 7)) & 1);
    for (let k = 0; k < 4; k++) feCswap(c(p, k), c(LQ, k), b);
    toCached(LC, p);
    addOrSub(RT, LQ, LC, false, false);
    toP3(LQ, RT);
    dbl(RT, p);
    toP3(p, RT);
    for (let k = 0; k < 4; k++) feCswap(c(p, k), c(LQ, k), b);
  }
}

/** Forget what the constant-time functions left in this file's and fe25519.ts's scratch
 *  (after they worked on a secret's multiples). */
export function geWipe(): void {
  memory.fill(T0, 0, <usize>FE); memory.fill(RT, 0, <usize>P3); memory.fill(RU, 0, <usize>P3);
  memory.fill(LQ, 0, <usize>P3); memory.fill(LC, 0, <usize>CACHED);
  memory.fill(ZI, 0, <usize>FE); memory.fill(ZX, 0, <usize>FE); memory.fill(ZY, 0, <usize>FE);
  feWipe();
}
