// loader/wasm/code.ts and the limits of loader/wasm/limits.ts, on function bodies written
// byte by byte: the depth of a body as code.ts defines it; modules past a limit (too deep,
// by nesting or by operands of operands; too many locals, in one function or in all; too
// many functions; too many bytes) are refused by validateService with the loader's own
// message, before binaryen sees them; the deepest module it accepts, written with the
// instructions that cost binaryen the most stack, can still be metered and contained;
// malformed bodies (unknown opcodes, a body that ends early or late, a bad immediate, an
// else without if, a branch out of the function) are refused with their byte offset;
// every immediate shape decodes as the engine reads it; and modules from binaryen's fuzzer
// and every module the project builds are read with no operand missing (which checks the
// stack effects in opcodes.ts), and every service is within every limit.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { ROOT } from "../../hosts/node/paths";
import { readCode } from "../../loader/wasm/code";
import { parseModule, WasmParseError } from "../../loader/wasm/parse";
import { BASIC, Imm, MISC, SIMD } from "../../loader/wasm/opcodes";
import { DEPTH_MAX, FUNCTIONS_MAX, LOCALS_MAX, MODULE_BYTES_MAX, MODULE_LOCALS_MAX } from "../../loader/wasm/limits";
import { LoaderError, validateService } from "../../loader/wasm/validate";
import { meterFuel } from "../../loader/instrument/fuel";
import { contain } from "../../loader/instrument/contain";
import { I32, leb, section, str, vec } from "./wasm_fixture";
import { OP, buildService, eventService } from "../hosts/service_fixture";
import { EQZ, LOAD, calls, chain, dataSegments, declaring, dense, nested, padded } from "./code_fixture";

const NAME = "deep.sabz.city";

function summary(bytes: Uint8Array) {
  return readCode(bytes, parseModule(bytes));
}

function refusal(bytes: Uint8Array): LoaderError {
  try {
    validateService(bytes, NAME, 16);
  } catch (e) {
    assert.ok(e instanceof LoaderError, `expected the loader's own error, got ${e}`);
    assert.equal(e.what, `service ${NAME}`);
    return e;
  }
  assert.fail("validateService accepted a module it should refuse");
}

test("depth: the body is level 0, a block adds a level, an instruction is 1 + its highest operand", () => {
  // i32.eqz (i32.eqz (i32.const 0)) dropped: const 1, eqz 2, eqz 3, drop 4
  assert.deepEqual(summary(chain([EQZ], 2)), { functions: 1, instructions: 4, locals: 0, maxLocals: 0, maxDepth: 4, unbalanced: 0 });
  // block (block (nop)): the nop is at level 2, 1 high
  assert.equal(summary(nested(2)).maxDepth, 3);
  // if (i32.const 1) { i32.const 0; drop }: the if is 2 high at level 0, the drop 2 high at level 1
  const ifBody = eventService([OP.i32_const, 1, 0x04, OP.void, OP.i32_const, 0, OP.drop, OP.end]);
  assert.equal(summary(ifBody).maxDepth, 3);
  const withLocals = buildService({ types: [[[], []]], funcImports: [], memory: { min: 1 },
    funcs: [{ type: 0, locals: [[3, I32], [2, 0x7e]], body: [] }], exports: [["persia_event", 0]] });
  assert.deepEqual(summary(withLocals), { functions: 1, instructions: 0, locals: 5, maxLocals: 5, maxDepth: 0, unbalanced: 0 });
});

test("nesting past DEPTH_MAX is refused by the loader, naming the function, the depth and the byte", () => {
  assert.equal(DEPTH_MAX, 512);
  const deep = nested(10_000);
  const e = refusal(deep);
  // block k (from 0) is at level k and at least 1 high: block 512 is one level too many
  const firstBlock = deep.length - 1 - (3 * 10_000 + 1);
  const at = firstBlock + 2 * DEPTH_MAX;
  assert.equal(e.why, `function 0 nests 513 deep at byte ${at} (blocks, loops and ifs inside each other, and operands ` +
    "of operands, count one level each); the loader takes at most 512, because binaryen, which meters the module, " +
    "fails on deeper code");
  assert.match(e.fix, /^Split the function or the expression\./);
  assert.doesNotThrow(() => validateService(nested(DEPTH_MAX - 1), NAME, 16), "DEPTH_MAX - 1 blocks around a nop: 512 deep");
  assert.match(refusal(nested(DEPTH_MAX)).why, /nests 513 deep/);
});

test("operands of operands count as much as nesting: a chain of 511 i32.eqz is refused, 510 are not", () => {
  assert.equal(summary(chain([EQZ], DEPTH_MAX - 2)).maxDepth, DEPTH_MAX);
  assert.match(refusal(chain([EQZ], DEPTH_MAX - 1)).why, /^function 0 nests 513 deep at byte \d+/);
});

test("the deepest module the loader takes can be metered and contained, built from what costs binaryen most stack", async () => {
  // nested loads (the containment pass adds checks around each) and nested calls (the fuel
  // pass wraps each to reload the fuel) made binaryen fail at ~1150 and ~1200 levels
  for (const [what, bytes] of [["loads", chain(LOAD, DEPTH_MAX - 2)], ["calls", calls(DEPTH_MAX - 2)]] as const) {
    validateService(bytes, NAME, 16);
    assert.equal(summary(bytes).maxDepth, DEPTH_MAX, what);
    const metered = await meterFuel(bytes, NAME);
    await contain(metered.bytes, NAME);
  }
  assert.match(refusal(chain(LOAD, DEPTH_MAX - 1)).why, /nests 513 deep/);
  assert.match(refusal(calls(DEPTH_MAX - 1)).why, /nests 513 deep/);
});

test("a function may declare LOCALS_MAX locals, not one more, and 2^32-1 is refused before anything is allocated", () => {
  assert.equal(summary(declaring([[LOCALS_MAX - 1, 1]])).maxLocals, LOCALS_MAX);
  const e = refusal(declaring([[LOCALS_MAX, 1]]));
  assert.equal(e.why, `function 0 declares ${LOCALS_MAX + 1} or more locals; the loader takes at most ${LOCALS_MAX} per ` +
    "function, because binaryen, which meters the module, allocates every one of them");
  assert.match(refusal(declaring([[2 ** 32 - 1]])).why, /^function 0 declares 4294967295 or more locals/);
});

test("all functions together may declare MODULE_LOCALS_MAX locals, not one more", () => {
  const n = MODULE_LOCALS_MAX / LOCALS_MAX;
  const full = Array.from({ length: n }, () => [LOCALS_MAX]);
  assert.equal(summary(declaring(full)).locals, MODULE_LOCALS_MAX);
  assert.match(refusal(declaring([...full, [1]])).why,
    new RegExp(`^functions 0 to ${n} declare ${MODULE_LOCALS_MAX + 1} locals together; the loader takes at most ${MODULE_LOCALS_MAX}`));
});

test("a module may define FUNCTIONS_MAX functions, not one more", () => {
  const many = (n: number) => buildService({ types: [[[], []]], funcImports: [], memory: { min: 1 },
    funcs: Array.from({ length: n }, () => ({ type: 0, body: [] })), exports: [["persia_event", 0]] });
  assert.equal(summary(many(FUNCTIONS_MAX)).functions, FUNCTIONS_MAX);
  assert.match(refusal(many(FUNCTIONS_MAX + 1)).why, new RegExp(`^module defines ${FUNCTIONS_MAX + 1} functions; the loader takes at most ${FUNCTIONS_MAX}`));
});

test("a module of MODULE_BYTES_MAX bytes is read, one byte more is refused by its size before any of it is", () => {
  assert.equal(MODULE_BYTES_MAX, 1 << 20);
  assert.doesNotThrow(() => validateService(padded(MODULE_BYTES_MAX), NAME, 16));
  assert.equal(refusal(padded(MODULE_BYTES_MAX + 1)).why, "module is 1048577 bytes; the loader takes at most 1048576 " +
    "(1024 KiB), because instrumenting a module takes binaryen time and memory in proportion to its size");
  // not even a Wasm header: the size is what is reported, so nothing was parsed
  assert.match(refusal(new Uint8Array(MODULE_BYTES_MAX + 1)).why, /^module is 1048577 bytes/);
});

/** Why a module whose persia_event body is exactly `body` (locals included) is refused, with
 *  `at(k)` the offset of body[k] in the module. */
function malformed(body: number[]): { why: string; at: (k: number) => number } {
  const bytes = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 0x00, 0x00]])),
    ...section(2, vec([[...str("env"), ...str("memory"), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0x00]])),
    ...section(7, vec([[...str("persia_event"), 0x00, 0x00]])),
    ...section(10, vec([[...leb(body.length), ...body]]))]);
  assert.throws(() => summary(bytes), WasmParseError);
  return { why: refusal(bytes).why, at: (k) => bytes.length - body.length + k };
}

test("malformed bodies are refused with the byte offset, and unknown opcodes are never skipped", () => {
  const bad = "module is not a well-formed Wasm binary: at byte";
  let m = malformed([0x00, 0x27, 0x0b]);
  assert.equal(m.why, `${bad} ${m.at(1)}: opcode 0x27 is not one the loader knows`);
  m = malformed([0x00, 0xfe, 0x00, 0x0b]);
  assert.equal(m.why, `${bad} ${m.at(1)}: opcode 0xfe belongs to threads (atomic instructions), which services may not use`);
  m = malformed([0x00, 0x06, 0x40, 0x0b, 0x0b]);
  assert.match(m.why, new RegExp(`at byte ${m.at(1)}: opcode 0x06 belongs to exception handling`));
  m = malformed([0x00, 0xfd, 0x80, 0x02, 0x0b]);
  assert.match(m.why, new RegExp(`at byte ${m.at(1)}: opcode 0xfd 0x100 belongs to relaxed SIMD`));
  m = malformed([0x00, 0xfc, 0x12, 0x0b]);
  assert.equal(m.why, `${bad} ${m.at(1)}: opcode 0xfc 0x12 is not one the loader knows`);
  m = malformed([0x00, 0x01]);                                          // no final end: the body runs out
  assert.equal(m.why, `${bad} ${m.at(2)}: opcode needs 1 bytes but only 0 remain`);
  m = malformed([0x00, 0x0b, 0x01, 0x01]);                              // bytes after the final end
  assert.equal(m.why, `${bad} ${m.at(2)}: function 0's body ends 2 bytes before its declared size`);
  m = malformed([0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x1a, 0x0b]); // i32.const with a 6-byte LEB128
  assert.equal(m.why, `${bad} ${m.at(2)}: constant: LEB128 number is longer than 5 bytes`);
  m = malformed([0x00, 0x05, 0x0b]);
  assert.equal(m.why, `${bad} ${m.at(1)}: else without an if that it belongs to`);
  m = malformed([0x00, 0x0c, 0x01, 0x0b]);
  assert.equal(m.why, `${bad} ${m.at(1)}: branch to label 1, but only 1 blocks are open`);
  m = malformed([0x00, 0x10, 0x07, 0x0b]);
  assert.equal(m.why, `${bad} ${m.at(1)}: call to function 7, which does not exist`);
  m = malformed([0x00, 0x02, 0x05, 0x0b, 0x0b]);
  assert.equal(m.why, `${bad} ${m.at(2)}: block type 5 is not a type of this module`);
  m = malformed([0x00, 0x02, 0x60, 0x0b, 0x0b]);                        // 0x60 (-32) is no value type
  assert.equal(m.why, `${bad} ${m.at(2)}: block type -32 is neither empty, a value type nor a type index`);
  m = malformed([0x01, 0x05, 0x00, 0x0b]);                              // one group: 5 locals of type 0x00
  assert.equal(m.why, `${bad} ${m.at(2)}: value type 0x0 is not one this loader knows`);
});

const V128 = [0xfd, 0x0c, ...new Array(16).fill(0)];
const I32_0 = [0x41, 0x00];

/** Rows of [bytes, instructions in them]: every immediate shape and every kind of block. */
const EVERY_SHAPE: [number[], number][] = [
  [[...I32_0, 0x28, 0x02, 0x10, 0x1a], 3],                                // i32.load align=2 offset=16 (memarg), drop
  [[0x42, ...new Array(9).fill(0xff), 0x00, 0x1a], 2],                    // i64.const, a 10-byte LEB128
  [[0x43, 0, 0, 0x80, 0x3f, 0x1a, 0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x1a], 4], // f32.const 1, f64.const 1
  [[...V128, ...V128, 0xfd, 0x0d, ...Array.from({ length: 16 }, (_, i) => i), 0xfd, 0x15, 0x03, 0x1a], 5], // shuffle, extract_lane_s 3
  [[...I32_0, ...V128, 0xfd, 0x54, 0x00, 0x00, 0x05, 0x1a], 4],          // v128.load8_lane memarg, lane 5
  [[...I32_0, 0x41, 0x01, 0x41, 0x01, 0x1c, 0x01, 0x7f, 0x1a], 5],        // select (result i32)
  [[0xd0, 0x70, 0xd1, 0x1a, 0xd2, 0x00, 0x1a], 5],                        // ref.null func, ref.is_null, ref.func 0
  [[...I32_0, ...I32_0, ...I32_0, 0xfc, 0x0e, 0x00, 0x00], 4],            // table.copy 0 0
  [[...I32_0, ...I32_0, ...I32_0, 0xfc, 0x0a, 0x00, 0x00], 4],            // memory.copy 0 0
  [[0xfc, 0x0d, 0x00], 1],                                                // elem.drop 0
  [[0xd0, 0x70, 0x41, 0x01, 0xfc, 0x0f, 0x00, 0x1a, 0xfc, 0x10, 0x00, 0x1a], 6], // table.grow 0, table.size 0
  [[...I32_0, 0x25, 0x00, 0x1a, ...I32_0, 0xd0, 0x70, 0x26, 0x00], 6],    // table.get 0, table.set 0
  [[0x3f, 0x00, 0x40, 0x00, 0x1a], 3],                                    // memory.size, memory.grow
  [[0x43, 0, 0, 0, 0, 0xfc, 0x00, 0x1a], 3],                              // i32.trunc_sat_f32_s
  [[...I32_0, 0x11, 0x00, 0x00], 2],                                      // call_indirect type 0 table 0
  [[0x02, 0x01, 0x41, 0x01, 0x0b, 0x1a], 3],                              // block (type 1: () -> i32)
  [[0x41, 0x01, 0x03, 0x02, 0x0b, 0x1a], 3],                              // loop (type 2: (i32) -> i32)
  [[0x41, 0x01, 0x04, 0x7f, 0x41, 0x02, 0x05, 0x41, 0x03, 0x0b, 0x1a], 5], // if (result i32) else
  [[...I32_0, 0x0e, 0x02, 0x00, 0x00, 0x00], 2],                          // br_table 0 0, default 0
  [[0x12, 0x00], 1],                                                      // return_call 0 (unreachable code still decodes)
];

test("one instruction of every immediate shape decodes as the engine reads it", () => {
  const body = EVERY_SHAPE.flatMap(([bytes]) => bytes);
  const bytes = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 0x00, 0x00], [0x60, 0x00, 0x01, 0x7f], [0x60, 0x01, 0x7f, 0x01, 0x7f]])),
    ...section(2, vec([[...str("env"), ...str("memory"), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0x00]])),
    ...section(4, vec([[0x70, 0x00, 0x01]])),
    ...section(7, vec([[...str("persia_event"), 0x00, 0x00]])),
    ...section(9, vec([[0x03, 0x00, 0x01, 0x00]])),                       // declarative: ref.func 0 is allowed
    ...section(10, vec([[...leb(body.length + 2), 0x00, ...body, 0x0b]]))]);
  assert.ok(WebAssembly.validate(bytes), "the engine validates the body");
  const s = summary(bytes);
  assert.equal(s.unbalanced, 0);
  assert.equal(s.instructions, EVERY_SHAPE.reduce((n, [, k]) => n + k, 0), "each instruction once (else and end not counted)");
});

/** One constant of each value type a service may use, as instructions. */
const OPERANDS = [[0x41, 0x00], [0x42, 0x00], [0x43, 0, 0, 0, 0], [0x44, 0, 0, 0, 0, 0, 0, 0, 0], V128, [0xd0, 0x70]];

/** A module in which every instruction of opcodes.ts has something to work on: a memory, a
 *  table, a mutable i32 global, an i32 local, a passive element segment (function 0) and a
 *  passive data segment. Its one function runs `body`. */
function context(body: number[]): Uint8Array<ArrayBuffer> {
  const code = [0x01, 0x01, 0x7f, ...body, 0x0b];
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 0x00, 0x00]])),
    ...section(2, vec([[...str("env"), ...str("memory"), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0x00]])),
    ...section(4, vec([[0x70, 0x00, 0x01]])),
    ...section(6, vec([[0x7f, 0x01, 0x41, 0x00, 0x0b]])),
    ...section(9, vec([[0x01, 0x00, 0x01, 0x00]])),
    ...section(12, [0x01]),
    ...section(10, vec([[...leb(code.length), ...code]])),
    ...section(11, vec([[0x01, 0x00]]))]);
}

/** Zeros for every immediate (index 0, constant 0, lane 0), func for a heap type and i32 for a select's type. */
function zeros(imm: Imm[]): number[] {
  return imm.flatMap((i) => typeof i === "number" ? new Array<number>(i).fill(0) : i === "s33" ? [0x70] : i === "types" ? [0x01, 0x7f] : [0x00]);
}

test("every opcode of opcodes.ts takes and leaves exactly as many values as the engine says", () => {
  const wrong: string[] = [];
  for (const [prefix, ops] of [[null, BASIC], [0xfc, MISC], [0xfd, SIMD]] as const) {
    for (const [code, op] of ops) {
      const instr = [...(prefix === null ? [code] : [prefix, ...leb(code)]), ...zeros(op.imm), ...new Array<number>(op.pushes).fill(OP.drop)];
      // some choice of operand types must make `operands; instruction; drop each result` valid
      let combos: number[][] = [[]];
      for (let i = 0; i < op.pops; i++) combos = combos.flatMap((c) => OPERANDS.map((o) => [...c, ...o]));
      if (!combos.some((operands) => WebAssembly.validate(context([...operands, ...instr])))) {
        wrong.push(`${prefix === null ? "" : `0x${prefix.toString(16)} `}0x${code.toString(16)}`);
      }
    }
  }
  assert.deepEqual(wrong, [], "opcodes whose operands or results opcodes.ts miscounts");
});

/** binaryen's command-line names for the features of serviceFeatures (loader/instrument/binaryen.ts). */
const FUZZ_FEATURES = ["simd", "bulk-memory", "bulk-memory-opt", "reference-types", "multivalue", "tail-call",
  "sign-ext", "nontrapping-float-to-int", "mutable-globals"].map((f) => `--enable-${f}`);

test("modules that binaryen's fuzzer writes with every service feature are read with no operand missing", () => {
  const wasmOpt = path.join(ROOT, "node_modules/binaryen/bin/wasm-opt");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-code-"));
  let state = 0x5eed;
  const random = () => { state ^= state << 13; state ^= state >>> 17; state ^= state << 5; return state & 0xff; };
  let read = 0;
  try {
    for (let i = 0; i < 3; i++) {
      const input = path.join(dir, `seed${i}`), output = path.join(dir, `fuzz${i}.wasm`);
      fs.writeFileSync(input, Uint8Array.from({ length: 40_000 }, random));
      const r = spawnSync(process.execPath, [wasmOpt, "-ttf", input, "-o", output, ...FUZZ_FEATURES], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      const bytes = fs.readFileSync(output);
      if (!WebAssembly.validate(bytes)) continue; // the fuzzer now and then writes what V8 does not take
      const s = summary(bytes);
      assert.equal(s.unbalanced, 0, `fuzz module ${i}: ${JSON.stringify(s)}`);
      assert.ok(s.instructions > 1000, `fuzz module ${i} has ${s.instructions} instructions`);
      read++;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(read >= 2, `only ${read} of 3 fuzz modules were valid`);
});

function wasmFiles(dir: string): string[] {
  const full = path.join(ROOT, dir);
  return fs.existsSync(full) ? fs.readdirSync(full).filter((f) => f.endsWith(".wasm")).map((f) => path.join(full, f)) : [];
}

test("every module the project builds is read with no operand missing, and every service is accepted", () => {
  const all = [...wasmFiles("build/wasm"), ...wasmFiles("build/wasm/services"), ...wasmFiles("build/wasm/tests")];
  assert.ok(all.length >= 15, `run npm run build first (found ${all.length} modules)`);
  for (const file of all) {
    const s = summary(fs.readFileSync(file));
    assert.equal(s.unbalanced, 0, file);
    // The kernel is the largest: about 300 functions with the module signature check and
    // sealed answers (issue #14). ref10's field multiply (kernel/crypto/fe25519.ts, issue #17)
    // keeps its ten limbs and their doubled and ×19 forms in locals: about 44.
    assert.ok(s.maxDepth <= 64 && s.maxLocals <= 64 && s.functions <= 384, `${file}: ${JSON.stringify(s)}`);
  }
  for (const file of [...wasmFiles("build/wasm/services"), ...wasmFiles("build/wasm/tests")]) {
    if (["crypto.wasm", "cert.wasm", "modsig.wasm"].includes(path.basename(file))) continue; // kernel/crypto, kernel/cert and kernel/svc/modsig for the tests, not services
    validateService(fs.readFileSync(file), path.basename(file), 256);
  }
});
