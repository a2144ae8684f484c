// A real Prometheus scrapes a node (spec/observe.md, "Metrics over HTTP"), everything run
// as a person runs it: `persia run node.yaml --metrics [::1]:0 --log-format json` as a
// command (the flag wins over the manifest's observe.metrics, an address this machine does
// not have), a VXLAN NIC on the loopback whose far end is this test (a traffic peer over a
// VxlanNic), and Debian's prometheus started with a scrape config for the node's address.
// `promtool check metrics` passes on what the node serves; once Prometheus has scraped the
// counters before any traffic, the test pings echo and crashes a trapping service, and
// Prometheus's HTTP API must show echo's received packets and the NIC's received frames
// grown by exactly what the test sent, and the trap counted once. Every line the node
// printed is a JSON object with time, level, domain, origin and fields; the trap's names
// its service. Needs prometheus and promtool (tests/setup.js); no root.
import { test } from "node:test";
import * as assert from "node:assert/strict";
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
import { persiaRun } from "./persia_run";
import { Prometheus, promtoolProblems, toolsOrSkip } from "./prometheus";

const skip = toolsOrSkip(["prometheus", "promtool"]);
const wasm = path.join(ROOT, "build/wasm");
const ECHO = parseAddr("fd00:5ab2:1::7");
const TRAP = parseAddr("fd00:5ab2:1::b");
const ME = parseAddr("fd00:5ab2:1::2");
const MY_MAC = parseMac("02:00:00:00:00:02");
const PINGS = 5;

function manifest(nodePort: number, peerPort: number): string {
  return `
node: { name: prom.sabz.city, role: server }
nics:
  - { name: vx0, kind: vxlan, mac: "02:00:5a:b2:00:01", prefixes: ["fd00:5ab2:1::/64"],
      vxlan: { local: "[::1]:${nodePort}", remote: "[::1]:${peerPort}", vni: 42 } }
services:
  - { domain: echo.sabz.city, module: ${wasm}/services/echo.wasm, addresses: ["fd00:5ab2:1::7"], ram: { min: 64KiB, max: 1MiB } }
  - { domain: trap.sabz.city, module: ${wasm}/tests/trap.wasm, addresses: ["fd00:5ab2:1::b"], ram: { min: 64KiB, max: 1MiB } }
observe: { metrics: "[fd00:dead::1]:9464" }
`;
}

/** `persia run … --metrics [::1]:0 --log-format json`; resolves once it prints its metrics URL. */
async function runNode(file: string, dir: string) {
  const node = await persiaRun([file, "--socket-dir", dir, "--metrics", "[::1]:0", "--log-format", "json"],
    /"message":"metrics of prom\.sabz\.city: (http:\/\/\S+?)\/metrics"/, "its metrics address");
  return { url: node.found, stderr: node.stderr, stop: node.stop };
}

test("a real Prometheus scrapes `persia run --metrics` and sees the counters the test's traffic moved", { skip, timeout: 120000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-prom-"));
  let node: Awaited<ReturnType<typeof runNode>> | null = null;
  let prom: Prometheus | null = null;
  let peer: Peer | null = null;
  try {
    const [nodePort] = await freePorts(1);
    const nic = await VxlanNic.open({ id: 0, vni: 42, local: { address: "::1", port: 0 }, remote: { address: "::1", port: nodePort } });
    peer = new Peer(nic, MY_MAC, ME);
    let sent = 0;   // every frame the peer sends, its answers to the node's solicitations included
    const send = peer.send.bind(peer);
    peer.send = (frame) => { sent++; send(frame); };
    fs.writeFileSync(path.join(dir, "node.yaml"), manifest(nodePort, nic.local.port));
    node = await runNode(path.join(dir, "node.yaml"), dir);

    await t.test("promtool check metrics passes on what the node serves", async () => {
      const res = await fetch(`${node!.url}/metrics`);
      assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
      const text = await res.text();
      assert.equal(promtoolProblems(text), "");
      assert.match(text, /\npersia_nic_rx_frames_total\{nic="0",name="vx0"\} 0\n/, "nothing received yet");
    });

    prom = await Prometheus.start(new URL(node.url).host);
    const echo = 'persia_service_rx_packets_total{domain="echo.sabz.city"}';
    const nicRx = 'persia_nic_rx_frames_total{name="vx0"}';
    const grown = (series: string) => `max_over_time(${series}[10m]) - min_over_time(${series}[10m])`;

    await t.test("Prometheus scrapes the node before any traffic", async () => {
      await prom!.until('up{job="persia"}', (v) => v === 1, "a successful scrape");
      assert.equal(await prom!.until(echo, () => true, "echo's counter in Prometheus"), 0);
      assert.equal(await prom!.until(nicRx, () => true, "the NIC's counter in Prometheus"), 0);
    });

    await t.test("echo's and the NIC's counters grow in Prometheus by exactly what the test sent", async () => {
      for (let seq = 1; seq <= PINGS; seq++) {
        peer!.sendIp(parseMac("02:00:5a:b2:00:01"), P.echoRequest(ME, ECHO, 0x5ab2, seq, Buffer.from("scraped")));
        assert.ok(await peer!.expect((p) => p.icmpType === P.ICMP.ECHO_REP && (p.icmpWord! & 0xffff) === seq, 5000), `echo reply ${seq}`);
      }
      assert.equal(await prom!.until(grown(echo), (v) => v === PINGS, `echo's ${PINGS} packets`), PINGS);
      assert.equal(await prom!.until(grown(nicRx), (v) => v === sent, `the ${sent} frames the peer sent`), sent);
      assert.equal((await prom!.query(`rate(${echo}[10m]) > 0`)).length, 1, "rate() works on the counter");
    });

    await t.test("a crashed service shows in its own series", async () => {
      peer!.sendIp(parseMac("02:00:5a:b2:00:01"), P.udp(ME, TRAP, 40002, 9, Buffer.from("crash")));
      await prom!.until('persia_service_faults_total{domain="trap.sabz.city"}', (v) => v === 1, "the trap counted once");
      assert.equal((await prom!.query('persia_service_faults_total{domain="echo.sabz.city"}'))[0].value, 0, "echo has no fault");
    });

    await t.test("every line the node printed is a JSON log entry; the trap's names its service", async () => {
      const lines = node!.stderr().trimEnd().split("\n").map((l) => JSON.parse(l));
      for (const l of lines) {
        assert.deepEqual(Object.keys(l), ["time", "level", "domain", "origin", "message", "fields"], JSON.stringify(l));
        assert.ok(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(l.time) && ["error", "warn", "info", "debug"].includes(l.level));
        assert.equal(l.fields.node, "prom.sabz.city");
      }
      const trap = await waitFor(() => node!.stderr().trimEnd().split("\n").map((l) => JSON.parse(l))
        .find((l) => l.domain === "trap.sabz.city" && l.origin === "host" && l.level === "warn"), 5000, "the host's line on the trap");
      assert.deepEqual(trap.fields, { node: "prom.sabz.city", service: 1 });
      assert.match(trap.message, /^service 1 \(trap\.sabz\.city\) /);
      assert.ok(lines.some((l) => /is running/.test(l.message) && l.domain === "prom.sabz.city"), "the CLI's own notes too");
    });
  } finally {
    peer?.close();
    await prom?.stop();
    await node?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
