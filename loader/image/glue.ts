// The small core modules that tie an image's kernel, services and WASI shim together,
// written as WebAssembly text from the contract tables and assembled by binaryen
// (binaryen.parseText, validated, emitted). Each exists because a component's core
// instances are created in order and cannot import from an instance created later:
//   mem    per slot group: one memory per slot of the group (its RAM max), the first
//          group's also the shim's
//   tramp  a table of call_indirect trampolines, for imports whose providers come later
//   sys    each service's syscalls, bound to its id, forwarded to the kernel's k_sys
//   tag    the exception tag the contained services' fault imports throw
//   glue   per slot group (at most IMG_GLUE_SLOTS, so at most 100 memories with the
//          kernel's): svc_* on the group's slots: copies between memories, calls into
//          services under try_table (catching the tag), which slot holds a service
//          (svc_load, svc_unload) and its RAM limit (svc_ram)
//   hub    svc_* for the kernel and GLUE_EXPORTS for the shim, each passed to the group
//          holding the id; the configuration; copies between the shim's and the kernel's memory
//   fixup  fills the trampoline table once the providers exist
// Order and wiring: component.ts. Does not instrument services (loader/instrument).
import type binaryen from "binaryen";
import { Fn, GLUE_EXPORTS, HOST_IMPORTS, SYSCALLS, WasmType } from "../../abi/contract";
import { GlueExportName, GlueHostImportName } from "../../abi/gen/host_imports";
import { SL_FREE, SL_HASH, SL_NAME, SL_NAME_LEN, SL_RAM_MAX } from "../../abi/control";
import { Errno } from "../../abi/errno";
import { FaultReason, IMG_GLUE_SLOTS } from "../../abi/image";
import { Entry, Fault } from "../../abi/kernel";
import { LoaderError } from "../errors";
import { Binaryen, loadBinaryen } from "../instrument/binaryen";

/** A function's type in text: ` (param i32 i32) (result i32)`. */
export function sig(params: WasmType[], result: WasmType | null): string {
  return (params.length ? ` (param ${params.join(" ")})` : "") + (result ? ` (result ${result})` : "");
}
export const fnSig = (f: Fn) => sig(f.params.map(([, t]) => t), f.result);

/** One trampoline slot: the export name and the signature of what fills it. */
export interface Slot { name: string; params: WasmType[]; result: WasmType | null }

/** What the glue needs to know of one slot: a service id and the module it runs. */
export interface GlueService {
  id: number;
  hasInit: boolean;
  minPages: number;
  /** The memory's declared maximum: the RAM max, or the module's own maximum if lower. */
  maxPages: number;
  /** The most RAM a LOAD or GRANT may ask for, in pages: the service's ram.max in the
   *  manifest, or the store entry's ram (the Node host's ceiling). */
  ceilingPages: number;
  /** SHA-256 of the module file as the manifest names it (svc_load compares it). */
  hash: Uint8Array;
  /** A boot service holds its slot from the start; a store slot is empty until svc_load. */
  boot: boolean;
  /** The module file as it was signed, which module_read copies to the kernel when the
   *  manifest has domains: (spec/image.md); absent: module_read answers -ENOENT. */
  file?: Uint8Array;
}

/** Wasm text for bytes: "\00\61...". */
function bytesText(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += `\\${x.toString(16).padStart(2, "0")}`;
  return s;
}

/** A group's memory module: one memory per slot of the group, and the shim's (`host`) in
 *  the first group's (shimMinPages given). */
export function memText(shimMinPages: number | null, services: GlueService[]): string {
  const mems = services.map((s) => `(memory (export "s${s.id}") ${s.minPages} ${s.maxPages})`);
  return `(module ${shimMinPages === null ? "" : `(memory (export "host") ${shimMinPages})`} ${mems.join(" ")})`;
}

/** Slot groups: consecutive runs of at most IMG_GLUE_SLOTS slots, in id order. */
export function slotGroups<T extends { id: number }>(services: T[]): T[][] {
  const sorted = [...services].sort((a, b) => a.id - b.id);
  const out: T[][] = [];
  for (let i = 0; i < sorted.length; i += IMG_GLUE_SLOTS) out.push(sorted.slice(i, i + IMG_GLUE_SLOTS));
  return out.length ? out : [[]];
}

export function trampText(slots: Slot[]): string {
  const fns = slots.map((s, i) => {
    const args = s.params.map((_, j) => `(local.get ${j})`).join(" ");
    return `(func (export "${s.name}")${sig(s.params, s.result)} (call_indirect $t${sig(s.params, s.result)} ${args} (i32.const ${i})))`;
  });
  return `(module (table $t (export "table") ${slots.length} ${slots.length} funcref) ${fns.join("\n")})`;
}

export function fixupText(slots: Slot[]): string {
  const imports = slots.map((s, i) => `(import "a" "${i}" (func $f${i}${sig(s.params, s.result)}))`);
  return `(module (import "t" "table" (table $t ${slots.length} ${slots.length} funcref)) ${imports.join(" ")} ` +
    `(elem (table $t) (i32.const 0) func ${slots.map((_, i) => `$f${i}`).join(" ")}))`;
}

/** The tag and what throws it, a module of its own that every group's glue imports the tag
 *  from: a contained service's fault imports reach these through trampolines, and the
 *  try_table around every call into a service (in its group's glue) catches them. */
export function tagText(): string {
  return `(module (tag $fault (export "fault") (param i32))
    (func (export "throw_fault") (param i32) (throw $fault (local.get 0)))
    (func (export "throw_fuel_exhausted") (throw $fault (i32.const ${FaultReason.FUEL})))
    (func (export "throw_abort") (param i32 i32 i32 i32) (throw $fault (i32.const ${FaultReason.ABORT}))))`;
}

/** Every syscall for every service, exported as "<id>.<name>". */
export function sysText(services: GlueService[]): string {
  const fns: string[] = [];
  for (const s of services) {
    for (const c of SYSCALLS) {
      const args = [0, 1, 2, 3, 4].map((j) => j < c.params.length ? `(local.get ${j})` : "(i32.const 0)").join(" ");
      fns.push(`(func (export "${s.id}.${c.name}")${fnSig(c)} (call $k_sys (i32.const ${s.id}) (i32.const ${c.nr}) ${args}))`);
    }
  }
  return `(module (import "k" "k_sys" (func $k_sys (param i32 i32 i32 i32 i32 i32 i32) (result i32))) ${fns.join("\n")})`;
}

/** `addr + len` inside memory `mem` (64-bit arithmetic: no wrap-around). */
function fits(mem: string, addr: string, len: string): string {
  return `(i64.le_u (i64.add (i64.extend_i32_u ${addr}) (i64.extend_i32_u ${len})) ` +
    `(i64.shl (i64.extend_i32_u (memory.size ${mem})) (i64.const 16)))`;
}

/** `(param a b len) (result i32)`: copies `from` [src, +len) to `to` [dst, +len), or returns
 *  -EFAULT if either range is outside its memory. `srcFirst`: a is the source (svc_read's
 *  order), else a is the destination (svc_write's, k_write's and k_read's). */
function copyFn(name: string, to: string, from: string, guard = "", srcFirst = false): string {
  const [dst, src] = srcFirst ? ["(local.get 1)", "(local.get 0)"] : ["(local.get 0)", "(local.get 1)"];
  const check = `(i32.and ${fits(to, dst, "(local.get 2)")} ${fits(from, src, "(local.get 2)")})`;
  return `(func ${name} (param i32 i32 i32) (result i32) ${guard}
    (if (i32.eqz ${check}) (then (return (i32.const ${-Errno.EFAULT}))))
    (memory.copy ${to} ${from} ${dst} ${src} (local.get 2)) (i32.const 0))`;
}

/** An exported dispatcher `(param svc ...rest)` that calls `$<fn><id>` with the rest, or
 *  returns `none` for an id without a service. */
function dispatch(name: string, fn: string, rest: WasmType[], result: WasmType | null, ids: number[], none: string): string {
  const args = rest.map((_, j) => `(local.get ${j + 1})`).join(" ");
  const calls = ids.map((i) => `(call $${fn}${i} ${args})`);
  return `(func (export "${name}")${sig(["i32", ...rest], result)} ${table(ids, calls, result, none)})`;
}

/** A body that runs `calls[k]` for local 0 == ids[k] and returns its value, or `none` for
 *  any other value: one br_table over [min id, max id] (relative to the lowest), one block
 *  per id, so the nesting is as deep as there are ids and not as high as they go. */
function table(ids: number[], calls: string[], result: WasmType | null, none: string): string {
  if (ids.length === 0) return result ? none : "";
  const lo = Math.min(...ids), hi = Math.max(...ids);
  const labels = Array.from({ length: hi - lo + 1 }, (_, k) => ids.includes(lo + k) ? `$b${ids.indexOf(lo + k)}` : "$none");
  let body = `(br_table ${labels.join(" ")} $none (i32.sub (local.get 0) (i32.const ${lo})))`;
  for (let k = 0; k < ids.length; k++) body = `(block $b${k} ${body}) (return ${result ? calls[k] : `(block ${calls[k]})`})`;
  return `(block $none ${body}) ${result ? none : ""}`;
}

function serviceFns(s: GlueService): string {
  const i = s.id;
  // As the Node host classifies a trap: MEMORY once the memory has grown to its RAM max.
  const grew = `(if (i32.and (i32.ge_u (memory.size $s${i}) (global.get $ramMax${i})) (i32.gt_u (global.get $ramMax${i}) (i32.const ${s.minPages})))
      (then (return (i32.const ${Fault.MEMORY}))))`;
  const entry = `(if (i32.eq (local.get 0) (i32.const ${Entry.EVENT})) (then (call $event${i}))
      (else ${s.hasInit ? `(if (i32.eq (local.get 0) (i32.const ${Entry.INIT})) (then (call $init${i})) (else (throw $fault (i32.const ${FaultReason.UNREACHABLE}))))` :
        `(if (i32.ne (local.get 0) (i32.const ${Entry.INIT})) (then (throw $fault (i32.const ${FaultReason.UNREACHABLE}))))`}))`;
  const running = `(if (i32.eqz (global.get $run${i})) (then (return (i32.const ${-Errno.EFAULT}))))`;
  // The kernel stopped or unloaded the service from inside this call (a control message
  // the service sent: UNLOAD of itself, a GRANT that changes its RAM): the fault belongs to
  // an instance that is gone, and reported it would bring a freed id back as a service —
  // no fault, and no fuel to charge to an id the kernel may have freed, as the metal host's
  // instance::call (and the Node host's ServiceHost.call, for the fault).
  const stoppedInCall = `(if (i32.eqz (global.get $run${i})) (then (global.set $used${i} (i64.const 0)) (return (i32.const ${Fault.NONE}))))`;
  // The same from inside its start (reset) function: svc_stop or svc_unload meanwhile (each
  // counts in $stops) means the instance is not the service's any more — not running, and
  // a fault it ends with is nobody's (as the Node host's ServiceHost.start and the metal
  // host's instance::start).
  const stoppedInStart = `(if (i32.ne (global.get $stops${i}) (local.get 1)) (then (return (i32.const ${Fault.NONE}))))`;
  return `(global $run${i} (mut i32) (i32.const 0)) (global $used${i} (mut i64) (i64.const 0))
    (global $stops${i} (mut i32) (i32.const 0))
    (global $why${i} (mut i32) (i32.const 0))
    (func $classify${i} (param i32) (result i32)
      (global.set $why${i} (local.get 0))
      (call $fault_note (i32.const ${i}) (local.get 0))
      (if (i32.eq (local.get 0) (i32.const ${FaultReason.FUEL})) (then (return (i32.const ${Fault.FUEL}))))
      (if (i32.eq (local.get 0) (i32.const ${FaultReason.STACK})) (then (return (i32.const ${Fault.STACK}))))
      ${grew} (i32.const ${Fault.TRAP}))
    (func $start${i} (result i32) (local i32 i32)
      (global.set $run${i} (i32.const 0))
      (if (i32.eqz (global.get $loaded${i})) (then (return (i32.const ${Fault.BAD_MODULE}))))
      (if (i32.lt_u (global.get $lim${i}) (i32.const ${s.minPages})) (then (return (i32.const ${Fault.INSTANTIATE}))))
      (global.set $ramMax${i} (global.get $lim${i}))
      (local.set 1 (global.get $stops${i}))
      (local.set 0 (block $caught (result i32)
        (try_table (catch $fault $caught) (global.set $stack${i} (i32.const 0)) (call $reset${i}))
        ${stoppedInStart}
        (global.set $run${i} (i32.const 1)) (global.set $why${i} (i32.const 0)) (return (i32.const 0))))
      ${stoppedInStart}
      (call $classify${i} (local.get 0)))
    (func $call${i} (param i32 i64) (result i32) (local i32)
      (global.set $used${i} (i64.const 0))
      (if (i32.eqz (global.get $run${i})) (then (return (i32.const ${Fault.TRAP}))))
      (global.set $fuel${i} (local.get 1)) (global.set $stack${i} (i32.const 0))
      (local.set 2 (block $caught (result i32)
        (try_table (catch $fault $caught) ${entry})
        (global.set $used${i} (i64.sub (local.get 1) (global.get $fuel${i}))) (return (i32.const 0))))
      (global.set $used${i} (i64.sub (local.get 1) (global.get $fuel${i})))
      ${stoppedInCall}
      (call $classify${i} (local.get 2)))
    (func $stop${i} (global.set $run${i} (i32.const 0)) (global.set $stops${i} (i32.add (global.get $stops${i}) (i32.const 1))))
    (func $used${i} (result i64) (global.get $used${i}))
    ${copyFn(`$read${i}`, "$k", `$s${i}`, running, true)}
    ${copyFn(`$write${i}`, `$s${i}`, "$k", running)}
    (func $pages${i} (result i32) (select (memory.size $s${i}) (i32.const 0) (global.get $loaded${i})))
    (func $why${i} (result i32) (global.get $why${i}))
    ${slotFns(s)}`;
}

/** A slot's state for svc_load, svc_unload and svc_ram: whether it holds a service, and the
 *  RAM limit (pages) that svc_start writes into the service's persia_ram_max. Uses the
 *  slot's $run global (serviceFns). */
function slotFns(s: GlueService): string {
  const i = s.id;
  return `(global $loaded${i} (mut i32) (i32.const ${s.boot ? 1 : 0})) (global $lim${i} (mut i32) (i32.const ${s.maxPages}))
    (func $unload${i} (global.set $loaded${i} (i32.const 0)) (global.set $run${i} (i32.const 0))
      (global.set $stops${i} (i32.add (global.get $stops${i}) (i32.const 1))))
    (func $setram${i} (param i32) (result i32)
      (if (i32.or (i32.eqz (global.get $loaded${i})) (i32.gt_u (local.get 0) (i32.const ${s.ceilingPages})))
        (then (return (i32.const ${-Errno.ENOSPC}))))
      (if (i32.lt_u (local.get 0) (i32.const ${s.minPages})) (then (return (i32.const ${-Errno.EINVAL}))))
      (global.set $lim${i} ${atMost("(local.get 0)", s.maxPages)}) (i32.const 0))`;
}

/** min(value, max), unsigned; value is evaluated twice, so a local.get. */
const atMost = (value: string, max: number) => `(select ${value} (i32.const ${max}) (i32.lt_u ${value} (i32.const ${max})))`;

/** The 32-byte hash as four i64 constants, little-endian, as i64.load reads it. */
function hashWords(hash: Uint8Array): bigint[] {
  if (hash.length !== 32) throw new Error(`a slot's module hash has ${hash.length} bytes, not 32`);
  const v = new DataView(hash.buffer, hash.byteOffset, 32);
  return [0, 8, 16, 24].map((at) => v.getBigInt64(at, true));
}

/** svc_load(ptr, len): the request in kernel memory (abi/control.ts SL_*) names a module
 *  by SHA-256; the lowest slot of that module whose bit is set in the free mask, that holds
 *  no service and whose ceiling admits the RAM max gets it: marked loaded, its limit set,
 *  its id returned. -ENOENT if no slot has that module, -ENOSPC if none of them can take
 *  it, -EINVAL for a RAM max below the module's initial memory or a request that is not
 *  where or as long as it says. As the Node host's ServiceHost.load. */
function loadFn(slots: GlueService[]): string {
  const at = (offset: number, type: "i32" | "i64" | "i32.load8_u") =>
    `(${type === "i32.load8_u" ? type : `${type}.load`} $k offset=${offset} (local.get $ptr))`;
  const tries = slots.map((s) => {
    const i = s.id;
    const same = hashWords(s.hash).map((w, k) => `(i64.eq (local.get $h${k}) (i64.const ${w}))`);
    // Bit i of the free-id bitmap: byte i/8, bit i%8 (abi/control.ts SL_FREE).
    const free = `(i32.and (i32.shr_u (i32.load8_u $k offset=${SL_FREE + (i >> 3)} (local.get $ptr)) (i32.const ${i & 7})) (i32.const 1))`;
    const takes = `(i32.and ${free} (i32.and (i32.eqz (global.get $loaded${i})) (i32.le_u (local.get $pages) (i32.const ${s.ceilingPages}))))`;
    return `(if (i32.and (i32.and ${same[0]} ${same[1]}) (i32.and ${same[2]} ${same[3]})) (then (local.set $known (i32.const 1))
      (if ${takes} (then
        (if (i32.lt_u (local.get $pages) (i32.const ${s.minPages})) (then (return (i32.const ${-Errno.EINVAL}))))
        (global.set $loaded${i} (i32.const 1)) (global.set $lim${i} ${atMost("(local.get $pages)", s.maxPages)})
        (return (i32.const ${i}))))))`;
  });
  return `(func (export "svc_load") (param $ptr i32) (param $len i32) (result i32)
    (local $pages i32) (local $known i32) (local $h0 i64) (local $h1 i64) (local $h2 i64) (local $h3 i64)
    (if (i32.or (i32.lt_u (local.get $len) (i32.const ${SL_NAME})) (i32.eqz ${fits("$k", "(local.get $ptr)", "(local.get $len)")}))
      (then (return (i32.const ${-Errno.EINVAL}))))
    (if (i32.ne (local.get $len) (i32.add (i32.const ${SL_NAME}) ${at(SL_NAME_LEN, "i32.load8_u")})) (then (return (i32.const ${-Errno.EINVAL}))))
    (local.set $pages ${at(SL_RAM_MAX, "i32")})
    ${[0, 1, 2, 3].map((k) => `(local.set $h${k} ${at(SL_HASH + 8 * k, "i64")})`).join(" ")}
    ${tries.join("\n    ")}
    (select (i32.const ${-Errno.ENOSPC}) (i32.const ${-Errno.ENOENT}) (local.get $known)))`;
}

/** The passive data segment of a slot's module file: one per distinct file. */
const fileSegment = (s: GlueService) => `$file_${Buffer.from(s.hash).toString("hex").slice(0, 16)}`;

/** module_read(svc, off, dst, len) for one slot: copies what exists of [off, off+len) of
 *  the file's segment to kernel memory (memory.init, bounds checked first), returns its size. */
function moduleReadFn(s: GlueService): string {
  const size = s.file!.length;
  return `(func $modread${s.id} (param i32 i32 i32) (result i32) (local i32)
    (if (i32.lt_u (local.get 0) (i32.const ${size})) (then (local.set 3 (i32.sub (i32.const ${size}) (local.get 0)))))
    (if (i32.lt_u (local.get 2) (local.get 3)) (then (local.set 3 (local.get 2))))
    (if (i32.eqz (local.get 3)) (then (return (i32.const ${size}))))
    (if (i32.eqz ${fits("$k", "(local.get 1)", "(local.get 3)")}) (then (return (i32.const ${-Errno.EFAULT}))))
    (memory.init $k ${fileSegment(s)} (local.get 1) (local.get 0) (local.get 3))
    (i32.const ${size}))`;
}

/** The data segments of the slots' files, each file once. */
function fileSegments(services: GlueService[]): string {
  const seen = new Set<string>();
  return services.filter((s) => s.file && !seen.has(fileSegment(s)) && seen.add(fileSegment(s)))
    .map((s) => `(data ${fileSegment(s)} "${bytesText(s.file!)}")`).join("\n");
}

/** Names the contained service's exports have (abi/contract.ts, loader/instrument/contain.ts). */
export interface ServiceExportNames { fuel: string; stack: string; ramMax: string; reset: string; event: string; init: string }

/** What a group's glue exports, each dispatched on the service id among the group's slots
 *  (svc_load: the lowest slot of the group that takes the request). With one group the
 *  kernel and shim call these directly; with more, the hub (hubText) picks the group. */
export const GROUP_EXPORTS = ["svc_start", "svc_stop", "svc_call", "svc_fuel_used", "svc_read", "svc_write",
  "svc_load", "svc_unload", "svc_ram", "module_read"] as const satisfies readonly GlueHostImportName[];
export const GROUP_SHIM_EXPORTS = ["svc_pages", "svc_fault"] as const satisfies readonly GlueExportName[];

/** A group's glue: the slots of one group (at most IMG_GLUE_SLOTS, so that with the
 *  kernel's memory it imports at most 100), the tag from the tag module. */
export function glueText(services: GlueService[], names: ServiceExportNames): string {
  const imports = [
    `(import "shim" "fault_note" (func $fault_note (param i32 i32)))`,
    `(import "tag" "fault" (tag $fault (param i32)))`,
    `(import "k" "memory" (memory $k 0))`,
    ...services.map((s) => `(import "mem" "s${s.id}" (memory $s${s.id} 0))`),
    ...services.flatMap((s) => [
      `(import "s${s.id}" "${names.fuel}" (global $fuel${s.id} (mut i64)))`,
      `(import "s${s.id}" "${names.stack}" (global $stack${s.id} (mut i32)))`,
      `(import "s${s.id}" "${names.ramMax}" (global $ramMax${s.id} (mut i32)))`,
      `(import "s${s.id}" "${names.reset}" (func $reset${s.id}))`,
      `(import "s${s.id}" "${names.event}" (func $event${s.id}))`,
      ...(s.hasInit ? [`(import "s${s.id}" "${names.init}" (func $init${s.id}))`] : []),
    ]),
  ];
  const ids = services.map((s) => s.id);
  const i32 = "i32" as const;
  const svcCall = (name: GlueHostImportName, fn: string, none: string) => {
    const f = HOST_IMPORTS.find((h) => h.name === name)!;
    return dispatch(name, fn, f.params.slice(1).map(([, t]) => t), f.result, ids, none);
  };
  const exports: Record<(typeof GROUP_EXPORTS)[number] | (typeof GROUP_SHIM_EXPORTS)[number], string> = {
    svc_pages: dispatch("svc_pages", "pages", [], i32, ids, "(i32.const 0)"),
    svc_fault: dispatch("svc_fault", "why", [], i32, ids, "(i32.const 0)"),
    svc_start: svcCall("svc_start", "start", `(i32.const ${Fault.BAD_MODULE})`),
    svc_stop: svcCall("svc_stop", "stop", "(nop)"),
    svc_call: svcCall("svc_call", "call", `(i32.const ${Fault.TRAP})`),
    svc_fuel_used: svcCall("svc_fuel_used", "used", "(i64.const 0)"),
    svc_read: svcCall("svc_read", "read", `(i32.const ${-Errno.EFAULT})`),
    svc_write: svcCall("svc_write", "write", `(i32.const ${-Errno.EFAULT})`),
    svc_load: loadFn(services),
    svc_unload: svcCall("svc_unload", "unload", "(nop)"),
    svc_ram: svcCall("svc_ram", "setram", `(i32.const ${-Errno.ENOSPC})`),
    module_read: dispatch("module_read", "modread", ["i32", "i32", "i32"], i32, services.filter((s) => s.file).map((s) => s.id),
      `(i32.const ${-Errno.ENOENT})`),
  };
  return `(module ${imports.join("\n")}
    ${fileSegments(services)}
    ${services.filter((s) => s.file).map(moduleReadFn).join("\n")}
    ${services.map(serviceFns).join("\n")}
    ${Object.values(exports).join("\n")})`;
}

const fnOf = (name: string): Fn => [...HOST_IMPORTS, ...GLUE_EXPORTS].find((f) => f.name === name)!;

/** The hub: GLUE_EXPORTS for the shim and the glue's HOST_IMPORTS for the kernel, each
 *  per-service one passed to the group holding the id by one br_table over the ids (as
 *  deep as there are groups); svc_load asks the groups in id order, as one glue's loop
 *  would its slots; the copies between the shim's and the kernel's memories and the
 *  configuration. `groups`: each group's service ids, in order. */
export function hubText(groups: number[][], config: Uint8Array): string {
  const perGroup = [...GROUP_EXPORTS.filter((n) => n !== "svc_load"), ...GROUP_SHIM_EXPORTS];
  const imports = [
    `(import "mem" "host" (memory $host 0))`,
    `(import "k" "memory" (memory $k 0))`,
    ...groups.flatMap((_, g) => [...perGroup, "svc_load"].map((n) => `(import "g${g}" "${n}" (func $g${g}_${n}${fnSig(fnOf(n))}))`)),
  ];
  const all = groups.flat();
  const lo = all.length ? Math.min(...all) : 0, hi = all.length ? Math.max(...all) : -1;
  const groupOf = new Map(groups.flatMap((ids, g) => ids.map((id) => [id, g] as [number, number])));
  const none: Record<string, string> = {
    svc_start: `(i32.const ${Fault.BAD_MODULE})`, svc_stop: "(nop)", svc_call: `(i32.const ${Fault.TRAP})`, svc_fuel_used: "(i64.const 0)",
    svc_read: `(i32.const ${-Errno.EFAULT})`, svc_write: `(i32.const ${-Errno.EFAULT})`, svc_unload: "(nop)",
    svc_ram: `(i32.const ${-Errno.ENOSPC})`, module_read: `(i32.const ${-Errno.ENOENT})`, svc_pages: "(i32.const 0)", svc_fault: "(i32.const 0)",
  };
  const byGroup = (name: string): string => {
    const f = fnOf(name);
    const args = f.params.map((_, j) => `(local.get ${j})`).join(" ");
    const calls = groups.map((_, g) => `(call $g${g}_${name} ${args})`);
    const labels = Array.from({ length: hi - lo + 1 }, (_, k) => groupOf.has(lo + k) ? `$b${groupOf.get(lo + k)}` : "$none");
    let body = `(br_table ${labels.join(" ")} $none (i32.sub (local.get 0) (i32.const ${lo})))`;
    for (let g = 0; g < groups.length; g++) body = `(block $b${g} ${body}) (return ${f.result ? calls[g] : `(block ${calls[g]})`})`;
    return `(func (export "${name}")${fnSig(f)} (block $none ${body}) ${f.result ? none[name] : ""})`;
  };
  const load = `(func (export "svc_load") (param i32 i32) (result i32) (local $r i32) (local $known i32)
    ${groups.map((_, g) => `(local.set $r (call $g${g}_svc_load (local.get 0) (local.get 1)))
    (if (i32.ne (local.get $r) (i32.const ${-Errno.ENOENT})) (then
      (if (i32.ne (local.get $r) (i32.const ${-Errno.ENOSPC})) (then (return (local.get $r))))
      (local.set $known (i32.const 1))))`).join("\n    ")}
    (select (i32.const ${-Errno.ENOSPC}) (i32.const ${-Errno.ENOENT}) (local.get $known)))`;
  // One entry per GLUE_EXPORTS function (abi/gen/host_imports.ts): a missing or extra one fails tsc.
  const shimSide: Record<GlueExportName, string> = {
    k_write: copyFn(`(export "k_write")`, "$k", "$host"),
    k_read: copyFn(`(export "k_read")`, "$host", "$k"),
    config_size: `(func (export "config_size") (result i32) (i32.const ${config.length}))`,
    config_copy: `(func (export "config_copy") (param i32) (memory.init $host $cfg (local.get 0) (i32.const 0) (i32.const ${config.length})))`,
    svc_pages: byGroup("svc_pages"),
    svc_fault: byGroup("svc_fault"),
  };
  // One entry per host import the shim does not implement (abi/gen/host_imports.ts): a new
  // one in abi/contract.ts fails tsc here until the glue writes it.
  const kernelSide: Record<GlueHostImportName, string> = {
    svc_start: byGroup("svc_start"),
    svc_stop: byGroup("svc_stop"),
    svc_call: byGroup("svc_call"),
    svc_fuel_used: byGroup("svc_fuel_used"),
    svc_read: byGroup("svc_read"),
    svc_write: byGroup("svc_write"),
    svc_load: load,
    svc_unload: byGroup("svc_unload"),
    svc_ram: byGroup("svc_ram"),
    module_read: byGroup("module_read"),
    // A composed image cannot instantiate code that arrives at run time (spec/image.md): a
    // PUT is refused before any byte is staged; the kernel says why and what to do instead.
    mod_stage: `(func (export "mod_stage") (param i32 i32 i32) (result i32) (i32.const ${-Errno.ENOTSUP}))`,
    mod_write: `(func (export "mod_write") (param i32 i32 i32 i32) (result i32) (i32.const ${-Errno.ENOTSUP}))`,
    mod_read: `(func (export "mod_read") (param i32 i32 i32 i32) (result i32) (i32.const ${-Errno.ENOTSUP}))`,
    mod_commit: `(func (export "mod_commit") (param i32) (result i32) (i32.const ${-Errno.ENOTSUP}))`,
    mod_abort: `(func (export "mod_abort") (param i32))`,
  };
  return `(module ${imports.join("\n")}
    (data $cfg "${bytesText(config)}")
    ${Object.values(shimSide).join("\n")}
    ${Object.values(kernelSide).join("\n")})`;
}

/** Assembles Wasm text with binaryen: parsed, validated against the features the image's
 *  engines run (multi-memory, exceptions, bulk memory), written as binary. */
export function assemble(b: Binaryen, text: string, what: string): Uint8Array {
  let m: binaryen.Module;
  try {
    m = b.parseText(text);
  } catch (e) {
    throw new LoaderError(`the image's ${what} module`, `binaryen cannot parse the generated text: ${(e as Error).message}`,
      "This is a bug in loader/image/glue.ts; please report it with the manifest.");
  }
  try {
    const f = b.Features;
    m.setFeatures(f.MutableGlobals | f.BulkMemory | f.BulkMemoryOpt | f.MultiMemory | f.ExceptionHandling |
      f.ReferenceTypes | f.Multivalue | f.SignExt);
    if (!m.validate()) {
      throw new LoaderError(`the image's ${what} module`, "the generated module does not validate (binaryen printed why)",
        "This is a bug in loader/image/glue.ts; please report it with the manifest.");
    }
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

export { loadBinaryen };
