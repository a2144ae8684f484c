// Precompiles a module for the metal host: the pinned wasmtime CLI (wasmtime.ts) turns
// kernel.wasm or a metered service into a .cwasm for `x86_64-unknown-none`, which the
// `wasmtime` crate in hosts/metal deserializes and runs (spec/metal.md "Engine").
// METAL_ENGINE is the one list of the settings involved: this file turns it into CLI
// flags, abi/gen_rust.ts writes it into abi/gen/persia_abi.rs, and the metal host's Config
// sets the same values from there (hosts/metal/src/node/engine.rs). A .cwasm whose settings
// differ from the runtime's is refused when the host deserializes it, naming the setting.
// Does not validate or meter a service (loader/wasm/validate.ts and loader/instrument/
// fuel.ts do, before this), nor lay out the payload (payload.ts).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { MTL_WASMTIME } from "../../abi/metal";
import { LoaderError } from "../errors";
import { ensureWasmtimeMetal } from "./wasmtime";

/** What the metal platform needs of compiled code, and why each is set. */
export const METAL_ENGINE = {
  target: "x86_64-unknown-none",
  /** wasmtime's tunables (-O): memory is plain heap, identity-mapped, with no MMU tricks. */
  tunables: {
    /** no virtual memory to reserve: a memory is allocated at its size and moves when it grows */
    "memory-reservation": 0,
    /** no guard pages: every access is bounds-checked in code instead */
    "memory-guard-size": 0,
    /** nothing kept spare past a memory's end (it would be real RAM) */
    "memory-reservation-for-growth": 0,
    /** no signal handlers on metal: traps are explicit checks that return an error */
    "signals-based-traps": false,
    /** no copy-on-write mappings: data segments are copied in at instantiation */
    "memory-init-cow": false,
  } as Record<string, number | boolean>,
  /** x86 features the code may use. SSE4.1 gives f32/f64 ceil, floor, trunc and nearest as
   *  instructions instead of libcalls: the x86_64-unknown-none host is soft-float, so a
   *  float passed to a libcall would take the wrong registers. The host checks each with
   *  CPUID before it loads any code. */
  cpuFeatures: [
    { cranelift: "has_sse3", rust: "sse3" },
    { cranelift: "has_ssse3", rust: "ssse3" },
    { cranelift: "has_sse41", rust: "sse4.1" },
    { cranelift: "has_sse42", rust: "sse4.2" },
    { cranelift: "has_popcnt", rust: "popcnt" },
  ],
  /** WebAssembly proposals (-W) the no_std runtime (crate features `runtime` and
   *  `custom-virtual-memory` only) has no support for: off, so that the .cwasm's recorded
   *  features are a subset of the runtime's. */
  wasm: {
    "gc-support": false,
    "gc": false,
    "exceptions": false,
    "function-references": false,
    "threads": false,
    "component-model": false,
    "component-model-async": false,
    "stack-switching": false,
    "concurrency-support": false,
  } as Record<string, boolean>,
};

function optionValue(v: number | boolean): string {
  return typeof v === "boolean" ? (v ? "y" : "n") : String(v);
}

/** The `wasmtime compile` arguments before the input file. */
export function compileFlags(): string[] {
  const opt = Object.entries(METAL_ENGINE.tunables).map(([k, v]) => `${k}=${optionValue(v)}`).join(",");
  const wasm = Object.entries(METAL_ENGINE.wasm).map(([k, v]) => `${k}=${optionValue(v)}`).join(",");
  const isa = METAL_ENGINE.cpuFeatures.map((f) => `cranelift-${f.cranelift}=true`);
  return ["--target", METAL_ENGINE.target, "-O", opt, "-W", wasm, ...isa.flatMap((c) => ["-C", c])];
}

/** `label`'s module precompiled for the metal host (a .cwasm: an ELF object wasmtime
 *  deserializes). Throws a LoaderError when the CLI cannot be had or refuses the module. */
export function precompile(wasm: Uint8Array, label: string): Uint8Array {
  const cli = ensureWasmtimeMetal();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-metal-"));
  try {
    const input = path.join(dir, "in.wasm"), output = path.join(dir, "out.cwasm");
    fs.writeFileSync(input, wasm);
    const r = spawnSync(cli, ["compile", ...compileFlags(), input, "-o", output], { encoding: "utf8" });
    if (r.status !== 0 || !fs.existsSync(output)) {
      const why = `${r.error?.message ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(0, 4).join(" ");
      throw new LoaderError(label, `wasmtime ${MTL_WASMTIME} could not precompile it for the metal host: ${why || `exit ${r.status}`}`,
        "Check that the module passes the loader's validation, and that build/tools holds the pinned CLI (loader/metal/wasmtime.ts).");
    }
    return new Uint8Array(fs.readFileSync(output));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
