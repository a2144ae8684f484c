// A node's sealed answer made outside the kernel (abi/control.ts, spec/control.md "Sealed
// answers"): HPKE's seal from @hpke/core to the X25519 form of the request's key, signed
// with any seed — the node's own for a fake router, another for a forgery. Used by the
// tests that play a node or an attacker on the path (tests/cli/ctl_block.test.ts,
// tests/integration/seal.test.ts).
import * as crypto from "crypto";
import nacl from "tweetnacl";
import { CipherSuite, HkdfSha256 } from "@hpke/core";
import { DhkemX25519HkdfSha256 } from "@hpke/dhkem-x25519";
import { Chacha20Poly1305 } from "@hpke/chacha20poly1305";
import * as C from "../abi/control";
import { edPublicToX25519, requestHash } from "../loader/control/sealed";

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });

export interface Answer { op: number; result: number; seq: bigint; text: string; epoch?: bigint; cookie?: Uint8Array;
  svc?: number; certs?: Uint8Array[]; }

/** The answer a to `request`, sealed to the request's key and signed by the key of nodeSeed. */
export async function sealAnswer(a: Answer, request: Uint8Array, nodeSeed: Uint8Array): Promise<Buffer> {
  const node = nacl.sign.keyPair.fromSeed(nodeSeed);
  const text = Buffer.from(a.text), certs = a.certs ?? [];
  const plain = Buffer.alloc(C.SP_TEXT + text.length + certs.length * 168);
  plain.writeInt16LE(a.result, C.SP_RESULT);
  plain.writeUInt16LE(a.svc ?? C.RP_NO_SVC, C.SP_SVC);
  plain[C.SP_CERTS] = certs.length;
  plain.writeUInt16LE(text.length, C.SP_TEXT_LEN);
  plain.writeBigUInt64LE(a.seq, C.SP_SEQ);
  Buffer.from(node.publicKey).copy(plain, C.SP_NODE);
  text.copy(plain, C.SP_TEXT);
  certs.forEach((c, i) => Buffer.from(c).copy(plain, C.SP_TEXT + text.length + i * 168));
  const pkR = await suite.kem.importKey("raw", edPublicToX25519(request.subarray(C.CTL_KEY, C.CTL_KEY + 32)).buffer as ArrayBuffer, true);
  // enc must be in the header before signing: derive it from a fresh ephemeral key ourselves.
  const skE = crypto.randomBytes(32);
  const ikm = skE;
  const kp = await suite.kem.deriveKeyPair(ikm.buffer.slice(ikm.byteOffset, ikm.byteOffset + 32) as ArrayBuffer);
  const enc = Buffer.from(await suite.kem.serializePublicKey(kp.publicKey));
  const head = Buffer.alloc(C.RP_SEALED);
  head.writeUInt32LE(C.CTL_REPLY_MAGIC, 0);
  head[C.CTL_VERSION_OFF] = C.CTL_VERSION;
  head[C.CTL_OP] = a.op;
  head.writeBigUInt64LE(a.epoch ?? 7n, C.RP_EPOCH);
  Buffer.from(a.cookie ?? new Uint8Array(16)).copy(head, C.RP_COOKIE);
  enc.copy(head, C.RP_ENC);
  const sig = nacl.sign.detached(Buffer.concat([requestHash(request), head, plain]), node.secretKey);
  const sealed = await suite.seal({ recipientPublicKey: pkR, ekm: kp, info: new TextEncoder().encode(C.SEAL_INFO) } as never,
    new Uint8Array(Buffer.concat([plain, sig])), new Uint8Array(head));   // own buffers: a pooled Buffer's offset is lost
  if (!Buffer.from(sealed.enc).equals(enc)) throw new Error("@hpke/core used another ephemeral key than the one signed");
  return Buffer.concat([head, Buffer.from(sealed.ct)]);
}
