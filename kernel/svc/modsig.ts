// Signed modules: the WebAssembly tool-conventions signature format (Signatures.md, as
// wasmsign2 0.2.8 writes and `wasmsign2 verify` checks it), verified by the kernel before
// any of a module's code runs (spec/security.md, "Signed modules"). A signed module's
// first section is a custom section named "signature" whose payload holds sets of SHA-256
// hashes, each set with ed25519 signatures over "wasmsig" ‖ 01 01 01 ‖ the set's hashes. A
// module passes when the SHA-256 of everything after that section (the whole module as it
// was signed; with delimiters, the last rolling hash) is in a set that a publisher key the
// node trusts for the domain signed. A signature over part of a module does not pass.
// Checks in order, each cheap one before any costly one: framing and every length of the
// signature section, that a trusted key exists for the domain, the file's SHA-256 (what it
// is named by), the sections' hash, how many ed25519 checks it would cost, then the
// signatures. A refusal is a reason string, never a trap. Reads the module in pieces
// through the caller's ModRead. Called at boot and LOAD (svc/modules.ts) and by PUT.
import { SIG_SECTION_MAX, SIG_TRIES_MAX, MODULE_CHUNK } from "../param";
import { sha256Init, sha256Update, sha256Final } from "../crypto/sha256";
import { ed25519Verify } from "../crypto/ed25519";
import { publisherCount, publisherCovers, publisherKey, publisherFor } from "./publishers";

/** How the verifier reads a module: copy the bytes [off, off + len) of module src (those
 *  that exist) to kernel memory at dst, and return the module's size in bytes whatever
 *  len is (len 0 asks only for the size), or a negative errno. */
export type ModRead = (src: i32, off: i32, dst: usize, len: i32) => i32;

const HEAD: i32 = 8 + 1 + 5;                 // magic and version, section id, its size (LEB128, ≤ 5 bytes)
const SET_HASHES_MAX: i32 = SIG_SECTION_MAX / 32;
const SIG: usize = memory.data(SIG_SECTION_MAX, 8);   // the signature section's payload
const CHUNK: usize = memory.data(MODULE_CHUNK, 8);    // a piece of the module being hashed
const DIGEST: usize = memory.data(32, 8);             // SHA-256 of the sections after the signature's
const FILE: usize = memory.data(32, 8);               // SHA-256 of the whole file
const MSG: usize = memory.data(10 + SIG_SECTION_MAX, 8);  // what a signature signs
// "wasmsig", spec version 1, content type 1 (a WebAssembly module), hash function 1 (SHA-256).
const SIGNED_PREFIX: usize = memory.data<u8>([0x77, 0x61, 0x73, 0x6d, 0x73, 0x69, 0x67, 1, 1, 1]);
const MAGIC: usize = memory.data<u8>([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
const NAME: usize = memory.data<u8>([0x73, 0x69, 0x67, 0x6e, 0x61, 0x74, 0x75, 0x72, 0x65]); // "signature"
const ED25519: u8 = 1;                       // the signature algorithm identifier of ed25519
const SIG_BYTES: i32 = 64;

const MALFORMED = "its signature section is malformed";
let at: usize = 0;                           // the parse cursor
let digestSigned = false;                    // walk found a set that holds DIGEST

/** An unsigned LEB128 of at most 32 bits at `at`, before end; -1 if malformed. */
function leb(end: usize): i64 {
  let v: u64 = 0;
  for (let i = 0; i < 5; i++) {
    if (at >= end) return -1;
    let b = <u64>load<u8>(at++);
    if (i == 4 && b > 0x0f) return -1;
    v |= (b & 0x7f) << <u64>(7 * i);
    if ((b & 0x80) == 0) return <i64>v;
  }
  return -1;
}

/** A length-prefixed piece at `at` that ends inside end: where it ends, or 0. */
function piece(end: usize): usize {
  let n = leb(end);
  if (n < 0 || <u64>n > <u64>(end - at)) return 0;
  return at + <usize>n;
}

/** One signature record [p, end): key id, algorithm, signature; null if framed right. */
function checkSignature(p: usize, end: usize): string | null {
  at = p;
  let k = piece(end);
  if (k == 0) return MALFORMED;
  at = k;
  if (at >= end) return MALFORMED;
  at++;                                      // the algorithm; unknown ones are skipped later
  let s = piece(end);
  if (s == 0 || s != end) return MALFORMED;
  return null;
}

/** One signed hash set [p, end): hashes, then signature records; null if framed right. */
function checkSet(p: usize, end: usize): string | null {
  at = p;
  let hc = leb(end);
  if (hc <= 0 || hc > SET_HASHES_MAX || <u64>(hc * 32) > <u64>(end - at)) return MALFORMED;
  at += <usize>(hc * 32);
  let sc = leb(end);
  if (sc < 0) return MALFORMED;
  for (let i: i64 = 0; i < sc; i++) {
    let e = piece(end);
    if (e == 0) return MALFORMED;
    let r = checkSignature(at, e);
    if (r !== null) return r;
    at = e;
  }
  return at == end ? null : MALFORMED;
}

/** The signature data [p, end): its header, then every set framed within its length. */
function checkData(p: usize, end: usize): string | null {
  if (end - p < 4) return MALFORMED;
  if (load<u8>(p) != 1) return "its signature section is of a format version other than 1";
  if (load<u8>(p + 1) != 1) return "its signature section is for content other than a WebAssembly module";
  if (load<u8>(p + 2) != 1) return "its signature section uses a hash function other than SHA-256";
  at = p + 3;
  let n = leb(end);
  if (n <= 0) return MALFORMED;
  for (let i: i64 = 0; i < n; i++) {
    let e = piece(end);
    if (e == 0) return MALFORMED;
    let r = checkSet(at, e);
    if (r !== null) return r;
    at = e;
  }
  return at == end ? null : MALFORMED;
}

/** SHA-256 of module bytes [from, size) into out, read in MODULE_CHUNK pieces. */
function hashRange(read: ModRead, src: i32, size: i32, from: i32, out: usize): bool {
  sha256Init();
  for (let off = from; off < size; off += MODULE_CHUNK) {
    let n = min(MODULE_CHUNK, size - off);
    if (read(src, off, CHUNK, n) != size) return false;
    sha256Update(CHUNK, n);
  }
  sha256Final(out);
  return true;
}

/** Walk the (framed) sets of the data [p, end); for each that holds DIGEST, each ed25519
 *  signature and each trusted key for the domain: count the pairs (verify false), or check
 *  them (verify true). Returns the pairs counted, or -1 when one verified. */
function walk(p: usize, end: usize, domain: usize, dl: i32, verify: bool): i32 {
  let pairs = 0;
  digestSigned = false;
  at = p + 3;
  let n = <i32>leb(end);
  for (let i = 0; i < n; i++) {
    let e = piece(end);
    let hc = <i32>leb(e);
    // Only the set's last hash covers the whole module: with signature delimiters, the
    // earlier ones are the digests of its prefixes, and a module cut at a delimiter must
    // not pass (wasmsign2 verify would take it).
    let hashes = at;
    let held = hc > 0 && memory.compare(hashes + <usize>((hc - 1) * 32), DIGEST, 32) == 0;
    if (held) digestSigned = true;
    at = hashes + <usize>(hc * 32);
    let sc = <i32>leb(e);
    if (held && verify) {
      memory.copy(MSG, SIGNED_PREFIX, 10);
      memory.copy(MSG + 10, hashes, <usize>(hc * 32));
    }
    for (let j = 0; j < sc; j++) {
      let se = piece(e);
      at = piece(se);                        // past the key id
      let alg = load<u8>(at++);
      let slen = <i32>leb(se);
      if (held && alg == ED25519 && slen == SIG_BYTES) {
        for (let r = 0; r < publisherCount; r++) {
          if (!publisherCovers(r, domain, dl)) continue;
          pairs++;
          if (verify && ed25519Verify(at, MSG, 10 + hc * 32, publisherKey(r))) return -1;
        }
      }
      at = se;
    }
    at = e;
  }
  return pairs;
}

/** Verify module src (size bytes, read through read): signed in the tool-conventions
 *  format by a publisher key the node trusts for the domain [domain, +dl) (dl < 0: for any
 *  domain), and, unless hash is 0, with the 32-byte SHA-256 at hash as its file's digest.
 *  Returns null when it passes, or why not (for a person; the caller names the module). */
export function modsigVerify(read: ModRead, src: i32, size: i32, hash: usize, domain: usize, dl: i32): string | null {
  if (size < 8) return "it is shorter than a WebAssembly header";
  let hn = min(size, HEAD);
  if (read(src, 0, CHUNK, hn) != size) return "the host could not read it, or it changed while being read";
  if (memory.compare(CHUNK, MAGIC, 8) != 0) return "it is not a WebAssembly module (version 1)";
  if (size == 8 || load<u8>(CHUNK + 8) != 0) return "it is not signed: its first section is not a custom section named signature";
  at = CHUNK + 9;
  let plen = leb(CHUNK + <usize>hn);
  if (plen < 0) return "its first section's size is malformed";
  let start = <i32>(at - CHUNK);
  if (plen > <i64>(size - start)) return "its first section runs past the end of the module";
  if (plen > SIG_SECTION_MAX) return "its first section is larger than SIG_SECTION_MAX, too large for a signature section";
  let sigEnd = start + <i32>plen;
  if (read(src, start, SIG, <i32>plen) != size) return "the host could not read it, or it changed while being read";
  let end = SIG + <usize>plen;
  at = SIG;
  let nameEnd = piece(end);
  if (nameEnd == 0 || nameEnd - at != 9 || memory.compare(at, NAME, 9) != 0) {
    return "it is not signed: its first section is not a custom section named signature";
  }
  let data = nameEnd;
  let why = checkData(data, end);
  if (why !== null) return why;
  if (!publisherFor(domain, dl)) return "no publisher key in the manifest's domains: signs for its domain";
  if (hash != 0) {
    if (!hashRange(read, src, size, 0, FILE)) return "the host could not read it, or it changed while being read";
    if (memory.compare(FILE, hash, 32) != 0) return "its SHA-256 is not the one it is named by";
  }
  if (!hashRange(read, src, size, sigEnd, DIGEST)) return "the host could not read it, or it changed while being read";
  let pairs = walk(data, end, domain, dl, false);
  if (!digestSigned) {
    return "its sections do not match the hashes its signature covers: it was changed after it was signed, or only a part of it was signed";
  }
  if (pairs == 0) return "none of the signatures over its hashes is an ed25519 signature";
  if (pairs > SIG_TRIES_MAX) return "its signatures would take more than SIG_TRIES_MAX ed25519 checks";
  if (walk(data, end, domain, dl, true) < 0) return null;
  return "no signature on it verifies with a publisher key the node trusts for its domain";
}
