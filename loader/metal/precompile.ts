// Precompiles a module for the metal host: the pinned wasmtime CLI (wasmtime.ts) turns
// kernel.wasm or a metered service into a .cwasm for `x86_64-unknown-none`, which the
// `wasmtime` crate in hosts/metal deserializes and runs (spec/metal.md "Engine").
// abi/metal_engine.ts METAL_ENGINE is the one list of the settings involved: this file
// turns it into CLI flags, abi/gen_rust.ts writes it into abi/gen/persia_abi.rs, and the metal host's Config
// sets the same values from there (hosts/metal/src/node/engine.rs). A .cwasm whose settings
// differ from the runtime's is refused when the host deserializes it, naming the setting.
// Does not validate or meter a service (loader/wasm/validate.ts and loader/instrument/
// fuel.ts do, before this), nor lay out the payload (payload.ts).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { MTL_WASMTIME } from "../../abi/metal";
import { METAL_ENGINE } from "../../abi/metal_engine";
import { LoaderError } from "../errors";
import { ensureWasmtimeMetal } from "./wasmtime";


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
