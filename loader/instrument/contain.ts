// Containment (issue #4): a binaryen pass that makes a metered service module unable to
// trap, for the wasmtime image, where a trap would end the whole process. Each check calls
// the import persia_fault.fault(reason) (abi/contract.ts CONTAIN_IMPORTS; reasons: abi/
// image.ts FaultReason), which never returns: the glue unwinds the service. The checks on
// single instructions are in guards.ts; here: the stack budget (each function charges an
// estimated frame to the exported persia_stack), call_indirect's static slot types, the
// exported RAM limit persia_ram_max that every memory.grow is checked against, and
// persia_reset (CONTAIN_EXPORTS), which replaces the start function and the active data
// segments, so instantiating the module runs nothing and cannot fail.
// Refuses what it cannot make safe: a table imported, exported or changed at run time,
// element segments that do not fit, call_ref. Deliberately not here: fuel (fuel.ts runs
// first), validation (validateService), what fault does (loader/image/glue.ts).
// Used by `persia image` (loader/image); spec/instrumentation.md "Containment".
import type binaryen from "binaryen";
import { CONTAIN_EXPORTS, CONTAIN_IMPORTS, Fn, GlobalEntry } from "../../abi/contract";
import { FaultReason } from "../../abi/image";
import { Binaryen, BinaryenModule, extras, loadBinaryen, Refuse, rewriteService } from "./binaryen";
import { ContainCounts, Context, Frame, Guards, Locals } from "./guards";
import { Ref, Site, Walker } from "./walk";

export type { ContainCounts } from "./guards";

export interface Contained {
  bytes: Uint8Array;      // the contained module
  counts: ContainCounts;  // the checks added, by kind
}

/** How far persia_stack may go, in estimated bytes: 128 KiB. wasmtime's default wasm
 *  stack is 512 KiB, shared with the shim, kernel and glue frames below the service and
 *  with the kernel serving a syscall above it. Measured under wasmtime 49 (x86-64,
 *  spec/instrumentation.md): a recursion bomb stops after 37 KiB of real stack (recurse)
 *  to 127 KiB (100 parameters, 300 values waiting), leaving over 380 KiB to the rest. */
export const STACK_BUDGET = 128 * 1024;
/** A frame's estimated fixed part: return address, frame pointer, saved registers. */
export const FRAME_BASE = 64;
/** Estimated bytes per parameter or local (one spill slot); a v128 counts twice. */
export const SLOT_BYTES = 8;

function containExport<T extends Fn | GlobalEntry>(name: string): T {
  const e = CONTAIN_EXPORTS.find((x) => x.name === name);
  if (e === undefined) throw new Error(`abi/contract.ts CONTAIN_EXPORTS no longer lists ${name}`);
  return e as T;
}
const RESET = containExport<Fn>("persia_reset");
const STACK = containExport<GlobalEntry>("persia_stack");
const RAM_MAX = containExport<GlobalEntry>("persia_ram_max");
/** persia_ram_max of a memory declared without a maximum: 4 GiB, the most a 32-bit memory has. */
const PAGES_MAX = 65536;
const [FAULT] = CONTAIN_IMPORTS;
const PAGE_SHIFT = 16n;
const DATA_SECTION = 11;  // core spec 5.5.14


/** Instructions no check can make safe, and why a module using them is refused. */
const REFUSED: [kind: string, why: string][] = [
  ["TableSet", "changes a table with table.set"], ["TableGrow", "grows a table"],
  ["TableFill", "fills a table"], ["TableCopy", "copies within a table"], ["TableInit", "initialises a table"],
  ["TableGet", "reads a table with table.get"], ["CallRef", "calls a function reference (call_ref)"],
  ["RefAs", "converts a reference (ref.as_non_null can trap)"],
];

interface Table { slots: number[]; fn: string | null }          // each slot's type id (0: empty)
interface Segment { offset: number | null; length: number; global: string | null } // offset: active

class Pass implements Context {
  readonly walker: Walker;
  readonly guards: Guards;
  readonly counts: ContainCounts = { access: 0, bulk: 0, grow: 0, division: 0, conversion: 0, unreachable: 0, indirect: 0, frames: 0, segments: 0 };
  readonly refused = new Map<number, string>();
  readonly tables = new Map<string, Table>();
  readonly types = new Map<string, number>();
  readonly segments = new Map<string, Segment>();
  faultFn = "";
  memoryEnd = "";
  ramMax = "";
  stack = "";
  minBytes = 0;

  constructor(readonly b: Binaryen, readonly m: BinaryenModule, readonly refuse: Refuse) {
    this.walker = new Walker(b);
    this.guards = new Guards(b, m, this, this.counts);
    const api = b as unknown as Record<string, number | (() => number)>;
    for (const [kind, why] of REFUSED) {
      const id = api[`${kind}Id`] ?? (api[`_Binaryen${kind}Id`] as () => number)?.();
      if (typeof id === "number") this.refused.set(id, why);
    }
  }

  fault(reason: FaultReason): Ref {
    return this.m.call(this.faultFn, [this.m.i32.const(reason)], this.b.none);
  }

  segmentLength(name: string): Ref {
    const s = this.segments.get(name)!;
    return s.global === null ? this.m.i64.const(0n) : this.m.i64.extend_u(this.m.global.get(s.global, this.b.i32));
  }

  segmentDropped(name: string): Ref {
    const s = this.segments.get(name)!;
    return s.global === null ? this.m.nop() : this.m.global.set(s.global, this.m.i32.const(0));
  }

  /** The id of a function type; equal types (params and results) share it. */
  typeId(params: number, results: number): number {
    const key = `${params}:${results}`;
    let id = this.types.get(key);
    if (id === undefined) this.types.set(key, id = this.types.size + 1);
    return id;
  }

  slotTypeCheck(table: string, index: Ref, params: number, results: number): Ref {
    const t = this.tables.get(table)!;
    t.fn ??= this.fresh(`persia_slot_type_${table}`, (n) => this.m.getFunction(n) !== 0);
    const { m, b } = this;
    return m.i32.eq(m.call(t.fn, [index], b.i32), m.i32.const(this.typeId(params, results)));
  }

  fresh(base: string, taken: (name: string) => boolean): string {
    let name = base;
    for (let i = 1; taken(name); i++) name = `${base}$${i}`;
    return name;
  }

  memoryBytes(): Ref {
    const m = this.m;
    return m.i64.shl(m.i64.extend_u(m.memory.size()), m.i64.const(PAGE_SHIFT));
  }

  /** Refuses a module that already has a name the pass adds. */
  checkNames(functions: binaryen.FunctionInfo[]): void {
    const { m } = this;
    for (const name of [RESET.name, STACK.name, RAM_MAX.name]) {
      if (m.getExport(name) !== 0) this.refuse(`module exports ${name}; only the loader's containment adds it (abi/contract.ts CONTAIN_EXPORTS)`, "Rename that export.");
    }
    if (functions.some((f) => f.module === FAULT.module && f.base === FAULT.name)) {
      this.refuse(`module imports ${FAULT.module}.${FAULT.name}; only the loader's containment adds it (abi/contract.ts CONTAIN_IMPORTS)`,
        "Rebuild it against services/sdk.");
    }
  }

  /** Each table's slot types from its active element segments, refusing tables whose
   *  contents could change or that the module does not own. */
  surveyTables(): void {
    const { b, m } = this;
    const fix = "Build the service without an imported, exported or growable table (AssemblyScript's defaults).";
    for (let i = 0; i < m.getNumTables(); i++) {
      const t = b.getTableInfo(m.getTableByIndex(i));
      if (t.module) this.refuse(`module imports table ${t.module}.${t.base}; only a table of its own can be checked`, fix);
      this.tables.set(t.name, { slots: new Array<number>(t.initial).fill(0), fn: null });
    }
    for (let i = 0; i < m.getNumExports(); i++) {
      const e = b.getExportInfo(m.getExportByIndex(i));
      if (e.kind === b.ExternalTable) this.refuse(`module exports table ${e.value} as ${e.name}; someone else could change it`, fix);
    }
    const x = b as unknown as { _BinaryenElementSegmentIsPassive(seg: Ref): boolean };
    for (let i = 0; i < m.getNumElementSegments(); i++) {
      const seg = m.getElementSegmentByIndex(i);
      if (x._BinaryenElementSegmentIsPassive(seg)) continue; // only table.init could use it, and it is refused
      const info = b.getElementSegmentInfo(seg);
      const table = this.tables.get(info.table)!;
      const offset = b.getExpressionId(info.offset) === b.ConstId ? (b.getExpressionInfo(info.offset) as binaryen.ConstInfo).value as number : null;
      if (offset === null) this.refuse(`element segment ${info.name} has an offset that is not a constant`, fix);
      if ((offset >>> 0) + info.data.length > table.slots.length) {
        this.refuse(`element segment ${info.name} fills slots ${offset >>> 0}..${(offset >>> 0) + info.data.length - 1} ` +
          `of table ${info.table}, which has ${table.slots.length}: instantiating it would trap`, fix);
      }
      info.data.forEach((fn, j) => {
        const f = fn ? b.getFunctionInfo(m.getFunction(fn)) : null;
        table.slots[(offset >>> 0) + j] = f ? this.typeId(f.params, f.results) : 0;
      });
    }
  }

  /** The function returning slot i's type id (0 for empty or out of range): a br_table
   *  over the slots up to the last one filled, each to a block returning its id. */
  addSlotTypeFunction(t: Table): void {
    const { b, m } = this;
    let last = t.slots.length;
    while (last > 0 && t.slots[last - 1] === 0) last--;
    const filled = t.slots.slice(0, last);
    let body = m.switch(filled.map((id) => `s${id}`), "s0", m.local.get(0, b.i32));
    for (const id of new Set([0, ...filled])) body = m.block(null, [m.block(`s${id}`, [body]), m.return(m.i32.const(id))]);
    m.addFunction(t.fn!, b.i32, b.i32, [], body);
  }

  /** Spill slots a value of type t takes: one per scalar, two per v128. */
  slots(t: number): number {
    const b = this.b;
    if (t === b.none || t === b.unreachable) return 0;
    return b.expandType(t).reduce((n, x) => n + (x === b.v128 ? 2 : 1), 0);
  }

  /** Every expression of the function body, children after parents, each with the number
   *  of enclosing checks that hold a local (guards.ts) and the spill slots of the values
   *  waiting while it runs: every sibling's value (an if's condition is consumed first). */
  expressions(ref: Ref, info: binaryen.FunctionInfo): { site: Site; depth: number; pending: number }[] {
    const b = this.b;
    const nodes: { site: Site; depth: number; pending: number }[] = [];
    const work = [{ site: { e: info.body, put: (r: Ref) => extras(b).Function.setBody(ref, r) }, depth: 0, pending: 0 }];
    const fix = "Build it without reference types, exception handling, threads or GC (AssemblyScript's defaults do).";
    for (let item = work.pop(); item !== undefined; item = work.pop()) {
      const e = item.site.e, id = b.getExpressionId(e);
      const why = this.refused.get(id);
      if (why !== undefined) this.refuse(`function ${info.name} ${why}, which the containment cannot check`, fix);
      const operands = this.walker.operands(e);
      if (operands === null) this.refuse(`function ${info.name} uses ${this.walker.kindName(id)} expressions, which the containment cannot see into`, fix);
      nodes.push(item);
      const depth = item.depth + (this.guards.holds(e, id) ? 1 : 0);
      const slots = operands.map((s) => id === b.IfId ? 0 : this.slots(b.getExpressionType(s.e)));
      const all = slots.reduce((n, x) => n + x, 0);
      operands.forEach((site, i) => work.push({ site, depth, pending: item!.pending + all - slots[i] }));
    }
    return nodes;
  }

  /** Every check inside function ref, then its stack charge at entry and release at every
   *  exit. Its frame is estimated as FRAME_BASE + SLOT_BYTES per slot of its locals, of the
   *  most values ever waiting on its operand stack, and twice per slot of its parameters
   *  (those past the registers are passed in the caller's frame and kept in the callee's). */
  containFunction(ref: Ref): void {
    const { b, m } = this;
    const x = extras(b);
    const info = b.getFunctionInfo(ref);
    const nodes = this.expressions(ref, info);
    const waiting = nodes.reduce((n, node) => Math.max(n, node.pending), 0);
    const frame = FRAME_BASE + SLOT_BYTES * [info.params, info.params, ...info.vars].reduce((n, t) => n + this.slots(t), waiting);
    const held = () => m.global.get(this.stack, b.i32);
    const f: Frame = {
      locals: new Locals((t) => x._BinaryenFunctionAddVar(ref, t)),
      release: () => m.global.set(this.stack, m.i32.sub(held(), m.i32.const(frame))),
    };
    for (let i = nodes.length - 1; i >= 0; i--) this.guards.apply(f, nodes[i].site, nodes[i].depth);
    const body = b.getFunctionInfo(ref).body;
    const t = b.getExpressionType(body);
    const charge = [
      m.global.set(this.stack, m.i32.add(held(), m.i32.const(frame))),
      m.if(m.i32.gt_u(held(), m.i32.const(STACK_BUDGET)), this.fault(FaultReason.STACK)),
    ];
    let wrapped: Ref;
    if (t === b.none) wrapped = m.block(null, [...charge, body, f.release()], b.none);
    else if (t === b.unreachable) wrapped = m.block(null, [...charge, body], info.results);
    else {
      const r = f.locals.get(t, "tmp");
      wrapped = m.block(null, [...charge, m.local.set(r, body), f.release(), m.local.get(r, t)], t);
    }
    x.Function.setBody(ref, wrapped);
    this.counts.frames++;
  }

  /** The data segments, each passive one with a global for its length (data.drop sets it
   *  to 0, persia_reset restores it). Active ones become passive in passiveData. */
  surveySegments(): void {
    const m = this.m;
    const x = m as unknown as {
      getNumDataSegments(): number;
      getDataSegmentInfo(seg: Ref): { name: string; offset: number | null; data: ArrayBuffer; passive: boolean };
    };
    for (let i = 0; i < x.getNumDataSegments(); i++) {
      const s = x.getDataSegmentInfo(m.getDataSegmentByIndex(i));
      const global = s.passive ? this.fresh(`persia_segment_${s.name}`, (n) => m.getGlobal(n) !== 0) : null;
      if (global !== null) m.addGlobal(global, this.b.i32, true, m.i32.const(s.data.byteLength));
      this.segments.set(s.name, { offset: s.passive ? null : s.offset! >>> 0, length: s.data.byteLength, global });
      if (!s.passive) this.counts.segments++;
    }
  }

  /** persia_reset: globals to their initial values, the memory zeroed and its data
   *  segments copied in (each checked to fit), then the former start function. */
  addReset(globals: { name: string; init: Ref }[], start: string | null): void {
    const { b, m } = this;
    const half = () => m.local.get(0, b.i32);  // half the memory's bytes: 2^31 at most
    const body: Ref[] = [
      ...globals.map((g) => m.global.set(g.name, m.copyExpression(g.init))),
      m.global.set(this.stack, m.i32.const(0)),
      m.global.set(this.memoryEnd, this.memoryBytes()),
      m.local.set(0, m.i32.shl(m.memory.size(), m.i32.const(Number(PAGE_SHIFT) - 1))),
      m.memory.fill(m.i32.const(0), m.i32.const(0), half()),
      m.memory.fill(half(), m.i32.const(0), half()),
    ];
    for (const [name, s] of this.segments) {
      if (s.global !== null) body.push(m.global.set(s.global, m.i32.const(s.length)));
      if (s.offset === null) continue;
      const end = m.i64.const(BigInt(s.offset) + BigInt(s.length));
      body.push(m.if(m.i64.gt_u(end, m.global.get(this.memoryEnd, b.i64)), this.fault(FaultReason.OOB)));
      body.push(m.memory.init(name, m.i32.const(s.offset), m.i32.const(0), m.i32.const(s.length)));
    }
    if (start !== null) body.push(m.call(start, [], b.none));
    const name = this.fresh(RESET.name, (n) => m.getFunction(n) !== 0);
    m.addFunction(name, b.none, b.none, [b.i32], m.block(null, body, b.none));
    m.addFunctionExport(name, RESET.name);
  }

  run(): void {
    const { b, m } = this;
    const functions = Array.from({ length: m.getNumFunctions() }, (_, i) => m.getFunctionByIndex(i));
    const infos = functions.map((f) => b.getFunctionInfo(f));
    this.checkNames(infos);
    if (!m.hasMemory()) this.refuse("module has no memory", "Build it with importMemory (asconfig target \"service\").");
    this.minBytes = m.getMemoryInfo().initial * 2 ** Number(PAGE_SHIFT);
    const globals = Array.from({ length: m.getNumGlobals() }, (_, i) => b.getGlobalInfo(m.getGlobalByIndex(i)))
      .filter((g) => g.mutable && !g.module);
    this.surveyTables();
    this.surveySegments();
    this.faultFn = this.fresh(`${FAULT.module}.${FAULT.name}`, (n) => m.getFunction(n) !== 0);
    m.addFunctionImport(this.faultFn, FAULT.module, FAULT.name, b.i32, b.none);
    this.memoryEnd = this.fresh("persia_memory_end", (n) => m.getGlobal(n) !== 0);
    m.addGlobal(this.memoryEnd, b.i64, true, m.i64.const(BigInt(this.minBytes)));
    this.stack = this.fresh(STACK.name, (n) => m.getGlobal(n) !== 0);
    m.addGlobal(this.stack, b.i32, STACK.mutable, m.i32.const(0));
    m.addGlobalExport(this.stack, STACK.name);
    // Added after `globals` was listed, so persia_reset keeps the limit the glue set.
    this.ramMax = this.fresh(RAM_MAX.name, (n) => m.getGlobal(n) !== 0);
    m.addGlobal(this.ramMax, b.i32, RAM_MAX.mutable, m.i32.const(m.getMemoryInfo().max ?? PAGES_MAX));
    m.addGlobalExport(this.ramMax, RAM_MAX.name);
    functions.forEach((f, i) => { if (!infos[i].module) this.containFunction(f); });
    for (const t of this.tables.values()) if (t.fn !== null) this.addSlotTypeFunction(t);
    const start = m.getStart();
    this.addReset(globals, start ? b.getFunctionInfo(start).name : null);
    if (start) m.setStart(0);
  }
}

/** bytes with every active data segment made passive (core spec 5.5.14: flags 0 and 2
 *  become 1, the offset expression goes), every other byte as it was: binaryen.js cannot
 *  change a segment's mode. persia_reset copies them in at the offsets it was given. */
function passiveData(bytes: Uint8Array, refuse: Refuse): Uint8Array {
  let pos = 8;
  const u32 = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[pos++];
      v += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return v;
    }
  };
  const leb = (v: number) => {
    const out: number[] = [];
    do { out.push((v & 0x7f) | (v >= 0x80 ? 0x80 : 0)); v = Math.floor(v / 128); } while (v > 0);
    return Uint8Array.from(out);
  };
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  const rebuild = "Rebuild it against services/sdk.";
  while (pos < bytes.length) {
    const at = pos, id = bytes[pos++], size = u32(), end = pos + size;
    if (id !== DATA_SECTION) { parts.push(bytes.subarray(at, end)); pos = end; continue; }
    const count = u32();
    const segments: Uint8Array[] = [leb(count)];
    for (let i = 0; i < count; i++) {
      const flags = u32();
      if (flags === 2 && u32() !== 0) refuse(`data segment ${i} is for a memory other than the first`, rebuild);
      if ((flags === 0 || flags === 2) && (bytes[pos++] !== 0x41 || (u32(), bytes[pos++]) !== 0x0b)) {
        refuse(`data segment ${i} has an offset that is not an i32 constant`, rebuild);
      }
      const len = u32();
      segments.push(Uint8Array.of(1), leb(len), bytes.subarray(pos, pos + len));
      pos += len;
    }
    const length = segments.reduce((n, x) => n + x.length, 0);
    parts.push(Uint8Array.of(id), leb(length));
    for (const s of segments) parts.push(s); // not push(...segments): there may be 100,000
  }
  const out = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  parts.reduce((at, x) => (out.set(x, at), at + x.length), 0);
  return out;
}

/** Contains a module meterWith produced, with binaryen already loaded. Throws a
 *  LoaderError if the module uses something the pass cannot make safe. */
export function containWith(b: Binaryen, bytes: Uint8Array, name: string): Contained {
  return rewriteService(b, bytes, name, "contained", (m, refuse) => {
    const pass = new Pass(b, m, refuse);
    pass.run();
    return (out) => ({ bytes: passiveData(out, refuse), counts: pass.counts });
  });
}

/** Contains a metered module (loads binaryen on first use). */
export async function contain(bytes: Uint8Array, name: string): Promise<Contained> {
  return containWith(await loadBinaryen(), bytes, name);
}
