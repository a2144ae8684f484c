// One address certificate (wire/layout/cert.ts, spec/wire.md "Address certificates") as
// TypeScript: the 168 bytes read into fields and written back, why bytes are not a
// well-formed certificate, and its ed25519 signature made and checked with Node's crypto
// (RFC 8032 pure Ed25519 KeyObjects), never with kernel code — so that `persia cert` and
// the tests check the kernel's certificates independently. The rules of a chain are
// chain.ts's; files are files.ts's. A seed never appears in any message.
// Used by loader/cert/chain.ts, loader/manifest (node.certs), cli/cert.ts and tests.
import { createPrivateKey, createPublicKey, sign, verify } from "crypto";
import * as L from "../../wire/layout/cert";
import { keyProblem } from "../control/keys";
import { IP6_BYTES, equalBytes, maskPrefix } from "../ip6";

export const KEY_BYTES = 32;
export const SIG_BYTES = 64;
const PREFIX_BITS = 128;

// PKCS #8 and SPKI DER prefixes of an Ed25519 key (RFC 8410 §7, OID 1.3.101.112): the raw
// 32 bytes (seed, or public key) follow them.
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");

/** What a certificate says; bytes 0..CERT_SIG are these, little-endian. */
export interface CertFields {
  flags: number;          // CERT_ISSUER or 0
  len: number;            // prefix length, 128 for one address
  notBefore: bigint;      // Unix time, s: the first second it is valid
  notAfter: bigint;       // Unix time, s: the first second it is no longer valid
  prefix: Uint8Array;     // 16 bytes, bits past len zero
  holder: Uint8Array;     // ed25519 public key
  issuer: Uint8Array;     // ed25519 public key that signs it
}

export interface Cert extends CertFields {
  signature: Uint8Array;
  bytes: Uint8Array;      // the 168 bytes it was read from
}

/** A part of a certificate that is wrong: the field's name and why, for a person. */
export interface CertProblem { field: string; why: string; }

export class CertError extends Error {
  constructor(readonly field: string, readonly why: string) {
    super(`${field}: ${why}`);
    this.name = "CertError";
  }
}

/** The ed25519 public key of a 32-byte seed (RFC 8032 §5.1.5). */
export function publicKeyOfSeed(seed: Uint8Array): Uint8Array {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: "der", type: "pkcs8" });
  const spki = createPublicKey(key).export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(spki.length - KEY_BYTES));
}

/** The 104 signed bytes of `f` (magic, version, fields). */
export function signedBytes(f: CertFields): Uint8Array {
  const b = new Uint8Array(L.CERT_BYTES);
  const v = new DataView(b.buffer);
  v.setUint32(L.CERT_MAGIC_OFF, L.CERT_MAGIC, true);
  v.setUint8(L.CERT_VERSION_OFF, L.CERT_VERSION);
  v.setUint8(L.CERT_LEN, f.len);
  v.setUint8(L.CERT_FLAGS, f.flags);
  v.setBigUint64(L.CERT_NOT_BEFORE, f.notBefore, true);
  v.setBigUint64(L.CERT_NOT_AFTER, f.notAfter, true);
  b.set(exact(f.prefix, IP6_BYTES, "prefix"), L.CERT_PREFIX);
  b.set(exact(f.holder, KEY_BYTES, "holder"), L.CERT_HOLDER);
  b.set(exact(f.issuer, KEY_BYTES, "issuer"), L.CERT_ISSUER_KEY);
  return b.subarray(0, L.CERT_SIG);
}

function exact(b: Uint8Array, n: number, what: string): Uint8Array {
  if (b.length !== n) throw new Error(`certificate: ${what} is ${b.length} bytes, not ${n}`);
  return b;
}

/** A certificate of `f` signed with the issuer's seed, whose public key must be f.issuer. */
export function signCert(f: CertFields, seed: Uint8Array): Uint8Array {
  if (!equalBytes(publicKeyOfSeed(seed), f.issuer)) throw new Error("certificate: the issuer key is not the signing key's public key");
  const out = new Uint8Array(L.CERT_BYTES);
  out.set(signedBytes(f));
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: "der", type: "pkcs8" });
  out.set(sign(null, out.subarray(0, L.CERT_SIG), key), L.CERT_SIG);
  return out;
}

/** Does `sig` over `msg` verify with the ed25519 public key `pk`? False for a key that
 *  does not decode, too. */
export function signatureGood(msg: Uint8Array, sig: Uint8Array, pk: Uint8Array): boolean {
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519, pk]), format: "der", type: "spki" });
    return verify(null, msg, key, sig);
  } catch {
    return false;
  }
}

/** Why 168 bytes are not a well-formed certificate, in the order the kernel checks
 *  (kernel/cert/check.ts), or null. Checks no signature and no time. */
export function certProblem(b: Uint8Array): CertProblem | null {
  if (b.length !== L.CERT_BYTES) return { field: "length", why: `${b.length} bytes, not ${L.CERT_BYTES}` };
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(L.CERT_MAGIC_OFF, true) !== L.CERT_MAGIC) return { field: "magic", why: "not \"PCRT\": not an address certificate" };
  if (b[L.CERT_VERSION_OFF] !== L.CERT_VERSION) return { field: "version", why: `${b[L.CERT_VERSION_OFF]}, not ${L.CERT_VERSION}` };
  if (b[L.CERT_FLAGS + 1] !== 0) return { field: "reserved byte", why: "byte 7 is not 0" };
  if ((b[L.CERT_FLAGS] & ~L.CERT_ISSUER) !== 0) return { field: "flags", why: `unknown flags 0x${b[L.CERT_FLAGS].toString(16)}` };
  const len = b[L.CERT_LEN];
  if (len > PREFIX_BITS) return { field: "prefix length", why: `${len}, over 128` };
  const prefix = b.subarray(L.CERT_PREFIX, L.CERT_PREFIX + IP6_BYTES);
  if (!equalBytes(maskPrefix(prefix, len), prefix)) return { field: "prefix", why: `bits past its length ${len} are not zero` };
  if (v.getBigInt64(L.CERT_NOT_BEFORE, true) < 0n || v.getBigInt64(L.CERT_NOT_AFTER, true) < 0n) {
    return { field: "validity", why: "a time is 2^63 or later (times are below 2^63 seconds)" };
  }
  if (v.getBigUint64(L.CERT_NOT_AFTER, true) <= v.getBigUint64(L.CERT_NOT_BEFORE, true)) {
    return { field: "validity", why: "not after is not later than not before: valid for no time" };
  }
  const holder = b.subarray(L.CERT_HOLDER, L.CERT_HOLDER + KEY_BYTES);
  const bad = keyProblem(holder);
  if (bad) return { field: "holder", why: `not a usable ed25519 key: ${bad}` };
  return null;
}

/** The fields of a well-formed certificate; throws CertError naming the field at fault. */
export function decodeCert(b: Uint8Array): Cert {
  const p = certProblem(b);
  if (p) throw new CertError(p.field, p.why);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const at = (off: number, n: number) => b.slice(off, off + n);
  return {
    flags: b[L.CERT_FLAGS], len: b[L.CERT_LEN],
    notBefore: v.getBigUint64(L.CERT_NOT_BEFORE, true), notAfter: v.getBigUint64(L.CERT_NOT_AFTER, true),
    prefix: at(L.CERT_PREFIX, IP6_BYTES), holder: at(L.CERT_HOLDER, KEY_BYTES), issuer: at(L.CERT_ISSUER_KEY, KEY_BYTES),
    signature: at(L.CERT_SIG, SIG_BYTES), bytes: Uint8Array.from(b),
  };
}

/** Is a decoded certificate signed by its issuer key? */
export function certSigned(c: Cert): boolean {
  return signatureGood(c.bytes.subarray(0, L.CERT_SIG), c.signature, c.issuer);
}
