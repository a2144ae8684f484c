// Signing a module in the tool-conventions format with a PersiaOS key (the 32-byte ed25519
// seed of `persia key new`), as `wasmsign2 sign` does: a `signature` custom section first,
// over the SHA-256 of every section after it, ed25519 over "wasmsig" ‖ 01 01 01 ‖ hash, no
// key id, no delimiter. Signing a signed module keeps its signatures: a second key's
// signature joins the set with the same hash (wasmsign2's sign_multi does the same); a
// module changed since is signed anew in a set of its own. Node's crypto signs.
import { createPrivateKey, sign as edSign } from "crypto";
import { ED25519_ALG, SIGNED_PREFIX, Signature, SignedHashes, WASM_HEADER, customSection, decodeSignatureData, encodeSignatureData, SECTION_NAME } from "./format";
import { sha256 } from "./verify";

const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");

/** The ed25519 signature of msg by the key with this seed (RFC 8032). */
export function edSignSeed(seed: Uint8Array, msg: Uint8Array): Uint8Array {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: "der", type: "pkcs8" });
  return new Uint8Array(edSign(null, msg, key));
}

/** The sections of m after its header, and the data of a leading signature section. */
function unsign(m: Uint8Array): { rest: Uint8Array; sets: SignedHashes[] } {
  if (m.length < 8 || !WASM_HEADER.every((x, i) => m[i] === x)) {
    throw new Error("not a WebAssembly module (version 1): it does not start with \\0asm 01 00 00 00");
  }
  let at = 9, size = 0;
  if (m.length > 8 && m[8] === 0) {
    for (let i = 0, shift = 1; i < 5 && at < m.length; i++, shift *= 128) {
      const x = m[at++];
      size += (x & 0x7f) * shift;
      if ((x & 0x80) === 0) break;
    }
    let p = at, nameLen = 0;
    for (let i = 0, shift = 1; i < 5 && p < m.length; i++, shift *= 128) {
      const x = m[p++];
      nameLen += (x & 0x7f) * shift;
      if ((x & 0x80) === 0) break;
    }
    const name = Buffer.from(m.subarray(p, p + nameLen)).toString("latin1");
    if (name === SECTION_NAME && at + size <= m.length) {
      return { rest: m.subarray(at + size), sets: decodeSignatureData(m.subarray(p + nameLen, at + size)) };
    }
  }
  return { rest: m.subarray(8), sets: [] };
}

/** Module m signed with the key of this seed. */
export function signModule(m: Uint8Array, seed: Uint8Array): Uint8Array {
  const { rest, sets } = unsign(m);
  const hash = sha256(rest);
  const sig: Signature = { keyId: new Uint8Array(0), alg: ED25519_ALG, sig: new Uint8Array(0) };
  let set = sets.find((s) => s.hashes.length === 1 && Buffer.compare(s.hashes[0], hash) === 0);
  if (!set) sets.push(set = { hashes: [hash], signatures: [] });
  sig.sig = edSignSeed(seed, Buffer.concat([SIGNED_PREFIX, ...set.hashes]));
  if (set.signatures.some((g) => Buffer.compare(g.sig, sig.sig) === 0)) return m;   // signed by this key already
  set.signatures.push(sig);
  return new Uint8Array(Buffer.concat([WASM_HEADER, customSection(SECTION_NAME, encodeSignatureData(sets)), rest]));
}
