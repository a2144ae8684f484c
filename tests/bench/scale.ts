// `npm run bench`, scale (issue #17): a node with 10, 100 and 1,000 echo services under the
// Node host, each service with its own address. For each size: the boot time (compile the
// manifest, meter and compile the modules, boot the kernel, start every service) with the
// metering cache cold and then warm; the kernel's memory and the process's RSS per service;
// and, against the baseline of frames the kernel drops at its first check measured on the
// same node, forwarding, echo to one service, and echo round-robin over all of them. The
// scheduler's cost with the services idle is the baseline's own figure at each size
// (every poll runs the scheduler). Prints figures and ratios; asserts nothing but that
// every echo was answered and every frame forwarded (a figure of lost packets is no rate).
import { parseAddr } from "../../loader/ip6";
import * as P from "../../cli/peer/packets";
import { bootNode, Booted, NODE_HEAD, ECHO_WASM, FRAMES, NODE0, PEER0, A0 } from "./node_boot";
import { meterCacheClear, meterCacheStats } from "../../loader/instrument/cache";
import { SVC_MAX } from "../../abi/limits";

const BATCH = 32;

/** The address of service i: fd00:1::1:<i>. */
export function scaleAddr(i: number): string { return `fd00:1::1:${i.toString(16)}`; }

/** A router with two NICs and n echo services, each with its own address. */
export function scaleManifest(n: number): string {
  const lines = [NODE_HEAD.trimEnd()];
  for (let i = 0; i < n; i++) {
    lines.push(`  - { domain: e${i}.scale.sabz.city, module: ${ECHO_WASM}, addresses: ["${scaleAddr(i)}"], ram: { min: 64KiB, max: 1MiB } }`);
  }
  return lines.join("\n") + "\n";
}

/** The bench node with n echo services; throws unless all n run after boot. */
async function boot(n: number): Promise<Booted> {
  const b = await bootNode(scaleManifest(n));
  const running = b.node.status().services.filter((s) => s.state === "RUNNING").length;
  if (running !== n) throw new Error(`scale: ${running} of ${n} services running after boot`);
  return b;
}

/** Packets per second for frames(i) received on NIC 0, BATCH per poll. */
function rate(b: Booted, frames: (i: number) => Uint8Array, count: number): number {
  for (let i = 0; i < 2000; i++) { b.node.kernel.rx(0, frames(i), 0n); if (i % BATCH === BATCH - 1) b.node.kernel.poll(b.now()); }
  b.node.kernel.poll(b.now());
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    b.node.kernel.rx(0, frames(i), 0n);
    if (i % BATCH === BATCH - 1) b.node.kernel.poll(b.now());
  }
  b.node.kernel.poll(b.now());
  return count / (Number(process.hrtime.bigint() - t0) / 1e9);
}

export interface ScaleFigures {
  n: number; bootColdMs: number; bootWarmMs: number; meterings: number; kernelBytes: number; rssPerSvc: number;
  base: number; forward: number; echoOne: number; echoAll: number;
}

/** One size: boot cold, boot warm, then the rates on the warm node. */
export async function scaleOnce(n: number, count = 100_000): Promise<ScaleFigures> {
  meterCacheClear();
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const cold = await boot(n);
  const meterings = meterCacheStats.metered;
  global.gc?.();
  const rssPerSvc = (process.memoryUsage().rss - rss0) / n;   // meaningful under node --expose-gc (else GC noise)
  cold.node.stop();
  const b = await boot(n);
  const kernelBytes = b.node.kernel.memory.buffer.byteLength;
  const { baseline: ipv4, forward: fwd } = FRAMES;
  const pings = Array.from({ length: n }, (_, i) =>
    P.ether(NODE0, PEER0, P.ETH_IPV6, P.echoRequest(A0, parseAddr(scaleAddr(i)), 1, 1, new Uint8Array(56))));
  const base = rate(b, () => ipv4, count);
  let sent = b.nics[1].sent;
  const forward = rate(b, () => fwd, count);
  if (b.nics[1].sent - sent !== count + 2000) throw new Error(`scale ${n}: ${b.nics[1].sent - sent} of ${count + 2000} frames forwarded`);
  sent = b.nics[0].sent;
  const echoOne = rate(b, () => pings[n - 1], count / 4);
  const echoAll = rate(b, (i) => pings[i % n], count / 4);
  const answered = b.nics[0].sent - sent;
  if (answered !== 2 * (count / 4 + 2000)) throw new Error(`scale ${n}: ${answered} of ${2 * (count / 4 + 2000)} echoes answered`);
  b.node.stop();
  return { n, bootColdMs: cold.ms, bootWarmMs: b.ms, meterings, kernelBytes, rssPerSvc, base, forward, echoOne, echoAll };
}

export async function scaleBench(log: (l: string) => void, sizes = [10, 100, 1000]): Promise<ScaleFigures[]> {
  const out: ScaleFigures[] = [];
  const k = (x: number) => `${(x / 1000).toFixed(0).padStart(5)} k/s`;
  log(`Scale: n echo services on one node under the Node host (SVC_MAX ${SVC_MAX}; rates ${BATCH} frames per poll; ratios to the baseline at that size)`);
  log(`      n  boot cold  boot warm  meterings  kernel memory (/SVC_MAX)  RSS/service   baseline  forward        echo to one    echo round-robin`);
  for (const n of sizes) {
    const f = await scaleOnce(n);
    out.push(f);
    log(`  ${String(n).padStart(5)}  ${f.bootColdMs.toFixed(0).padStart(6)} ms  ${f.bootWarmMs.toFixed(0).padStart(6)} ms  ${String(f.meterings).padStart(9)}` +
      `  ${(f.kernelBytes / 1048576).toFixed(1).padStart(6)} MiB (${(f.kernelBytes / SVC_MAX / 1024).toFixed(1)} KiB)` +
      `  ${(f.rssPerSvc / 1024).toFixed(0).padStart(7)} KiB  ${k(f.base)}  ${k(f.forward)} ${(f.forward / f.base).toFixed(2)}  ${k(f.echoOne)} ${(f.echoOne / f.base).toFixed(2)}` +
      `  ${k(f.echoAll)} ${(f.echoAll / f.base).toFixed(2)}`);
  }
  const first = out[0], last = out[out.length - 1];
  log(`  ${last.n} vs ${first.n} services: forward ${(last.forward / first.forward).toFixed(2)}, echo to one ${(last.echoOne / first.echoOne).toFixed(2)},` +
    ` echo round-robin ${(last.echoAll / first.echoAll).toFixed(2)}, idle scheduler (baseline) ${(last.base / first.base).toFixed(2)} (1.00 = flat)`);
  return out;
}

if (require.main === module) {
  const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
  scaleBench((l) => console.log(l), sizes.length ? sizes : undefined)
    .catch((e) => { console.error(e instanceof Error ? e.stack : e); process.exit(1); });
}
