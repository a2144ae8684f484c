// What the limits of loader/wasm/limits.ts protect against, measured: for modules just
// within each limit, the time validateService takes to accept them and the time and peak
// memory of the fuel pass and the containment pass on them; with --past, modules past the
// limits as an attacker would write them, refused by validateService (its time), and what
// the two passes did with them before the limits existed (run directly, bypassing it).
// Each module runs in a child process of its own: binaryen's RangeError can leave its
// instance broken, and peak memory (maxRSS) is per process. Prints a table; asserts
// nothing (benchmarks are not tests). Run: node build/ts/tests/bench/limits.js [--past]
import { spawnSync } from "child_process";
import { validateService } from "../../loader/wasm/validate";
import { meterFuel } from "../../loader/instrument/fuel";
import { contain } from "../../loader/instrument/contain";
import { DEPTH_MAX, FUNCTIONS_MAX, LOCALS_MAX, MODULE_BYTES_MAX, MODULE_LOCALS_MAX } from "../../loader/wasm/limits";
import { EQZ, LOAD, calls, chain, dataSegments, declaring, dense, nested } from "../loader/code_fixture";

const MiB = 1 << 20;

const WITHIN: [string, () => Uint8Array][] = [
  ["1 MiB of code, one function", () => dense(MODULE_BYTES_MAX - 200, MODULE_BYTES_MAX - 300)],
  ["1 MiB of code, 64 KiB functions", () => dense(MODULE_BYTES_MAX - 200, 64 << 10)],
  [`${FUNCTIONS_MAX} empty functions`, () => dense(3 * FUNCTIONS_MAX, 2)],
  [`${MODULE_LOCALS_MAX} locals (${LOCALS_MAX} per function)`, () => declaring(Array.from({ length: MODULE_LOCALS_MAX / LOCALS_MAX }, () => [LOCALS_MAX]))],
  [`${DEPTH_MAX} deep: nested blocks`, () => nested(DEPTH_MAX - 1)],
  [`${DEPTH_MAX} deep: nested loads`, () => chain(LOAD, DEPTH_MAX - 2)],
  [`${DEPTH_MAX} deep: nested calls`, () => calls(DEPTH_MAX - 2)],
  ["100,000 data segments (the engine's limit)", () => dataSegments(100_000)],
];

const PAST: [string, () => Uint8Array][] = [
  ["45 MiB of code, 1 MiB functions", () => dense(45 * MiB, MiB)],
  ["350,000 empty functions", () => dense(3 * 350_000, 2)],
  ["1000 functions of 50,000 locals", () => declaring(Array.from({ length: 1000 }, () => [50_000]))],
  ["10,000 nested blocks", () => nested(10_000)],
  ["3000 nested i32.eqz", () => chain([EQZ], 3000)],
  ["1300 nested loads", () => chain(LOAD, 1300)],
  ["1300 nested calls", () => calls(1300)],
];

interface Step { ms: number; maxRssMiB: number; result: string }

/** In the child: build case `index` of `list`, run validateService (or, for a module past
 *  the limits, skip it as the loader did before them) and the passes; print one JSON line. */
async function child(list: [string, () => Uint8Array][], index: number, past: boolean): Promise<void> {
  const bytes = list[index][1]();
  const steps: Record<string, Step> = {};
  const time = async (name: string, f: () => unknown): Promise<boolean> => {
    const t0 = performance.now();
    let result = "ok";
    try { await f(); } catch (e) { result = (e as Error).message.slice(0, 70); }
    steps[name] = { ms: performance.now() - t0, maxRssMiB: process.resourceUsage().maxRSS / 1024, result };
    return result === "ok";
  };
  await time("validate", () => validateService(bytes, "limits.sabz.city", 16));
  let metered: Uint8Array | null = null;
  if (!past || steps.validate.result !== "ok") {
    const ok = await time("meter", async () => { metered = (await meterFuel(bytes, "limits.sabz.city")).bytes; });
    if (ok && metered) await time("contain", () => contain(metered!, "limits.sabz.city"));
  }
  console.log(JSON.stringify({ bytes: bytes.length, steps }));
}

function row(name: string, out: { bytes: number; steps: Record<string, Step> }): string {
  const cell = (s?: Step) => s === undefined ? "-" :
    `${(s.ms / 1000).toFixed(2)} s, ${s.maxRssMiB.toFixed(0)} MiB${s.result === "ok" ? "" : `: ${s.result}`}`;
  const v = out.steps.validate;
  return `| ${name} | ${out.bytes} | ${v.ms.toFixed(0)} ms${v.result === "ok" ? "" : ": refused"} | ${cell(out.steps.meter)} | ${cell(out.steps.contain)} |`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf("--case");
  if (at >= 0) return child(args.includes("--past") ? PAST : WITHIN, Number(args[at + 1]), args.includes("--past"));
  const lists: [string, [string, () => Uint8Array][], boolean][] = [["within the limits", WITHIN, false]];
  if (args.includes("--past")) lists.push(["past the limits (passes run without validateService, as before)", PAST, true]);
  console.log("| module | bytes | validateService | fuel pass (time, peak RSS) | containment pass |\n|---|---|---|---|---|");
  for (const [title, list, past] of lists) {
    console.log(`| *${title}* | | | | |`);
    for (let i = 0; i < list.length; i++) {
      const r = spawnSync(process.execPath, [__filename, "--case", String(i), ...(past ? ["--past"] : [])],
        { encoding: "utf8", maxBuffer: 1 << 26 });
      const line = r.stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop();
      console.log(line ? row(list[i][0], JSON.parse(line)) : `| ${list[i][0]} | crashed: ${r.stderr.trim().split("\n").pop()} |`);
    }
  }
}

main();
