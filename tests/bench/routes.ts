// `npm run bench`, routes and neighbors (issue #17): forwarding through a router whose
// table holds 10 static routes or ROUTE_STATIC_MAX (100,000), and towards 10 neighbors or
// 10,000, in-process under the Node host, each figure beside a baseline of the same run
// (frames the kernel drops at its first check). The routes come from the manifest, random
// prefixes of /24 to /64 (seeded), and the frames go to destinations spread over them, so
// that a lookup walks a different path each time; the neighbors are taught by solicitations
// and each frame goes to the next of them. The clock stands still, so no neighbor entry
// ages. Each case runs ROUNDS times on its own node; the range is printed; then the paired
// bursts, one k_rx a frame and k_rx_batch of BATCH (how the TAP hands frames over, and where
// the kernel looks a batch's routes up ahead: spec/performance.md). Prints figures;
// asserts nothing but that every frame was forwarded. Then the LPM micro-benchmark
// (tests/bench/lpm.ts: lookups and updates in route.ts and lpm.ts compiled alone).
// PERSIA_ROUTES_KERNELS=a.wasm,b.wasm measures each kernel in every round, interleaved (a
// kernel before a change and after, in the same run); default: build/wasm/kernel.wasm.
import * as fs from "fs";
import * as path from "path";
import { parseManifest, compileManifest } from "../../loader/manifest";
import { parseAddr, parseMac, formatAddr, linkLocalFromMac } from "../../loader/ip6";
import { PersiaNode } from "../../hosts/node/node";
import { ROOT } from "../../hosts/node/paths";
import { ROUTE_STATIC_MAX } from "../../abi/limits";
import * as P from "../../cli/peer/packets";
import { CountingNic } from "./counting_nic";
import { lpmBench } from "./lpm";
import { FLAT, goal } from "./goals";

const NODE0 = parseMac("02:00:00:00:00:01");
const NODE1 = parseMac("02:00:00:00:00:02");
const PEER0 = parseMac("02:00:00:00:01:00");
const SRC = parseAddr("fd00:1::100");
const GW = parseAddr("fd00:2::100");
const BATCH = 32;
const ROUNDS = 3;
const FRAMES = 200_000;
const BURSTS = 15;                                    // the paired measurement: bursts of BURST frames
const BURST = 20_000;
const k_ = (x: number) => `${(x / 1000).toFixed(0)}k`;

/** xorshift32, seeded: the same table and destinations on every run. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

/** n distinct random prefixes in 2000::/4, /24 to /64, with an address inside each. */
export function prefixes(n: number): { text: string; inside: Uint8Array }[] {
  const r = rng(0x5eed);
  const seen = new Set<string>();
  const out: { text: string; inside: Uint8Array }[] = [];
  while (out.length < n) {
    const len = 24 + (r() % 41);
    const a = new Uint8Array(16);
    for (let i = 0; i < 16; i++) a[i] = r() & 0xff;
    a[0] = 0x20 | (a[0] & 0x0f);
    const inside = a.slice();
    for (let bit = len; bit < 128; bit++) a[bit >> 3] &= ~(0x80 >> (bit & 7));
    const text = `${formatAddr(a)}/${len}`;
    if (seen.has(text)) continue;
    seen.add(text);
    out.push({ text, inside });
  }
  return out;
}

/** The bench router's manifest with these static routes, written as a table (`routes: |`,
 *  loader/manifest/routes.ts), or as a list of mappings with `asList`. */
function manifest(routes: string[], asList = false): string {
  const via = formatAddr(GW);
  return [
    "node: { name: routes.sabz.city, role: router }",
    "nics:",
    `  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:1::/64"], ra: false }`,
    `  - { name: lan1, kind: virtual, mac: "02:00:00:00:00:02", prefixes: ["fd00:2::/64"], ra: false }`,
    ...(routes.length === 0 ? [] : asList ? ["routes:", ...routes.map((t) => `  - { to: "${t}", via: "${via}", nic: lan1 }`)]
      : ["routes: |", ...routes.map((t) => `  ${t} via ${via} nic lan1`)]),
    "services: []",
  ].join("\n");
}

type Compiled = ReturnType<typeof compileManifest>;

/** A router booted from its compiled manifest with a still clock; neighbors (address, MAC)
 *  taught on lan1. bootMs: from reading kernel.wasm to the node started. */
async function boot({ boot, plan }: Compiled, neighbors: [Uint8Array, Uint8Array][], kernel: string): Promise<{ node: PersiaNode; nics: CountingNic[]; bootMs: number }> {
  const t0 = process.hrtime.bigint();
  const nics = plan.nics.map((n) => new CountingNic(n.id));
  const node = new PersiaNode({
    kernelBytes: fs.readFileSync(kernel), boot,
    services: new Map(), nics, clock: () => 1n, autoPoll: false, log: () => {},
  });
  await node.start();
  const bootMs = Number(process.hrtime.bigint() - t0) / 1e6;
  node.poll();
  for (const [a, mac] of neighbors) {
    node.kernel.rx(1, P.ether(NODE1, mac, P.ETH_IPV6, P.neighborSolicit(a, linkLocalFromMac(NODE1), mac)), 1n);
    node.kernel.poll(1n);
  }
  return { node, nics, bootMs };
}

/** Frames per second through the kernel, the frames taken in turn; throws unless `out`
 *  counted every one forwarded (when out is given). batched: BATCH frames a k_rx_batch, as
 *  the TAP hands them over; otherwise one k_rx a frame. */
function rate(node: PersiaNode, frames: Uint8Array[], n: number, out?: CountingNic, batched = false): number {
  const k = node.kernel;
  const give = batched ? (f: Uint8Array) => k.rxQueue(0, f, 1n) : (f: Uint8Array) => k.rx(0, f, 1n);
  for (let i = 0; i < 2000; i++) { give(frames[i % frames.length]); if (i % BATCH === 0) k.poll(1n); }
  k.poll(1n);
  const sent = out?.sent ?? 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    give(frames[i % frames.length]);
    if (i % BATCH === BATCH - 1) k.poll(1n);
  }
  k.poll(1n);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (out && out.sent - sent !== n) throw new Error(`${out.sent - sent} of ${n} frames forwarded`);
  return n / s;
}

const udp = (dst: Uint8Array) => P.ether(NODE0, PEER0, P.ETH_IPV6, P.udp(SRC, dst, 40000, 9, new Uint8Array(64)));
const IPV4 = P.ether(NODE0, PEER0, 0x0800, new Uint8Array(60).fill(0x45, 0, 1));

interface Figure { name: string; rate: number; base: number; bootMs: number }

/** One case on a fresh node: its forwarding rate and the baseline's, measured in turn. */
async function measure(name: string, yaml: Compiled, neighbors: [Uint8Array, Uint8Array][], frames: Uint8Array[], kernel: string): Promise<Figure> {
  const { node, nics, bootMs } = await boot(yaml, neighbors, kernel);
  try {
    // The baseline before and after the case, the better of the two: a JIT or a neighbor's
    // load moves a single figure more than the tables do.
    const before = rate(node, [IPV4], FRAMES);
    const r = rate(node, frames, FRAMES, nics[1]);
    return { name, rate: r, base: Math.max(before, rate(node, [IPV4], FRAMES)), bootMs };
  } finally { node.stop(); }
}

function neighborsOf(k: number): [Uint8Array, Uint8Array][] {
  return Array.from({ length: k }, (_, i) => [parseAddr(`fd00:2::1:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}`),
    Uint8Array.from([2, 0, 1, 0, i >> 8, i & 0xff])] as [Uint8Array, Uint8Array]);
}

export async function routesBench(log: (l: string) => void): Promise<void> {
  const big = prefixes(ROUTE_STATIC_MAX);
  const gw: [Uint8Array, Uint8Array][] = [[GW, parseMac("02:00:00:00:02:00")]];
  const r = rng(0xd57);
  const spread = (n: number) => Array.from({ length: 4096 }, () => udp(big[r() % n].inside));
  const compile = (yaml: string): Compiled => {
    const t0 = process.hrtime.bigint();
    const c = compileManifest(parseManifest(yaml, "routes.yaml", ROOT));
    parseMs.set(c.boot.length, Number(process.hrtime.bigint() - t0) / 1e6);
    return c;
  };
  const parseMs = new Map<number, number>();
  const cases: { name: string; yaml: Compiled; neighbors: [Uint8Array, Uint8Array][]; frames: Uint8Array[] }[] = [];
  for (const n of [10, 1000, ROUTE_STATIC_MAX]) {
    cases.push({ name: `${n} routes`, yaml: compile(manifest(big.slice(0, n).map((p) => p.text))), neighbors: gw, frames: spread(n) });
  }
  // As many distinct frames in every case (the host touches as much memory), to 10 or
  // 10,000 neighbors.
  const none = compile(manifest([]));
  for (const k of [10, 1000, 10000]) {
    const ns = neighborsOf(k);
    cases.push({ name: `${k} neighbors`, yaml: none, neighbors: ns, frames: Array.from({ length: 10000 }, (_, i) => udp(ns[i % k][0])) });
  }
  const kernels = (process.env.PERSIA_ROUTES_KERNELS ?? path.join(ROOT, "build/wasm/kernel.wasm")).split(",");
  const label = (name: string, k: string) => kernels.length > 1 ? `${name} [${path.basename(k)}]` : name;
  const runs = new Map<string, Figure[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) {
      for (const kernel of kernels) {
        const f = await measure(c.name, c.yaml, c.neighbors, c.frames, kernel);
        runs.set(label(c.name, kernel), [...(runs.get(label(c.name, kernel)) ?? []), f]);
      }
    }
  }
  const k = k_;
  const range = (xs: number[], fmt: (x: number) => string) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
  log(`Routes and neighbors: forwarding, NIC 0 → NIC 1, ${FRAMES} frames × ${ROUNDS} rounds, each on a fresh node (range over rounds)`);
  for (const [name, fs_] of runs) {
    log(`  ${name.padEnd(kernels.length > 1 ? 40 : 16)} ${range(fs_.map((f) => f.rate), k).padStart(11)} packets/s   ` +
      `${range(fs_.map((f) => f.rate / f.base), (x) => x.toFixed(2))} of baseline   boot ${range(fs_.map((f) => f.bootMs), (x) => x.toFixed(0))} ms`);
  }
  for (const c of cases.slice(0, 3)) {
    log(`  ${c.name}: the manifest (routes as a table) parsed and compiled in ${parseMs.get(c.yaml.boot.length)!.toFixed(0)} ms (once), a ${(c.yaml.boot.length / 1e6).toFixed(2)} MB boot manifest`);
  }
  // The same 100,000 routes as a list of mappings, the other way to write them: the YAML
  // parser's cost a route (spec/performance.md "A large route table in the manifest").
  const t0 = process.hrtime.bigint();
  const asList = compileManifest(parseManifest(manifest(big.map((p) => p.text), true), "routes.yaml", ROOT));
  const listMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (Buffer.compare(asList.boot, cases[2].yaml.boot) !== 0) throw new Error("routes: the list and the table compiled to different boot manifests");
  log(`  ${ROUTE_STATIC_MAX} routes as a list of mappings: parsed and compiled in ${listMs.toFixed(0)} ms, ` +
    `${(listMs / parseMs.get(cases[2].yaml.boot.length)!).toFixed(1)}× the table's (the same boot manifest, byte for byte)`);
  const ratio = (a: string, b: string) => {
    const ra = runs.get(a)!, rb = runs.get(b)!;
    const xs = ra.map((f, i) => (f.rate / f.base) / (rb[i].rate / rb[i].base));
    const ns = ra.map((f, i) => (1e9 / f.rate - 1e9 / rb[i].rate));
    log(`  ${a} / ${b}: ${range(xs, (x) => x.toFixed(2))} (each against its own baseline); ${range(ns, (x) => x.toFixed(0))} ns more per packet`);
    return xs;
  };
  for (const k of kernels) {
    ratio(label(`${ROUTE_STATIC_MAX} routes`, k), label("10 routes", k));
    const xs = ratio(label("10000 neighbors", k), label("10 neighbors", k));
    if (kernels.length === 1) {
      const mid = [...xs].sort((x, y) => x - y)[xs.length >> 1];
      goal("neighbors", `10,000 against 10, each against its own baseline: ${mid.toFixed(2)} (the median of ${xs.length} rounds)`, mid >= FLAT);
    }
  }
  // Paired: a node of 10 routes and one of 100,000 side by side, short bursts in turn, the
  // best burst of each: on a loaded machine the best of many short runs moves far less
  // than the mean of a few long ones.
  log(`  paired, best of ${BURSTS} alternating bursts of ${BURST} frames:`);
  for (const k of kernels) {
    const [small, large] = [cases[0], cases[2]];
    const a = await boot(small.yaml, small.neighbors, k), b = await boot(large.yaml, large.neighbors, k);
    try {
      for (const batched of [false, true]) {
        let ra = 0, rb = 0;
        for (let i = 0; i < BURSTS; i++) {
          ra = Math.max(ra, rate(a.node, small.frames, BURST, a.nics[1], batched));
          rb = Math.max(rb, rate(b.node, large.frames, BURST, b.nics[1], batched));
        }
        log(`    ${label("", k).trim() || "kernel"}, ${batched ? `k_rx_batch of ${BATCH}` : "one k_rx a frame"}: ` +
          `10 routes ${k_(ra)}, ${ROUTE_STATIC_MAX} routes ${k_(rb)} packets/s; ` +
          `ratio ${(rb / ra).toFixed(2)}, ${(1e9 / rb - 1e9 / ra).toFixed(0)} ns more per packet`);
        if (batched && kernels.length === 1) {
          goal("routes", `${ROUTE_STATIC_MAX} against 10 routes, paired bursts, k_rx_batch of ${BATCH}: ${(rb / ra).toFixed(2)}`, rb / ra >= FLAT);
        }
      }
    } finally { a.node.stop(); b.node.stop(); }
  }
  lpmBench([ROOT], log);
}
