// Test-only: writes small Wasm binaries byte by byte (no toolchain, no WebAssembly API), so
// the loader's tests can build one module per behaviour. MINIMAL_SERVICE is also spelled
// out as a literal byte array, which the tests compare with the builder's output.
// Deliberately minimal: function bodies are a constant of the result type, nothing else.
// Used by tests/loader/wasm_parse.test.ts and wasm_validate.test.ts.

export const I32 = 0x7f;
export const I64 = 0x7e;
export const FUNC = 0x00, TABLE = 0x01, MEMORY = 0x02, GLOBAL = 0x03;

export function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function str(s: string): number[] {
  const b = Array.from(new TextEncoder().encode(s));
  return [...leb(b.length), ...b];
}

export function vec(items: number[][]): number[] {
  return [...leb(items.length), ...items.flat()];
}

export function section(id: number, body: number[]): number[] {
  return [id, ...leb(body.length), ...body];
}

export interface ModuleSpec {
  types: [number[], number[]][];                              // [params, results]
  imports: { module: string; name: string; desc: number[] }[]; // desc = kind byte + its bytes
  funcs: number[];                                            // type index of each defined function
  memories?: number[][];                                      // limits bytes of defined memories
  exports: { name: string; kind: number; index: number }[];
  start?: number;
}

const CONST: Record<number, number[]> = { [I32]: [0x41, 0x00], [I64]: [0x42, 0x00] };

export function buildModule(m: ModuleSpec): Uint8Array {
  const bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  bytes.push(...section(1, vec(m.types.map(([p, r]) => [0x60, ...vec(p.map((t) => [t])), ...vec(r.map((t) => [t]))]))));
  if (m.imports.length) bytes.push(...section(2, vec(m.imports.map((i) => [...str(i.module), ...str(i.name), ...i.desc]))));
  if (m.funcs.length) bytes.push(...section(3, vec(m.funcs.map((t) => leb(t)))));
  if (m.memories?.length) bytes.push(...section(5, vec(m.memories)));
  if (m.exports.length) bytes.push(...section(7, vec(m.exports.map((e) => [...str(e.name), e.kind, ...leb(e.index)]))));
  if (m.start !== undefined) bytes.push(...section(8, leb(m.start)));
  if (m.funcs.length) {
    bytes.push(...section(10, vec(m.funcs.map((t) => {
      const body = [0x00, ...m.types[t][1].flatMap((r) => CONST[r]), 0x0b]; // no locals, constants, end
      return [...leb(body.length), ...body];
    }))));
  }
  return Uint8Array.from(bytes);
}

/** persia.send and env.memory (min 1 page) imported, persia_event exported. */
export function minimalSpec(): ModuleSpec {
  return {
    types: [[[I32, I32], [I32]], [[], []]],
    imports: [
      { module: "persia", name: "send", desc: [FUNC, 0] },
      { module: "env", name: "memory", desc: [MEMORY, 0x00, 1] },
    ],
    funcs: [1],
    exports: [{ name: "persia_event", kind: FUNC, index: 1 }],
  };
}

// The same module written out by hand, section by section.
export const MINIMAL_SERVICE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,             // "\0asm", version 1
  0x01, 0x0a, 0x02,                                           // type section, 10 bytes, 2 types
  0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,                         //   (i32, i32) -> i32
  0x60, 0x00, 0x00,                                           //   () -> ()
  0x02, 0x1d, 0x02,                                           // import section, 29 bytes, 2 imports
  0x06, 0x70, 0x65, 0x72, 0x73, 0x69, 0x61, 0x04, 0x73, 0x65, 0x6e, 0x64, 0x00, 0x00, // persia.send func type 0
  0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x01, // env.memory min 1
  0x03, 0x02, 0x01, 0x01,                                     // function section: 1 function of type 1
  0x07, 0x10, 0x01,                                           // export section, 16 bytes, 1 export
  0x0c, 0x70, 0x65, 0x72, 0x73, 0x69, 0x61, 0x5f, 0x65, 0x76, 0x65, 0x6e, 0x74, 0x00, 0x01, // persia_event func 1
  0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,                         // code section: one body, no locals, end
]);
