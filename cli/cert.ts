// `persia cert`: address certificates for people (spec/wire.md "Address certificates").
// `issue` signs one offline with an issuer's seed file — an upstream router's owner
// delegating a prefix to a router, which names the file in its manifest's node.certs;
// `show` prints every field of the certificates in files; `verify` checks a chain (files
// in order, leaf first) for an address against trusted keys, as a node would, and says
// which certificate fails and why. Node's crypto throughout (loader/cert/), never the
// kernel's. Writes the certificate file and stdout; never prints a seed.
// Called by cli/cli.ts.
import { CERT_ISSUER, CERT_VERSION } from "../wire/layout/cert";
import { formatPrefix, parseAddr, parsePrefix, Prefix } from "../loader/ip6";
import { Cert, CertFields, certSigned, decodeCert, signCert } from "../loader/cert/cert";
import { chainProblem, isoTime as iso, Trusted } from "../loader/cert/chain";
import { readCertFile, readSeedFile, writeCertFile } from "../loader/cert/files";
import { publicKeyText } from "../loader/control/message";
import { userKey } from "../loader/manifest/schema";

export const DAYS_DEFAULT = 365;
export const DAYS_MAX = 3650;
/** Seconds a certificate starts before now unless --not-before says: clocks differ. */
export const SKEW_S = 60n;
const DAY_S = 86400n;

export interface IssueArgs { key: string; prefix: string; holder: string; issuer: boolean; days: number; notBefore?: string; o: string }
export interface VerifyArgs { files: string[]; address: string; trust: string[]; at?: string }

/** Unix seconds of an ISO 8601 time ("2026-12-05T08:00:00Z"); `what` names the option. */
export function unixSeconds(text: string, what: string): bigint {
  const ms = /^\d{4}-\d\d-\d\d/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms)) throw new Error(`${what} "${text}" is not a time; write ISO 8601, e.g. 2026-12-05T08:00:00Z`);
  return BigInt(Math.floor(ms / 1000));
}

const nowSeconds = () => BigInt(Math.floor(Date.now() / 1000));

/** An address or prefix: "fd00:b::/64", or "fd00:b::7" for /128. */
function prefixArg(text: string, what: string): Prefix {
  try {
    return text.includes("/") ? parsePrefix(text) : { addr: parseAddr(text), len: 128 };
  } catch (e) {
    throw new Error(`${what} ${(e as Error).message}`);
  }
}

function keyArg(text: string, what: string): Uint8Array {
  try {
    return userKey(text);
  } catch (e) {
    throw new Error(`${what} ${(e as Error).message}`);
  }
}

/** `persia cert issue`: writes the certificate to a.o and returns what `show` says of it. */
export function certIssue(a: IssueArgs): string {
  if (!Number.isInteger(a.days) || a.days < 1 || a.days > DAYS_MAX) {
    throw new Error(`--days ${a.days}: give a whole number of days from 1 to ${DAYS_MAX}`);
  }
  const prefix = prefixArg(a.prefix, "--prefix");
  const holder = keyArg(a.holder, "--holder");
  const issuer = readSeedFile(a.key);
  const notBefore = a.notBefore === undefined ? nowSeconds() - SKEW_S : unixSeconds(a.notBefore, "--not-before");
  const f: CertFields = {
    flags: a.issuer ? CERT_ISSUER : 0, len: prefix.len, notBefore, notAfter: notBefore + BigInt(a.days) * DAY_S,
    prefix: prefix.addr, holder, issuer: issuer.publicKey,
  };
  const cert = signCert(f, issuer.seed);
  writeCertFile(a.o, [cert]);
  const warn = a.issuer || prefix.len === 128 ? "" : "\nnote: without --issuer the holder may not certify addresses inside " +
    "this prefix (a router needs --issuer in its node.certs)\n";
  return `wrote ${a.o}\n${describe(decodeCert(cert), nowSeconds())}${warn}`;
}


/** "3 days", "5 h", "40 s": a span for a person. */
function span(s: bigint): string {
  const v = s < 0n ? -s : s;
  if (v >= 2n * DAY_S) return `${v / DAY_S} days`;
  if (v >= 7200n) return `${v / 3600n} h`;
  if (v >= 120n) return `${v / 60n} min`;
  return `${v} s`;
}

function validity(c: Cert, now: bigint): string {
  const state = now < c.notBefore ? `not valid yet: starts in ${span(c.notBefore - now)}`
    : now >= c.notAfter ? `EXPIRED ${span(now - c.notAfter)} ago` : `valid: expires in ${span(c.notAfter - now)}`;
  return `${iso(c.notBefore)} to ${iso(c.notAfter)} (${span(c.notAfter - c.notBefore)}; ${state})`;
}

/** Every field of a certificate, one a line. */
export function describe(c: Cert, now: bigint): string {
  const what = c.len === 128 ? "one address" : "a prefix";
  const flags = (c.flags & CERT_ISSUER) !== 0 ? "issuer (the holder may certify addresses and prefixes inside it)" : "none";
  const rows: [string, string][] = [
    ["prefix", `${formatPrefix({ addr: c.prefix, len: c.len })} (${what})`],
    ["holder", publicKeyText(c.holder)],
    ["issuer", publicKeyText(c.issuer)],
    ["valid", validity(c, now)],
    ["flags", flags],
    ["version", String(CERT_VERSION)],
    ["signature", certSigned(c) ? "good: made with the issuer key" : "BAD: it does not verify with the issuer key"],
  ];
  return rows.map(([k, v]) => `  ${k.padEnd(10)} ${v}\n`).join("");
}

/** `persia cert show`: each file's certificates. */
export function certShow(files: string[]): string {
  const now = nowSeconds();
  return files.map((file) => {
    const certs = readCertFile(file);
    return certs.map((b, i) => `${file}${certs.length > 1 ? ` (certificate ${i + 1} of ${certs.length})` : ""}\n` +
      describe(decodeCert(b), now)).join("\n");
  }).join("\n");
}

/** One --trust: "ed25519:KEY=prefix". */
export function trustArg(text: string): Trusted {
  const eq = text.lastIndexOf("=");
  if (eq < 0 || !text.startsWith("ed25519:")) {
    throw new Error(`--trust "${text}": write ed25519:<key>=<prefix>, e.g. --trust ed25519:…=fd00::/16 (the key a node's trust: entry names)`);
  }
  return { key: keyArg(text.slice(0, eq), "--trust"), prefix: prefixArg(text.slice(eq + 1), "--trust") };
}

/** `persia cert verify`: a line saying what the chain proves, or an Error saying which
 *  certificate fails and why. */
export function certVerify(a: VerifyArgs): string {
  if (a.trust.length === 0) throw new Error("name at least one trusted key: --trust ed25519:<key>=<prefix>");
  const trust = a.trust.map(trustArg);
  const addr = prefixArg(a.address, "--address");
  if (addr.len !== 128) throw new Error(`--address ${a.address}: give one address, not a prefix`);
  const now = a.at === undefined ? nowSeconds() : unixSeconds(a.at, "--at");
  const chain: { cert: Uint8Array; file: string }[] = a.files.flatMap((file) => readCertFile(file).map((cert) => ({ cert, file })));
  const p = chainProblem(chain.map((c) => c.cert), addr.addr, trust, now);
  if (p !== null) {
    const which = p.index === null ? "the chain" : `certificate ${p.index + 1} of ${chain.length} (${chain[p.index].file})`;
    throw new Error(`refused: ${which}: ${p.why}`);
  }
  const leaf = decodeCert(chain[0].cert);
  const until = chain.map((c) => decodeCert(c.cert).notAfter).reduce((x, y) => (y < x ? y : x));
  return `${a.address} is held by ${publicKeyText(leaf.holder)}: a chain of ${chain.length} certificate` +
    `${chain.length === 1 ? "" : "s"}, good until ${iso(until)}\n`;
}
