// `persia key` for WireGuard (cli/key.ts, loader/wg/keys.ts): `key new --kind x25519`
// writes a clamped key in `wg genkey`'s format with mode 0600 and prints its public key as
// `wg pubkey` does (checked against Node's crypto, and against the wg tool when it is
// installed: tests/setup.js installs wireguard-tools); `key pub` reads a file from
// `wg genkey` or from `persia key new`; a key file others may read is refused with the
// chmod to run; no output holds the private key. The ed25519 user keys are unchanged.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { createPrivateKey, createPublicKey } from "crypto";
import { ROOT } from "../../hosts/node/paths";

const CLI = path.join(ROOT, "cli/bin/persia.js");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-key-"));
const persia = (...args: string[]) => spawnSync(process.execPath, [CLI, "key", ...args], { encoding: "utf8", timeout: 30000 });
const wgTool = spawnSync("sh", ["-c", "command -v wg"]).status === 0;
const wgSkip = wgTool ? false : "missing wg (Debian's wireguard-tools; run `node tests/setup.js` as root)";
if (wgSkip && process.env.CI === "true") throw new Error(`required under CI: ${wgSkip}`);

/** The public key of a base64 private key by Node's crypto (a JWK, not loader/wg/keys.ts's DER). */
function nodePublic(b64: string): string {
  const d = Buffer.from(b64, "base64");
  const jwk = createPublicKey(createPrivateKey({ key: { kty: "OKP", crv: "X25519", d: d.toString("base64url"),
    x: "" }, format: "jwk" })).export({ format: "jwk" });
  return Buffer.from(jwk.x as string, "base64url").toString("base64");
}

test("key new --kind x25519: a 0600 file of one base64 line, clamped, and the public key as wg pubkey prints it", () => {
  const file = path.join(dir, "edge.key");
  const r = persia("new", "--kind", "x25519", "-o", file);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const text = fs.readFileSync(file, "utf8");
  assert.match(text, /^[A-Za-z0-9+/]{43}=\n$/);
  const priv = Buffer.from(text.trim(), "base64");
  assert.deepEqual([priv[0] & 7, priv[31] & 0xc0], [0, 0x40], "clamped as wg genkey clamps");
  assert.equal(r.stdout, `${nodePublic(text.trim())}\n`);
  assert.ok(!r.stdout.includes(text.trim()) && !r.stderr.includes(text.trim()), "the private key is never printed");
  assert.equal(persia("pub", file).stdout, r.stdout, "key pub prints the same public key");
  assert.notEqual(persia("new", "--kind", "x25519", "-o", file).status, 0, "never over an existing file");
});

test("the wg tool agrees: wg pubkey of persia's key, and persia key pub of wg genkey's", { skip: wgSkip }, () => {
  const file = path.join(dir, "cmp.key");
  const made = persia("new", "--kind", "x25519", "-o", file).stdout;
  assert.equal(spawnSync("wg", ["pubkey"], { input: fs.readFileSync(file), encoding: "utf8" }).stdout, made);
  const gen = spawnSync("wg", ["genkey"], { encoding: "utf8" }).stdout;
  const wgFile = path.join(dir, "wg.key");
  fs.writeFileSync(wgFile, gen, { mode: 0o600 });
  assert.equal(persia("pub", wgFile).stdout, spawnSync("wg", ["pubkey"], { input: gen, encoding: "utf8" }).stdout);
});

test("key pub refuses a key file others may read, saying chmod 600, and a file that is no key", () => {
  const file = path.join(dir, "open.key");
  fs.writeFileSync(file, `${Buffer.alloc(32, 7).toString("base64")}\n`);
  fs.chmodSync(file, 0o644);
  const r = persia("pub", file);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /may be read by other users \(mode 0644\).*chmod 600 .*open\.key/);
  assert.ok(!r.stderr.includes(Buffer.alloc(32, 7).toString("base64")));
  fs.writeFileSync(path.join(dir, "no.key"), "hello\n", { mode: 0o600 });
  assert.match(persia("pub", path.join(dir, "no.key")).stderr, /is not a WireGuard key file/);
});

test("the user keys stay as they were: key new and show are ed25519 unless told otherwise", () => {
  const file = path.join(dir, "alice.key");
  const r = persia("new", "-o", file);
  assert.match(r.stdout, /^ed25519:[A-Za-z0-9+/]{43}=\n$/);
  assert.equal(persia("show", file).stdout, r.stdout);
});
