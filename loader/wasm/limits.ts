// The most a service module may have of what makes the loader's tools slow or makes them
// fail: each limit is checked on the bytes, by validate.ts and code.ts, before binaryen.js
// (the fuel and containment passes) reads the module, because binaryen does not refuse
// such modules itself: it overflows the JS stack (a RangeError, after which the same
// process failed on modules it had metered before) or takes seconds and gigabytes.
// AssemblyScript services are far below every limit: the built ones are 2-7 KiB, at most
// 17 functions, 12 locals in a function and 25 levels deep (tests/loader/wasm_code.test.ts
// checks them all). The figures are from tests/bench/limits.ts (Node 20, binaryen 132.0.0,
// this machine's two shared cores; spec/instrumentation.md has the table).
// Does not check anything itself; LimitError is how code.ts reports a limit passed.
import { MODULE_MAX } from "../../abi/limits";

/** Bytes in a whole module: 1 MiB, 150 times the largest service. Metering a 1 MiB module
 *  of dense code takes binaryen ~1.4 s and ~230 MB, containing it ~1.9 s and ~430 MB; a
 *  45 MiB one took 44 s and 1.3 GB, and 141 s and 2.2 GB. Checked first of all. It is
 *  abi/limits.ts's MODULE_MAX, which a PUT is held to as well. */
export const MODULE_BYTES_MAX = MODULE_MAX;

/** Functions defined in a module. Binaryen's cost grows with their number more than with
 *  their size: 350,000 empty functions (1.3 MiB) took 7.5 s to meter and 22 s to contain;
 *  4096 take 0.7 s and 0.3 s. */
export const FUNCTIONS_MAX = 4096;

/** Locals one function declares (parameters not counted). V8 allows 50,000; binaryen
 *  allocates each of them, so 1000 such functions (8 KiB of bytes) took 26 s and 480 MB to
 *  meter and 49 s and 1.3 GB to contain. */
export const LOCALS_MAX = 1024;

/** Locals all functions of a module declare together: 0.45 s to meter, 0.14 s to contain. */
export const MODULE_LOCALS_MAX = 65_536;

/** How deep one function's expression tree may go (code.ts says how depth is counted).
 *  binaryen's writer recurses once per level: the fuel pass failed with a RangeError at
 *  ~1200 levels of nested calls (it wraps each to reload the fuel) and ~2900 of i32.eqz,
 *  the containment pass at ~1150 levels of nested loads (it adds checks around each) and
 *  ~6600 nested loops. Less than half of the lowest. */
export const DEPTH_MAX = 512;

/** Tables a module defines (it may import none): AssemblyScript makes at most one, for
 *  function references. An engine allocates a table whole, outside the service's memory
 *  and so outside its RAM grant: one of 10 million elements (a 68-byte module) took 221 MB
 *  under Node, forty of them ended the process (V8 out of heap). */
export const TABLES_MAX = 1;

/** Elements a table may hold, as its declared maximum (one is required, so table.grow is
 *  bounded too): 65,536, some 1.5 MB of host memory at most; AssemblyScript's hold as many
 *  as the functions it references indirectly (2 in the built test services). */
export const TABLE_ELEMS_MAX = 65_536;

/** A limit that a module passes: where (the byte offset), why, and what to do. */
export class LimitError extends Error {
  constructor(readonly offset: number, readonly why: string, readonly fix: string) {
    super(`at byte ${offset}: ${why}`);
    this.name = "LimitError";
  }
}
