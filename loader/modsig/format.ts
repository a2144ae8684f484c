// The signature custom section of the WebAssembly tool-conventions (Signatures.md), as
// wasmsign2 0.2.8 lays it out, read and written in TypeScript: the loader's own
// implementation, independent of the kernel's (kernel/svc/modsig.ts), so that the two can
// be tested against each other. Every length prefix wasmsign2 writes is here: each signed
// hash set and each signature record is a varuint32-prefixed piece. Reading is strict:
// a piece that runs past its end, or bytes after one, is malformed. No crypto, no I/O;
// verify.ts and sign.ts use it.
import { SIG_SECTION_MAX } from "../../abi/limits";

export const WASM_HEADER = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
export const SECTION_NAME = "signature";
export const DELIMITER_NAME = "signature_delimiter";
/** What a signature signs, before the hashes: "wasmsig", version, content type, hash function. */
export const SIGNED_PREFIX = Uint8Array.of(...Buffer.from("wasmsig"), 1, 1, 1);
export const ED25519_ALG = 1;
export const HASH_BYTES = 32;

export interface Signature { keyId: Uint8Array; alg: number; sig: Uint8Array; }
export interface SignedHashes { hashes: Uint8Array[]; signatures: Signature[]; }

/** Why the bytes are refused; the message matches the kernel's reason. */
export class SigFormatError extends Error {}
export const MALFORMED = "its signature section is malformed";

/** A reader over bytes with varuint32 (LEB128, at most 5 bytes) pieces. */
class Reader {
  constructor(readonly b: Uint8Array, public at = 0, readonly end = b.length) {}
  u32(): number {
    let v = 0;
    for (let i = 0; i < 5; i++) {
      if (this.at >= this.end) throw new SigFormatError(MALFORMED);
      const x = this.b[this.at++];
      if (i === 4 && x > 0x0f) throw new SigFormatError(MALFORMED);
      v += (x & 0x7f) * 2 ** (7 * i);
      if ((x & 0x80) === 0) return v;
    }
    throw new SigFormatError(MALFORMED);
  }
  take(n: number): Uint8Array {
    if (n > this.end - this.at) throw new SigFormatError(MALFORMED);
    const out = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  piece(): Reader {
    const n = this.u32();
    const r = new Reader(this.b, this.at, this.at + n);
    this.take(n);
    return r;
  }
  done(): void { if (this.at !== this.end) throw new SigFormatError(MALFORMED); }
}

/** The varuint32 encoding of n. */
export function leb(n: number): Uint8Array {
  const out: number[] = [];
  do {
    let x = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) x |= 0x80;
    out.push(x);
  } while (n > 0);
  return Uint8Array.from(out);
}

const cat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const withLen = (b: Uint8Array) => cat([leb(b.length), b]);

/** The payload of a signature section (after its name): the signed hash sets. */
export function decodeSignatureData(data: Uint8Array): SignedHashes[] {
  const r = new Reader(data);
  if (data.length < 4) throw new SigFormatError(MALFORMED);
  if (data[0] !== 1) throw new SigFormatError("its signature section is of a format version other than 1");
  if (data[1] !== 1) throw new SigFormatError("its signature section is for content other than a WebAssembly module");
  if (data[2] !== 1) throw new SigFormatError("its signature section uses a hash function other than SHA-256");
  r.at = 3;
  const n = r.u32();
  if (n === 0) throw new SigFormatError(MALFORMED);
  const sets: SignedHashes[] = [];
  for (let i = 0; i < n; i++) {
    const s = r.piece();
    const hc = s.u32();
    if (hc === 0 || hc > SIG_SECTION_MAX / HASH_BYTES) throw new SigFormatError(MALFORMED);
    const hashes = Array.from({ length: hc }, () => s.take(HASH_BYTES));
    const sc = s.u32();
    const signatures: Signature[] = [];
    for (let j = 0; j < sc; j++) {
      const g = s.piece();
      const keyId = g.take(g.u32());
      const alg = g.take(1)[0];
      const sig = g.take(g.u32());
      g.done();
      signatures.push({ keyId, alg, sig });
    }
    s.done();
    sets.push({ hashes, signatures });
  }
  r.done();
  return sets;
}

export function encodeSignatureData(sets: SignedHashes[]): Uint8Array {
  return cat([Uint8Array.of(1, 1, 1), leb(sets.length), ...sets.map((s) => withLen(cat([
    leb(s.hashes.length), ...s.hashes, leb(s.signatures.length),
    ...s.signatures.map((g) => withLen(cat([withLen(g.keyId), Uint8Array.of(g.alg), withLen(g.sig)]))),
  ])))]);
}

/** A custom section: id 0, size, name, payload. */
export function customSection(name: string, payload: Uint8Array): Uint8Array {
  const body = cat([withLen(Buffer.from(name)), payload]);
  return cat([Uint8Array.of(0), leb(body.length), body]);
}

/** A module split at its signature section: the section's signature data (null: the first
 *  section is not one named "signature") and the bytes after it (all sections when unsigned). */
export interface Split { data: Uint8Array | null; rest: Uint8Array; }

/** Split a module; throws SigFormatError with the kernel's reasons for what it refuses
 *  before reading the signature (header, first section's framing and size). */
export function splitModule(m: Uint8Array): Split {
  if (m.length < 8) throw new SigFormatError("it is shorter than a WebAssembly header");
  if (!WASM_HEADER.every((x, i) => m[i] === x)) throw new SigFormatError("it is not a WebAssembly module (version 1)");
  if (m.length === 8 || m[8] !== 0) return { data: null, rest: m.subarray(8) };
  const r = new Reader(m, 9, Math.min(m.length, 14));
  let n: number;
  try { n = r.u32(); } catch { throw new SigFormatError("its first section's size is malformed"); }
  if (n > m.length - r.at) throw new SigFormatError("its first section runs past the end of the module");
  if (n > SIG_SECTION_MAX) throw new SigFormatError("its first section is larger than SIG_SECTION_MAX, too large for a signature section");
  const sec = new Reader(m, r.at, r.at + n);
  const end = r.at + n;
  let name: Uint8Array;
  try { name = sec.take(sec.u32()); } catch { return { data: null, rest: m.subarray(8) }; }
  if (Buffer.from(name).toString("latin1") !== SECTION_NAME) return { data: null, rest: m.subarray(8) };
  return { data: m.subarray(sec.at, end), rest: m.subarray(end) };
}
