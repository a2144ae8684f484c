// The expression-level half of containment (contain.ts): for each instruction that can
// trap, the check that calls persia_fault.fault(reason) instead, inserted so that the
// operands are evaluated once and in their original order, before the check. Memory
// accesses compare address + offset + size with the memory's end, kept in an i64 global;
// divisions test the divisor (and INT_MIN / -1); truncations test the float's range;
// call_indirect asks the table's slot-type function; `unreachable` calls fault first;
// memory.grow returns -1 past the RAM limit (persia_ram_max) and updates the memory's end.
// Also the frame release on every way out of a function (return, return_call).
// Deliberately not here: which functions, tables and segments there are, the stack charge
// at entry and persia_reset (contain.ts decides and builds those). Used by contain.ts only.
import type binaryen from "binaryen";
import { FaultReason } from "../../abi/image";
import { Binaryen, BinaryenModule } from "./binaryen";
import { Ref, Site } from "./walk";

/** How many checks of each kind the pass added. */
export interface ContainCounts {
  access: number;       // loads and stores (scalar, SIMD, lanes) checked against the memory's end
  bulk: number;         // memory.copy, memory.fill, memory.init checked
  grow: number;         // memory.grow checked against persia_ram_max, then the memory's end updated
  division: number;     // integer divisions and remainders checked for 0 (and INT_MIN / -1)
  conversion: number;   // float to integer truncations checked for NaN and range
  unreachable: number;  // `unreachable` preceded by fault(UNREACHABLE)
  indirect: number;     // call_indirect checked against its table's slot types
  frames: number;       // functions charged against the stack budget
  segments: number;     // active data segments made passive, copied in by persia_reset
}

/** What guards need from the module-level pass. */
export interface Context {
  fault(reason: FaultReason): Ref;      // a call of the fault import
  memoryEnd: string;                     // the i64 global: the memory's size in bytes
  ramMax: string;                        // the i32 global persia_ram_max: pages the memory may grow to
  minBytes: number;                      // the memory's declared minimum: always in bounds
  segmentLength(segment: string): Ref;   // i64: what memory.init may read of a segment now
  segmentDropped(segment: string): Ref;  // what data.drop becomes
  /** i32: 1 if slot `index` of the table holds a function of this type, else 0. */
  slotTypeCheck(table: string, index: Ref, params: number, results: number): Ref;
}

/** One function's locals for the guards: a key names a use, so that two values alive at
 *  the same time never share a local (see Guards.holds). */
export class Locals {
  private readonly map = new Map<string, number>();
  constructor(private readonly add: (type: number) => number) {}
  get(type: number, key: string): number {
    let local = this.map.get(`${type}:${key}`);
    if (local === undefined) this.map.set(`${type}:${key}`, local = this.add(type));
    return local;
  }
}

/** Per function: its locals and the release of its stack frame. */
export interface Frame { locals: Locals; release: () => Ref }

// Bytes accessed by each SIMD load or lane operation (binaryen.js operation names).
const SIMD_BYTES: [string, number][] = [
  ["Load8SplatVec128", 1], ["Load16SplatVec128", 2], ["Load32SplatVec128", 4], ["Load64SplatVec128", 8],
  ["Load8x8SVec128", 8], ["Load8x8UVec128", 8], ["Load16x4SVec128", 8], ["Load16x4UVec128", 8],
  ["Load32x2SVec128", 8], ["Load32x2UVec128", 8], ["Load32ZeroVec128", 4], ["Load64ZeroVec128", 8],
  ["Load8LaneVec128", 1], ["Load16LaneVec128", 2], ["Load32LaneVec128", 4], ["Load64LaneVec128", 8],
  ["Store8LaneVec128", 1], ["Store16LaneVec128", 2], ["Store32LaneVec128", 4], ["Store64LaneVec128", 8],
];

// Trapping truncations: the float x converts iff lo < x (lo <= x when `inclusive`) and x < hi.
// The bounds are exact in the float type; f32 has no value between -2^31 - 1 and -2^31.
const TRUNC: [op: string, f64: boolean, lo: number, inclusive: boolean, hi: number][] = [
  ["TruncSFloat32ToInt32", false, -(2 ** 31), true, 2 ** 31], ["TruncSFloat64ToInt32", true, -(2 ** 31) - 1, false, 2 ** 31],
  ["TruncUFloat32ToInt32", false, -1, false, 2 ** 32], ["TruncUFloat64ToInt32", true, -1, false, 2 ** 32],
  ["TruncSFloat32ToInt64", false, -(2 ** 63), true, 2 ** 63], ["TruncSFloat64ToInt64", true, -(2 ** 63), true, 2 ** 63],
  ["TruncUFloat32ToInt64", false, -1, false, 2 ** 64], ["TruncUFloat64ToInt64", true, -1, false, 2 ** 64],
];
const DIVISIONS = ["DivSInt32", "DivUInt32", "RemSInt32", "RemUInt32", "DivSInt64", "DivUInt64", "RemSInt64", "RemUInt64"];

type Setter = (e: Ref, value: Ref) => void;
type Kind = Record<string, (e: Ref, ...args: number[]) => number>;

export class Guards {
  private readonly api: Record<string, Kind> & Record<string, number>;
  private readonly simdBytes: Map<number, number>;
  private readonly trunc: Map<number, typeof TRUNC[number]>;
  private readonly divisions: Map<number, string>;

  constructor(private readonly b: Binaryen, private readonly m: BinaryenModule, private readonly cx: Context,
              readonly counts: ContainCounts) {
    this.api = b as unknown as Record<string, Kind> & Record<string, number>;
    const op = (name: string) => this.api[name] as number;
    this.simdBytes = new Map(SIMD_BYTES.map(([name, n]) => [op(name), n]));
    this.trunc = new Map(TRUNC.map((t) => [op(t[0]), t]));
    this.divisions = new Map(DIVISIONS.map((name) => [op(name), name]));
  }

  private set(kind: string, field: string): Setter {
    return this.api[kind][`set${field}`] as unknown as Setter;
  }

  private simple(e: Ref): boolean {
    const id = this.b.getExpressionId(e);
    return id === this.b.ConstId || id === this.b.LocalGetId;
  }

  /** The constant value of e, or null. */
  private constant(e: Ref): bigint | null {
    if (this.b.getExpressionId(e) !== this.b.ConstId) return null;
    const v = (this.b.getExpressionInfo(e) as binaryen.ConstInfo).value;
    return typeof v === "bigint" ? v : typeof v === "number" ? BigInt(Math.trunc(v)) : null;
  }

  /** The division's kind if e is an integer division that the divisor can make trap. */
  private division(e: Ref): string | null {
    const info = this.b.getExpressionInfo(e) as binaryen.BinaryInfo;
    const name = this.divisions.get(info.op);
    if (name === undefined) return null;
    const d = this.constant(info.right);
    return d === null || d === 0n || (d === -1n && name.startsWith("DivS")) ? name : null;
  }

  /** Whether e's check keeps a value in a local while other operands are evaluated: then
   *  checks inside those operands must use other locals (they get depth + 1). */
  holds(e: Ref, id: number): boolean {
    const b = this.b;
    if (id === b.StoreId) return !this.simple(this.api.Store.getValue(e));
    if (id === b.SIMDLoadStoreLaneId) return !this.simple(this.api.SIMDLoadStoreLane.getVec(e));
    if (id === b.BinaryId) return this.division(e)?.startsWith("DivS") ?? false;
    return id === b.MemoryCopyId || id === b.MemoryFillId || id === b.MemoryInitId;
  }

  /** value, with `checks` run after it is evaluated; checks read it through get(). */
  private checked(f: Frame, value: Ref, checks: (get: () => Ref) => Ref[]): Ref {
    const { b, m } = this;
    const t = b.getExpressionType(value);
    if (this.simple(value)) return m.block(null, [...checks(() => m.copyExpression(value)), value], t);
    const tmp = f.locals.get(t, "tmp");
    return m.block(null, [m.local.set(tmp, value), ...checks(() => m.local.get(tmp, t)), m.local.get(tmp, t)], t);
  }

  private guard(condition: Ref, reason: FaultReason): Ref {
    return this.m.if(condition, this.cx.fault(reason));
  }

  /** i32 true if [addr, addr + len) (len an i64) ends past the memory's end. */
  private past(addr: Ref, len: Ref): Ref {
    const m = this.m;
    return m.i64.gt_u(m.i64.add(m.i64.extend_u(addr), len), m.global.get(this.cx.memoryEnd, this.b.i64));
  }

  private outside(addr: Ref, bytes: number): Ref {
    return this.guard(this.past(addr, this.m.i64.const(BigInt(bytes))), FaultReason.OOB);
  }

  /** True if ptr is a constant and the access of `bytes` there lies inside the memory's
   *  declared minimum, which the memory can never be smaller than: no check needed. */
  private inBounds(ptr: Ref, bytes: number): boolean {
    const c = this.constant(ptr);
    return c !== null && BigInt.asUintN(32, c) + BigInt(bytes) <= BigInt(this.cx.minBytes);
  }

  /** A load of `bytes` (offset included) at the ptr operand. */
  private load(f: Frame, e: Ref, kind: string, bytes: number): void {
    const ptr = this.api[kind].getPtr(e);
    if (this.inBounds(ptr, bytes)) return;
    this.set(kind, "Ptr")(e, this.checked(f, ptr, (p) => [this.outside(p(), bytes)]));
    this.counts.access++;
  }

  /** A store (or lane operation) of `bytes`: checked after its value is evaluated. */
  private store(f: Frame, e: Ref, d: number, kind: string, field: "Value" | "Vec", bytes: number): void {
    const { b, m } = this;
    const ptr = this.api[kind].getPtr(e);
    const value = this.api[kind][`get${field}`](e);
    if (this.inBounds(ptr, bytes)) return;
    this.counts.access++;
    if (this.simple(value)) return this.set(kind, "Ptr")(e, this.checked(f, ptr, (p) => [this.outside(p(), bytes)]));
    const p = f.locals.get(b.i32, `${d}:0`);
    this.set(kind, "Ptr")(e, m.local.tee(p, ptr, b.i32));
    this.set(kind, field)(e, this.checked(f, value, () => [this.outside(m.local.get(p, b.i32), bytes)]));
  }

  /** memory.copy, fill or init: every range checked once the size is known. */
  private bulk(f: Frame, e: Ref, d: number, id: number): void {
    const { b, m } = this;
    const info = b.getExpressionInfo(e) as unknown as Record<string, Ref> & { segment: string };
    const kind = id === b.MemoryCopyId ? "MemoryCopy" : id === b.MemoryFillId ? "MemoryFill" : "MemoryInit";
    const second = id === b.MemoryCopyId ? "Source" : id === b.MemoryInitId ? "Offset" : null;
    const dest = f.locals.get(b.i32, `${d}:0`);
    const src = second === null ? -1 : f.locals.get(b.i32, `${d}:1`);
    const get = (l: number) => m.local.get(l, b.i32);
    this.set(kind, "Dest")(e, m.local.tee(dest, info.dest, b.i32));
    if (second !== null) this.set(kind, second)(e, m.local.tee(src, info[second.toLowerCase()], b.i32));
    this.set(kind, "Size")(e, this.checked(f, info.size, (n) => {
      const len = () => m.i64.extend_u(n());
      let bad = this.past(get(dest), len());
      if (id === b.MemoryCopyId) bad = m.i32.or(bad, this.past(get(src), len()));
      if (id === b.MemoryInitId) {
        bad = m.i32.or(bad, m.i64.gt_u(m.i64.add(m.i64.extend_u(get(src)), len()), this.cx.segmentLength(info.segment)));
      }
      return [this.guard(bad, FaultReason.OOB)];
    }));
    this.counts.bulk++;
  }

  /** memory.grow(d): -1 without growing if size + d pages would pass persia_ram_max
   *  (computed in i64: no wrap-around for any d), else the engine's grow, which may still
   *  return -1 at the memory's declared maximum; then the memory's end is updated. */
  private grow(f: Frame, site: Site, e: Ref): void {
    const { b, m } = this;
    const d = f.locals.get(b.i32, "grow"), r = f.locals.get(b.i32, "tmp");
    const delta = (b.getExpressionInfo(e) as binaryen.MemoryGrowInfo).delta;
    const wanted = m.i64.add(m.i64.extend_u(m.memory.size()), m.i64.extend_u(m.local.get(d, b.i32)));
    const over = m.i64.gt_u(wanted, m.i64.extend_u(m.global.get(this.cx.ramMax, b.i32)));
    const bytes = m.i64.shl(m.i64.extend_u(m.memory.size()), m.i64.const(16n));
    site.put(m.block(null, [
      m.local.set(d, delta),
      m.local.set(r, m.if(over, m.i32.const(-1), m.memory.grow(m.local.get(d, b.i32)))),
      m.global.set(this.cx.memoryEnd, bytes),
      m.local.get(r, b.i32),
    ], b.i32));
    this.counts.grow++;
  }

  /** An integer division or remainder whose divisor may be 0 (or -1 for div_s). */
  private divide(f: Frame, e: Ref, d: number, name: string): void {
    const { b, m } = this;
    const info = b.getExpressionInfo(e) as binaryen.BinaryInfo;
    const t = info.type;
    const I = t === b.i32 ? m.i32 : m.i64;
    const k = (v: bigint) => t === b.i32 ? m.i32.const(Number(v)) : m.i64.const(v);
    const min = t === b.i32 ? -(2n ** 31n) : -(2n ** 63n);
    const checks: ((r: () => Ref) => Ref)[] = [(r) => this.guard(I.eqz(r()), FaultReason.DIV_ZERO)];
    if (name.startsWith("DivS")) {
      const a = f.locals.get(t, `${d}:0`);
      this.set("Binary", "Left")(e, m.local.tee(a, info.left, t));
      checks.push((r) => this.guard(m.i32.and(I.eq(m.local.get(a, t), k(min)), I.eq(r(), k(-1n))), FaultReason.INT_OVERFLOW));
    }
    this.set("Binary", "Right")(e, this.checked(f, info.right, (r) => checks.map((c) => c(r))));
    this.counts.division++;
  }

  /** A trapping float to integer truncation. */
  private truncate(f: Frame, e: Ref, [, f64, lo, inclusive, hi]: typeof TRUNC[number]): void {
    const { b, m } = this;
    const F = f64 ? m.f64 : m.f32;
    this.set("Unary", "Value")(e, this.checked(f, (b.getExpressionInfo(e) as binaryen.UnaryInfo).value, (x) => {
      const low = inclusive ? F.ge(x(), F.const(lo)) : F.gt(x(), F.const(lo));
      return [this.guard(m.i32.eqz(m.i32.and(low, F.lt(x(), F.const(hi)))), FaultReason.CONVERSION)];
    }));
    this.counts.conversion++;
  }

  /** call_indirect (and return_call_indirect, which also releases the frame). */
  private indirect(f: Frame, e: Ref): void {
    const b = this.b;
    const c = this.api.CallIndirect;
    const { isReturn } = b.getExpressionInfo(e) as binaryen.CallIndirectInfo;
    this.set("CallIndirect", "Target")(e, this.checked(f, c.getTarget(e), (i) => [
      this.guard(this.m.i32.eqz(this.cx.slotTypeCheck(c.getTable(e) as unknown as string, i(), c.getParams(e), c.getResults(e))),
        FaultReason.INDIRECT),
      ...(isReturn ? [f.release()] : []),
    ]));
    this.counts.indirect++;
  }

  /** The operands of `return` (0 or 1) or of a return_call; null for anything else. */
  private exitOperands(e: Ref, id: number): Ref[] | null {
    const b = this.b;
    if (id === b.ReturnId) return [this.api.Return.getValue(e)].filter((v) => v !== 0);
    if (id !== b.CallId) return null;
    const info = b.getExpressionInfo(e) as binaryen.CallInfo;
    return info.isReturn ? info.operands : null;
  }

  /** `return` and return_call give the frame back once their operands are evaluated. */
  private exit(f: Frame, site: Site, id: number, operands: Ref[]): void {
    const { b, m } = this;
    const e = site.e;
    if (operands.length === 0) return site.put(m.block(null, [f.release(), e], b.unreachable));
    const released = this.checked(f, operands[operands.length - 1], () => [f.release()]);
    if (id === b.ReturnId) this.set("Return", "Value")(e, released);
    else this.api.Call.setOperandAt(e, operands.length - 1, released);
  }

  /** Adds the check e needs, if any; d is the number of enclosing checks that hold a local.
   *  Run on an expression only after every expression inside it. */
  apply(f: Frame, site: Site, d: number): void {
    const { b, m } = this;
    const e = site.e, id = b.getExpressionId(e);
    if (id === b.UnreachableId) {
      site.put(m.block(null, [this.cx.fault(FaultReason.UNREACHABLE), m.unreachable()], b.unreachable));
      this.counts.unreachable++;
      return;
    }
    const exits = this.exitOperands(e, id);
    if (exits !== null) {
      if (exits.every((o) => b.getExpressionType(o) !== b.unreachable)) this.exit(f, site, id, exits);
      return;
    }
    if (b.getExpressionType(e) === b.unreachable && id !== b.CallIndirectId) return; // an operand never completes
    if (id === b.LoadId) {
      const info = b.getExpressionInfo(e) as binaryen.LoadInfo;
      this.load(f, e, "Load", info.offset + info.bytes);
    } else if (id === b.StoreId) {
      const info = b.getExpressionInfo(e) as binaryen.StoreInfo;
      this.store(f, e, d, "Store", "Value", info.offset + info.bytes);
    } else if (id === b.SIMDLoadId) {
      const info = b.getExpressionInfo(e) as binaryen.SIMDLoadInfo;
      this.load(f, e, "SIMDLoad", info.offset + this.simdBytes.get(info.op)!);
    } else if (id === b.SIMDLoadStoreLaneId) {
      const info = b.getExpressionInfo(e) as binaryen.SIMDLoadStoreLaneInfo;
      this.store(f, e, d, "SIMDLoadStoreLane", "Vec", info.offset + this.simdBytes.get(info.op)!);
    } else if (id === b.MemoryCopyId || id === b.MemoryFillId || id === b.MemoryInitId) {
      this.bulk(f, e, d, id);
    } else if (id === b.MemoryGrowId) {
      this.grow(f, site, e);
    } else if (id === b.DataDropId) {
      site.put(this.cx.segmentDropped((b.getExpressionInfo(e) as binaryen.DataDropInfo).segment));
    } else if (id === b.BinaryId) {
      const name = this.division(e);
      if (name !== null) this.divide(f, e, d, name);
    } else if (id === b.UnaryId) {
      const t = this.trunc.get((b.getExpressionInfo(e) as binaryen.UnaryInfo).op);
      if (t !== undefined) this.truncate(f, e, t);
    } else if (id === b.CallIndirectId) {
      const info = b.getExpressionInfo(e) as binaryen.CallIndirectInfo;
      const ops = [...info.operands, info.target];
      if (ops.every((o) => b.getExpressionType(o) !== b.unreachable)) this.indirect(f, e);
    }
  }
}
