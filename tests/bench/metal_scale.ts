// A thousand services on metal (issue #17, spec/performance.md "On metal"): one node of 10,
// 100 and 1,000 echo services of one module under QEMU (TCG), each size booted ROUNDS
// times (tests/metal/scale.ts). Per size: the boot time on the node's clock (from the
// platform's clock start to the kernel's first poll, which starts every service), the
// heap the host holds then and the kernel's memory; the host's heap per service past the
// first 10 (each service's one-page memory included); and the echo rate through the first
// and the last service, as a ratio to the same through the 10-service node in the same run
// (flat is 1.0). Figures and ratios only; the range over the rounds is printed.
import { metalMissing } from "../metal/qemu";
import { runScale, ScaleRun } from "../metal/scale";
import { FLAT, goal } from "./goals";

const SIZES = [10, 100, 1000];
const ROUNDS = 3;
const COUNT = 2000;

const range = (xs: number[], f: (x: number) => string) => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function metalScaleBench(log: (line: string) => void): Promise<void> {
  const missing = metalMissing();
  if (missing !== null) {
    log(`metal scale: not measured: ${missing}`);
    return;
  }
  const runs = new Map<number, ScaleRun[]>(SIZES.map((n) => [n, []]));
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const n of SIZES) runs.get(n)!.push(await runScale(n, [0, n - 1], COUNT, 600));
    }
  } catch (e) {
    log(`metal scale: failed: ${(e as Error).message.slice(0, 2000)}`);
    return;
  }
  const base = runs.get(SIZES[0])!;
  const baseRate = median(base.flatMap((x) => x.probes.map((p) => p.rate)));
  const baseHeap = median(base.map((x) => x.heapBytes));
  log(`Services on one metal node under QEMU TCG (echo services of one module, ${ROUNDS} boots each; ranges over the boots)`);
  for (const n of SIZES) {
    const rs = runs.get(n)!;
    const perSvc = n === SIZES[0] ? "" : `, heap per service past ${SIZES[0]}: ${range(rs.map((x) => (x.heapBytes - baseHeap) / (n - SIZES[0])), (b) => `${(b / 1024).toFixed(1)}`)} KiB`;
    const answered = rs.every((x) => x.running === n && x.probes.every((p) => p.sent >= COUNT));
    log(`  ${String(n).padStart(5)} services: boot ${range(rs.map((x) => x.bootMs), (v) => `${v}`)} ms (QEMU ${range(rs.map((x) => x.wallMs), (v) => `${v}`)} ms), ` +
      `heap ${range(rs.map((x) => x.heapBytes), (b) => (b / 2 ** 20).toFixed(1))} MiB${perSvc}, kernel memory ${range(rs.map((x) => x.kernelPages), (v) => `${v}`)} pages, -m ${rs[0].ramMiB} MiB`);
    log(`         echo first ${range(rs.map((x) => x.probes[0].rate), (v) => `${(v / 1000).toFixed(1)}`)} k/s, last ${range(rs.map((x) => x.probes[1].rate), (v) => `${(v / 1000).toFixed(1)}`)} k/s, ` +
      `${range(rs.flatMap((x) => x.probes.map((p) => p.rate / baseRate)), (v) => v.toFixed(2))} of ${SIZES[0]} services'; ${answered ? "every probe answered" : "SOME PROBE NOT ANSWERED"}`);
    if (n === SIZES[SIZES.length - 1]) {
      const mid = median(rs.flatMap((x) => x.probes.map((p) => p.rate / baseRate)));
      goal("scale-metal", `echo at ${n} services ${mid.toFixed(2)} of ${SIZES[0]} services' (the median of ${ROUNDS} boots' probes)${answered ? "" : "; SOME PROBE NOT ANSWERED"}`,
        mid >= FLAT && answered);
    }
  }
}
