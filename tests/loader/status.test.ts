// Decoding the kernel's status snapshot from bytes written out by hand per abi/status.ts
// (status_fixture.ts), then printing it: the decoded object, the admin's text tables, and
// Prometheus metrics (exact values for a known status, and `promtool check metrics` clean).
// Also: an unknown record type is skipped, and a snapshot that breaks the layout (magic,
// version, a record past the end, a short record) is an error that says which.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { Drop } from "../../abi/drop";
import { decodeStatus, formatStatus, Status } from "../../loader/status/decode";
import { metricsText } from "../../loader/status/metrics";
import { ROOT } from "../../hosts/node/paths";
import { promtoolProblems, toolsOrSkip } from "../e2e/prometheus";
import { SNAPSHOT } from "./status_fixture";

test("decodeStatus reads every record into a plain object", () => {
  const s = decodeStatus(SNAPSHOT);
  assert.deepEqual(s.node, { nowMs: 12345, role: "ROUTER", services: 1, nics: 1, routes: 2, neighbors: 1, freeBuffers: 250, icmpErrorsSent: 3,
    controlAccepted: 4, controlRefused: 1, signedModules: false });
  assert.equal(Object.keys(s.drops).length, Drop.COUNT);
  assert.equal(s.drops.NO_ROUTE, 5);
  assert.equal(s.drops.ETHERTYPE_IPV4, 2);
  assert.equal(s.drops.FRAME_SHORT, 0);
  assert.deepEqual(s.nics, [{ id: 0, kind: "VXLAN", mtu: 1500, mac: "02:00:5a:b2:00:01", txQueue: 2,
    rxFrames: 10, rxBytes: 1000, txFrames: 9, txBytes: 900, txErrors: 1, raSent: 4 }]);
  assert.deepEqual(s.services, [{ id: 1, name: "echo.sabz.city", state: "RUNNING", lastFault: "TRAP", restarts: 2,
    queue: 0, rxPackets: 7, txPackets: 6, faults: 2, sendRefused: 1, fuel: 1234567 }]);
  assert.deepEqual(s.routes, [
    { kind: "SERVICE", prefix: "fd00:5ab2:1::7/128", length: 128, nic: 0, service: 1, via: "::" },
    { kind: "STATIC", prefix: "::/0", length: 0, nic: 0, service: 255, via: "fe80::1" },
  ]);
  assert.deepEqual(s.neighbors, [{ nic: 0, state: "REACHABLE", mac: "02:00:00:00:00:99", address: "fe80::1" }]);
  assert.deepEqual(s.usb, [{ id: 0, present: true, holder: 1, device: "46f4:0001", inflight: 2, transfers: 100, errors: 3,
    late: 1, refused: 2, coalesced: 0 }]);
  assert.doesNotThrow(() => JSON.stringify(s));
});

test("formatStatus prints tables an admin reads, with drop reasons explained", () => {
  const text = formatStatus(decodeStatus(SNAPSHOT));
  assert.match(text, /^node: router, kernel time 12\.345 s, 1 services, 1 NICs, 2 routes/);
  assert.match(text, /control messages: 4 acted on, 1 refused\n/);
  assert.match(text, /\n +0 +vxlan +1500 +02:00:5a:b2:00:01 +10 +1000 +9 +900 +1 +2 +4\n/);
  assert.match(text, /echo\.sabz\.city {2}running .* 1234567 {2}- +trapped\n/);
  assert.match(text, /fd00:5ab2:1::7\/128 +service +- +- +echo\.sabz\.city/);
  assert.match(text, /::\/0 +static +fe80::1 +0/);
  assert.match(text, /fe80::1 +02:00:00:00:00:99 +0 +reachable/);
  assert.match(text, /Drops \(7 packets\)\n.*\n +5 +NO_ROUTE +no route to destination\n +2 +ETHERTYPE_IPV4 +IPv4/);
  assert.doesNotMatch(text, /FRAME_SHORT/, "zero counters are left out");
  assert.match(text, /USB devices\n +USB +PRESENT +DEVICE +HOLDER .*\n +0 +yes +46f4:0001 +echo\.sabz\.city +2 +100 +3 +1 +2\n/);
});

test("formatStatus and the metrics say how many routes and neighbors the snapshot left out", async () => {
  const s = decodeStatus(SNAPSHOT);
  s.node!.routes = 100_385;                        // a full table: the snapshot holds 2 of them
  s.node!.neighbors = 16_384;
  const text = formatStatus(s);
  assert.match(text, /^node: router, kernel time 12\.345 s, 1 services, 1 NICs, 100385 routes \(2 shown\), 16384 neighbors \(1 shown\),/);
  assert.match(text, /\nRoutes: 100385 routes \(2 shown\)\n/);
  assert.match(text, /\nNeighbors: 16384 neighbors \(1 shown\)\n/);
  const metrics = await metricsText(s);
  assert.match(metrics, /\npersia_route_entries 100385\n/);
  assert.match(metrics, /\npersia_neighbor_entries 16384\n/);
});

/** The fixture's status as the Node host completes it: names, host counters, memory, an
 *  egress class of the kernel and one of echo with rates, and echo's grant. */
function fullStatus(): Status {
  const s = decodeStatus(SNAPSHOT);
  s.host = { name: "gw.sabz.city", nics: [{ id: 0, name: "vx0", backend: "vxlan", counters: { rx_frames: 11, drop_short: 1 } }] };
  s.services[0].ramPages = 2;
  s.classes = [
    { nic: 0, class: "kernel", queue: 0, minBits: 0, maxBits: 0, bytes: 300, drops: 0 },
    { nic: 0, class: 1, queue: 1, minBits: 8_000_000, maxBits: 80_000_000, bytes: 600, drops: 2 },
  ];
  s.grants = [{ service: 1, cpuMinPermille: 100, cpuMaxPermille: 0, cpuUsed: 5, ramMinPages: 1, ramMaxPages: 16, disks: [] }];
  s.filters = { active: 3, holders: 1, installed: 9, refreshed: 1, expired: 4, removed: 2, refused: 5, relayed: 6, relaysIn: 7 };
  return s;
}

/** Every sample line but the drops (one per reason, checked on their own), in order. */
const EXPECTED_SAMPLES = `
persia_node_info{node="gw.sabz.city",role="router"} 1
persia_kernel_time_seconds 12.345
persia_kernel_free_buffers 250
persia_routes{kind="service"} 1
persia_routes{kind="static"} 1
persia_route_entries 2
persia_neighbors{nic="0",name="vx0",state="reachable"} 1
persia_neighbor_entries 1
persia_icmp_errors_sent_total 3
persia_control_messages_total{result="accepted"} 4
persia_control_messages_total{result="refused"} 1
persia_nic_info{nic="0",name="vx0",kind="vxlan",mac="02:00:5a:b2:00:01"} 1
persia_nic_mtu_bytes{nic="0",name="vx0"} 1500
persia_nic_rx_frames_total{nic="0",name="vx0"} 10
persia_nic_rx_bytes_total{nic="0",name="vx0"} 1000
persia_nic_tx_frames_total{nic="0",name="vx0"} 9
persia_nic_tx_bytes_total{nic="0",name="vx0"} 900
persia_nic_send_errors_total{nic="0",name="vx0"} 1
persia_nic_router_advertisements_total{nic="0",name="vx0"} 4
persia_nic_tx_queue_frames{nic="0",name="vx0"} 2
persia_host_nic_events_total{nic="0",name="vx0",backend="vxlan",event="rx_frames"} 11
persia_host_nic_events_total{nic="0",name="vx0",backend="vxlan",event="drop_short"} 1
persia_service_up{domain="echo.sabz.city",id="1"} 1
persia_service_state{domain="echo.sabz.city",id="1",state="running"} 1
persia_service_state{domain="echo.sabz.city",id="1",state="restarting"} 0
persia_service_state{domain="echo.sabz.city",id="1",state="failed"} 0
persia_service_rx_packets_total{domain="echo.sabz.city",id="1"} 7
persia_service_tx_packets_total{domain="echo.sabz.city",id="1"} 6
persia_service_send_refused_total{domain="echo.sabz.city",id="1"} 1
persia_service_rx_queue_packets{domain="echo.sabz.city",id="1"} 0
persia_service_faults_total{domain="echo.sabz.city",id="1"} 2
persia_service_restarts_total{domain="echo.sabz.city",id="1"} 2
persia_service_fuel_total{domain="echo.sabz.city",id="1"} 1234567
persia_service_memory_bytes{domain="echo.sabz.city",id="1"} 131072
persia_service_memory_min_bytes{domain="echo.sabz.city",id="1"} 65536
persia_service_memory_max_bytes{domain="echo.sabz.city",id="1"} 1048576
persia_service_cpu_min_ratio{domain="echo.sabz.city",id="1"} 0.1
persia_service_cpu_max_ratio{domain="echo.sabz.city",id="1"} 1
persia_egress_bytes_total{nic="0",name="vx0",class="kernel"} 300
persia_egress_bytes_total{nic="0",name="vx0",class="echo.sabz.city"} 600
persia_egress_drops_total{nic="0",name="vx0",class="kernel"} 0
persia_egress_drops_total{nic="0",name="vx0",class="echo.sabz.city"} 2
persia_egress_queue_frames{nic="0",name="vx0",class="kernel"} 0
persia_egress_queue_frames{nic="0",name="vx0",class="echo.sabz.city"} 1
persia_egress_min_bytes_per_second{nic="0",name="vx0",class="kernel"} 0
persia_egress_min_bytes_per_second{nic="0",name="vx0",class="echo.sabz.city"} 1000000
persia_egress_max_bytes_per_second{nic="0",name="vx0",class="kernel"} +Inf
persia_egress_max_bytes_per_second{nic="0",name="vx0",class="echo.sabz.city"} 10000000
persia_block_filters 3
persia_block_filters_installed_total 9
persia_block_filters_expired_total 4
persia_block_filters_removed_total 2
persia_block_requests_refused_total 5
persia_block_relays_sent_total 6
persia_block_relays_accepted_total 7
persia_usb_present{usb="0",domain="echo.sabz.city"} 1
persia_usb_inflight{usb="0",domain="echo.sabz.city"} 2
persia_usb_transfers_total{usb="0",domain="echo.sabz.city"} 100
persia_usb_transfer_errors_total{usb="0",domain="echo.sabz.city"} 3
persia_usb_late_completions_total{usb="0",domain="echo.sabz.city"} 1
persia_usb_attaches_refused_total{usb="0",domain="echo.sabz.city"} 2
persia_usb_plug_events_dropped_total{usb="0",domain="echo.sabz.city"} 0
`.trim().split("\n");

test("metricsText gives every counter of a known status its exact value, in seconds and bytes", async () => {
  const lines = (await metricsText(fullStatus())).trimEnd().split("\n");
  const samples = lines.filter((l) => l !== "" && !l.startsWith("#"));
  assert.deepEqual(samples.filter((l) => !l.startsWith("persia_drops_total")), EXPECTED_SAMPLES);
  const drops = samples.filter((l) => l.startsWith("persia_drops_total"));
  assert.equal(drops.length, Drop.COUNT, "one sample per drop reason, zeros included");
  assert.ok(drops.includes('persia_drops_total{reason="NO_ROUTE"} 5'), drops.join("\n"));
  assert.ok(drops.includes('persia_drops_total{reason="ETHERTYPE_IPV4"} 2'));
  assert.ok(drops.includes('persia_drops_total{reason="FRAME_SHORT"} 0'));
  for (const name of new Set(samples.map((l) => /^\w+/.exec(l)![0]))) {
    const type = lines.find((l) => l.startsWith(`# TYPE ${name} `));
    assert.ok(lines.some((l) => l.startsWith(`# HELP ${name} `)) && type, `${name} has HELP and TYPE lines`);
    assert.equal(type!.endsWith(" counter"), name.endsWith("_total"), `${name}: counters, and only counters, end in _total`);
  }
});

test("without the host's names the labels carry ids only", async () => {
  const m = await metricsText(decodeStatus(SNAPSHOT));
  assert.match(m, /\npersia_node_info\{role="router"\} 1\n/);
  assert.match(m, /\npersia_nic_rx_bytes_total\{nic="0"\} 1000\n/);
  assert.doesNotMatch(m, /persia_service_memory_bytes\{/, "no memory sample when the host did not say");
});

test("spec/observe.md's table names every persia_* metric, and only those", async () => {
  const spec = fs.readFileSync(path.join(ROOT, "spec/observe.md"), "utf8");
  const section = spec.slice(spec.indexOf("## Metrics over HTTP"), spec.indexOf("\n## ", spec.indexOf("## Metrics over HTTP") + 1));
  const documented = section.split("\n").filter((l) => l.startsWith("| `persia_"))
    .flatMap((l) => [...l.split("|")[1].matchAll(/`(persia_\w+)`/g)].map((m) => m[1]));
  const served = new Set((await metricsText(fullStatus())).split("\n").filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2]));
  served.add("persia_status_read_time_seconds");   // added by the /metrics view (hosts/node/observe/metrics.ts)
  assert.deepEqual([...documented].sort(), [...served].sort());
});

const promtool = toolsOrSkip(["promtool"]);

test("promtool check metrics finds nothing to complain about", { skip: promtool }, async () => {
  assert.equal(promtoolProblems(await metricsText(fullStatus())), "");
  assert.equal(promtoolProblems(await metricsText(decodeStatus(SNAPSHOT))), "");
  assert.match(promtoolProblems("# TYPE x_ms gauge\nx_ms 1\n"), /x_ms/, "promtool does complain about a bad name");
});

test("a snapshot that breaks the layout is an error saying how", () => {
  const bad = (edit: (b: Uint8Array) => Uint8Array): Uint8Array => edit(Uint8Array.from(SNAPSHOT));
  assert.throws(() => decodeStatus(bad((b) => { b[0] = 0; return b; })), /magic/);
  assert.throws(() => decodeStatus(bad((b) => { b[4] = 10; return b; })), /version 10/);
  assert.throws(() => decodeStatus(SNAPSHOT.subarray(0, SNAPSHOT.length - 1)), /record 8 \(UNKNOWN_99\) overruns/);
  assert.throws(() => decodeStatus(bad((b) => { b[10] = 0x10; return b; })), /NODE record has 16 bytes, needs 56/);
  assert.throws(() => decodeStatus(SNAPSHOT.subarray(0, 4)), /shorter than its header/);
});
