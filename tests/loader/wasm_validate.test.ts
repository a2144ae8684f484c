// validateService on hand-built modules: the minimal service is accepted with exact
// module info, and each way a module can break the service contract (foreign imports,
// wrong syscall signatures, missing or own memory, shared memory, too large a memory,
// missing or mistyped entry points, malformed or engine-invalid bytes) is refused with a
// LoaderError that names the problem.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { LoaderError, validateService } from "../../loader/wasm/validate";
import { FUNC, GLOBAL, I32, I64, MEMORY, MINIMAL_SERVICE, ModuleSpec, TABLE, buildModule, minimalSpec } from "./wasm_fixture";
import { buildService } from "../hosts/service_fixture";

const NAME = "echo.sabz.city";

function refusal(spec: ModuleSpec | Uint8Array, ramMaxPages = 16): LoaderError {
  const bytes = spec instanceof Uint8Array ? spec : buildModule(spec);
  try {
    validateService(bytes, NAME, ramMaxPages);
  } catch (e) {
    assert.ok(e instanceof LoaderError, `expected LoaderError, got ${e}`);
    assert.equal(e.what, `service ${NAME}`);
    assert.equal(e.message, `${e.what}: ${e.why}. ${e.fix}`);
    return e;
  }
  assert.fail("validateService accepted a module it should refuse");
}

function withSpec(change: (s: ModuleSpec) => void): ModuleSpec {
  const s = minimalSpec();
  change(s);
  return s;
}

test("accepts the minimal service and reports its memory and imports", () => {
  assert.deepEqual(validateService(MINIMAL_SERVICE, NAME, 16), {
    memoryMinPages: 1, memoryMaxPages: null, hasInit: false, hasStart: false, imports: ["persia.send", "env.memory"],
  });
});

test("accepts persia_init, env.abort, a declared memory maximum and a start function", () => {
  const spec = withSpec((s) => {
    s.types.push([[I32, I32, I32, I32], []]);
    s.imports = [
      { module: "env", name: "abort", desc: [FUNC, 2] },
      { module: "persia", name: "disk_read", desc: [FUNC, 3] },
      { module: "env", name: "memory", desc: [MEMORY, 0x01, 2, 64] },
    ];
    s.types.push([[I32, I32, I32, I32, I32], [I32]]);
    s.funcs = [1, 1, 1];
    s.exports = [{ name: "persia_event", kind: FUNC, index: 2 }, { name: "persia_init", kind: FUNC, index: 3 }];
    s.start = 4;
  });
  assert.deepEqual(validateService(buildModule(spec), NAME, 2), {
    memoryMinPages: 2, memoryMaxPages: 64, hasInit: true, hasStart: true,
    imports: ["env.abort", "persia.disk_read", "env.memory"],
  });
});

test("refuses a WASI import, naming it and listing what a service may import", () => {
  const e = refusal(withSpec((s) => {
    s.types.push([[I32, I32, I32, I32], [I32]]);
    s.imports.unshift({ module: "wasi_snapshot_preview1", name: "fd_write", desc: [FUNC, 2] });
    s.exports[0].index = 2;
  }));
  assert.equal(e.why, "module imports wasi_snapshot_preview1.fd_write, which PersiaOS does not provide (import at byte 31)");
  assert.match(e.fix, /^A service may import only persia\.\{send,recv,addr,resolve,log,clock,timer,.*\}, env\.memory and env\.abort\. Rebuild it against services\/sdk\.$/);
});

test("refuses an import from module persia that is not a syscall", () => {
  const e = refusal(withSpec((s) => { s.imports[0].name = "fork"; }));
  assert.match(e.why, /^module imports persia\.fork, which is not a PersiaOS syscall/);
});

test("refuses the imports and exports that only the fuel metering and containment may add", () => {
  const imp = refusal(withSpec((s) => {
    s.imports.unshift({ module: "persia", name: "fuel_exhausted", desc: [FUNC, 1] });
    s.exports[0].index = 2;
  }));
  assert.match(imp.why, /^module imports persia\.fuel_exhausted \(import at byte \d+\); only the loader adds it/);
  const fault = refusal(withSpec((s) => {
    s.imports.unshift({ module: "persia_fault", name: "fault", desc: [FUNC, 1] });
    s.exports[0].index = 2;
  }));
  assert.match(fault.why, /^module imports persia_fault\.fault \(import at byte \d+\); only the loader adds it/);
  for (const name of ["persia_fuel", "persia_reset", "persia_stack", "persia_ram_max"]) {
    const exp = refusal(withSpec((s) => { s.exports.push({ name, kind: FUNC, index: 1 }); }));
    assert.match(exp.why, new RegExp(`^module exports ${name}; only the loader adds it`));
  }
});

test("refuses a syscall imported with the wrong signature, showing both", () => {
  const e = refusal(withSpec((s) => { s.types[0] = [[I32], [I32]]; }));
  assert.equal(e.why, "module imports persia.send with type (i32) -> i32, but PersiaOS provides " +
    "persia.send(ptr: i32, len: i32) -> i32 (import at byte 22)");
});

test("refuses a syscall imported as a global", () => {
  const e = refusal(withSpec((s) => {
    s.imports[0].desc = [GLOBAL, I32, 0x00];
    s.exports[0].index = 0;
  }));
  assert.match(e.why, /^module imports persia\.send as a global/);
});

test("refuses env.abort with the wrong signature", () => {
  const e = refusal(withSpec((s) => {
    s.types.push([[I32], []]);
    s.imports.push({ module: "env", name: "abort", desc: [FUNC, 2] });
    s.exports[0].index = 2;
  }));
  assert.match(e.why, /^module imports env\.abort with type \(i32\) -> \(\), but PersiaOS provides env\.abort\(i32, i32, i32, i32\) -> \(\)/);
});

test("refuses other env imports such as a table", () => {
  const e = refusal(withSpec((s) => { s.imports.push({ module: "env", name: "table", desc: [TABLE, 0x70, 0x00, 1] }); }));
  assert.match(e.why, /^module imports env\.table, which PersiaOS does not provide/);
});

test("refuses a module without env.memory", () => {
  const e = refusal(withSpec((s) => { s.imports.pop(); }));
  assert.equal(e.why, "module does not import env.memory");
  assert.match(e.fix, /importMemory/);
});

test("refuses a module that defines its own memory", () => {
  const e = refusal(withSpec((s) => { s.imports.pop(); s.memories = [[0x00, 1]]; }));
  assert.equal(e.why, "module defines 1 memory of its own instead of importing env.memory");
});

test("refuses a shared memory", () => {
  const e = refusal(withSpec((s) => { s.imports[1].desc = [MEMORY, 0x03, 1, 16]; }));
  assert.match(e.why, /^module imports env\.memory as a shared memory/);
});

test("refuses a memory minimum above the RAM max", () => {
  const e = refusal(withSpec((s) => { s.imports[1].desc = [MEMORY, 0x00, 17]; }), 16);
  assert.equal(e.why, "module needs at least 17 pages (1088 KiB) of memory, but its RAM max is 16 pages (1024 KiB)");
  assert.match(e.fix, /Raise ram\.max/);
  assert.equal(validateService(buildModule(withSpec((s) => { s.imports[1].desc = [MEMORY, 0x00, 16]; })), NAME, 16).memoryMinPages, 16);
});

test("refuses a module without persia_event", () => {
  const e = refusal(withSpec((s) => { s.exports[0].name = "main"; }));
  assert.equal(e.why, "module does not export persia_event, which the kernel calls when packets are queued or the timer fired");
});

test("refuses persia_event with a result, and persia_init with parameters", () => {
  const event = refusal(withSpec((s) => { s.types.push([[], [I64]]); s.funcs = [2]; }));
  assert.equal(event.why, "module exports persia_event with type () -> i64; it must be () -> ()");
  const init = refusal(withSpec((s) => {
    s.funcs = [1, 0];
    s.exports.push({ name: "persia_init", kind: FUNC, index: 2 });
  }));
  assert.equal(init.why, "module exports persia_init with type (i32, i32) -> i32; it must be () -> ()");
});

test("refuses malformed bytes with the parser's offset", () => {
  const e = refusal(MINIMAL_SERVICE.subarray(0, 30));
  assert.equal(e.why, "module is not a well-formed Wasm binary: at byte 22: " +
    "the import section (declared 29 bytes) needs 29 bytes but only 8 remain");
});

test("refuses a well-formed module that the engine does not validate", () => {
  const code = [0x0a, 0x05, 0x01, 0x03, 0x00, 0x6a, 0x0b]; // one body: no locals, i32.add, end
  const bytes = Uint8Array.from([...MINIMAL_SERVICE.subarray(0, MINIMAL_SERVICE.length - 6), ...code]);
  const e = refusal(bytes);
  assert.match(e.why, /^module is not valid WebAssembly: .*i32\.add/);
});

test("refuses tables the host would allocate outside the RAM grant: more than one, none without a maximum, none over 65,536", () => {
  const svc = (tables: { slots: number; elems: number[]; max?: number | null }[]) => buildService({
    types: [[[], []]], funcImports: [], memory: { min: 1 }, tables,
    funcs: [{ type: 0, locals: [], body: [] }], exports: [["persia_event", 0]],
  });
  validateService(svc([{ slots: 2, elems: [0] }]), NAME, 16);
  validateService(svc([{ slots: 65_536, elems: [0] }]), NAME, 16);
  assert.match(refusal(svc([{ slots: 1, elems: [0] }, { slots: 1, elems: [0] }])).why, /^module defines 2 tables$/);
  assert.match(refusal(svc([{ slots: 2, elems: [0], max: null }])).why, /table without a maximum, which table\.grow could grow without bound/);
  const big = refusal(svc([{ slots: 10_000_000, elems: [0] }]));
  assert.match(big.why, /table of up to 10000000 elements; the host would allocate it outside the service's RAM grant/);
  assert.match(big.fix, /at most 1 table of at most 65536 elements with a declared maximum/);
  assert.match(refusal(svc([{ slots: 2, elems: [0], max: 65_537 }])).why, /up to 65537 elements/);
});
