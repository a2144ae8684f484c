// HMAC over BLAKE2s-256 (RFC 2104 with a 64-byte block) and WireGuard's KDF built on it
// (the WireGuard paper §5.4, "Kdf_n"): the chaining-key steps of the Noise IK handshake.
// Every output is computed in static scratch before it is written, so an output may be
// the key or the input it came from (kdf updates a chaining key in place); the scratch is
// wiped before returning. Not re-entrant, and it uses blake2s's one context. Used by
// kernel/wg/.
import { blake2sInit, blake2sUpdate, blake2sFinal, blake2s } from "./blake2s";

const BLOCK: i32 = 64;                     // BLAKE2s's block: the HMAC key pad's length
export const HASH: i32 = 32;               // BLAKE2s-256's digest, and each KDF output
const PAD: usize = memory.data(BLOCK, 8);  // the key XOR ipad, then XOR opad
const INNER: usize = memory.data(HASH, 8); // H(K ^ ipad ‖ message)
const T0: usize = memory.data(HASH, 8);    // τ0, the KDF's PRK
const T1: usize = memory.data(HASH + 1, 8);   // τ1 ‖ 0x2
const T2: usize = memory.data(HASH + 1, 8);   // τ2 ‖ 0x3
const T3: usize = memory.data(HASH, 8);    // τ3

/** HMAC-BLAKE2s(key, the n bytes at p): 32 bytes at out. A key longer than 64 bytes is
 *  hashed first (RFC 2104 §2). */
export function hmacBlake2s(out: usize, key: usize, keyLen: i32, p: usize, n: i32): void {
  memory.fill(PAD, 0, BLOCK);
  if (keyLen > BLOCK) blake2s(PAD, HASH, 0, 0, key, keyLen);
  else if (keyLen > 0) memory.copy(PAD, key, <usize>keyLen);
  for (let i = 0; i < BLOCK; i += 8) store<u64>(PAD + <usize>i, load<u64>(PAD + <usize>i) ^ 0x3636363636363636);
  blake2sInit(HASH, 0, 0);
  blake2sUpdate(PAD, BLOCK);
  blake2sUpdate(p, n);
  blake2sFinal(INNER);
  for (let i = 0; i < BLOCK; i += 8) store<u64>(PAD + <usize>i, load<u64>(PAD + <usize>i) ^ 0x6a6a6a6a6a6a6a6a); // ipad ^ opad
  blake2sInit(HASH, 0, 0);
  blake2sUpdate(PAD, BLOCK);
  blake2sUpdate(INNER, HASH);
  blake2sFinal(out);
  memory.fill(PAD, 0, BLOCK);
  memory.fill(INNER, 0, HASH);
}

/** WireGuard's KDF over the 32-byte chaining key ck and n bytes of input at p:
 *  τ0 = HMAC(ck, input), τ1 = HMAC(τ0, 0x1), τ2 = HMAC(τ0, τ1 ‖ 0x2), τ3 = HMAC(τ0, τ2 ‖ 0x3);
 *  32 bytes each at out1, out2 and out3. out2 or out3 may be 0 (not wanted, and then not
 *  computed); out1 may be ck or p. */
export function kdf(ck: usize, p: usize, n: i32, out1: usize, out2: usize, out3: usize): void {
  hmacBlake2s(T0, ck, HASH, p, n);
  store<u8>(T1, 1);
  hmacBlake2s(T1, T0, HASH, T1, 1);
  if (out2 != 0 || out3 != 0) {
    store<u8>(T1 + HASH, 2);
    hmacBlake2s(T2, T0, HASH, T1, HASH + 1);
  }
  if (out3 != 0) {
    store<u8>(T2 + HASH, 3);
    hmacBlake2s(T3, T0, HASH, T2, HASH + 1);
  }
  memory.copy(out1, T1, HASH);
  if (out2 != 0) memory.copy(out2, T2, HASH);
  if (out3 != 0) memory.copy(out3, T3, HASH);
  memory.fill(T0, 0, HASH);
  memory.fill(T1, 0, HASH + 1);
  memory.fill(T2, 0, HASH + 1);
  memory.fill(T3, 0, HASH);
}
