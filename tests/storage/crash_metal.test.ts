// The crash test of issue #16 on metal: kv.sabz.city keeps its store on a virtio-blk disk
// of a metal node under QEMU; a client (kv_load.ts) PUTs to 32 keys as fast as kv answers,
// and QEMU itself is killed with SIGKILL at a seeded random moment (METAL_CRASH_SEED=<n>
// repeats a run), 100 times (METAL_CRASH_CYCLES=<n> for another count). After each boot
// every key holds its last acknowledged value or one in flight, byte for byte, and the
// store opens by itself.
// The disk is opened with cache=none (O_DIRECT): a write the guest sees completed has left
// QEMU's process and the host's page cache for the host's disk, and the guest's
// VIRTIO_BLK_T_FLUSH (the driver negotiates VIRTIO_BLK_F_FLUSH) is an fdatasync of the
// image; kv answers OK only after its flush completed. With QEMU's default cache=writeback
// a completed write sits in the host's page cache, which a SIGKILL of QEMU does not lose
// either; neither models a power cut of the host (spec/hosts.md "Disks").
// Needs root (a TAP) and QEMU: skipped with the reason locally, a failure under CI.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { spawn, ChildProcess } from "child_process";
import { qemuArgs } from "../../loader/metal/image";
import { MTL_KERNEL_LINE } from "../../abi/metal";
import { metalImageOf, metalOrSkip, QEMU, tempDir } from "../metal/qemu";
import { sh } from "../e2e/linux";
import { seeded } from "../seeded";
import { waitFor } from "../wait";
import { ask, check, KvLedger, KvLoad } from "./kv_load";

const CYCLES = Number(process.env.METAL_CRASH_CYCLES ?? 100);
const KEYS = 32;
// Unique per run (pid): two runs at once (two checkouts, CI jobs) never share a TAP or a route.
const TAP = `pmcrash${process.pid}`;
const PREFIX = `fd00:5ab4:${(process.pid & 0xffff).toString(16)}`;
const KV = `${PREFIX}::8`;
const skip = metalOrSkip();

const manifest = (disk: string) => `
node: { name: mcrash.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtio, mac: "02:00:5a:b2:c7:06", prefixes: ["${PREFIX}::/64"] }
disks:
  - { name: data, path: ${disk}, size: 1MiB }
services:
  - { domain: kv.sabz.city, module: build/wasm/services/kv.wasm, addresses: ["${KV}"], ram: { min: 64KiB, max: 4MiB },
      disk: [{ device: data, offset: 0, length: 1MiB, rights: [read, write] }] }
`;

/** QEMU under `timeout` (it is killed after 120 s whatever happens), with the disk's cache
 *  mode set to none; its serial console kept. */
function startQemu(args: string[]): { timeout: ChildProcess; serial: () => string } {
  const withCache = args.map((a) => a.replace(/,format=raw,if=none,/, ",format=raw,cache=none,if=none,"));
  assert.ok(withCache.some((a) => a.includes("cache=none")), "the disk's -drive argument is where this test expects it");
  const p = spawn("timeout", ["-s", "KILL", "120", QEMU, ...withCache], { stdio: ["ignore", "pipe", "pipe"] });
  let serial = "";
  p.stdout!.on("data", (d) => (serial += d));
  p.stderr!.on("data", (d) => (serial += d));
  return { timeout: p, serial: () => serial };
}

/** SIGKILL to QEMU itself (the child of `timeout`), and wait until both are gone. */
async function killQemu(t: ChildProcess): Promise<void> {
  if (t.exitCode !== null || t.signalCode !== null) return;
  const gone = new Promise<void>((r) => t.once("exit", () => r()));
  const children = fs.readFileSync(`/proc/${t.pid}/task/${t.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
  assert.equal(children.length, 1, `timeout runs QEMU as its one child (it has ${children.length})`);
  process.kill(Number(children[0]), "SIGKILL");
  await gone;
}

test(`kv on a virtio-blk disk keeps every acknowledged PUT through ${CYCLES} SIGKILLs of QEMU`, { skip, timeout: 420000 }, async () => {
  const rng = seeded("crash test (metal, virtio-blk, cache=none)", "METAL_CRASH_SEED");
  const dir = tempDir("crash");
  const elf = path.join(dir, "node.elf");
  const image = await metalImageOf(manifest(path.join(dir, "kv.img")), elf);
  const args = qemuArgs(image.plan, elf, { memoryMiB: image.ram.mib, taps: { lan0: TAP } });
  sh(`ip link del ${TAP}`, { allowFail: true });
  sh(`ip tuntap add dev ${TAP} mode tap`);
  sh(`sysctl -qw net.ipv6.conf.${TAP}.accept_dad=0 net.ipv6.conf.${TAP}.accept_ra=0`);
  sh(`ip -6 addr add ${PREFIX}::1/64 dev ${TAP} nodad`);
  sh(`ip link set ${TAP} up`);
  const ledger = new KvLedger(rng.seed, Array.from({ length: KEYS }, (_, i) => `key${i}`));
  let q: ReturnType<typeof startQemu> | null = null;
  const boots: number[] = [], runs: number[] = [];
  let acks = 0;
  try {
    for (let cycle = 0; cycle <= CYCLES; cycle++) {
      const t0 = Date.now();
      q = startQemu(args);
      const cur = q;
      await waitFor(async () => {
        if (cur.timeout.exitCode !== null) throw new Error(`QEMU exited (${cur.timeout.exitCode}):\n${cur.serial().slice(-2000)}`);
        return cur.serial().includes(MTL_KERNEL_LINE) && (await ask(KV, 7070, "GET key0", 300)) !== null;
      }, 60000, () => `kv to answer after boot ${cycle}:\n${cur.serial().slice(-2000)}`, 50);
      boots.push(Date.now() - t0);
      const problems = await check(ledger, KV);
      assert.deepEqual(problems, [], `after boot ${cycle} (METAL_CRASH_SEED=${rng.seed}):\n${problems.join("\n")}\nserial:\n${cur.serial().slice(-2000)}`);
      if (cycle === CYCLES) break;
      const load = new KvLoad(ledger, KV);
      const runFor = 50 + rng.int(500);
      await new Promise((r) => setTimeout(r, runFor));
      await killQemu(cur.timeout);
      await load.stop();
      assert.deepEqual(load.errors, [], `kv answered PUTs with errors in cycle ${cycle + 1}`);
      acks += load.acks;
      runs.push(runFor);
    }
    const mean = (a: number[]) => Math.round(a.reduce((x, y) => x + y, 0) / a.length);
    console.log(`# metal: ${CYCLES} SIGKILLs of QEMU, ${acks} PUTs acknowledged and kept ` +
      `(${Math.round(acks / (runs.reduce((x, y) => x + y, 0) / 1000))}/s while running); per cycle: boot to kv's first answer ` +
      `${mean(boots)} ms (max ${Math.max(...boots)}), load ${mean(runs)} ms`);
    assert.ok(acks > CYCLES, "the client got PUTs acknowledged");
  } finally {
    if (q) await killQemu(q.timeout);
    sh(`ip link del ${TAP}`, { allowFail: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
