// `persia cert` (cli/cert.ts) as a person runs it: `issue` signs with a seed file from
// `persia key new` and writes one base64 line; `show` prints every field and whether the
// signature is good; `verify` accepts a good chain for its address and, for a bad one,
// exits 1 naming the certificate (and its file) and why. Bad input — a key that is not
// one, a prefix with host bits, a seed file others may read, a file where a certificate
// belongs, an output over a key file, a time that is not ISO 8601 — is refused with what
// to do. No output holds a seed.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { ROOT } from "../../hosts/node/paths";

const CLI = path.join(ROOT, "cli/bin/persia.js");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-cert-"));
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 30000, cwd: dir });
const f = (name: string) => path.join(dir, name);

/** A new seed file, and its public key as `persia key new` prints it. */
function key(name: string): string {
  const r = run("key", "new", "-o", f(name));
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}
const root = key("root.key"), router = key("b.key"), host = key("h.key");
const seeds = ["root.key", "b.key", "h.key"].map((n) => fs.readFileSync(f(n), "utf8").trim());
const noSeed = (r: { stdout: string; stderr: string }) => seeds.forEach((s) => assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s)));

function issue(...args: string[]) { const r = run("cert", "issue", ...args); noSeed(r); return r; }

test("cert issue writes one base64 line of 168 bytes and prints every field", () => {
  const r = issue("--key", f("root.key"), "--prefix", "fd00:b::/64", "--holder", router, "--issuer", "--days", "30", "-o", f("now.cert"));
  assert.equal(r.status, 0, r.stderr);
  assert.match(fs.readFileSync(f("now.cert"), "utf8"), /^[A-Za-z0-9+/]{224}\n$/);
  assert.match(r.stdout, /prefix +fd00:b::\/64 \(a prefix\)\n/);
  assert.match(r.stdout, new RegExp(`holder +${router.replace(/[+/]/g, "\\$&")}\n`));
  assert.match(r.stdout, new RegExp(`issuer +${root.replace(/[+/]/g, "\\$&")}\n`));
  assert.match(r.stdout, /valid +\S+Z to \S+Z \(30 days; valid: expires in 2\d days\)\n/);
  assert.match(r.stdout, /flags +issuer/);
  assert.match(r.stdout, /signature +good/);
  const b = issue("--key", f("root.key"), "--prefix", "fd00:b::/64", "--holder", router, "--issuer", "--not-before", "2025-12-01T00:00:00Z",
    "-o", f("b.cert"));
  assert.equal(b.status, 0, b.stderr);
  const h = issue("--key", f("b.key"), "--prefix", "fd00:b::7", "--holder", host, "--days", "1", "--not-before", "2026-01-01T00:00:00Z",
    "-o", f("h.cert"));
  assert.equal(h.status, 0, h.stderr);
  assert.match(h.stdout, /prefix +fd00:b::7\/128 \(one address\)\n/);
  assert.match(h.stdout, /valid +2026-01-01T00:00:00Z to 2026-01-02T00:00:00Z/);
});

test("cert show prints each file's certificates, and says BAD for a changed one", () => {
  const r = run("cert", "show", f("h.cert"), f("b.cert"));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /h\.cert\n {2}prefix +fd00:b::7\/128[\s\S]*b\.cert\n {2}prefix +fd00:b::\/64/);
  const b = Buffer.from(fs.readFileSync(f("b.cert"), "utf8").trim(), "base64");
  b[30] ^= 1;                                              // a prefix byte: still well-formed
  fs.writeFileSync(f("changed.cert"), `${b.toString("base64")}\n`);
  assert.match(run("cert", "show", f("changed.cert")).stdout, /signature +BAD: it does not verify with the issuer key/);
  fs.writeFileSync(f("junk.cert"), "hello\n");
  const j = run("cert", "show", f("junk.cert"));
  assert.equal(j.status, 1);
  assert.match(j.stderr, /junk\.cert:1: not a certificate \(one line: the base64 of 168 bytes, as `persia cert issue` writes it\)/);
  assert.match(run("cert", "show", f("none.cert")).stderr, /cannot read .*none\.cert: there is no such file/);
});

test("cert verify accepts the chain for its address from the trusted key, at a time inside it", () => {
  const r = run("cert", "verify", f("h.cert"), f("b.cert"), "--address", "fd00:b::7", "--trust", `${root}=fd00::/16`,
    "--at", "2026-01-01T12:00:00Z");
  assert.equal(r.stdout.startsWith("fd00:b::7 is held by "), true, r.stderr);
  assert.match(r.stdout, /a chain of 2 certificates, good until 2026-01-02T00:00:00Z/);
  assert.equal(r.status, 0);
});

test("cert verify exits 1 naming the certificate, its file and why", () => {
  const at = ["--at", "2026-01-01T12:00:00Z"];
  const cases: [string[], RegExp][] = [
    [[f("h.cert"), f("b.cert"), "--address", "fd00:b::8", "--trust", `${root}=fd00::/16`, ...at],
      /refused: certificate 1 of 2 \(.*h\.cert\): its prefix does not contain the address/],
    [[f("h.cert"), f("b.cert"), "--address", "fd00:b::7", "--trust", `${root}=fd00:c::/32`, ...at],
      /refused: certificate 2 of 2 \(.*b\.cert\): its issuer is not trusted for the address/],
    [[f("h.cert"), "--address", "fd00:b::7", "--trust", `${root}=fd00::/16`, ...at],
      /refused: certificate 1 of 1 \(.*h\.cert\): its issuer is not trusted for the address/],
    [[f("h.cert"), f("b.cert"), "--address", "fd00:b::7", "--trust", `${root}=fd00::/16`, "--at", "2026-01-03T00:00:00Z"],
      /refused: certificate 1 of 2 \(.*h\.cert\): expired at 2026-01-02T00:00:00Z \(now 2026-01-03T00:00:00Z\)/],
    [[f("h.cert"), f("changed.cert"), "--address", "fd00:b::7", "--trust", `${root}=fd00::/16`, ...at],
      /refused: certificate 2 of 2 \(.*changed\.cert\): its prefix does not contain the prefix of certificate 0/],
    [[f("h.cert"), f("b.cert"), "--address", "fd00:b::7", ...at], /name at least one trusted key: --trust ed25519:<key>=<prefix>/],
    [[f("h.cert"), "--address", "fd00:b::/64", "--trust", `${root}=fd00::/16`], /--address fd00:b::\/64: give one address, not a prefix/],
    [[f("h.cert"), "--address", "fd00:b::7", "--trust", "fd00::/16"], /--trust "fd00::\/16": write ed25519:<key>=<prefix>/],
  ];
  for (const [args, want] of cases) {
    const r = run("cert", "verify", ...args);
    assert.equal(r.status, 1, `${args.join(" ")}: ${r.stdout}`);
    assert.match(r.stderr, want);
  }
});

test("cert issue refuses bad input, saying what to do", () => {
  fs.writeFileSync(f("open.key"), fs.readFileSync(f("root.key")), { mode: 0o644 });
  fs.chmodSync(f("open.key"), 0o644);
  fs.writeFileSync(f("junk.key"), "not a seed\n", { mode: 0o600 });
  const cases: [string[], RegExp][] = [
    [["--key", f("root.key"), "--prefix", "fd00:b::/64", "--holder", "ed25519:AAAA", "-o", f("x.cert")], /--holder "ed25519:AAAA" is not 32 bytes of base64/],
    [["--key", f("root.key"), "--prefix", "fd00:b::1/64", "--holder", router, "-o", f("x.cert")], /--prefix "fd00:b::1\/64" has host bits set/],
    [["--key", f("root.key"), "--prefix", "fd00:b::/64", "--holder", router, "--days", "0", "-o", f("x.cert")], /--days 0: give a whole number of days from 1 to 3650/],
    [["--key", f("open.key"), "--prefix", "fd00:b::/64", "--holder", router, "-o", f("x.cert")], /may be read by other users \(mode 0644\).*chmod 600/],
    [["--key", f("junk.key"), "--prefix", "fd00:b::/64", "--holder", router, "-o", f("x.cert")], /junk\.key is not an ed25519 seed file/],
    [["--key", f("root.key"), "--prefix", "fd00:b::/64", "--holder", router, "--not-before", "yesterday", "-o", f("x.cert")],
      /--not-before "yesterday" is not a time; write ISO 8601/],
    [["--key", f("root.key"), "--prefix", "fd00:b::/64", "--holder", router, "-o", f("h.key")],
      /h\.key exists and is not a certificate file; it is not overwritten/],
  ];
  for (const [args, want] of cases) {
    const r = issue(...args);
    assert.equal(r.status, 1, args.join(" "));
    assert.match(r.stderr, want);
  }
  assert.equal(fs.existsSync(f("x.cert")), false, "nothing written on a refusal");
  assert.equal(fs.readFileSync(f("h.key"), "utf8").trim(), seeds[2], "the key file is intact");
});
