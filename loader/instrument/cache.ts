// The metering cache (issue #17, spec/performance.md "Start-up and the metering cache"):
// metering a module (fuel.ts) costs ~0.3 s of binaryen work, and compiling what it gives
// costs more; a node with 1,000 services of one module paid both per service. Here the
// metered bytes and the compiled WebAssembly.Module are kept in this process, keyed by
// SHA-256 of (METER_VERSION, binaryen's version, the module's bytes): the same input
// through the same pass gives the same output, so one metering serves every service, node
// and reload in the process that runs that module.
// Deliberately in memory only: nothing is read back from disk, so no file another user
// (or a compromised service's host account) could write can make an unmetered module run.
// A restart meters each distinct module once again (~0.3 s each); spec/performance.md says
// why that is the trade taken. A module the pass refuses is not kept (its error names the
// service that asked).
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Binaryen, loadBinaryen } from "./binaryen";
import { meterWith, Metered } from "./fuel";

/** Bump when fuel.ts (or walk.ts, reach.ts, binaryen.ts's writing) gives other bytes for the
 *  same input: a cached result of the old pass is then never used. */
export const METER_VERSION = 1;
/** Distinct modules kept; the least recently used makes room. */
export const METER_CACHE_MAX = 256;

let binaryenVersion: string | null = null;
function toolVersion(): string {
  if (binaryenVersion === null) {
    try {
      const pkg = path.join(path.dirname(require.resolve("binaryen")), "package.json");
      binaryenVersion = String((JSON.parse(fs.readFileSync(pkg, "utf8")) as { version?: unknown }).version ?? "?");
    } catch {
      binaryenVersion = "?";
    }
  }
  return binaryenVersion;
}

/** The cache key of a module: SHA-256 of the metering version, binaryen's, and its bytes. */
export function meterKey(bytes: Uint8Array): string {
  return createHash("sha256").update(`persia-meter ${METER_VERSION} binaryen ${toolVersion()}\0`).update(bytes).digest("hex");
}

interface Entry { metered: Metered; module: Promise<WebAssembly.Module> | null }
const entries = new Map<string, Entry>();

/** Counters for the bench and the tests: meterings done, and answers from the cache. */
export const meterCacheStats = { metered: 0, hits: 0, compiled: 0 };

function remember(key: string, e: Entry): Entry {
  entries.delete(key);
  entries.set(key, e);
  while (entries.size > METER_CACHE_MAX) entries.delete(entries.keys().next().value as string);
  return e;
}

function lookup(key: string): Entry | undefined {
  const e = entries.get(key);
  if (e !== undefined) { meterCacheStats.hits++; remember(key, e); }
  return e;
}

/** meterWith, once per distinct module in this process (binaryen loaded already). */
export function meterCachedWith(b: Binaryen, bytes: Uint8Array, name: string): Metered {
  const key = meterKey(bytes);
  const known = lookup(key);
  if (known !== undefined) return known.metered;
  const metered = meterWith(b, bytes, name);   // throws for a module the pass refuses: not kept
  meterCacheStats.metered++;
  return remember(key, { metered, module: null }).metered;
}

/** meterFuel, once per distinct module in this process. */
export async function meterCached(bytes: Uint8Array, name: string): Promise<Metered> {
  const key = meterKey(bytes);
  const known = lookup(key);
  if (known !== undefined) return known.metered;
  return meterCachedWith(await loadBinaryen(), bytes, name);
}

/** The metered module compiled, once per distinct module in this process. */
export async function compileMetered(bytes: Uint8Array, name: string): Promise<WebAssembly.Module> {
  const metered = await meterCached(bytes, name);
  const e = entries.get(meterKey(bytes));
  if (e === undefined) return WebAssembly.compile(metered.bytes as BufferSource);   // evicted meanwhile
  if (e.module === null) {
    meterCacheStats.compiled++;
    e.module = WebAssembly.compile(metered.bytes as BufferSource);
    e.module.catch(() => { if (entries.get(meterKey(bytes)) === e) e.module = null; });
  }
  return e.module;
}

/** compileMetered, synchronously (a module PUT at run time: mod_commit is a host import). */
export function compileMeteredWith(b: Binaryen, bytes: Uint8Array, name: string): WebAssembly.Module {
  const metered = meterCachedWith(b, bytes, name);
  meterCacheStats.compiled++;
  return new WebAssembly.Module(metered.bytes as BufferSource);
}

/** Forget everything (tests). */
export function meterCacheClear(): void {
  entries.clear();
  meterCacheStats.metered = 0; meterCacheStats.hits = 0; meterCacheStats.compiled = 0;
}
