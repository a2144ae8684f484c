// The fuel metering pass (loader/instrument/fuel.ts) on modules written byte by byte: the
// metered module exports persia_fuel and imports persia.fuel_exhausted and keeps every
// other import and export; it validates; loops and calls consume exactly the fuel of the
// model in spec/instrumentation.md (entry 1 + its instructions outside loops, each loop
// iteration 1 + the instructions of its body outside nested loops, a call to an import
// IMPORT_CALL_COST more, and so does a call_indirect of an import's type into a table that
// may hold one, but not one into a table that cannot or of another type; a callee's fuel
// counts for its caller); a budget that is one unit short calls fuel_exhausted; an
// infinite loop calls it as soon as the fuel is gone; a body of 200,000 instructions is
// metered; memory.fill pays one unit per 64 bytes before it runs; exception handling,
// which could swallow the call to fuel_exhausted, is refused.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { FUEL_EXPORTS } from "../../abi/contract";
import { IMPORT_CALL_COST, meterFuel } from "../../loader/instrument/fuel";
import { LoaderError } from "../../loader/errors";
import { I32 } from "./wasm_fixture";
import { LOGS, OP, SPINS, buildService, eventService } from "../hosts/service_fixture";

const NAME = "fuel.sabz.city";

/** The fuel_exhausted import: counts its calls and unwinds the guest, as a host must. */
class Exhausted extends Error {}

interface Metered {
  exports: Record<string, Function> & { persia_fuel: WebAssembly.Global };
  calls: () => number;
}

async function meter(bytes: Uint8Array, imports: Record<string, Function> = {}, memory = new WebAssembly.Memory({ initial: 1 })): Promise<Metered> {
  const { bytes: out } = await meterFuel(bytes, NAME);
  let calls = 0;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(out as BufferSource), {
    env: { memory },
    persia: { ...imports, fuel_exhausted: () => { calls++; throw new Exhausted(); } },
  });
  return { exports: instance.exports as Metered["exports"], calls: () => calls };
}

/** Runs fn with `fuel` units; returns what is left. */
function run(m: Metered, fuel: bigint, fn: () => void): bigint {
  m.exports.persia_fuel.value = fuel;
  fn();
  return m.exports.persia_fuel.value as bigint;
}

const COUNT_TO_N = [
  // loop: i = i + 1; br_if loop (i != n) — 7 instructions per iteration
  OP.loop, OP.void,
  OP.local_get, 1, OP.i32_const, 1, OP.i32_add, OP.local_tee, 1, OP.local_get, 0, OP.i32_ne, OP.br_if, 0,
  OP.end,
];

/** run(n): counts i from 0 to n in one loop. */
const LOOP = buildService({
  types: [[[I32], []]], funcImports: [], memory: { min: 1 },
  funcs: [{ type: 0, locals: [[1, I32]], body: COUNT_TO_N }],
  exports: [["run", 0]],
});

/** run(n): an outer loop of n iterations, each setting j = 0 and counting j to n inside. */
const NESTED = buildService({
  types: [[[I32], []]], funcImports: [], memory: { min: 1 },
  funcs: [{
    type: 0, locals: [[2, I32]], body: [
      OP.loop, OP.void,
      OP.i32_const, 0, 0x21 /* local.set */, 2,                                  // 2 instructions
      OP.loop, OP.void,                                                          // inner: 7 per iteration
      OP.local_get, 2, OP.i32_const, 1, OP.i32_add, OP.local_tee, 2, OP.local_get, 0, OP.i32_ne, OP.br_if, 0,
      OP.end,
      ...COUNT_TO_N.slice(2, -1),                                                // 7 more in the outer loop
      OP.end,
    ],
  }],
  exports: [["run", 0]],
});

test("the metered module exports persia_fuel and imports persia.fuel_exhausted, and keeps the rest", async () => {
  const { bytes } = await meterFuel(LOGS, NAME);
  const before = new WebAssembly.Module(LOGS as BufferSource);
  const after = new WebAssembly.Module(bytes as BufferSource);
  const imports = (m: WebAssembly.Module) => WebAssembly.Module.imports(m).map((i) => `${i.module}.${i.name}:${i.kind}`).sort();
  const exports = (m: WebAssembly.Module) => WebAssembly.Module.exports(m).map((e) => `${e.name}:${e.kind}`).sort();
  assert.deepEqual(imports(after), [...imports(before), "persia.fuel_exhausted:function"].sort());
  assert.deepEqual(exports(after), [...exports(before), "persia_fuel:global"].sort());
  const m = await meter(LOGS, { log: () => 0 });
  const fuel = m.exports.persia_fuel;
  assert.equal(fuel.value, BigInt(FUEL_EXPORTS.fuel.start), "it starts with the start function's budget");
  fuel.value = 7n;
  assert.equal(fuel.value, 7n, "it is a mutable i64 the host sets");
});

test("a loop of n iterations consumes 1 + 8n: entry 1, each iteration 1 + its 7 instructions", async () => {
  const m = await meter(LOOP);
  for (const n of [1, 2, 1000, 100_000]) {
    assert.equal(run(m, 10_000_000n, () => m.exports.run(n)), 10_000_000n - BigInt(1 + 8 * n), `n = ${n}`);
  }
  assert.equal(m.calls(), 0);
});

test("nested loops: entry 1, each outer iteration 1 + 9, each inner one 1 + 7", async () => {
  const m = await meter(NESTED);
  const n = 10;
  assert.equal(run(m, 1_000_000n, () => m.exports.run(n)), 1_000_000n - BigInt(1 + 10 * n + 8 * n * n));
});

test("a budget of exactly the cost runs to the end with 0 left; one unit less calls fuel_exhausted", async () => {
  const m = await meter(LOOP);
  const cost = BigInt(1 + 8 * 50);
  assert.equal(run(m, cost, () => m.exports.run(50)), 0n);
  assert.equal(m.calls(), 0);
  assert.throws(() => run(m, cost - 1n, () => m.exports.run(50)), Exhausted);
  assert.equal(m.calls(), 1, "in the last iteration");
  assert.equal(m.exports.persia_fuel.value, -1n);
});

test("an infinite loop calls fuel_exhausted as soon as the fuel is below zero", async () => {
  const m = await meter(SPINS);
  m.exports.persia_fuel.value = 100n;
  assert.throws(() => m.exports.persia_event(), Exhausted);
  assert.equal(m.calls(), 1);
  // entry 1, then 2 per iteration (the loop and its br): 99 - 2 * 50 = -1
  assert.equal(m.exports.persia_fuel.value, -1n);
});

test("a call to an import costs IMPORT_CALL_COST more: persia_event calling persia.log costs 1 + 4 + 1000", async () => {
  assert.equal(IMPORT_CALL_COST, 1000);
  const m = await meter(LOGS, { log: () => 0 });
  assert.equal(run(m, 2000n, () => m.exports.persia_event()), 995n);
});

const TIMER: [number[], number[]] = [[I32], [I32]];   // persia.timer(ms) -> i32, and f below
const RUN: [number[], number[]] = [[I32], []];

/** run(n): n iterations of `table[slot](i)` through call_indirect in table `table`, before
 *  counting: 4 instructions (local.get, i32.const, call_indirect, drop) + COUNT_TO_N's 7.
 *  Function 0 is the import persia.timer, 1 is run, 2 is f(x) = x (entry 1 + local.get). */
function indirect(tables: { slots: number; elems: number[] }[], table: number, prelude: number[] = []): Uint8Array {
  return buildService({
    types: [TIMER, RUN], funcImports: [["persia", "timer", 0]], memory: { min: 1 }, tables,
    funcs: [
      { type: 1, locals: [[1, I32]], body: [...prelude, OP.loop, OP.void,
        OP.local_get, 1, OP.i32_const, 0, 0x11 /* call_indirect */, 0, table, OP.drop, ...COUNT_TO_N.slice(2)] },
      { type: 0, body: [OP.local_get, 0] },
    ],
    exports: [["run", 1]],
  });
}

/** Meters `bytes` with a persia.timer that counts its calls; returns run(n)'s fuel and the count. */
async function runIndirect(bytes: Uint8Array, n: number): Promise<{ used: bigint; timers: number }> {
  let timers = 0;
  const m = await meter(bytes, { timer: () => ++timers });
  return { used: 10_000_000n - run(m, 10_000_000n, () => m.exports.run(n)), timers };
}

test("call_indirect to a syscall in the table costs IMPORT_CALL_COST more, as a direct call does", async () => {
  const { used, timers } = await runIndirect(indirect([{ slots: 1, elems: [0] }], 0), 100);
  assert.equal(timers, 100, "each iteration called persia.timer through the table");
  assert.equal(used, BigInt(1 + 100 * (1 + 11 + IMPORT_CALL_COST)));
});

test("call_indirect into a table of defined functions only pays no import cost, even if the module imports syscalls", async () => {
  const { used, timers } = await runIndirect(indirect([{ slots: 1, elems: [2] }], 0), 100);
  assert.equal(timers, 0);
  assert.equal(used, BigInt(1 + 100 * (1 + 11 + 2)), "1 + 11 per iteration, and f's entry 1 + 1");
});

test("two tables: a call into the one without a syscall pays none; a syscall moved into it at run time pays", async () => {
  const tables = [{ slots: 1, elems: [0] }, { slots: 1, elems: [2] }];
  const clean = await runIndirect(indirect(tables, 1), 100);
  assert.deepEqual(clean, { used: BigInt(1 + 100 * 14), timers: 0 });
  // table.set 1 (slot 0, table.get 0 (slot 0)): persia.timer now sits in table 1 too
  const move = [OP.i32_const, 0, OP.i32_const, 0, 0x25 /* table.get */, 0, 0x26 /* table.set */, 1];
  const moved = await runIndirect(indirect(tables, 1, move), 100);
  assert.equal(moved.timers, 100);
  assert.equal(moved.used, BigInt(1 + 4 + 100 * (1 + 11 + IMPORT_CALL_COST)), "entry 1 + the move's 4 instructions");
});

test("a call_indirect of a type no import has pays no import cost, even into a table that holds a syscall", async () => {
  // table: [persia.timer, g]; g: () -> () is empty; the loop calls slot 1 with type () -> ()
  const bytes = buildService({
    types: [TIMER, RUN, [[], []]], funcImports: [["persia", "timer", 0]], memory: { min: 1 },
    tables: [{ slots: 2, elems: [0, 2] }],
    funcs: [
      { type: 1, locals: [[1, I32]], body: [OP.loop, OP.void, OP.i32_const, 1, 0x11, 2, 0, ...COUNT_TO_N.slice(2)] },
      { type: 2, body: [] },
    ],
    exports: [["run", 1]],
  });
  const { used, timers } = await runIndirect(bytes, 100);
  assert.equal(timers, 0);
  assert.equal(used, BigInt(1 + 100 * (1 + 9 + 1)), "1 + i32.const, call_indirect and COUNT_TO_N's 7 per turn, g's entry 1");
});

/** run(n): calls itself n times (n, n-1, ..., 1), then returns 0. */
const RECURSES_N = buildService({
  types: [[[I32], [I32]]], funcImports: [], memory: { min: 1 },
  funcs: [{ type: 0, body: [
    OP.local_get, 0, 0x04 /* if */, I32, OP.local_get, 0, OP.i32_const, 1, 0x6b /* i32.sub */, OP.call, 0,
    0x05 /* else */, OP.i32_const, 0, OP.end,
  ] }],
  exports: [["run", 0]],
});

/** run(n): calls an empty function n times in a loop. */
const LOOP_CALLS = buildService({
  types: [[[I32], []], [[], []]], funcImports: [], memory: { min: 1 },
  funcs: [
    { type: 0, locals: [[1, I32]], body: [OP.loop, OP.void, OP.call, 1, ...COUNT_TO_N.slice(2)] },
    { type: 1, body: [] },
  ],
  exports: [["run", 0]],
});

test("a call charges the callee's entry, and the caller goes on from what the callee left", async () => {
  // entry 1 + local.get, if, local.get, i32.const, i32.sub, call, i32.const = 8 per call
  const m = await meter(RECURSES_N);
  assert.equal(run(m, 1000n, () => m.exports.run(9)), 1000n - 10n * 8n);
  assert.throws(() => run(m, 79n, () => m.exports.run(9)), Exhausted, "the tenth call is one unit short");
  // each iteration: 1 + the call and the 7 of COUNT_TO_N, then 1 for the callee's entry
  const l = await meter(LOOP_CALLS);
  assert.equal(run(l, 10_000n, () => l.exports.run(100)), 10_000n - 1n - 100n * 10n);
});

test("a body of 200,000 nops is metered: it costs 1 + 200,000 at entry", async () => {
  const m = await meter(eventService(new Array<number>(200_000).fill(0x01)));
  assert.equal(run(m, 1_000_000n, () => m.exports.persia_event()), 1_000_000n - 200_001n);
});

/** persia_event: memory.fill(0, 0xab, 64000); 64000 is LEB 0x80 0xf4 0x03. */
const FILLS = buildService({
  types: [[[], []]], funcImports: [], memory: { min: 1 },
  funcs: [{ type: 0, body: [OP.i32_const, 0, OP.i32_const, 0xab, 0x01, OP.i32_const, 0x80, 0xf4, 0x03, 0xfc, 0x0b, 0x00] }],
  exports: [["persia_event", 0]],
});

test("memory.fill pays one unit per 64 bytes, before it runs", async () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const m = await meter(FILLS, {}, memory);
  // entry 1 + three constants and the fill, then 64000 / 64
  assert.equal(run(m, 10_000n, () => m.exports.persia_event()), 10_000n - 5n - 1000n);
  assert.equal(new Uint8Array(memory.buffer)[63999], 0xab);
  new Uint8Array(memory.buffer).fill(0);
  assert.throws(() => run(m, 1000n, () => m.exports.persia_event()), Exhausted);
  assert.equal(new Uint8Array(memory.buffer)[0], 0, "the fill did not run");
});

test("exception handling is refused: a catch_all could swallow fuel_exhausted", async () => {
  const TRY_CATCH_ALL = [0x06, OP.void, 0x01 /* nop */, 0x19 /* catch_all */, OP.end];
  const bytes = buildService({
    types: [[[], []]], funcImports: [], memory: { min: 1 },
    funcs: [{ type: 0, body: TRY_CATCH_ALL }], exports: [["persia_event", 0]],
  });
  await assert.rejects(meterFuel(bytes, NAME), (e) => e instanceof LoaderError && e.what === `service ${NAME}`);
});
