// `persia sign`, `persia verify` and `persia key export --format wasmsign2` (cli/modsig.ts):
// a module signed with a PersiaOS key file passes `persia verify` by that key and by a
// manifest trusting it for the domain, and `wasmsign2 verify` with the exported public key;
// a module signed by `wasmsign2 sign` with the exported secret key passes `persia verify`;
// an unsigned module, a foreign domain or a changed byte are refused with the reason and
// exit status 1.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { ROOT, WASM_DIR } from "../../hosts/node/paths";
import { wasmsign2, wasmsign2Skip } from "../wasmsign2";

const CLI = path.join(ROOT, "cli/bin/persia.js");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-modsig-cli-"));
const at = (f: string) => path.join(dir, f);
const persia = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 30000, cwd: dir });
const ECHO = path.join(WASM_DIR, "services/echo.wasm");

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("persia sign, then persia verify by key and by a manifest's domains:; refusals say why and exit 1", () => {
  const pub = persia("key", "new", "-o", at("pub.key")).stdout.trim();
  let r = persia("sign", ECHO, "--key", at("pub.key"), "-o", at("echo.wasm"));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /signed .*echo\.wasm with ed25519:/);
  r = persia("verify", at("echo.wasm"), "--key", pub);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /signature valid by the key given/);
  fs.writeFileSync(at("node.yaml"), `node: { name: n.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, prefixes: ["fd00:5ab2:1::/64"] }
services:
  - { domain: echo.sabz.city, module: echo.wasm, addresses: ["fd00:5ab2:1::7"], ram: { min: 64KiB, max: 1MiB } }
domains:
  - { domain: sabz.city, publishers: ["${pub}"] }
`);
  r = persia("verify", at("echo.wasm"), "--manifest", at("node.yaml"), "--domain", "echo.sabz.city");
  assert.equal(r.status, 0, r.stderr);
  r = persia("verify", at("echo.wasm"), "--manifest", at("node.yaml"), "--domain", "echo.other.city");
  assert.equal(r.status, 1);
  assert.match(r.stderr, /refused for echo\.other\.city .*no publisher key in the manifest's domains: signs for its domain/);
  r = persia("verify", ECHO, "--key", pub);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /it is not signed/);
  const changed = fs.readFileSync(at("echo.wasm")); changed[changed.length - 1] ^= 1;
  fs.writeFileSync(at("changed.wasm"), changed);
  r = persia("verify", at("changed.wasm"), "--key", pub);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /changed after it was signed/);
  assert.match(persia("verify", at("echo.wasm")).stderr, /--key ed25519:… \(or a key file\), or --manifest/);
});

test("keys between persia and wasmsign2: key export, and each tool verifies the other's signature", { skip: wasmsign2Skip() }, () => {
  persia("key", "new", "-o", at("w.key"));
  let r = persia("key", "export", at("w.key"), "--format", "wasmsign2", "-o", at("w"));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.statSync(at("w.sk")).mode & 0o777, 0o600);
  assert.match(persia("key", "export", at("w.key"), "--format", "wasmsign2", "-o", at("w")).stderr, /exists already/);
  persia("sign", ECHO, "--key", at("w.key"), "-o", at("p.wasm"));
  const v = wasmsign2("verify", "-K", at("w.pk"), "-i", at("p.wasm"));
  assert.equal(v.status, 0, v.out);
  assert.equal(wasmsign2("sign", "-k", at("w.sk"), "-i", ECHO, "-o", at("ws.wasm")).status, 0);
  r = persia("verify", at("ws.wasm"), "--key", at("w.pk"));
  assert.equal(r.status, 0, r.stderr);
  r = persia("verify", at("ws.wasm"), "--key", at("w.key"));
  assert.equal(r.status, 0, "a PersiaOS key file names its public key too");
  r = persia("sign", ECHO, "--key", at("w.sk"), "-o", at("ps.wasm"));
  assert.equal(r.status, 0, "persia signs with a wasmsign2 secret key file");
  assert.deepEqual(fs.readFileSync(at("ps.wasm")), fs.readFileSync(at("ws.wasm")), "the same bytes either way");
});
