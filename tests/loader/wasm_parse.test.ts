// loader/wasm/parse.ts on literal bytes: the minimal service module read section by
// section, then truncated, bad magic, bad version, bad LEB128, overlong and short
// sections, duplicate and unknown sections; every error must name its byte offset.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { WasmParseError, formatFuncType, functionType, parseModule } from "../../loader/wasm/parse";
import { MINIMAL_SERVICE, buildModule, minimalSpec } from "./wasm_fixture";

function parseError(bytes: number[] | Uint8Array): WasmParseError {
  try {
    parseModule(Uint8Array.from(bytes));
  } catch (e) {
    assert.ok(e instanceof WasmParseError, `expected WasmParseError, got ${e}`);
    return e;
  }
  assert.fail("parseModule accepted malformed bytes");
}

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

test("the fixture builder writes the hand-written minimal module byte for byte", () => {
  assert.deepEqual(buildModule(minimalSpec()), MINIMAL_SERVICE);
});

test("reads the minimal service module", () => {
  const m = parseModule(MINIMAL_SERVICE);
  assert.deepEqual(m.types, [{ params: ["i32", "i32"], results: ["i32"] }, { params: [], results: [] }]);
  assert.deepEqual(m.imports, [
    { module: "persia", name: "send", offset: 23, desc: { kind: "func", type: 0 } },
    { module: "env", name: "memory", offset: 37, desc: { kind: "memory", limits: { min: 1, max: null, shared: false } } },
  ]);
  assert.deepEqual(m.functions, [1]);
  assert.deepEqual(m.memories, []);
  assert.deepEqual(m.exports, [{ name: "persia_event", kind: "func", index: 1, offset: 58 }]);
  assert.equal(m.start, null);
  assert.deepEqual(m.sections.map((s) => [s.id, s.offset, s.size]), [[1, 8, 10], [2, 20, 29], [3, 51, 2], [7, 55, 16], [10, 73, 4]]);
  assert.equal(formatFuncType(functionType(m, 0)!), "(i32, i32) -> i32");
  assert.equal(formatFuncType(functionType(m, 1)!), "() -> ()");
  assert.equal(functionType(m, 2), null);
});

test("an empty module (header only) has no sections", () => {
  assert.deepEqual(parseModule(Uint8Array.from(HEADER)).sections, []);
});

test("bad magic is refused at byte 0", () => {
  const e = parseError([0x00, 0x61, 0x73, 0x6e, 0x01, 0x00, 0x00, 0x00]);
  assert.equal(e.offset, 0);
  assert.equal(e.message, "at byte 0: not a Wasm module (the magic number \\0asm is missing)");
});

test("a wrong version is refused at byte 4", () => {
  const e = parseError([0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00]);
  assert.equal(e.offset, 4);
  assert.match(e.message, /version 2,0,0,0 is not Wasm version 1/);
});

test("a module shorter than its header is refused", () => {
  const e = parseError([0x00, 0x61, 0x73]);
  assert.equal(e.offset, 0);
  assert.match(e.message, /needs 4 bytes but only 3 remain/);
});

test("truncation inside any section is refused with the offset where bytes ran out", () => {
  const boundaries = [8, 20, 51, 55, 73]; // a cut here leaves a shorter but well-formed module
  for (let cut = 9; cut < MINIMAL_SERVICE.length; cut++) {
    if (boundaries.includes(cut)) {
      assert.equal(parseModule(MINIMAL_SERVICE.subarray(0, cut)).sections.length, boundaries.indexOf(cut));
    } else {
      assert.throws(() => parseModule(MINIMAL_SERVICE.subarray(0, cut)), WasmParseError, `cut at ${cut}`);
    }
  }
  const e = parseError(MINIMAL_SERVICE.subarray(0, 15)); // inside the type section's 10 bytes
  assert.equal(e.offset, 10);
  assert.equal(e.message, "at byte 10: the type section (declared 10 bytes) needs 10 bytes but only 5 remain");
});

test("a section size whose LEB128 does not fit in 32 bits is refused", () => {
  const e = parseError([...HEADER, 0x01, 0xff, 0xff, 0xff, 0xff, 0x7f]);
  assert.equal(e.offset, 9);
  assert.equal(e.message, "at byte 9: type section size: LEB128 number does not fit in 32 bits");
});

test("a LEB128 longer than 5 bytes is refused", () => {
  const e = parseError([...HEADER, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]);
  assert.equal(e.offset, 9);
  assert.match(e.message, /LEB128 number is longer than 5 bytes/);
});

test("a LEB128 that runs past the end is refused", () => {
  const e = parseError([...HEADER, 0x01, 0x80, 0x80]);
  assert.equal(e.offset, 9);
  assert.match(e.message, /LEB128 number runs past the end/);
});

test("a section that declares more bytes than the module has is refused", () => {
  const e = parseError([...HEADER, 0x03, 0x7f, 0x01, 0x00]);
  assert.equal(e.offset, 10);
  assert.match(e.message, /function section \(declared 127 bytes\) needs 127 bytes but only 2 remain/);
});

test("a section whose content ends before its declared size is refused", () => {
  // function section declares 3 bytes; its content (1 function of type 0) uses 2
  const e = parseError([...HEADER, 0x03, 0x03, 0x01, 0x00, 0x00]);
  assert.equal(e.offset, 12);
  assert.equal(e.message, "at byte 12: the function section declares 3 bytes but its content ends 1 bytes early");
});

test("a vector count larger than its section is refused inside the section", () => {
  const e = parseError([...HEADER, 0x03, 0x02, 0x05, 0x00]);
  assert.equal(e.offset, 12);
  assert.match(e.message, /function type index: LEB128 number runs past the end/);
});

test("an unknown section id and a repeated section are refused", () => {
  assert.equal(parseError([...HEADER, 0x20, 0x00]).message, "at byte 8: section id 32 is not known");
  assert.equal(parseError([...HEADER, 0x03, 0x01, 0x00, 0x03, 0x01, 0x00]).message, "at byte 11: the function section appears twice");
});

test("a non-function type (GC) is refused at its form byte", () => {
  const e = parseError([...HEADER, 0x01, 0x02, 0x01, 0x5f]);
  assert.equal(e.offset, 11);
  assert.match(e.message, /type form 0x5f is not a function type/);
});

test("custom sections are skipped, but their name must lie inside them", () => {
  assert.equal(parseModule(Uint8Array.from([...HEADER, 0x00, 0x03, 0x01, 0x61, 0xaa])).sections.length, 1);
  assert.match(parseError([...HEADER, 0x00, 0x02, 0x05, 0x61]).message, /custom section name needs 5 bytes but only 1 remain/);
});

test("64-bit memory limits are refused", () => {
  const e = parseError([...HEADER, 0x05, 0x03, 0x01, 0x04, 0x01]);
  assert.equal(e.offset, 11);
  assert.match(e.message, /memory limits flags 0x4 \(64-bit or unknown\) are not supported/);
});
