// CPU grants in the manifest (issue #5): `cpu: { min, max }` as percentages of each
// scheduling period, compiled to CPU records in permille; min over max, an unparseable
// share, and mins adding up to more than the whole period are refused at their line.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { parseManifest, compileManifest, decodeBootManifest } from "../../loader/manifest";
import { errorsOf } from "./refused";

const doc = (cpus: string[]) => `node: { name: cpu.sabz.city, role: server }
nics: []
services:
${cpus.map((c, i) => `  - { domain: s${i}.sabz.city, module: x.wasm, addresses: ["fd00::${i + 1}"], ram: { min: 64KiB, max: 1MiB }${c} }`).join("\n")}
`;

test("shares compile to CPU records in permille; no max means all of the period (0 on the wire)", () => {
  const m = parseManifest(doc([", cpu: { min: 12.5%, max: 40% }", ", cpu: { min: 30 }", ""]), "node.yaml", "/srv");
  assert.deepEqual(decodeBootManifest(compileManifest(m).boot).cpus, [{ svc: 0, min: 125, max: 400 }, { svc: 1, min: 300, max: 0 }]);
});

test("a min over its max, a bad share and mins over 100 % are refused where they stand", () => {
  const errors = errorsOf(doc([", cpu: { min: 60%, max: 50% }", ", cpu: { min: 2 GHz }", ", cpu: { min: 70% }", ", cpu: { min: 40% }"]));
  assert.deepEqual(errors.map((e) => [e.line, e.path]), [
    [4, "services[0].cpu.min"], [5, "services[1].cpu.min"], [7, "services[3].cpu.min"]]);
  assert.match(errors[0].message, /"60%" is more than cpu.max/);
  assert.match(errors[1].message, /is not a CPU share; write a percentage from 0% to 100%/);
  assert.equal(errors[2].message, "the CPU mins add up to 110% (s2.sabz.city 70%, this 40%): 10% more than the whole period");
});
