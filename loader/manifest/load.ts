// Reading a YAML manifest into a validated Manifest: YAML syntax, then the per-field
// schema (schema.ts), then the cross-field rules (check.ts); every problem from every
// stage is collected, located by line and thrown together as one ManifestError. Fills in
// the defaults that depend on other fields (a NIC's MAC from the node name; its RA
// settings, or none, from the node's role and loader/manifest/ra.ts; its autoconf and DAD
// from the role and loader/manifest/autoconf.ts; a wireguard NIC's MAC, MTU and keys from
// loader/manifest/wireguard.ts) and splits each service's addresses into
// given and learned ones. Reads no file but the manifest, node.secret (for RFC 7217's
// key), the WireGuard key files, the node's identity and certificates (certs.ts) and, with
// domains:, the modules, whose signatures it checks (modsig.ts): modules and disks the host opens when it starts the node. Called by the `persia`
// CLI and hosts/node.
import * as fs from "fs";
import * as path from "path";
import { Document, LineCounter, parseDocument, visit } from "yaml";
import { autoconfOn, dadTransmits, isLearned, secretKey } from "./autoconf";
import { crossCheck } from "./check";
import { Locator, ManifestError, ManifestIssue, errorMap, yamlIssues, zodIssues } from "./issues";
import { isMapping } from "./raw";
import { applyRouteTable } from "./routes";
import { raSettings } from "./ra";
import { Manifest, schemas } from "./schema";
import { defaultMac } from "./own";
import { WG_LISTEN_DEFAULT, WG_MTU_DEFAULT, listenEndpoint, wireguardKeys } from "./wireguard";
import { manifestCerts, trustRules } from "./certs";
import { modsigRules } from "./modsig";
import { wireguardMac } from "../wg/keys";
import { MTU_DEFAULT } from "./limits";

export { defaultMac };

/** YAML `text` as a plain value, and a Locator that finds a field's line in it. Throws
 *  ManifestError for YAML syntax errors (a key given twice included), each at its line.
 *  Also used for `persia ctl`'s request files (loader/control/request.ts). */
export function readYaml(text: string, fileName: string): { raw: unknown; at: Locator } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) throw new ManifestError(fileName, yamlIssues(fileName, doc.errors, lines));
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (e) {
    // Aliases are resolved only here: one with no anchor before it, or so many that yaml
    // takes them for a resource-exhaustion attack ("billion laughs"), throw ReferenceError.
    if (!(e instanceof ReferenceError)) throw e;
    const { line, unresolved } = aliasAt(doc, lines);
    throw new ManifestError(fileName, [{ file: fileName, line, path: "manifest",
      message: `YAML syntax: ${e.message.replace(/[.:]$/, "")}; ` + (unresolved
        ? "put the anchor (&name) on a value before the alias (*name) that repeats it"
        : "write the values out instead of nesting aliases of aliases") }]);
  }
  return { raw, at: new Locator(doc, lines) };
}

/** Where toJS's ReferenceError points: the first alias with no anchor before it, else the
 *  first alias (an expansion too large has no one place). */
function aliasAt(doc: Document, lines: LineCounter): { line: number; unresolved: boolean } {
  let first: number | undefined, unresolved: number | undefined;
  visit(doc, {
    Alias(_, node) {
      const at = node.range ? lines.linePos(node.range[0]).line : 1;
      first ??= at;
      if (unresolved === undefined && node.resolve(doc) === undefined) unresolved = at;
    },
  });
  return { line: unresolved ?? first ?? 1, unresolved: unresolved !== undefined };
}

/** Validates manifest `text`; `fileName` is used in messages, relative paths resolve
 *  against `baseDir`. Throws ManifestError listing every problem. */
export function parseManifest(text: string, fileName: string, baseDir: string): Manifest {
  const { raw, at } = readYaml(text, fileName);
  if (raw === null || raw === undefined) {
    throw new ManifestError(fileName, [{ file: fileName, line: 1, path: "manifest",
      message: "the file is empty; a manifest needs at least node, nics and services" }]);
  }
  // routes: written as a table becomes the list it stands for (routes.ts).
  const table = isMapping(raw) ? applyRouteTable(raw, at, fileName) : null;
  const s = schemas(baseDir);
  const result = s.root.safeParse(raw, { errorMap });
  const issues: ManifestIssue[] = [...(table?.issues ?? []),
    ...(result.success ? [] : zodIssues(fileName, result.error, at, (i) => !table?.drop(i.path)))];
  const report = (p: (string | number)[], message: string) => issues.push(at.issue(fileName, p, message));
  const wg = wireguardKeys(raw, baseDir, report);
  crossCheck(raw, baseDir, report, new Map([...wg.nics].map(([i, k]) => [i, wireguardMac(k.publicKey)])));
  const key = secretKey(raw, baseDir, report);
  const certs = manifestCerts(raw, baseDir, report);
  trustRules(raw, certs.identity?.publicKey ?? null, report);
  modsigRules(raw, baseDir, report);
  if (!result.success || issues.length > 0) {
    throw new ManifestError(fileName, sortIssues(issues));
  }
  const m = result.data;
  return {
    file: fileName,
    node: { ...m.node, secretKey: key, identityKey: certs.identity, nodeCerts: certs.certs },
    // In the router role every NIC advertises unless it says ra: false; in others none does.
    nics: m.nics.map((n, i) => {
      const keys = wg.nics.get(i);
      if (n.kind === "wireguard" && keys) {   // no RAs, no autoconf, no DAD (wireguard.ts refuses them)
        return {
          ...n, mac: n.mac ?? wireguardMac(keys.publicKey), mtu: n.mtu ?? WG_MTU_DEFAULT, ra: null, autoconf: false, dad: 0,
          wireguard: { ...keys, listen: n.wireguard?.listen ?? listenEndpoint(WG_LISTEN_DEFAULT) },
          peers: n.peers.map((p, j) => ({ ...p, psk: wg.psks.get(`${i}/${j}`) ?? null })),
        };
      }
      const autoconf = autoconfOn(m.node.role, n.autoconf);
      return {
        ...n, mac: n.mac ?? defaultMac(m.node.name, i), mtu: n.mtu ?? MTU_DEFAULT,
        ra: m.node.role === "router" && n.ra !== false ? raSettings(n.ra ?? {}) : null,
        autoconf, dad: dadTransmits(autoconf, n.dad), wireguard: null, peers: [],
      };
    }),
    routes: m.routes,
    disks: m.disks,
    usb: m.usb,
    services: m.services.map((s) => ({
      ...s,
      addresses: s.addresses.filter((a): a is Uint8Array => !isLearned(a)),
      learned: s.addresses.filter(isLearned).map((a) => a.learned),
    })),
    users: m.users,
    store: m.store,
    observe: m.observe,
    trust: m.trust,
    domains: m.domains,
  };
}

/** Reads and validates the manifest at `file`; relative paths in it resolve against its
 *  directory. Throws ManifestError, also when the file cannot be read. */
export function loadManifest(file: string): Manifest {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ManifestError(file, [{ file, line: 0, path: "manifest",
      message: `cannot read the file (${err.code ?? err.message}); check the path` }]);
  }
  return parseManifest(text, file, path.dirname(path.resolve(file)));
}

function sortIssues(issues: ManifestIssue[]): ManifestIssue[] {
  const seen = new Set<string>();
  return issues
    .filter((i) => { const k = `${i.line}\0${i.path}\0${i.message}`; return !seen.has(k) && (seen.add(k), true); })
    .sort((a, b) => a.line - b.line || a.path.localeCompare(b.path, "en", { numeric: true }));
}
