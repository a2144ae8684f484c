// Test-only: tiny service modules with real function bodies, written byte by byte, for the
// ServiceHost tests: one behaviour each (trap, deep recursion, growing memory to its max,
// calling a syscall, calling abort, looping forever), with function tables if asked. Byte
// helpers come from the loader's fixture.
// Deliberately no toolchain and no general assembler: each body is a handful of opcodes.
// Used by tests/hosts/services.test.ts; svcLoadRequest by tests/loader/image_glue.test.ts too.
import { FUNC, I32, MEMORY, leb, section, str, vec } from "../loader/wasm_fixture";
import { SL_FREE, SL_HASH, SL_NAME, SL_NAME_LEN, SL_RAM_MAX } from "../../abi/control";

// Opcodes (WebAssembly core spec, section 5.4).
export const OP = {
  unreachable: 0x00, loop: 0x03, void: 0x40, end: 0x0b, br: 0x0c, br_if: 0x0d, call: 0x10, drop: 0x1a,
  local_get: 0x20, local_tee: 0x22, i32_const: 0x41, i32_ne: 0x47, i32_add: 0x6a, memory_grow: 0x40,
};

export interface Fn {
  type: number;
  body: number[];
  /** Local declarations as [count, value type]; none if absent. */
  locals?: [number, number][];
}

export interface ServiceSpec {
  types: [number[], number[]][];
  /** Function imports, as [module, name, type index]. env.memory is always imported. */
  funcImports: [string, string, number][];
  memory: { min: number; max?: number };
  funcs: Fn[];
  exports: [string, number][];
  /** The start function's index, if any. */
  start?: number;
  /** Function tables, each filled from slot 0 with the function indices `elems` by an
   *  active element segment; each declares `max` as its maximum (default: slots; null: none). */
  tables?: Table[];
}

/** The table section and the element section that fills each table from slot 0. */
interface Table { slots: number; elems: number[]; max?: number | null }

function tableSections(tables: Table[]): [number[], number[]] {
  if (tables.length === 0) return [[], []];
  const at0 = [OP.i32_const, 0x00, OP.end];
  const segments = tables.map(({ elems }, i) => i === 0
    ? [0x00, ...at0, ...vec(elems.map((f) => leb(f)))]                     // flags 0: table 0, funcref
    : [0x02, ...leb(i), ...at0, 0x00, ...vec(elems.map((f) => leb(f)))]);  // flags 2: table i, elemkind func
  const limits = ({ slots, max }: Table) => (max === null ? [0x00, ...leb(slots)] : [0x01, ...leb(slots), ...leb(max ?? slots)]);
  return [section(4, vec(tables.map((t) => [0x70, ...limits(t)]))), section(9, vec(segments))];
}

export function buildService(s: ServiceSpec): Uint8Array {
  const limits = s.memory.max === undefined ? [0x00, ...leb(s.memory.min)] : [0x01, ...leb(s.memory.min), ...leb(s.memory.max)];
  const imports = [
    ...s.funcImports.map(([m, n, t]) => [...str(m), ...str(n), FUNC, ...leb(t)]),
    [...str("env"), ...str("memory"), MEMORY, ...limits],
  ];
  const [tableSection, elementSection] = tableSections(s.tables ?? []);
  // Sections as arrays, joined once at the end: push(...section) fails past ~120,000 bytes.
  const sections = [
    [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    section(1, vec(s.types.map(([p, r]) => [0x60, ...vec(p.map((t) => [t])), ...vec(r.map((t) => [t]))]))),
    section(2, vec(imports)),
    section(3, vec(s.funcs.map((f) => leb(f.type)))),
    tableSection,
    section(7, vec(s.exports.map(([name, index]) => [...str(name), FUNC, ...leb(index)]))),
    s.start !== undefined ? section(8, leb(s.start)) : [],
    elementSection,
    section(10, vec(s.funcs.map((f) => {
      const body = [...vec((f.locals ?? []).map(([n, t]) => [...leb(n), t])), ...f.body, OP.end];
      return [...leb(body.length), ...body];
    }))),
  ];
  return Uint8Array.from(sections.flat());
}

const VOID: [number[], number[]] = [[], []];

/** A service whose persia_event runs `body` (type 0 is () -> ()). */
export function eventService(body: number[], memory: ServiceSpec["memory"] = { min: 1 }): Uint8Array {
  return buildService({ types: [VOID], funcImports: [], memory, funcs: [{ type: 0, body }], exports: [["persia_event", 0]] });
}

export const TRAPS = eventService([OP.unreachable]);
/** persia_event calls itself forever. */
export const RECURSES = eventService([OP.call, 0]);
/** persia_event loops forever: `loop br 0 end`. */
export const SPINS = eventService([OP.loop, OP.void, OP.br, 0, OP.end]);
/** The same loop as the module's start function, which runs at instantiation. */
export const SPINS_AT_START = buildService({
  types: [VOID], funcImports: [], memory: { min: 1 },
  funcs: [{ type: 0, body: [OP.loop, OP.void, OP.br, 0, OP.end] }, { type: 0, body: [] }],
  exports: [["persia_event", 1]], start: 0,
});
/** Grows its memory a page at a time until memory.grow fails, then traps, as
 *  AssemblyScript's allocator does when it runs out of memory. */
export const GROWS = (min: number, max?: number): Uint8Array => eventService([
  OP.loop, OP.void,
  OP.i32_const, 1, OP.memory_grow, 0x00, OP.i32_const, 0x7f, OP.i32_ne, OP.br_if, 0,
  OP.end, OP.unreachable,
], { min, max });

/** persia_event calls persia.log(16, 5) once; persia_init exists and does nothing. */
export const LOGS = buildService({
  types: [[[I32, I32], [I32]], VOID],
  funcImports: [["persia", "log", 0]],
  memory: { min: 1 },
  funcs: [
    { type: 1, body: [OP.i32_const, 16, OP.i32_const, 5, OP.call, 0, OP.drop] },
    { type: 1, body: [] },
  ],
  exports: [["persia_event", 1], ["persia_init", 2]],
});

/** persia_event calls env.abort(0, 0, 7, 3). */
export const ABORTS = buildService({
  types: [[[I32, I32, I32, I32], []], VOID],
  funcImports: [["env", "abort", 0]],
  memory: { min: 1 },
  funcs: [{ type: 1, body: [OP.i32_const, 0, OP.i32_const, 0, OP.i32_const, 7, OP.i32_const, 3, OP.call, 0] }],
  exports: [["persia_event", 1]],
});

/** A svc_load request as the kernel writes it (abi/control.ts): the module's SHA-256, the
 *  mask of free slots, the RAM max in pages and the service's name. */
export function svcLoadRequest(sha256: Uint8Array, free: number, ramPages: number, name: string): Uint8Array {
  const n = new TextEncoder().encode(name);
  const r = new Uint8Array(SL_NAME + n.length);
  const v = new DataView(r.buffer);
  r.set(sha256, SL_HASH);
  v.setUint32(SL_FREE, free, true);   // ids 0..31; the rest of the SVC_MAX bits stay 0 (taken)
  v.setUint32(SL_RAM_MAX, ramPages, true);
  r[SL_NAME_LEN] = n.length;
  r.set(n, SL_NAME);
  return r;
}
