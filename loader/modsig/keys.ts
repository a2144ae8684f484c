// Keys between PersiaOS and wasmsign2 (spec/security.md, "Signed modules"). wasmsign2's
// key files are raw bytes (Signatures.md "Key serialization"): a public key is 0x01 and
// the 32-byte key (33 bytes), a secret key 0x81, the 32-byte seed and the public key (65
// bytes). A PersiaOS key file is the seed in base64 on one line (`persia key new`). So the
// same key signs both ways: `persia key export` writes wasmsign2's pair from a PersiaOS
// file, and `persia sign` and `persia verify` read wasmsign2's files as well as their own.
import * as fs from "fs";
import nacl from "tweetnacl";
import { readKeyFile } from "../control/message";

const PK_ID = 0x01, SK_ID = 0x81;

export function toWasmsign2Public(pk: Uint8Array): Uint8Array { return Uint8Array.of(PK_ID, ...pk); }
export function toWasmsign2Secret(seed: Uint8Array): Uint8Array {
  return Uint8Array.of(SK_ID, ...seed, ...nacl.sign.keyPair.fromSeed(seed).publicKey);
}

/** The seed of a wasmsign2 secret key file's bytes; throws if they are not one, or if its
 *  public half is not the seed's. */
export function fromWasmsign2Secret(b: Uint8Array): Uint8Array {
  if (b.length !== 65 || b[0] !== SK_ID) throw new Error("not a wasmsign2 secret key (65 bytes starting with 0x81)");
  const seed = b.slice(1, 33);
  if (Buffer.compare(nacl.sign.keyPair.fromSeed(seed).publicKey, b.subarray(33)) !== 0) {
    throw new Error("a wasmsign2 secret key whose public half does not belong to its seed");
  }
  return seed;
}

/** The seed in a key file: PersiaOS's (base64 seed) or wasmsign2's secret key. */
export function readSigningSeed(file: string): Uint8Array {
  let b: Buffer;
  try { b = fs.readFileSync(file); } catch (e) {
    throw new Error(`cannot read key file ${file}: ${(e as Error).message}; make one with \`persia key new -o ${file}\``);
  }
  if (b.length === 65 && b[0] === SK_ID) {
    try { return fromWasmsign2Secret(b); } catch (e) { throw new Error(`${file}: ${(e as Error).message}`); }
  }
  const key = readKeyFile(file);
  return key.secretKey.slice(0, 32);
}

/** A public key given as "ed25519:<base64>" or as a file: wasmsign2's (0x01 + 32 bytes),
 *  or a PersiaOS key file (its public half). */
export function readPublicKey(spec: string): Uint8Array {
  const m = /^ed25519:(.+)$/.exec(spec);
  if (m) {
    const k = Buffer.from(m[1], "base64");
    if (k.length !== 32 || k.toString("base64") !== m[1]) throw new Error(`${spec} is not ed25519: and the base64 of 32 bytes`);
    return new Uint8Array(k);
  }
  let b: Buffer;
  try { b = fs.readFileSync(spec); } catch (e) {
    throw new Error(`--key ${spec}: neither ed25519:<base64> nor a readable key file (${(e as Error).message})`);
  }
  if (b.length === 33 && b[0] === PK_ID) return new Uint8Array(b.subarray(1));
  if (b.length === 65 && b[0] === SK_ID) return new Uint8Array(b.subarray(33));
  return readKeyFile(spec).publicKey;
}
