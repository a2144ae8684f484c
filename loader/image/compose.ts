// `persia image`: a manifest → one Wasm component that the stock wasmtime CLI runs. The
// kernel goes in unchanged; each service is validated, metered (fuel.ts) and contained
// (contain.ts) as under Node — a module the loader refuses fails the image with the
// loader's message, as it fails `persia run`; the shim (hosts/wasi) and the generated glue
// (glue.ts) join them; the configuration (config.ts) carries the boot manifest and the
// NICs and disks the shim opens. Also the wasmtime command line that runs the result.
// Only VXLAN NICs exist in an image (spec/image.md says why).
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { CONTAIN_EXPORTS, FUEL_EXPORTS, SERVICE_EXPORTS } from "../../abi/contract";
import { LoaderError } from "../errors";
import { contain } from "../instrument/contain";
import { meterFuel } from "../instrument/fuel";
import { compileManifest, HostPlan, Manifest } from "../manifest";
import { parseModule } from "../wasm/parse";
import { validateService } from "../wasm/validate";
import { componentText, fillModules, trampolineSlots } from "./component";
import { encodeConfig } from "./config";
import { assemble, fixupText, GlueService, glueText, loadBinaryen, memText, sysText, trampText } from "./glue";

export interface ImageInputs {
  kernel: Uint8Array;
  shim: Uint8Array;
  /** Reads a service module; defaults to the file system. */
  readModule?: (file: string) => Uint8Array;
}

export interface Image {
  bytes: Uint8Array;
  plan: HostPlan;
  /** SHA-256 of the kernel's bytes and of the boot manifest, hex. */
  kernelSha256: string;
  bootSha256: string;
  /** The wasmtime arguments before the image's path. */
  wasmtimeFlags: string[];
}

/** loader/image/wasmtime.json: the wasmtime images are built and tested for. */
export function wasmtimePin(): { pip: string; version: string; locate: string } {
  return JSON.parse(fs.readFileSync(path.join(__dirname, "../../../../loader/image/wasmtime.json"), "utf8"));
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** jco-transpile's wasm-tools (text → binary) is an ES module; reach it from CommonJS. */
const dynamicImport = new Function("s", "return import(s)") as (s: string) => Promise<{ parse(text: string): Promise<Uint8Array> }>;

function exportName(list: { name: string }[], name: string): string {
  const f = list.find((e) => e.name === name);
  if (f === undefined) throw new Error(`abi/contract.ts no longer lists ${name}`);
  return f.name;
}

function checkNics(plan: HostPlan): void {
  for (const nic of plan.nics) {
    if (nic.kind === "vxlan" && nic.vxlan) continue;
    throw new LoaderError(`NIC ${nic.name}`, `kind "${nic.kind}" cannot run in a wasmtime image: under wasmtime a ` +
      "NIC is Ethernet over UDP (VXLAN), since WASI gives a component UDP sockets but no TAP devices",
      "Give the NIC `kind: vxlan` with local, remote and vni, and put a Linux VXLAN interface at the other end (spec/image.md).");
  }
}

/** The wasmtime command line for an image: exceptions for the glue's try_table, the
 *  host's network for the VXLAN sockets, one --dir per directory holding a disk. */
export function wasmtimeFlags(plan: HostPlan): string[] {
  const dirs = [...new Set(plan.disks.map((d) => path.dirname(d.path)))];
  return ["run", "-W", "exceptions=y", "-S", "inherit-network=y", ...dirs.flatMap((d) => ["--dir", d])];
}

export async function composeImage(manifest: Manifest, inputs: ImageInputs): Promise<Image> {
  const { boot, plan } = compileManifest(manifest);
  checkNics(plan);
  const read = inputs.readModule ?? ((f: string) => fs.readFileSync(f));
  const modules: Uint8Array[] = [];
  const services: GlueService[] = [];
  for (const s of plan.services) {
    let bytes: Uint8Array;
    try {
      bytes = read(s.modulePath);
    } catch (e) {
      throw new LoaderError(`service ${s.domain}`, `cannot read its module ${s.modulePath}: ${(e as Error).message}`,
        "Check the path in the manifest, or run `persia build` if it is under build/.");
    }
    const info = validateService(bytes, s.domain, s.ramMaxPages);
    modules.push((await contain((await meterFuel(bytes, s.domain)).bytes, s.domain)).bytes);
    const maxPages = Math.min(s.ramMaxPages, info.memoryMaxPages ?? s.ramMaxPages);
    services.push({ id: s.id, hasInit: info.hasInit, minPages: info.memoryMinPages, maxPages });
  }
  const shim = parseModule(inputs.shim);
  const shimMemory = shim.imports.find((i) => i.desc.kind === "memory");
  if (shimMemory === undefined || shimMemory.desc.kind !== "memory") {
    throw new LoaderError("the WASI shim", "it does not import its memory", "Rebuild it with `persia build` (asconfig.json target shim).");
  }
  const shimAbort = shim.imports.some((i) => i.module === "env" && i.name === "abort");
  const config = encodeConfig({
    name: plan.node.name, boot,
    nics: plan.nics.map((n) => ({ id: n.id, vni: n.vxlan!.vni, local: n.vxlan!.local, remote: n.vxlan!.remote })),
    disks: plan.disks.map((d) => ({ id: d.id, path: d.path })),
  });
  const b = await loadBinaryen();
  const slots = trampolineSlots();
  const names = {
    fuel: FUEL_EXPORTS.fuel.name,
    stack: exportName(CONTAIN_EXPORTS, "persia_stack"),
    reset: exportName(CONTAIN_EXPORTS, "persia_reset"),
    event: exportName(SERVICE_EXPORTS, "persia_event"),
    init: exportName(SERVICE_EXPORTS, "persia_init"),
  };
  const core = [
    assemble(b, memText(shimMemory.desc.limits.min, services), "memory"),
    assemble(b, trampText(slots), "trampoline"),
    inputs.kernel,
    assemble(b, sysText(services), "syscall"),
    ...modules,
    assemble(b, glueText(services, config, names), "glue"),
    inputs.shim,
    assemble(b, fixupText(slots), "fixup"),
  ];
  const text = componentText({ services, shimAbort });
  const tools = await dynamicImport("@bytecodealliance/jco-transpile/wasm-tools");
  let skeleton: Uint8Array;
  try {
    skeleton = await tools.parse(text);
  } catch (e) {
    throw new LoaderError("the image's component", `wasm-tools cannot encode the generated text: ${String((e as Error).message ?? e)}`,
      "This is a bug in loader/image/component.ts; please report it with the manifest.");
  }
  return {
    bytes: fillModules(skeleton, core), plan,
    kernelSha256: sha256(inputs.kernel), bootSha256: sha256(boot),
    wasmtimeFlags: wasmtimeFlags(plan),
  };
}
