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
import { mockHost } from "./mock-host.mjs";

export default {
  entries: [process.env.PERSIA_SPEC || "tests/kernel/**/*.spec.ts"],
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
