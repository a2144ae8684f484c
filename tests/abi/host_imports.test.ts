// A TypeScript host that lacks a host import, or gives one the wrong types, does not
// compile: abi/gen/host_imports.ts (written by abi/gen.ts from abi/contract.ts) types every
// callback of HOST_IMPORTS, and hosts/node/node.ts and the tests' mock hosts are of that
// type. Each case here type-checks a small host with the TypeScript compiler, as `npm run
// build:ts` would, and looks for the error that names the import.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { Fn, HOST_IMPORTS, WasmType } from "../../abi/contract";

/** The checkout: this file runs as build/ts/tests/abi/host_imports.test.js. */
const ROOT = path.resolve(__dirname, "../../../..");
const ZERO: Record<WasmType, string> = { i32: "0", i64: "0n" };

/** A callback of the contract's signature that does nothing: `(a: number, b: bigint) => 0n`. */
function callback(f: Fn, result = f.result): string {
  const params = f.params.map(([n, t]) => `${n}: ${t === "i64" ? "bigint" : "number"}`).join(", ");
  return `(${params}) => ${result ? ZERO[result] : "{}"}`;
}

/** tsc's errors (each after its line) for a host whose members are `members`, as strict as the project's build. */
function compileHost(members: string[]): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-host-"));
  try {
    const file = path.join(dir, "host.ts");
    const gen = path.join(ROOT, "abi/gen/host_imports").replace(/\\/g, "/");
    fs.writeFileSync(file, `import { HostImports } from ${JSON.stringify(gen)};\n` +
      `export const host: HostImports = {\n  ${members.join(",\n  ")},\n};\n`);
    const program = ts.createProgram([file], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, types: [], skipLibCheck: true });
    // Each error with the line it is on, which names the member for a mistyped one.
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const line = d.file && d.start !== undefined ? d.file.text.split("\n")[d.file.getLineAndCharacterOfPosition(d.start).line].trim() : "";
      return `${line}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const complete = () => HOST_IMPORTS.map((f) => `${f.name}: ${callback(f)}`);

test("a host with every import of abi/contract.ts, each of its signature, compiles", () => {
  assert.deepEqual(compileHost(complete()), []);
});

test("a host that lacks an import fails to compile, naming it", () => {
  const errors = compileHost(complete().filter((m) => !m.startsWith("disk_flush:")));
  assert.ok(errors.some((e) => /disk_flush/.test(e) && /missing/.test(e)), errors.join("\n"));
});

test("a host that gives an import the wrong result or parameter types fails to compile, naming it", () => {
  const fuel = HOST_IMPORTS.find((f) => f.name === "svc_fuel_used")!;
  const wrongResult = complete().map((m) => m.startsWith("svc_fuel_used:") ? `svc_fuel_used: ${callback(fuel, "i32")}` : m);
  const errors = compileHost(wrongResult);
  assert.ok(errors.some((e) => /svc_fuel_used/.test(e)), errors.join("\n"));

  const wrongParam = complete().map((m) => m.startsWith("svc_call:") ? "svc_call: (svc: number, entry: number, fuel: number) => 0" : m);
  const errors2 = compileHost(wrongParam);
  assert.ok(errors2.some((e) => /svc_call/.test(e)), errors2.join("\n"));
});

test("a host with an import the contract does not have fails to compile", () => {
  const errors = compileHost([...complete(), "nic_reset: (nic: number) => 0"]);
  assert.ok(errors.some((e) => /nic_reset/.test(e)), errors.join("\n"));
});
