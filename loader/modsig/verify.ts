// Checking a module's signature in TypeScript with Node's crypto, as the kernel does with
// its own (kernel/svc/modsig.ts; spec/security.md "Signed modules"): the same checks in the
// same order and the same reasons, so the loader can refuse a module with a good error
// before the node starts, `persia verify` can say what a node would say, and the tests
// can hold the two implementations against each other. Publishers are (key, domain) pairs
// as the manifest's domains: gives them; a key for a domain signs for every name under it.
import { createHash, createPublicKey, verify as edVerify } from "crypto";
import { SIG_TRIES_MAX } from "../../abi/limits";
import { ED25519_ALG, SIGNED_PREFIX, SigFormatError, decodeSignatureData, splitModule } from "./format";

export interface Publisher { key: Uint8Array; domain: string; }

/** Is name the domain, or under it? */
export function covers(domain: string, name: string): boolean {
  return name === domain || name.endsWith(`.${domain}`);
}

const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");
export function edPublicKey(raw: Uint8Array) {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: "der", type: "spki" });
}

export function sha256(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(b).digest());
}

/** null when module m passes for `domain` (null: any domain, as for a store module) with
 *  these publishers, and, when `hash` is given, has that SHA-256; otherwise why not. */
export function modsigProblem(m: Uint8Array, publishers: Publisher[], domain: string | null, hash?: Uint8Array): string | null {
  try {
    const { data, rest } = splitModule(m);
    if (data === null) return "it is not signed: its first section is not a custom section named signature";
    const sets = decodeSignatureData(data);
    const keys = publishers.filter((p) => domain === null || covers(p.domain, domain));
    if (keys.length === 0) return "no publisher key in the manifest's domains: signs for its domain";
    if (hash && Buffer.compare(sha256(m), hash) !== 0) return "its SHA-256 is not the one it is named by";
    const digest = sha256(rest);
    // Only a set's last hash covers the whole module; the earlier ones (signature delimiters)
    // are its prefixes', and a module cut at a delimiter must not pass.
    const held = sets.filter((s) => s.hashes.length > 0 && Buffer.compare(s.hashes[s.hashes.length - 1], digest) === 0);
    if (held.length === 0) {
      return "its sections do not match the hashes its signature covers: it was changed after it was signed, or only a part of it was signed";
    }
    const pairs = held.flatMap((s) => s.signatures.filter((g) => g.alg === ED25519_ALG && g.sig.length === 64)
      .flatMap((g) => keys.map((k) => ({ s, g, k }))));
    if (pairs.length === 0) return "none of the signatures over its hashes is an ed25519 signature";
    if (pairs.length > SIG_TRIES_MAX) return "its signatures would take more than SIG_TRIES_MAX ed25519 checks";
    const ok = pairs.some(({ s, g, k }) =>
      edVerify(null, Buffer.concat([SIGNED_PREFIX, ...s.hashes]), edPublicKey(k.key), g.sig));
    return ok ? null : "no signature on it verifies with a publisher key the node trusts for its domain";
  } catch (e) {
    if (e instanceof SigFormatError) return e.message;
    throw e;
  }
}
