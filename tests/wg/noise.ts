// The Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s pieces WireGuard builds its handshake from
// (the whitepaper §5.4; wireguard-go device/noise-helpers.go, noise-protocol.go,
// tai64n/tai64n.go), for the tests' independent peer (tests/wg/peer.ts): HASH, HMAC and
// the KDF over BLAKE2s, the mix steps of the handshake state, X25519, MAC (keyed
// BLAKE2s-128) and TAI64N. Node's crypto does the hashing and X25519; keyed BLAKE2s comes
// from blake2s.ts. Deliberately nothing of the kernel's (kernel/crypto/, kernel/wg/).
import { createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman, KeyObject } from "crypto";
import { blake2s } from "./blake2s";
import * as aead from "./aead";

export const CONSTRUCTION = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
export const IDENTIFIER = "WireGuard v1 zx2c4 Jason@zx2c4.com";
export const LABEL_MAC1 = "mac1----";
export const LABEL_COOKIE = "cookie--";
const utf8 = (s: string) => new TextEncoder().encode(s);

/** HASH(parts…): BLAKE2s-256. */
export function hash(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("blake2s256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** HMAC(key, parts…) over BLAKE2s-256 (RFC 2104, block 64 bytes). */
export function hmac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac("blake2s256", key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** KDF_n(key, input) of the whitepaper §5.4: HKDF's extract and n expand steps. */
export function kdf(n: 1 | 2 | 3, key: Uint8Array, input: Uint8Array): Uint8Array[] {
  const prk = hmac(key, input);
  const out: Uint8Array[] = [];
  let prev: Uint8Array = new Uint8Array(0);
  for (let i = 1; i <= n; i++) {
    prev = hmac(prk, prev, Uint8Array.of(i));
    out.push(prev);
  }
  return out;
}

/** MAC(key, input): keyed BLAKE2s-128. */
export function mac(key: Uint8Array, input: Uint8Array): Uint8Array {
  return blake2s(input, 16, key);
}

/** Ci and Hi of both roles' first step: HASH(construction), then HASH(Ci ‖ identifier). */
export const INITIAL_CHAIN = hash(utf8(CONSTRUCTION));
export const INITIAL_HASH = hash(INITIAL_CHAIN, utf8(IDENTIFIER));

/** The mac1 key of a responder: HASH("mac1----" ‖ its static public key). */
export const mac1Key = (responderPublic: Uint8Array) => hash(utf8(LABEL_MAC1), responderPublic);
/** The key that seals a responder's cookies: HASH("cookie--" ‖ its static public key). */
export const cookieKey = (responderPublic: Uint8Array) => hash(utf8(LABEL_COOKIE), responderPublic);

/** A handshake's running state (C, H); the steps return new values, never mutate. */
export interface Chain { c: Uint8Array; h: Uint8Array }

export const mixHash = (s: Chain, data: Uint8Array): Chain => ({ c: s.c, h: hash(s.h, data) });
export const mixKey = (s: Chain, data: Uint8Array): Chain => ({ c: kdf(1, s.c, data)[0], h: s.h });

/** C, k = KDF2(C, data): the new chain and the key that seals the next field. */
export function mixKeyAndKey(s: Chain, data: Uint8Array): [Chain, Uint8Array] {
  const [c, k] = kdf(2, s.c, data);
  return [{ c, h: s.h }, k];
}

/** AEAD(k, 0, plain, H), then H = HASH(H ‖ sealed). */
export function encryptAndHash(s: Chain, key: Uint8Array, plain: Uint8Array): [Chain, Uint8Array] {
  const sealed = aead.seal(key, 0n, plain, s.h);
  return [mixHash(s, sealed), sealed];
}

/** The opened field and the new state, or null when its tag does not verify. */
export function decryptAndHash(s: Chain, key: Uint8Array, sealed: Uint8Array): [Chain, Uint8Array] | null {
  const plain = aead.open(key, 0n, sealed, s.h);
  return plain === null ? null : [mixHash(s, sealed), plain];
}

// X25519 (RFC 7748) through Node: raw 32-byte keys wrapped in the fixed DER prefixes of
// PKCS #8 and SubjectPublicKeyInfo for the X25519 OID 1.3.101.110.
const PKCS8 = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI = Buffer.from("302a300506032b656e032100", "hex");
const privKey = (k: Uint8Array): KeyObject => createPrivateKey({ key: Buffer.concat([PKCS8, k]), format: "der", type: "pkcs8" });
const pubKey = (k: Uint8Array): KeyObject => createPublicKey({ key: Buffer.concat([SPKI, k]), format: "der", type: "spki" });

// Clamping and the public key are the loader's (loader/wg/keys.ts, checked against `wg
// pubkey`); the peer needs only to be independent of the kernel.
export { clamp, publicKeyOf as publicKey } from "../../loader/wg/keys";

/** DH(priv, pub), or null when the result is all zeros (a low-order point), which
 *  wireguard-go refuses too. */
export function dh(priv: Uint8Array, pub: Uint8Array): Uint8Array | null {
  try {
    const ss = new Uint8Array(diffieHellman({ privateKey: privKey(priv), publicKey: pubKey(pub) }));
    return ss.every((b) => b === 0) ? null : ss;
  } catch {
    return null;   // OpenSSL itself refuses an all-zero shared secret
  }
}

/** TAI64N of a Unix time in nanoseconds, the low 24 bits of its nanoseconds cleared as
 *  wireguard-go's tai64n.stamp does (so a timestamp does not time the host's clock). */
export function tai64n(unixNs: bigint): Uint8Array {
  const t = new Uint8Array(12);
  const v = new DataView(t.buffer);
  v.setBigUint64(0, 0x400000000000000an + unixNs / 1_000_000_000n);
  v.setUint32(8, Number(unixNs % 1_000_000_000n) & ~0xffffff);
  return t;
}

/** a > b, as unsigned big-endian byte strings of one length (TAI64N's order). */
export function after(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return false;
}
