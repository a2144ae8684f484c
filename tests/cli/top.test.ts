// `persia top --from` run in an 80×24 tmux window, as a person would, while this test writes
// a node's status lines into the file over time (what a wasmtime image with --status-every
// writes): the node runs here on a virtual link with a clock the test moves one second per
// step, a peer pings echo.sabz.city five times and sends two IPv4 frames per step, and the
// screen must come to show exactly those rates (per second of kernel time), that the file
// has gone quiet once the test stops writing, and on q exit 0 with the terminal put back
// (main screen, cursor shown, not raw: the pane's shell prints `stty -a` after it). When stdout is not a terminal, top prints plain
// frames without escape codes until SIGTERM.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IMG_STATUS_PREFIX } from "../../abi/image";
import { ETHERTYPE_IPV4 } from "../../wire/layout/ethernet";
import { launch } from "../../hosts/node/launch";
import { ROOT } from "../../hosts/node/paths";
import { parseManifest } from "../../loader/manifest";
import { parseAddr, parseMac } from "../../loader/ip6";
import { Peer } from "../../cli/peer/peer";
import * as P from "../../cli/peer/packets";
import { waitFor } from "../wait";
import { quitTop, shellWord, Tmux, tmuxOrSkip } from "./tmux";

const skip = tmuxOrSkip();
const CLI = path.join(ROOT, "build/ts/cli/cli.js");
const NODE_MAC = parseMac("02:00:00:00:00:01");
const PEER_MAC = parseMac("02:00:00:00:00:99");
const PEER = parseAddr("fd00:5ab2:1::100");
const ECHO = parseAddr("fd00:5ab2:1::7");
const PINGS = 5;        // per step (one second of kernel time)
const IPV4 = 2;         // IPv4 frames per step, dropped as ETHERTYPE_IPV4

const MANIFEST = `
node: { name: from.sabz.city, role: server }
nics:
  - { name: v0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"] }
services:
  - { domain: echo.sabz.city, module: build/wasm/services/echo.wasm, addresses: ["fd00:5ab2:1::7"], ram: { min: 64KiB, max: 1MiB } }
`;

/** A node whose kernel time moves only when `step` moves it, writing its status to `out`. */
async function steppedNode(out: string) {
  const clock = { now: 1000n };
  const { node, peers } = await launch(parseManifest(MANIFEST, "top.yaml", ROOT), { clock: () => clock.now, log: () => {} });
  const peer = new Peer(peers.get(0)!, PEER_MAC, PEER);
  let steps = 0;
  const write = () => {
    const line = `${IMG_STATUS_PREFIX}${Buffer.from(node.kernel.status()).toString("base64")}\n`;
    fs.appendFileSync(out, line.slice(0, 100));      // a line may arrive in pieces
    fs.appendFileSync(out, line.slice(100));
  };
  const step = async () => {
    clock.now += 1000n;
    steps++;
    for (let i = 0; i < PINGS; i++) peer.sendIp(NODE_MAC, P.echoRequest(PEER, ECHO, 0x70b, steps * PINGS + i, Buffer.from("top")));
    for (let i = 0; i < IPV4; i++) peer.send(P.ether(NODE_MAC, PEER_MAC, ETHERTYPE_IPV4, new Uint8Array(40)));
    await waitFor(() => {
      const s = node.status();
      return s.services[0].rxPackets === 1 + steps * PINGS && s.drops.ETHERTYPE_IPV4 === steps * IPV4;
    }, 10000, `step ${steps}'s frames to reach the kernel`);
    node.poll();
    write();
  };
  // One ping first, so the node knows the peer's MAC before the first line: the replies of
  // the first step would otherwise wait on neighbor discovery, all but one dropped.
  peer.sendIp(NODE_MAC, P.echoRequest(PEER, ECHO, 0x70b, 0, Buffer.from("hello")));
  assert.ok(await peer.expect((p) => p.icmpType === P.ICMP.ECHO_REP, 5000), "echo.sabz.city answers a first ping");
  const s = node.status();
  assert.deepEqual([s.services[0].rxPackets, Object.values(s.drops).reduce((a, n) => a + n, 0)], [1, 0]);
  write();
  return { node, step };
}

/** The numbers in the row of `screen` that `row` matches, from its first capture group on. */
function row(screen: string[], re: RegExp): string[] | null {
  for (const line of screen) {
    const m = re.exec(line);
    if (m) return m.slice(1);
  }
  return null;
}

test("persia top --from follows a growing output file in 80×24 and quits on q", { skip, timeout: 90000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-top-"));
  const out = path.join(dir, "node.out");
  fs.writeFileSync(out, "");
  const tmux = new Tmux("top-from");
  const { node, step } = await steppedNode(out);
  try {
    tmux.start(`${shellWord(process.execPath)} ${shellWord(CLI)} top --from ${shellWord(out)} --interval 0.2; ` +
      `echo "top exited with $?"; stty -a; read line`);
    assert.equal(tmux.pane("#{pane_width}x#{pane_height}"), "80x24");
    let screen: string[] = [];
    const shows = () => {
      screen = tmux.screen();
      const svc = row(screen, /^echo\.sabz\.city +running +(\S+) +(\S+)/);
      const nic = row(screen, /^ +0 +virtual +(\S+)/);
      const drop = row(screen, /^ +(\S+) +ETHERTYPE_IPV4 +IPv4 \(no IPv4 path, by design\)$/);
      const perSecond = screen.some((l) => /^NIC +KIND +RX PKT\/S/.test(l));
      return perSecond && svc?.[0] === String(PINGS) && svc[1] === String(PINGS) && drop?.[0] === String(IPV4) && Number(nic?.[0]) >= PINGS + IPV4;
    };
    await waitFor(async () => { await step(); return shows(); }, 60000,
      () => `the screen to show ${PINGS} packets/s for echo.sabz.city and ${IPV4} IPv4 drops/s:\n${screen.join("\n")}`);
    assert.equal(screen.length, 24);
    assert.ok(screen.every((l) => [...l].length <= 80));
    assert.match(screen[0], /^node\.out \(server\) +up \d+:\d\d:\d\d +every 0\.2 s +rx \S+ tx \S+ drops 2 pkt\/s$/);
    assert.match(screen.join("\n"), /\nq quit +updated \d\d:\d\d:\d\d/);
    assert.deepEqual([tmux.pane("#{alternate_on}"), tmux.pane("#{cursor_flag}")], ["1", "0"], "alternate screen, cursor hidden");

    tmux.resize(60, 15);
    assert.equal(tmux.pane("#{pane_width}x#{pane_height}"), "60x15");
    await waitFor(() => {
      screen = tmux.screen();
      return /^node\.out \(server\) /.test(screen[0]) && screen.some((l) => /^NIC +RX PKT\/S/.test(l)) &&
        screen.some((l) => /^q quit {30,}updated/.test(l));
    }, 10000, () => `top to draw for 60×15 at once, from the top line to the footer:\n${screen.join("\n")}`);
    tmux.resize(80, 24);

    await waitFor(() => (screen = tmux.screen()).some((l) => l.startsWith(`no new status line in ${out} since`)), 10000,
      () => `top to say the file went quiet:\n${screen.join("\n")}`);
    assert.equal(tmux.pane("#{pane_dead}"), "0", "top goes on");

    const text = await quitTop(tmux);
    assert.ok(!text.includes("echo.sabz.city"), "the main screen does not keep top's frames");
    tmux.keys("Enter");
    await waitFor(() => tmux.pane("#{pane_dead}") === "1", 10000, "the pane's shell to end");
  } finally {
    tmux.close();
    node.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("with stdout not a terminal, top prints plain frames until SIGTERM", { timeout: 30000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-top-"));
  const out = path.join(dir, "node.out");
  fs.writeFileSync(out, "");
  const { node, step } = await steppedNode(out);
  const child = spawn(process.execPath, [CLI, "top", "--from", out, "--interval", "0.1"], { stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout.on("data", (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    await waitFor(async () => { await step(); return (text.match(/^echo\.sabz\.city +running +5 /gm) ?? []).length >= 2; },
      20000, () => `two frames with rates:\n${text.slice(-2000)}`);
    child.kill("SIGTERM");
    assert.equal(await exited, 128 + 15);
    assert.ok(!text.includes("\x1b"), "no escape codes");
    const frames = text.split("\n\n").filter((f) => f !== "");
    assert.ok(frames.length >= 2, text);
    assert.ok(frames.every((f) => /^node\.out /.test(f)), "each frame starts with its header");
    assert.ok(frames.every((f) => !/q quit/.test(f)), "no keys are read");
  } finally {
    child.kill("SIGKILL");
    node.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a missing file is said on the screen, a resize redraws at once, and Ctrl-C and SIGTERM put the terminal back", { skip, timeout: 60000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-top-"));
  const out = path.join(dir, "not-yet.out");
  for (const [how, status] of [["Ctrl-C", 0], ["SIGTERM", 128 + 15]] as const) {
    const tmux = new Tmux(`top-${how}`);
    try {
      tmux.start(`${shellWord(process.execPath)} ${shellWord(CLI)} top --from ${shellWord(out)} --interval 3600; ` +
        `echo "top exited with $?"; read line`);
      let screen: string[] = [];
      await waitFor(() => (screen = tmux.screen()).join(" ").includes(`cannot read ${out}: there is no such file (yet)`), 10000,
        () => `top to say the file is missing:\n${screen.join("\n")}`);
      assert.match(screen[1], /^output not readable since \d\d:\d\d:\d\d: cannot read$/);
      tmux.resize(40, 10);
      await waitFor(() => (screen = tmux.screen())[0] === "not-yet.out  every 3600 s  waiting for …", 5000,
        () => `top to draw again for 40 columns at once, not an hour later:\n${screen.join("\n")}`);
      if (how === "Ctrl-C") tmux.keys("C-c");
      else process.kill(Number(spawnSync("ps", ["-o", "pid=", "--ppid", tmux.pane("#{pane_pid}")], { encoding: "utf8" }).stdout.trim()), "SIGTERM");
      await waitFor(() => tmux.screen(true).some((l) => l.startsWith("top exited")), 10000, `top to exit on ${how}`);
      assert.ok(tmux.screen(true).includes(`top exited with ${status}`), tmux.screen(true).join("\n"));
      assert.deepEqual([tmux.pane("#{alternate_on}"), tmux.pane("#{cursor_flag}")], ["0", "1"], `${how}: main screen, cursor shown`);
    } finally {
      tmux.close();
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});
