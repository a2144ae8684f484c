// loader/wasm/contract.ts, which `persia build` runs on kernel.wasm and the WASI shim: the
// built modules keep abi/contract.ts, and a module that does not is told exactly how.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { KERNEL_EXPORTS, HOST_IMPORTS, HOST_MODULE, SHIM_EXPORTS, SHIM_HOST_IMPORTS, Fn } from "../../abi/contract";
import { contractProblems } from "../../loader/wasm/contract";
import { WASM_DIR } from "../../hosts/node/paths";
import { buildModule, FUNC, I32, I64 } from "./wasm_fixture";

const wasm = (name: string) => new Uint8Array(fs.readFileSync(path.join(WASM_DIR, name)));

test("the built kernel and WASI shim keep the contract", () => {
  assert.deepEqual(contractProblems(wasm("kernel.wasm"), KERNEL_EXPORTS, HOST_MODULE, HOST_IMPORTS), []);
  const shim = [...SHIM_EXPORTS, ...HOST_IMPORTS.filter((f) => SHIM_HOST_IMPORTS.includes(f.name))];
  assert.deepEqual(contractProblems(wasm("shim.wasm"), shim), []);
});

test("a missing export, an export of another type, and an import the contract lacks or types otherwise are each named", () => {
  const fns: Fn[] = [
    { name: "k_abi", params: [], result: "i32", doc: "" },
    { name: "k_poll", params: [["now", "i64"]], result: "i64", doc: "" },
    { name: "k_status", params: [], result: "i32", doc: "" },
  ];
  const imports: Fn[] = [{ name: "log", params: [["level", "i32"], ["ptr", "i32"], ["len", "i32"]], result: null, doc: "" }];
  const m = buildModule({
    types: [[[], [I32]], [[I32], [I64]], [[I32, I32], []]],
    imports: [
      { module: HOST_MODULE, name: "log", desc: [FUNC, 2] },          // two parameters, not three
      { module: HOST_MODULE, name: "clock", desc: [FUNC, 0] },        // not in the contract
      { module: "env", name: "abort", desc: [FUNC, 2] },              // another module: not checked here
    ],
    funcs: [0, 1],
    exports: [{ name: "k_abi", kind: FUNC, index: 3 }, { name: "k_poll", kind: FUNC, index: 4 }],
  });
  assert.deepEqual(contractProblems(m, fns, HOST_MODULE, imports), [
    "exports k_poll(i32) -> i64; the contract says k_poll(i64) -> i64",
    "does not export k_status() -> i32",
    "imports persia_host.log(i32, i32) -> (); the contract says (i32, i32, i32) -> ()",
    "imports persia_host.clock, which the contract does not have",
  ]);
});
