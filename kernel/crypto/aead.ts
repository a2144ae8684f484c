// ChaCha20-Poly1305 (RFC 8439 §2.8) and XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03
// §2.3, with HChaCha20's subkey) over bytes in linear memory: seal writes the ciphertext
// and then the 16-byte tag; open checks the tag in constant time before it writes a byte,
// and on a wrong tag writes nothing. Sealing or opening in place (dst == p) works; other
// overlaps do not. Keys, one-time MAC keys and subkeys live in static memory only for the
// call and are wiped before it returns. Not re-entrant. Used by kernel/wg/ (every transport
// packet, the handshake's encrypted fields, the cookie reply).
import { chachaBlock, chacha20Xor, hchacha20, chachaWipe, KS } from "./chacha20";
import { poly1305Init, poly1305Update, poly1305Pad, poly1305Final } from "./poly1305";
import { ctEq } from "./ct";

export const TAG: i32 = 16;                // bytes of the Poly1305 tag after the ciphertext
const WANT: usize = memory.data(TAG, 8);   // the tag computed by open
const LENS: usize = memory.data(16, 8);    // le64(adLen) ‖ le64(ciphertext length), §2.8
const SUBKEY: usize = memory.data(32, 8);  // XChaCha: HChaCha20's subkey
const NONCE: usize = memory.data(12, 8);   // XChaCha: 4 zero bytes ‖ the nonce's last 8

/** The tag over ad and the n bytes of ciphertext at c, with the one-time key from block 0
 *  (§2.6), at out. */
function mac(out: usize, key: usize, nonce: usize, c: usize, n: i32, ad: usize, adLen: i32): void {
  chachaBlock(key, 0, nonce);
  poly1305Init(KS);
  chachaWipe();
  poly1305Update(ad, adLen);
  poly1305Pad();
  poly1305Update(c, n);
  poly1305Pad();
  store<u64>(LENS, <u64>max(adLen, 0), 0);
  store<u64>(LENS, <u64>max(n, 0), 8);
  poly1305Update(LENS, 16);
  poly1305Final(out);
}

/** Encrypt the n bytes at p (n ≥ 0) under the 32-byte key and 12-byte nonce, with adLen
 *  bytes of associated data at ad: n bytes of ciphertext, then the tag, at dst. */
export function aeadSeal(dst: usize, key: usize, nonce: usize, p: usize, n: i32, ad: usize, adLen: i32): void {
  chacha20Xor(dst, p, n, key, nonce, 1);
  mac(dst + <usize>max(n, 0), key, nonce, dst, n, ad, adLen);
  chachaWipe();
}

/** Check and decrypt the n bytes at c (ciphertext and its tag, so n ≥ 16): true and n - 16
 *  bytes of plaintext at dst, or false and dst untouched. */
export function aeadOpen(dst: usize, key: usize, nonce: usize, c: usize, n: i32, ad: usize, adLen: i32): bool {
  if (n < TAG) return false;
  let body = n - TAG;
  mac(WANT, key, nonce, c, body, ad, adLen);
  let ok = ctEq(WANT, c + <usize>body, TAG);
  memory.fill(WANT, 0, TAG);
  if (!ok) return false;
  chacha20Xor(dst, c, body, key, nonce, 1);
  chachaWipe();
  return true;
}

/** XChaCha's subkey and inner nonce for the 24-byte nonce, into SUBKEY and NONCE. */
function derive(key: usize, nonce24: usize): void {
  hchacha20(SUBKEY, key, nonce24);
  chachaWipe();
  store<u32>(NONCE, 0);
  memory.copy(NONCE + 4, nonce24 + 16, 8);
}

function forget(): void {
  memory.fill(SUBKEY, 0, 32);
}

/** aeadSeal with a 24-byte nonce (XChaCha20-Poly1305). */
export function xaeadSeal(dst: usize, key: usize, nonce24: usize, p: usize, n: i32, ad: usize, adLen: i32): void {
  derive(key, nonce24);
  aeadSeal(dst, SUBKEY, NONCE, p, n, ad, adLen);
  forget();
}

/** aeadOpen with a 24-byte nonce (XChaCha20-Poly1305). */
export function xaeadOpen(dst: usize, key: usize, nonce24: usize, c: usize, n: i32, ad: usize, adLen: i32): bool {
  derive(key, nonce24);
  let ok = aeadOpen(dst, SUBKEY, NONCE, c, n, ad, adLen);
  forget();
  return ok;
}
