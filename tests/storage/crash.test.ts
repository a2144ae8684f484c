// The crash test of issue #16 on the Node host: kv.sabz.city keeps its store on a loop
// block device; a client (kv_load.ts) PUTs to 32 keys as fast as kv answers, one PUT in
// flight per key, and records every OK; the node (a process of its own on a persistent
// TAP, booted by launch() as `persia run` does: standby_node.ts) is killed with SIGKILL after a random time, CYCLES times; after each
// restart every key must hold its last acknowledged value or one that was in flight, byte
// for byte, and the store must open by itself (a GET answers, never "ERR").
// The seed (CRASH_SEED=<n> repeats a run) picks the kill times and the values.
// What a SIGKILL of the host process can and cannot break: every write the host made is a
// pwrite that completed (or did not start) and the page cache survives the process, so
// this checks kv's order of writes and flushes at system-call granularity, not a power cut
// (spec/hosts.md "Disks"; the metal variant in tests/metal/crash.test.ts kills QEMU).
// Needs root (losetup, a TAP device): skipped with the reason locally, a failure under CI.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn, ChildProcess } from "child_process";
import { ROOT } from "../../hosts/node/paths";
import { missing, sh, skipOrFail } from "../e2e/linux";
import { seeded } from "../seeded";
import { waitFor } from "../wait";
import { check, KvLedger, KvLoad } from "./kv_load";

const CYCLES = Number(process.env.CRASH_CYCLES ?? 100);
const KEYS = 32;
// Unique per run (pid): two runs at once (two checkouts, CI jobs) never share a TAP or a route.
const TAP = `pcrash${process.pid}`;
const PREFIX = `fd00:5ab3:${(process.pid & 0xffff).toString(16)}`;
const KV = `${PREFIX}::8`;
const why = skipOrFail(missing(["losetup", "ip"]));

function manifest(dev: string): string {
  return `
node: { name: crash.sabz.city, role: server }
nics:
  - { name: lan0, kind: tap, mac: "02:00:00:00:c7:01", prefixes: ["${PREFIX}::/64"], tap: { device: ${TAP} } }
disks:
  - { name: data, path: ${dev}, size: 1MiB }
services:
  - { domain: kv.sabz.city, module: ${path.join(ROOT, "build/wasm/services/kv.wasm")}, addresses: ["${KV}"],
      ram: { min: 64KiB, max: 4MiB }, disk: [{ device: data, length: 1MiB, rights: [read, write] }] }
`;
}

interface Standby { proc: ChildProcess; out: () => string; err: () => string }

/** A node process that has loaded its code and waits to boot (standby_node.ts). */
function standby(file: string): Standby {
  const proc = spawn(process.execPath, [path.join(ROOT, "build/ts/tests/storage/standby_node.js"), file],
    { stdio: ["pipe", "pipe", "pipe"] });
  let out = "", err = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (err += d));
  return { proc, out: () => out, err: () => err };
}

/** Boots the standby node; resolves once it runs. */
async function boot(n: Standby): Promise<void> {
  const alive = () => {
    if (n.proc.exitCode !== null) throw new Error(`the node exited (${n.proc.exitCode}):\n${n.err()}`);
  };
  await waitFor(() => { alive(); return /ready/.test(n.out()); }, 30000, () => `the node to load:\n${n.err()}`, 5);
  n.proc.stdin!.write("go\n");
  await waitFor(() => { alive(); return /running/.test(n.out()); }, 30000, () => `the node to boot:\n${n.err()}`, 5);
}

function kill(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  const gone = new Promise<void>((r) => proc.once("exit", () => r()));
  proc.kill("SIGKILL");
  return gone;
}

test(`kv on a loop device keeps every acknowledged PUT through ${CYCLES} SIGKILLs of the node`, { skip: why, timeout: 420000 }, async () => {
  const rng = seeded("crash test (Node host, loop device)", "CRASH_SEED");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-crash-"));
  // The backing file in tmpfs where there is one: a SIGKILL of the node does not reach the
  // page cache anyway, and kv's fsync on the disk of this machine (~10 ms) would leave few
  // PUTs per cycle. tests/bench/storage.ts measures the real disk.
  const shm = fs.existsSync("/dev/shm") ? fs.mkdtempSync("/dev/shm/persia-crash-") : dir;
  const backing = path.join(shm, "backing.img");
  fs.writeFileSync(backing, Buffer.alloc(1 << 20));
  const dev = sh(`losetup -f --show ${backing}`).trim();
  sh(`ip link del ${TAP}`, { allowFail: true });
  sh(`ip tuntap add dev ${TAP} mode tap`);
  sh(`sysctl -qw net.ipv6.conf.${TAP}.accept_dad=0 net.ipv6.conf.${TAP}.accept_ra=0`);
  sh(`ip -6 addr add ${PREFIX}::1/64 dev ${TAP} nodad`);
  sh(`ip link set ${TAP} up`);
  const file = path.join(dir, "crash.yaml");
  fs.writeFileSync(file, manifest(dev));
  const ledger = new KvLedger(rng.seed, Array.from({ length: KEYS }, (_, i) => `key${i}`));
  let node: Standby | null = null;
  let next = standby(file);
  const starts: number[] = [], runs: number[] = [], checks: number[] = [];
  let acks = 0;
  const mean = (a: number[]) => Math.round(a.reduce((x, y) => x + y, 0) / a.length);
  try {
    for (let cycle = 0; cycle <= CYCLES; cycle++) {
      const t0 = Date.now();
      node = next;
      await boot(node);
      const t1 = Date.now();
      if (cycle < CYCLES) next = standby(file);     // loads while this one works
      const problems = await check(ledger, KV);
      const t2 = Date.now();
      assert.deepEqual(problems, [], `after restart ${cycle} (CRASH_SEED=${rng.seed}):\n${problems.join("\n")}\nnode said:\n${node.err()}`);
      starts.push(t1 - t0); checks.push(t2 - t1);
      if (cycle % 20 === 0 && cycle > 0) console.log(`# ${cycle} kills so far, ${acks} PUTs acknowledged and kept, boot ${mean(starts)} ms on average`);
      if (cycle === CYCLES) break;
      const load = new KvLoad(ledger, KV);
      const runFor = 20 + rng.int(200);
      await new Promise((r) => setTimeout(r, runFor));
      await kill(node.proc);
      await load.stop();
      assert.deepEqual(load.errors, [], `kv answered PUTs with errors in cycle ${cycle + 1}`);
      acks += load.acks;
      runs.push(runFor);
    }
    console.log(`# ${CYCLES} SIGKILLs, ${acks} PUTs acknowledged and kept (${Math.round(acks / (runs.reduce((x, y) => x + y, 0) / 1000))}/s ` +
      `while running); per cycle: boot ${mean(starts)} ms (max ${Math.max(...starts)}), check of ${KEYS} keys ${mean(checks)} ms, ` +
      `load ${mean(runs)} ms`);
    assert.ok(acks > CYCLES, "the client got PUTs acknowledged");
  } finally {
    if (node) await kill(node.proc);
    await kill(next.proc);
    sh(`ip link del ${TAP}`, { allowFail: true });
    sh(`losetup -d ${dev}`, { allowFail: true });
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(shm, { recursive: true, force: true });
  }
});
