// A module that exposes kernel/crypto to Node, for tests/kernel/crypto.test.ts,
// crypto_sign.test.ts and crypto_wg.test.ts (and tests/bench/crypto.ts): thin exported
// wrappers around SHA-512, Ed25519 verification (and its double-scalar multiplication),
// the key check and signing, the AEADs, BLAKE2s, HMAC, WireGuard's KDF, X25519,
// HMAC/HKDF-SHA256, HPKE's seal and the ed25519 to X25519 map, and one buffer the test
// fills with its bytes.
// It is no part of the kernel and has no host imports; `persia build` compiles it with the
// "crypto-test" target into build/wasm/tests/crypto.wasm.
import { sha512Init, sha512Update, sha512Final, sha512 } from "../../../kernel/crypto/sha512";
import { sha256 } from "../../../kernel/crypto/sha256";
import { ed25519Verify, ed25519KeyUsable } from "../../../kernel/crypto/ed25519";
import { ed25519Public, ed25519Sign } from "../../../kernel/crypto/ed25519_sign";
import { aeadSeal, aeadOpen, xaeadSeal, xaeadOpen } from "../../../kernel/crypto/aead";
import { blake2s, blake2sInit, blake2sUpdate, blake2sFinal } from "../../../kernel/crypto/blake2s";
import { hmacBlake2s, kdf } from "../../../kernel/crypto/kdf";
import { x25519, x25519Base } from "../../../kernel/crypto/x25519";
import { tai64n } from "../../../kernel/crypto/tai64n";
import { hmacSha256, hkdfExtract, hkdfExpand } from "../../../kernel/crypto/hkdf";
import { hpkeEnc, hpkeSeal } from "../../../kernel/crypto/hpke";
import { ed25519ToX25519 } from "../../../kernel/crypto/ed25519_x25519";
import { P3, geFromBytesNegate, geDoubleScalarMultVartime, geToBytes } from "../../../kernel/crypto/ge25519";

export const BUF_SIZE: i32 = 1 << 16;      // bytes the test may place in the buffer
const BUF: usize = memory.data(BUF_SIZE, 16);

/** Where the buffer starts in this module's memory. */
export function buf(): usize { return BUF; }

export function hash(p: usize, n: i32, out: usize): void { sha512(p, n, out); }
export function hashInit(): void { sha512Init(); }
export function hashUpdate(p: usize, n: i32): void { sha512Update(p, n); }
export function hashFinal(out: usize): void { sha512Final(out); }
export function hash256(p: usize, n: i32, out: usize): void { sha256(p, n, out); }

/** 1 if the signature verifies, 0 if not. */
export function verify(sig: usize, msg: usize, n: i32, pk: usize): i32 {
  return ed25519Verify(sig, msg, n, pk) ? 1 : 0;
}

/** 1 if the key decodes and is not of small order, 0 if not. */
export function keyUsable(pk: usize): i32 {
  return ed25519KeyUsable(pk) ? 1 : 0;
}

/** Verify the same signature count times, for timing; returns how many verified. */
export function verifyMany(sig: usize, msg: usize, n: i32, pk: usize, count: i32): i32 {
  let ok = 0;
  for (let i = 0; i < count; i++) if (ed25519Verify(sig, msg, n, pk)) ok++;
  return ok;
}

const DA: usize = memory.data(P3, 8), DR: usize = memory.data(P3, 8);

/** out = the encoding of [a](-A) + [b]B, verification's double-scalar multiplication, for
 *  the 32-byte key at pk and the 32-byte scalars at a and b (below 2^255); 0 (and out
 *  untouched) if the key does not decode. */
export function doubleScalarMult(out: usize, a: usize, pk: usize, b: usize): i32 {
  if (!geFromBytesNegate(DA, pk)) return 0;
  geDoubleScalarMultVartime(DR, a, DA, b);
  geToBytes(out, DR);
  return 1;
}

export function publicKey(pk: usize, seed: usize): void { ed25519Public(pk, seed); }
export function sign(sig: usize, msg: usize, n: i32, seed: usize, pk: usize): void {
  ed25519Sign(sig, msg, n, seed, pk);
}

/** Sign the same message count times, for timing; returns the last signature's first byte. */
export function signMany(sig: usize, msg: usize, n: i32, seed: usize, pk: usize, count: i32): i32 {
  for (let i = 0; i < count; i++) ed25519Sign(sig, msg, n, seed, pk);
  return load<u8>(sig);
}

export function seal(dst: usize, key: usize, nonce: usize, p: usize, n: i32, ad: usize, adLen: i32): void {
  aeadSeal(dst, key, nonce, p, n, ad, adLen);
}
/** 1 if the tag verifies (and the plaintext is at dst), 0 if not. */
export function open(dst: usize, key: usize, nonce: usize, c: usize, n: i32, ad: usize, adLen: i32): i32 {
  return aeadOpen(dst, key, nonce, c, n, ad, adLen) ? 1 : 0;
}
export function xseal(dst: usize, key: usize, nonce: usize, p: usize, n: i32, ad: usize, adLen: i32): void {
  xaeadSeal(dst, key, nonce, p, n, ad, adLen);
}
export function xopen(dst: usize, key: usize, nonce: usize, c: usize, n: i32, ad: usize, adLen: i32): i32 {
  return xaeadOpen(dst, key, nonce, c, n, ad, adLen) ? 1 : 0;
}
export function b2s(out: usize, outLen: i32, key: usize, keyLen: i32, p: usize, n: i32): void {
  blake2s(out, outLen, key, keyLen, p, n);
}
export function b2sInit(outLen: i32, key: usize, keyLen: i32): void { blake2sInit(outLen, key, keyLen); }
export function b2sUpdate(p: usize, n: i32): void { blake2sUpdate(p, n); }
export function b2sFinal(out: usize): void { blake2sFinal(out); }
export function hmac(out: usize, key: usize, keyLen: i32, p: usize, n: i32): void { hmacBlake2s(out, key, keyLen, p, n); }
export function wgKdf(ck: usize, p: usize, n: i32, out1: usize, out2: usize, out3: usize): void {
  kdf(ck, p, n, out1, out2, out3);
}
/** 1 if the shared value is not all zero, 0 if it is. */
export function dh(out: usize, scalar: usize, point: usize): i32 { return x25519(out, scalar, point) ? 1 : 0; }
export function dhBase(out: usize, scalar: usize): void { x25519Base(out, scalar); }
export function tai(out: usize, unixMs: i64): void { tai64n(out, unixMs); }

const BENCH: usize = memory.data(2048 + 64, 16);  // a packet and its tag, for the timing loops
const BENCH_KEY: usize = memory.data(32, 8);
const BENCH_NONCE: usize = memory.data(12, 8);

/** Seal and open one n-byte packet (n ≤ 2048) in place count times under a fixed key, the
 *  nonce counting up like WireGuard's; returns how many opened (count, unless broken). */
export function sealOpenMany(count: i32, n: i32): i32 {
  let ok = 0;
  for (let i = 0; i < count; i++) {
    store<u64>(BENCH_NONCE + 4, <u64>i);
    aeadSeal(BENCH, BENCH_KEY, BENCH_NONCE, BENCH, n, 0, 0);
    if (aeadOpen(BENCH, BENCH_KEY, BENCH_NONCE, BENCH, n + 16, 0, 0)) ok++;
  }
  return ok;
}

/** Seal one n-byte packet (n ≤ 2048) count times, the nonce counting up; returns the
 *  last tag's first byte (so the work cannot be optimised away). */
export function sealMany(count: i32, n: i32): i32 {
  for (let i = 0; i < count; i++) {
    store<u64>(BENCH_NONCE + 4, <u64>i);
    aeadSeal(BENCH, BENCH_KEY, BENCH_NONCE, BENCH, n, 0, 0);
  }
  return load<u8>(BENCH + <usize>n);
}

/** count X25519 operations on a fixed scalar, each on the last result; returns 1 if the
 *  last was not all zero. */
export function dhMany(count: i32): i32 {
  let ok = 1;
  store<u8>(BENCH, 9);
  for (let i = 0; i < count; i++) ok = x25519(BENCH, BENCH_KEY, BENCH) ? 1 : 0;
  return ok;
}

export function hmac256(out: usize, key: usize, keyLen: i32, p: usize, n: i32): void { hmacSha256(out, key, keyLen, p, n); }
export function hkdf256(okm: usize, L: i32, salt: usize, saltLen: i32, ikm: usize, ikmLen: i32, info: usize, infoLen: i32): void {
  hkdfExtract(HKDF_PRK, salt, saltLen, ikm, ikmLen, 0, 0);
  hkdfExpand(okm, L, HKDF_PRK, info, infoLen, 0, 0, 0, 0);
}
const HKDF_PRK: usize = memory.data(32, 8);
/** HPKE single-shot seal (enc at enc, ciphertext at ct); 1, or 0 if the DH was zero. */
export function hpke(enc: usize, ct: usize, pkR: usize, skE: usize, info: usize, infoLen: i32, aad: usize, aadLen: i32, pt: usize, n: i32): i32 {
  hpkeEnc(enc, skE);
  return hpkeSeal(enc, ct, pkR, skE, info, infoLen, aad, aadLen, pt, n) ? 1 : 0;
}
/** 1 and the X25519 form at u, or 0 for a key that is not usable. */
export function edToX(u: usize, pk: usize): i32 { return ed25519ToX25519(u, pk) ? 1 : 0; }
/** Seal and sign as an answer does, count times, for timing (tests/bench/control.ts). */
export function answerSealMany(enc: usize, ct: usize, pkEd: usize, skE: usize, p: usize, n: i32, seed: usize, pk: usize, count: i32): i32 {
  for (let i = 0; i < count; i++) {
    ed25519ToX25519(HKDF_PRK, pkEd);
    ed25519Sign(p + <usize>n, p, n, seed, pk);
    hpkeEnc(enc, skE);
    hpkeSeal(enc, ct, HKDF_PRK, skE, 0, 0, 0, 0, p, n + 64);
  }
  return load<u8>(ct);
}
