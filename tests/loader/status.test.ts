// Decoding the kernel's status snapshot from bytes written out by hand per abi/status.ts
// (status_fixture.ts), then printing it: the decoded object, the admin's text tables, and
// Prometheus metrics.
// Also: an unknown record type is skipped, and a snapshot that breaks the layout (magic,
// version, a record past the end, a short record) is an error that says which.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Drop } from "../../abi/drop";
import { decodeStatus, formatStatus, metricsText } from "../../loader/status/decode";
import { SNAPSHOT } from "./status_fixture";

test("decodeStatus reads every record into a plain object", () => {
  const s = decodeStatus(SNAPSHOT);
  assert.deepEqual(s.node, { nowMs: 12345, role: "ROUTER", services: 1, nics: 1, routes: 2, freeBuffers: 250, icmpErrorsSent: 3,
    controlAccepted: 4, controlRefused: 1 });
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
});

test("metricsText is Prometheus text with one sample per counter", () => {
  const m = metricsText(decodeStatus(SNAPSHOT));
  assert.match(m, /# TYPE persia_drops_total counter\n/);
  assert.match(m, /\npersia_drops_total\{reason="NO_ROUTE"\} 5\n/);
  assert.match(m, /\npersia_drops_total\{reason="FRAME_SHORT"\} 0\n/);
  assert.match(m, /\npersia_nic_rx_bytes_total\{nic="0",kind="VXLAN"\} 1000\n/);
  assert.match(m, /\npersia_service_up\{service="echo.sabz.city",id="1"\} 1\n/);
  assert.match(m, /\npersia_service_faults_total\{service="echo.sabz.city",id="1"\} 2\n/);
  assert.match(m, /\npersia_control_messages_total\{result="refused"\} 1\n/);
  assert.match(m, /\npersia_service_fuel_total\{service="echo.sabz.city",id="1"\} 1234567\n/);
  for (const line of m.trimEnd().split("\n")) {
    assert.match(line, /^(# (HELP|TYPE) persia_\w+ .+|persia_\w+(\{[^}]*\})? \d+)$/, line);
  }
});

test("a snapshot that breaks the layout is an error saying how", () => {
  const bad = (edit: (b: Uint8Array) => Uint8Array): Uint8Array => edit(Uint8Array.from(SNAPSHOT));
  assert.throws(() => decodeStatus(bad((b) => { b[0] = 0; return b; })), /magic/);
  assert.throws(() => decodeStatus(bad((b) => { b[4] = 9; return b; })), /version 9/);
  assert.throws(() => decodeStatus(SNAPSHOT.subarray(0, SNAPSHOT.length - 1)), /record 7 \(UNKNOWN_99\) overruns/);
  assert.throws(() => decodeStatus(bad((b) => { b[10] = 0x10; return b; })), /NODE record has 16 bytes, needs 40/);
  assert.throws(() => decodeStatus(SNAPSHOT.subarray(0, 4)), /shorter than its header/);
});
