// Ed25519 signature verification (RFC 8032 §5.1.7, pure Ed25519: no context, no prehash)
// and the key check, and the constant-time point arithmetic that signing shares.
// VERIFICATION (ed25519Verify, ed25519KeyUsable) works on public data only and is
// variable-time: ref10's arithmetic (kernel/crypto/fe25519.ts, 10 limbs of 25.5 bits, and
// ge25519.ts): decode -A, then [k](-A) + [S]B in one pass of 256 doublings with signed
// sliding windows (odd multiples of -A made per call, of B from the constant table in
// ge25519_base.ts), then encode and compare with the signature's R bytes (the cofactorless
// check). Added to ref10, as RFC 8032 requires: S must be below L, and the key must decode
// (§5.1.3: y < p, no x = 0 with the sign bit set). R needs no decoding: an R that does not
// decode is never an encoding the comparison can equal. ed25519KeyUsable also refuses a key
// of small order, which RFC 8032 allows but with which anyone can sign: with the identity
// as key, R = B and S = 1 sign every message.
// SIGNING's arithmetic (add, pack, base, identity: TweetNaCl's, over field25519.ts) stays
// here for kernel/crypto/ed25519_sign.ts: add and pack do the same work whatever the point,
// so they may be given a secret's multiples. Every temporary is static; one call uses the
// SHA-512 context. Used by kernel/ctl/, kernel/cert/, kernel/svc/modsig.ts, kernel/boot.ts
// and ed25519_sign.ts; the caller guarantees the bytes are in memory.
import { GF, gf0, gf1, set25519, pack25519, par25519, A, Z, M, inv25519 } from "./field25519";
import { P3, geFromBytesNegate, geDbl, toP3, geDoubleScalarMultVartime, geToBytes } from "./ge25519";
import { reduce, scalarBelowL } from "./scalar25519";
import { sha512Init, sha512Update, sha512Final } from "./sha512";

export const SIG_BYTES: i32 = 64;          // R (32) then S (32)
export const KEY_BYTES: i32 = 32;          // the encoded public key A

export const PT: i32 = 4 * GF;             // bytes in one point: X, Y, Z, T (x = X/Z, y = Y/Z, xy = T/Z)

// The curve's constants as TweetNaCl writes them: 2d and the base point B's x and y, each
// as 16 limbs.
const D2: usize = memory.data<i64>([0xf159, 0x26b2, 0x9b94, 0xebd6, 0xb156, 0x8283, 0x149a, 0x00e0,
  0xd130, 0xeef3, 0x80f2, 0x198e, 0xfce7, 0x56df, 0xd9dc, 0x2406]);
const BX: usize = memory.data<i64>([0xd51a, 0x8f25, 0x2d60, 0xc956, 0xa7b2, 0x9525, 0xc760, 0x692c,
  0xdc5c, 0xfdd6, 0xe231, 0xc0a4, 0x53fe, 0xcd6e, 0x36d3, 0x2169]);
const BY: usize = memory.data<i64>([0x6658, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666,
  0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666]);

// add's temporaries, then pack's.
const TA: usize = memory.data(GF, 8), TB: usize = memory.data(GF, 8), TC: usize = memory.data(GF, 8);
const TD: usize = memory.data(GF, 8), TE: usize = memory.data(GF, 8), TF: usize = memory.data(GF, 8);
const TG: usize = memory.data(GF, 8), TH: usize = memory.data(GF, 8), TT: usize = memory.data(GF, 8);
const ZX: usize = memory.data(GF, 8), ZY: usize = memory.data(GF, 8), ZI: usize = memory.data(GF, 8);
// ed25519Verify's and ed25519KeyUsable's (ge25519.ts's points): -A, the sum, a doubling,
// the hash, the encoding to compare.
const VA: usize = memory.data(P3, 8), VP: usize = memory.data(P3, 8), VD: usize = memory.data(P3, 8);
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

/** Whether the 32 bytes at k, bit 255 aside, are a number below p = 2^255 - 19. */
function belowP(k: usize): bool {
  if ((load<u8>(k, 31) & 0x7f) != 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (load<u8>(k + <usize>i) != 0xff) return true;
  return load<u8>(k) < 0xed;
}

/** Whether the 32-byte key at pk may be a user's: it decodes (RFC 8032 §5.1.3) and its
 *  point does not have small order (1, 2, 4 or 8: [8]A is not the identity), so nobody can
 *  make signatures that verify with it without its secret. Variable-time (keys are public). */
export function ed25519KeyUsable(pk: usize): bool {
  if (!belowP(pk) || !geFromBytesNegate(VA, pk)) return false;   // -A has the order of A
  for (let i = 0; i < 3; i++) { geDbl(VD, VA); toP3(VA, VD); }
  geToBytes(VR, VA);                       // the identity encodes as y = 1, x = 0
  if (load<u8>(VR) != 1) return true;
  for (let i = 1; i < 32; i++) if (load<u8>(VR + <usize>i) != 0) return true;
  return false;
}

/** Whether the 64-byte signature at sig is one by the 32-byte key at pk over the n bytes
 *  at msg: S < L, the key decodes, and [S]B = R + [k]A with k = SHA-512(R || A || M) mod L.
 *  Starts and finishes a SHA-512 of its own. Variable-time (all inputs are public). */
export function ed25519Verify(sig: usize, msg: usize, n: i32, pk: usize): bool {
  if (!scalarBelowL(sig + 32)) return false;
  if (!belowP(pk) || !geFromBytesNegate(VA, pk)) return false;

  sha512Init();
  sha512Update(sig, 32);
  sha512Update(pk, KEY_BYTES);
  sha512Update(msg, n);
  sha512Final(VH);
  reduce(VH);

  geDoubleScalarMultVartime(VP, VH, VA, sig + 32);   // [k](-A) + [S]B
  geToBytes(VR, VP);

  let d: u8 = 0;
  for (let i = 0; i < 32; i++) d |= load<u8>(VR + <usize>i) ^ load<u8>(sig + <usize>i);
  return d == 0;
}
