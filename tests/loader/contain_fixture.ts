// Test-only: runs a module in Wasm text both as written and after the loader's fuel
// metering and containment (loader/instrument/contain.ts), side by side under Node, so a
// test can ask of any call: did the contained module return what the plain one returned,
// or call persia_fault.fault(reason) exactly where the plain one trapped? fault throws
// Fault (with the reason), fuel_exhausted throws Fault(FUEL), as the image's glue unwinds.
// Deliberately no assertions on costs or on the code the pass writes.
// Used by tests/loader/contain.test.ts and contain_services.test.ts.
import * as assert from "node:assert/strict";
import { CONTAIN_IMPORTS, FUEL_IMPORTS } from "../../abi/contract";
import { FaultReason } from "../../abi/image";
import { loadBinaryen, serviceFeatures } from "../../loader/instrument/binaryen";
import { ContainCounts, contain } from "../../loader/instrument/contain";
import { meterFuel } from "../../loader/instrument/fuel";

export const NAME = "contain.sabz.city";

/** What the fault import throws: the guest unwinds, as under the image's glue. */
export class Fault extends Error {
  constructor(readonly reason: FaultReason) {
    super(`fault ${FaultReason[reason]}`);
    this.name = "Fault";
  }
}

export type Exports = Record<string, Function> & Record<string, WebAssembly.Global>;

/** Wasm text to bytes, in the features the loader reads services with. */
export async function wat(text: string): Promise<Uint8Array> {
  const b = await loadBinaryen();
  const m = b.parseText(text);
  try {
    m.setFeatures(serviceFeatures(b));
    if (!m.validate()) throw new Error("the fixture does not validate");
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

/** The fault and fuel_exhausted imports of a contained module, throwing Fault. */
export function faultImports(): WebAssembly.Imports {
  const [fault] = CONTAIN_IMPORTS;
  const [fuel] = FUEL_IMPORTS;
  return {
    [fault.module]: { [fault.name]: (reason: number) => { throw new Fault(reason); } },
    [fuel.module]: { [fuel.name]: () => { throw new Fault(FaultReason.FUEL); } },
  };
}

/** Metered and contained bytes of a module. */
export async function containText(text: string): Promise<{ bytes: Uint8Array; counts: ContainCounts }> {
  return contain((await meterFuel(await wat(text), NAME)).bytes, NAME);
}

export interface Pair {
  plain: Exports;
  safe: Exports;
  plainMemory: WebAssembly.Memory;
  safeMemory: WebAssembly.Memory;
  counts: ContainCounts;
}

/** The module plain and contained, each with its own memory; persia_reset already run. */
export async function pair(text: string, memory: WebAssembly.MemoryDescriptor = { initial: 1, maximum: 4 }): Promise<Pair> {
  const plainMemory = new WebAssembly.Memory(memory), safeMemory = new WebAssembly.Memory(memory);
  const plain = new WebAssembly.Instance(new WebAssembly.Module(await wat(text) as BufferSource), { env: { memory: plainMemory } });
  const { bytes, counts } = await containText(text);
  const safe = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), { ...faultImports(), env: { memory: safeMemory } });
  const p = { plain: plain.exports as Exports, safe: safe.exports as Exports, plainMemory, safeMemory, counts };
  p.safe.persia_reset();
  return p;
}

function outcome(f: () => unknown): { value: unknown } | { error: unknown } {
  try {
    return { value: f() };
  } catch (error) {
    return { error };
  }
}

/** Calls `fn(...args)` on both: where the plain module traps the contained one must call
 *  fault(reason) (never trap), else return the same value and leave the same memory. Like
 *  the glue, it sets persia_stack to 0 before the call. Returns the plain outcome. */
export function same(p: Pair, reason: FaultReason, fn: string, ...args: unknown[]): "trap" | "value" {
  const what = `${fn}(${args.map(String).join(", ")})`;
  const plain = outcome(() => p.plain[fn](...args));
  p.safe.persia_stack.value = 0;
  const safe = outcome(() => p.safe[fn](...args));
  if ("error" in plain) {
    assert.ok(plain.error instanceof WebAssembly.RuntimeError, `${what}: the plain module failed with ${plain.error}`);
    assert.ok("error" in safe, `${what} returned ${"value" in safe ? safe.value : ""} where the plain module trapped`);
    assert.ok(safe.error instanceof Fault, `${what}: ${safe.error} escaped the contained module`);
    assert.equal(FaultReason[safe.error.reason], FaultReason[reason], `${what}: the fault's reason`);
  } else {
    assert.ok("value" in safe, `${what} failed with ${"error" in safe ? safe.error : ""} where the plain module returned`);
    assert.deepEqual(safe.value, plain.value, what);
  }
  assert.ok(Buffer.from(p.plainMemory.buffer).equals(Buffer.from(p.safeMemory.buffer)), `${what}: the memories differ`);
  return "error" in plain ? "trap" : "value";
}
