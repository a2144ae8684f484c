// HMAC-SHA256 (RFC 2104, RFC 4231's vectors) and HKDF-SHA256 (RFC 5869) over sha256.ts,
// for HPKE's key schedule (hpke.ts). Extract and Expand take their inputs as pieces
// (label ‖ value in HPKE's LabeledExtract), so callers need not concatenate: HMAC's inner
// hash is fed piece by piece. Every output is computed in static scratch and then copied,
// so an output may overwrite an input; the scratch is wiped before returning. Not
// re-entrant: it uses sha256.ts's one context. WireGuard's HMAC is BLAKE2s (kdf.ts).
import { sha256Init, sha256Update, sha256Final, sha256Wipe, sha256 } from "./sha256";

const BLOCK: i32 = 64;                     // SHA-256's block: the HMAC key pad's length
export const HASH: i32 = 32;               // SHA-256's digest: Nh
const PAD: usize = memory.data(BLOCK, 8);  // the key XOR ipad, then XOR opad
const INNER: usize = memory.data(HASH, 8); // H(K ^ ipad ‖ message)
const T: usize = memory.data(HASH, 8);     // HKDF-Expand's T(i)
const CTR: usize = memory.data(8, 8);      // its counter byte

/** Start HMAC-SHA256 with the key (keyLen bytes; longer than a block: hashed first). The
 *  message follows through hmacUpdate; hmacFinal writes the tag. */
export function hmacInit(key: usize, keyLen: i32): void {
  memory.fill(PAD, 0, BLOCK);
  if (keyLen > BLOCK) sha256(key, keyLen, PAD);
  else if (keyLen > 0) memory.copy(PAD, key, <usize>keyLen);
  for (let i = 0; i < BLOCK; i += 8) store<u64>(PAD + <usize>i, load<u64>(PAD + <usize>i) ^ 0x3636363636363636);
  sha256Init();
  sha256Update(PAD, BLOCK);
}

export function hmacUpdate(p: usize, n: i32): void { sha256Update(p, n); }

/** The 32-byte tag at out (which may be the key or the message). */
export function hmacFinal(out: usize): void {
  sha256Final(INNER);
  for (let i = 0; i < BLOCK; i += 8) store<u64>(PAD + <usize>i, load<u64>(PAD + <usize>i) ^ 0x6a6a6a6a6a6a6a6a); // ipad ^ opad
  sha256Init();
  sha256Update(PAD, BLOCK);
  sha256Update(INNER, HASH);
  sha256Final(out);
  memory.fill(PAD, 0, BLOCK);
  memory.fill(INNER, 0, HASH);
  sha256Wipe();
}

/** HMAC-SHA256(key, the n bytes at p) at out. */
export function hmacSha256(out: usize, key: usize, keyLen: i32, p: usize, n: i32): void {
  hmacInit(key, keyLen);
  hmacUpdate(p, n);
  hmacFinal(out);
}

/** RFC 5869 §2.2: PRK = HMAC(salt, a ‖ b) at prk (a salt of length 0 is Nh zeros: HMAC pads
 *  an empty key with zeros to the same block). Two pieces of input keying material. */
export function hkdfExtract(prk: usize, salt: usize, saltLen: i32, a: usize, an: i32, b: usize, bn: i32): void {
  hmacInit(salt, saltLen);
  hmacUpdate(a, an);
  hmacUpdate(b, bn);
  hmacFinal(prk);
}

/** RFC 5869 §2.3: L bytes (at most 255 · 32) of OKM at out from the 32-byte PRK and the
 *  info a ‖ b ‖ c. out must not overlap prk or the info. */
export function hkdfExpand(out: usize, L: i32, prk: usize, a: usize, an: i32, b: usize, bn: i32, c: usize, cn: i32): void {
  let done = 0;
  for (let i = 1; done < L; i++) {
    hmacInit(prk, HASH);
    if (i > 1) hmacUpdate(T, HASH);
    hmacUpdate(a, an);
    hmacUpdate(b, bn);
    hmacUpdate(c, cn);
    store<u8>(CTR, <u8>i);
    hmacUpdate(CTR, 1);
    hmacFinal(T);
    let take = min(HASH, L - done);
    memory.copy(out + <usize>done, T, <usize>take);
    done += take;
  }
  memory.fill(T, 0, HASH);
}
