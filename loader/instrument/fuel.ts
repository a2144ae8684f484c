// Fuel metering (issue #5): a binaryen pass over a service module that validateService
// has accepted. It adds a mutable i64 global exported as persia_fuel and the import
// persia.fuel_exhausted (abi/contract.ts FUEL_EXPORTS, FUEL_IMPORTS). At the entry of every
// function and the header of every loop it subtracts a static cost from the fuel and, if
// the fuel is then below zero, calls fuel_exhausted, which never returns. A region's cost
// is 1 plus its instructions that can run once per entry or iteration: nested loops are
// charged at their own headers, blocks are free, a call that may reach an import (a
// syscall) costs IMPORT_CALL_COST more: a call to one, and a call_indirect of an import's
// type into a table that may hold one (reach.ts); memory.copy, memory.fill and
// memory.init also pay for their length, just before they run (spec/instrumentation.md).
// The cost is in the bytes, so the same module uses the same fuel on every engine.
// Each function keeps the fuel in a local and stores it through to the global at every
// charge (so the global is always current), and reloads it after each call that may have
// charged it: a loop then pays no load from memory.
// Deliberately not here: budgets (the kernel decides them), what happens when the fuel
// runs out (the host's import), validation (validateService runs first).
// Used by hosts/node/services.ts when a service is added, and by `persia image`
// (loader/image/compose.ts).
import type binaryen from "binaryen";
import { FUEL_EXPORTS, FUEL_IMPORTS } from "../../abi/contract";
import { Binaryen, BinaryenExtras, BinaryenModule, extras, loadBinaryen, Refuse, rewriteService } from "./binaryen";
import { Ref, Site, Walker } from "./walk";
import { tablesHoldingImports } from "./reach";

export interface Metered {
  bytes: Uint8Array;   // the instrumented module
  functions: number;   // functions charged at entry
  loops: number;       // loops charged at their header
  bulk: number;        // memory.copy/fill/init charged for their length
}

/** Bytes a bulk memory instruction moves or fills per fuel unit, as a shift (64 bytes):
 *  about what a few simple instructions cost. */
export const BULK_BYTES_SHIFT = 6;
/** What a call to an import costs on top of its own unit: a syscall through the Node host
 *  and the kernel takes about as long as a thousand simple instructions (~0.25 µs). */
export const IMPORT_CALL_COST = 1000;
const BULK = ["MemoryCopy", "MemoryFill", "MemoryInit"] as const;


/** One region: a function body or a loop body, as it was before the pass. */
interface Region {
  count: number;   // expressions other than blocks, outside nested loops
  loops: Ref[];    // the loops directly inside it
  bulk: Ref[];     // its bulk memory instructions
  calls: Site[];   // calls that may change the fuel (not imports, not tail calls)
}

/** One function being metered: its locals for the cached fuel and for call results. */
class Fn {
  private readonly results = new Map<number, number>();
  readonly fuel: number;
  private size = -1;

  constructor(private readonly x: BinaryenExtras, readonly ref: Ref, i64: number) {
    this.fuel = x._BinaryenFunctionAddVar(ref, i64);
  }

  /** A scratch local of type t (one per type and function: each is read right after it is set). */
  scratch(t: number): number {
    let local = this.results.get(t);
    if (local === undefined) this.results.set(t, local = this.x._BinaryenFunctionAddVar(this.ref, t));
    return local;
  }

  sizeLocal(i32: number): number {
    if (this.size < 0) this.size = this.x._BinaryenFunctionAddVar(this.ref, i32);
    return this.size;
  }
}

class Pass {
  readonly x: BinaryenExtras;
  readonly walker: Walker;
  readonly bulkIds: Map<number, typeof BULK[number]>;
  readonly imports = new Set<string>();
  readonly importTypes = new Set<string>();   // "params:results" of each import, as binaryen type ids
  suspectTables = new Set<string>();   // tables that may hold an import (reach.ts)
  global = "";
  exhausted = "";
  functions = 0;
  loops = 0;
  bulk = 0;

  constructor(readonly b: Binaryen, readonly m: BinaryenModule, readonly refuse: Refuse) {
    this.x = extras(b);
    this.walker = new Walker(b);
    const api = b as unknown as Record<string, number>;
    this.bulkIds = new Map(BULK.map((k) => [api[`${k}Id`], k]));
  }

  /** Counts a region's expressions without descending into its loops, which it returns
   *  with its bulk memory instructions and the calls after which the fuel is reloaded. */
  scan(root: Site, where: string): Region {
    const b = this.b;
    const region: Region = { count: 0, loops: [], bulk: [], calls: [] };
    const stack = [root];
    for (let site = stack.pop(); site !== undefined; site = stack.pop()) {
      const e = site.e;
      const id = b.getExpressionId(e);
      if (id === b.LoopId) { region.loops.push(e); continue; }
      if (id !== b.BlockId) region.count++;
      if (this.mayReachImport(e, id)) region.count += IMPORT_CALL_COST;
      if (this.bulkIds.has(id)) region.bulk.push(e);
      if (this.reloadsAfter(e, id)) region.calls.push(site);
      const operands = this.walker.operands(e);
      if (operands === null) {
        this.refuse(`function ${where} uses ${this.walker.kindName(id)} expressions, which the fuel metering ` +
          "cannot see into", "Build it without exception handling, threads or GC (AssemblyScript's defaults do).");
      }
      for (const o of operands) stack.push(o); // not push(...operands): a block may have 100,000 children
    }
    return region;
  }

  callsImport(call: Ref): boolean {
    return this.imports.has((this.b.getExpressionInfo(call) as binaryen.CallInfo).target);
  }

  /** A call to an import, or a call_indirect of an import's type into a table that may
   *  hold one (reach.ts): either may run a syscall, so either pays for one. (The engine
   *  traps a call_indirect whose type is not the callee's, so other types cannot.) */
  mayReachImport(e: Ref, id: number): boolean {
    if (id === this.b.CallId) return this.callsImport(e);
    if (id !== this.b.CallIndirectId) return false;
    const info = this.b.getExpressionInfo(e) as binaryen.CallIndirectInfo & { table: string; params: number; results: number };
    return this.suspectTables.has(info.table) && this.importTypes.has(`${info.params}:${info.results}`);
  }

  /** A call returns with the fuel changed unless it is a tail call (it never returns here),
   *  calls an import (imports do not touch the fuel) or cannot run (unreachable type). */
  reloadsAfter(e: Ref, id: number): boolean {
    const b = this.b;
    if (id !== b.CallId && id !== b.CallIndirectId) return false;
    const info = b.getExpressionInfo(e) as binaryen.CallInfo | binaryen.CallIndirectInfo;
    if (info.isReturn || info.type === b.unreachable) return false;
    return id === b.CallIndirectId || !this.callsImport(e);
  }

  /** `f.fuel = base - cost; persia_fuel = f.fuel; if (f.fuel < 0) fuel_exhausted();` */
  charge(f: Fn, base: Ref, cost: Ref): Ref[] {
    const { b, m } = this;
    const fuel = () => m.local.get(f.fuel, b.i64);
    return [
      m.local.set(f.fuel, m.i64.sub(base, cost)),
      m.global.set(this.global, fuel()),
      m.if(m.i64.lt_s(fuel(), m.i64.const(0n)), m.call(this.exhausted, [], b.none)),
    ];
  }

  /** body, after a charge of `units` taken from `base` (the global at entry, else the local). */
  chargedBody(f: Fn, base: Ref, units: number, body: Ref): Ref {
    const { b, m } = this;
    return m.block(null, [...this.charge(f, base, m.i64.const(BigInt(units))), body], b.auto);
  }

  /** The call e, then the fuel reloaded from the global; e's value is kept in a scratch local. */
  reloaded(f: Fn, e: Ref): Ref {
    const { b, m } = this;
    const reload = m.local.set(f.fuel, m.global.get(this.global, b.i64));
    const t = b.getExpressionType(e);
    if (t === b.none) return m.block(null, [e, reload], b.none);
    const tmp = f.scratch(t);
    return m.block(null, [m.local.set(tmp, e), reload, m.local.get(tmp, t)], t);
  }

  /** The length operand of a bulk memory instruction, charged one unit per 64 bytes. */
  sized(f: Fn, size: Ref): Ref {
    const { b, m } = this;
    const tmp = f.sizeLocal(b.i32);
    const units = m.i64.extend_u(m.i32.shr_u(m.local.get(tmp, b.i32), m.i32.const(BULK_BYTES_SHIFT)));
    return m.block(null, [
      m.local.set(tmp, size),
      ...this.charge(f, m.local.get(f.fuel, b.i64), units),
      m.local.get(tmp, b.i32),
    ], b.i32);
  }

  /** Charges a function at its entry and each loop in it at its header, and each bulk
   *  memory instruction for its length. Every cost is counted on the original code. */
  meterFunction(ref: Ref): void {
    const { b, m, x } = this;
    const info = b.getFunctionInfo(ref);
    const top = this.scan({ e: info.body, put: (r) => x.Function.setBody(ref, r) }, info.name);
    const loops: { loop: Ref; region: Region }[] = [];
    const add = (l: Ref) => {
      const region = this.scan({ e: x.Loop.getBody(l), put: (r) => x.Loop.setBody(l, r) }, info.name);
      loops.push({ loop: l, region });
    };
    top.loops.forEach(add);
    for (let i = 0; i < loops.length; i++) loops[i].region.loops.forEach(add);
    const regions = [top, ...loops.map((l) => l.region)];
    const f = new Fn(x, ref, b.i64);
    for (const site of regions.flatMap((r) => r.calls)) site.put(this.reloaded(f, site.e));
    const bulk = regions.flatMap((r) => r.bulk);
    for (const e of bulk) {
      const op = x[this.bulkIds.get(b.getExpressionId(e))!];
      op.setSize(e, this.sized(f, op.getSize(e)));
    }
    for (const { loop, region } of loops) {
      x.Loop.setBody(loop, this.chargedBody(f, m.local.get(f.fuel, b.i64), 1 + region.count, x.Loop.getBody(loop)));
    }
    const body = b.getFunctionInfo(ref).body;
    x.Function.setBody(ref, this.chargedBody(f, m.global.get(this.global, b.i64), 1 + top.count, body));
    this.functions++;
    this.loops += loops.length;
    this.bulk += bulk.length;
  }

  /** A name for something the pass adds that the module does not use yet. */
  fresh(base: string, taken: (name: string) => boolean): string {
    let name = base;
    for (let i = 1; taken(name); i++) name = `${base}$${i}`;
    return name;
  }

  run(): void {
    const { b, m } = this;
    const g = FUEL_EXPORTS.fuel;
    const imp = FUEL_IMPORTS[0];
    if (m.getExport(g.name) !== 0) this.refuse(`module already exports ${g.name}`, "Rename that export.");
    const defined: Ref[] = [];
    for (let i = 0; i < m.getNumFunctions(); i++) {
      const f = m.getFunctionByIndex(i);
      const info = b.getFunctionInfo(f);
      if (info.module === "") defined.push(f);
      else {
        this.imports.add(info.name);
        this.importTypes.add(`${info.params}:${info.results}`);
      }
    }
    this.suspectTables = tablesHoldingImports(b, m);
    this.global = this.fresh(g.name, (n) => m.getGlobal(n) !== 0);
    this.exhausted = this.fresh(`${imp.module}.${imp.name}`, (n) => m.getFunction(n) !== 0);
    m.addGlobal(this.global, b.i64, g.mutable, m.i64.const(BigInt(g.start)));
    m.addGlobalExport(this.global, g.name);
    m.addFunctionImport(this.exhausted, imp.module, imp.name, b.none, b.none);
    for (const f of defined) this.meterFunction(f);
  }
}

/** Meters a module validateService accepted, with binaryen already loaded. Throws a
 *  LoaderError if the module uses something the pass cannot meter. */
export function meterWith(b: Binaryen, bytes: Uint8Array, name: string): Metered {
  return rewriteService(b, bytes, name, "metered", (m, refuse) => {
    const pass = new Pass(b, m, refuse);
    pass.run();
    return (out) => ({ bytes: out, functions: pass.functions, loops: pass.loops, bulk: pass.bulk });
  });
}

/** Meters a module validateService accepted (loads binaryen on first use). */
export async function meterFuel(bytes: Uint8Array, name: string): Promise<Metered> {
  return meterWith(await loadBinaryen(), bytes, name);
}
