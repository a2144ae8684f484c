// `persia image`: a manifest → one Wasm component that the stock wasmtime CLI runs. The
// kernel goes in unchanged; each service and each store module is validated, metered
// (fuel.ts) and contained (contain.ts) as under Node — a module the loader refuses fails the
// image with the loader's message, as it fails `persia run`; the shim (hosts/wasi) and the
// generated glue (glue.ts) join them; the configuration (config.ts) carries the boot
// manifest and the NICs and disks the shim opens. Also the wasmtime command line.
// Service ids are slots (serviceSlots): the manifest's services, then each store entry's
// slots, each an instance of its module, so that a run-time LOAD finds one ready.
// Only VXLAN and WireGuard NICs exist in an image, and no USB device (spec/image.md says why).
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { CONTAIN_EXPORTS, FUEL_EXPORTS, SERVICE_EXPORTS, SYSCALL_MODULE } from "../../abi/contract";
import { IMG_SLOT_MAX } from "../../abi/image";
import { NicKind } from "../../abi/kernel";
import { SVC_MAX } from "../../abi/limits";
import { LoaderError } from "../errors";
import { contain } from "../instrument/contain";
import { meterFuel } from "../instrument/fuel";
import { compileManifest, HostPlan, Manifest } from "../manifest";
import { parseModule } from "../wasm/parse";
import { validateService } from "../wasm/validate";
import { componentText, fillModules, oneImportModule, trampolineSlots } from "./component";
import { encodeConfig } from "./config";
import { assemble, fixupText, GlueService, glueText, hubText, loadBinaryen, memText, slotGroups, sysText, tagText, trampText } from "./glue";

export interface ImageInputs {
  kernel: Uint8Array;
  shim: Uint8Array;
  /** Reads a service module; defaults to the file system. */
  readModule?: (file: string) => Uint8Array;
}

export interface Image {
  bytes: Uint8Array;
  plan: HostPlan;
  /** Every service id in the image: the services', then the store slots (boot: false). */
  slots: GlueService[];
  /** SHA-256 of the kernel's bytes and of the boot manifest, hex. */
  kernelSha256: string;
  bootSha256: string;
  /** The wasmtime arguments before the image's path. */
  wasmtimeFlags: string[];
  /** The directories holding the disks, each given to wasmtime with --dir: they must exist
   *  before wasmtime starts (it refuses a --dir it cannot open), the disk files need not. */
  diskDirs: string[];
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
    if ((nic.kind === "vxlan" && nic.vxlan) || (nic.kind === "wireguard" && nic.wireguard)) continue;
    if (nic.kind === "virtio") {
      throw new LoaderError(`NIC ${nic.name}`, "a virtio NIC needs --target metal: it is a virtio-net PCI device, which " +
        "only the metal host drives, and a wasmtime image reaches the network through WASI's UDP sockets",
        "Build it with `persia image node.yaml --target metal -o node.elf` (spec/metal.md), or give the NIC `kind: vxlan` for a wasmtime image.");
    }
    throw new LoaderError(`NIC ${nic.name}`, `kind "${nic.kind}" cannot run in a wasmtime image: under wasmtime a ` +
      "NIC is carried over UDP (VXLAN or WireGuard), since WASI gives a component UDP sockets but no TAP devices",
      "Give the NIC `kind: vxlan` with local, remote and vni and put a Linux VXLAN interface at the other end, or " +
      "`kind: wireguard` with its peers (spec/image.md).");
  }
}

/** A wasmtime image has no USB: WASI gives a component no device access (issue #16). */
function checkUsb(plan: HostPlan): void {
  if (plan.usb.length === 0) return;
  const names = plan.usb.map((u) => u.name).join(", ");
  throw new LoaderError(`USB device${plan.usb.length > 1 ? "s" : ""} ${names}`, "USB devices need the Node host or --target metal: " +
    "the wasmtime image has no device access (WASI gives a component files and sockets, no USB)",
    "Run the manifest with `persia run node.yaml`, or build `persia image node.yaml --target metal -o node.elf` (spec/metal.md); " +
    "or remove usb: and the services' usb grants for a wasmtime image.");
}

/** A wasmtime image holds at most IMG_SLOT_MAX slots (abi/image.ts says why); refused
 *  before any module is metered, naming the count and what runs more. */
export function checkSlots(plan: HostPlan): void {
  const store = plan.store.reduce((n, e) => n + e.slots, 0);
  const slots = plan.services.length + store;
  if (slots <= IMG_SLOT_MAX) return;
  throw new LoaderError("the node's services", `${plan.services.length} services and ${store} store slots make ${slots} ` +
    `service ids; a wasmtime image holds at most ${IMG_SLOT_MAX}: each id costs two core instances of its component, and ` +
    "wasmtime refuses a component with more than 1,000 instances (spec/image.md \"Slots\")",
    `Run the manifest with \`persia run node.yaml\` or build \`persia image node.yaml --target metal\`, which run up to ` +
    `${SVC_MAX} services; or lower the store entries' \`slots\`, or split the services over two nodes.`);
}

/** Each directory holding a disk, once, in the order of the disks. */
function diskDirs(plan: HostPlan): string[] {
  return [...new Set(plan.disks.map((d) => path.dirname(d.path)))];
}

/** The wasmtime command line for an image: exceptions for the glue's try_table, the
 *  host's network for the VXLAN sockets, one --dir per directory holding a disk. */
export function wasmtimeFlags(plan: HostPlan): string[] {
  return ["run", "-W", "exceptions=y", "-S", "inherit-network=y", ...diskDirs(plan).flatMap((d) => ["--dir", d])];
}

/** The core modules of the services, one per distinct module file, and the slots that
 *  instantiate them. */
interface Code { modules: { name: string; bytes: Uint8Array }[]; slots: (GlueService & { module: string })[] }

/** Every service id, in the order the Node host numbers them (hosts/node/services.ts): the
 *  manifest's services, then for each store entry `slots` ids of its module, whose memory
 *  may hold the entry's ram. Each module file is validated for each use (its RAM max
 *  differs) but metered and contained once, and its slots share the result. */
async function serviceSlots(plan: HostPlan, read: (file: string) => Uint8Array): Promise<Code> {
  const code: Code = { modules: [], slots: [] };
  const byHash = new Map<string, string>();
  const add = async (file: string, name: string, ramMaxPages: number, ids: number[], boot: boolean) => {
    let bytes: Uint8Array;
    try {
      bytes = read(file);
    } catch (e) {
      throw new LoaderError(`service ${name}`, `cannot read its module ${file}: ${(e as Error).message}`,
        "Check the path in the manifest, or run `persia build` if it is under build/.");
    }
    const info = validateService(bytes, name, ramMaxPages);
    const hash = createHash("sha256").update(bytes).digest();
    let module = byHash.get(hash.toString("hex"));
    if (module === undefined) {
      module = `code${code.modules.length}`;
      const contained = (await contain((await meterFuel(bytes, name)).bytes, name)).bytes;
      code.modules.push({ name: module, bytes: oneImportModule(contained, SYSCALL_MODULE) });
      byHash.set(hash.toString("hex"), module);
    }
    const maxPages = Math.min(ramMaxPages, info.memoryMaxPages ?? ramMaxPages);
    for (const id of ids) {
      code.slots.push({ id, hasInit: info.hasInit, minPages: info.memoryMinPages, maxPages, ceilingPages: ramMaxPages, hash, boot, module,
        ...(plan.signedModules ? { file: bytes } : {}) });
    }
  };
  for (const s of plan.services) await add(s.modulePath, s.domain, s.ramMaxPages, [s.id], true);
  let next = plan.services.reduce((top, s) => Math.max(top, s.id + 1), 0);
  for (const [i, e] of plan.store.entries()) {
    const ids = Array.from({ length: e.slots }, (_, k) => next + k);
    await add(e.modulePath, `store[${i}] (${path.basename(e.modulePath)})`, e.ramMaxPages, ids, false);
    next += e.slots;
  }
  return code;
}

export async function composeImage(manifest: Manifest, inputs: ImageInputs): Promise<Image> {
  const { boot, plan } = compileManifest(manifest);
  checkNics(plan);
  checkUsb(plan);
  checkSlots(plan);
  const code = await serviceSlots(plan, inputs.readModule ?? ((f: string) => fs.readFileSync(f)));
  const services = code.slots;
  const shim = parseModule(inputs.shim);
  const shimMemory = shim.imports.find((i) => i.desc.kind === "memory");
  if (shimMemory === undefined || shimMemory.desc.kind !== "memory") {
    throw new LoaderError("the WASI shim", "it does not import its memory", "Rebuild it with `persia build` (asconfig.json target shim).");
  }
  const shimAbort = shim.imports.some((i) => i.module === "env" && i.name === "abort");
  const config = encodeConfig({
    name: plan.node.name, boot,
    nics: plan.nics.map((n) => (n.wireguard
      ? { id: n.id, kind: NicKind.WIREGUARD, vni: 0, local: n.wireguard.listen, remote: { address: "::", port: 0 } }
      : { id: n.id, kind: NicKind.VXLAN, vni: n.vxlan!.vni, local: n.vxlan!.local, remote: n.vxlan!.remote })),
    disks: plan.disks.map((d) => ({ id: d.id, path: d.path })),
  });
  const b = await loadBinaryen();
  const slots = trampolineSlots();
  const names = {
    fuel: FUEL_EXPORTS.fuel.name,
    stack: exportName(CONTAIN_EXPORTS, "persia_stack"),
    ramMax: exportName(CONTAIN_EXPORTS, "persia_ram_max"),
    reset: exportName(CONTAIN_EXPORTS, "persia_reset"),
    event: exportName(SERVICE_EXPORTS, "persia_event"),
    init: exportName(SERVICE_EXPORTS, "persia_init"),
  };
  const groups = slotGroups(services);
  const shimPages = shimMemory.desc.limits.min;
  const core = [
    ...groups.map((g, k) => assemble(b, memText(k === 0 ? shimPages : null, g), "memory")),
    assemble(b, trampText(slots), "trampoline"),
    inputs.kernel,
    assemble(b, sysText(services), "syscall"),
    assemble(b, tagText(), "tag"),
    ...code.modules.map((m) => m.bytes),
    ...groups.map((g) => assemble(b, glueText(g, names), "glue")),
    assemble(b, hubText(groups.map((g) => g.map((s) => s.id)), config), "hub"),
    inputs.shim,
    assemble(b, fixupText(slots), "fixup"),
  ];
  const text = componentText({ modules: code.modules.map((m) => m.name), services, shimAbort, groups: groups.map((g) => g.map((s) => s.id)) });
  const tools = await dynamicImport("@bytecodealliance/jco-transpile/wasm-tools");
  let skeleton: Uint8Array;
  try {
    skeleton = await tools.parse(text);
  } catch (e) {
    throw new LoaderError("the image's component", `wasm-tools cannot encode the generated text: ${String((e as Error).message ?? e)}`,
      "This is a bug in loader/image/component.ts; please report it with the manifest.");
  }
  return {
    bytes: fillModules(skeleton, core), plan, slots: services,
    kernelSha256: sha256(inputs.kernel), bootSha256: sha256(boot),
    wasmtimeFlags: wasmtimeFlags(plan), diskDirs: diskDirs(plan),
  };
}
