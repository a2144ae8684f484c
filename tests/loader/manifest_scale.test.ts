// A thousand services (issue #17): a manifest with 1,000 services loads and compiles, each
// service id (past 255, where a u8 would wrap) survives the boot manifest's encoding, and
// one with SVC_MAX + 1 is refused with an error that names the field; `persia status` of
// 1,000 services is a summary, not 1,000 rows.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { parseManifest, compileManifest } from "../../loader/manifest";
import { decodeBootManifest } from "../../loader/manifest/boot";
import { SVC_MAX } from "../../abi/limits";
import { errorsOf } from "./refused";
import { decodeStatus } from "../../loader/status/decode";
import { formatStatus, ROWS_SHOWN } from "../../loader/status/format";
import { ST_MAGIC, ST_VERSION } from "../../abi/status";

/** A status snapshot with no records. */
function emptyStatus(): Uint8Array {
  const b = new Uint8Array(8), v = new DataView(b.buffer);
  v.setUint32(0, ST_MAGIC, true); v.setUint16(4, ST_VERSION, true);
  return b;
}

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

test("persia status with 1,000 services shows the notable ones and counts the rest, not 1,000 rows", () => {
  const svc = (id: number, state: string, rx: number, faults = 0) => ({ id, name: `e${id}.sabz.city`, state, lastFault: "NONE",
    restarts: 0, queue: 0, rxPackets: rx, txPackets: 0, faults, sendRefused: 0, fuel: 0 });
  const services = Array.from({ length: 1000 }, (_, i) => svc(i, i === 500 ? "FAILED" : "RUNNING", i === 7 ? 99 : 0, i === 900 ? 1 : 0));
  const text = formatStatus({ ...decodeStatus(emptyStatus()), services } as never);
  const rows = text.split("\n").filter((l) => /^\s*\d+\s+e\d+\.sabz\.city/.test(l));
  assert.equal(rows.length, ROWS_SHOWN);
  for (const id of [7, 500, 900]) assert.ok(rows.some((r) => r.includes(` e${id}.sabz.city`)), `service ${id} is shown`);
  assert.match(text, /1000 services: 999 running, 1 failed;.*--format json` lists all/);
});
