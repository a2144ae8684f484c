// loader/metal/precompile.ts with the pinned wasmtime CLI (loader/metal/wasmtime.ts): the
// flags carry every setting of METAL_ENGINE; kernel.wasm becomes a .cwasm (an ELF object
// with wasmtime's engine section) for x86_64-unknown-none; a module that is not valid Wasm
// is refused with a LoaderError naming it. Without the CLI (tests/setup.js installs it)
// the file is skipped, and under CI=true that fails.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { compileFlags, METAL_ENGINE, precompile } from "../../loader/metal/precompile";
import { findWasmtimeMetal, WASMTIME_METAL_PIP } from "../../loader/metal/wasmtime";
import { LoaderError } from "../../loader/errors";
import { WASM_DIR } from "../../hosts/node/paths";
import { skipOrFail } from "../e2e/linux";

const skip = skipOrFail(findWasmtimeMetal() === null ? `the wasmtime CLI for metal images is not installed (${WASMTIME_METAL_PIP}; tests/setup.js)` : null);

describe("precompiling for the metal host", { skip }, () => {
  it("passes every setting of METAL_ENGINE to wasmtime compile", () => {
    const flags = compileFlags().join(" ");
    assert.match(flags, new RegExp(`--target ${METAL_ENGINE.target}`));
    for (const [k, v] of Object.entries(METAL_ENGINE.tunables)) {
      assert.match(flags, new RegExp(`${k}=${typeof v === "boolean" ? (v ? "y" : "n") : v}(,|\\s|$)`), k);
    }
    for (const [k, v] of Object.entries(METAL_ENGINE.wasm)) assert.match(flags, new RegExp(`[ ,]${k}=${v ? "y" : "n"}(,|\\s|$)`), k);
    for (const f of METAL_ENGINE.cpuFeatures) assert.match(flags, new RegExp(`-C cranelift-${f.cranelift}=true`), f.cranelift);
  });

  it("turns kernel.wasm into a .cwasm for x86_64-unknown-none", () => {
    const out = precompile(fs.readFileSync(path.join(WASM_DIR, "kernel.wasm")), "kernel.wasm");
    assert.deepEqual([...out.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], "an ELF object");
    assert.equal(out[4], 2, "64-bit");
    assert.equal(new DataView(out.buffer, out.byteOffset).getUint16(18, true), 62, "x86-64 (EM_X86_64)");
    assert.ok(Buffer.from(out).includes(".wasmtime.engine"), "wasmtime's engine section, which the runtime checks");
  });

  it("refuses bytes that are not a module, naming them", () => {
    assert.throws(() => precompile(Uint8Array.from([0, 0x61, 0x73, 0x6d, 9, 9, 9, 9]), "broken.wasm"),
      (e: unknown) => e instanceof LoaderError && /^broken\.wasm: wasmtime 48\.0\.0 could not precompile it/.test(e.message));
  });
});
