// binaryen.js for the loader's passes: loaded once per process, with the WebAssembly
// features a service module may use when the loader reads and writes it. binaryen.js is
// an ES module with top-level await, so this CommonJS code reaches it through a real
// dynamic import (tsc would turn a plain import() into require, which cannot load it).
// Does not run any pass itself; fuel.ts does. Types only come from binaryen's typings.
import type binaryen from "binaryen";
import { LoaderError } from "../errors";

export type Binaryen = typeof binaryen;
export type BinaryenModule = binaryen.Module;

/** Parts of binaryen.js that its typings (132.0.0) leave out; the names are binaryen.js's. */
export interface BinaryenExtras {
  Loop: { getBody(loop: number): number; setBody(loop: number, body: number): void };
  Function: { setBody(func: number, body: number): void };
  MemoryCopy: SizedOp;
  MemoryFill: SizedOp;
  MemoryInit: SizedOp;
  /** Adds a local of `type` to a function; returns its index. */
  _BinaryenFunctionAddVar(func: number, type: number): number;
  readBinary(bytes: Uint8Array, features: number): BinaryenModule;
}

interface SizedOp { getSize(e: number): number; setSize(e: number, size: number): void }

export function extras(b: Binaryen): BinaryenExtras {
  return b as unknown as BinaryenExtras;
}

const dynamicImport = new Function("specifier", "return import(specifier)") as
  (specifier: string) => Promise<{ default: Binaryen }>;

let loading: Promise<Binaryen> | null = null;

/** binaryen.js, instantiated on the first call (about half a second) and shared after. */
export function loadBinaryen(): Promise<Binaryen> {
  loading ??= dynamicImport("binaryen").then((m) => m.default);
  return loading;
}

/** What the loader reads service modules with and writes them back in: the features that
 *  Node 20 and wasmtime both run by default and that AssemblyScript emits. Left out on
 *  purpose: exception handling (a catch_all could swallow persia.fuel_exhausted), threads
 *  and atomics (services are single-threaded), GC, memory64, multi-memory, and newer
 *  proposals whose encodings Node 20 does not read. */
export function serviceFeatures(b: Binaryen): number {
  const f = b.Features;
  return f.MutableGlobals | f.NontrappingFPToInt | f.SignExt | f.BulkMemory | f.BulkMemoryOpt |
    f.Multivalue | f.ReferenceTypes | f.SIMD128 | f.TailCall;
}

/** How a pass refuses a module: a LoaderError naming the service, why and what to do. */
export type Refuse = (why: string, fix: string) => never;

/** Reads a service module with binaryen, lets `rewrite` change it, checks that the result
 *  still validates, and hands the new bytes to what `rewrite` returned. `what` names the
 *  result in the refusal ("metered", "contained"). */
export function rewriteService<T>(b: Binaryen, bytes: Uint8Array, name: string, what: string,
  rewrite: (m: BinaryenModule, refuse: Refuse) => (out: Uint8Array) => T): T {
  const refuse: Refuse = (why, fix) => { throw new LoaderError(`service ${name}`, why, fix); };
  let m: BinaryenModule;
  try {
    m = extras(b).readBinary(bytes, serviceFeatures(b));
  } catch (e) {
    return refuse(`binaryen cannot read the module: ${(e as Error).message}`, "Rebuild it against services/sdk.");
  }
  try {
    const finish = rewrite(m, refuse);
    if (!m.validate()) {
      refuse(`the ${what} module does not validate; it uses a WebAssembly feature the loader does not support ` +
        "(binaryen printed the details)", "Build it with AssemblyScript's default features.");
    }
    return finish(m.emitBinary());
  } finally {
    m.dispose();
  }
}
