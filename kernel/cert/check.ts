// One address certificate (wire/layout/cert.ts) checked on its own: its bytes well-formed
// (magic, version, the zero byte, known flags, a prefix length of at most 128 with the
// bits past it zero, a validity of some time, a holder key with which nobody can sign
// without its secret) and its signature by its issuer key. Nothing about time now, chains
// or trust: cert/verify.ts. The TypeScript twin is loader/cert/cert.ts certProblem, in
// the same order. Used by cert/boot.ts and cert/verify.ts; the caller guarantees the
// CERT_BYTES are in memory.
import * as C from "../../wire/layout/cert";
import { le32, le64 } from "../../wire/bytes";
import { prefixMatch } from "../../wire/addr";
import { ed25519KeyUsable, ed25519Verify } from "../crypto/ed25519";

const PREFIX_BITS: i32 = 128;

// @ts-ignore: decorator
@inline export function certLen(c: usize): i32 { return <i32>load<u8>(c + C.CERT_LEN); }
// @ts-ignore: decorator
@inline export function certFlags(c: usize): i32 { return <i32>load<u8>(c + C.CERT_FLAGS); }
// @ts-ignore: decorator
@inline export function certNotBefore(c: usize): i64 { return <i64>le64(c + C.CERT_NOT_BEFORE); }
// @ts-ignore: decorator
@inline export function certNotAfter(c: usize): i64 { return <i64>le64(c + C.CERT_NOT_AFTER); }
// @ts-ignore: decorator
@inline export function certPrefix(c: usize): usize { return c + C.CERT_PREFIX; }
// @ts-ignore: decorator
@inline export function certHolder(c: usize): usize { return c + C.CERT_HOLDER; }
// @ts-ignore: decorator
@inline export function certIssuer(c: usize): usize { return c + C.CERT_ISSUER_KEY; }

/** Are the bits of the 16 bytes at p past the first len zero? */
export function prefixClean(p: usize, len: i32): bool {
  for (let i = 0; i < 16; i++) {
    let keep = min(8, max(0, len - i * 8));
    let mask = <u32>(0xff >> keep);
    if ((<u32>load<u8>(p + <usize>i) & mask) != 0) return false;
  }
  return true;
}

/** Why the certificate at c is malformed, for a person, or "" when it is well-formed.
 *  Times must be below 2^63 (spec/wire.md), so that they read the same signed or not. */
export function certProblem(c: usize): string {
  if (le32(c + C.CERT_MAGIC_OFF) != C.CERT_MAGIC) return "its magic is not \"PCRT\": not an address certificate";
  if (<i32>load<u8>(c + C.CERT_VERSION_OFF) != C.CERT_VERSION) return "its version is not 1";
  if (load<u8>(c + C.CERT_FLAGS + 1) != 0) return "its byte 7 is not 0";
  if ((certFlags(c) & ~C.CERT_ISSUER) != 0) return "it has unknown flags";
  let len = certLen(c);
  if (len > PREFIX_BITS) return "its prefix length is over 128";
  if (!prefixClean(certPrefix(c), len)) return "its prefix has bits set past its length";
  if (certNotBefore(c) < 0 || certNotAfter(c) < 0) return "a time is 2^63 or later (times are below 2^63 seconds)";
  if (le64(c + C.CERT_NOT_AFTER) <= le64(c + C.CERT_NOT_BEFORE)) return "it is valid for no time (not after is not later than not before)";
  if (!ed25519KeyUsable(certHolder(c))) return "its holder is not a usable ed25519 key";
  return "";
}

/** Does the certificate's signature verify with its issuer key? */
export function certSigned(c: usize): bool {
  return ed25519Verify(c + C.CERT_SIG, c, C.CERT_SIG, certIssuer(c));
}

/** Is the prefix of certificate inner (with its length) inside that of outer? */
export function certInside(outer: usize, inner: usize): bool {
  let l = certLen(outer);
  return l <= certLen(inner) && prefixMatch(certPrefix(inner), certPrefix(outer), l);
}

