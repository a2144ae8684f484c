// Ed25519 signature verification (RFC 8032 §5.1.7, pure Ed25519: no context, no prehash).
// The point arithmetic (extended coordinates) and the check are TweetNaCl's
// crypto_sign_open (public domain), ported under its names: encode [S]B - [k]A and compare
// it with the signature's R bytes (the cofactorless check). Unlike TweetNaCl, both products
// come from one double-and-add pass over the two scalars' bits (Straus/Shamir): the inputs
// are all public, so the ladder's constant time buys nothing, and this does 256 doublings
// and about 192 additions where two ladders do 1024 additions. Added to TweetNaCl, as RFC 8032
// requires: S must be below L, and the key must decode (§5.1.3: y < p, no x = 0 with the
// sign bit set). R needs no decoding: an R that does not decode is never an encoding the
// comparison can equal. No signing: that is kernel/crypto/ed25519_sign.ts, which shares the
// point arithmetic exported here. This file checks signatures, and keys
// (ed25519KeyUsable refuses a key of small order, which RFC 8032 allows but with which
// anyone can sign: with the identity as key, R = B and S = 1 sign every message). Every
// temporary is static; one call uses the SHA-512 context. Nothing verified is secret; add
// and pack, which signing also uses on secret multiples, do the same work whatever the point.
// Used by kernel/ctl/control.ts, kernel/boot.ts and ed25519_sign.ts; the caller guarantees
// the bytes are in memory.
import { GF, gf0, gf1, set25519, pack25519, unpack25519, neq25519, par25519,
  A, Z, M, S, inv25519, pow2523 } from "./field25519";
import { reduce, scalarBelowL } from "./scalar25519";
import { sha512Init, sha512Update, sha512Final } from "./sha512";

export const SIG_BYTES: i32 = 64;          // R (32) then S (32)
export const KEY_BYTES: i32 = 32;          // the encoded public key A

export const PT: i32 = 4 * GF;             // bytes in one point: X, Y, Z, T (x = X/Z, y = Y/Z, xy = T/Z)

// The curve's constants as TweetNaCl writes them: d, 2d, the base point B's x and y, and
// sqrt(-1), each as 16 limbs.
const D: usize = memory.data<i64>([0x78a3, 0x1359, 0x4dca, 0x75eb, 0xd8ab, 0x4141, 0x0a4d, 0x0070,
  0xe898, 0x7779, 0x4079, 0x8cc7, 0xfe73, 0x2b6f, 0x6cee, 0x5203]);
const D2: usize = memory.data<i64>([0xf159, 0x26b2, 0x9b94, 0xebd6, 0xb156, 0x8283, 0x149a, 0x00e0,
  0xd130, 0xeef3, 0x80f2, 0x198e, 0xfce7, 0x56df, 0xd9dc, 0x2406]);
const BX: usize = memory.data<i64>([0xd51a, 0x8f25, 0x2d60, 0xc956, 0xa7b2, 0x9525, 0xc760, 0x692c,
  0xdc5c, 0xfdd6, 0xe231, 0xc0a4, 0x53fe, 0xcd6e, 0x36d3, 0x2169]);
const BY: usize = memory.data<i64>([0x6658, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666,
  0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666]);
const I: usize = memory.data<i64>([0xa0b0, 0x4a0e, 0x1b27, 0xc4ee, 0xe478, 0xad2f, 0x1806, 0x2f43,
  0xd7a7, 0x3dfb, 0x0099, 0x2b4d, 0xdf0b, 0x4fc1, 0x2480, 0x2b83]);

// add's temporaries, then pack's, then unpackneg's; each function has its own.
const TA: usize = memory.data(GF, 8), TB: usize = memory.data(GF, 8), TC: usize = memory.data(GF, 8);
const TD: usize = memory.data(GF, 8), TE: usize = memory.data(GF, 8), TF: usize = memory.data(GF, 8);
const TG: usize = memory.data(GF, 8), TH: usize = memory.data(GF, 8), TT: usize = memory.data(GF, 8);
const ZX: usize = memory.data(GF, 8), ZY: usize = memory.data(GF, 8), ZI: usize = memory.data(GF, 8);
const UT: usize = memory.data(GF, 8), UCHK: usize = memory.data(GF, 8), UNUM: usize = memory.data(GF, 8);
const UDEN: usize = memory.data(GF, 8), UDEN2: usize = memory.data(GF, 8);
const UDEN4: usize = memory.data(GF, 8), UDEN6: usize = memory.data(GF, 8);
const UX: usize = memory.data(32, 8);      // unpackneg's encoding of x
// ed25519Verify's: the sum, -A, the base point B, -A + B, the hash, the encoding to compare.
const VP: usize = memory.data(PT, 8), VQ: usize = memory.data(PT, 8), VB: usize = memory.data(PT, 8);
const VAB: usize = memory.data(PT, 8);
const VH: usize = memory.data(64, 8);
const VR: usize = memory.data(32, 8);

/** Coordinate k (0 to 3: X, Y, Z, T) of point p. */
@inline export function co(p: usize, k: i32): usize { return p + <usize>(k * GF); }

/** p = p + q (add-2008-hwcd-3, as TweetNaCl); q may be p. The same operations whatever
 *  the points, so it may add secret ones. */
export function add(p: usize, q: usize): void {
  Z(TA, co(p, 1), co(p, 0));
  Z(TT, co(q, 1), co(q, 0));
  M(TA, TA, TT);
  A(TB, co(p, 0), co(p, 1));
  A(TT, co(q, 0), co(q, 1));
  M(TB, TB, TT);
  M(TC, co(p, 3), co(q, 3));
  M(TC, TC, D2);
  M(TD, co(p, 2), co(q, 2));
  A(TD, TD, TD);
  Z(TE, TB, TA);
  Z(TF, TD, TC);
  A(TG, TD, TC);
  A(TH, TB, TA);
  M(co(p, 0), TE, TF);
  M(co(p, 1), TH, TG);
  M(co(p, 2), TG, TF);
  M(co(p, 3), TE, TH);
}

function copy(p: usize, q: usize): void {
  for (let k = 0; k < 4; k++) set25519(co(p, k), co(q, k));
}

/** The 32-byte encoding of point p at r (RFC 8032 §5.1.2). */
export function pack(r: usize, p: usize): void {
  inv25519(ZI, co(p, 2));
  M(ZX, co(p, 0), ZI);
  M(ZY, co(p, 1), ZI);
  pack25519(r, ZY);
  store<u8>(r, load<u8>(r, 31) ^ <u8>(par25519(ZX) << 7), 31);
}

/** p = the base point B (RFC 8032 §5.1). */
export function base(p: usize): void {
  set25519(co(p, 0), BX);
  set25519(co(p, 1), BY);
  set25519(co(p, 2), gf1);
  M(co(p, 3), BX, BY);
}

/** p = the identity, (0, 1). */
export function identity(p: usize): void {
  set25519(co(p, 0), gf0);
  set25519(co(p, 1), gf1);
  set25519(co(p, 2), gf1);
  set25519(co(p, 3), gf0);
}

/** Forget what add and pack left in their scratch (after they worked on a secret's
 *  multiples). */
export function wipePointScratch(): void {
  memory.fill(TA, 0, <usize>GF); memory.fill(TB, 0, <usize>GF); memory.fill(TC, 0, <usize>GF);
  memory.fill(TD, 0, <usize>GF); memory.fill(TE, 0, <usize>GF); memory.fill(TF, 0, <usize>GF);
  memory.fill(TG, 0, <usize>GF); memory.fill(TH, 0, <usize>GF); memory.fill(TT, 0, <usize>GF);
  memory.fill(ZX, 0, <usize>GF); memory.fill(ZY, 0, <usize>GF); memory.fill(ZI, 0, <usize>GF);
}

@inline function bit(s: usize, i: i32): i32 { return (<i32>load<u8>(s + <usize>(i >> 3)) >> (i & 7)) & 1; }

/** p = [h]a + [s]B for the 32-byte scalars at h and s (a is VQ; uses VB and VAB): one
 *  doubling per bit, and one addition of a, B or a + B where either bit is set. */
function jointmult(p: usize, h: usize, s: usize): void {
  base(VB);
  copy(VAB, VQ);
  add(VAB, VB);
  identity(p);
  for (let i = 255; i >= 0; --i) {
    add(p, p);
    let which = bit(h, i) | bit(s, i) << 1;
    if (which == 1) add(p, VQ);
    else if (which == 2) add(p, VB);
    else if (which == 3) add(p, VAB);
  }
}

/** Whether the 32 bytes at k, bit 255 aside, are a number below p = 2^255 - 19. */
function belowP(k: usize): bool {
  if ((load<u8>(k, 31) & 0x7f) != 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (load<u8>(k + <usize>i) != 0xff) return true;
  return load<u8>(k) < 0xed;
}

/** r = -A for the key encoded at k (RFC 8032 §5.1.3 decoding, then negated); false if the
 *  bytes do not decode: y ≥ p, x² = (y²-1)/(dy²+1) has no root, or x = 0 with sign 1. */
function unpackneg(r: usize, k: usize): bool {
  if (!belowP(k)) return false;
  set25519(co(r, 2), gf1);
  unpack25519(co(r, 1), k);
  S(UNUM, co(r, 1));
  M(UDEN, UNUM, D);
  Z(UNUM, UNUM, co(r, 2));
  A(UDEN, co(r, 2), UDEN);

  S(UDEN2, UDEN);
  S(UDEN4, UDEN2);
  M(UDEN6, UDEN4, UDEN2);
  M(UT, UDEN6, UNUM);
  M(UT, UT, UDEN);

  pow2523(UT, UT);
  M(UT, UT, UNUM);
  M(UT, UT, UDEN);
  M(UT, UT, UDEN);
  M(co(r, 0), UT, UDEN);

  S(UCHK, co(r, 0));
  M(UCHK, UCHK, UDEN);
  if (neq25519(UCHK, UNUM)) M(co(r, 0), co(r, 0), I);

  S(UCHK, co(r, 0));
  M(UCHK, UCHK, UDEN);
  if (neq25519(UCHK, UNUM)) return false;

  let sign = <i32>(load<u8>(k, 31) >> 7);
  pack25519(UX, co(r, 0));
  if (sign == 1 && isZero32(UX)) return false;
  if (par25519(co(r, 0)) == sign) Z(co(r, 0), gf0, co(r, 0));

  M(co(r, 3), co(r, 0), co(r, 1));
  return true;
}

function isZero32(p: usize): bool {
  let acc: u8 = 0;
  for (let i = 0; i < 32; i++) acc |= load<u8>(p + <usize>i);
  return acc == 0;
}

/** Whether the 32-byte key at pk may be a user's: it decodes (RFC 8032 §5.1.3) and its
 *  point does not have small order (1, 2, 4 or 8: [8]A is not the identity), so nobody can
 *  make signatures that verify with it without its secret. Uses VQ. */
export function ed25519KeyUsable(pk: usize): bool {
  if (!unpackneg(VQ, pk)) return false;    // -A has the order of A
  for (let i = 0; i < 3; i++) add(VQ, VQ);
  pack(VR, VQ);                            // the identity encodes as y = 1, x = 0
  if (load<u8>(VR) != 1) return true;
  for (let i = 1; i < 32; i++) if (load<u8>(VR + <usize>i) != 0) return true;
  return false;
}

/** Whether the 64-byte signature at sig is one by the 32-byte key at pk over the n bytes
 *  at msg: S < L, the key decodes, and [S]B = R + [k]A with k = SHA-512(R || A || M) mod L.
 *  Starts and finishes a SHA-512 of its own. */
export function ed25519Verify(sig: usize, msg: usize, n: i32, pk: usize): bool {
  if (!scalarBelowL(sig + 32)) return false;
  if (!unpackneg(VQ, pk)) return false;

  sha512Init();
  sha512Update(sig, 32);
  sha512Update(pk, KEY_BYTES);
  sha512Update(msg, n);
  sha512Final(VH);
  reduce(VH);

  jointmult(VP, VH, sig + 32);             // [k](-A) + [S]B
  pack(VR, VP);

  let d: u8 = 0;
  for (let i = 0; i < 32; i++) d |= load<u8>(VR + <usize>i) ^ load<u8>(sig + <usize>i);
  return d == 0;
}
