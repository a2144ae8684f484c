// The code section, instruction by instruction, before binaryen reads it: every function
// body is decoded (each opcode and its immediates, opcodes.ts) far enough to know its
// locals and how deep the expression tree that binaryen builds from it goes, and refused,
// with the byte offset, if it passes a limit of limits.ts, uses an opcode this file does
// not know (never skipped), or ends before or after its declared size.
// Depth: the body is level 0 and each block, loop or if adds a level for what is inside
// it; an instruction's height is 1, plus the highest of the operands it takes (so
// `i32.eqz (i32.eqz (local.get 0))` is 3 high); its depth is its level plus its height.
// Deliberately not a validator: types, indices and alignment are left to
// WebAssembly.validate, which runs after this; a value missing from the operand stack
// counts as height 0 (and in `unbalanced`). Called by validate.ts validateService.
import { FuncType, Reader, VALTYPES, WasmModule, valType } from "./parse";
import { BASIC, FAMILIES, Imm, MISC, Op, SIMD } from "./opcodes";
import { DEPTH_MAX, FUNCTIONS_MAX, LOCALS_MAX, LimitError, MODULE_LOCALS_MAX } from "./limits";

export interface CodeSummary {
  functions: number;     // bodies read
  instructions: number;  // in all of them, not counting else and end
  locals: number;        // declared by all of them
  maxLocals: number;     // declared by one function
  maxDepth: number;      // of any instruction
  /** Operands that were missing, or left over at a block's end, in reachable code: 0 for
   *  every module the engine validates (the tests check opcodes.ts's table with it). */
  unbalanced: number;
}

const CODE_SECTION = 10;
const REBUILD = "Build it with AssemblyScript (services/sdk); its output is far below this limit";

/** An open block, loop or if, or the function body (level 0). */
interface Frame {
  opcode: number;       // 0x02 block, 0x03 loop, 0x04 if; 0 for the body
  params: number;
  results: number;
  base: number;         // operand values below it belong to outer frames
  paramHeight: number;  // height of its parameters (and an if's condition)
  inner: number;        // highest instruction inside it
  level: number;
  reachable: boolean;
  elsePassed: boolean;
}

/** One function body being read. */
class Body {
  readonly values: number[] = [];   // the height of each value on the operand stack
  readonly frames: Frame[] = [];
  instructions = 0;
  unbalanced = 0;
  maxDepth = 0;

  constructor(readonly r: Reader, readonly m: WasmModule, readonly funcs: number[], readonly index: number, type: FuncType) {
    this.frames.push(frame(0, 0, type.results.length, 0, 0, 0));
  }

  get top(): Frame { return this.frames[this.frames.length - 1]; }

  pop(): number {
    const f = this.top;
    if (this.values.length > f.base) return this.values.pop()!;
    if (f.reachable) this.unbalanced++;
    return 0;
  }

  /** An instruction at `at` that takes `pops` operands and leaves `pushes` values. */
  node(at: number, pops: number, pushes: number): void {
    let h = 0;
    for (let i = 0; i < pops; i++) h = Math.max(h, this.pop());
    this.place(at, h + 1);
    for (let i = 0; i < pushes; i++) this.values.push(h + 1);
  }

  /** Something `height` high in the innermost frame: refused if that is too deep. */
  place(at: number, height: number): void {
    const f = this.top;
    f.inner = Math.max(f.inner, height);
    const depth = f.level + height;
    if (depth <= this.maxDepth) return;
    this.maxDepth = depth;
    if (depth > DEPTH_MAX) {
      throw new LimitError(at, `function ${this.index} nests ${depth} deep at byte ${at} (blocks, loops and ifs inside ` +
        `each other, and operands of operands, count one level each); the loader takes at most ${DEPTH_MAX}, because ` +
        "binaryen, which meters the module, fails on deeper code", `Split the function or the expression. ${REBUILD}.`);
    }
  }

  /** After br, br_table, return, unreachable and return calls: nothing below runs. */
  unreachable(): void {
    const f = this.top;
    this.values.length = Math.min(this.values.length, f.base);
    f.reachable = false;
  }

  /** block, loop or if at `at`: refused at once if even an empty one would be too deep. */
  open(at: number, opcode: number): void {
    const t = blockType(this.r, this.m);
    let h = opcode === 0x04 ? this.pop() : 0;
    for (let i = 0; i < t.params; i++) h = Math.max(h, this.pop());
    this.place(at, h + 1);
    const f = frame(opcode, t.params, t.results, this.values.length, h, this.top.level + 1);
    this.frames.push(f);
    for (let i = 0; i < t.params; i++) this.values.push(h);
    this.instructions++;
  }

  /** `else`: the if's second arm starts from its parameters again. */
  otherwise(at: number): void {
    const f = this.top;
    if (f.opcode !== 0x04 || f.elsePassed) this.r.fail("else without an if that it belongs to", at);
    this.close(f);
    for (let i = 0; i < f.params; i++) this.values.push(f.paramHeight);
    f.reachable = true;
    f.elsePassed = true;
  }

  /** Drops frame f's values; in reachable code they must be exactly its results. */
  close(f: Frame): void {
    if (f.reachable && this.values.length - f.base !== f.results) this.unbalanced++;
    this.values.length = Math.min(this.values.length, f.base);
  }

  /** `end` at `at`: true when it ends the body. The block is one more than what is in it. */
  end(at: number): boolean {
    const f = this.frames.pop()!;
    this.close(f);
    if (this.frames.length === 0) return true;
    const h = 1 + Math.max(f.inner, f.paramHeight);
    this.place(at, h);
    for (let i = 0; i < f.results; i++) this.values.push(h);
    return false;
  }

  /** The number of values a branch to label `l` carries. */
  arity(l: number, at: number): number {
    if (l >= this.frames.length) this.r.fail(`branch to label ${l}, but only ${this.frames.length} blocks are open`, at);
    const f = this.frames[this.frames.length - 1 - l];
    return f.opcode === 0x03 ? f.params : f.results;
  }
}

function frame(opcode: number, params: number, results: number, base: number, paramHeight: number, level: number): Frame {
  return { opcode, params, results, base, paramHeight, inner: 0, level, reachable: true, elsePassed: false };
}

/** A block type: empty (0x40), one value type, or a type index (multivalue), as s33. */
function blockType(r: Reader, m: WasmModule): { params: number; results: number } {
  const at = r.pos;
  const t = r.s(33, "block type");
  if (t === -64) return { params: 0, results: 0 };
  if (t < 0) {
    if (VALTYPES[0x80 + t] === undefined) r.fail(`block type ${t} is neither empty, a value type nor a type index`, at);
    return { params: 0, results: 1 };
  }
  const ft = m.types[t] ?? r.fail(`block type ${t} is not a type of this module`, at);
  return { params: ft.params.length, results: ft.results.length };
}

function immediates(r: Reader, imm: Imm[]): void {
  for (const i of imm) {
    if (typeof i === "number") r.take(i, "immediate");
    else if (i === "u32") r.u32("immediate");
    else if (i === "types") r.vec("value type", () => valType(r));
    else r.s(i === "s32" ? 32 : i === "s33" ? 33 : 64, "constant");
  }
}

function typeAt(m: WasmModule, index: number, r: Reader, at: number, what: string): FuncType {
  return m.types[index] ?? r.fail(`${what} ${index} is not a type of this module`, at);
}

/** The type of function `index` (imports first). */
function calleeType(m: WasmModule, funcs: number[], index: number, r: Reader, at: number): FuncType {
  const t = funcs[index];
  if (t === undefined) r.fail(`call to function ${index}, which does not exist`, at);
  return typeAt(m, t, r, at, "function type");
}

function unknown(r: Reader, at: number, prefix: number, sub: number | null): never {
  const hex = (n: number) => `0x${n.toString(16).padStart(2, "0")}`;
  const code = sub === null ? hex(prefix) : `${hex(prefix)} ${hex(sub)}`;
  const family = FAMILIES.find(([test]) => test(prefix, sub ?? -1));
  if (family) r.fail(`opcode ${code} belongs to ${family[1]}, which services may not use`, at);
  return r.fail(`opcode ${code} is not one the loader knows`, at);
}

/** Reads one instruction; true when it was the body's final end. */
function instruction(b: Body): boolean {
  const { r, m } = b;
  const at = r.pos;
  const opcode = r.u8("opcode");
  let o: Op | undefined;
  switch (opcode) {
    case 0x00: b.node(at, 0, 0); b.unreachable(); break;                       // unreachable
    case 0x02: case 0x03: case 0x04: b.open(at, opcode); return false;          // block, loop, if
    case 0x05: b.otherwise(at); return false;                                  // else
    case 0x0b: return b.end(at);                                                 // end
    case 0x0c: b.node(at, b.arity(r.u32("label"), at), 0); b.unreachable(); break; // br
    case 0x0d: { const n = b.arity(r.u32("label"), at); b.node(at, n + 1, n); break; } // br_if
    case 0x0e: {                                                               // br_table
      r.vec("label", () => r.u32("label"));
      b.node(at, b.arity(r.u32("default label"), at) + 1, 0);
      b.unreachable();
      break;
    }
    case 0x0f: b.node(at, b.frames[0].results, 0); b.unreachable(); break;     // return
    case 0x10: case 0x12: {                                                    // call, return_call
      const t = calleeType(m, b.funcs, r.u32("function index"), r, at);
      b.node(at, t.params.length, opcode === 0x10 ? t.results.length : 0);
      if (opcode === 0x12) b.unreachable();
      break;
    }
    case 0x11: case 0x13: {                                                    // call_indirect, return_call_indirect
      const t = typeAt(m, r.u32("type index"), r, at, "call_indirect type");
      r.u32("table index");
      b.node(at, t.params.length + 1, opcode === 0x11 ? t.results.length : 0);
      if (opcode === 0x13) b.unreachable();
      break;
    }
    case 0xfc: case 0xfd: {
      const sub = r.u32("sub-opcode");
      o = (opcode === 0xfc ? MISC : SIMD).get(sub) ?? unknown(r, at, opcode, sub);
      break;
    }
    default: o = BASIC.get(opcode) ?? unknown(r, at, opcode, null);
  }
  if (o) {
    immediates(r, o.imm);
    b.node(at, o.pops, o.pushes);
  }
  b.instructions++;
  return false;
}

/** Reads the locals of a body and returns how many it declares, refusing past LOCALS_MAX. */
function locals(r: Reader, index: number): number {
  let total = 0;
  const groups = r.u32("local declaration count");
  for (let i = 0; i < groups; i++) {
    const at = r.pos;
    total += r.u32("local count");
    if (total > LOCALS_MAX) {
      throw new LimitError(at, `function ${index} declares ${total} or more locals; the loader takes at most ${LOCALS_MAX} ` +
        "per function, because binaryen, which meters the module, allocates every one of them", `${REBUILD}.`);
    }
    valType(r);
  }
  return total;
}

/** Reads every body of the module's code section; throws WasmParseError where the bytes
 *  are malformed and LimitError where they pass a limit. */
export function readCode(bytes: Uint8Array, m: WasmModule): CodeSummary {
  const sum: CodeSummary = { functions: 0, instructions: 0, locals: 0, maxLocals: 0, maxDepth: 0, unbalanced: 0 };
  const section = m.sections.find((s) => s.id === CODE_SECTION);
  if (!section) return sum;
  const r = new Reader(bytes, section.start, section.start + section.size);
  // Each function's type index, imports first (the function index space).
  const funcs = [...m.imports.flatMap((i) => i.desc.kind === "func" ? [i.desc.type] : []), ...m.functions];
  const imported = funcs.length - m.functions.length;
  const count = r.u32("function body count");
  if (count > FUNCTIONS_MAX) {
    throw new LimitError(section.offset, `module defines ${count} functions; the loader takes at most ${FUNCTIONS_MAX}, ` +
      "because binaryen's time to meter a module grows with their number", `${REBUILD}.`);
  }
  for (let i = 0; i < count; i++) {
    const index = imported + i;
    const at = r.pos;
    const size = r.u32("function body size");
    r.need(size, `function ${index}'s body (declared ${size} bytes)`);
    const body = new Reader(bytes, r.pos, r.pos + size);
    const typeIndex = m.functions[i];
    if (typeIndex === undefined) r.fail(`function ${index} has a body but no entry in the function section`, at);
    const n = locals(body, index);
    sum.locals += n;
    if (sum.locals > MODULE_LOCALS_MAX) {
      throw new LimitError(at, `functions 0 to ${index} declare ${sum.locals} locals together; the loader takes at most ` +
        `${MODULE_LOCALS_MAX} in a module, because binaryen allocates every one of them`, `${REBUILD}.`);
    }
    const b = new Body(body, m, funcs, index, typeAt(m, typeIndex, r, at, "function type"));
    while (!instruction(b)) { /* one instruction at a time, up to the body's final end */ }
    if (body.pos !== body.end) body.fail(`function ${index}'s body ends ${body.end - body.pos} bytes before its declared size`);
    r.pos = body.end;
    sum.functions++;
    sum.instructions += b.instructions;
    sum.maxLocals = Math.max(sum.maxLocals, n);
    sum.maxDepth = Math.max(sum.maxDepth, b.maxDepth);
    sum.unbalanced += b.unbalanced;
  }
  if (r.pos !== r.end) r.fail(`the code section has ${r.end - r.pos} bytes after its last body`);
  return sum;
}

