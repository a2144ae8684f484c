// `persia top` as a person runs it: a real node started with `persia run` (its status socket
// in a temporary --socket-dir), a Linux namespace on its VXLAN link pinging echo.sabz.city
// and sending pings too big for the link (Linux fragments them; the node drops fragments),
// and `persia top <node>` in an 80×24 tmux window. The screen must come to show the traffic
// as rates (the NIC's and echo's packets per second, FRAGMENT drops per second) in 24 lines
// of at most 80 columns; when the node stops, say since when and why, and keep going; when
// it is back, show it again; and on q exit 0 with the terminal put back. Needs root,
// iproute2, ping and tmux (tests/setup.js installs them).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../../hosts/node/paths";
import { missing, skipOrFail, vxlanNamespace, VxlanNs } from "./linux";
import { quitTop, shellWord, Tmux } from "../cli/tmux";
import { waitFor } from "../wait";

const skip = skipOrFail(missing(["ip", "ping", "tmux"]));
const CLI = path.join(ROOT, "build/ts/cli/cli.js");
const NAME = "top.sabz.city";
const ECHO = "fd00:5ab2:1::7";

function manifest(vx: VxlanNs): string {
  return `
node: { name: ${NAME}, role: server }
nics:
  - name: vx0
    kind: vxlan
    mac: "02:00:5a:b2:00:01"
    prefixes: ["fd00:5ab2:1::/64"]
    vxlan: { local: "[${vx.hostAddr}]:4789", remote: "[${vx.peerAddr}]:4789", vni: ${vx.vni} }
services:
  - { domain: echo.sabz.city, module: ${ROOT}/build/wasm/services/echo.wasm, addresses: ["${ECHO}"], ram: { min: 64KiB, max: 1MiB } }
`;
}

/** `persia run` as a command, until its status socket is there. */
async function run(yaml: string, dir: string): Promise<{ proc: ChildProcess; log: () => string }> {
  const proc = spawn(process.execPath, [CLI, "run", yaml, "--socket-dir", dir], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  proc.stderr!.on("data", (d) => (log += d));
  await waitFor(() => { if (proc.exitCode !== null) throw new Error(`persia run exited: ${log}`); return /is running/.test(log); },
    30000, () => `persia run to start:\n${log}`);
  return { proc, log: () => log };
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((resolve) => proc.on("exit", resolve));
  proc.kill("SIGTERM");
  await exited;
}

/** The first capture group of the first line of `screen` that `re` matches, as a number. */
function rate(screen: string[], re: RegExp): number {
  for (const line of screen) {
    const m = re.exec(line);
    if (m) return parseFloat(m[1]) * (m[1].endsWith("k") ? 1000 : 1);
  }
  return 0;
}

test("persia top shows a running node's traffic as rates in 80×24, outlives the node and quits on q", { skip, timeout: 120000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-top-e2e-"));
  const vx = vxlanNamespace(0x100 + (process.pid % 0xe00), 42, "fd00:5ab2:1::2/64");
  const yaml = path.join(dir, "node.yaml");
  fs.writeFileSync(yaml, manifest(vx));
  const tmux = new Tmux("top-e2e");
  const pings: ChildProcess[] = [];
  let node = await run(yaml, dir);
  try {
    tmux.start(`${shellWord(process.execPath)} ${shellWord(CLI)} top ${NAME} --socket-dir ${shellWord(dir)}; ` +
      `echo "top exited with $?"; stty -a; read line`);
    const ping = (...args: string[]) => pings.push(spawn("ip", ["netns", "exec", vx.ns, "ping", "-6", "-q", ...args, ECHO], { stdio: "ignore" }));
    ping("-i", "0.2", "-c", "300");
    ping("-i", "0.3", "-c", "200", "-s", "3000");          // fragmented by Linux, dropped by the node
    let screen: string[] = [];
    await waitFor(() => {
      screen = tmux.screen();
      return screen.some((l) => /^NIC +KIND +RX PKT\/S/.test(l)) && rate(screen, /^vx0 +vxlan +(\S+)/) > 0 && rate(screen, /^echo\.sabz\.city +running +(\S+)/) > 0 &&
        rate(screen, /^ +(\S+) +FRAGMENT +fragment \(never reassembled\)$/) > 0;
    }, 30000, () => `the screen to show rx packets/s on the NIC and echo.sabz.city, and FRAGMENT drops/s:\n${screen.join("\n")}\n${node.log()}`);
    assert.equal(tmux.pane("#{pane_width}x#{pane_height}"), "80x24");
    assert.equal(screen.length, 24);
    assert.ok(screen.every((l) => [...l].length <= 80));
    assert.match(screen[0], /^top\.sabz\.city \(server\) +up \d+:\d\d:\d\d +every 1 s +rx \S+ tx \S+ drops \S+ pkt\/s$/);
    assert.match(screen[screen.length - 1] + screen.join("\n"), /\nq quit +updated \d\d:\d\d:\d\d/);
    assert.equal(tmux.pane("#{alternate_on}"), "1");

    await stop(node.proc);
    await waitFor(() => (screen = tmux.screen()).some((l) => l.startsWith("node not answering since ")), 10000,
      () => `top to say the node is not answering:\n${screen.join("\n")}`);
    assert.match(screen.join(" "), /cannot read the status from .*top\.sabz\.city\.sock/);
    assert.equal(tmux.pane("#{pane_dead}"), "0", "top goes on");
    node = await run(yaml, dir);
    await waitFor(() => !(screen = tmux.screen()).some((l) => l.startsWith("node not answering")), 10000,
      () => `top to show the node again:\n${screen.join("\n")}`);

    await quitTop(tmux);
    tmux.keys("Enter");
    await waitFor(() => tmux.pane("#{pane_dead}") === "1", 10000, "the pane's shell to end");
  } finally {
    for (const p of pings) p.kill();
    tmux.close();
    await stop(node.proc);
    vx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
