// Ed25519 signature verification (RFC 8032 §5.1.7, pure Ed25519: no context, no prehash)
// and the key check.
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
// Signing is kernel/crypto/ed25519_sign.ts, over ge25519.ts's constant-time functions.
// Every temporary is static; one call uses the SHA-512 context. Used by kernel/ctl/,
// kernel/cert/, kernel/svc/modsig.ts, kernel/boot.ts and ed25519_x25519.ts; the caller
// guarantees the bytes are in memory.
import { P3, geFromBytesNegate, geDbl, toP3, geDoubleScalarMultVartime, geToBytes } from "./ge25519";
import { reduce, scalarBelowL } from "./scalar25519";
import { sha512Init, sha512Update, sha512Final } from "./sha512";

export const SIG_BYTES: i32 = 64;          // R (32) then S (32)
export const KEY_BYTES: i32 = 32;          // the encoded public key A

// ed25519Verify's and ed25519KeyUsable's (ge25519.ts's points): -A, the sum, a doubling,
// the hash, the encoding to compare.
const VA: usize = memory.data(P3, 8), VP: usize = memory.data(P3, 8), VD: usize = memory.data(P3, 8);
const VH: usize = memory.data(64, 8);
const VR: usize = memory.data(32, 8);

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
