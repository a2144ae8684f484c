// A chain of address certificates checked for an address, in TypeScript: the rules the
// kernel's certVerifyChain applies (kernel/cert/verify.ts, spec/wire.md "Address
// certificates"), written again here from the spec, so `persia cert verify` and the
// differential test (tests/loader/cert_kernel.test.ts) hold the kernel to them. The chain
// is leaf first and ends at a certificate whose issuer is one of the trusted keys for a
// prefix holding the address. Cheap checks run over the whole chain before any signature.
// Used by cli/cert.ts and tests.
import * as L from "../../wire/layout/cert";
import { CERT_CHAIN_MAX } from "../../abi/limits";
import { Prefix, equalBytes, prefixContains } from "../ip6";
import { Cert, certProblem, certSigned, decodeCert } from "./cert";

/** A key trusted to certify addresses inside a prefix (a TRUST record of a node). */
export interface Trusted { key: Uint8Array; prefix: Prefix; }

/** Why a chain does not prove an address: which certificate (0: the leaf; null: the
 *  chain as a whole) and why, for a person. */
export interface ChainProblem { index: number | null; why: string; }

/** Unix seconds as ISO 8601 UTC, for a person. */
export function isoTime(s: bigint): string {
  const ms = Number(s) * 1000;
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString().replace(".000Z", "Z") : `${s} (Unix seconds)`;
}

/** Is the prefix of `inner` (with its length) inside the prefix of `outer`? */
function inside(outer: Cert, inner: Cert): boolean {
  return outer.len <= inner.len && prefixContains({ addr: outer.prefix, len: outer.len }, inner.prefix);
}

/** Why `chain` (raw certificates, leaf first) does not prove that its leaf's holder holds
 *  `addr` at Unix time `now` (s) for a verifier trusting `trust`, or null if it does. */
export function chainProblem(chain: Uint8Array[], addr: Uint8Array, trust: Trusted[], now: bigint): ChainProblem | null {
  if (chain.length < 1 || chain.length > CERT_CHAIN_MAX) {
    return { index: null, why: `${chain.length} certificates; a chain has 1 to ${CERT_CHAIN_MAX}` };
  }
  for (let i = 0; i < chain.length; i++) {
    const p = certProblem(chain[i]);
    if (p) return { index: i, why: `malformed: ${p.field}: ${p.why}` };
  }
  const c = chain.map(decodeCert);
  for (let i = 0; i < c.length; i++) {
    if (now < c[i].notBefore) return { index: i, why: `not valid until ${isoTime(c[i].notBefore)} (now ${isoTime(now)})` };
    if (now >= c[i].notAfter) return { index: i, why: `expired at ${isoTime(c[i].notAfter)} (now ${isoTime(now)})` };
    if (i === 0) {
      if (!prefixContains({ addr: c[0].prefix, len: c[0].len }, addr)) return { index: 0, why: "its prefix does not contain the address" };
      continue;
    }
    if ((c[i].flags & L.CERT_ISSUER) === 0) return { index: i, why: "has no issuer flag: it may not certify other addresses" };
    if (!equalBytes(c[i].holder, c[i - 1].issuer)) return { index: i, why: `its holder is not the issuer of certificate ${i - 1}` };
    if (!inside(c[i], c[i - 1])) return { index: i, why: `its prefix does not contain the prefix of certificate ${i - 1}` };
    if (c[i].notBefore > c[i - 1].notBefore || c[i].notAfter < c[i - 1].notAfter) {
      return { index: i, why: `its validity does not cover that of certificate ${i - 1}` };
    }
  }
  const top = c[c.length - 1];
  if (!trust.some((t) => equalBytes(t.key, top.issuer) && prefixContains(t.prefix, addr))) {
    return { index: c.length - 1, why: "its issuer is not trusted for the address" };
  }
  for (let i = 0; i < c.length; i++) if (!certSigned(c[i])) return { index: i, why: "its signature does not verify with its issuer key" };
  return null;
}
