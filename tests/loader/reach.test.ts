// loader/instrument/reach.ts, rule by rule, on small modules in Wasm text: which tables a
// call_indirect may find an imported function in. An active segment with an import marks
// its table only; a table written at run time is marked as soon as the module has any
// reference to an import (in code, in a global's initialiser, or in an active segment),
// and only then; imported and exported tables are always marked; table.fill, table.copy
// and table.init mark every table; a passive segment alone marks none. fuel.test.ts checks
// what the fuel pass charges for it.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { loadBinaryen } from "../../loader/instrument/binaryen";
import { tablesHoldingImports } from "../../loader/instrument/reach";

const HEAD = `(import "persia" "timer" (func $timer (param i32) (result i32)))
  (func $f (param i32) (result i32) (local.get 0))
  (table $a 2 funcref) (table $b 2 funcref)`;

/** The tables reach.ts marks in a module of `imports`, HEAD and `rest`. */
async function marked(rest: string, imports = ""): Promise<string[]> {
  const b = await loadBinaryen();
  const m = b.parseText(`(module ${imports} ${HEAD} ${rest})`);
  try {
    return [...tablesHoldingImports(b, m)].sort();
  } finally {
    m.dispose();
  }
}

const SET_B = `(func (table.set $b (i32.const 0) (ref.func $f)))`;

test("an active segment with an import marks its own table, not the others", async () => {
  assert.deepEqual(await marked(`(elem (table $a) (i32.const 0) func $timer) (elem (table $b) (i32.const 0) func $f)`), ["a"]);
  assert.deepEqual(await marked(`(elem (table $a) (i32.const 0) func $f) (elem (table $b) (i32.const 0) func $f)`), []);
});

test("a table written at run time is marked when the module has a reference to an import anywhere", async () => {
  assert.deepEqual(await marked(SET_B), [], "no reference to an import: table.set can only store $f");
  assert.deepEqual(await marked(`${SET_B} (elem (table $a) (i32.const 0) func $timer)`), ["a", "b"], "table.get $a can read $timer");
  assert.deepEqual(await marked(`${SET_B} (elem declare func $timer) (func (drop (ref.func $timer)))`), ["b"], "ref.func in code");
  assert.deepEqual(await marked(`${SET_B} (elem declare func $timer) (global funcref (ref.func $timer))`), ["b"], "in a global's initialiser");
  assert.deepEqual(await marked(`(elem (table $a) (i32.const 0) func $timer)
    (func (drop (table.grow $b (ref.null func) (i32.const 1))))`), ["a", "b"], "table.grow writes too");
});

test("imported and exported tables are always marked: someone else may write them", async () => {
  assert.deepEqual(await marked(`(export "t" (table $b))`), ["b"]);
  assert.deepEqual(await marked("", `(import "env" "t" (table $c 1 funcref))`), ["c"]);
});

test("table.fill, table.copy and table.init mark every table; a passive segment alone marks none", async () => {
  assert.deepEqual(await marked(`(func (table.copy $b $a (i32.const 0) (i32.const 0) (i32.const 1)))`), ["a", "b"]);
  assert.deepEqual(await marked(`(func (table.fill $b (i32.const 0) (ref.null func) (i32.const 1)))`), ["a", "b"]);
  assert.deepEqual(await marked(`(elem $p func $timer) (func (table.init $b $p (i32.const 0) (i32.const 0) (i32.const 1)))`), ["a", "b"]);
  assert.deepEqual(await marked(`(elem $p func $timer)`), []);
});
