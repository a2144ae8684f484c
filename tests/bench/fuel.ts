// What fuel metering costs (spec/instrumentation.md): code size of the built services
// before and after loader/instrument/fuel.ts (and after a plain binaryen round trip, to
// separate re-encoding from instrumentation), run time of CPU-bound loops with and without
// metering (best of 5 runs of 10^8 iterations each) and of echo answering one ping (fake
// syscalls), the wall time one FUEL_PER_CALL budget lasts (in pure loops, and in a loop of
// syscalls through the real kernel), and what ServiceHost adds to a call. Run: node build/ts/tests/bench/fuel.js
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../../hosts/node/paths";
import { launch } from "../../hosts/node/launch";
import { parseManifest } from "../../loader/manifest";
import { ServiceHost } from "../../hosts/node/services";
import { Entry, REC_HDR, REC_LEN, recSize } from "../../abi/kernel";
import { Errno } from "../../abi/errno";
import { extras, loadBinaryen, serviceFeatures } from "../../loader/instrument/binaryen";
import { meterWith } from "../../loader/instrument/fuel";
import { I32 } from "../loader/wasm_fixture";
import { OP, SPINS, buildService } from "../hosts/service_fixture";
import { FUEL_PER_CALL as FUEL_CALL } from "../../abi/limits";

const FUEL_PER_CALL = BigInt(FUEL_CALL);
const N = 100_000_000;
const RUNS = 5;

/** run(n): i = i + 1 until n — 7 instructions per iteration, the worst case for metering. */
const COUNT = buildService({
  types: [[[I32], [I32]]], funcImports: [], memory: { min: 1 },
  funcs: [{ type: 0, locals: [[1, I32]], body: [
    OP.loop, OP.void,
    OP.local_get, 1, OP.i32_const, 1, OP.i32_add, OP.local_tee, 1, OP.local_get, 0, OP.i32_ne, OP.br_if, 0,
    OP.end, OP.local_get, 1,
  ] }],
  exports: [["run", 0]],
});

/** run(n): sums the words of the first 64 KiB, n words in all — 14 instructions per iteration. */
const SUM = buildService({
  types: [[[I32], [I32]]], funcImports: [], memory: { min: 1 },
  funcs: [{ type: 0, locals: [[2, I32]], body: [
    OP.loop, OP.void,
    OP.local_get, 2, OP.local_get, 1, OP.i32_const, 0xfc, 0xff, 0x03, 0x71 /* i32.and */,
    0x28 /* i32.load */, 2, 0, OP.i32_add, 0x21 /* local.set */, 2,
    OP.local_get, 1, OP.i32_const, 1, OP.i32_add, OP.local_tee, 1, OP.local_get, 0, OP.i32_ne, OP.br_if, 0,
    OP.end, OP.local_get, 2,
  ] }],
  exports: [["run", 0]],
});

type Run = (n: number) => number;

function instance(bytes: Uint8Array): { run: Run; fuel?: WebAssembly.Global } {
  const i = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), {
    env: { memory: new WebAssembly.Memory({ initial: 1 }) },
    persia: { fuel_exhausted: () => { throw new Error("fuel exhausted"); } },
  });
  const e = i.exports as { run: Run; persia_fuel?: WebAssembly.Global };
  return { run: e.run, fuel: e.persia_fuel };
}

function best(f: () => void): number {
  let min = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    f();
    min = Math.min(min, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return min;
}

/** persia_event: loop { memory.fill(0, 0, 65536) } — 1 + 4 + 1024 units per iteration. */
const FILLS = buildService({
  types: [[[], []]], funcImports: [], memory: { min: 1 },
  funcs: [{ type: 0, body: [OP.loop, OP.void, OP.i32_const, 0, OP.i32_const, 0, OP.i32_const, 0x80, 0x80, 0x04, 0xfc, 0x0b, 0x00, OP.br, 0, OP.end] }],
  exports: [["persia_event", 0]],
});

/** persia_init: loop { clock(0) } — one syscall and 1 + 4 + 1000 units per iteration. */
const CLOCKS = buildService({
  types: [[[I32], [I32]], [[], []]], funcImports: [["persia", "clock", 0]], memory: { min: 1 },
  funcs: [{ type: 1, body: [OP.loop, OP.void, OP.i32_const, 0, OP.call, 0, OP.drop, OP.br, 0, OP.end] }],
  exports: [["persia_event", 1], ["persia_init", 1]],
});

/** 2001:db8::1 → 2001:db8::7, ICMPv6 Echo Request id 0x1234 seq 1 "abcdefgh" (tests/sdk/echo.test.ts). */
const PING = Buffer.from("6a01234500103a3f20010db800000000000000000000000120010db8000000000000000000000007" +
  "80008070123400016162636465666768", "hex");

/** ns per ping for echo answering one queued Echo Request per persia_event, with syscalls
 *  faked in JS; and the fuel one such call uses (0 unmetered). */
function echoPing(bytes: Uint8Array): { ns: number; fuel: bigint } {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 16 });
  let queued = 0, sent = 0;
  const persia = {
    recv: (ptr: number) => {
      if (queued === 0) return -Errno.EAGAIN;
      queued--;
      new Uint8Array(memory.buffer, ptr, PING.length).set(PING);
      return PING.length;
    },
    send: () => { sent++; return 0; },
    // echo's batches (services/sdk/batch.ts): the ping as one record; every record sent taken
    recv_many: (ptr: number, cap: number) => {
      if (queued === 0) return -Errno.EAGAIN;
      if (cap < recSize(PING.length)) return -Errno.EMSGSIZE;
      queued--;
      const v = new DataView(memory.buffer, ptr, recSize(PING.length));
      v.setUint32(0, PING.length << 16, true);   // nic 0, len
      new Uint8Array(memory.buffer, ptr + REC_HDR, PING.length).set(PING);
      return 1;
    },
    send_many: (ptr: number, len: number) => {
      let n = 0;
      for (let off = 0; off + REC_HDR <= len; n++) off += recSize(new DataView(memory.buffer).getUint16(ptr + off + REC_LEN, true));
      sent += n;
      return n;
    },
    addr: (i: number, ptr: number) => { if (i > 0) return -2; new Uint8Array(memory.buffer, ptr, 16).set(PING.subarray(24, 40)); return 0; },
    fuel_exhausted: () => { throw new Error("fuel exhausted"); },
  };
  const e = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), { env: { memory }, persia }).exports as
    { persia_event: () => void; persia_fuel?: WebAssembly.Global };
  const pings = 1_000_000;
  const ns = best(() => {
    sent = 0;
    for (let i = 0; i < pings; i++) {
      if (e.persia_fuel) e.persia_fuel.value = FUEL_PER_CALL;
      queued = 1;
      e.persia_event();
    }
    if (sent !== pings) throw new Error(`echo answered ${sent} of ${pings} pings`);
  }) / pings * 1e6;
  return { ns, fuel: e.persia_fuel ? FUEL_PER_CALL - (e.persia_fuel.value as bigint) : 0n };
}

/** Boots a node whose one service loops on syscalls in persia_init; the wall time of the
 *  start (binaryen's first load excluded: it is loaded before). */
async function syscallBudgetMs(): Promise<number> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "persia-fuel-")), "clocks.wasm");
  fs.writeFileSync(file, CLOCKS);
  const yaml = `node: { name: bench.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:1::/64"] }
services:
  - { domain: clocks.sabz.city, module: ${file}, addresses: ["fd00:1::9"], ram: { min: 64KiB, max: 64KiB }, restart: { limit: 0 } }
`;
  const t0 = process.hrtime.bigint();
  const { node } = await launch(parseManifest(yaml, "bench.yaml", ROOT), { clock: () => 0n, autoPoll: false, log: () => {} });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const s = node.status().services[0];
  node.stop();
  if (s.lastFault !== "FUEL") throw new Error(`clocks.sabz.city should have run out of fuel, not ${s.lastFault}`);
  return ms;
}

/** Wall time until a metered run with one call's budget runs out. */
function budgetMs(bytes: Uint8Array, call: (e: Record<string, Function>) => void): number {
  const i = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), {
    env: { memory: new WebAssembly.Memory({ initial: 1 }) },
    persia: { fuel_exhausted: () => { throw new Error("fuel exhausted"); } },
  });
  const e = i.exports as Record<string, Function> & { persia_fuel: WebAssembly.Global };
  return best(() => {
    e.persia_fuel.value = FUEL_PER_CALL;
    try { call(e); } catch { /* the budget ran out, as expected */ }
  });
}

export async function fuelBench(): Promise<void> {
  const b = await loadBinaryen();
  const meter = (bytes: Uint8Array) => meterWith(b, bytes, "bench.sabz.city");
  const version = JSON.parse(fs.readFileSync(require.resolve("binaryen/package.json"), "utf8")).version;
  console.log(`Fuel metering costs (Node ${process.version}, binaryen ${version})`);
  console.log("  code size (bytes)          built   binaryen round trip   metered   growth   functions  loops  bulk ops");
  for (const name of ["echo", "kv", "probe"]) {
    const raw = fs.readFileSync(path.join(ROOT, `build/wasm/services/${name}.wasm`));
    const m = extras(b).readBinary(raw, serviceFeatures(b));
    const trip = m.emitBinary().length;
    m.dispose();
    const out = meter(raw);
    const growth = ((out.bytes.length / raw.length - 1) * 100).toFixed(1);
    console.log(`  ${name.padEnd(24)} ${String(raw.length).padStart(7)} ${String(trip).padStart(21)} ${String(out.bytes.length).padStart(9)}` +
      `   ${growth.padStart(5)}%  ${String(out.functions).padStart(9)}  ${String(out.loops).padStart(5)}  ${String(out.bulk).padStart(8)}`);
  }
  console.log(`  run time, best of ${RUNS}, ${N / 1e6}M iterations   plain      metered    overhead`);
  for (const [name, bytes] of [["count (7 instructions)", COUNT], ["sum (14 instructions)", SUM]] as const) {
    const plain = instance(bytes);
    const metered = instance(meter(bytes).bytes);
    const p = best(() => plain.run(N));
    const q = best(() => { metered.fuel!.value = 1n << 62n; metered.run(N); });
    console.log(`  ${name.padEnd(40)} ${p.toFixed(0).padStart(6)} ms  ${q.toFixed(0).padStart(6)} ms   ${((q / p - 1) * 100).toFixed(0).padStart(4)}%`);
  }
  const echo = fs.readFileSync(path.join(ROOT, "build/wasm/services/echo.wasm"));
  const plain = echoPing(echo);
  const metered = echoPing(meter(echo).bytes);
  console.log(`  echo, one ping per call (fake syscalls)   ${plain.ns.toFixed(0).padStart(6)} ns  ${metered.ns.toFixed(0).padStart(6)} ns` +
    `   ${((metered.ns / plain.ns - 1) * 100).toFixed(0).padStart(4)}%   (${metered.fuel} units per call)`);
  console.log(`  one budget of ${FUEL_PER_CALL} units lasts`);
  console.log(`    count loop (8 units per iteration)          ${budgetMs(meter(COUNT).bytes, (e) => e.run(2 ** 31 - 1)).toFixed(0)} ms`);
  console.log(`    sum loop (15 units per iteration)           ${budgetMs(meter(SUM).bytes, (e) => e.run(2 ** 31 - 1)).toFixed(0)} ms`);
  console.log(`    loop br 0 (2 units per iteration)           ${budgetMs(meter(SPINS).bytes, (e) => e.persia_event()).toFixed(0)} ms`);
  console.log(`    memory.fill of 64 KiB (1029 per iteration)  ${budgetMs(meter(FILLS).bytes, (e) => e.persia_event()).toFixed(0)} ms`);
  console.log(`    clock syscalls (1005 per iteration)         ${(await syscallBudgetMs()).toFixed(0)} ms, a whole node start included`);
  const calls = 1_000_000;
  const h = new ServiceHost();
  h.attach({ sys: () => 0, bytes: new Uint8Array(65536) });
  const trivial = buildService({ types: [[[], []]], funcImports: [], memory: { min: 1 }, funcs: [{ type: 0, body: [] }], exports: [["persia_event", 0]] });
  await h.add(0, trivial, "bench.sabz.city", 1);
  h.start(0);
  const raw = new WebAssembly.Instance(new WebAssembly.Module(trivial as BufferSource), { env: { memory: new WebAssembly.Memory({ initial: 1 }) } });
  const event = (raw.exports as { persia_event: () => void }).persia_event;
  const direct = best(() => { for (let i = 0; i < calls; i++) event(); }) / calls * 1e6;
  const hosted = best(() => { for (let i = 0; i < calls; i++) h.call(0, Entry.EVENT, FUEL_PER_CALL); }) / calls * 1e6;
  console.log(`  a call of an empty persia_event: direct ${direct.toFixed(0)} ns, through ServiceHost.call with the fuel global ${hosted.toFixed(0)} ns`);
}

if (require.main === module) fuelBench().catch((e) => { console.error(e); process.exit(1); });
