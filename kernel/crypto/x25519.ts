// X25519 (RFC 7748 §5): the Diffie-Hellman function on Curve25519's u-coordinate, as ref10's
// crypto_scalarmult (SUPERCOP curve25519/ref10, public domain) over kernel/crypto/fe25519.ts,
// the field Ed25519 uses. The scalar is clamped in a copy, the top bit of u is ignored, and
// u from p to 2^255 - 1 is taken as it is (§5: reduced, not refused). The Montgomery ladder
// swaps with feCswap (no branch, no index on secret bits), a swap deferred to the next bit
// as ref10 does it, and each step is RFC 7748's with AA + a24·E written BB + 121666·E. The
// result is refused when it is all zero (the peer sent a point of small order: WireGuard's
// check, RFC 7748 §6.1). The copy of the scalar, the ladder's temporaries and the field's
// scratch are wiped before returning. Not re-entrant. Used by kernel/wg/ (the handshake's
// four DH operations and key generation).
import { FE, fe0, fe1, feCopy, feAdd, feSub, feCswap, feFromBytes, feToBytes, feMul, feSq, feMul121666, feInvert, feWipe } from "./fe25519";

const BASE: usize = memory.data<u8>([9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);                          // u = 9
const K: usize = memory.data(32, 8);       // the clamped scalar
const X1: usize = memory.data(FE, 8);      // u of the point
const X2: usize = memory.data(FE, 8);      // the ladder: (x2 : z2) and (x3 : z3) in ref10's names
const Z2: usize = memory.data(FE, 8);
const X3: usize = memory.data(FE, 8);
const Z3: usize = memory.data(FE, 8);
const T0: usize = memory.data(FE, 8);
const T1: usize = memory.data(FE, 8);

/** The 32-byte shared value of the 32-byte scalar and the 32-byte u at point, at out;
 *  false if it is all zero (out is written either way). */
export function x25519(out: usize, scalar: usize, point: usize): bool {
  memory.copy(K, scalar, 32);
  store<u8>(K, load<u8>(K) & 248);         // §5: decodeScalar25519
  store<u8>(K + 31, (load<u8>(K + 31) & 127) | 64);
  feFromBytes(X1, point);                  // masks bit 255 (§5: decodeUCoordinate)
  fe1(X2); fe0(Z2); feCopy(X3, X1); fe1(Z3);
  let swap: i64 = 0;
  for (let i = 254; i >= 0; i--) {
    let b = <i64>((load<u8>(K + <usize>(i >> 3)) >> <u8>(i & 7)) & 1);
    swap ^= b;
    feCswap(X2, X3, swap);
    feCswap(Z2, Z3, swap);
    swap = b;
    feSub(T0, X3, Z3);                     // D
    feSub(T1, X2, Z2);                     // B
    feAdd(X2, X2, Z2);                     // A
    feAdd(Z2, X3, Z3);                     // C
    feMul(Z3, T0, X2);                     // DA
    feMul(Z2, Z2, T1);                     // CB
    feSq(T0, T1);                          // BB
    feSq(T1, X2);                          // AA
    feAdd(X3, Z3, Z2);                     // DA + CB
    feSub(Z2, Z3, Z2);                     // DA - CB
    feMul(X2, T1, T0);                     // x2 = AA · BB
    feSub(T1, T1, T0);                     // E = AA - BB
    feSq(Z2, Z2);
    feMul121666(Z3, T1);
    feSq(X3, X3);                          // x3 = (DA + CB)^2
    feAdd(T0, T0, Z3);                     // BB + 121666 · E = AA + 121665 · E
    feMul(Z3, X1, Z2);                     // z3 = x1 · (DA - CB)^2
    feMul(Z2, T1, T0);                     // z2 = E · (AA + a24 · E)
  }
  feCswap(X2, X3, swap);
  feCswap(Z2, Z3, swap);
  feInvert(Z2, Z2);
  feMul(X2, X2, Z2);
  feToBytes(out, X2);
  wipe();
  let d: u32 = 0;
  for (let i = 0; i < 32; i++) d |= load<u8>(out + <usize>i);
  return d != 0;
}

/** The public key of the 32-byte private scalar: X25519(scalar, 9), at out. */
export function x25519Base(out: usize, scalar: usize): void {
  x25519(out, scalar, BASE);
}

function wipe(): void {
  memory.fill(K, 0, 32);
  memory.fill(X1, 0, <usize>FE); memory.fill(X2, 0, <usize>FE); memory.fill(Z2, 0, <usize>FE);
  memory.fill(X3, 0, <usize>FE); memory.fill(Z3, 0, <usize>FE);
  memory.fill(T0, 0, <usize>FE); memory.fill(T1, 0, <usize>FE);
  feWipe();       // feInvert leaves powers of z2 in fe25519's scratch
}
