// Address certificates in the manifest (loader/manifest/certs.ts, spec/manifest.md "Address
// certificates"): node.identity, node.certs and trust compile to NODE_KEY, NODE_CERT and
// TRUST records, checked byte by byte at abi/manifest.ts's offsets, and decode back to the
// same bytes; each refusal at its file, line and field, saying what to do; the seed file
// refused for its mode and content; certificates refused when they are not the node's,
// not an issuer's, badly signed or expired; and no seed in any error text.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createHash } from "crypto";
import * as M from "../../abi/manifest";
import { CERT_ISSUER, CERT_BYTES } from "../../wire/layout/cert";
import { NODE_CERT_MAX, TRUST_MAX } from "../../abi/limits";
import { ManifestError, ManifestIssue, compileManifest, decodeBootManifest, encodeBootManifest, parseManifest } from "../../loader/manifest";
import { CertFields, publicKeyOfSeed, signCert } from "../../loader/cert/cert";
import { certLine } from "../../loader/cert/files";
import { publicKeyText } from "../../loader/control/message";
import { maskPrefix, parseAddr } from "../../loader/ip6";
import { errorsOf, one as oneOf } from "./refused";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-certs-"));
const seed = (n: number) => Uint8Array.from(createHash("sha256").update(`seed ${n}`).digest());
const NODE = seed(0), NODE_PK = publicKeyOfSeed(NODE), ROOT = seed(1), ROOT_PK = publicKeyOfSeed(ROOT);
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
const NOW = BigInt(Math.floor(Date.now() / 1000));

function file(name: string, text: string, mode = 0o644): string {
  const f = path.join(dir, name);
  fs.rmSync(f, { force: true });
  fs.writeFileSync(f, text, { mode });
  fs.chmodSync(f, mode);
  return name;
}
file("node.id", `${b64(NODE)}\n`, 0o600);

/** A certificate of the node's /64, by the root, as an upstream router's owner makes it. */
function upstream(o: Partial<CertFields> = {}, by = ROOT): Uint8Array {
  return signCert({ flags: CERT_ISSUER, len: 64, notBefore: NOW - 60n, notAfter: NOW + 86400n * 30n,
    prefix: maskPrefix(parseAddr("fd00:b::"), 64), holder: NODE_PK, issuer: publicKeyOfSeed(by), ...o }, by);
}
file("b.cert", `# from the upstream router\n${certLine(upstream())}\n`);

/** The user's manifest: `node` is the node line's extra keys, `trust` the trust lines. */
function manifest(o: { node?: string; trust?: string[] } = {}): string {
  return [
    `node: { name: edge.sabz.city, role: router${o.node ?? ", identity: node.id, certs: [b.cert]"} }`,   // 1
    "nics:",                                                                                             // 2
    '  - { name: lan0, kind: virtual, prefixes: ["fd00:b::/64"] }',                                      // 3
    "services:",                                                                                         // 4
    '  - { domain: echo.sabz.city, module: echo.wasm, addresses: ["fd00:b::7"], ram: { min: 64KiB, max: 1MiB } }', // 5
    ...(o.trust ?? ["trust:", `  - { key: "${publicKeyText(ROOT_PK)}", prefixes: ["fd00::/16", "2001:db8::/32"] }`]), // 6, and 7
  ].join("\n") + "\n";
}
const parse = (text: string) => parseManifest(text, "node.yaml", dir);
const errors = (text: string): ManifestIssue[] => errorsOf(text, dir);
function one(text: string, line: number, field: string, message: RegExp): string {
  const m = oneOf(text, line, field, message, dir);
  assert.ok(!m.includes(b64(NODE)), "the seed is never in a message");
  return m;
}

/** The records of each type in boot bytes. */
function records(boot: Uint8Array): Map<number, Uint8Array[]> {
  const recs = new Map<number, Uint8Array[]>();
  for (let at = M.MF_HEADER, i = 0; i < new DataView(boot.buffer).getUint16(6, true); i++) {
    const len = boot[at + 2] | (boot[at + 3] << 8);
    recs.set(boot[at], [...(recs.get(boot[at]) ?? []), boot.subarray(at + M.MF_REC_HEADER, at + M.MF_REC_HEADER + len)]);
    at += M.MF_REC_HEADER + len;
  }
  return recs;
}

test("node.identity, node.certs and trust compile to NODE_KEY, NODE_CERT and TRUST records at abi/manifest.ts's offsets", () => {
  const boot = compileManifest(parse(manifest())).boot;
  const recs = records(boot);
  assert.deepEqual(recs.get(M.Rec.NODE_KEY)!.map((r) => [...r]), [[...NODE]]);
  assert.deepEqual(recs.get(M.Rec.NODE_CERT)!.map((r) => [...r]), [[...upstream()]]);
  const trusts = recs.get(M.Rec.TRUST)!;
  assert.equal(trusts.length, 2, "one record per (key, prefix)");
  for (const [r, prefix, len] of [[trusts[0], "fd00::", 16], [trusts[1], "2001:db8::", 32]] as const) {
    assert.equal(r.length, M.TR_SIZE);
    assert.deepEqual([...r.subarray(M.TR_KEY, M.TR_KEY + 32)], [...ROOT_PK]);
    assert.deepEqual([...r.subarray(M.TR_PREFIX, M.TR_PREFIX + 16)], [...parseAddr(prefix)]);
    assert.deepEqual([...r.subarray(M.TR_LEN)], [len, 0, 0, 0]);
  }
  const types = [...recs.keys()];
  assert.ok(types.indexOf(M.Rec.NODE_KEY) < types.indexOf(M.Rec.NODE_CERT), "NODE_KEY before the NODE_CERT it holds");
  assert.deepEqual(encodeBootManifest(decodeBootManifest(boot)), boot, "decoded and encoded again: the same bytes");
});

test("without node.identity there are no certificate records, and the node issues nothing", () => {
  const recs = records(compileManifest(parse(manifest({ node: "", trust: [] }))).boot);
  for (const t of [M.Rec.NODE_KEY, M.Rec.NODE_CERT, M.Rec.TRUST]) assert.equal(recs.get(t), undefined);
});

test("the seed file must be the owner's alone, and one base64 line of 32 bytes", () => {
  file("open.id", `${b64(NODE)}\n`, 0o644);
  one(manifest({ node: ", identity: open.id" }), 1, "node.identity", /may be read by other users \(mode 0644\).*chmod 600/);
  file("long.id", `${b64(new Uint8Array(64))}\n`, 0o600);
  one(manifest({ node: ", identity: long.id" }), 1, "node.identity", /is not an ed25519 seed file .*persia key new/);
  one(manifest({ node: ", identity: none.id" }), 1, "node.identity", /there is no such file; make one with `persia key new -o/);
  const m = one(manifest({ node: `, identity: "${b64(NODE)}"` }), 1, "node.identity", /holds a key itself/);
  assert.ok(!m.includes(b64(NODE)));
});

test("node.certs need node.identity, and each must be a good certificate of the node's key from an issuer", () => {
  one(manifest({ node: ", certs: [b.cert]" }), 1, "node.certs", /name its seed file in node\.identity/);
  one(manifest({ node: ", identity: node.id, certs: [none.cert]" }), 1, "node.certs[0]", /cannot read .*none\.cert: there is no such file/);
  file("junk.cert", "not a certificate\n");
  one(manifest({ node: ", identity: node.id, certs: [junk.cert]" }), 1, "node.certs[0]", /junk\.cert:1: not a certificate/);
  file("other.cert", `${certLine(upstream({ holder: ROOT_PK }))}\n`);
  one(manifest({ node: ", identity: node.id, certs: [other.cert]" }), 1, "node.certs[0]", /not of the node's identity key/);
  file("leaf.cert", `${certLine(upstream({ flags: 0 }))}\n`);
  one(manifest({ node: ", identity: node.id, certs: [leaf.cert]" }), 1, "node.certs[0]", /no issuer flag.*--issuer/);
  const forged = upstream();
  forged[100] ^= 1;
  file("forged.cert", `${certLine(forged)}\n`);
  one(manifest({ node: ", identity: node.id, certs: [forged.cert]" }), 1, "node.certs[0]", /signature that does not verify/);
  file("old.cert", `${certLine(upstream({ notBefore: NOW - 1000n, notAfter: NOW - 10n }))}\n`);
  one(manifest({ node: ", identity: node.id, certs: [old.cert]" }), 1, "node.certs[0]", /expired at .*ask the upstream router's owner for a new one/);
  file("five.cert", `${Array.from({ length: NODE_CERT_MAX + 1 }, () => certLine(upstream())).join("\n")}\n`);
  one(manifest({ node: ", identity: node.id, certs: [five.cert]" }), 1, "node.certs[0]", new RegExp(`a node holds at most ${NODE_CERT_MAX}`));
});

test("node.certs may carry the upstream's own chain above the node's certificate", () => {
  const mid = seed(2), midPk = publicKeyOfSeed(mid);
  const mine = upstream({}, mid);
  const theirs = signCert({ flags: CERT_ISSUER, len: 48, notBefore: NOW - 120n, notAfter: NOW + 86400n * 60n,
    prefix: maskPrefix(parseAddr("fd00:b::"), 48), holder: midPk, issuer: ROOT_PK }, ROOT);
  file("chain.cert", `${certLine(mine)}\n${certLine(theirs)}\n`);
  const recs = records(compileManifest(parse(manifest({ node: ", identity: node.id, certs: [chain.cert]" }))).boot);
  assert.deepEqual(recs.get(M.Rec.NODE_CERT)!.map((r) => r.length), [CERT_BYTES, CERT_BYTES]);
  file("upside.cert", `${certLine(theirs)}\n${certLine(mine)}\n`);
  one(manifest({ node: ", identity: node.id, certs: [upside.cert]" }), 1, "node.certs[0]", /certificate 1 in upside\.cert is a certificate of/);
});

test("trust: keys as `persia key` prints them, prefixes with no host bits, each pair once, not the node's own key, TRUST_MAX pairs", () => {
  one(manifest({ trust: ["trust:", '  - { key: "ed25519:AAAA", prefixes: ["fd00::/16"] }'] }), 7, "trust[0].key", /is not 32 bytes of base64/);
  one(manifest({ trust: ["trust:", `  - { key: "${publicKeyText(ROOT_PK)}", prefixes: ["fd00::1/16"] }`] }), 7, "trust[0].prefixes[0]",
    /has host bits set/);
  one(manifest({ trust: ["trust:", `  - { key: "${publicKeyText(ROOT_PK)}", prefixes: [] }`] }), 7, "trust[0].prefixes", /at least one prefix/);
  one(manifest({ trust: ["trust:", `  - { key: "${publicKeyText(NODE_PK)}", prefixes: ["fd00::/16"] }`] }), 7, "trust[0].key",
    /the node's own identity key/);
  one(manifest({ trust: ["trust:", `  - { key: "${publicKeyText(ROOT_PK)}", prefixes: ["fd00::/16", "fd00::/16"] }`] }), 7,
    "trust[0].prefixes[1]", /already trusted to this key in trust\[0\]/);
  const many = Array.from({ length: TRUST_MAX + 1 }, (_, i) => `"fd00:${i.toString(16)}::/32"`).join(", ");
  one(manifest({ trust: ["trust:", `  - { key: "${publicKeyText(ROOT_PK)}", prefixes: [${many}] }`] }), 7,
    `trust[0].prefixes[${TRUST_MAX}]`, new RegExp(`at most ${TRUST_MAX}`));
});
