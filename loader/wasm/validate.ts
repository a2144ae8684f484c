// validateService: the gate every service module passes before any of its code runs, and
// before binaryen (the fuel and containment passes) reads it. It accepts a module only if
// it is within the limits of limits.ts (its size first of all, then, in code.ts, its
// functions, locals and nesting), the engine validates it, it imports nothing but the
// syscalls of abi/contract.ts (with their exact signatures), env.memory and optionally
// env.abort, it defines no memory of its own, it exports persia_event (and maybe
// persia_init) as () -> (), and it uses none of the names the fuel metering adds. Refusals
// are LoaderErrors that name the service, the import or export at fault, and how to
// rebuild. Deliberately not here: the module's signature and hash, instrumentation
// (loader/instrument/fuel.ts, run on what this accepts), instantiation. Called by
// hosts/node when it loads a service and by `persia build` / `persia image` before composing.
import { CONTAIN_EXPORTS, CONTAIN_IMPORTS, FUEL_EXPORTS, FUEL_IMPORTS, SERVICE_ENV_IMPORTS, SERVICE_EXPORTS, SYSCALLS, SYSCALL_MODULE, Fn } from "../../abi/contract";
import { LoaderError } from "../errors";
import { FuncType, Import, Limits, WasmModule, WasmParseError, formatFuncType, functionType, parseModule } from "./parse";
import { readCode } from "./code";
import { LimitError, MODULE_BYTES_MAX, TABLES_MAX, TABLE_ELEMS_MAX } from "./limits";

export { LoaderError } from "../errors";

export interface ServiceModuleInfo {
  memoryMinPages: number;          // the imported memory's declared minimum
  memoryMaxPages: number | null;   // its declared maximum, if any (the host must not exceed it)
  hasInit: boolean;                // exports persia_init
  hasStart: boolean;               // has a start function (runs at instantiation)
  imports: string[];               // "module.name" of every import, in order
}

type Refuse = (why: string, fix: string) => never;

const WASM_PAGE_KIB = 64;
const OPTIONAL_EXPORT = "persia_init"; // abi/contract.ts SERVICE_EXPORTS: "persia_init is optional"
const REBUILD = "Rebuild it against services/sdk";
const RESERVED = "only the loader adds it (fuel metering and containment: abi/contract.ts FUEL_*, CONTAIN_*)";
const ALLOWED = `A service may import only ${SYSCALL_MODULE}.{${SYSCALLS.map((s) => s.name).join(",")}}, ` +
  `${SERVICE_ENV_IMPORTS.memory.module}.${SERVICE_ENV_IMPORTS.memory.name} and ` +
  `${SERVICE_ENV_IMPORTS.abort.module}.${SERVICE_ENV_IMPORTS.abort.name}`;

function fnType(f: Fn): FuncType {
  return { params: f.params.map(([, t]) => t), results: f.result ? [f.result] : [] };
}

function sameType(a: FuncType, b: FuncType): boolean {
  const eq = (x: string[], y: string[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  return eq(a.params, b.params) && eq(a.results, b.results);
}

function describeFn(f: Fn): string {
  return `${f.name}(${f.params.map(([n, t]) => `${n}: ${t}`).join(", ")}) -> ${f.result ?? "()"}`;
}

/** Refuses the module unless this import is a syscall, env.abort or env.memory, as the contract says. */
function checkImport(m: WasmModule, imp: Import, refuse: Refuse, ramMaxPages: number): void {
  const full = `${imp.module}.${imp.name}`;
  const at = `(import at byte ${imp.offset})`;
  const wantFunc = (expected: FuncType, shown: string): void => {
    if (imp.desc.kind !== "func") refuse(`module imports ${full} as a ${imp.desc.kind} ${at}, but it is the function ${shown}`, `${REBUILD}.`);
    const got = m.types[imp.desc.type];
    if (!got) refuse(`module imports ${full} with type index ${imp.desc.type}, which does not exist ${at}`, `${REBUILD}.`);
    if (!sameType(got, expected)) {
      refuse(`module imports ${full} with type ${formatFuncType(got)}, but PersiaOS provides ${shown} ${at}`,
        `${REBUILD}, whose declarations are generated from abi/contract.ts.`);
    }
  };
  const env = SERVICE_ENV_IMPORTS;
  if ([...FUEL_IMPORTS, ...CONTAIN_IMPORTS].some((f) => f.module === imp.module && f.name === imp.name)) {
    refuse(`module imports ${full} ${at}; ${RESERVED}`, `${REBUILD}.`);
  }
  if (imp.module === SYSCALL_MODULE) {
    const sys = SYSCALLS.find((s) => s.name === imp.name);
    if (!sys) refuse(`module imports ${full}, which is not a PersiaOS syscall ${at}`, `${ALLOWED}. ${REBUILD}.`);
    wantFunc(fnType(sys), `${SYSCALL_MODULE}.${describeFn(sys)}`);
  } else if (imp.module === env.abort.module && imp.name === env.abort.name) {
    const t: FuncType = { params: env.abort.params, results: [] };
    wantFunc(t, `${full}${formatFuncType(t)}`);
  } else if (imp.module === env.memory.module && imp.name === env.memory.name) {
    if (imp.desc.kind !== "memory") refuse(`module imports ${full} as a ${imp.desc.kind} ${at}; it must be a memory`, `${REBUILD}.`);
    const lim = imp.desc.limits;
    if (lim.shared) {
      refuse(`module imports ${full} as a shared memory ${at}; services are single-threaded and get an unshared memory`,
        "Rebuild it without shared memory or threads.");
    }
    if (lim.min > ramMaxPages) {
      refuse(`module needs at least ${lim.min} pages (${lim.min * WASM_PAGE_KIB} KiB) of memory, but its RAM max is ` +
        `${ramMaxPages} pages (${ramMaxPages * WASM_PAGE_KIB} KiB)`,
        "Raise ram.max for this service in the manifest, or build it with a smaller initial memory.");
    }
  } else {
    refuse(`module imports ${full}, which PersiaOS does not provide ${at}`, `${ALLOWED}. ${REBUILD}.`);
  }
}

/** Refuses tables that would take the host more memory than TABLE_ELEMS_MAX elements, or
 *  that could grow without bound: at most TABLES_MAX, each with a declared maximum. */
function checkTables(m: WasmModule, refuse: Refuse): void {
  const fix = `A service needs at most ${TABLES_MAX} table of at most ${TABLE_ELEMS_MAX} elements with a declared maximum ` +
    `(AssemblyScript's default; loader/wasm/limits.ts). ${REBUILD}.`;
  if (m.tables.length > TABLES_MAX) refuse(`module defines ${m.tables.length} tables`, fix);
  for (const t of m.tables) {
    if (t.max === null) refuse(`module defines a table without a maximum, which table.grow could grow without bound`, fix);
    if (t.min > TABLE_ELEMS_MAX || t.max! > TABLE_ELEMS_MAX) {
      refuse(`module defines a table of up to ${t.max} elements; the host would allocate it outside the service's RAM grant`, fix);
    }
  }
}

/** The imported memory's limits, refusing unless there is exactly one and no other. */
function checkMemory(m: WasmModule, refuse: Refuse): Limits {
  const env = SERVICE_ENV_IMPORTS.memory;
  const mems = m.imports.filter((i) => i.module === env.module && i.name === env.name);
  const fix = `Build it with importMemory (asconfig target "service") so that the host can cap its memory at the RAM max.`;
  if (m.memories.length > 0) refuse(`module defines ${m.memories.length} memory of its own instead of importing ${env.module}.${env.name}`, fix);
  if (mems.length === 0) refuse(`module does not import ${env.module}.${env.name}`, fix);
  if (mems.length > 1) refuse(`module imports ${env.module}.${env.name} ${mems.length} times; a service has exactly one memory`, `${REBUILD}.`);
  const desc = mems[0].desc;
  return desc.kind === "memory" ? desc.limits : refuse(`module imports ${env.module}.${env.name} as a ${desc.kind}`, `${REBUILD}.`);
}

function checkExports(m: WasmModule, refuse: Refuse): boolean {
  const names = [FUEL_EXPORTS.fuel.name, ...CONTAIN_EXPORTS.map((e) => e.name)];
  const reserved = m.exports.find((e) => names.includes(e.name));
  if (reserved) refuse(`module exports ${reserved.name}; ${RESERVED}`, "Rename that export.");
  let hasInit = false;
  for (const want of SERVICE_EXPORTS) {
    const optional = want.name === OPTIONAL_EXPORT;
    const ex = m.exports.find((e) => e.name === want.name);
    const type = formatFuncType(fnType(want));
    const fix = `Export \`function ${want.name}(): void\` from the service.`;
    if (!ex) {
      if (optional) continue;
      refuse(`module does not export ${want.name}, which the kernel calls when ${want.doc}`, fix);
    }
    if (ex.kind !== "func") refuse(`module exports ${want.name} as a ${ex.kind}; it must be a function ${type}`, fix);
    const t = functionType(m, ex.index);
    if (!t || !sameType(t, fnType(want))) {
      refuse(`module exports ${want.name} with type ${t ? formatFuncType(t) : "unknown"}; it must be ${type}`, fix);
    }
    if (optional) hasInit = true;
  }
  return hasInit;
}

const MALFORMED = `Check that the file is the complete .wasm output of the build. ${REBUILD}.`;

function readModule(bytes: Uint8Array, refuse: Refuse): WasmModule {
  try {
    return parseModule(bytes);
  } catch (e) {
    if (!(e instanceof WasmParseError)) throw e;
    return refuse(`module is not a well-formed Wasm binary: ${e.message}`, MALFORMED);
  }
}

/** Every function body, decoded before the engine or binaryen read it (code.ts). */
function readBodies(bytes: Uint8Array, m: WasmModule, refuse: Refuse): void {
  try {
    readCode(bytes, m);
  } catch (e) {
    if (e instanceof LimitError) refuse(e.why, e.fix);
    if (e instanceof WasmParseError) refuse(`module is not a well-formed Wasm binary: ${e.message}`, MALFORMED);
    throw e;
  }
}

function engineMessage(bytes: Uint8Array<ArrayBuffer>): string {
  try {
    new WebAssembly.Module(bytes);
    return "the engine gave no reason";
  } catch (e) {
    return (e as Error).message;
  }
}

/** Refuses (throws LoaderError) unless `bytes` is a module PersiaOS may run as service `name`
 *  with a RAM max of `ramMaxPages` 64 KiB pages. Runs none of the module's code. */
export function validateService(bytes: Uint8Array, name: string, ramMaxPages: number): ServiceModuleInfo {
  const refuse: Refuse = (why, fix) => { throw new LoaderError(`service ${name}`, why, fix); };
  if (bytes.length > MODULE_BYTES_MAX) {
    refuse(`module is ${bytes.length} bytes; the loader takes at most ${MODULE_BYTES_MAX} (${MODULE_BYTES_MAX >> 10} KiB), ` +
      "because instrumenting a module takes binaryen time and memory in proportion to its size",
      `Check that the file is a service's .wasm output (AssemblyScript services are a few KiB). ${REBUILD}.`);
  }
  const m = readModule(bytes, refuse);
  // The memory rule first: it says what PersiaOS needs on every engine (an engine without
  // multi-memory would otherwise answer first, in its own words).
  const limits = checkMemory(m, refuse);
  checkTables(m, refuse);
  readBodies(bytes, m, refuse);
  const own = new Uint8Array(bytes); // the engine wants bytes in a plain ArrayBuffer
  if (!WebAssembly.validate(own)) {
    refuse(`module is not valid WebAssembly: ${engineMessage(own)}`, `${REBUILD}.`);
  }
  for (const imp of m.imports) checkImport(m, imp, refuse, ramMaxPages);
  const hasInit = checkExports(m, refuse);
  return {
    memoryMinPages: limits.min,
    memoryMaxPages: limits.max,
    hasInit,
    hasStart: m.start !== null,
    imports: m.imports.map((i) => `${i.module}.${i.name}`),
  };
}
