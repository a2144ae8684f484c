// The parity suite: scenario.ts run on the Node host and on the wasmtime image, each behind
// its own Linux namespace over VXLAN, and on the metal image under QEMU, whose virtio-net
// NIC is a TAP in a namespace (links.ts). Every step's expectation is checked on each host,
// and the hosts' records of what happened (ping replies, drop counts by reason, the fault
// each hostile service was stopped with, restarts) must be equal — on metal with the one
// difference a TAP makes (scenario.ts overTap). Needs root, iproute2, ping, python3 and
// wasmtime, and for metal what tests/metal/qemu.ts needs; under CI=true a missing one fails
// the suite. A node that no host may boot is refused by the commands each host's user runs
// (`persia run`, and `persia image` for wasmtime) with the same message.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { launch } from "../../hosts/node/launch";
import { ROOT, WASM_DIR } from "../../hosts/node/paths";
import { Status } from "../../loader/status/decode";
import { parseManifest } from "../../loader/manifest";
import { CASES } from "../integration/drop_cases";
import { TWO_MEMORIES } from "../integration/twomem";
import { missing, shAsync, skipOrFail } from "../e2e/linux";
import { sleep, waitFor } from "../wait";
import { ETH_HDR } from "../../abi/kernel";
import { imageOf, RunningImage, wasmtimeOrSkip, wholeLines } from "../e2e/wasmtime";
import { newKeyFile, publicKeyText } from "../../loader/control/message";
import { metalImageOf, metalOrSkip, RunningQemu } from "../metal/qemu";
import { ADDR, expectedFrameDrops, expectedHostShort, hostDrops, manifest, NIC, NODE_ADDR, overTap, PEER_ADDR, PEER_MAC, serviceLine, Step,
  STEPS } from "./scenario";
import { PeerLink, tapLink, vxlanLink } from "./links";

const skipLinux = skipOrFail(missing(["ip", "ping", "python3", "ethtool"]));
const wt = skipLinux ? { file: "", skip: skipLinux } : wasmtimeOrSkip();

/** What a host is asked to do; the rest is the same for all. */
interface Host {
  status(): Promise<Status>;
  stop(): Promise<void>;
  /** What the node logged, whole lines only: the image's stderr and metal's serial console
   *  arrive in pieces, and a line read before its end would be taken for the whole line (a
   *  CI run compared metal's "diskprobe: read-only der" with the Node host's whole line). */
  logs(): string;
}

async function bootNode(yaml: string): Promise<Host> {
  const logs: string[] = [];
  const { node } = await launch(parseManifest(yaml, "parity.yaml", ROOT), { log: (_l, line) => logs.push(line) });
  // A status right after a poll, as the image prints it (hosts/wasi/loop.ts): its nowMs is
  // the time it is taken, even while the node is idle (the flood step relies on it).
  const status = async () => { node.poll(); return node.status(); };
  return { status, stop: async () => node.stop(), logs: () => logs.join("\n") };
}

async function bootImage(yaml: string): Promise<Host> {
  const file = path.join(os.tmpdir(), `persia-parity-${process.pid}.wasm`);
  const { flags } = await imageOf(yaml, file);
  const run = new RunningImage(wt.file, flags, file, ["--status-every", "100"]);
  await run.until(() => run.stderr.includes("is running"), 30000, "the image to boot");
  return { status: () => run.freshStatus(), stop: () => run.stop(), logs: () => wholeLines(run.stderr) };
}

/** The metal image under QEMU (TCG), started in the link's namespace so that it opens the
 *  TAP there; a status line every 100 ms on the serial console, as the image's. */
async function bootMetal(yaml: string, link: PeerLink & { dev?: string }): Promise<Host> {
  const file = path.join(os.tmpdir(), `persia-parity-${process.pid}.elf`);
  const image = await metalImageOf(yaml, file);
  const qemu = new RunningQemu(image, file, { taps: { [NIC]: link.dev! }, append: "status-every=100", seconds: 1200,
    prefix: ["ip", "netns", "exec", link.ns] });
  await qemu.line(/ is running on metal/, 60000);
  const stop = async () => { await qemu.kill(); fs.rmSync(file, { force: true }); };
  return { status: () => qemu.freshStatus(), stop, logs: () => qemu.lines.slice(0, -1).join("\n") };
}

/** Waits until `pred` holds on a status, up to ms; returns the last status seen. */
async function until(h: Host, pred: (s: Status) => boolean, ms: number): Promise<Status> {
  const end = Date.now() + ms;
  let s = await h.status();
  while (!pred(s) && Date.now() < end) {
    await sleep(100);
    s = await h.status();
  }
  return s;
}

const svcOf = (s: Status, name: string) => s.services.find((x) => x.name === name)!;

/** The lines a service logged, without its domain: the Node host's log sink gets
 *  "<domain>: <text>", the image's stderr and metal's serial console have
 *  "info kernel: <domain>: <text>". */
function logged(h: Host, domain: string): string[] {
  const re = new RegExp(`(?:^|kernel: )${domain.replace(/\./g, "\\.")}: (.*)$`);
  return h.logs().split("\n").map((l) => re.exec(l)?.[1]).filter((l): l is string => l !== undefined);
}

async function ping(vx: PeerLink, addr: string, count: number): Promise<number> {
  const r = await shAsync(`ip netns exec ${vx.ns} ping -6 -c ${count} -i 0.2 -W 2 ${addr}`);
  return Number((/(\d+) received/.exec(r.out) ?? [])[1] ?? 0);
}

async function udpFromPeer(vx: PeerLink, addr: string, text: string): Promise<void> {
  const py = `import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.sendto(${JSON.stringify(text)}.encode(), ("${addr}", 9))`;
  const r = await shAsync(`ip netns exec ${vx.ns} python3 -c '${py}'`);
  assert.equal(r.code, 0, r.out);
}

/** Where a host's run keeps its files: the manifest (for `persia ctl`), alice's key. */
interface Files { dir: string; yaml: string; key: string }

/** `persia ctl` from the namespace, as a user would run it; its one line of output. */
async function ctl(vx: PeerLink, f: Files, step: Extract<Step, { ctl: string }>): Promise<string> {
  let target = step.request;
  if (step.ctl === "load" || step.ctl === "grant") {
    target = path.join(f.dir, `${step.ctl}.yaml`);
    fs.writeFileSync(target, step.request.replace("MODULE_DIR", path.join(WASM_DIR, "services")));
  }
  const cli = path.join(ROOT, "build/ts/cli/cli.js");
  // Each host's node draws its own key at boot: trusted on first use, in a file of the host's.
  const r = await shAsync(`ip netns exec ${vx.ns} env PERSIA_KNOWN_NODES=${path.join(f.dir, "known_nodes")} ${process.execPath} ${cli} ctl ${step.ctl} ${target} ` +
    `--node ${NODE_ADDR} --key ${f.key} --manifest ${f.yaml}`);
  return r.out.split("\n").filter((l) => !l.startsWith("note: first answer")).join("\n").trim();
}

/** Runs every step on one host; returns the record of what it observed. */
async function runScenario(h: Host, vx: PeerLink, f: Files): Promise<Record<string, unknown>[]> {
  const record: Record<string, unknown>[] = [];
  for (const step of STEPS) {
    if ("ctl" in step) {
      const line = await ctl(vx, f, step);
      assert.match(line, step.answer, `persia ctl ${step.ctl}\n${h.logs().slice(-1500)}`);
      const replies = step.thenPing ? await ping(vx, ADDR[step.thenPing], 3) : undefined;
      if (step.thenPing) assert.equal(replies, step.replies, `ping ${step.thenPing} after ctl ${step.ctl}`);
      record.push({ ctl: step.ctl, answer: step.ctl === "hello" ? "answered" : line, replies });
      continue;
    }
    record.push(await runStep(h, vx, step));
  }
  return record;
}

async function runStep(h: Host, vx: PeerLink, step: Exclude<Step, { ctl: string }>): Promise<Record<string, unknown>> {
  if ("ping" in step) {
    const got = await ping(vx, ADDR[step.ping], step.count);
    assert.equal(got, step.count, `ping ${step.ping}: ${got} of ${step.count} replies\n${h.logs().slice(-2000)}`);
    return { ping: step.ping, replies: got };
  }
  if ("wait" in step) {
    const before = svcOf(await h.status(), "probe.sabz.city").rxPackets;
    let more = 0;
    await waitFor(async () => (more = svcOf(await h.status(), "probe.sabz.city").rxPackets - before) >= 2, step.wait,
      () => `probe.sabz.city to receive 2 echo replies through the kernel (it received ${more})`);
    return { probeToEcho: true };
  }
  if ("frames" in step) {
    const first = await h.status();
    const before = first.drops;
    const refused = await vx.inject(CASES.map((c) => c.frame));
    // A VXLAN datagram carries any frame; a TAP none shorter than an Ethernet header.
    const unsendable = vx.spec.kind === "vxlan" ? [] : CASES.flatMap((c, i) => (hostDrops(c.frame) ? [i] : []));
    assert.deepEqual(refused.map((i) => CASES[i].what), unsendable.map((i) => CASES[i].what), "the frames the link refused to carry");
    const want = expectedFrameDrops();
    const s = await until(h, (x) => Object.entries(want).every(([r, n]) => (x.drops[r] ?? 0) - (before[r] ?? 0) >= n), 5000);
    const got = Object.fromEntries(Object.keys(want).map((r) => [r, (s.drops[r] ?? 0) - (before[r] ?? 0)]));
    assert.deepEqual(got, want, "drops by reason after the bad frames");
    const hostShort = vx.hostShort(s) - vx.hostShort(first);
    assert.equal(hostShort, expectedHostShort(vx.spec.kind), "the host's count of frames too short for Ethernet after the bad frames");
    return { drops: got, hostShort };
  }
  if ("trigger" in step) {
    const before = svcOf(await h.status(), step.trigger);
    const logFrom = h.logs().length;
    await udpFromPeer(vx, ADDR[step.trigger], step.word);
    const faulted = await until(h, (s) => svcOf(s, step.trigger).faults > before.faults, 5000);
    const f = svcOf(faulted, step.trigger);
    assert.ok(f.faults > before.faults, `${step.trigger} did not fault within 5 s: ${JSON.stringify(f)}\n${h.logs().slice(-1500)}`);
    assert.equal(f.lastFault, step.fault, `${step.trigger} stopped with ${f.lastFault}`);
    const said = h.logs().slice(logFrom).split("\n").filter((l) => l.includes(`service ${f.id} `));
    assert.ok(said.some((l) => step.why.test(l)), `the host says why ${step.trigger} stopped (${step.why}): ${JSON.stringify(said)}`);
    assert.equal(await ping(vx, ADDR["echo.sabz.city"], 2), 2, "echo answers while it restarts");
    const back = await until(h, (s) => svcOf(s, step.trigger).state === "RUNNING" && svcOf(s, step.trigger).restarts > before.restarts, 5000);
    assert.equal(svcOf(back, step.trigger).state, "RUNNING", `${step.trigger} came back`);
    assert.equal(await ping(vx, ADDR[step.trigger], 2), 2, `${step.trigger} answers after its restart`);
    return { service: step.trigger, fault: f.lastFault, faults: f.faults - before.faults, restarted: true };
  }
  if ("logs" in step) {
    const seen = logged(h, step.logs).length;
    await udpFromPeer(vx, ADDR[step.logs], step.word);
    const end = Date.now() + 5000;
    while (!logged(h, step.logs).slice(seen).some((l) => l.startsWith(step.last)) && Date.now() < end) await sleep(100);
    const lines = logged(h, step.logs).slice(seen);
    assert.ok(lines.some((l) => l.startsWith(step.last)), `${step.logs} logged "${step.last}…": ${JSON.stringify(lines)}`);
    assert.equal(await ping(vx, ADDR["echo.sabz.city"], 2), 2, "echo answers after it");
    const s = await h.status();
    return { service: step.logs, lines, faults: svcOf(s, step.logs).faults, state: svcOf(s, step.logs).state };
  }
  if ("flood" in step) return flood(h, vx, step);
  const before = (await h.status()).drops[step.drop] ?? 0;
  await udpFromPeer(vx, ADDR["sender.sabz.city"], step.command);
  const s = await until(h, (x) => (x.drops[step.drop] ?? 0) > before, 5000);
  const n = (s.drops[step.drop] ?? 0) - before;
  assert.equal(n, 1, `${step.command}: ${step.drop} drops`);
  return { command: step.command, drop: step.drop, count: n };
}

/** The flood step, measured on the kernel's clock (each status's nowMs), not the test's.
 *  The upper bound is spec/kernel.md's promise, exactly: counted from the last time its
 *  queue was empty, a class never sends more than its max allows plus one idle burst
 *  (IDLE_BURST_MS of its max and one frame: kernel/net/egress.ts's cap, 2,764 bytes here).
 *  `idle` is the last status that shows the flood's class empty and nothing sent, so for
 *  every later status s: bytes(s) - bytes(idle) <= max x (now - now_idle) + that burst.
 *  Its only slack is the time from `idle` to the flood's first frame, at most one status
 *  interval (each status follows a poll, so its nowMs is fresh): a few ms on the Node host,
 *  where a max credit growing 1 % too fast passes the bound by 12 kB in the 2 s window; up
 *  to 100 ms (--status-every) in the image.
 *  The lower bound is no promise but the host's: the flood is backlogged and the link has
 *  room for its max, so it falls short only where the host polled more than 100 ms late
 *  (the catch-up spec/kernel.md describes ends there). Over step.ms (2 s) 0.9 of the max
 *  allows 200 ms of such stalls; the spec measured 0.87 under load before the catch-up. */
const IDLE_BURST_MS = 2;

async function flood(h: Host, vx: PeerLink, step: Extract<Step, { flood: string }>): Promise<Record<string, unknown>> {
  const floodClass = (s: Status) => s.classes.find((c) => c.class === svcOf(s, step.flood).id);
  const bytes = (s: Status) => floodClass(s)?.bytes ?? 0;
  const backlogged = (s: Status) => (floodClass(s)?.queue ?? 0) > 0 || (floodClass(s)?.drops ?? 0) > 0;
  let idle = await h.status();
  assert.ok(!backlogged(idle), "the flood's class is empty before the flood");
  const burst = step.maxBits / 8 * IDLE_BURST_MS / 1000 + idle.nics[0].mtu + ETH_HDR;
  const overMax = (s: Status) => bytes(s) - bytes(idle) - step.maxBits / 8 * (s.node!.nowMs - idle.node!.nowMs) / 1000;
  const started = udpFromPeer(vx, ADDR[step.flood], "flood");
  const s1 = await waitFor(async () => {
    const s = await h.status();
    if (!backlogged(s) && bytes(s) === bytes(idle)) idle = s;
    return backlogged(s) && s;
  }, 5000, "the flood's class to be backlogged", 1);
  await started;
  const replies = ping(vx, ADDR["echo.sabz.city"], 5);
  const s2 = await waitFor(async () => {
    const s = await h.status();
    assert.ok(overMax(s) <= burst, `${step.flood}'s class sent ${overMax(s).toFixed(0)} bytes more than its max allows ` +
      `since it was last idle, ${s.node!.nowMs - idle.node!.nowMs} ms before; the spec allows one idle burst, ${burst}`);
    return s.node!.nowMs >= s1.node!.nowMs + step.ms && s;
  }, step.ms + 10000, `${step.ms} ms on the kernel's clock`, 50);
  const ms = s2.node!.nowMs - s1.node!.nowMs;
  const mbit = ((bytes(s2) - bytes(s1)) * 8 / ms / 1000).toFixed(3);
  assert.ok((bytes(s2) - bytes(s1)) * 8 >= step.maxBits * 0.9 * ms / 1000,
    `the flood got ${mbit} Mbit/s over ${ms} ms of kernel time; the spare capacity should give it its max`);
  assert.equal(await replies, 5, "echo answers every ping during the flood");
  return { flood: step.flood, heldToMax: true, echoReplies: 5 };
}

async function onHost<L extends PeerLink>(makeLink: () => L, boot: (yaml: string, link: L) => Promise<Host>): Promise<Record<string, unknown>[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-parity-"));
  const disk = path.join(dir, "data.img");
  fs.writeFileSync(disk, new Uint8Array(1 << 20).fill(0xa5));
  const vx = makeLink();
  let h: Host | null = null;
  try {
    const key = path.join(dir, "alice.key");
    const yaml = manifest(vx.spec, disk, "", publicKeyText(newKeyFile(key).publicKey));
    const yamlFile = path.join(dir, "parity.yaml");
    fs.writeFileSync(yamlFile, yaml);
    h = await boot(yaml, vx);
    return await runScenario(h, vx, { dir, yaml: yamlFile, key });
  } finally {
    await h?.stop();
    vx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const base = 0x200 + (process.pid % 0x600);
const overVxlan = (tag: number) => () => vxlanLink(tag, 4242, PEER_ADDR, PEER_MAC);
/** The Node host's record, kept for the metal test (which runs it if this one did not). */
let nodeRecord: Record<string, unknown>[] | null = null;

test("the same scenario on the Node host and under wasmtime: same replies, drops and faults", { skip: wt.skip, timeout: 300000 }, async () => {
  const onNode = nodeRecord = await onHost(overVxlan(base), bootNode);
  const onWasmtime = await onHost(overVxlan(base + 1), bootImage);
  assert.deepEqual(onWasmtime, onNode, "the wasmtime image observed what the Node host observed");
});

const metalSkip = skipLinux || metalOrSkip();

test("the same scenario on metal (QEMU, a TAP for the link): the Node host's replies, drops and faults", { skip: metalSkip, timeout: 900000 }, async () => {
  const onNode = nodeRecord ?? await onHost(overVxlan(base), bootNode);
  const onMetal = await onHost(() => tapLink(base + 2, PEER_ADDR, PEER_MAC), bootMetal);
  assert.deepEqual(onMetal, overTap(onNode), "the metal image observed what the Node host observed (but the short frames no TAP carries)");
});


/** `persia <args>` as a user runs it, in dir: its exit status and what it printed on stderr
 *  (a `run` that boots is stopped after 30 s, and says so). */
function persia(dir: string, args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, "cli/bin/persia.js"), ...args],
    { cwd: dir, encoding: "utf8", timeout: 30000 });
  return { status: r.status, stderr: r.signal ? `still running after 30 s (${r.signal}): ${r.stderr}` : r.stderr };
}

// What each host's user sees: `persia run` is the Node host; under wasmtime the node is the
// image, and `persia image` is the step that refuses it (spec/image.md: "fails the image
// with the loader's message, as it fails `persia run`"), so there is no image to run.
test("a module with two memories: both hosts refuse the node before any code runs, with the same message", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-parity-"));
  try {
    fs.symlinkSync(path.join(ROOT, "build"), path.join(dir, "build"));   // the manifest's module paths
    fs.writeFileSync(path.join(dir, "data.img"), new Uint8Array(1 << 20));
    fs.writeFileSync(path.join(dir, "twomem.wasm"), TWO_MEMORIES);
    fs.writeFileSync(path.join(dir, "node.yaml"), manifest({ kind: "vxlan", local: "::1", remote: "::1", vni: 1 }, "data.img", serviceLine("twomem.sabz.city", "twomem.wasm", "fd00:5ab2:1::12")));
    const onNode = persia(dir, ["run", "node.yaml", "--socket-dir", dir]);
    const onImage = persia(dir, ["image", "node.yaml", "-o", "node.wasm"]);
    assert.match(onNode.stderr, /^persia: service twomem\.sabz\.city: module imports env\.memory 2 times; a service has exactly one memory/);
    assert.equal(onNode.status, 1, "persia run exits 1");
    assert.deepEqual(onImage, onNode, "persia image refuses it with the same message and status");
    assert.equal(fs.existsSync(path.join(dir, "node.wasm")), false, "no image is written for wasmtime to run");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
