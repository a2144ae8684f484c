// `persia capture` against a running node (issue #18): a server with two TAP NICs, each in
// a network namespace with a Linux host, and echo.sabz.city. Six captures run at once as
// commands over the node's status socket — everything, --nic lanb, --service
// echo.sabz.city, --count 3, --max-size 4KiB and --duration 0.5 — while both hosts ping
// echo, host A pings an address the node has no route to and sends a frame whose IPv6
// payload length runs past its end. Then tshark reads every file without a word on stderr;
// the echo requests and replies are there, as received and sent on the NICs and as
// delivered to and sent by echo; the drops carry their reasons as comments; only the bad
// frame is malformed; each filter keeps only what it names; each limit stops its capture.
// A wrong NIC name and a missing node are refused with what to do. Needs root, iproute2,
// ping, python3 and tshark.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseManifest } from "../../loader/manifest";
import { launch, Launched } from "../../hosts/node/launch";
import { ROOT } from "../../hosts/node/paths";
import { formatAddr, linkLocalFromMac, parseMac } from "../../loader/ip6";
import { sh, shAsync, missing, skipOrFail, tshark, captureRows } from "./linux";
import { waitFor } from "../wait";

const skip = skipOrFail(missing(["ip", "ping", "tshark", "python3"]));
const TAG = (process.pid % 900) + 100;
const A = { ns: `ca${TAG}`, dev: `pca${TAG}`, mac: "02:00:5a:b2:1a:01", host: `fd00:a:${TAG}::100` };
const B = { ns: `cb${TAG}`, dev: `pcb${TAG}`, mac: "02:00:5a:b2:1b:01", host: `fd00:b:${TAG}::100` };
const ECHO = `fd00:a:${TAG}::7`;
const NOWHERE = "fd00:9::1";
const CLI = path.join(ROOT, "build/ts/cli/cli.js");
const ll = (mac: string) => formatAddr(linkLocalFromMac(parseMac(mac)));

const MANIFEST = `
node: { name: cap${TAG}.sabz.city, role: server }
nics:
  - { name: lana, kind: tap, tap: { device: ${A.dev} }, mac: "${A.mac}", mtu: 1500, prefixes: ["fd00:a:${TAG}::/64"] }
  - { name: lanb, kind: tap, tap: { device: ${B.dev} }, mac: "${B.mac}", mtu: 1500, prefixes: ["fd00:b:${TAG}::/64"] }
services:
  - { domain: echo.sabz.city, module: ${path.join(ROOT, "build/wasm/services/echo.wasm")}, addresses: ["${ECHO}"], ram: { min: 64KiB, max: 1MiB } }
`;

const inNs = (ns: string, cmd: string) => shAsync(`ip netns exec ${ns} ${cmd}`);

/** An IPv6 header whose payload length (100) runs past the frame's end, to the node's MAC. */
function badFrameScript(dev: string, dst: string): string {
  const frame = dst.replace(/:/g, "") + "020000000099" + "86dd" + "60000000" + "0064" + "3b" + "40" +
    "fd00000000000000000000000000dead" + "fd000000000000000000000000000007";
  return `import socket; s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(("${dev}", 0)); s.send(bytes.fromhex("${frame}"))`;
}

interface Run { proc: ChildProcess; out: string; err: string; exit: Promise<number | null> }

function persia(args: string[]): Run {
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const r: Run = { proc, out: "", err: "", exit: new Promise((resolve) => proc.on("close", (code) => resolve(code))) };
  proc.stdout!.on("data", (d) => (r.out += d));
  proc.stderr!.on("data", (d) => (r.err += d));
  return r;
}

const IN = "0x00000001", OUT = "0x00000002";

function cleanup(): void {
  for (const h of [A, B]) sh(`ip netns del ${h.ns}`, { allowFail: true });
  for (const h of [A, B]) sh(`ip link del ${h.dev}`, { allowFail: true });
}

test("persia capture records what the node received, sent, delivered and dropped, filtered and bounded", { skip, timeout: 120000 }, async (t) => {
  cleanup();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-capture-"));
  const file = (n: string) => path.join(dir, `${n}.pcapng`);
  const sock = path.join(dir, "node.sock");
  let r: Launched | null = null;
  const runs: Run[] = [];
  try {
    r = await launch(parseManifest(MANIFEST, "capture.yaml", ROOT), { log: () => {} });
    await r.node.statusServer(sock);
    for (const h of [A, B]) {
      sh(`ip netns add ${h.ns}`);
      sh(`ip link set ${h.dev} netns ${h.ns}`);
      const x = `ip netns exec ${h.ns}`;
      sh(`${x} ip link set lo up && ${x} ip link set ${h.dev} up && ${x} ip -6 addr add ${h.host}/64 dev ${h.dev} nodad`);
    }
    sh(`ip netns exec ${B.ns} ip -6 route add fd00:a:${TAG}::/64 via ${ll(B.mac)} dev ${B.dev}`);
    sh(`ip netns exec ${A.ns} ip -6 route add fd00:9::/64 via ${ll(A.mac)} dev ${A.dev}`);

    const all = persia(["capture", "--socket", sock, "-o", file("all")]);
    const nicb = persia(["capture", "--socket", sock, "--nic", "lanb", "-o", file("nicb")]);
    const echo = persia(["capture", "--socket", sock, "--service", "echo.sabz.city", "-o", file("echo")]);
    runs.push(all, nicb, echo);
    await waitFor(() => r!.node.capture.active === 3, 60000, "three captures to connect");   // each a CLI process starting: slow on a loaded machine
    const counted = persia(["capture", "--socket", sock, "--count", "3", "-o", file("count")]);
    const sized = persia(["capture", "--socket", sock, "--max-size", "4KiB", "-o", file("sized")]);
    const timed = persia(["capture", "--socket", sock, "--duration", "0.5", "-o", file("timed")]);
    runs.push(counted, sized, timed);
    // All six connected before the test's traffic: a --count capture that connected late took
    // the bad frame among its three (seen once under a loaded full run). The --duration one
    // may have run out already, and the --count one may have ended on three frames the Linux
    // hosts sent on their own (router solicitations, MLD reports): both count as connected.
    const ended = (c: Run) => (c.proc.exitCode !== null ? 1 : 0);
    await waitFor(() => r!.node.capture.active + ended(timed) + ended(counted) === 6, 60000,
      () => `six captures to connect; ${r!.node.capture.active} are; ` +
        runs.map((c) => `${c.proc.spawnargs.slice(2).join(" ")}: exit ${c.proc.exitCode}, ${JSON.stringify(c.err)}`).join("; "), 5);

    for (const h of [A, B]) {
      const out = (await inNs(h.ns, `ping -6 -c 2 -i 0.2 -W 2 ${ECHO}`)).out;
      assert.match(out, /2 packets transmitted, 2 received/, `${h.ns}: ${out}`);
    }
    const big = (await inNs(A.ns, `ping -6 -c 2 -i 0.2 -W 2 -s 1200 ${ECHO}`)).out;   // fills the 4 KiB capture
    assert.match(big, /2 packets transmitted, 2 received/, big);
    const unreach = (await inNs(A.ns, `ping -6 -c 1 -W 2 ${NOWHERE}`)).out;
    assert.match(unreach, /Unreachable|unreachable/, unreach);
    assert.equal((await inNs(A.ns, `python3 -c '${badFrameScript(A.dev, A.mac)}'`)).code, 0);
    await waitFor(() => Number(r!.node.status().drops.IP_LENGTH) >= 1, 5000, "the node to drop the bad frame");
    for (const c of [counted, sized, timed]) {
      await waitFor(() => c.proc.exitCode !== null, 10000, () => `${c.proc.spawnargs.slice(2).join(" ")} to stop: ${c.err}`);
    }
    for (const c of [all, nicb, echo]) c.proc.kill("SIGINT");
    for (const c of runs) assert.equal(await c.exit, 0, c.err);

    await t.test("each capture says how many packets it wrote, none lost, and why it stopped", () => {
      for (const c of [all, nicb, echo]) assert.match(c.err, /^persia: wrote \d+ packet\(s\) to .* \(\d+ bytes\); none lost; stopped: interrupted\n$/, c.err);
      assert.match(counted.err, /wrote 3 packet\(s\) .*; stopped: --count reached\n$/, counted.err);
      assert.equal(captureRows(file("count")).length, 3);
      assert.match(sized.err, /; stopped: --max-size reached\n$/, sized.err);
      assert.ok(fs.statSync(file("sized")).size <= 4096 && captureRows(file("sized")).length >= 1, "a 4 KiB file of whole packets");
      assert.match(timed.err, /; stopped: --duration passed\n$/, timed.err);
    });

    await t.test("the echo requests and replies are there, on the NICs and at echo, each way", () => {
      const got = captureRows(file("all"));
      for (const [h, nic] of [[A, "lana"], [B, "lanb"]] as const) {
        const has = (want: string) => assert.ok(got.some((l) => l.startsWith(want)), `${want}\n${got.join("\n")}`);
        has(`${nic}|${IN}|${h.host}|${ECHO}|128|`);
        has(`echo.sabz.city|${OUT}|${h.host}|${ECHO}|128|`);
        has(`echo.sabz.city|${IN}|${ECHO}|${h.host}|129|`);
        has(`${nic}|${OUT}|${ECHO}|${h.host}|129|`);
      }
    });

    await t.test("drops carry their reason as a comment, and only the bad frame is malformed", () => {
      const got = captureRows(file("all"));
      assert.ok(got.some((l) => l === `kernel||${A.host}|${NOWHERE}|128|dropped: NO_ROUTE (no route to destination)`), got.join("\n"));
      assert.ok(got.some((l) => l.startsWith("lana||fd00::dead|fd00::7|") && l.endsWith("|dropped: IP_LENGTH (payload length disagrees with the frame)")), got.join("\n"));
      const flagged = tshark(["-r", file("all"), "-Y", "_ws.malformed || _ws.expert.severity >= warning", "-T", "fields", "-e", "ipv6.src"]);
      const bad = flagged.out.split("\n").filter((l) => l !== "");
      assert.equal(bad.length, 2, `the bad frame, as received and as dropped: ${flagged.out}`);
      assert.ok(bad.every((l) => l === "fd00::dead"), flagged.out);
      const expert = tshark(["-r", file("all"), "-z", "expert", "-q"]);
      assert.equal(expert.err, "");
      assert.match(expert.out, /dropped: NO_ROUTE/);
      for (const f of ["nicb", "echo", "count"]) {
        assert.equal(tshark(["-r", file(f), "-Y", "_ws.malformed || _ws.expert.severity >= warning"]).out, "", `${f}: nothing malformed`);
      }
    });

    await t.test("--nic lanb keeps only what came in on or left by lanb", () => {
      const got = captureRows(file("nicb"));
      assert.ok(got.some((l) => l.startsWith(`lanb|${IN}|${B.host}|${ECHO}|128|`)), got.join("\n"));
      assert.ok(got.some((l) => l.startsWith(`echo.sabz.city|${OUT}|${B.host}|${ECHO}|128|`)), "the delivery of what came in on lanb names lanb");
      for (const l of got) {
        assert.ok(!l.startsWith("lana|") && !l.includes(A.host) && !l.includes("fd00::dead"), `not of lanb: ${l}`);
      }
    });

    await t.test("--service echo.sabz.city keeps only what echo got and sent, and its frames on their way out", () => {
      const got = captureRows(file("echo"));
      assert.equal(got.filter((l) => l.startsWith("echo.sabz.city|")).length, 12, got.join("\n"));
      for (const l of got) {
        const [iface, dir, src] = l.split("|");
        assert.ok(iface === "echo.sabz.city" || (dir === OUT && src === ECHO), `not echo's: ${l}`);
        assert.ok(!l.includes("dropped:"), `not echo's drop: ${l}`);
      }
    });

    await t.test("a NIC the node does not have is refused with its NICs; a file that cannot be written or fills up, and a node that is not running, with why", async () => {
      const wrong = persia(["capture", "--socket", sock, "--nic", "eth9", "-o", file("none")]);
      assert.equal(await wrong.exit, 1);
      assert.match(wrong.err, /"eth9" is not a NIC of cap\d+\.sabz\.city; its NICs are lana, lanb/);
      const unwritable = persia(["capture", "--socket", sock, "-o", path.join(dir, "no/such/dir.pcapng")]);
      assert.equal(await unwritable.exit, 1);
      assert.match(unwritable.err, /^persia: cannot write the capture to \S+\/no\/such\/dir\.pcapng: its directory does not exist; give -o a file in a directory you can write, or - for stdout$/m);
      const full = persia(["capture", "--socket", sock, "--duration", "1", "-o", "/dev/full"]);
      assert.equal(await full.exit, 1, "a file that fills up ends the capture with an error, not a stack");
      assert.match(full.err, /^persia: cannot write the capture to \/dev\/full: ENOSPC: no space left on device, write$/m);
      const gone = persia(["capture", "--socket", path.join(dir, "nothing.sock"), "-o", file("none")]);
      assert.equal(await gone.exit, 1);
      assert.match(gone.err, /no status socket there: is the node running/);
      assert.equal(r!.node.capture.active, 0, "the kernel's capture is off once every client left");
    });
  } finally {
    for (const c of runs) if (c.proc.exitCode === null) c.proc.kill("SIGKILL");
    r?.node.stop();
    cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
