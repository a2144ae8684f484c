// RAM admission (issue #5): with node.ram, the services' RAM mins — rounded up to 64 KiB
// Wasm pages, as the kernel grants them — must fit the budget; the refusal names the
// budget, every admitted service's min and the amount over, at the line of the min at fault.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { parseManifest } from "../../loader/manifest";
import { errorsOf } from "./refused";

const doc = (budget: string, mins: string[]) => `node:
  name: ram.sabz.city
  role: server
  ram: ${budget}
nics: []
services:
${mins.map((m, i) => `  - { domain: s${i}.sabz.city, module: x.wasm, addresses: ["fd00::${i + 1}"], ram: { min: ${m}, max: 1MiB } }`).join("\n")}
`;

test("mins that fit the budget are admitted", () => {
  const m = parseManifest(doc("1MiB", ["512KiB", "512KiB"]), "node.yaml", "/srv");
  assert.equal(m.node.ram, 1048576);
});

test("a min over what is left is refused with the sum and the excess, rounded to pages", () => {
  const errors = errorsOf(doc("1MiB", ["512KiB", "600KiB", "100KiB"]));
  assert.deepEqual(errors.map((e) => [e.line, e.path]), [[8, "services[1].ram.min"]]);
  assert.equal(errors[0].message, "the node's RAM budget (node.ram) is 1MiB; the mins add up to 1152KiB " +
    "(s0.sabz.city 512KiB, this 640KiB): 128KiB too much");
});

test("without node.ram nothing is checked", () => {
  assert.doesNotThrow(() => parseManifest(doc("null", ["1MiB", "1MiB", "1MiB"]).replace("  ram: null\n", ""), "node.yaml", "/srv"));
});
