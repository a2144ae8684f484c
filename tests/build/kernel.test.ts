// Properties of the built artefacts that no unit test can see: the kernel allocates only
// while it starts (never per packet), its surface is exactly the contract, and the
// generated C header is valid C. Reads build/wasm/kernel.wat, which `persia build` writes
// next to kernel.wasm.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { ROOT } from "../../hosts/node/paths";
import { KERNEL_EXPORTS, HOST_IMPORTS, HOST_MODULE } from "../../abi/contract";

const wat = fs.readFileSync(path.join(ROOT, "build/wasm/kernel.wat"), "utf8");

/** For each function in the text module, the functions it calls. */
function callGraph(text: string): Map<string, Set<string>> {
  const g = new Map<string, Set<string>>();
  let current = "";
  for (const line of text.split("\n")) {
    const f = /^ \(func (\$\S+)/.exec(line);
    if (f) { current = f[1]; g.set(current, new Set()); continue; }
    const c = /^\s*call (\$\S+)/.exec(line);
    if (c && current) g.get(current)!.add(c[1]);
  }
  return g;
}

test("the kernel allocates memory only while it starts, never on a call from its host", () => {
  const g = callGraph(wat);
  const allocators = new Set([...g.keys()].filter((f) => /~lib\/rt\/stub\/__(new|alloc|renew|realloc)$/.test(f)));
  assert.ok(allocators.size > 0, "found the runtime's allocator in kernel.wat");
  const reaches = (f: string, seen = new Set<string>()): boolean => {
    if (allocators.has(f)) return true;
    if (seen.has(f)) return false;
    seen.add(f);
    return [...(g.get(f) ?? [])].some((c) => reaches(c, seen));
  };
  for (const e of KERNEL_EXPORTS) {
    const fn = `$kernel/main/${e.name}`;
    assert.ok(g.has(fn), `${e.name} is in kernel.wat`);
    assert.equal(reaches(fn), false, `${e.name} can reach the allocator`);
  }
});

test("kernel.wasm exports and imports exactly what abi/contract.ts says", () => {
  const mod = new WebAssembly.Module(fs.readFileSync(path.join(ROOT, "build/wasm/kernel.wasm")));
  const exports = WebAssembly.Module.exports(mod).filter((e) => e.kind === "function").map((e) => e.name).sort();
  assert.deepEqual(exports, KERNEL_EXPORTS.map((f) => f.name).sort());
  const imports = WebAssembly.Module.imports(mod).filter((i) => i.module === HOST_MODULE).map((i) => i.name).sort();
  assert.deepEqual(imports, HOST_IMPORTS.map((f) => f.name).sort());
});

test("the generated C header abi/gen/persia_abi.h compiles", () => {
  const r = spawnSync("cc", ["-std=c11", "-Wall", "-Werror", "-fsyntax-only", "-x", "c", path.join(ROOT, "abi/gen/persia_abi.h")],
    { encoding: "utf8" });
  if (r.error) throw new Error(`cc is needed to check the C header: ${r.error.message}`);
  assert.equal(r.status, 0, r.stderr);
});
