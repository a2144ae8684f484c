// The client's side of sealed answers (spec/control.md, "Sealed answers"): open a node's
// answer with the user's key and check that the node signed it for this very request. An
// implementation apart from the kernel's: HPKE is @hpke/core with @hpke/dhkem-x25519 and
// @hpke/chacha20poly1305, the key conversion and SHA-256 are node's crypto and BigInt, the
// signature is tweetnacl's. No I/O; message.ts's decodeReply calls it, `persia ctl` and
// the tests call that.
import * as crypto from "crypto";
import nacl from "tweetnacl";
import { CipherSuite, HkdfSha256 } from "@hpke/core";
import { DhkemX25519HkdfSha256 } from "@hpke/dhkem-x25519";
import { Chacha20Poly1305 } from "@hpke/chacha20poly1305";
import * as C from "../../abi/control";

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });
const INFO = new TextEncoder().encode(C.SEAL_INFO);
const P = 2n ** 255n - 19n;

/** Why an answer was refused: it is not the node's answer to this request. */
export class ForgedReply extends Error {}

function leToBig(b: Uint8Array): bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]);
  return x;
}
function bigToLe(x: bigint): Uint8Array {
  const b = new Uint8Array(32);
  for (let i = 0; i < 32; i++, x >>= 8n) b[i] = Number(x & 0xffn);
  return b;
}
function pow(b: bigint, e: bigint): bigint {
  let r = 1n;
  for (b %= P; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P;
  return r;
}

/** The X25519 public key of an ed25519 public key: u = (1 + y) / (1 - y) mod p, as
 *  libsodium's crypto_sign_ed25519_pk_to_curve25519 (the caller has checked the key). */
export function edPublicToX25519(pk: Uint8Array): Uint8Array {
  const y = leToBig(pk) & ((1n << 255n) - 1n);
  return bigToLe(((1n + y) * pow((1n - y + P) % P, P - 2n)) % P);
}

/** The X25519 secret of an ed25519 seed: SHA-512(seed)'s first half, clamped (libsodium's
 *  crypto_sign_ed25519_sk_to_curve25519). */
export function edSeedToX25519(seed: Uint8Array): Uint8Array {
  const h = crypto.createHash("sha512").update(seed).digest().subarray(0, 32);
  const k = new Uint8Array(h);
  k[0] &= 248; k[31] &= 127; k[31] |= 64;
  return k;
}

/** What an answer is bound to: the SHA-256 of the request, whole. */
export function requestHash(request: Uint8Array): Uint8Array {
  return crypto.createHash("sha256").update(request).digest();
}

export interface Opened { plain: Uint8Array; node: Uint8Array; }

/** The request an answer may answer: the one sent, or — for a CHUNK, of which several are
 *  in flight — those sent with the sequence number the sealed part names (the chunk's index). */
export type Requests = Uint8Array | ((seq: bigint) => Uint8Array[]);

/** Open the sealed answer b with the user's seed, check the node's signature over the
 *  request's hash, the header and the sealed part (against each request `request` gives
 *  for the answer's seq: it must be one of them), and that the signer is `node` (when
 *  pinned). Throws ForgedReply saying why. */
export async function openAnswer(b: Uint8Array, seed: Uint8Array, request: Requests, node: Uint8Array | null): Promise<Opened> {
  if (b.length < C.SEAL_OVERHEAD) throw new ForgedReply(`a sealed answer is at least ${C.SEAL_OVERHEAD} bytes; this one is ${b.length}`);
  const recipientKey = await suite.kem.importKey("raw", edSeedToX25519(seed).buffer as ArrayBuffer, false);
  let plain: Uint8Array;
  try {
    // Copies (new Uint8Array of a view): a Buffer's slice shares its pool, whose .buffer is not the bytes.
    const part = (from: number, to?: number) => new Uint8Array(b.subarray(from, to));
    plain = new Uint8Array(await suite.open({ recipientKey, enc: part(C.RP_ENC, C.RP_SEALED).buffer, info: INFO },
      part(C.RP_SEALED), part(0, C.RP_SEALED)));
  } catch {
    throw new ForgedReply("it does not open with this key (not sealed to it, or changed on the way)");
  }
  const n = plain.length - C.SP_SIG;
  const signer = plain.slice(C.SP_NODE, C.SP_NODE + 32);
  if (node !== null && !Buffer.from(node).equals(Buffer.from(signer))) {
    throw new ForgedReply("it is signed by another key than the node's (a forgery, or the node has a new key)");
  }
  const rest = Buffer.concat([b.subarray(0, C.RP_SEALED), plain.subarray(0, n)]);
  const seq = n >= C.SP_SEQ + 8 ? new DataView(plain.buffer, plain.byteOffset).getBigUint64(C.SP_SEQ, true) : -1n;
  const asked = typeof request === "function" ? request(seq) : [request];
  if (!asked.some((q) => nacl.sign.detached.verify(Buffer.concat([requestHash(q), rest]), plain.subarray(n), signer))) {
    throw new ForgedReply("the node's signature does not verify: it is not the answer to this request (a forgery, or a replay of an old answer)");
  }
  return { plain: plain.subarray(0, n), node: signer };
}
