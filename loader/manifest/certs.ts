// Address certificates in the manifest (issue #15; spec/manifest.md "Address
// certificates"): `node.identity`, the node's ed25519 seed file, with which a router signs
// the certificates of its services' and hosts' addresses; `node.certs`, files of
// certificates of that key from upstream (the node shows them above its own); and
// top-level `trust`, keys the node trusts to certify addresses in prefixes. Here are the
// leaf parser of a trust entry's prefix, the rules (at most MAX_TRUSTED and MAX_NODE_CERTS,
// no pair twice, certificates that are the node's and good now) and the one place the
// files are read, through loader/cert/. No message holds a seed. Called by schema.ts
// (parsers) and load.ts (the files and rules).
import * as path from "path";
import { MAX_NODE_CERTS, MAX_TRUSTED } from "./limits";
import { CERT_ISSUER } from "../../wire/layout/cert";
import * as ip6 from "../ip6";
import { certSigned, decodeCert } from "../cert/cert";
import { CertFileError, KeyFileError, readCertFile, readSeedFile } from "../cert/files";
import { publicKeyText } from "../control/message";
import { decodeKey } from "../wg/keys";
import { FieldPath } from "./issues";
import { Report, entries, isMapping } from "./raw";
import * as V from "./values";

/** The node's identity once its file is read: the seed goes into NODE_KEY only. */
export interface NodeIdentity { seed: Uint8Array; publicKey: Uint8Array; }
export interface ManifestCerts { identity: NodeIdentity | null; certs: Uint8Array[]; }

const NEW_KEY = (file: string) => `make one with \`persia key new -o ${file}\` (mode 0600)`;

/** A prefix a trusted key may certify in: 0 to 128 bits ("::/0": anywhere). */
export function trustPrefix(v: unknown): ip6.Prefix {
  const s = V.text(v, "fd00::/16");
  return s.includes("/") ? V.ip6Prefix(s) : { addr: V.ip6Address(s), len: 128 };
}

/** The rules on `trust` that relate its entries: at most MAX_TRUSTED (key, prefix) pairs, no
 *  pair twice, never the node's own key (which it trusts for its own prefixes anyway). */
export function trustRules(raw: unknown, own: Uint8Array | null, report: Report): void {
  let pairs = 0;
  const seen = new Map<string, string>();
  entries(raw, "trust").forEach((t, i) => {
    const key = typeof t.key === "string" ? t.key : null;
    if (own && key === publicKeyText(own)) {
      report(["trust", i, "key"], "is the node's own identity key, which it trusts for its connected prefixes and its " +
        "services' addresses without a trust entry; remove this entry");
    }
    (Array.isArray(t.prefixes) ? t.prefixes : []).forEach((p, j) => {
      const at: FieldPath = ["trust", i, "prefixes", j];
      if (++pairs === MAX_TRUSTED + 1) report(at, `is trusted prefix number ${pairs}; a node keeps at most ${MAX_TRUSTED} over all its trust entries`);
      const parsed = V.tryParse(trustPrefix, p);
      const k = key && parsed && `${key} ${ip6.formatPrefix(parsed)}`;
      if (!k) return;
      const first = seen.get(k);
      if (first) report(at, `is already trusted to this key in ${first}; name each prefix once`);
      else seen.set(k, `trust[${i}]`);
    });
  });
}

/** Reads node.identity; null after reporting (or when there is none). */
function readIdentity(v: unknown, baseDir: string, report: Report): NodeIdentity | null {
  if (typeof v !== "string") return null;                     // absent, or the schema reports it
  if (decodeKey(v.trim()) !== null) {
    report(["node", "identity"], "holds a key itself; node.identity names the file that holds the node's seed (mode 0600), " +
      "so that the manifest can be shown to others: write the seed into a file and name the file here, and make the " +
      "node a new key if this manifest was shared");
    return null;
  }
  const file = path.resolve(baseDir, v);
  try {
    return readSeedFile(file, NEW_KEY(file));
  } catch (e) {
    if (!(e instanceof KeyFileError)) throw e;
    report(["node", "identity"], e.message);
    return null;
  }
}

/** Why certificate `c` (raw) cannot be one of the node's: null if it can. `above` holds
 *  the issuers of the certificates before it (the upstream's chain may follow the node's). */
function nodeCertProblem(c: Uint8Array, own: Uint8Array, above: Uint8Array[], now: bigint): string | null {
  const d = decodeCert(c);
  const holder = [own, ...above].some((k) => ip6.equalBytes(k, d.holder));
  if (!holder) {
    return `is a certificate of ${publicKeyText(d.holder)}, not of the node's identity key ${publicKeyText(own)} ` +
      "(nor of the issuer of one before it); ask the upstream router's owner for one of this key";
  }
  if ((d.flags & CERT_ISSUER) === 0) {
    return "has no issuer flag, so the node may not certify addresses inside it; ask for one made with `persia cert issue --issuer`";
  }
  if (!certSigned(d)) return "has a signature that does not verify with its issuer key: it was changed, or is not a certificate";
  if (now >= d.notAfter) {
    return `expired at ${new Date(Number(d.notAfter) * 1000).toISOString()}; ask the upstream router's owner for a new one ` +
      "(`persia cert issue`) and replace the file";
  }
  return null;
}

/** Reads node.identity and node.certs, reporting every problem; `now` is Unix seconds. */
export function manifestCerts(raw: unknown, baseDir: string, report: Report, now = BigInt(Math.floor(Date.now() / 1000))): ManifestCerts {
  const node = isMapping(raw) ? raw.node : undefined;
  const out: ManifestCerts = { identity: null, certs: [] };
  if (!isMapping(node)) return out;
  out.identity = readIdentity(node.identity, baseDir, report);
  const files = Array.isArray(node.certs) ? node.certs : [];
  if (files.length > 0 && node.identity === undefined) {
    report(["node", "certs"], "are certificates of the node's identity key: name its seed file in node.identity " +
      "(`persia key new -o node.id`), or remove node.certs");
  }
  const above: Uint8Array[] = [];
  files.forEach((f, i) => {
    if (typeof f !== "string") return;                      // the schema reports it
    const at: FieldPath = ["node", "certs", i];
    let certs: Uint8Array[];
    try {
      certs = readCertFile(path.resolve(baseDir, f));
    } catch (e) {
      if (!(e instanceof CertFileError)) throw e;
      report(at, e.message);
      return;
    }
    certs.forEach((c, j) => {
      const which = certs.length > 1 ? `certificate ${j + 1} in ${f}` : f;
      if (out.certs.length === MAX_NODE_CERTS) report(at, `${which} is certificate number ${MAX_NODE_CERTS + 1}; a node holds at most ${MAX_NODE_CERTS}`);
      const p = out.identity && nodeCertProblem(c, out.identity.publicKey, above, now);
      if (p) report(at, `${which} ${p}`);
      out.certs.push(c);
      above.push(decodeCert(c).issuer);
    });
  });
  return out;
}
