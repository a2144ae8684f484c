// A `wireguard` NIC in the manifest (loader/manifest/wireguard.ts, spec/manifest.md
// "WireGuard NICs"): the user's manifest compiles to the NIC, WG, WG_PEER and WG_ALLOWED
// records, checked byte by byte at abi/manifest.ts's offsets; the derived MAC and the
// defaults; each refusal at its file, line and field; key files refused for their mode,
// kind, size and content; and no key byte in any error text.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createHash } from "crypto";
import * as M from "../../abi/manifest";
import { NicKind } from "../../abi/kernel";
import { WG_ALLOWED_MAX, WG_MTU_MAX, WG_PEER_MAX } from "../../abi/limits";
import { ManifestError, ManifestIssue, bootRecords, compileManifest, decodeBootManifest, encodeBootManifest, parseManifest } from "../../loader/manifest";
import { clamp, encodeKey, publicKeyOf } from "../../loader/wg/keys";
import { errorsOf, one as oneOf } from "./refused";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-wg-"));
const key = (n: number) => clamp(createHash("sha256").update(`key ${n}`).digest());
const NODE_KEY = key(0), PSK = createHash("sha256").update("psk").digest();
const PEER = (n: number) => encodeKey(publicKeyOf(key(n)));
function keyFile(name: string, bytes: Uint8Array, mode = 0o600): string {
  const f = path.join(dir, name);
  fs.rmSync(f, { force: true });
  fs.writeFileSync(f, `${encodeKey(bytes)}\n`, { mode });
  fs.chmodSync(f, mode);
  return name;
}
keyFile("edge.key", NODE_KEY);
keyFile("peer.psk", PSK);

/** The user's manifest; `nic` lines go after line 9 (prefixes), `peers` replace line 11. */
function manifest(o: { node?: string; nic?: string[]; peers?: string[] } = {}): string {
  return [
    `node: { name: edge.sabz.city, role: router${o.node ?? ", key: edge.key"} }`,             // 1
    "nics:",                                                                                  // 2
    "  - name: wg0",                                                                          // 3
    "    kind: wireguard",                                                                    // 4
    '    wireguard: { listen: "[fd00:99::1]:51820" }',                                        // 5
    "    mtu: 1420",                                                                          // 6
    '    prefixes: ["fd00:c::/64"]',                                                           // 7
    ...(o.nic ?? []),
    "    peers:",                                                                             // 8
    ...(o.peers ?? [`      - { key: "x25519:${PEER(1)}", endpoint: "[fd00:99::2]:51820", addresses: ["fd00:c::2/128"], keepalive: 25, psk: peer.psk }`]),
    "services:",
    '  - { domain: echo.sabz.city, module: echo.wasm, addresses: ["fd00:c::7"], ram: { min: 64KiB, max: 1MiB } }',
  ].join("\n") + "\n";
}
const parse = (text: string) => parseManifest(text, "node.yaml", dir);
const errors = (text: string): ManifestIssue[] => errorsOf(text, dir);
const one = (text: string, line: number, field: string, message: RegExp): string => oneOf(text, line, field, message, dir);
const u16 = (n: number) => [n & 0xff, n >> 8];

test("the user's manifest compiles to NIC (kind WIREGUARD), WG, WG_PEER and WG_ALLOWED records at abi/manifest.ts's offsets", () => {
  const m = parse(manifest());
  const boot = compileManifest(m).boot;
  const mac = Uint8Array.from(createHash("sha256").update(publicKeyOf(NODE_KEY)).digest().subarray(0, 6));
  mac[0] = (mac[0] & 0xfc) | 0x02;
  const recs = new Map<number, Uint8Array[]>();
  for (let at = M.MF_HEADER, i = 0; i < new DataView(boot.buffer).getUint16(6, true); i++) {
    const len = boot[at + 2] | (boot[at + 3] << 8);
    recs.set(boot[at], [...(recs.get(boot[at]) ?? []), boot.subarray(at + M.MF_REC_HEADER, at + M.MF_REC_HEADER + len)]);
    at += M.MF_REC_HEADER + len;
  }
  const [nic] = recs.get(M.Rec.NIC)!;
  assert.deepEqual([...nic], [0, NicKind.WIREGUARD, ...u16(1420), ...mac]);
  const [wg] = recs.get(M.Rec.WG)!;
  assert.equal(wg.length, M.WG_SIZE);
  assert.deepEqual([wg[M.WG_NIC], wg[1], wg[2], wg[3]], [0, 0, 0, 0]);
  assert.deepEqual([...wg.subarray(M.WG_PRIVATE)], [...NODE_KEY]);
  const [peer] = recs.get(M.Rec.WG_PEER)!;
  assert.equal(peer.length, M.WP_SIZE);
  assert.deepEqual([peer[M.WP_NIC], peer[M.WP_PEER], ...peer.subarray(M.WP_KEEPALIVE, M.WP_PUBLIC)], [0, 0, ...u16(25)]);
  assert.deepEqual([...peer.subarray(M.WP_PUBLIC, M.WP_PSK)], [...publicKeyOf(key(1))]);
  assert.deepEqual([...peer.subarray(M.WP_PSK, M.WP_ENDPOINT)], [...PSK]);
  assert.deepEqual([...peer.subarray(M.WP_ENDPOINT, M.WP_PORT)], [0xfd, 0, 0, 0x99, ...new Array(11).fill(0), 2]);
  assert.deepEqual([...peer.subarray(M.WP_PORT)], [...u16(51820), 0, 0]);
  const [allowed] = recs.get(M.Rec.WG_ALLOWED)!;
  assert.deepEqual([...allowed], [0, 128, 0, 0, 0xfd, 0, 0, 0x0c, ...new Array(11).fill(0), 2]);
  assert.equal(recs.get(M.Rec.RA), undefined, "a router sends no RAs on a WireGuard link");
  assert.equal(recs.get(M.Rec.AUTOCONF), undefined);
  assert.deepEqual([...encodeBootManifest(decodeBootManifest(boot))], [...boot], "decode, encode: the same bytes");
  const plan = compileManifest(m).plan.nics[0];
  assert.deepEqual(plan.wireguard, { listen: { address: "fd00:99::1", port: 51820 }, publicKey: encodeKey(publicKeyOf(NODE_KEY)),
    peers: [{ peer: 0, key: PEER(1), endpoint: { address: "fd00:99::2", port: 51820 }, addresses: ["fd00:c::2/128"], keepalive: 25 }] });
  assert.ok(!JSON.stringify(plan).includes(encodeKey(NODE_KEY)), "the host plan has no private key");
});

test("defaults: listen [::]:51820, MTU 1420, keepalive 0, no psk, no endpoint; peers numbered over the node; a peer without addresses", () => {
  const text = manifest({ peers: [`      - { key: "${PEER(1)}" }`, `      - { key: "${PEER(2)}", endpoint: "192.0.2.7:51821" }`] })
    .replace('    wireguard: { listen: "[fd00:99::1]:51820" }\n    mtu: 1420\n', "")
    .replace("services:", [
      "  - { name: wg1, kind: wireguard, prefixes: [\"fd00:d::/64\"], wireguard: { listen: \"[::1]:0\" },",
      `      peers: [{ key: "${PEER(3)}", addresses: ["fd00:d::/64", "fd00:e::1"] }] }`, "services:"].join("\n"));
  const r = bootRecords(parse(text));
  assert.deepEqual(r.nics.map((n) => n.mtu), [1420, 1420]);
  assert.deepEqual(r.wgs.map((w) => w.nic), [0, 1]);
  assert.deepEqual(r.wgPeers.map((p) => [p.nic, p.peer, p.keepalive, p.port, p.psk.every((b) => b === 0)]),
    [[0, 0, 0, 0, true], [0, 1, 0, 51821, true], [1, 2, 0, 0, true]]);
  assert.deepEqual([...r.wgPeers[1].endpoint], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7]);
  assert.deepEqual(r.wgAllowed.map((a) => [a.peer, a.len]), [[2, 64], [2, 128]]);
  assert.deepEqual(compileManifest(parse(text)).plan.nics[0].wireguard!.listen, { address: "::", port: 51820 });
});

test("refusals on a wireguard NIC, each at its line and field", () => {
  one(manifest({ nic: ["    ra: { max_interval: 60 }"] }), 8, "nics[0].ra", /not allowed on a wireguard NIC.*remove ra/);
  one(manifest({ nic: ["    autoconf: false"] }), 8, "nics[0].autoconf", /not allowed on a wireguard NIC/);
  one(manifest({ nic: ["    dad: 1"] }), 8, "nics[0].dad", /not allowed on a wireguard NIC/);
  one(manifest({ nic: ['    vxlan: { local: "[::1]:1", remote: "[::1]:2", vni: 1 }'] }), 8, "nics[0].vxlan", /only allowed when kind is vxlan/);
  one(manifest({ nic: ["    tap: { device: pt0 }"] }), 8, "nics[0].tap", /only allowed when kind is tap/);
  one(manifest().replace("mtu: 1420", `mtu: ${WG_MTU_MAX + 1}`), 6, "nics[0].mtu", new RegExp(`more than a wireguard NIC carries \\(${WG_MTU_MAX}`));
  one(manifest({ peers: [`      - { key: "${PEER(1)}" }`, `      - { key: "${PEER(1)}" }`] }), 10, "nics[0].peers[1].key", /already the key of nics\[0\]\.peers\[0\]/);
  one(manifest({ peers: [`      - { key: "${PEER(1)}", addresses: ["fd00:c::2/128"] }`, `      - { key: "${PEER(2)}", addresses: ["fd00:c::2/128"] }`] }),
    10, "nics[0].peers[1].addresses[0]", /already allowed to peers\[0\]/);
  one(manifest({ peers: [`      - { key: "${encodeKey(publicKeyOf(NODE_KEY))}" }`] }), 9, "nics[0].peers[0].key", /this NIC's own public key/);
  one(manifest({ peers: ['      - { key: "not-a-key" }'] }), 9, "nics[0].peers[0].key", /is not a WireGuard public key/);
  one(manifest({ peers: [`      - { key: "${encodeKey(new Uint8Array(32))}" }`] }), 9, "nics[0].peers[0].key", /small order/);
  one(manifest({ peers: [`      - { key: "${PEER(1)}", keepalive: 65536 }`] }), 9, "nics[0].peers[0].keepalive", /0 to 65535/);
  one(manifest({ peers: [`      - { key: "${PEER(1)}", endpoint: "[::]:51820" }`] }), 9, "nics[0].peers[0].endpoint", /not a unicast address/);
  one(manifest({ node: "" }), 1, "node", /needs key: NIC wg0 is kind wireguard.*persia key new --kind x25519/);
  assert.deepEqual(errors(manifest().replace("kind: wireguard", "kind: virtual")).map((e) => [e.line, e.path, e.message]), [
    [5, "nics[0].wireguard", "is only allowed when kind is wireguard, and this NIC's kind is virtual"],
    [8, "nics[0].peers", "is only allowed when kind is wireguard, and this NIC's kind is virtual"]]);
});

test("more than WG_PEER_MAX peers or WG_ALLOWED_MAX ranges in a node is refused at the first one over", () => {
  const peers = Array.from({ length: WG_PEER_MAX + 1 }, (_, i) => `      - { key: "${PEER(10 + i)}" }`);
  one(manifest({ peers }), 9 + WG_PEER_MAX, `nics[0].peers[${WG_PEER_MAX}]`, new RegExp(`at most ${WG_PEER_MAX} WireGuard peers`));
  const per = WG_ALLOWED_MAX / 2 + 1;
  const ranges = (p: number) => JSON.stringify(Array.from({ length: per }, (_, i) => `fd00:${p}:${i.toString(16)}::/64`));
  const es = errors(manifest({ peers: [1, 2].map((p) => `      - { key: "${PEER(p)}", addresses: ${ranges(p)} }`) }));
  assert.deepEqual(es.map((e) => e.path), [`nics[0].peers[1].addresses[${WG_ALLOWED_MAX - per}]`]);
  assert.match(es[0].message, new RegExp(`at most ${WG_ALLOWED_MAX} over all its peers`));
});

test("key files: a missing file, group- or other-readable, not a regular file, too large, or not 32 bytes of base64 are refused", () => {
  const at = (file: string) => manifest({ node: `, key: ${file}` });
  one(at("none.key"), 1, "node.key", /there is no such file; make one with `persia key new --kind x25519 -o .*none\.key`/);
  keyFile("open.key", NODE_KEY, 0o640);
  one(at("open.key"), 1, "node.key", /may be read by other users \(mode 0640\).*run `chmod 600 .*open\.key`/);
  one(at("."), 1, "node.key", /is not a regular file/);
  fs.writeFileSync(path.join(dir, "big.key"), "x".repeat(5000), { mode: 0o600 });
  one(at("big.key"), 1, "node.key", /holds 5000 bytes, more than a key file's 4096/);
  fs.writeFileSync(path.join(dir, "short.key"), `${Buffer.alloc(31).toString("base64")}\n`, { mode: 0o600 });
  one(at("short.key"), 1, "node.key", /is not a WireGuard key file/);
  keyFile("own.key", key(9));
  const own = manifest({ nic: ["    wireguard: { key: own.key }"] }).replace('    wireguard: { listen: "[fd00:99::1]:51820" }\n', "");
  assert.deepEqual([...bootRecords(parse(own)).wgs[0].privateKey], [...key(9)], "wireguard.key is used instead of node.key");
  one(manifest({ peers: [`      - { key: "${PEER(1)}", psk: nopsk }`] }), 9, "nics[0].peers[0].psk", /no such file; make one with `\(umask 077; wg genpsk/);
});

test("no secret appears in any error: not a key file's content, nor a key written where a file belongs", () => {
  fs.writeFileSync(path.join(dir, "bad.key"), `${encodeKey(NODE_KEY).slice(0, 40)}\n`, { mode: 0o600 });
  const secret = encodeKey(NODE_KEY);
  const texts = [
    ...errors(manifest({ node: ", key: bad.key" })),
    ...errors(manifest({ node: `, key: "${secret}"` })),
    ...errors(manifest({ peers: [`      - { key: "${PEER(1)}", psk: "${encodeKey(PSK)}" }`] })),
    ...errors(manifest({ peers: [`      - { key: "${secret}" }`] })),
  ];
  assert.equal(texts.length, 4);
  for (const e of texts) {
    for (const s of [secret, secret.slice(0, 40), encodeKey(PSK)]) assert.ok(!e.message.includes(s), `${e.path}: ${e.message}`);
  }
  assert.match(texts[1].message, /holds a key itself/);
  assert.match(texts[3].message, /this NIC's private key, not a peer's public key/);
});
