// The modules the Node host runs for every frame keep their module objects in V8's fast mode
// (issue #17). Compiled to CommonJS, `export { X } from "…"` (or `export { X }` of an imported
// X) becomes a getter defined on `exports`, and that turns the whole module object into a
// dictionary: every `recSize`, `REC_HDR` or `Buf` a host reads through it, and every exported
// constant the module reads of itself, is then a hash lookup. abi/kernel.ts had one such
// re-export (ETH_HDR), and `rxQueue`'s JavaScript took 67 ns a frame where it takes 27
// (spec/performance.md "Module objects"). The check loads what a node loads
// (hosts/node/launch: the node, the kernel glue, every NIC backend, USB) in a child Node with
// --allow-natives-syntax, and asks %HasFastProperties of every module of abi/, wire/ and
// hosts/ it loaded, and that none of their exports is an accessor (the cause, named in the
// failure). loader/ is left out: it runs at start-up and on control messages, not per frame.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "path";
import { spawnSync } from "child_process";

const BUILD = path.resolve(__dirname, "../..");
const CHECKED = ["abi/", "wire/", "hosts/"];

test("every module a node runs per frame keeps a fast module object: no export is a getter", () => {
  const probe = spawnSync(process.execPath, ["--allow-natives-syntax", "-e", "%HasFastProperties({})"], { encoding: "utf8", timeout: 10_000 });
  assert.equal(probe.status, 0, `this Node cannot run the check (node --allow-natives-syntax with %HasFastProperties): ${probe.stderr}`);
  const script = `
    require(${JSON.stringify(path.join(BUILD, "hosts/node/launch"))});
    const out = {};
    for (const file of Object.keys(require.cache)) {
      const rel = file.startsWith(${JSON.stringify(BUILD + "/")}) ? file.slice(${BUILD.length + 1}).replace(/\\.js$/, "") : null;
      if (rel === null || !${JSON.stringify(CHECKED)}.some((d) => rel.startsWith(d))) continue;
      const x = require.cache[file].exports;
      const getters = Object.keys(x).filter((k) => Object.getOwnPropertyDescriptor(x, k).get !== undefined);
      out[rel] = { fast: %HasFastProperties(x), getters };
    }
    process.stdout.write(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ["--allow-natives-syntax", "-e", script], { encoding: "utf8", timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  const found = JSON.parse(r.stdout) as Record<string, { fast: boolean; getters: string[] }>;
  // What a node runs per frame must be among what was checked, or the check proves nothing.
  for (const m of ["abi/kernel", "abi/limits", "wire/layout/ethernet", "hosts/node/kernel", "hosts/node/node",
    "hosts/node/nic/tap", "hosts/node/nic/tap_device", "hosts/node/nic/offload", "hosts/node/nic/vxlan", "hosts/node/nic/wireguard", "hosts/node/usb"]) {
    assert.ok(m in found, `${m} was not loaded by hosts/node/launch: the check does not reach it`);
  }
  for (const [m, { fast, getters }] of Object.entries(found)) {
    assert.deepEqual(getters, [], `${m}.ts re-exports ${getters.join(", ")} (\`export { … }\` of an import): ` +
      "import it under another name and export a const of this module instead");
    assert.ok(fast, `${m}'s module object is a dictionary: a host's reads of it are hash lookups`);
  }
});
