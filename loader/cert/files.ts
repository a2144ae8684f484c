// Files of address certificates and of the ed25519 seed that signs them, outside the
// kernel. A certificate file is text: one certificate a line, the base64 of its 168 bytes
// (224 characters), so it can be mailed, pasted and diffed; blank lines and lines starting
// with "#" are skipped; a file of several lines is a chain, leaf first. A seed file is what
// `persia key new` writes (one line, the base64 of the 32-byte seed), read only when it is
// the owner's alone (mode 0600, loader/wg/keys.ts readKeyFile). No message holds a seed.
// Used by cli/cert.ts and loader/manifest/certs.ts.
import * as fs from "fs";
import { CERT_BYTES } from "../../wire/layout/cert";
import { KeyFileError, readKeyFile } from "../wg/keys";
import { certProblem, publicKeyOfSeed } from "./cert";

/** The most bytes a certificate file may hold: room for a few chains and comments. */
export const CERT_FILE_MAX = 16384;
const SEED_FILE = "an ed25519 seed file (one line: the base64 of a 32-byte seed, as `persia key new` writes it)";

export class CertFileError extends Error {}

/** The node's or an issuer's ed25519 key from its seed file. Throws KeyFileError. */
export function readSeedFile(file: string, make = `make one with \`persia key new -o ${file}\``):
  { seed: Uint8Array; publicKey: Uint8Array } {
  const seed = readKeyFile(file, make, SEED_FILE);
  return { seed, publicKey: publicKeyOfSeed(seed) };
}

/** The base64 line of one certificate. */
export const certLine = (c: Uint8Array): string => Buffer.from(c).toString("base64");

/** The certificates in certificate file text, each 168 bytes and well-formed (signatures
 *  are not checked here); `where` names the file in messages. Throws CertFileError. */
export function parseCertText(text: string, where: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const b = Buffer.from(line, "base64");
    if (b.length !== CERT_BYTES || b.toString("base64") !== line) {
      throw new CertFileError(`${where}:${i + 1}: not a certificate (one line: the base64 of ${CERT_BYTES} bytes, ` +
        "as `persia cert issue` writes it)");
    }
    const p = certProblem(b);
    if (p) throw new CertFileError(`${where}:${i + 1}: a malformed certificate: ${p.field}: ${p.why}`);
    out.push(new Uint8Array(b));
  });
  if (out.length === 0) throw new CertFileError(`${where} holds no certificate; \`persia cert issue\` writes one`);
  return out;
}

/** The certificates in a certificate file. Throws CertFileError. */
export function readCertFile(file: string): Uint8Array[] {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new CertFileError(`${file} is not a regular file`);
    if (st.size > CERT_FILE_MAX) throw new CertFileError(`${file} holds ${st.size} bytes, more than a certificate file's ${CERT_FILE_MAX}`);
    text = fs.readFileSync(file, "latin1");
  } catch (e) {
    if (e instanceof CertFileError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new CertFileError(`cannot read ${file}: ${code === "ENOENT" ? "there is no such file" : code ?? (e as Error).message}`);
  }
  return parseCertText(text, file);
}

/** Writes certificates to `file`, one line each. An existing file is replaced only if it
 *  is a certificate file (a renewal); anything else there (a key!) is kept. */
export function writeCertFile(file: string, certs: Uint8Array[]): void {
  if (fs.existsSync(file)) {
    try {
      readCertFile(file);
    } catch {
      throw new CertFileError(`${file} exists and is not a certificate file; it is not overwritten: name another file`);
    }
  }
  fs.writeFileSync(file, certs.map((c) => `${certLine(c)}\n`).join(""), { mode: 0o644 });
}

export { KeyFileError };
