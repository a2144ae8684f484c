// A service's restart policy (issue #5): `restart: { limit, backoff, backoff_max }`; the
// delays compile to a RESTART boot record, missing ones take abi/manifest.ts's defaults,
// and a first delay longer than the longest, or a bad duration, is refused at its line.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { parseManifest, compileManifest, decodeBootManifest } from "../../loader/manifest";
import { RS_DEFAULT_MAX_MS } from "../../abi/manifest";
import { errorsOf } from "./refused";

const doc = (restarts: string[]) => `node: { name: rs.sabz.city, role: server }
nics: []
services:
${restarts.map((r, i) => `  - { domain: s${i}.sabz.city, module: x.wasm, addresses: ["fd00::${i + 1}"], ram: { min: 64KiB, max: 1MiB }${r} }`).join("\n")}
`;

test("backoffs compile to RESTART records; none without them", () => {
  const m = parseManifest(doc([", restart: { limit: 2, backoff: 250ms, backoff_max: 2s }", ", restart: { backoff: 50 }", ""]), "n.yaml", "/srv");
  assert.deepEqual(decodeBootManifest(compileManifest(m).boot).restarts,
    [{ svc: 0, first: 250, max: 2000 }, { svc: 1, first: 50, max: RS_DEFAULT_MAX_MS }]);
});

test("a first delay over the longest and a bad duration are refused", () => {
  const errors = errorsOf(doc([", restart: { backoff: 5s, backoff_max: 1s }", ", restart: { backoff: soon }"]));
  assert.deepEqual(errors.map((e) => [e.line, e.path]), [[4, "services[0].restart.backoff"], [5, "services[1].restart.backoff"]]);
  assert.match(errors[0].message, /first restart delay \(5000 ms\) is longer than the longest \(1000 ms\)/);
  assert.match(errors[1].message, /is not a duration; write whole milliseconds or seconds/);
});
