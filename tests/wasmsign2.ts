// Where the tests find wasmsign2 (crates.io wasmsign2-cli 0.2.8, which tests/setup.js
// installs with cargo), and how they run it. Under CI=true a missing wasmsign2 fails the
// test that needs it; elsewhere that test is skipped and says why.
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";

const CANDIDATES = [path.join(process.env.HOME ?? "/root", ".cargo/bin/wasmsign2"), "/usr/local/bin/wasmsign2"];

/** The wasmsign2 binary, or null. */
export function wasmsign2Path(): string | null {
  const found = CANDIDATES.find((f) => fs.existsSync(f));
  if (found) return found;
  return spawnSync("sh", ["-c", "command -v wasmsign2"], { encoding: "utf8" }).stdout.trim() || null;
}

/** A skip reason for node:test (false: it is there), or a thrown error under CI=true. */
export function wasmsign2Skip(): string | false {
  if (wasmsign2Path() !== null) return false;
  const why = "wasmsign2 is not installed (cargo install wasmsign2-cli --version 0.2.8; tests/setup.js does it)";
  if (process.env.CI === "true") throw new Error(why);
  return why;
}

/** Run wasmsign2 with args; its exit status and output. */
export function wasmsign2(...args: string[]): { status: number; out: string } {
  const r = spawnSync(wasmsign2Path()!, args, { encoding: "utf8" });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}
