// The in-process figures of bench.ts, measured inside a wasmtime image in the same run: the
// shim's bench mode (hosts/wasi, `--bench`) feeds one frame to k_rx over and over, polls
// every BATCH frames and counts what the kernel sends instead of sending it, timing the
// loop with the monotonic clock. Same kernel, same frames, same manifest (its NICs
// become VXLAN links that never carry a packet), so the ratio to the Node host's figure
// is the cost of the host (and of containment, which only the image's services carry).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { findWasmtime, imageOf } from "../e2e/wasmtime";

export interface BenchFrames {
  setup: [nic: number, frame: Uint8Array][];
  cases: { name: string; nic: number; frame: Uint8Array; count: number }[];
}

const ROUNDS = 3;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** The manifest with every NIC turned into a VXLAN link on the loopback address. */
export function asImageManifest(yaml: string): string {
  let port = 45100 + (process.pid % 400) * 4;
  return yaml.replace(/kind: virtual/g, () => {
    const p = port;
    port += 2;
    return `kind: vxlan, vxlan: { local: "[::1]:${p}", remote: "[::1]:${p + 1}", vni: 1 }`;
  });
}

/** Packets per second and frames sent for each case, or why it could not run: each case
 *  two ways, one k_rx per frame (its name) and BATCH frames per k_rx_batch ("<name>/batch"),
 *  in turns, ROUNDS times, the best of each (the machine's load moves between runs). */
export async function imageRates(yaml: string, frames: BenchFrames): Promise<Map<string, { rate: number; sent: number }> | string> {
  const wt = findWasmtime();
  if (!("file" in wt)) return wt.missing;
  const file = path.join(os.tmpdir(), `persia-bench-${process.pid}.wasm`);
  const { flags } = await imageOf(asImageManifest(yaml), file);
  const out = new Map<string, { rate: number; sent: number }>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of frames.cases) for (const batch of [false, true]) {
      const args = [...frames.setup.flatMap(([nic, f]) => ["--bench-setup", `${nic}:${hex(f)}`]),
        "--bench", `${c.nic}:${hex(c.frame)}`, "--bench-count", String(c.count), ...(batch ? ["--bench-batch", "1"] : []), "--quiet"];
      const r = spawnSync(wt.file, [...flags, file, ...args], { encoding: "utf8", maxBuffer: 1 << 24 });
      const m = /^bench (\d+) (\d+) (\d+)$/m.exec(r.stdout);
      if (r.status !== 0 || m === null) return `the image's bench mode failed (exit ${r.status}): ${r.stderr.slice(-500)}`;
      const key = batch ? `${c.name}/batch` : c.name;
      const rate = Number(m[1]) / (Number(m[2]) / 1e9);
      if (rate > (out.get(key)?.rate ?? 0)) out.set(key, { rate, sent: Number(m[3]) });
    }
  }
  fs.rmSync(file, { force: true });
  return out;
}
