// WireGuard keys outside the kernel: the key file format of `wg genkey` and `wg genpsk`
// (one line, the base64 of 32 bytes), read only from a regular, small file that no group
// or other user may read (as ssh does for its keys); a peer's public key as the manifest
// writes it (base64, optionally after "x25519:"); the public key of a private one, with
// Node's crypto (X25519 KeyObjects, RFC 7748), never with kernel code; and the MAC a
// WIREGUARD NIC gets from its public key (spec/manifest.md "WireGuard NICs").
// Deliberately no key bytes in any message: errors name the file and what to do, never
// what it holds. Used by loader/manifest/wireguard.ts, `persia key` (cli/key.ts), tests.
import { createHash, createPrivateKey, createPublicKey, diffieHellman, randomBytes } from "crypto";
import * as fs from "fs";
import { WG_KEY } from "../../wire/layout/wireguard";

/** The most bytes a key file may hold: a key line is 45, room for comments or CRLF. */
export const KEY_FILE_MAX = 4096;
/** Mode bits a key file may not have: readable, writable or executable by group or other. */
export const KEY_FILE_OPEN_BITS = 0o077;
/** The manifest's optional spelling of a peer's public key. */
export const X25519_PREFIX = "x25519:";

// PKCS #8 and SPKI DER prefixes of an X25519 key (RFC 8410 §7, OID 1.3.101.110): the raw
// 32 bytes follow them, so KeyObjects can be made from raw bytes without a JWK "x".
const PKCS8_X25519 = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_X25519 = Buffer.from("302a300506032b656e032100", "hex");

export class KeyFileError extends Error {}

/** Strict base64 of exactly WG_KEY bytes, or null. */
export function decodeKey(text: string): Uint8Array | null {
  const b = Buffer.from(text, "base64");
  return b.length === WG_KEY && b.toString("base64") === text ? new Uint8Array(b) : null;
}

export const encodeKey = (k: Uint8Array): string => Buffer.from(k).toString("base64");

/** RFC 7748 §5 clamping, as `wg genkey` does. */
export function clamp(k: Uint8Array): Uint8Array {
  const out = Uint8Array.from(k);
  out[0] &= 248;
  out[31] = (out[31] & 127) | 64;
  return out;
}

/** The X25519 public key of a private key: what `wg pubkey` prints, as bytes. */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, privateKey]), format: "der", type: "pkcs8" });
  const spki = createPublicKey(key).export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(spki.length - WG_KEY));
}

/** True when `publicKey` is a point whose shared secret with any key is all zeros (one of
 *  the small-order points): WireGuard refuses a handshake with it, so the manifest does. */
export function isWeakPublicKey(publicKey: Uint8Array): boolean {
  const mine = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, clamp(randomBytes(WG_KEY))]), format: "der", type: "pkcs8" });
  const theirs = createPublicKey({ key: Buffer.concat([SPKI_X25519, publicKey]), format: "der", type: "spki" });
  try {
    return diffieHellman({ privateKey: mine, publicKey: theirs }).every((b) => b === 0);
  } catch {
    return true;   // OpenSSL refuses to derive an all-zero secret
  }
}

/** A locally administered unicast MAC from the NIC's public key: the first 6 bytes of its
 *  SHA-256 with the multicast bit cleared and the local bit set. The kernel forms the
 *  NIC's link-local and prefix addresses from it (EUI-64). */
export function wireguardMac(publicKey: Uint8Array): Uint8Array {
  const mac = Uint8Array.from(createHash("sha256").update(publicKey).digest().subarray(0, 6));
  mac[0] = (mac[0] & 0xfc) | 0x02;
  return mac;
}

/** What a WireGuard key file holds, for the message about a file that holds something else. */
const WG_KEY_FILE = "a WireGuard key file (one line: the base64 of 32 bytes, as `wg genkey` writes it)";

/** The key in a key file: a regular file of at most KEY_FILE_MAX bytes (checked on the open
 *  file before reading: a pipe or a device would hang), mode without group/other bits,
 *  one line of base64 of 32 bytes. `make` says how to make one; `format` names what the
 *  file should be (an ed25519 seed file is one too: loader/cert/files.ts). Throws KeyFileError. */
export function readKeyFile(file: string, make: string, format = WG_KEY_FILE): Uint8Array {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new KeyFileError(`cannot read ${file}: ${code === "ENOENT" ? "there is no such file" : code}; ${make}`);
  }
  let text: string;
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new KeyFileError(`${file} is not a regular file (a directory, pipe or device); ${make}`);
    if (st.size > KEY_FILE_MAX) throw new KeyFileError(`${file} holds ${st.size} bytes, more than a key file's ${KEY_FILE_MAX}; ${make}`);
    if ((st.mode & KEY_FILE_OPEN_BITS) !== 0) {
      throw new KeyFileError(`${file} may be read by other users (mode ${(st.mode & 0o777).toString(8).padStart(4, "0")}); ` +
        `a private key must be the owner's alone: run \`chmod 600 ${file}\``);
    }
    const b = Buffer.alloc(KEY_FILE_MAX);
    text = b.subarray(0, fs.readSync(fd, b, 0, KEY_FILE_MAX, 0)).toString("latin1").trim();
  } finally {
    fs.closeSync(fd);
  }
  const key = decodeKey(text);
  if (key === null) {
    throw new KeyFileError(`${file} is not ${format}; ${make}`);
  }
  return key;
}

/** Writes a new clamped private key to `file` (mode 0600, never over an existing file) and
 *  returns it. */
export function newKeyFile(file: string, key: Uint8Array = clamp(randomBytes(WG_KEY))): Uint8Array {
  try {
    fs.writeFileSync(file, `${encodeKey(key)}\n`, { mode: 0o600, flag: "wx" });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === "EEXIST" ? `${file} exists already; a key file is never overwritten (it may be the only copy): name another file`
      : `cannot write key file ${file}: ${(e as Error).message}`);
  }
  return key;
}
