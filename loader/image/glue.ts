// The small core modules that tie an image's kernel, services and WASI shim together,
// written as WebAssembly text from the contract tables and assembled by binaryen
// (binaryen.parseText, validated, emitted). Each exists because a component's core
// instances are created in order and cannot import from an instance created later:
//   mem    every memory but the kernel's: the shim's and one per service (its RAM max)
//   tramp  a table of call_indirect trampolines, for imports whose providers come later
//   sys    each service's syscalls, bound to its id, forwarded to the kernel's k_sys
//   glue   svc_* for the kernel and GLUE_EXPORTS for the shim: copies between memories,
//          calls into services under try_table (its exception tag is thrown by the
//          contained services' fault imports), the configuration
//   fixup  fills the trampoline table once the providers exist
// Order and wiring: component.ts. Does not instrument services (loader/instrument).
import type binaryen from "binaryen";
import { Fn, GLUE_EXPORTS, SYSCALLS, WasmType } from "../../abi/contract";
import { Errno } from "../../abi/errno";
import { FaultReason } from "../../abi/image";
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

/** What the glue needs to know of one service. */
export interface GlueService {
  id: number;
  hasInit: boolean;
  minPages: number;
  maxPages: number;
}

/** Wasm text for bytes: "\00\61...". */
function bytesText(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += `\\${x.toString(16).padStart(2, "0")}`;
  return s;
}

export function memText(shimMinPages: number, services: GlueService[]): string {
  const mems = services.map((s) => `(memory (export "s${s.id}") ${s.minPages} ${s.maxPages})`);
  return `(module (memory (export "host") ${shimMinPages}) ${mems.join(" ")})`;
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

/** The tag and what throws it: a contained service's fault imports reach these through
 *  trampolines, and the try_table around every call into a service catches them here. */
function faultText(): string {
  return `(tag $fault (param i32))
    (func (export "throw_fault") (param i32) (throw $fault (local.get 0)))
    (func (export "throw_fuel_exhausted") (throw $fault (i32.const ${FaultReason.FUEL})))
    (func (export "throw_abort") (param i32 i32 i32 i32) (throw $fault (i32.const ${FaultReason.ABORT})))`;
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
  const n = ids.length === 0 ? 0 : Math.max(...ids) + 1;
  const args = rest.map((_, j) => `(local.get ${j + 1})`).join(" ");
  let body = `(br_table ${Array.from({ length: n }, (_, i) => `$b${i}`).join(" ")} $none (local.get 0))`;
  for (let i = 0; i < n; i++) {
    const call = ids.includes(i) ? `(call $${fn}${i} ${args})` : none;
    body = `(block $b${i} ${body}) (return ${result ? call : `(block ${call})`})`;
  }
  return `(func (export "${name}")${sig(["i32", ...rest], result)} (block $none ${body}) ${result ? none : ""})`;
}

function serviceFns(s: GlueService): string {
  const i = s.id;
  const grew = s.maxPages > s.minPages
    ? `(if (i32.ge_u (memory.size $s${i}) (i32.const ${s.maxPages})) (then (return (i32.const ${Fault.MEMORY}))))` : "";
  const entry = `(if (i32.eq (local.get 0) (i32.const ${Entry.EVENT})) (then (call $event${i}))
      (else ${s.hasInit ? `(if (i32.eq (local.get 0) (i32.const ${Entry.INIT})) (then (call $init${i})) (else (throw $fault (i32.const ${FaultReason.UNREACHABLE}))))` :
        `(if (i32.ne (local.get 0) (i32.const ${Entry.INIT})) (then (throw $fault (i32.const ${FaultReason.UNREACHABLE}))))`}))`;
  const running = `(if (i32.eqz (global.get $run${i})) (then (return (i32.const ${-Errno.EFAULT}))))`;
  return `(global $run${i} (mut i32) (i32.const 0)) (global $used${i} (mut i64) (i64.const 0))
    (global $why${i} (mut i32) (i32.const 0))
    (func $classify${i} (param i32) (result i32)
      (global.set $why${i} (local.get 0))
      (call $fault_note (i32.const ${i}) (local.get 0))
      (if (i32.eq (local.get 0) (i32.const ${FaultReason.FUEL})) (then (return (i32.const ${Fault.FUEL}))))
      (if (i32.eq (local.get 0) (i32.const ${FaultReason.STACK})) (then (return (i32.const ${Fault.STACK}))))
      ${grew} (i32.const ${Fault.TRAP}))
    (func $start${i} (result i32) (local i32)
      (global.set $run${i} (i32.const 0))
      (local.set 0 (block $caught (result i32)
        (try_table (catch $fault $caught) (global.set $stack${i} (i32.const 0)) (call $reset${i}))
        (global.set $run${i} (i32.const 1)) (global.set $why${i} (i32.const 0)) (return (i32.const 0))))
      (call $classify${i} (local.get 0)))
    (func $call${i} (param i32 i64) (result i32) (local i32)
      (global.set $used${i} (i64.const 0))
      (if (i32.eqz (global.get $run${i})) (then (return (i32.const ${Fault.TRAP}))))
      (global.set $fuel${i} (local.get 1)) (global.set $stack${i} (i32.const 0))
      (local.set 2 (block $caught (result i32)
        (try_table (catch $fault $caught) ${entry})
        (global.set $used${i} (i64.sub (local.get 1) (global.get $fuel${i}))) (return (i32.const 0))))
      (global.set $used${i} (i64.sub (local.get 1) (global.get $fuel${i})))
      (call $classify${i} (local.get 2)))
    (func $stop${i} (global.set $run${i} (i32.const 0)))
    (func $used${i} (result i64) (global.get $used${i}))
    ${copyFn(`$read${i}`, "$k", `$s${i}`, running, true)}
    ${copyFn(`$write${i}`, `$s${i}`, "$k", running)}
    (func $pages${i} (result i32) (memory.size $s${i}))
    (func $why${i} (result i32) (global.get $why${i}))`;
}

/** Names the contained service's exports have (abi/contract.ts, loader/instrument/contain.ts). */
export interface ServiceExportNames { fuel: string; stack: string; reset: string; event: string; init: string }

export function glueText(services: GlueService[], config: Uint8Array, names: ServiceExportNames): string {
  const imports = [
    `(import "shim" "fault_note" (func $fault_note (param i32 i32)))`,
    `(import "mem" "host" (memory $host 0))`,
    `(import "k" "memory" (memory $k 0))`,
    ...services.map((s) => `(import "mem" "s${s.id}" (memory $s${s.id} 0))`),
    ...services.flatMap((s) => [
      `(import "s${s.id}" "${names.fuel}" (global $fuel${s.id} (mut i64)))`,
      `(import "s${s.id}" "${names.stack}" (global $stack${s.id} (mut i32)))`,
      `(import "s${s.id}" "${names.reset}" (func $reset${s.id}))`,
      `(import "s${s.id}" "${names.event}" (func $event${s.id}))`,
      ...(s.hasInit ? [`(import "s${s.id}" "${names.init}" (func $init${s.id}))`] : []),
    ]),
  ];
  const ids = services.map((s) => s.id);
  const i32 = "i32" as const;
  const glueExports = new Set(GLUE_EXPORTS.map((f) => f.name));
  const shimSide = [
    copyFn(`(export "k_write")`, "$k", "$host"),
    copyFn(`(export "k_read")`, "$host", "$k"),
    `(func (export "config_size") (result i32) (i32.const ${config.length}))`,
    `(func (export "config_copy") (param i32) (memory.init $host $cfg (local.get 0) (i32.const 0) (i32.const ${config.length})))`,
    dispatch("svc_pages", "pages", [], i32, ids, "(i32.const 0)"),
    dispatch("svc_fault", "why", [], i32, ids, "(i32.const 0)"),
  ];
  for (const name of ["k_write", "k_read", "config_size", "config_copy", "svc_pages", "svc_fault"]) {
    if (!glueExports.has(name)) throw new Error(`glue.ts writes ${name}, which abi/contract.ts GLUE_EXPORTS does not list`);
  }
  const kernelSide = [
    dispatch("svc_start", "start", [], i32, ids, `(i32.const ${Fault.BAD_MODULE})`),
    dispatch("svc_stop", "stop", [], null, ids, "(nop)"),
    dispatch("svc_call", "call", [i32, "i64"], i32, ids, `(i32.const ${Fault.TRAP})`),
    dispatch("svc_fuel_used", "used", [], "i64", ids, "(i64.const 0)"),
    dispatch("svc_read", "read", [i32, i32, i32], i32, ids, `(i32.const ${-Errno.EFAULT})`),
    dispatch("svc_write", "write", [i32, i32, i32], i32, ids, `(i32.const ${-Errno.EFAULT})`),
  ];
  return `(module ${imports.join("\n")}
    (data $cfg "${bytesText(config)}")
    ${faultText()}
    ${services.map(serviceFns).join("\n")}
    ${shimSide.join("\n")}
    ${kernelSide.join("\n")})`;
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
