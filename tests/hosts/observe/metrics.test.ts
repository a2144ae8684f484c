// The metrics view of a running node (hosts/node/observe/metrics.ts, observe.ts): a node
// launched in this process with a virtual NIC, observed and served on a free loopback port.
// /metrics answers the Prometheus content type with the node's persia_* metrics, named as
// its manifest names them, and the Node process's own; `promtool check metrics` passes on
// it; pings to echo move its counters by exactly their number within a watch tick, and
// scraping again does not move them. An
// Observed with no status yet answers 503 and HEAD gets the headers only.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { launch, Launched } from "../../../hosts/node/launch";
import { ROOT } from "../../../hosts/node/paths";
import { parseManifest } from "../../../loader/manifest";
import { parseAddr, parseMac } from "../../../loader/ip6";
import { Observed } from "../../../hosts/node/observe/observed";
import { observe, Observing, serveViews } from "../../../hosts/node/observe/observe";
import { Peer } from "../../../cli/peer/peer";
import * as P from "../../../cli/peer/packets";
import { promtoolProblems, toolsOrSkip } from "../../e2e/prometheus";
import { waitFor } from "../../wait";

const wasm = path.join(ROOT, "build/wasm/services");
const skip = fs.existsSync(path.join(wasm, "echo.wasm")) ? false : "build/wasm is not built (npm run build)";
const promtool = toolsOrSkip(["promtool"]);
const NODE_MAC = parseMac("02:00:5a:b2:00:01");
const ECHO = parseAddr("fd00:5ab2:1::7");

const MANIFEST = `
node: { name: obs.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:5a:b2:00:01", prefixes: ["fd00:5ab2:1::/64"] }
services:
  - { domain: echo.sabz.city, module: ${wasm}/echo.wasm, addresses: ["fd00:5ab2:1::7"], ram: { min: 64KiB, max: 1MiB } }
`;

async function running(): Promise<{ launched: Launched; served: Observing; peer: Peer; scrape: () => Promise<string> }> {
  const launched = await launch(parseManifest(MANIFEST, "obs.yaml", ROOT), { log: () => {} });
  const served = await observe(launched.node, new Observed("obs.sabz.city"), "[::1]:0", { metrics: true });
  const peer = new Peer(launched.peers.get(0)!, parseMac("02:00:00:00:00:02"), parseAddr("fd00:5ab2:1::2"));
  const scrape = async () => {
    const res = await fetch(`${served.url}/metrics`);
    assert.equal(res.status, 200);
    return res.text();
  };
  return { launched, served, peer, scrape };
}

test("a running node's /metrics has its persia_* metrics under its manifest's names and the Node process's", { skip }, async () => {
  const { launched, served, scrape } = await running();
  try {
    const res = await fetch(`${served.url}/metrics`);
    assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    assert.match(text, /\npersia_node_info\{node="obs\.sabz\.city",role="server"\} 1\n/);
    assert.match(text, /\npersia_nic_info\{nic="0",name="lan0",kind="virtual",mac="02:00:5a:b2:00:01"\} 1\n/);
    assert.match(text, /\npersia_service_up\{domain="echo\.sabz\.city",id="0"\} 1\n/);
    assert.match(text, /\npersia_service_memory_max_bytes\{domain="echo\.sabz\.city",id="0"\} 1048576\n/);
    assert.match(text, /\npersia_kernel_time_seconds \d+(\.\d+)?\n/);
    assert.match(text, /\npersia_status_read_time_seconds \d{10}(\.\d+)?\n/);
    assert.match(text, /\n# TYPE process_cpu_seconds_total counter\n/, "the Node process's own metrics");
    assert.match(text, /\nnodejs_eventloop_lag_seconds /);
    assert.doesNotMatch(text, /nodejs_active_handles_total/, "prom-client's gauge misnamed as a counter is left out");
    assert.match(await scrape(), /persia_nic_rx_frames_total/, "a second scrape works as the first");
  } finally {
    served.close();
    launched.node.stop();
  }
});

test("promtool check metrics passes on a real node's /metrics", { skip: skip || promtool }, async () => {
  const { launched, served, scrape } = await running();
  try {
    assert.equal(promtoolProblems(await scrape()), "");
  } finally {
    served.close();
    launched.node.stop();
  }
});

test("pings to echo move its counters and the NIC's by exactly their number", { skip }, async () => {
  const { launched, served, peer, scrape } = await running();
  const value = (text: string, series: string) => Number(new RegExp(`\\n${series.replace(/[{}.]/g, "\\$&")} (\\d+)\\n`).exec(text)?.[1]);
  // Every frame the peer sends, its answers to the node's neighbor solicitations included.
  let sent = 0;
  const send = peer.send.bind(peer);
  peer.send = (frame) => { sent++; send(frame); };
  try {
    const rx = 'persia_service_rx_packets_total{domain="echo.sabz.city",id="0"}';
    const nicRx = 'persia_nic_rx_frames_total{nic="0",name="lan0"}';
    assert.equal(value(await scrape(), rx), 0);
    for (let i = 1; i <= 3; i++) {
      peer.sendIp(NODE_MAC, P.echoRequest(peer.addr, ECHO, 7, i, Buffer.from("metrics")));
      assert.ok(await peer.expect((p) => p.icmpType === P.ICMP.ECHO_REP && (p.icmpWord! & 0xffff) === i, 2000), `echo reply ${i}`);
    }
    let last = "";
    await waitFor(async () => { last = await scrape(); return value(last, rx) === 3 && value(last, nicRx) === sent; }, 5000,
      () => `the next status to show 3 packets for echo and the ${sent} frames the peer sent:\n${last}`);
    for (let i = 0; i < 3; i++) assert.equal(value(await scrape(), rx), 3, "each scrape shows the kernel's total, not a sum of scrapes");
  } finally {
    served.close();
    peer.close();
    launched.node.stop();
  }
});

test("before the first status /metrics answers 503 saying why; HEAD gets the headers only", async () => {
  const observed = new Observed("empty.sabz.city");
  const served = await serveViews(observed, "127.0.0.1:0", { metrics: true });
  try {
    const early = await fetch(`${served.url}/metrics`);
    assert.equal(early.status, 503);
    assert.match(await early.text(), /no status of empty\.sabz\.city yet/);
    const missing = await fetch(`${served.url}/nope`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /this node serves \/metrics/);
    const { decodeStatus } = await import("../../../loader/status/decode");
    const { SNAPSHOT } = await import("../../loader/status_fixture");
    observed.pushStatus(decodeStatus(SNAPSHOT));
    const head = await fetch(`${served.url}/metrics`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.ok(Number(head.headers.get("content-length")) > 1000);
    assert.equal(await head.text(), "");
    assert.doesNotMatch(await (await fetch(`${served.url}/metrics`)).text(), /process_cpu/, "no process metrics unless asked");
  } finally {
    served.close();
  }
});
