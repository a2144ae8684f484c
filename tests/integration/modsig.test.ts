// Signed modules on a real node under Node (spec/security.md, "Signed modules"): with
// domains: in the manifest, a node boots only modules signed for their domain by a trusted
// publisher key and LOADs only those; the loader refuses an unsigned module with its file
// and line first, and the kernel refuses one that changed after the loader read it
// (boot) or that is signed for another domain (LOAD), naming the module and the reason.
// Without domains:, nothing is checked and boot and status say so.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Errno } from "../../abi/errno";
import { parseManifest, ManifestError } from "../../loader/manifest";
import { keyFromSeed, publicKeyText } from "../../loader/control/message";
import { signModule } from "../../loader/modsig/sign";
import { customSection } from "../../loader/modsig/format";
import { launch } from "../../hosts/node/launch";
import { ROOT, WASM_DIR } from "../../hosts/node/paths";
import { formatStatus } from "../../loader/status/format";
import { ALICE, MAC, Ctl, svcYaml } from "./ctl";
import { withBench } from "./bench";

const SABZ = new Uint8Array(32).fill(7), OTHER = new Uint8Array(32).fill(8);
const ECHO = fs.readFileSync(path.join(WASM_DIR, "services/echo.wasm"));
const KV = fs.readFileSync(path.join(WASM_DIR, "services/kv.wasm"));
const key = (seed: Uint8Array) => publicKeyText(keyFromSeed(seed).publicKey);

/** A node of echo.sabz.city (module `echo`) with a store of `store` files, trusting SABZ for
 *  sabz.city and OTHER for other.city. */
function nodeYaml(echo: string, store: string[], domains = true): string {
  return `
node: { name: ms.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "${MAC}", prefixes: ["fd00:5ab2:1::/64"] }
services:
  - { domain: echo.sabz.city, module: ${echo}, addresses: ["fd00:5ab2:1::7"], ram: { min: 128KiB, max: 256KiB } }
users:
  - { name: alice, key: "${publicKeyText(ALICE.publicKey)}", domains: [a.sabz.city], addresses: ["fd00:5ab2:1::a0/124"] }
store:
${store.map((m) => `  - { module: ${m}, ram: 1MiB }`).join("\n")}
${domains ? `domains:
  - { domain: sabz.city, publishers: ["${key(SABZ)}"] }
  - { domain: other.city, publishers: ["${key(OTHER)}"] }` : ""}
`;
}

function withDir(body: (at: (f: string, b?: Uint8Array) => string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-modsig-"));
  const at = (f: string, b?: Uint8Array) => { const p = path.join(dir, f); if (b) fs.writeFileSync(p, b); return p; };
  return body(at).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
}

it("the loader refuses an unsigned module, or one signed by a key not trusted for its domain, with its file and line", async () => {
  await withDir(async (at) => {
    const yaml = nodeYaml(at("echo.wasm", ECHO), [at("kv.wasm", signModule(KV, SABZ))]);
    let text = "";
    try { parseManifest(yaml, "ms.yaml", ROOT); } catch (e) { assert.ok(e instanceof ManifestError); text = e.message; }
    assert.match(text, /ms\.yaml:6.*services\[0\]\.module.*echo\.wasm is refused: it is not signed/s, text);
    const other = nodeYaml(at("echo2.wasm", signModule(ECHO, OTHER)), [at("kv.wasm")]);
    assert.throws(() => parseManifest(other, "ms.yaml", ROOT), /no publisher key in the manifest's domains: signs for its domain|no signature on it verifies/);
    assert.doesNotThrow(() => parseManifest(nodeYaml(at("echo3.wasm", signModule(ECHO, SABZ)), [at("kv.wasm")]), "ms.yaml", ROOT));
  });
});

it("the kernel refuses to boot a module that changed after the loader checked it, naming it and the reason", async () => {
  await withDir(async (at) => {
    const echo = at("echo.wasm", signModule(ECHO, SABZ));
    const m = parseManifest(nodeYaml(echo, [at("kv.wasm", signModule(KV, OTHER))]), "ms.yaml", ROOT);
    fs.appendFileSync(echo, customSection("added", Uint8Array.of(1)));   // still a valid module, no longer the one signed
    await assert.rejects(launch(m, { autoPoll: false }),
      /refused to boot.*boot refused: the module of echo\.sabz\.city is not signed for it.*its sections do not match the hashes its signature covers/s);
  });
});

it("a LOAD of a store module signed for its domain starts it; one signed for another domain is refused with EACCES and the reason", async () => {
  await withDir(async (at) => {
    const good = at("kv-sabz.wasm", signModule(KV, SABZ)), foreign = at("kv-other.wasm", signModule(KV, OTHER));
    const yaml = nodeYaml(at("echo.wasm", signModule(ECHO, SABZ)), [good, foreign]);
    await withBench(yaml, [{ nic: "lan0", mac: "02:00:00:00:00:99", addr: "fd00:5ab2:1::100" }], async (b) => {
      const c = new Ctl(b, yaml);
      const bad = await c.load(ALICE, svcYaml("kv.a.sabz.city", "fd00:5ab2:1::a2", "", foreign));
      assert.equal(bad.result, -Errno.EACCES, bad.text);
      assert.match(bad.text, /cannot load kv\.a\.sabz\.city: its module is not signed for it.*no signature on it verifies with a publisher key the node trusts for its domain/);
      assert.equal(b.node.status().services.some((s) => s.name === "kv.a.sabz.city"), false, "nothing of it stays");
      const ok = await c.load(ALICE, svcYaml("kv.a.sabz.city", "fd00:5ab2:1::a2", "", good));
      assert.equal(ok.result, 0, ok.text);
      assert.ok(await b.until(() => b.service("kv.a.sabz.city").state === "RUNNING", 50));
      assert.match(formatStatus(b.node.status()), /modules: signatures checked/);
    });
  });
});

it("without domains: nothing is checked, and the boot log and status say so", async () => {
  await withDir(async (at) => {
    const yaml = nodeYaml(at("echo.wasm", ECHO), [at("kv.wasm", KV)], false);
    await withBench(yaml, [], async (b) => {
      assert.ok(b.logs.some((l) => /module signatures are NOT checked/.test(l)), b.logs.join("\n"));
      assert.match(formatStatus(b.node.status()), /modules: WARNING: signatures NOT checked/);
    });
  });
});
