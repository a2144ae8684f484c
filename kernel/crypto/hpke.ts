// HPKE (RFC 9180) single-shot Seal in mode_base for one suite only: DHKEM(X25519,
// HKDF-SHA256) 0x0020, HKDF-SHA256 0x0001, ChaCha20-Poly1305 0x0003 — §4.1 Encap, §4
// LabeledExtract/LabeledExpand, §5.1 KeySchedule (no PSK), §5.2 Seal with sequence number
// 0 (one message per context, so the nonce is base_nonce). The ephemeral secret skE is the
// caller's: it must be fresh from the host's randomness for every call, which is what makes
// a nonce never repeat (each seal has its own shared secret, hence its own key and nonce).
// No Open, no export, no other mode: the kernel only seals answers to its users
// (ctl/seal.ts). Checked against RFC 9180 Appendix A.2's vectors and @hpke/core
// (tests/kernel/crypto_hpke.test.ts). Static scratch, wiped before returning; not re-entrant.
import { x25519, x25519Base } from "./x25519";
import { aeadSeal } from "./aead";
import { hkdfExtract, hkdfExpand, HASH } from "./hkdf";

export const ENC: i32 = 32;                // Nenc: the ephemeral public key
export const NK: i32 = 32;                 // the AEAD's key
export const NN: i32 = 12;                 // its nonce
const SUITE_KEM: usize = memory.data<u8>([0x4b, 0x45, 0x4d, 0x00, 0x20]);   // "KEM" ‖ I2OSP(0x0020, 2)
const SUITE: usize = memory.data<u8>([0x48, 0x50, 0x4b, 0x45, 0x00, 0x20, 0x00, 0x01, 0x00, 0x03]); // "HPKE" ‖ kem ‖ kdf ‖ aead
const LABEL_MAX: i32 = 2 + 7 + 10 + 16;    // I2OSP(L, 2) ‖ "HPKE-v1" ‖ suite_id ‖ the longest label
const LBL: usize = memory.data(LABEL_MAX, 8);
const DH: usize = memory.data(32, 8);
const PRK: usize = memory.data(HASH, 8);
const SHARED: usize = memory.data(HASH, 8);
const CTX: usize = memory.data(1 + 2 * HASH, 8);   // mode ‖ psk_id_hash ‖ info_hash
const KEY: usize = memory.data(NK, 8);
const NONCE: usize = memory.data(NN, 8);

/** LBL = [I2OSP(L, 2)] ‖ "HPKE-v1" ‖ suite ‖ label; its length. L < 0: no length prefix. */
function labeled(L: i32, suite: usize, suiteLen: i32, label: string): i32 {
  let o = 0;
  if (L >= 0) { store<u8>(LBL, <u8>(L >> 8)); store<u8>(LBL + 1, <u8>L); o = 2; }
  o += <i32>String.UTF8.encodeUnsafe(changetype<usize>("HPKE-v1"), 7, LBL + <usize>o);
  memory.copy(LBL + <usize>o, suite, <usize>suiteLen);
  o += suiteLen;
  return o + <i32>String.UTF8.encodeUnsafe(changetype<usize>(label), label.length, LBL + <usize>o);
}

/** §4: LabeledExtract(salt, label, ikm) at out. */
function labeledExtract(out: usize, salt: usize, saltLen: i32, suite: usize, suiteLen: i32, label: string, ikm: usize, ikmLen: i32): void {
  let n = labeled(-1, suite, suiteLen, label);
  hkdfExtract(out, salt, saltLen, LBL, n, ikm, ikmLen);
}

/** §4: LabeledExpand(prk, label, a ‖ b, L) at out. */
function labeledExpand(out: usize, L: i32, prk: usize, suite: usize, suiteLen: i32, label: string, a: usize, an: i32, b: usize, bn: i32): void {
  let n = labeled(L, suite, suiteLen, label);
  hkdfExpand(out, L, prk, LBL, n, a, an, b, bn);
}

/** §4.1 Encap's first step: enc = pkE = X25519(skE, 9), 32 bytes at enc. Apart from
 *  hpkeSeal so that a caller can sign over enc before sealing. */
export function hpkeEnc(enc: usize, skE: usize): void { x25519Base(enc, skE); }

/** Seal the n bytes at pt to the X25519 public key pkR with the 32-byte ephemeral secret
 *  skE, whose enc (hpkeEnc) is at enc: n + 16 bytes of ciphertext at ct (may be pt). false
 *  if the shared value is zero (pkR has small order; ct is not written). */
export function hpkeSeal(enc: usize, ct: usize, pkR: usize, skE: usize, info: usize, infoLen: i32,
                         aad: usize, aadLen: i32, pt: usize, n: i32): bool {
  // §4.1 Encap: dh = DH(skE, pkR); kem_context = enc ‖ pkR; ExtractAndExpand.
  let ok = x25519(DH, skE, pkR);
  labeledExtract(PRK, 0, 0, SUITE_KEM, 5, "eae_prk", DH, 32);
  labeledExpand(SHARED, HASH, PRK, SUITE_KEM, 5, "shared_secret", enc, ENC, pkR, 32);
  // §5.1 KeySchedule, mode_base: psk and psk_id empty.
  store<u8>(CTX, 0);
  labeledExtract(CTX + 1, 0, 0, SUITE, 10, "psk_id_hash", 0, 0);
  labeledExtract(CTX + 1 + <usize>HASH, 0, 0, SUITE, 10, "info_hash", info, infoLen);
  labeledExtract(PRK, SHARED, HASH, SUITE, 10, "secret", 0, 0);
  labeledExpand(KEY, NK, PRK, SUITE, 10, "key", CTX, 1 + 2 * HASH, 0, 0);
  labeledExpand(NONCE, NN, PRK, SUITE, 10, "base_nonce", CTX, 1 + 2 * HASH, 0, 0);
  if (ok) aeadSeal(ct, KEY, NONCE, pt, n, aad, aadLen);   // §5.2: sequence number 0
  memory.fill(DH, 0, 32); memory.fill(PRK, 0, HASH); memory.fill(SHARED, 0, HASH);
  memory.fill(KEY, 0, NK); memory.fill(NONCE, 0, NN);
  return ok;
}
