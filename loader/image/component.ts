// The image as a WebAssembly component: the WASI imports (wasi_types.ts), every core module
// in instantiation order, the core instances that wire them, the WASI functions lowered
// into the shim's memory, and wasi:cli/run lifted from the shim. Written as component text
// in which each core module is an empty module of the same name, encoded by wasm-tools
// (jco-transpile's parse); then each empty module's section is swapped for the real bytes — so
// kernel.wasm sits in the image byte for byte (coreModules() finds it again).
// Does not generate the glue modules (glue.ts) or decide what goes in (compose.ts).
import { HOST_IMPORTS, HOST_MODULE, KERNEL_ENV_IMPORTS, SYSCALLS, SYSCALL_MODULE, FUEL_IMPORTS, CONTAIN_IMPORTS, SERVICE_ENV_IMPORTS, SHIM_HOST_IMPORTS } from "../../abi/contract";
import { WASI_IMPORTS, WASI_VERSION, wasiModule } from "../../abi/wasi";
import { LoaderError } from "../errors";
import { parseModule, Reader } from "../wasm/parse";
import { GROUP_EXPORTS, Slot } from "./glue";
import { wasiImportsText } from "./wasi_types";

const COMPONENT_LAYER = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
const CORE_MODULE_SECTION = 1;
const IMPORT_SECTION = 2;

/** The services' fault imports go through trampolines to the glue, which defines the tag. */
export const FAULT_SLOTS: Slot[] = [
  { name: "fault", params: ["i32"], result: null },
  { name: "fuel_exhausted", params: [], result: null },
  { name: "abort", params: ["i32", "i32", "i32", "i32"], result: null },
];

/** Every trampoline slot, in table order: the kernel's host imports, its abort, the
 *  services' fault imports, then the WASI functions that need the shim's memory. */
export function trampolineSlots(): Slot[] {
  return [
    ...HOST_IMPORTS.map((f) => ({ name: f.name, params: f.params.map(([, t]) => t), result: f.result })),
    { name: "kernel_abort", params: KERNEL_ENV_IMPORTS.abort.params, result: null },
    { name: "fault_note", params: ["i32", "i32"], result: null },
    ...FAULT_SLOTS.map((s) => ({ ...s, name: `svc_${s.name}` })),
    ...WASI_IMPORTS.filter((f) => f.memory).map((f) => ({ name: `${wasiModule(f)}#${f.name}`, params: f.params, result: f.result })),
  ];
}

export interface ComponentPlan {
  /** The services' core modules, in order (each file once). */
  modules: string[];
  /** Every service id and the module its instance is of. */
  services: { id: number; module: string }[];
  /** The slot groups (glue.ts slotGroups): each group's ids, each group a memory module and a glue. */
  groups: number[][];
  /** Does the shim import env.abort? */
  shimAbort: boolean;
}

const q = (s: string) => JSON.stringify(s);

/** `(instance (export "a" (func $i "b")) ...)` */
function inline(items: [exportName: string, sort: string, ref: string][]): string {
  return `(instance ${items.map(([n, sort, ref]) => `(export ${q(n)} (${sort} ${ref}))`).join(" ")})`;
}

/** The component-level id of the i-th WASI_IMPORTS function (core func; `f` and `t`
 *  suffixes for its aliased component func and resource type). */
const wasiId = (i: number) => `$w${i}`;

export function componentText(p: ComponentPlan): string {
  const services = p.services;
  const G = p.groups.length;
  const groupOf = new Map(p.groups.flatMap((ids, g) => ids.map((id) => [id, g] as [number, number])));
  const each = (prefix: string) => p.groups.map((_, g) => `${prefix}${g}`);
  const modules = [...each("mem"), "tramp", "kernel", "sys", "tag", ...p.modules, ...each("glue"), "hub", "shim", "fixup"];
  const out: string[] = ["(component", wasiImportsText(WASI_VERSION)];
  for (const m of modules) out.push(`(core module $${m})`);
  for (const m of each("mem")) out.push(`(core instance $${m} (instantiate $${m}))`);
  out.push(`(core instance $tramp (instantiate $tramp))`);
  const kAbort = KERNEL_ENV_IMPORTS.abort;
  out.push(`(core instance $kernel (instantiate $kernel (with ${q(HOST_MODULE)} (instance $tramp)) ` +
    `(with ${q(kAbort.module)} ${inline([[kAbort.name, "func", `$tramp "kernel_abort"`]])})))`);
  out.push(`(core instance $sys (instantiate $sys (with "k" (instance $kernel))))`, `(core instance $tag (instantiate $tag))`);
  const [fault] = CONTAIN_IMPORTS;
  const [fuel] = FUEL_IMPORTS;
  const { memory, abort } = SERVICE_ENV_IMPORTS;
  if (fuel.module !== SYSCALL_MODULE || memory.module !== abort.module) throw new Error("abi/contract.ts moved a service import; update component.ts");
  // Each service's imports, all under SYSCALL_MODULE (compose.ts renamed the others' module,
  // oneImportModule): one inline core instance per slot, the fewest a slot can cost next to
  // its own instance, since its syscalls are bound to its id.
  for (const s of services) {
    const items: [string, string, string][] = SYSCALLS.map((c) => [c.name, "func", `$sys ${q(`${s.id}.${c.name}`)}`]);
    items.push([fuel.name, "func", `$tramp "svc_fuel_exhausted"`], [memory.name, "memory", `$mem${groupOf.get(s.id)} "s${s.id}"`],
      [abort.name, "func", `$tramp "svc_abort"`], [fault.name, "func", `$tramp "svc_fault"`]);
    out.push(`(core instance $svc${s.id} (instantiate $${s.module} (with ${q(SYSCALL_MODULE)} ${inline(items)})))`);
  }
  p.groups.forEach((ids, g) => {
    out.push(`(core instance $glue${g} (instantiate $glue${g} (with "mem" (instance $mem${g})) (with "k" (instance $kernel)) ` +
      `(with "shim" (instance $tramp)) (with "tag" (instance $tag)) ${ids.map((id) => `(with "s${id}" (instance $svc${id}))`).join(" ")}))`);
  });
  out.push(`(core instance $hub (instantiate $hub (with "mem" (instance $mem0)) (with "k" (instance $kernel)) ` +
    `${p.groups.map((_, g) => `(with "g${g}" (instance $glue${g}))`).join(" ")}))`);
  // WASI functions without memory are lowered now; the others go through trampolines.
  const byModule = new Map<string, [string, string, string][]>();
  WASI_IMPORTS.forEach((f, i) => {
    const id = wasiId(i);
    const inst = `$${wasiModule(f)}`;
    if (f.drop) {
      out.push(`(alias export ${inst} ${q(f.drop)} (type ${id}t))`, `(core func ${id} (canon resource.drop ${id}t))`);
    } else if (!f.memory) {
      out.push(`(alias export ${inst} ${q(f.name)} (func ${id}f))`, `(core func ${id} (canon lower (func ${id}f)))`);
    }
    const ref = f.memory ? `$tramp ${q(`${wasiModule(f)}#${f.name}`)}` : id;
    const list = byModule.get(wasiModule(f)) ?? [];
    list.push([f.name, "func", ref]);
    byModule.set(wasiModule(f), list);
  });
  const shimArgs = [`(with "env" ${inline([[memory.name, "memory", `$mem0 "host"`], ...(p.shimAbort ? [[abort.name, "func", `$tramp "kernel_abort"`] as [string, string, string]] : [])])})`,
    `(with "persia_kernel" (instance $kernel))`, `(with "persia_glue" (instance $hub))`,
    ...[...byModule].map(([m, items]) => `(with ${q(m)} ${inline(items)})`)];
  out.push(`(core instance $shim (instantiate $shim ${shimArgs.join(" ")}))`);
  out.push(`(alias core export $mem0 "host" (core memory $hostmem))`, `(alias core export $shim "cabi_realloc" (core func $realloc))`);
  WASI_IMPORTS.forEach((f, i) => {
    if (!f.memory) return;
    const id = wasiId(i);
    const opts = `(memory $hostmem)${f.realloc ? " (realloc $realloc)" : ""}${f.utf8 ? " string-encoding=utf8" : ""}`;
    out.push(`(alias export $${wasiModule(f)} ${q(f.name)} (func ${id}f))`, `(core func ${id} (canon lower (func ${id}f) ${opts}))`);
  });
  const actual = trampolineSlots().map((s, i): [string, string, string] => {
    const name = s.name;
    if (SHIM_HOST_IMPORTS.includes(name) || name === "kernel_abort" || name === "fault_note") return [String(i), "func", `$shim ${q(name)}`];
    // One group: the kernel calls its glue directly, without the hub's br_table.
    if (HOST_IMPORTS.some((h) => h.name === name)) return [String(i), "func", `${G === 1 && (GROUP_EXPORTS as readonly string[]).includes(name) ? "$glue0" : "$hub"} ${q(name)}`];
    if (name.startsWith("svc_")) return [String(i), "func", `$tag ${q(`throw_${name.slice(4)}`)}`];
    const w = WASI_IMPORTS.findIndex((f) => `${wasiModule(f)}#${f.name}` === name);
    return [String(i), "func", wasiId(w)];
  });
  out.push(`(core instance $fixup (instantiate $fixup (with "t" (instance $tramp)) (with "a" ${inline(actual)})))`);
  out.push(`(type $runresult (result)) (type $runtype (func (result $runresult)))`,
    `(alias core export $shim "run" (core func $corerun))`,
    `(func $run (type $runtype) (canon lift (core func $corerun)))`,
    `(instance $runinst (export "run" (func $run)))`,
    `(export ${q(`wasi:cli/run@${WASI_VERSION}`)} (instance $runinst)))`);
  return out.join("\n");
}

// ——— binary: each empty module's section swapped for the real module ———

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

interface Section { id: number; start: number; body: number; end: number }

function sections(c: Uint8Array): Section[] {
  for (let i = 0; i < COMPONENT_LAYER.length; i++) {
    if (c[i] !== COMPONENT_LAYER[i]) throw new LoaderError("image", "this is not a WebAssembly component (bad preamble)", "Build it with `persia image`.");
  }
  const out: Section[] = [];
  let at = COMPONENT_LAYER.length;
  while (at < c.length) {
    const start = at;
    const id = c[at++];
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = c[at++];
      size += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
    }
    out.push({ id, start, body: at, end: at + size });
    at += size;
  }
  if (at !== c.length) throw new LoaderError("image", "the component's last section runs past its end", "Rebuild the image.");
  return out;
}

/** Replaces the component's core module sections, in order, by `modules`. */
export function fillModules(component: Uint8Array, modules: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [component.subarray(0, COMPONENT_LAYER.length)];
  let next = 0;
  for (const s of sections(component)) {
    if (s.id !== CORE_MODULE_SECTION) {
      parts.push(component.subarray(s.start, s.end));
      continue;
    }
    const m = modules[next++];
    if (m === undefined) throw new Error("the component has more core modules than were given");
    parts.push(Uint8Array.from([CORE_MODULE_SECTION, ...leb(m.length)]), m);
  }
  if (next !== modules.length) throw new Error(`the component has ${next} core modules, ${modules.length} were given`);
  return Buffer.concat(parts);
}

/** The core modules inside a component, in order (their bytes, not copies). */
export function coreModules(component: Uint8Array): Uint8Array[] {
  return sections(component).filter((s) => s.id === CORE_MODULE_SECTION).map((s) => component.subarray(s.body, s.end));
}


/** The module with every import's module name replaced by `to` (the services' env and
 *  persia_fault imports join persia's), so that one core instance satisfies them all;
 *  throws if two imports would then have the same name. Everything else byte for byte. */
export function oneImportModule(bytes: Uint8Array, to: string): Uint8Array {
  const m = parseModule(bytes);
  const sec = m.sections.find((x) => x.id === IMPORT_SECTION);
  if (sec === undefined) return bytes;
  const seen = new Set<string>();
  for (const i of m.imports) {
    if (seen.has(i.name)) throw new Error(`two imports named ${i.name}: they cannot share one module`);
    seen.add(i.name);
  }
  const end = sec.start + sec.size;
  const name = Buffer.from(to, "utf8");
  const entries: Uint8Array[] = [Uint8Array.from(leb(m.imports.length))];
  m.imports.forEach((imp, k) => {
    const r = new Reader(bytes, imp.offset, end);
    r.name("import module name");
    const stop = k + 1 < m.imports.length ? m.imports[k + 1].offset : end;
    entries.push(Uint8Array.from(leb(name.length)), name, bytes.subarray(r.pos, stop));
  });
  const body = Buffer.concat(entries);
  return Buffer.concat([bytes.subarray(0, sec.offset), Uint8Array.from([IMPORT_SECTION, ...leb(body.length)]), body, bytes.subarray(end)]);
}
