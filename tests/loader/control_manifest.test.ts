// The manifest's control-plane parts (spec/control.md): users with ed25519 keys and their
// domains, the store of loadable modules, node.ram as a BUDGET record, each refused at its
// line when wrong; USER, BUDGET and RAM records round-trip through the boot bytes; and the
// requests `persia ctl` builds from YAML (loader/control/request.ts) are checked with the
// manifest's schema, located by line, with NIC and disk names resolved against the node.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as M from "../../abi/manifest";
import * as C from "../../abi/control";
import { SVC_MAX } from "../../abi/limits";
import { compileManifest, decodeBootManifest, encodeBootManifest, parseManifest, ManifestError } from "../../loader/manifest";
import { keyFromSeed, publicKeyText } from "../../loader/control/message";
import { grantRequest, loadRequest, revokeBody, unloadBody } from "../../loader/control/request";
import { ROOT } from "../../hosts/node/paths";
import { errorsOf, one } from "./refused";

const KEY = publicKeyText(keyFromSeed(new Uint8Array(32).fill(7)).publicKey);
const KEY2 = publicKeyText(keyFromSeed(new Uint8Array(32).fill(8)).publicKey);

function node(extra: string): string {
  return `node: { name: n.sabz.city, role: server, ram: 2MiB }
nics:
  - { name: lan0, kind: virtual, prefixes: ["fd00:1::/64"], rate: 1Gbit }
disks:
  - { name: data, path: d.img, size: 1MiB }
services: []
${extra}`;
}

test("users become USER records, one per domain; node.ram a BUDGET record in pages; the store goes to the host plan", () => {
  const m = parseManifest(node(`users:
  - { name: alice, key: "${KEY}", domains: [a.sabz.city, b.sabz.city] }
store:
  - { module: build/wasm/services/echo.wasm, ram: 1MiB, slots: 2 }
  - { module: build/wasm/services/kv.wasm }`), "node.yaml", ROOT);
  const { boot, plan } = compileManifest(m);
  const d = decodeBootManifest(boot);
  assert.equal(d.budget, 32);
  assert.deepEqual(d.users.map((u) => [u.user, u.domain, publicKeyText(u.key)]), [["alice", "a.sabz.city", KEY], ["alice", "b.sabz.city", KEY]]);
  assert.deepEqual(encodeBootManifest(d), boot, "decode then encode gives the same bytes");
  assert.deepEqual(plan.store.map((e) => [e.modulePath.endsWith("echo.wasm") || e.modulePath.endsWith("kv.wasm"), e.ramMaxPages, e.slots]),
    [[true, 16, 2], [true, 256, 1]]);
});

test("a RAM record (GRANTs only) round-trips; a USER record whose lengths disagree is refused", () => {
  const bytes = encodeBootManifest({ node: { role: 0, name: "a.b" }, nics: [], ras: [], prefixes: [], routes: [], disks: [],
    services: [], svcAddrs: [], capDisks: [], rams: [{ svc: 3, minPages: 1, maxPages: 9 }] });
  assert.deepEqual(decodeBootManifest(bytes).rams, [{ svc: 3, minPages: 1, maxPages: 9 }]);
  const user = encodeBootManifest({ node: { role: 0, name: "a.b" }, nics: [], ras: [], prefixes: [], routes: [], disks: [],
    services: [], svcAddrs: [], capDisks: [], users: [{ key: new Uint8Array(32), user: "u", domain: "a.b" }] });
  const bad = Uint8Array.from(user);
  bad[bad.length - (M.US_TEXT + 1 + 3) + M.US_USER_LEN] = 5;    // the user name length ("u"), now past the record
  assert.throws(() => decodeBootManifest(bad), /disagrees with its name lengths/);
});

test("a user key of small order, or one that is not a point, is refused at its line", () => {
  const identity = `ed25519:${Buffer.from([1, ...new Array(31).fill(0)]).toString("base64")}`;
  one(node(`users:\n  - { name: alice, key: "${identity}", domains: [a.sabz.city] }`), 8, "users[0].key", /small order .*persia key new/);
  const order8 = `ed25519:${Buffer.from("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", "hex").toString("base64")}`;
  one(node(`users:\n  - { name: alice, key: "${order8}", domains: [a.sabz.city] }`), 8, "users[0].key", /small order/);
  const notPoint = `ed25519:${Buffer.from(new Array(31).fill(0xff).concat([0x7f])).toString("base64")}`;
  one(node(`users:\n  - { name: alice, key: "${notPoint}", domains: [a.sabz.city] }`), 8, "users[0].key", /not the encoding of a point/);
});

test("users and the store are refused at the line at fault", () => {
  one(node(`users:\n  - { name: Alice, key: "${KEY}", domains: [a.sabz.city] }`), 8, "users[0].name", /is not a user name/);
  one(node(`users:\n  - { name: alice, key: "ed25519:AAAA", domains: [a.sabz.city] }`), 8, "users[0].key", /is not 32 bytes of base64/);
  one(node(`users:\n  - { name: alice, key: "${KEY}", domains: [] }`), 8, "users[0].domains", "needs at least one domain, e.g. [sabz.city]");
  one(node(`users:\n  - { name: alice, key: "${KEY}", domains: [a.sabz.city] }\n  - { name: bob, key: "${KEY}", domains: [b.sabz.city] }`),
    9, "users[1].key", "is already the key of users[0]; one key is one user");
  one(node(`users:\n  - { name: alice, key: "${KEY}", domains: [${Array.from({ length: 9 }, (_, i) => `d${i}.sabz.city`).join(", ")}] }\n` +
    `  - { name: bob, key: "${KEY2}", domains: [${Array.from({ length: 8 }, (_, i) => `e${i}.sabz.city`).join(", ")}] }`),
    9, "users[1].domains", "the users' domains add up to 17; a node keeps at most 16 (user, domain) pairs");
  one(node(`store:\n  - { module: echo.wasm, slots: ${SVC_MAX + 1} }`), 8, "store[0].slots", new RegExp(`slots is a whole number from 1 to ${SVC_MAX}`));
  one(node(`store:\n  - { module: echo.wasm, slots: ${SVC_MAX - 6} }\n  - { module: kv.wasm, slots: 7 }`), 9, "store[1].slots",
    `the services (0) and store slots add up to ${SVC_MAX + 1}; a node runs at most ${SVC_MAX} services`);
  assert.equal(errorsOf(node(`store:\n  - { module: echo.wasm, ram: 0 }`))[0].path, "store[0].ram");
});

const NODE = parseManifest(node(""), "node.yaml", ROOT);

test("a LOAD request is the module's SHA-256 and the service's records; its problems are reported by line", () => {
  const r = loadRequest(`domain: x.a.sabz.city
module: build/wasm/services/echo.wasm
addresses: ["fd00:1::9"]
ram: { min: 64KiB, max: 128KiB }
net: [{ nic: lan0, min: 1Mbit }]
disk: [{ device: data, length: 4KiB, rights: [read] }]
cpu: { min: 5% }`, "svc.yaml", ROOT, NODE);
  assert.equal(r.domain, "x.a.sabz.city");
  const recs = r.body.subarray(C.LOAD_RECORDS);
  const types: number[] = [];
  for (let at = 0; at < recs.length; at += M.MF_REC_HEADER + (recs[at + 2] | recs[at + 3] << 8)) types.push(recs[at]);
  assert.deepEqual(types, [M.Rec.SERVICE, M.Rec.SVC_ADDR, M.Rec.CAP_DISK, M.Rec.NET, M.Rec.CPU]);
  const bad = (text: string) => {
    try { loadRequest(text, "svc.yaml", ROOT, NODE); } catch (e) { assert.ok(e instanceof ManifestError); return e.errors.map((i) => `${i.line} ${i.path}: ${i.message}`); }
    assert.fail("accepted");
  };
  assert.deepEqual(bad(`domain: x.a.sabz.city\nmodule: build/wasm/services/echo.wasm\naddresses: ["fd00:1::9"]\nram: { min: 64KiB, max: 128KiB }\nnet: [{ nic: wan9 }]`),
    ["5 net[0].nic: wan9 is not a NIC of node n.sabz.city; its NICs are lan0"]);
  assert.deepEqual(bad(`domain: X\nmodule: m.wasm\naddresses: ["fd00:1::9"]\nram: { min: 64KiB, max: 128KiB }`).map((l) => l.slice(0, 9)), ["1 domain:"]);
});

test("a GRANT request carries only what it changes; UNLOAD and REVOKE bodies name the service", () => {
  const g = grantRequest(`{ domain: x.a.sabz.city, ram: { min: 64KiB, max: 1MiB }, restart: { backoff: 50 } }`, "g.yaml", ROOT, NODE);
  const name = new TextEncoder().encode("x.a.sabz.city");
  assert.deepEqual(Array.from(g.body.subarray(0, 1 + name.length)), [name.length, ...name]);
  const recs = g.body.subarray(1 + name.length);
  assert.deepEqual([recs[0], recs[M.MF_REC_HEADER + M.RS_SIZE]], [M.Rec.RESTART, M.Rec.RAM]);
  assert.throws(() => grantRequest(`{ domain: x.a.sabz.city }`, "g.yaml", ROOT, NODE), /grants nothing/);
  assert.throws(() => grantRequest(`{ domain: x.a.sabz.city, restart: { limit: 3 } }`, "g.yaml", ROOT, NODE), /limit: is not a known key/);
  assert.deepEqual(Array.from(unloadBody("a.b")), [3, 97, 46, 98]);
  assert.equal(revokeBody("a.b", 1, 4096n, 8192n).length, 4 + C.RV_SIZE);
});

test("persia key new writes a 0600 key file and prints its public key; key show prints it again; an existing file is never overwritten", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-key-"));
  try {
    const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, "build/ts/cli/cli.js"), ...args], { encoding: "utf8" });
    const file = path.join(dir, "alice.key");
    const made = cli("key", "new", "-o", file);
    assert.equal(made.status, 0, made.stderr);
    assert.match(made.stdout, /^ed25519:[A-Za-z0-9+/]{43}=\n$/);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(cli("key", "show", file).stdout, made.stdout);
    const again = cli("key", "new", "-o", file);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /exists already; a key file is never overwritten/);
    assert.equal(cli("key", "show", file).stdout, made.stdout, "the key is unchanged");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
