// The two AEADs of WireGuard for the tests' independent peer (tests/wg/peer.ts):
// ChaCha20-Poly1305 (RFC 8439) as WireGuard uses it, with a 64-bit counter for the nonce
// (4 zero bytes ‖ counter, little-endian), through Node's own 'chacha20-poly1305'; and
// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03) for cookie replies, which Node lacks:
// HChaCha20, written here, derives a subkey from the key and the nonce's first 16 bytes,
// and Node's ChaCha20-Poly1305 runs with that subkey and nonce 4 zero bytes ‖ the last 8.
// Checked by aead.test.ts against the draft's vectors. Not the kernel's (kernel/crypto/).
import { createCipheriv, createDecipheriv } from "crypto";

export const KEY = 32;
export const TAG = 16;
export const XNONCE = 24;

function nonce96(counter: bigint): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64LE(counter, 4);
  return n;
}

function seal96(key: Uint8Array, nonce: Uint8Array, plain: Uint8Array, ad: Uint8Array): Uint8Array {
  const c = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG });
  c.setAAD(ad, { plaintextLength: plain.length });
  const body = Buffer.concat([c.update(plain), c.final()]);
  return new Uint8Array(Buffer.concat([body, c.getAuthTag()]));
}

function open96(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Uint8Array | null {
  if (sealed.length < TAG) return null;
  const body = sealed.subarray(0, sealed.length - TAG);
  const d = createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG });
  d.setAAD(ad, { plaintextLength: body.length });
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    return new Uint8Array(Buffer.concat([d.update(body), d.final()]));
  } catch {
    return null;
  }
}

/** ChaCha20-Poly1305 with WireGuard's nonce: ciphertext ‖ tag. */
export function seal(key: Uint8Array, counter: bigint, plain: Uint8Array, ad: Uint8Array = new Uint8Array(0)): Uint8Array {
  return seal96(key, nonce96(counter), plain, ad);
}

/** The plaintext, or null when the tag does not verify. */
export function open(key: Uint8Array, counter: bigint, sealed: Uint8Array, ad: Uint8Array = new Uint8Array(0)): Uint8Array | null {
  return open96(key, nonce96(counter), sealed, ad);
}

const rotl = (x: number, n: number) => (x << n) | (x >>> (32 - n));

/** draft-irtf-cfrg-xchacha-03 §2.2: ChaCha20's 20 rounds over constants ‖ key ‖ nonce16,
 *  without the final addition; the subkey is state words 0–3 and 12–15. */
export function hchacha20(key: Uint8Array, nonce16: Uint8Array): Uint8Array {
  const s = new Uint32Array(16);
  s.set([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
  const kv = new DataView(key.buffer, key.byteOffset, KEY);
  const nv = new DataView(nonce16.buffer, nonce16.byteOffset, 16);
  for (let i = 0; i < 8; i++) s[4 + i] = kv.getUint32(4 * i, true);
  for (let i = 0; i < 4; i++) s[12 + i] = nv.getUint32(4 * i, true);
  const qr = (a: number, b: number, c: number, d: number) => {
    s[a] += s[b]; s[d] = rotl(s[d] ^ s[a], 16);
    s[c] += s[d]; s[b] = rotl(s[b] ^ s[c], 12);
    s[a] += s[b]; s[d] = rotl(s[d] ^ s[a], 8);
    s[c] += s[d]; s[b] = rotl(s[b] ^ s[c], 7);
  };
  for (let i = 0; i < 10; i++) {
    qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15);
    qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14);
  }
  const out = new Uint8Array(KEY);
  const ov = new DataView(out.buffer);
  [0, 1, 2, 3, 12, 13, 14, 15].forEach((w, i) => ov.setUint32(4 * i, s[w], true));
  return out;
}

function xparts(key: Uint8Array, nonce: Uint8Array): [Uint8Array, Uint8Array] {
  if (nonce.length !== XNONCE) throw new RangeError(`xchacha: nonce of ${nonce.length} bytes`);
  const n = new Uint8Array(12);
  n.set(nonce.subarray(16), 4);
  return [hchacha20(key, nonce.subarray(0, 16)), n];
}

/** XChaCha20-Poly1305: ciphertext ‖ tag. */
export function xseal(key: Uint8Array, nonce: Uint8Array, plain: Uint8Array, ad: Uint8Array): Uint8Array {
  const [k, n] = xparts(key, nonce);
  return seal96(k, n, plain, ad);
}

export function xopen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Uint8Array | null {
  const [k, n] = xparts(key, nonce);
  return open96(k, n, sealed, ad);
}
