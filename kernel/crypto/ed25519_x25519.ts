// An ed25519 public key's X25519 form, as libsodium's crypto_sign_ed25519_pk_to_curve25519:
// the birational map from the twisted Edwards curve to Curve25519, u = (1 + y) / (1 - y)
// (RFC 7748 §4.1), from y alone (the sign of x does not matter to u). A key that does not
// decode or has small order is refused (ed25519KeyUsable): the identity (y = 1) would
// divide by zero, and a point of small order would give a shared value anyone can guess.
// Unlike libsodium, a point with a torsion component that is not of small order is taken:
// X25519 clamps its scalars to multiples of 8, which remove the component. For the sealed
// answers of ctl/seal.ts; checked against a BigInt implementation (tests/kernel/crypto_hpke.test.ts).
import { FE, fe1, feFromBytes, feToBytes, feAdd, feSub, feMul, feInvert, feWipe } from "./fe25519";
import { ed25519KeyUsable } from "./ed25519";

const ONE: usize = memory.data(FE, 8);
const Y: usize = memory.data(FE, 8);
const N: usize = memory.data(FE, 8);       // 1 + y
const D: usize = memory.data(FE, 8);       // 1 - y, then its inverse

/** The X25519 public key (32 bytes at u) of the ed25519 public key at pk; false (u not
 *  written) if pk is not a usable key. */
export function ed25519ToX25519(u: usize, pk: usize): bool {
  if (!ed25519KeyUsable(pk)) return false;
  feFromBytes(Y, pk);                      // bit 255, the sign of x, is dropped
  fe1(ONE);
  feAdd(N, ONE, Y);
  feSub(D, ONE, Y);
  feInvert(D, D);
  feMul(N, N, D);
  feToBytes(u, N);
  feWipe();
  return true;
}
