// X25519 (RFC 7748 §5): the Diffie-Hellman function on Curve25519's u-coordinate, as
// TweetNaCl's crypto_scalarmult over kernel/crypto/field25519.ts. The scalar is clamped in
// a copy, the top bit of u is ignored, and the Montgomery ladder swaps with sel25519 (no
// branch, no index on secret bits). The result is refused when it is all zero (the peer
// sent a point of small order: WireGuard's check, RFC 7748 §6.1). The copy of the scalar
// and the ladder's temporaries are wiped before returning. Not re-entrant. Used by
// kernel/wg/ (the handshake's four DH operations and key generation).
import { GF, gf0, gf1, set25519, sel25519, pack25519, unpack25519, A, Z, M, S, Msmall, inv25519, wipe25519 } from "./field25519";

const A24: i64 = 121665;                   // (A - 2) / 4, RFC 7748 §5
const BASE: usize = memory.data<u8>([9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);                          // u = 9
const K: usize = memory.data(32, 8);       // the clamped scalar
const X: usize = memory.data(GF, 8);       // u of the point
const FA: usize = memory.data(GF, 8);      // the ladder: (a : c) and (b : d) in TweetNaCl's names
const FB: usize = memory.data(GF, 8);
const FC: usize = memory.data(GF, 8);
const FD: usize = memory.data(GF, 8);
const FE: usize = memory.data(GF, 8);
const FF: usize = memory.data(GF, 8);

/** The 32-byte shared value of the 32-byte scalar and the 32-byte u at point, at out;
 *  false if it is all zero (out is written either way). */
export function x25519(out: usize, scalar: usize, point: usize): bool {
  memory.copy(K, scalar, 32);
  store<u8>(K, load<u8>(K) & 248);         // §5: decodeScalar25519
  store<u8>(K + 31, (load<u8>(K + 31) & 127) | 64);
  unpack25519(X, point);                   // masks bit 255 (§5: decodeUCoordinate)
  set25519(FA, gf1); set25519(FB, X); set25519(FC, gf0); set25519(FD, gf1);
  for (let i = 254; i >= 0; i--) {
    let r = <i64>((load<u8>(K + <usize>(i >> 3)) >> <u8>(i & 7)) & 1);
    sel25519(FA, FB, r);
    sel25519(FC, FD, r);
    A(FE, FA, FC);
    Z(FA, FA, FC);
    A(FC, FB, FD);
    Z(FB, FB, FD);
    S(FD, FE);
    S(FF, FA);
    M(FA, FC, FA);
    M(FC, FB, FE);
    A(FE, FA, FC);
    Z(FA, FA, FC);
    S(FB, FA);
    Z(FC, FD, FF);
    Msmall(FA, FC, A24);
    A(FA, FA, FD);
    M(FC, FC, FA);
    M(FA, FD, FF);
    M(FD, FB, X);
    S(FB, FE);
    sel25519(FA, FB, r);
    sel25519(FC, FD, r);
  }
  inv25519(FC, FC);
  M(FA, FA, FC);
  pack25519(out, FA);
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
  memory.fill(X, 0, GF);
  memory.fill(FA, 0, GF); memory.fill(FB, 0, GF); memory.fill(FC, 0, GF);
  memory.fill(FD, 0, GF); memory.fill(FE, 0, GF); memory.fill(FF, 0, GF);
  wipe25519();    // pack25519 and inv25519 leave the shared secret in field25519's scratch
}
