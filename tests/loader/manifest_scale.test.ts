// A thousand services (issue #17): a manifest with 1,000 services loads and compiles, each
// service id (past 255, where a u8 would wrap) survives the boot manifest's encoding, and
// one with SVC_MAX + 1 is refused with an error that names the field.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { parseManifest, compileManifest } from "../../loader/manifest";
import { decodeBootManifest } from "../../loader/manifest/boot";
import { SVC_MAX } from "../../abi/limits";
import { errorsOf } from "./refused";

function manifest(n: number): string {
  const lines = ["node: { name: n.sabz.city, role: router }", "nics:",
    '  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:1::/64"] }', "services:"];
  for (let i = 0; i < n; i++) {
    lines.push(`  - { domain: e${i}.sabz.city, module: /srv/echo.wasm, addresses: ["fd00:1::1:${i.toString(16)}"], ram: { min: 64KiB, max: 1MiB }, cpu: { min: 0, max: 1 } }`);
  }
  return lines.join("\n") + "\n";
}

test("1,000 services load, and every id past 255 survives the boot manifest", () => {
  const { boot, plan } = compileManifest(parseManifest(manifest(1000), "n.yaml", "/srv"));
  assert.equal(plan.services.length, 1000);
  const m = decodeBootManifest(boot);
  assert.deepEqual(m.services.map((s) => s.id), [...Array(1000).keys()]);
  assert.deepEqual(m.svcAddrs.map((a) => a.svc), [...Array(1000).keys()]);
  assert.deepEqual(m.cpus.map((c) => c.svc), [...Array(1000).keys()]);
  assert.equal(m.services[999].name, "e999.sabz.city");
});

test(`${SVC_MAX + 1} services are refused, naming the field`, () => {
  const errors = errorsOf(manifest(SVC_MAX + 1));
  assert.ok(errors.some((e) => e.path === "services" && new RegExp(`${SVC_MAX}`).test(e.message)),
    errors.map((e) => `${e.path}: ${e.message}`).join("; "));
});
