// The metrics of a wasmtime image (spec/observe.md, "Metrics over HTTP"), as a person gets
// them: the image runs under the real wasmtime CLI with its stdout redirected to a file
// (`wasmtime run … --status-every 200 > node.log`), `persia status image.sabz.city --from
// node.log --metrics [::1]:0` follows that file as it grows, and Debian's prometheus
// scrapes it. The test is the image's VXLAN peer on the loopback: once Prometheus has the
// counters before any traffic, it pings echo, and Prometheus must show echo's received
// packets and the NIC's received frames grown by exactly what it sent; `promtool check
// metrics` passes on what the follower serves. Needs wasmtime, prometheus and promtool
// (tests/setup.js); under CI=true their absence fails. The follower's --dashboard serves the
// image's services and rates too.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../../hosts/node/paths";
import { VxlanNic } from "../../hosts/node/nic/vxlan";
import { Peer } from "../../cli/peer/peer";
import * as P from "../../cli/peer/packets";
import { parseAddr, parseMac } from "../../loader/ip6";
import { freePorts } from "../ports";
import { waitFor } from "../wait";
import { imageOf, wasmtimeOrSkip } from "./wasmtime";
import { Prometheus, promtoolProblems, toolsOrSkip } from "./prometheus";
import type { DashboardSnapshot } from "../../hosts/node/observe/dashboard";

const wt = wasmtimeOrSkip();
const skip = wt.skip || toolsOrSkip(["prometheus", "promtool"]);
const VNI = 77;
const NODE_MAC = parseMac("02:00:00:00:00:01");
const ECHO = parseAddr("fd00:5ab2:1::7");
const ME = parseAddr("fd00:5ab2:1::100");
const PINGS = 4;

function manifest(nodePort: number, peerPort: number): string {
  return `
node: { name: image.sabz.city, role: server }
nics:
  - { name: vx0, kind: vxlan, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"], vxlan: { local: "[::1]:${nodePort}", remote: "[::1]:${peerPort}", vni: ${VNI} } }
services:
  - { domain: echo.sabz.city, module: build/wasm/services/echo.wasm, addresses: ["fd00:5ab2:1::7"], ram: { min: 64KiB, max: 1MiB } }
`;
}

/** Ends a child process and waits for it. */
async function end(proc: ChildProcess | null): Promise<void> {
  if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((r) => proc.once("exit", r));
  proc.kill("SIGTERM");
  await gone;
}

test("`persia status --from node.log --metrics` serves a running image's output to a real Prometheus", { skip, timeout: 120000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-image-metrics-"));
  const log = path.join(dir, "node.log");
  let image: ChildProcess | null = null;
  let follower: ChildProcess | null = null;
  let prom: Prometheus | null = null;
  let peer: Peer | null = null;
  let imageErr = "";
  try {
    const [nodePort] = await freePorts(1);
    const nic = await VxlanNic.open({ id: 0, vni: VNI, local: { address: "::1", port: 0 }, remote: { address: "::1", port: nodePort } });
    peer = new Peer(nic, parseMac("02:00:00:00:00:99"), ME);
    let sent = 0;   // every frame the peer sends, its answers to the node's solicitations included
    const send = peer.send.bind(peer);
    peer.send = (frame) => { sent++; send(frame); };
    const { flags } = await imageOf(manifest(nodePort, nic.local.port), path.join(dir, "node.wasm"));
    const out = fs.openSync(log, "w");
    image = spawn(wt.file, [...flags, path.join(dir, "node.wasm"), "--status-every", "200"], { stdio: ["ignore", out, "pipe"] });
    fs.closeSync(out);
    image.stderr!.on("data", (d) => (imageErr += d));

    follower = spawn(process.execPath, [path.join(ROOT, "build/ts/cli/cli.js"), "status", "image.sabz.city", "--from", log,
      "--metrics", "[::1]:0", "--dashboard"], { stdio: ["ignore", "ignore", "pipe"] });
    let followErr = "";
    follower.stderr!.on("data", (d) => (followErr += d));
    const url = await waitFor(() => {
      if (follower!.exitCode !== null) throw new Error(`persia status exited (${follower!.exitCode}):\n${followErr}`);
      return /metrics of image\.sabz\.city: (http:\/\/\S+)\/metrics/.exec(followErr)?.[1];
    }, 30000, () => `persia status to print its metrics address:\n${followErr}`);

    await t.test("the follower serves the image's status; promtool check metrics passes on it", async () => {
      let text = "";
      await waitFor(async () => {
        if (image!.exitCode !== null) throw new Error(`wasmtime exited (${image!.exitCode}):\n${imageErr}`);
        const res = await fetch(`${url}/metrics`);
        text = await res.text();
        return res.status === 200;
      }, 30000, () => `the image's first status line:\n${text}\n${imageErr}`);
      assert.equal(promtoolProblems(text), "");
      assert.match(text, /\npersia_node_info\{node="image\.sabz\.city",role="server"\} 1\n/);
      assert.match(text, /\npersia_host_nic_events_total\{nic="0",backend="wasi-vxlan",event="rx_frames"\} 0\n/, "the host's own counters");
      assert.match(text, /\npersia_service_memory_bytes\{domain="echo\.sabz\.city",id="0"\} \d+\n/);
      assert.doesNotMatch(text, /process_cpu/, "the follower's process is not the node");
    });

    prom = await Prometheus.start(new URL(url).host);
    const echo = 'persia_service_rx_packets_total{domain="echo.sabz.city"}';
    const nicRx = 'persia_nic_rx_frames_total{nic="0"}';
    const grown = (series: string) => `max_over_time(${series}[10m]) - min_over_time(${series}[10m])`;

    await t.test("Prometheus has the counters before any traffic", async () => {
      assert.equal(await prom!.until(echo, () => true, "echo's counter in Prometheus"), 0);
      assert.equal(await prom!.until(nicRx, () => true, "the NIC's counter in Prometheus"), 0);
    });

    await t.test("echo's and the NIC's counters grow in Prometheus by exactly what the test sent", async () => {
      for (let seq = 1; seq <= PINGS; seq++) {
        peer!.sendIp(NODE_MAC, P.echoRequest(ME, ECHO, 0x4242, seq, Buffer.from("over wasmtime")));
        assert.ok(await peer!.expect((p) => p.icmpType === P.ICMP.ECHO_REP && (p.icmpWord! & 0xffff) === seq, 5000), `echo reply ${seq}\n${imageErr}`);
      }
      assert.equal(await prom!.until(grown(echo), (v) => v === PINGS, `echo's ${PINGS} packets`), PINGS);
      assert.equal(await prom!.until(grown(nicRx), (v) => v === sent, `the ${sent} frames the peer sent`), sent);
    });

    await t.test("the follower's dashboard shows the image's services and the NIC's rate", async () => {
      const page = await fetch(`${url}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<html/i);
      const snap = await (await fetch(`${url}/api/snapshot`)).json() as DashboardSnapshot;
      assert.equal(snap.node, "image.sabz.city");
      assert.deepEqual(snap.status!.services.map((v) => v.name), ["echo.sabz.city"]);
      assert.ok(snap.history.some((p) => p.nics[0].rxPackets > 0), "a step of the NIC's chart saw the pings");
    });
  } finally {
    peer?.close();
    await prom?.stop();
    await end(follower);
    await end(image);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
