// Control messages as bytes (abi/control.ts): a request signed with a user's ed25519 key
// (tweetnacl, the client side; the node verifies with its own code, kernel/crypto/), and
// the node's answer opened and checked (sealed.ts). Also the user's key file: the 32-byte seed in base64 on one
// line, from which tweetnacl derives the key pair. No I/O beyond the key file; sending is
// cli/ctl.ts's. Used by `persia key`, `persia ctl` and the tests.
import * as fs from "fs";
import nacl from "tweetnacl";
import * as C from "../../abi/control";
import { CERT_BYTES } from "../../wire/layout/cert";
import { ERRNO_TEXT } from "../../abi/describe";
import { Errno } from "../../abi/errno";
import { openAnswer, ForgedReply, Requests } from "./sealed";
export { ForgedReply } from "./sealed";

export interface UserKey { publicKey: Uint8Array; secretKey: Uint8Array; }

/** The manifest spelling of a public key: "ed25519:" + base64. */
export function publicKeyText(k: Uint8Array): string {
  return `ed25519:${Buffer.from(k).toString("base64")}`;
}

export function keyFromSeed(seed: Uint8Array): UserKey {
  return nacl.sign.keyPair.fromSeed(seed);
}

/** A new key: its seed file (mode 0600) and the key pair. Refuses to overwrite a file. */
export function newKeyFile(file: string, seed: Uint8Array = nacl.randomBytes(32)): UserKey {
  try {
    fs.writeFileSync(file, `${Buffer.from(seed).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === "EEXIST" ? `${file} exists already; a key file is never overwritten (it may be someone's only copy): name another file`
      : `cannot write key file ${file}: ${(e as Error).message}`);
  }
  return keyFromSeed(seed);
}

export function readKeyFile(file: string): UserKey {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8").trim();
  } catch (e) {
    throw new Error(`cannot read key file ${file}: ${(e as Error).message}; make one with \`persia key new -o ${file}\``);
  }
  const seed = Buffer.from(text, "base64");
  if (seed.length !== 32 || seed.toString("base64") !== text) {
    throw new Error(`${file} is not a PersiaOS key file (one line: the base64 of a 32-byte ed25519 seed); make one with \`persia key new\``);
  }
  return keyFromSeed(seed);
}

function header(op: C.Op, epoch: bigint, seq: bigint, key: Uint8Array, cookie: Uint8Array, bodyLen: number): Uint8Array {
  const m = new Uint8Array(C.CTL_HEADER + bodyLen);
  const v = new DataView(m.buffer);
  v.setUint32(C.CTL_MAGIC_OFF, C.CTL_MAGIC, true);
  v.setUint8(C.CTL_VERSION_OFF, C.CTL_VERSION);
  v.setUint8(C.CTL_OP, op);
  v.setBigUint64(C.CTL_EPOCH, epoch, true);
  v.setBigUint64(C.CTL_SEQ, seq, true);
  m.set(key, C.CTL_KEY);
  m.set(cookie.subarray(0, C.COOKIE_BYTES), C.CTL_COOKIE);
  return m;
}

const NO_COOKIE = new Uint8Array(C.COOKIE_BYTES);

/** A HELLO with a fresh nonce (so that no old answer fits it) and the cookie of this
 *  address (zeros the first time: the node answers in clear with one). Padded to `pad`
 *  bytes: the node never answers with more than it was sent before a message is
 *  authenticated, so the padding makes room for its answer. */
export function hello(key: Uint8Array, cookie: Uint8Array = NO_COOKIE, pad = C.CTL_REQ_MIN): Uint8Array {
  return unsigned(C.Op.HELLO, key, nacl.randomBytes(C.HELLO_NONCE), pad, cookie);
}

/** An unsigned request (HELLO, CERTS) with its body, padded to `pad` bytes. */
export function unsigned(op: C.Op, key: Uint8Array, body: Uint8Array, pad = C.CTL_REQ_MIN, cookie: Uint8Array = NO_COOKIE): Uint8Array {
  const h = header(op, 0n, 0n, key, cookie, body.length);
  h.set(body, C.CTL_HEADER);
  return padded(h, pad);
}

/** m followed by zeros up to `to` bytes, the header's pad field saying how many. */
function padded(m: Uint8Array, to: number): Uint8Array {
  const out = new Uint8Array(Math.max(to, m.length));
  out.set(m);
  new DataView(out.buffer).setUint16(C.CTL_PAD, out.length - m.length, true);
  return out;
}

/** A signed request: header (with the cookie the node's last reply to this address gave),
 *  body, zeros up to CTL_REQ_MIN, then the signature over all of it. */
export function signed(op: C.Op, epoch: bigint, seq: bigint, user: UserKey, body: Uint8Array, cookie: Uint8Array): Uint8Array {
  const m = header(op, epoch, seq, user.publicKey, cookie, body.length);
  m.set(body, C.CTL_HEADER);
  // Zeros after the body make room for a sealed answer; signed, like the pad field.
  const p = padded(m, C.CTL_REQ_MIN - C.CTL_SIG);
  const sig = nacl.sign.detached(p, user.secretKey);
  const out = new Uint8Array(p.length + C.CTL_SIG);
  out.set(p);
  out.set(sig, p.length);
  if (out.length > C.CTL_MAX) throw new Error(`the message is ${out.length} bytes; one datagram carries at most ${C.CTL_MAX} (fewer addresses or grants per message)`);
  return out;
}

/** An answer. sealed: opened and signed by `node` for this request; else a refusal in clear
 *  (EAGAIN, ESTALE: epoch and cookie only), which anyone on the path could have sent. */
export interface Reply { op: C.Op; result: number; epoch: bigint; seq: bigint; svc: number | null; cookie: Uint8Array; text: string;
  certs: Uint8Array[]; sealed: boolean; node: Uint8Array | null; }

/** What an answer is checked against: the user who asked (its key opens the answer), the
 *  request as sent (for CHUNKs, those sent with the answer's seq: sealed.ts Requests), and
 *  the node's key (null: not pinned; the answer's own key is taken and returned in
 *  Reply.node, for the caller to pin on first use). */
export interface Asked { user: UserKey; request: Requests; node: Uint8Array | null; }

/** An answer datagram: null if it is not one (another version, truncated); a Reply if it
 *  is a refusal in clear or opens and verifies; throws ForgedReply (why) for an answer
 *  that is sealed but not the node's to this request: forged, replayed, for another. */
export async function decodeReply(b: Uint8Array, asked: Asked): Promise<Reply | null> {
  if (b.length < C.RP_CLEAR_SIZE) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(0, true) !== C.CTL_REPLY_MAGIC || b[C.CTL_VERSION_OFF] !== C.CTL_VERSION) return null;
  const op = b[C.CTL_OP], clear = v.getInt16(C.RP_CLEAR, true), epoch = v.getBigUint64(C.RP_EPOCH, true);
  const cookie = b.slice(C.RP_COOKIE, C.RP_COOKIE + C.COOKIE_BYTES);
  if (clear !== 0) {
    if (b.length !== C.RP_CLEAR_SIZE || (clear !== -Errno.EAGAIN && clear !== -Errno.ESTALE)) return null;
    return { op, result: clear, epoch, seq: 0n, svc: null, cookie, certs: [], sealed: false, node: null,
      text: clear === -Errno.EAGAIN ? "no cookie for this address yet, or an old one (sent in clear)" : "not this boot's epoch (sent in clear)" };
  }
  const { plain, node } = await openAnswer(b, asked.user.secretKey.subarray(0, 32), asked.request, asked.node);
  const p = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
  const tl = p.getUint16(C.SP_TEXT_LEN, true), nc = plain[C.SP_CERTS];
  if (plain.length < C.SP_TEXT + tl + nc * CERT_BYTES) throw new ForgedReply("its sealed part is shorter than its text and certificates");
  const certs: Uint8Array[] = [];
  const at = C.SP_TEXT + tl;
  for (let i = 0; i < nc; i++) certs.push(plain.slice(at + i * CERT_BYTES, at + (i + 1) * CERT_BYTES));
  return {
    op, result: p.getInt16(C.SP_RESULT, true), epoch, seq: p.getBigUint64(C.SP_SEQ, true),
    svc: p.getUint16(C.SP_SVC, true) === C.RP_NO_SVC ? null : p.getUint16(C.SP_SVC, true), cookie,
    text: new TextDecoder().decode(plain.subarray(C.SP_TEXT, C.SP_TEXT + tl)), certs, sealed: true, node,
  };
}

/** "EACCES (not signed by ...)" for a reply's result. */
export function resultText(result: number): string {
  if (result >= 0) return "ok";
  const e = -result as Errno;
  return `${Errno[e] ?? `error ${e}`} (${ERRNO_TEXT[e] ?? "unknown"})`;
}
