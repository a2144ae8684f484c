// The containment pass (loader/instrument/contain.ts) check by check, each module run as
// written and contained side by side (contain_fixture.ts): loads and stores of every
// width (scalar, v128, lanes) at the last valid byte and one past it, near 4 GiB and after
// memory.grow; memory.grow against the RAM limit persia_ram_max; memory.copy, fill and
// init, data.drop; integer division of both widths and signs; every trapping truncation at
// its edges; `unreachable`; call_indirect to good, bad, empty and missing slots; the stack
// budget. Where the plain module traps, the contained one calls fault with the expected
// reason and no RuntimeError ever escapes; elsewhere it returns the same values and leaves
// the same memory.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { FaultReason } from "../../abi/image";
import { STACK_BUDGET } from "../../loader/instrument/contain";
import { Exports, Fault, containText, faultImports, pair, same, wat } from "./contain_fixture";

const R = FaultReason;

const MEMORY = `(module (import "env" "memory" (memory 1 4))
  (global $calls (mut i32) (i32.const 0))
  (data $a (i32.const 100) "active")
  (data $p "passive!")
  (func $count (result i32) (global.set $calls (i32.add (global.get $calls) (i32.const 1))) (global.get $calls))
  (func (export "calls") (result i32) (global.get $calls))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "load32") (param i32) (result i32) (i32.load offset=8 (local.get 0)))
  (func (export "load64") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "loadv") (param i32) (result i32) (i32x4.extract_lane 3 (v128.load (local.get 0))))
  (func (export "splat") (param i32) (result i32) (i32x4.extract_lane 0 (v128.load32_splat offset=2 (local.get 0))))
  (func (export "loadlane") (param i32) (result i64) (i64x2.extract_lane 1 (v128.load64_lane 1 (local.get 0) (v128.const i64x2 0 0))))
  (func (export "store16") (param i32 i32) (i32.store16 offset=1 (local.get 0) (local.get 1)))
  (func (export "store64") (param i32 i64) (i64.store (local.get 0) (local.get 1)))
  (func (export "storev") (param i32) (v128.store (local.get 0) (v128.const i32x4 1 2 3 4)))
  (func (export "storelane") (param i32) (v128.store8_lane 15 (local.get 0) (v128.const i32x4 0 0 0 0x7f000000)))
  (func (export "storecall") (param i32) (i32.store (local.get 0) (call $count)))
  (func (export "storediv") (param i32 i32) (i32.store (local.get 0) (i32.div_u (i32.const 1) (local.get 1))))
  (func (export "chase") (param i32) (result i32) (i32.load (i32.load (local.get 0))))
  (func (export "static") (result i32) (i32.load (i32.const 65532)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i32 i32 i32) (memory.init $p (local.get 0) (local.get 1) (local.get 2)))
  (func (export "initactive") (param i32 i32 i32) (memory.init $a (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop") (data.drop $p))
  (func (export "dropactive") (data.drop $a)))`;

/** Addresses around the end of a memory of `bytes` for an access of `size` bytes. */
function edges(bytes: number, size: number): number[] {
  return [0, 100, bytes - size - 1, bytes - size, bytes - size + 1, bytes - 1, bytes, bytes + 8, 0x7fffffff, -4, -1];
}

test("loads and stores of every width: the last valid byte works, one past it is OOB, nothing wraps at 4 GiB", async () => {
  const p = await pair(MEMORY);
  const end = 65536;
  for (const [fn, size, value] of [["load8", 1], ["load32", 12], ["load64", 8], ["loadv", 16], ["splat", 6], ["loadlane", 8],
    ["store16", 3, 0x1234], ["store64", 8, 0x0102030405060708n], ["storev", 16], ["storelane", 1]] as [string, number, unknown?][]) {
    const outcomes = edges(end, size).map((a) => same(p, R.OOB, fn, ...(value === undefined ? [a] : [a, value])));
    assert.deepEqual(outcomes.slice(2, 5), ["value", "value", "trap"], `${fn} at the end of the memory`);
  }
  assert.ok(p.counts.access >= 10, `${p.counts.access} accesses checked`);
});

test("a store's value is evaluated before its address is checked, as the engine does", async () => {
  const p = await pair(MEMORY);
  same(p, R.OOB, "storecall", 65533);
  assert.equal(p.safe.calls(), 1, "the call in the value ran before the fault");
  assert.equal(same(p, R.DIV_ZERO, "storediv", 65536, 0), "trap", "the division traps first, not the store");
  same(p, R.OOB, "storediv", 65536, 1);
  same(p, R.OOB, "chase", 65534);
  new Uint8Array(p.plainMemory.buffer).set([0xf0, 0xff, 0, 0], 8);
  new Uint8Array(p.safeMemory.buffer).set([0xf0, 0xff, 0, 0], 8);
  same(p, R.OOB, "chase", 8);
  assert.equal(same(p, R.OOB, "static"), "value");
});

test("after memory.grow the new pages can be read and written, and its result is kept", async () => {
  const p = await pair(MEMORY);
  same(p, R.OOB, "load64", 65536);
  assert.equal(p.safe.grow(1), 1);
  assert.equal(p.plain.grow(1), 1);
  for (const a of edges(131072, 8)) same(p, R.OOB, "store64", a, 7n);
  for (const a of edges(131072, 8)) same(p, R.OOB, "load64", a);
  assert.equal(p.safe.grow(5), -1, "past the maximum");
  assert.equal(p.plain.grow(5), -1);
  same(p, R.OOB, "load8", 131072);
  assert.equal(p.counts.grow, 1);
});

test("persia_ram_max: a grow up to the limit succeeds, past it returns -1 and leaves the memory as it was, as a memory of that maximum does", async () => {
  const text = `(module (import "env" "memory" (memory 1 8))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "size") (result i32) (memory.size))
    (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0))))`;
  // The plain module gets a memory whose maximum is the limit; the contained one a memory
  // of the declared maximum and the limit in persia_ram_max, as in the image.
  const plainMemory = new WebAssembly.Memory({ initial: 1, maximum: 3 }), safeMemory = new WebAssembly.Memory({ initial: 1, maximum: 8 });
  const plain = new WebAssembly.Instance(new WebAssembly.Module(await wat(text) as BufferSource), { env: { memory: plainMemory } }).exports as Exports;
  const { bytes, counts } = await containText(text);
  const safe = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), { ...faultImports(), env: { memory: safeMemory } }).exports as Exports;
  assert.equal(safe.persia_ram_max.value, 8, "it starts at the memory's declared maximum");
  safe.persia_ram_max.value = 3;
  safe.persia_reset();
  assert.equal(safe.persia_ram_max.value, 3, "persia_reset keeps the limit");
  const p = { plain, safe, plainMemory, safeMemory, counts };
  for (const [d, want] of [[0, 1], [3, -1], [1, 1], [-1, -1], [2, -1], [2 ** 31, -1], [1, 2], [1, -1], [0, 3]]) {
    assert.equal(plain.grow(d), want, `plain grow(${d})`);
    assert.equal(safe.grow(d), want, `contained grow(${d})`);
    assert.equal(safe.size(), plain.size(), `memory.size after grow(${d})`);
    assert.equal(safeMemory.buffer.byteLength, plainMemory.buffer.byteLength);
  }
  assert.equal(safe.size(), 3);
  assert.equal(safe.grow(1), -1, "at the limit");
  assert.equal(same(p, R.OOB, "load8", 3 * 65536 - 1), "value");
  assert.equal(same(p, R.OOB, "load8", 3 * 65536), "trap", "no page past the limit exists");
  safe.persia_ram_max.value = 5;
  assert.equal(safe.grow(2), 3, "a raised limit lets it grow again");
  assert.equal(safe.grow(1), -1);
  assert.equal(safeMemory.buffer.byteLength, 5 * 65536);
  safe.persia_ram_max.value = 100;
  assert.equal(safe.grow(4), -1, "the declared maximum still holds");
  assert.equal(counts.grow, 1);
  const unbounded = await containText(`(module (import "env" "memory" (memory 1)) (func (export "persia_event")))`);
  const e = new WebAssembly.Instance(new WebAssembly.Module(unbounded.bytes as BufferSource), { ...faultImports(), env: { memory: new WebAssembly.Memory({ initial: 1 }) } }).exports as Exports;
  assert.equal(e.persia_ram_max.value, 65536, "without a declared maximum it starts at 4 GiB");
});

test("memory.fill, copy and init fault OOB before writing anything; data.drop empties a passive segment", async () => {
  const p = await pair(MEMORY);
  same(p, R.OOB, "fill", 65000, 0xab, 536);
  same(p, R.OOB, "fill", 65000, 0xcd, 537);
  same(p, R.OOB, "fill", -1, 1, 2);
  same(p, R.OOB, "fill", 65536, 1, 0);
  same(p, R.OOB, "fill", 65537, 1, 0);
  for (const [d, s, n] of [[0, 65000, 536], [65000, 0, 536], [0, 65000, 537], [65001, 0, 536], [10, 5, 100], [-16, 0, 32], [0, 65536, 0]]) {
    same(p, R.OOB, "copy", d, s, n);
  }
  for (const [d, o, n] of [[0, 0, 8], [65528, 0, 8], [65529, 0, 8], [0, 1, 7], [0, 1, 8], [0, 8, 0], [0, 9, 0], [-1, 0, 1]]) {
    same(p, R.OOB, "init", d, o, n);
  }
  assert.equal(same(p, R.OOB, "initactive", 0, 0, 0), "value", "an active segment is dropped after instantiation");
  assert.equal(same(p, R.OOB, "initactive", 0, 0, 1), "trap");
  same(p, R.OOB, "dropactive");
  same(p, R.OOB, "drop");
  assert.equal(same(p, R.OOB, "init", 0, 0, 1), "trap", "a dropped segment is empty");
  same(p, R.OOB, "init", 0, 0, 0);
  assert.equal(p.counts.bulk, 4);
});

const DIVISION = `(module (import "env" "memory" (memory 1))
  ${["div_s", "div_u", "rem_s", "rem_u"].map((op) => `
  (func (export "${op}32") (param i32 i32) (result i32) (i32.${op} (local.get 0) (local.get 1)))
  (func (export "${op}64") (param i64 i64) (result i64) (i64.${op} (local.get 0) (local.get 1)))`).join("")}
  (func (export "neg1") (param i32) (result i32) (i32.div_s (local.get 0) (i32.const -1)))
  (func (export "by7") (param i32) (result i32) (i32.add (i32.div_s (local.get 0) (i32.const 7)) (i32.rem_u (local.get 0) (i32.const 7)))))`;

test("division: by 0 is DIV_ZERO, INT_MIN / -1 is INT_OVERFLOW, INT_MIN % -1 is 0, everything else the same", async () => {
  const p = await pair(DIVISION);
  const i32 = [0, 1, -1, 2, 7, -7, 2 ** 31 - 1, -(2 ** 31)];
  const i64 = [0n, 1n, -1n, 7n, -7n, 2n ** 63n - 1n, -(2n ** 63n)];
  for (const op of ["div_s", "div_u", "rem_s", "rem_u"]) {
    for (const a of i32) for (const d of i32) same(p, d === 0 ? R.DIV_ZERO : R.INT_OVERFLOW, `${op}32`, a, d);
    for (const a of i64) for (const d of i64) same(p, d === 0n ? R.DIV_ZERO : R.INT_OVERFLOW, `${op}64`, a, d);
  }
  assert.equal(p.safe.rem_s32(-(2 ** 31), -1), 0);
  assert.equal(p.safe.rem_s64(-(2n ** 63n), -1n), 0n);
  for (const a of i32) same(p, R.INT_OVERFLOW, "neg1", a);
  for (const a of i32) same(p, R.INT_OVERFLOW, "by7", a);
  assert.equal(p.counts.division, 9, "a constant divisor other than 0 and -1 needs no check");
});

const TRUNCS = ["i32.trunc_f32_s", "i32.trunc_f32_u", "i32.trunc_f64_s", "i32.trunc_f64_u",
  "i64.trunc_f32_s", "i64.trunc_f32_u", "i64.trunc_f64_s", "i64.trunc_f64_u", "i32.trunc_sat_f64_s"];
const CONVERSION = `(module (import "env" "memory" (memory 1))
  ${TRUNCS.map((op) => `(func (export "${op}") (param ${op.includes("f32") ? "f32" : "f64"}) (result ${op.slice(0, 3)}) (${op} (local.get 0)))`).join("\n")})`;

test("every trapping truncation faults CONVERSION exactly where the engine traps; trunc_sat is left alone", async () => {
  const p = await pair(CONVERSION);
  const bounds = [2 ** 31, 2 ** 32, 2 ** 63, 2 ** 64].flatMap((x) => [x, -x]);
  const near = bounds.flatMap((x) => [x - 1, x + 1, x - 0.5, x + 0.5, x * (1 - 2 ** -24), x * (1 + 2 ** -24), x * (1 - 2 ** -53)]);
  const values = [NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, -0.99, -1, -1.5, 3.7, -3.7, 1e30, -1e30, ...bounds, ...near];
  for (const op of TRUNCS) {
    const results = values.map((x) => same(p, R.CONVERSION, op, op.includes("f32") ? Math.fround(x) : x));
    assert.ok(results.includes("trap") === !op.includes("sat"), op);
  }
  assert.equal(p.counts.conversion, 8);
});

test("unreachable calls fault(UNREACHABLE)", async () => {
  const p = await pair(`(module (import "env" "memory" (memory 1))
    (func (export "boom") (param i32) (result i32) (if (local.get 0) (then (unreachable))) (i32.const 5)))`);
  assert.equal(same(p, R.UNREACHABLE, "boom", 0), "value");
  assert.equal(same(p, R.UNREACHABLE, "boom", 1), "trap");
  assert.equal(p.counts.unreachable, 1);
});

const INDIRECT = `(module (import "env" "memory" (memory 1))
  (type $ii (func (param i32) (result i32)))
  (type $v (func))
  (table 5 funcref)
  (elem (i32.const 0) $inc $dbl $nop)
  (elem (i32.const 4) $inc)
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $dbl (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (func $nop (type $v))
  (func (export "call") (param i32 i32) (result i32) (call_indirect (type $ii) (local.get 1) (local.get 0)))
  (func (export "tail") (param i32 i32) (result i32) (return_call_indirect (type $ii) (local.get 1) (local.get 0)))
  (func (export "callv") (param i32) (call_indirect (type $v) (local.get 0)))
  (func (export "other") (param i32) (result i64) (call_indirect (param i64) (result i64) (i64.const 1) (local.get 0))))`;

test("call_indirect: a slot of the right type is called; a wrong type, an empty slot or one past the end is INDIRECT", async () => {
  const p = await pair(INDIRECT);
  const slots = [0, 1, 2, 3, 4, 5, 6, 2 ** 31, -1];
  const ok = slots.map((i) => same(p, R.INDIRECT, "call", i, 20));
  assert.deepEqual(ok, ["value", "value", "trap", "trap", "value", "trap", "trap", "trap", "trap"]);
  assert.deepEqual(slots.map((i) => same(p, R.INDIRECT, "tail", i, 20)), ok);
  p.safe.persia_stack.value = 0;
  assert.equal(p.safe.tail(1, 20), 40);
  assert.equal(p.safe.persia_stack.value, 0, "a return_call_indirect gives its frame back");
  assert.deepEqual(slots.map((i) => same(p, R.INDIRECT, "callv", i)).slice(0, 4), ["trap", "trap", "value", "trap"]);
  for (const i of slots) same(p, R.INDIRECT, "other", i);
  assert.equal(p.counts.indirect, 4);
});

const STACK = `(module (import "env" "memory" (memory 1))
  (func $down (export "down") (param i32) (result i32)
    (if (result i32) (local.get 0) (then (i32.add (call $down (i32.sub (local.get 0) (i32.const 1))) (i32.const 1))) (else (i32.const 0))))
  (func $forever (export "forever") (param i32) (call $forever (i32.add (local.get 0) (i32.const 1))))
  (func (export "exits") (param i32) (result i32) (block $out (br_if $out (local.get 0)) (return (i32.const 7))) (i32.const 9))
  (func (export "tailexit") (param i32) (result i32) (return_call $down (local.get 0))))`;

test("stack: recursion past the budget is STACK, never the engine's stack overflow; every exit gives its frame back", async () => {
  const p = await pair(STACK);
  const stack = p.safe.persia_stack as WebAssembly.Global;
  assert.throws(() => p.safe.forever(0), (e) => e instanceof Fault && e.reason === R.STACK);
  assert.ok(stack.value > STACK_BUDGET && stack.value < STACK_BUDGET + 1024, `persia_stack ${stack.value} after the fault`);
  stack.value = 0;
  for (const [fn, arg, want] of [["down", 1000, 1000], ["exits", 0, 7], ["exits", 1, 9], ["tailexit", 500, 500]] as const) {
    assert.equal(p.safe[fn](arg), want);
    assert.equal(stack.value, 0, `${fn}(${arg}) gave back what it charged`);
  }
  let depth = 1000;
  while (depth < 1e6) {
    try { p.safe.down(depth); } catch (e) { assert.ok(e instanceof Fault && e.reason === R.STACK, String(e)); break; }
    depth *= 2;
  }
  assert.ok(depth < 1e6, "the budget stops a deep recursion");
  assert.equal(p.counts.frames, 4);
});
