// A small, bounds-checked reader for the parts of a Wasm binary (core spec, chapter 5
// "Binary Format") that the loader needs to judge a module before any of its code runs:
// header, section ids and sizes, and the type, import, function, table, memory, export and
// start sections. Other sections (global, element, code, data, tag, custom) are only
// checked to lie inside the module and skipped here (code.ts reads the code section with this
// file's Reader). Every read checks the end first; every error is a WasmParseError naming
// the byte offset. Deliberately not a validator: types are left to WebAssembly.validate.
// Called by loader/wasm/validate.ts and code.ts.

export type ValType = "i32" | "i64" | "f32" | "f64" | "v128" | "funcref" | "externref";
export interface FuncType { params: ValType[]; results: ValType[]; }
export interface Limits { min: number; max: number | null; shared: boolean; }
export type ImportDesc =
  | { kind: "func"; type: number }
  | { kind: "table"; limits: Limits }
  | { kind: "memory"; limits: Limits }
  | { kind: "global" }
  | { kind: "tag" };
export interface Import { module: string; name: string; offset: number; desc: ImportDesc; }
export type ExternKind = "func" | "table" | "memory" | "global" | "tag";
export interface Export { name: string; kind: ExternKind; index: number; offset: number; }
export interface Section { id: number; offset: number; size: number; start: number; } // start: its content's offset
export interface WasmModule {
  sections: Section[];
  types: FuncType[];
  imports: Import[];
  functions: number[];  // type index of each function defined in the module
  memories: Limits[];   // memories defined in the module (not imported)
  tables: Limits[];     // tables defined in the module (not imported), in elements
  exports: Export[];
  start: number | null;
}

export class WasmParseError extends Error {
  constructor(readonly offset: number, readonly detail: string) {
    super(`at byte ${offset}: ${detail}`);
    this.name = "WasmParseError";
  }
}

export const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d]; // "\0asm"
export const WASM_VERSION = [0x01, 0x00, 0x00, 0x00];
export const SECTION_NAMES = ["custom", "type", "import", "function", "table", "memory",
  "global", "export", "start", "element", "code", "data", "datacount", "tag"];
const SEC = { TYPE: 1, IMPORT: 2, FUNCTION: 3, TABLE: 4, MEMORY: 5, EXPORT: 7, START: 8 };
/** Value types by their one-byte code (also a block type's, as a negative s33: 0x80 + it). */
export const VALTYPES: Record<number, ValType> = {
  0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128", 0x70: "funcref", 0x6f: "externref",
};
const EXTERN_KINDS: ExternKind[] = ["func", "table", "memory", "global", "tag"];
const FUNC_TYPE_FORM = 0x60;

/** A cursor over bytes[pos, end) that refuses to read past `end`. */
export class Reader {
  constructor(readonly bytes: Uint8Array, public pos: number, readonly end: number) {}

  fail(detail: string, at = this.pos): never { throw new WasmParseError(at, detail); }

  need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      this.fail(`${what} needs ${n} bytes but only ${this.end - this.pos} remain`);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++];
  }

  /** Unsigned LEB128 that must fit in 32 bits and use at most 5 bytes. */
  u32(what: string): number {
    const start = this.pos;
    let result = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) this.fail(`${what}: LEB128 number runs past the end`, start);
      const b = this.bytes[this.pos++];
      if (i === 4 && (b & 0x80) !== 0) this.fail(`${what}: LEB128 number is longer than 5 bytes`, start);
      if (i === 4 && (b & 0x70) !== 0) this.fail(`${what}: LEB128 number does not fit in 32 bits`, start);
      result += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return result;
    }
    return this.fail(`${what}: LEB128 number is longer than 5 bytes`, start); // not reached
  }

  /** Signed LEB128 of at most `bits` bits, so at most ceil(bits / 7) bytes. The value is
   *  exact up to 2^53 (block types, s33, need it; i64.const only needs to be skipped). */
  s(bits: number, what: string): number {
    const start = this.pos;
    const max = Math.ceil(bits / 7);
    let result = 0;
    for (let i = 0; i < max; i++) {
      if (this.pos >= this.end) this.fail(`${what}: LEB128 number runs past the end`, start);
      const b = this.bytes[this.pos++];
      result += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return (b & 0x40) !== 0 ? result - 2 ** (7 * (i + 1)) : result;
    }
    return this.fail(`${what}: LEB128 number is longer than ${max} bytes`, start);
  }

  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  name(what: string): string {
    const start = this.pos;
    const bytes = this.take(this.u32(`${what} length`), what);
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      return this.fail(`${what} is not valid UTF-8`, start);
    }
  }

  vec<T>(what: string, item: (i: number) => T): T[] {
    const n = this.u32(`${what} count`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item(i));
    return out;
  }
}

export function valType(r: Reader): ValType {
  const at = r.pos;
  const b = r.u8("value type");
  return VALTYPES[b] ?? r.fail(`value type 0x${b.toString(16)} is not one this loader knows`, at);
}

function funcType(r: Reader): FuncType {
  const at = r.pos;
  const form = r.u8("type form");
  if (form !== FUNC_TYPE_FORM) {
    r.fail(`type form 0x${form.toString(16)} is not a function type (0x60); GC types are not supported`, at);
  }
  return { params: r.vec("parameter", () => valType(r)), results: r.vec("result", () => valType(r)) };
}

function limits(r: Reader, what: string): Limits {
  const at = r.pos;
  const flags = r.u8(`${what} limits flags`);
  if (flags > 0x03) r.fail(`${what} limits flags 0x${flags.toString(16)} (64-bit or unknown) are not supported`, at);
  const min = r.u32(`${what} minimum`);
  const max = (flags & 0x01) !== 0 ? r.u32(`${what} maximum`) : null;
  return { min, max, shared: (flags & 0x02) !== 0 };
}

function importDesc(r: Reader): ImportDesc {
  const at = r.pos;
  const kind = r.u8("import kind");
  switch (kind) {
    case 0x00: return { kind: "func", type: r.u32("function type index") };
    case 0x01: valType(r); return { kind: "table", limits: limits(r, "table") };
    case 0x02: return { kind: "memory", limits: limits(r, "memory") };
    case 0x03: valType(r); r.u8("global mutability"); return { kind: "global" };
    case 0x04: r.u8("tag attribute"); r.u32("tag type index"); return { kind: "tag" };
    default: return r.fail(`import kind 0x${kind.toString(16)} is not func, table, memory, global or tag`, at);
  }
}

function exportEntry(r: Reader): Export {
  const offset = r.pos;
  const name = r.name("export name");
  const at = r.pos;
  const kind = r.u8("export kind");
  if (kind >= EXTERN_KINDS.length) r.fail(`export kind 0x${kind.toString(16)} is not known`, at);
  return { name, kind: EXTERN_KINDS[kind], index: r.u32("export index"), offset };
}

function readSection(m: WasmModule, id: number, r: Reader): void {
  switch (id) {
    case SEC.TYPE: m.types = r.vec("type", () => funcType(r)); break;
    case SEC.IMPORT: m.imports = r.vec("import", () => {
      const offset = r.pos;
      const module = r.name("import module name");
      const name = r.name("import name");
      return { module, name, offset, desc: importDesc(r) };
    }); break;
    case SEC.FUNCTION: m.functions = r.vec("function", () => r.u32("function type index")); break;
    case SEC.TABLE: m.tables = r.vec("table", () => { valType(r); return limits(r, "table"); }); break;
    case SEC.MEMORY: m.memories = r.vec("memory", () => limits(r, "memory")); break;
    case SEC.EXPORT: m.exports = r.vec("export", () => exportEntry(r)); break;
    case SEC.START: m.start = r.u32("start function index"); break;
    case 0: r.name("custom section name"); r.pos = r.end; break;
    default: r.pos = r.end; break;
  }
}

/** Reads a whole module. Throws WasmParseError at the first malformed byte. */
export function parseModule(bytes: Uint8Array): WasmModule {
  const r = new Reader(bytes, 0, bytes.length);
  const magic = r.take(4, "the magic number \\0asm");
  if (!WASM_MAGIC.every((b, i) => magic[i] === b)) r.fail("not a Wasm module (the magic number \\0asm is missing)", 0);
  const version = r.take(4, "the version");
  if (!WASM_VERSION.every((b, i) => version[i] === b)) {
    r.fail(`version ${Array.from(version).join(",")} is not Wasm version 1`, 4);
  }
  const m: WasmModule = { sections: [], types: [], imports: [], functions: [], memories: [], tables: [], exports: [], start: null };
  const seen = new Set<number>();
  while (r.pos < r.end) {
    const offset = r.pos;
    const id = r.u8("section id");
    if (id >= SECTION_NAMES.length) r.fail(`section id ${id} is not known`, offset);
    const what = `${SECTION_NAMES[id]} section`;
    if (id !== 0 && seen.has(id)) r.fail(`the ${what} appears twice`, offset);
    seen.add(id);
    const size = r.u32(`${what} size`);
    r.need(size, `the ${what} (declared ${size} bytes)`);
    const body = new Reader(bytes, r.pos, r.pos + size);
    readSection(m, id, body);
    if (body.pos !== body.end) {
      r.fail(`the ${what} declares ${size} bytes but its content ends ${body.end - body.pos} bytes early`, body.pos);
    }
    m.sections.push({ id, offset, size, start: body.end - size });
    r.pos = body.end;
  }
  return m;
}

/** The type of function `index` in the function index space (imports first), or null. */
export function functionType(m: WasmModule, index: number): FuncType | null {
  const imported = m.imports.filter((i) => i.desc.kind === "func");
  const typeIndex = index < imported.length
    ? (imported[index].desc as { type: number }).type
    : m.functions[index - imported.length];
  return typeIndex === undefined ? null : m.types[typeIndex] ?? null;
}

export function formatFuncType(t: FuncType): string {
  const results = t.results.length === 0 ? "()" : t.results.join(", ");
  return `(${t.params.join(", ")}) -> ${results}`;
}
