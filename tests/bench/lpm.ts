// The LPM micro-benchmark (issue #17, "Routes and neighbours" in spec/performance.md):
// kernel/net/lpm.ts and route.ts compiled by themselves (tests/kernel/net/lpm_bench.ts), a
// table of 10 or ROUTE_STATIC_MAX routes of tests/bench/routes.ts's mix (random /24../64 in
// 2000::/4), 4,096 destinations inside them, lookups from the direct table and from the
// trie's root, interleaved, ROUNDS rounds (and the direct table's followed by the reads of the
// entry that forwarding makes next: kind, NIC, gateway); then one update's cost with the table full: a /1,
// a /16 and a /48 added and removed, in the trie alone and through route.ts.
//   node build/ts/tests/bench/lpm.js [ROOT ...]
// compiles the module from each source tree given (default: this one), so that a kernel
// before a change and after are measured in the same run. Prints figures; asserts nothing
// but that every tree's lookups agree.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { ROOT } from "../../hosts/node/paths";
import { ROUTE_STATIC_MAX } from "../../abi/limits";
import { parseAddr } from "../../loader/ip6";
import { prefixes, rng } from "./routes";

const ROUNDS = 5;
const DSTS = 4096;
const PASSES = 50;

interface Mod {
  memory: WebAssembly.Memory;
  alloc(n: number): number; count(): number; add(p: number, len: number): number; del(i: number): void;
  trieIn(p: number, len: number): void; trieOut(): void;
  lookups(a: number, n: number, rounds: number): number; lookupsRead(a: number, n: number, rounds: number): number; rootLookups(a: number, n: number, rounds: number): number;
}

function compile(root: string): WebAssembly.Module {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lpm-bench-")), "lpm.wasm");
  const asc = path.join(path.dirname(require.resolve("assemblyscript/package.json", { paths: [ROOT] })), "bin/asc.js");
  execFileSync(process.execPath, [asc, "tests/kernel/net/lpm_bench.ts", "--config", "asconfig.json", "--outFile", out], { cwd: root, stdio: "inherit" });
  return new WebAssembly.Module(fs.readFileSync(out));
}

function instance(m: WebAssembly.Module): Mod {
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const i of WebAssembly.Module.imports(m)) {
    (imports[i.module] ??= {})[i.name] = () => { throw new Error(`${i.module}.${i.name} called`); };
  }
  return new WebAssembly.Instance(m, imports).exports as unknown as Mod;
}

const ns = () => Number(process.hrtime.bigint());

export function lpmBench(roots: string[], log: (l: string) => void): void {
  const big = prefixes(ROUTE_STATIC_MAX);
  const pick = rng(0xd57);
  const cases = [10, ROUTE_STATIC_MAX].map((n) => ({ n, dsts: Array.from({ length: DSTS }, () => big[pick() % n].inside) }));
  const runs: { root: string; n: number; mod: Mod; dst: number; direct: number[]; read: number[]; walk: number[] }[] = [];
  for (const root of roots) {
    const m = compile(root);
    for (const c of cases) {
      const mod = instance(m);
      const p = mod.alloc(16);
      const mem = () => new Uint8Array(mod.memory.buffer);
      for (const x of big.slice(0, c.n)) {
        const [a, len] = x.text.split("/");
        mem().set(parseAddr(a), p);
        mod.add(p, Number(len));
      }
      const dst = mod.alloc(DSTS * 16);
      c.dsts.forEach((d, i) => mem().set(d, dst + i * 16));
      runs.push({ root, n: c.n, mod, dst, direct: [], read: [], walk: [] });
    }
  }
  const sums = new Map<number, number>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const r of runs) {
      r.mod.lookups(r.dst, DSTS, 2);                     // warm (and, lazily, fill the slots)
      let t = ns();
      const s = r.mod.lookups(r.dst, DSTS, PASSES);
      r.direct.push((ns() - t) / (DSTS * PASSES));
      t = ns();
      r.mod.lookupsRead(r.dst, DSTS, PASSES);
      r.read.push((ns() - t) / (DSTS * PASSES));
      t = ns();
      const s2 = r.mod.rootLookups(r.dst, DSTS, PASSES);
      r.walk.push((ns() - t) / (DSTS * PASSES));
      if (s !== s2 || (sums.has(r.n) && sums.get(r.n) !== s)) throw new Error(`lookups disagree (${r.root}, ${r.n} routes)`);
      sums.set(r.n, s);
    }
  }
  const range = (xs: number[], d = 0) => `${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)}`;
  log(`LPM lookup alone: ${DSTS} destinations × ${PASSES} passes × ${ROUNDS} rounds (ns per lookup, range over rounds)`);
  for (const root of roots) {
    const [a, b] = runs.filter((r) => r.root === root);
    log(`  ${root}`);
    log(`    direct table: ${range(a.direct, 1)} ns at ${a.n} routes, ${range(b.direct, 1)} ns at ${b.n}; ` +
      `ratio ${range(a.direct.map((x, i) => x / b.direct[i]), 2)} (10 routes' time / 100,000's, per round)`);
    log(`    direct table, then the entry's kind, NIC and gateway (what forwarding reads next): ${range(a.read, 1)} ns at ${a.n} routes, ${range(b.read, 1)} ns at ${b.n}`);
    log(`    from the root: ${range(a.walk, 1)} ns at ${a.n} routes, ${range(b.walk, 1)} ns at ${b.n}`);
  }
  // One update with the table full: 20 adds and removes of each, timed one by one.
  log(`One update with ${ROUTE_STATIC_MAX} routes present (µs, median of 20 / max):`);
  for (const root of roots) {
    const r = runs.filter((x) => x.root === root)[1];
    const p = r.mod.alloc(16);
    const parts: string[] = [];
    for (const [a, len] of [["a000::", 1], ["2345::", 16], ["2345:6789:abcd::", 48]] as [string, number][]) {
      new Uint8Array(r.mod.memory.buffer).set(parseAddr(a), p);
      const t = { trieIn: [] as number[], trieOut: [] as number[], add: [] as number[], del: [] as number[] };
      for (let k = 0; k < 20; k++) {
        let t0 = ns(); r.mod.trieIn(p, len); t.trieIn.push((ns() - t0) / 1e3);
        t0 = ns(); r.mod.trieOut(); t.trieOut.push((ns() - t0) / 1e3);
        t0 = ns(); const i = r.mod.add(p, len); t.add.push((ns() - t0) / 1e3);
        t0 = ns(); r.mod.del(i); t.del.push((ns() - t0) / 1e3);
        // A lookup pass between updates: the slots an update made stale are refilled here.
        r.mod.lookups(r.dst, DSTS, 1);
      }
      const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1].toFixed(1);
      const mx = (xs: number[]) => Math.max(...xs).toFixed(1);
      parts.push(`/${len}: trie in ${med(t.trieIn)}/${mx(t.trieIn)}, out ${med(t.trieOut)}/${mx(t.trieOut)}; ` +
        `routeAdd ${med(t.add)}/${mx(t.add)}, routeDelete ${med(t.del)}/${mx(t.del)}`);
    }
    log(`  ${root}`);
    for (const s of parts) log(`    ${s}`);
  }
}

if (require.main === module) {
  const roots = process.argv.slice(2).map((r) => path.resolve(r));
  lpmBench(roots.length ? roots : [ROOT], console.log);
}
