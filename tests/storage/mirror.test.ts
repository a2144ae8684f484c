// kv's mirror (RAID-1, spec/services.md "The mirror") end to end on the Node host, with
// two real disks — loop devices — and the operator's disk operations (spec/hosts.md
// "Disks"), while a client (kv_load.ts) keeps writing to 32 keys:
//   1. `persia disk … fault b error`: every I/O of copy 1 fails; PUTs and GETs go on, kv
//      degrades; `fault off`: kv rebuilds copy 1 by itself and both are in sync again;
//   2. blocks of copy 0 overwritten with seeded garbage straight into its loop device (as
//      dd would): every GET is still right, and the slots are repaired from copy 1;
//   3. `persia disk … detach b`, `losetup -d` (the device is really gone once the node closed
//      it), a blank file on a new loop device, `persia disk … attach b /dev/loopN`: kv
//      resyncs it while the client keeps writing and reading; afterwards the two devices
//      hold the same bytes.
// Each step ends with every key read back against the client's ledger. Needs root.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFile } from "child_process";
import { parseManifest } from "../../loader/manifest";
import { launch } from "../../hosts/node/launch";
import { ROOT } from "../../hosts/node/paths";
import { missing, sh, skipOrFail } from "../e2e/linux";
import { seeded } from "../seeded";
import { waitFor } from "../wait";
import { ask, check, KvLedger, KvLoad, opened } from "./kv_load";

const KEYS = 32;
const SLOT = 1024;
const SIZE = 8 << 20;            // 8192 slots: a resync takes 128 steps of 64 slots, 10 ms apart
// Unique per run (pid): two runs at once (two checkouts, CI jobs) never share a TAP or a route.
const TAP = `pmirror${process.pid}`;
const PREFIX = `fd00:5ab5:${(process.pid & 0xffff).toString(16)}`;
const KV = `${PREFIX}::8`;
const why = skipOrFail(missing(["losetup", "ip"]));

function manifest(a: string, b: string): string {
  return `
node: { name: mirror.sabz.city, role: server }
nics:
  - { name: lan0, kind: tap, mac: "02:00:00:00:c7:07", prefixes: ["${PREFIX}::/64"], tap: { device: ${TAP} } }
disks:
  - { name: a, path: ${a}, size: 8MiB }
  - { name: b, path: ${b}, size: 8MiB }
services:
  - { domain: kv.sabz.city, module: ${path.join(ROOT, "build/wasm/services/kv.wasm")}, addresses: ["${KV}"],
      ram: { min: 64KiB, max: 4MiB },
      disk: [{ device: a, length: 8MiB, rights: [read, write] }, { device: b, length: 8MiB, rights: [read, write] }] }
`;
}

function persiaDisk(sock: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(ROOT, "build/ts/cli/cli.js"), "disk", "mirror.sabz.city", ...args, "--socket", sock],
      (e, out, err) => (e ? reject(new Error(`persia disk ${args.join(" ")}: ${err}`)) : resolve(out.trim())));
  });
}

const status = async (): Promise<string> => (await ask(KV, 7070, "STATUS", 1000)) ?? "(no answer)";

/** The STATUS answers seen, short: the first, the last, and how many between. */
const brief = (seen: string[]) => seen.length <= 2 ? seen.join(" → ")
  : `${seen[0]} → (${seen.length - 2} more) → ${seen[seen.length - 1]}`;

/** Waits until kv's STATUS matches; returns every distinct STATUS seen on the way. */
async function until(re: RegExp, ms: number): Promise<string[]> {
  const seen: string[] = [];
  await waitFor(async () => {
    const s = await status();
    if (seen[seen.length - 1] !== s) seen.push(s);
    return re.test(s);
  }, ms, () => `kv's STATUS to match ${re}; it said: ${seen.join(" → ")}`, 25);
  return seen;
}

/** The slots of a device holding a live record (state 1) of one of `keys`. */
function liveSlots(dev: string, keys: Set<string>): number[] {
  const bytes = fs.readFileSync(dev);
  const found: number[] = [];
  for (let i = 1; i < bytes.length / SLOT; i++) {
    const s = bytes.subarray(i * SLOT, (i + 1) * SLOT);
    if (s[0] === 1 && keys.has(s.subarray(16, 16 + s[1]).toString("latin1"))) found.push(i);
  }
  return found;
}

test("kv's mirror on two loop devices: a failing disk, corrupt blocks, and a replaced disk resynced while serving", { skip: why, timeout: 120000 }, async () => {
  const rng = seeded("mirror test (Node host, loop devices)", "MIRROR_SEED");
  // Backing files in tmpfs where there is one: with this machine's disk (~10 ms a flush)
  // a resync of 8192 slots under the client's PUTs took about a minute (each of its steps
  // and each PUT flushes); tests/bench/storage.ts measures the real disk.
  const dir = fs.mkdtempSync(path.join(fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "persia-mirror-"));
  const files = ["a.img", "b.img", "c.img"].map((f) => path.join(dir, f));
  for (const f of files) fs.writeFileSync(f, Buffer.alloc(SIZE));
  const loops: string[] = [];
  const loop = (f: string) => { const d = sh(`losetup -f --show ${f}`).trim(); loops.push(d); return d; };
  const [devA, devB] = [loop(files[0]), loop(files[1])];
  sh(`ip link del ${TAP}`, { allowFail: true });
  sh(`ip tuntap add dev ${TAP} mode tap`);
  sh(`sysctl -qw net.ipv6.conf.${TAP}.accept_dad=0 net.ipv6.conf.${TAP}.accept_ra=0`);
  sh(`ip -6 addr add ${PREFIX}::1/64 dev ${TAP} nodad`);
  sh(`ip link set ${TAP} up`);
  const lines: string[] = [];
  const r = await launch(parseManifest(manifest(devA, devB), "mirror.yaml", ROOT), { log: (_l, line) => lines.push(line) });
  const sock = path.join(dir, "mirror.sock");
  await r.node.statusServer(sock);
  const ledger = new KvLedger(rng.seed, Array.from({ length: KEYS }, (_, i) => `key${i}`));
  let load: KvLoad | null = null;
  const verify = async (when: string) => {
    const problems = await check(ledger, KV);
    assert.deepEqual(problems, [], `${when} (MIRROR_SEED=${rng.seed}):\n${problems.join("\n")}\nlog:\n${lines.slice(-30).join("\n")}`);
  };
  const run = async (ms: number, when: string) => {
    load = new KvLoad(ledger, KV);
    await new Promise((res) => setTimeout(res, ms));
    const l = load;
    await l.stop();
    load = null;
    assert.deepEqual(l.errors, [], `kv answered errors ${when}`);
    assert.ok(l.acks > 0, `kv acknowledged PUTs ${when}`);
    return l.acks;
  };
  try {
    await opened(KV, 30000).catch((e: Error) => { throw new Error(`${e.message}; log:\n${lines.join("\n")}`); });
    assert.match(await status(), /^STATUS mirror: both in sync; generation 1;/);
    await run(500, "with both disks");
    await verify("with both disks");

    // 1. Copy 1 fails every I/O; the client notices nothing.
    load = new KvLoad(ledger, KV);
    assert.match(await persiaDisk(sock, ["fault", "b", "error"]), /disk 1 \(b\) now fails every read, write and flush with EIO/);
    await until(/copy 1 failed/, 5000);
    await new Promise((res) => setTimeout(res, 300));
    await persiaDisk(sock, ["fault", "b", "off"]);
    const healing = await until(/both in sync/, 60000);
    const l1 = load as KvLoad;
    await l1.stop();
    load = null;
    assert.deepEqual(l1.errors, [], "no PUT failed while a disk did");
    await verify("after copy 1 failed and came back");
    console.log(`# fault error → off: ${brief(healing)}`);

    // 2. Garbage over some of copy 0's records and zeros over others (written through its
    //    loop device, as a bad disk would return them; a zero block is whole but never
    //    beats a sealed record): every GET is right, and the slots are repaired.
    const keys = new Set([...ledger.keys.keys()].filter((k) => ledger.keys.get(k)!.acked > 0));
    const slots = liveSlots(devA, keys);
    assert.ok(slots.length >= keys.size, `copy 0 holds a live record of each key (${slots.length} of ${keys.size})`);
    const bad = slots.filter(() => rng.int(2) === 0).slice(0, 12);
    const fd = fs.openSync(devA, "r+");
    assert.ok(bad.length >= 2, `at least one garbage and one zeroed slot (${bad.length})`);
    bad.forEach((s, i) => fs.writeSync(fd, i % 2 === 0 ? Buffer.from(rng.bytes(SLOT)) : Buffer.alloc(SLOT), 0, SLOT, s * SLOT));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    const before = Number(/repaired (\d+)/.exec(await status())![1]);
    await verify("with corrupt blocks on copy 0");
    const after = Number(/repaired (\d+)/.exec(await status())![1]);
    assert.ok(after - before >= bad.length, `every corrupt slot read was repaired (${after - before} of ${bad.length})`);
    const a = fs.readFileSync(devA), b = fs.readFileSync(devB);
    for (const s of bad) assert.ok(a.subarray(s * SLOT, (s + 1) * SLOT).equals(b.subarray(s * SLOT, (s + 1) * SLOT)), `slot ${s} repaired from copy 1`);

    // 3. Disk b pulled, its loop device deleted, a blank one attached in its place.
    load = new KvLoad(ledger, KV);
    assert.match(await persiaDisk(sock, ["detach", "b"]), /disk 1 \(b\) is detached/);
    sh(`losetup -d ${devB}`);
    await waitFor(() => !sh("losetup -a").includes(`${devB}:`), 5000, `${devB} to go away once the node closed it`);
    await until(/copy 1 failed/, 5000);
    const devC = loop(files[2]);
    assert.match(await persiaDisk(sock, ["attach", "b", devC]), new RegExp(`disk 1 \\(b\\) is attached to ${devC}`));
    const t0 = Date.now();
    const resync = await until(/both in sync/, 60000);
    const resyncMs = Date.now() - t0;
    await new Promise((res) => setTimeout(res, 200));
    const l3 = load as KvLoad;
    await l3.stop();
    load = null;
    assert.deepEqual(l3.errors, [], "no PUT failed while the disk was replaced and resynced");
    assert.ok(resync.some((s) => /resync \d+%/.test(s)), `kv said it resynced: ${resync.join(" → ")}`);
    await verify("after the replacement's resync");
    await new Promise((res) => setTimeout(res, 100));
    const c = fs.readFileSync(devC), a2 = fs.readFileSync(devA);
    const differ: number[] = [];
    for (let s = 0; s < SIZE / SLOT; s++) if (!a2.subarray(s * SLOT, (s + 1) * SLOT).equals(c.subarray(s * SLOT, (s + 1) * SLOT))) differ.push(s);
    assert.deepEqual(differ, [], "after the resync both devices hold the same slots");
    console.log(`# replaced disk: ${l3.acks} PUTs acknowledged while it was detached, attached and resynced; ` +
      `resync of ${SIZE / SLOT} slots ${resyncMs} ms under that load: ${brief(resync)}`);
  } finally {
    await (load as KvLoad | null)?.stop();
    r.node.stop();
    sh(`ip link del ${TAP}`, { allowFail: true });
    for (const d of loops) sh(`losetup -d ${d}`, { allowFail: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
