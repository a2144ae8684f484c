// abi/gen_rust.ts: the Rust the metal host includes (abi/gen/persia_abi.rs and
// persia_wasmtime.rs) carries every number and function of abi/ — the ABI version, every
// limit, every Errno and Fault with its text, abi/metal.ts whole, each host import as a
// method of HostImports and a linker entry, each syscall with its number, the kernel's
// exports, and every precompile setting of loader/metal/precompile.ts — and persia_abi.rs
// compiles on its own with rustc (the crate that includes both is built by npm run build).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { rustAbi, rustWasmtime } from "../../abi/gen_rust";
import { HOST_IMPORTS, KERNEL_EXPORTS, SYSCALLS, FUEL_IMPORTS } from "../../abi/contract";
import { ABI_VERSION } from "../../abi/kernel";
import { Errno } from "../../abi/errno";
import * as LIMITS from "../../abi/limits";
import * as METAL from "../../abi/metal";
import { METAL_ENGINE } from "../../loader/metal/precompile";

const abi = rustAbi();
const bridge = rustWasmtime();
const names = (e: object) => Object.keys(e).filter((k) => isNaN(Number(k)));

test("persia_abi.rs has the ABI version, every limit and every constant of abi/metal.ts", () => {
  assert.match(abi, new RegExp(`pub const ABI_VERSION: i32 = ${ABI_VERSION};`));
  for (const [k, v] of Object.entries(LIMITS)) {
    if (typeof v !== "number") continue;
    const m = new RegExp(`pub const ${k}: usize = (0x[0-9a-f]+|\\d+);`).exec(abi);
    assert.ok(m, `limit ${k}`);
    assert.equal(Number(m[1]), v, k);
  }
  for (const [k, v] of Object.entries(METAL)) {
    if (typeof v === "number") assert.equal(Number(new RegExp(`pub const ${k}: \\w+ = (0x[0-9a-f]+|\\d+);`).exec(abi)?.[1]), v, k);
    else if (typeof v === "string") assert.ok(abi.includes(`pub const ${k}: &str = ${JSON.stringify(v)};`), k);
    else for (const m of names(v)) assert.ok(abi.includes(`    ${m} = ${(v as unknown as Record<string, number>)[m]},`), `${k}.${m}`);
  }
});

test("persia_abi.rs has every Errno with its number, and the contract's tables", () => {
  for (const k of names(Errno)) assert.ok(abi.includes(`    ${k} = ${(Errno as unknown as Record<string, number>)[k]},`), k);
  for (const f of HOST_IMPORTS) assert.ok(abi.includes(`name: "${f.name}"`), f.name);
  for (const s of SYSCALLS) assert.match(abi, new RegExp(`AbiSyscall \\{ nr: ${s.nr}, f: AbiFn \\{ module: "persia", name: "${s.name}"`), s.name);
});

test("persia_wasmtime.rs links every host import, syscall and fuel import, and types every kernel export", () => {
  for (const f of HOST_IMPORTS) {
    assert.match(bridge, new RegExp(`fn ${f.name}\\(cx: &mut Caller<'_, Self>`), `HostImports::${f.name}`);
    assert.ok(bridge.includes(`linker.func_wrap("persia_host", "${f.name}"`), `linked ${f.name}`);
  }
  for (const s of SYSCALLS) assert.match(bridge, new RegExp(`func_wrap\\("persia", "${s.name}", .*T::syscall\\(&mut cx, ${s.nr}, \\[`), s.name);
  for (const f of FUEL_IMPORTS) assert.ok(bridge.includes(`"${f.module}", "${f.name}"`), f.name);
  for (const f of KERNEL_EXPORTS) assert.ok(bridge.includes(`${f.name}: instance.get_typed_func(&mut store, "${f.name}")?`), f.name);
});

test("persia_abi.rs repeats every precompile setting the runtime's Config must match", () => {
  for (const [k, v] of Object.entries(METAL_ENGINE.tunables)) {
    const value = typeof v === "boolean" ? `Flag(${v})` : `Bytes(${v})`;
    assert.ok(abi.includes(`("${k}", EngineValue::${value})`), k);
  }
  for (const f of METAL_ENGINE.cpuFeatures) assert.ok(abi.includes(`"${f.rust}"`), f.rust);
  for (const [k, v] of Object.entries(METAL_ENGINE.wasm)) assert.ok(abi.includes(`("${k}", ${v})`), k);
});

test("persia_abi.rs compiles on its own", { skip: spawnSync("rustc", ["--version"]).status === 0 ? false : "no rustc" }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-abi-rs-"));
  try {
    fs.writeFileSync(path.join(dir, "persia_abi.rs"), abi);
    fs.writeFileSync(path.join(dir, "lib.rs"), "#![no_std]\n#![allow(dead_code)]\ninclude!(\"persia_abi.rs\");\n");
    const r = spawnSync("rustc", ["--edition", "2024", "--crate-type", "lib", "--emit", "metadata", "-o", path.join(dir, "out.rmeta"), path.join(dir, "lib.rs")], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
