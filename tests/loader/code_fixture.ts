// Test-only: service modules of the shapes that cost binaryen the most, written byte by
// byte, at any size: deep nesting, long chains of operands, nested calls, many locals, many
// functions, many data segments, and a module padded to an exact size. Large ones are
// written into a Uint8Array directly (a JS array of 45 million numbers would not do).
// Deliberately only shapes: what the loader must do with them is in the tests.
// Used by tests/loader/wasm_code.test.ts and tests/bench/limits.ts.
import { I32, leb, section, str, vec } from "./wasm_fixture";
import { OP, buildService, eventService } from "../hosts/service_fixture";

export const LOAD = [0x28, 0x02, 0x00];   // i32.load align=2 offset=0
export const EQZ = 0x45;                  // i32.eqz

const repeat = (bytes: number[], n: number): number[] => Array.from({ length: n }, () => bytes).flat();

/** persia_event: `n` blocks inside each other around a nop. */
export const nested = (n: number) => eventService([...repeat([0x02, OP.void], n), 0x01, ...repeat([OP.end], n)]);

/** persia_event: i32.const 0, then `n` times `op` (each takes the value before), drop. */
export const chain = (op: number[], n: number) => eventService([OP.i32_const, 0, ...repeat(op, n), OP.drop]);

/** persia_event calls f(f(…f(0))) `n` times; f: (i32) -> i32 returns its argument. */
export const calls = (n: number) => buildService({
  types: [[[], []], [[I32], [I32]]], funcImports: [], memory: { min: 1 },
  funcs: [{ type: 0, body: [OP.i32_const, 0, ...repeat([OP.call, 1], n), OP.drop] }, { type: 1, body: [OP.local_get, 0] }],
  exports: [["persia_event", 0]],
});

/** One function per entry, each declaring i32 locals in the groups given; persia_event is the first. */
export const declaring = (groups: number[][]) => buildService({
  types: [[[], []]], funcImports: [], memory: { min: 1 },
  funcs: groups.map((locals) => ({ type: 0, locals: locals.map((n) => [n, I32] as [number, number]), body: [] })),
  exports: [["persia_event", 0]],
});

/** Service sections before the code section (type () -> (), env.memory, `functions`
 *  functions of type 0, persia_event = function 0), and any after the export section. */
function head(functions: number, extra: number[] = []): number[] {
  return [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 0x00, 0x00]])),
    ...section(2, vec([[...str("env"), ...str("memory"), 0x02, 0x00, 0x01]])),
    ...section(3, [...leb(functions), ...new Array<number>(functions).fill(0)]),
    ...section(7, vec([[...str("persia_event"), 0x00, 0x00]])),
    ...extra];
}

/** About `total` bytes of code in functions of `perFunction` bytes, each a run of
 *  `i32.const 0; i32.const 1; i32.add; drop`: the densest plain code. */
export function dense(total: number, perFunction: number): Uint8Array {
  const unit = [0x41, 0x00, 0x41, 0x01, 0x6a, 0x1a];
  const units = Math.max(0, Math.floor((perFunction - 2) / unit.length));
  const body = new Uint8Array(2 + units * unit.length);      // no locals, the units, end
  for (let i = 0; i < units; i++) body.set(unit, 1 + i * unit.length);
  body[body.length - 1] = OP.end;
  const entry = Uint8Array.from([...leb(body.length), ...body]);
  const n = Math.max(1, Math.floor(total / entry.length));
  const before = Uint8Array.from(head(n));
  const content = leb(n).length + n * entry.length;
  const code = Uint8Array.from([10, ...leb(content), ...leb(n)]);
  const out = new Uint8Array(before.length + code.length + n * entry.length);
  out.set(before);
  out.set(code, before.length);
  for (let i = 0, at = before.length + code.length; i < n; i++, at += entry.length) out.set(entry, at);
  return out;
}

/** An empty persia_event and `n` passive data segments of no bytes. */
export function dataSegments(n: number): Uint8Array {
  const count = section(12, leb(n));
  const data = new Uint8Array(n * 2).map((_, i) => (i % 2 === 0 ? 0x01 : 0x00));
  const before = Uint8Array.from([...head(1, count), ...section(10, vec([[0x02, 0x00, OP.end]])),
    11, ...leb(leb(n).length + data.length), ...leb(n)]);
  const out = new Uint8Array(before.length + data.length);
  out.set(before);
  out.set(data, before.length);
  return out;
}

/** The empty service padded with a custom section to exactly `size` bytes. */
export function padded(size: number): Uint8Array {
  const service = eventService([]);
  const content = size - service.length - 5;       // after the section id and a 4-byte size
  const out = new Uint8Array(size);
  out.set([...service, 0x00, 0x80 | (content & 0x7f), 0x80 | ((content >> 7) & 0x7f), 0x80 | ((content >> 14) & 0x7f), content >> 21]);
  out.set(str("p"), service.length + 5);
  return out;
}
