// Control messages as bytes (abi/control.ts): a request signed with a user's ed25519 key
// (tweetnacl, the client side; the node verifies with its own code, kernel/crypto/), and
// the node's reply read back. Also the user's key file: the 32-byte seed in base64 on one
// line, from which tweetnacl derives the key pair. No I/O beyond the key file; sending is
// cli/ctl.ts's. Used by `persia key`, `persia ctl` and the tests.
import * as fs from "fs";
import nacl from "tweetnacl";
import * as C from "../../abi/control";
import { CERT_BYTES } from "../../wire/layout/cert";
import { ERRNO_TEXT } from "../../abi/describe";
import { Errno } from "../../abi/errno";

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

/** A HELLO, padded to `pad` bytes: the node never answers with more than it was sent
 *  before a message is authenticated, so the padding makes room for its reply. */
export function hello(key: Uint8Array, pad = 256): Uint8Array {
  return unsigned(C.Op.HELLO, key, new Uint8Array(0), pad);
}

/** An unsigned request (HELLO, CERTS) with its body, padded to `pad` bytes. */
export function unsigned(op: C.Op, key: Uint8Array, body: Uint8Array, pad = 256): Uint8Array {
  const h = header(op, 0n, 0n, key, NO_COOKIE, body.length);
  h.set(body, C.CTL_HEADER);
  const out = new Uint8Array(Math.max(pad, h.length));
  out.set(h);
  return out;
}

/** A signed request: header (with the cookie the node's last reply to this address gave),
 *  body, then the signature over both. */
export function signed(op: C.Op, epoch: bigint, seq: bigint, user: UserKey, body: Uint8Array, cookie: Uint8Array): Uint8Array {
  const m = header(op, epoch, seq, user.publicKey, cookie, body.length);
  m.set(body, C.CTL_HEADER);
  const sig = nacl.sign.detached(m, user.secretKey);
  const out = new Uint8Array(m.length + C.CTL_SIG);
  out.set(m);
  out.set(sig, m.length);
  if (out.length > C.CTL_MAX) throw new Error(`the message is ${out.length} bytes; one datagram carries at most ${C.CTL_MAX} (fewer addresses or grants per message)`);
  return out;
}

export interface Reply { op: C.Op; result: number; epoch: bigint; seq: bigint; svc: number | null; cookie: Uint8Array; text: string;
  certs: Uint8Array[]; }

/** A reply datagram, or null if it is not one. */
export function decodeReply(b: Uint8Array): Reply | null {
  if (b.length < C.RP_TEXT) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(0, true) !== C.CTL_REPLY_MAGIC || b[C.CTL_VERSION_OFF] !== C.CTL_VERSION) return null;
  const tl = v.getUint16(C.RP_TEXT_LEN, true);
  const nc = b[C.RP_CERTS];
  if (b.length !== C.RP_TEXT + tl + nc * CERT_BYTES) return null;
  const certs: Uint8Array[] = [];
  for (let i = 0; i < nc; i++) certs.push(b.slice(C.RP_TEXT + tl + i * CERT_BYTES, C.RP_TEXT + tl + (i + 1) * CERT_BYTES));
  return {
    op: b[C.CTL_OP], result: v.getInt16(C.RP_RESULT, true), epoch: v.getBigUint64(C.CTL_EPOCH, true),
    seq: v.getBigUint64(C.CTL_SEQ, true), svc: b[C.RP_SVC] === C.RP_NO_SVC ? null : b[C.RP_SVC],
    cookie: b.slice(C.RP_COOKIE, C.RP_COOKIE + C.COOKIE_BYTES),
    text: new TextDecoder().decode(b.subarray(C.RP_TEXT, C.RP_TEXT + tl)), certs,
  };
}

/** "EACCES (not signed by ...)" for a reply's result. */
export function resultText(result: number): string {
  if (result >= 0) return "ok";
  const e = -result as Errno;
  return `${Errno[e] ?? `error ${e}`} (${ERRNO_TEXT[e] ?? "unknown"})`;
}
