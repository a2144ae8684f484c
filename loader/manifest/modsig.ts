// Signed modules in the manifest (issue #14; spec/manifest.md "domains"): the top-level
// `domains`, per domain the publisher keys the node trusts to sign modules for it and every
// name under it. With a domains: section every service's module must carry a signature by
// one of them for its domain, and every store module one by any of them (a LOAD names the
// domain, and the kernel checks it then); without one nothing is checked, and the node says
// so. The loader checks first, with loader/modsig/verify.ts (Node's crypto), so a refused
// module is named with its file, its manifest line and the reason before the node starts;
// the kernel checks again with its own code. Called by load.ts (rules) and schema.ts.
import * as fs from "fs";
import * as path from "path";
import { MAX_PUBLISHERS } from "./limits";
import { FieldPath } from "./issues";
import { Report, entries, isMapping, name } from "./raw";
import { modsigProblem, Publisher } from "../modsig/verify";
import { userKey } from "./schema";
import * as V from "./values";

/** The (key, domain) pairs of a raw domains: section, those that parse. */
function publishers(raw: unknown): Publisher[] {
  return entries(raw, "domains").flatMap((d) => {
    const domain = V.tryParse(V.domainName, d.domain);
    const keys = Array.isArray(d.publishers) ? d.publishers : [];
    return domain === null ? [] : keys.flatMap((k) => {
      const key = V.tryParse(userKey, k);
      return key === null ? [] : [{ key, domain: domain as string }];
    });
  });
}

/** Does the manifest ask for signed modules (has a domains: key)? */
export function wantsSignatures(raw: unknown): boolean {
  return isMapping(raw) && raw.domains !== undefined;
}

/** The rules on domains: and on the modules it covers: at most MAX_PUBLISHERS pairs, no pair
 *  twice; each service's module signed for its domain, each store module by some publisher. */
export function modsigRules(raw: unknown, baseDir: string, report: Report): void {
  if (!wantsSignatures(raw)) return;
  const seen = new Set<string>();
  let pairs = 0;
  entries(raw, "domains").forEach((d, i) => {
    (Array.isArray(d.publishers) ? d.publishers : []).forEach((k, j) => {
      const at: FieldPath = ["domains", i, "publishers", j];
      if (++pairs === MAX_PUBLISHERS + 1) report(at, `is publisher key number ${pairs}; a node keeps at most ${MAX_PUBLISHERS} (key, domain) pairs`);
      const id = `${String(k)} ${String(d.domain)}`;
      if (seen.has(id)) report(at, "is trusted for this domain already; name each key once per domain");
      seen.add(id);
    });
  });
  const pubs = publishers(raw);
  const check = (file: unknown, domain: string | null, at: FieldPath) => {
    if (typeof file !== "string") return;
    const abs = path.resolve(baseDir, file);
    let bytes: Uint8Array;
    try { bytes = fs.readFileSync(abs); } catch { return; }   // an unreadable file is reported where it is read
    const why = modsigProblem(bytes, pubs, domain);
    if (why === null) return;
    const whom = domain === null ? "any domain of domains:" : domain;
    report(at, `the module ${abs} is refused: ${why}. The node runs only modules signed for their domain by a key of ` +
      `domains: — sign it for ${whom} (\`persia sign ${file} --key <publisher.key>\`, or wasmsign2 sign), or trust its publisher's key there`);
  };
  entries(raw, "services").forEach((s, i) => check(s.module, name(s, "domain"), ["services", i, "module"]));
  entries(raw, "store").forEach((e, i) => check(e.module, null, ["store", i, "module"]));
}
