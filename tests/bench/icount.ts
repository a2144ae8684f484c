// Instructions per packet of the in-process cases inside the wasmtime image, counted by
// valgrind's callgrind, which the machine's load cannot move (wall-clock figures on a shared
// machine moved 5-fold between seconds): the total for N2 packets minus that for N1, over
// N2 - N1, so that the image's start-up and compilation cancel out. A first short run
// fills wasmtime's compile cache, which every measured run then hits alike. Slow (callgrind
// runs ~50x slower), so not part of `npm run bench`; spec/performance.md quotes it.
//   node build/ts/tests/bench/icount.js [batch]
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { findWasmtime, imageOf } from "../e2e/wasmtime";
import { asImageManifest } from "./wasmtime";
import { MANIFEST, FRAMES, SETUP } from "./node_boot";   // the node and frames of bench.ts

const N1 = 20_000, N2 = 220_000;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
async function main(): Promise<void> {
  const batch = process.argv[2] === "batch";
  const wt = findWasmtime();
  if (!("file" in wt)) throw new Error(wt.missing);
  const wasmtime = wt.file;
  const file = path.join(os.tmpdir(), `persia-icount-${process.pid}.wasm`);
  const { flags } = await imageOf(asImageManifest(MANIFEST), file);
  const instructions = (frame: Uint8Array, count: number): number => {
    const out = path.join(os.tmpdir(), `persia-icount-${process.pid}.cg`);
    const args = ["--tool=callgrind", `--callgrind-out-file=${out}`, wasmtime, ...flags, file,
      ...SETUP.flatMap(([n, f]) => ["--bench-setup", `${n}:${hex(f)}`]), "--bench", `0:${hex(frame)}`,
      "--bench-count", String(count), ...(batch ? ["--bench-batch", "1"] : []), "--quiet"];
    const r = spawnSync("valgrind", args, { encoding: "utf8", maxBuffer: 1 << 26 });
    const m = /Collected : (\d+)/.exec(r.stderr);
    fs.rmSync(out, { force: true });
    if (r.status !== 0 || m === null) throw new Error(`valgrind failed (exit ${r.status}): ${r.stderr.slice(-1000)}`);
    return Number(m[1]);
  };
  instructions(FRAMES.baseline, 1000);
  for (const [name, frame] of Object.entries(FRAMES)) {
    const per = (instructions(frame, N2) - instructions(frame, N1)) / (N2 - N1);
    console.log(`${batch ? "k_rx_batch" : "k_rx"} ${name.padEnd(9)} ${per.toFixed(0).padStart(6)} instructions per packet`);
  }
  fs.rmSync(file, { force: true });
}

main().catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
