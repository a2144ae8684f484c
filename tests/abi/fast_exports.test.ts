// The modules whose exports the Node host reads for every frame keep their module object in
// V8's fast mode (issue #17). Compiled to CommonJS, `export { X } from "…"` becomes a getter
// defined on `exports`, and that turns the whole module object into a dictionary: every
// `recSize`, `REC_HDR` or `Buf` a host reads through it is then a hash lookup. abi/kernel.ts
// had one such re-export (ETH_HDR), and `rxQueue`'s JavaScript took 67 ns a frame where it
// takes 27 (recSize alone 28 ns against 6; spec/performance.md "Module objects"). Checks, in a
// child Node with --allow-natives-syntax, %HasFastProperties of each module object, and that
// none of their exports is an accessor (the cause named in the failure).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "path";
import { spawnSync } from "child_process";

const BUILD = path.resolve(__dirname, "../..");
/** What the host's frame paths (hosts/node/kernel.ts, node.ts, nic/*.ts) import and read per frame. */
const HOT = ["abi/kernel", "abi/limits", "abi/errno", "wire/layout/ethernet", "wire/layout/ipv6", "wire/layout/udp",
  "wire/layout/tcp", "hosts/node/nic/offload", "hosts/node/memview", "hosts/node/nic/csum"];

test("the modules a host reads per frame keep fast module objects: no export is a getter", () => {
  const script = `
    const out = {};
    for (const m of ${JSON.stringify(HOT)}) {
      const x = require(${JSON.stringify(BUILD)} + "/" + m);
      const getters = Object.keys(x).filter((k) => Object.getOwnPropertyDescriptor(x, k).get !== undefined);
      out[m] = { fast: %HasFastProperties(x), getters };
    }
    process.stdout.write(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ["--allow-natives-syntax", "-e", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const found = JSON.parse(r.stdout) as Record<string, { fast: boolean; getters: string[] }>;
  for (const m of HOT) {
    assert.deepEqual(found[m].getters, [], `${m}.ts re-exports ${found[m].getters.join(", ")} (\`export { … } from\`): ` +
      "import it and export a const of this module instead");
    assert.ok(found[m].fast, `${m}'s module object is a dictionary: a host's per-frame reads of it are hash lookups`);
  }
});
