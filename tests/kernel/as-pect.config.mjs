// as-pect configuration for the kernel's unit tests. The kernel's host imports are
// served by a mock host (tests/kernel/mock-host.mjs) that records every frame the
// kernel sends and every log line, and gives tests deterministic "randomness".
//
// as-pect compiles each spec file into its own module and instantiates it through
// instantiate() below, so every spec starts from a fresh kernel. createImports() merges
// our import modules with as-pect's own (__aspect, rtrace, env.abort/trace); instantiate
// is @assemblyscript/loader's. The module exports its memory (as-pect.asconfig.json), so
// none is imported; the mock reads it once bound to the instance.
//
// as-pect.asconfig.json names outFile "output.wasm" because as-pect picks the binary out of
// asc's outputs by that name; without it asc prints the module as text and as-pect hands
// `undefined` to the loader. It names no textFile on purpose: printing the kernel's 4.7 MB
// packet pool as text made each compile ~10x slower (so --output-binary is unsupported).
//
// PERSIA_SPEC=<glob> runs only the matching spec files (as-pect adds command-line globs to
// `entries` instead of replacing them, and its --disclude flag is not wired up in 8.1.0).
// PERSIA_SPEC_PART=k/n runs every n-th spec file of the sorted list, from the k-th: tests/run.js
// runs the parts at once, each in its own as-pect process.
import * as fs from "fs";
import * as path from "path";
import { mockHost } from "./mock-host.mjs";

function specFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.posix.join(dir, e.name);
    return e.isDirectory() ? specFiles(p) : e.name.endsWith(".spec.ts") ? [p] : [];
  });
}

function entries() {
  if (process.env.PERSIA_SPEC) return [process.env.PERSIA_SPEC];
  const part = /^(\d+)\/(\d+)$/.exec(process.env.PERSIA_SPEC_PART ?? "");
  if (!part) return ["tests/kernel/**/*.spec.ts"];
  const [k, n] = [Number(part[1]), Number(part[2])];
  if (!(k >= 1 && k <= n)) throw new Error(`PERSIA_SPEC_PART=${process.env.PERSIA_SPEC_PART}: k/n needs 1 <= k <= n`);
  return specFiles("tests/kernel").sort().filter((_, i) => i % n === k - 1);
}

export default {
  entries: entries(),
  include: ["tests/kernel/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(_memory, createImports, instantiate, binary) {
    const host = mockHost();
    const result = await instantiate(binary, createImports(host.imports));
    host.bind(result.instance);
    return result;
  },
  outputBinary: false,
};
