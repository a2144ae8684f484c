// loader/status/series.ts: rates between status snapshots on the kernel's clock, counter
// restarts, shares, and the bounded history.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import type { Status } from "../../loader/status/decode";
import { rates, Series } from "../../loader/status/series";

function snap(nowMs: number, rx: number, fuel: [number, number], drops = 0, name2 = "kv.sabz.city"): Status {
  const svc = (id: number, name: string, f: number) => ({
    id, name, state: "RUNNING", lastFault: "NONE", restarts: 0, queue: 0, rxPackets: rx, txPackets: rx / 2,
    faults: 0, sendRefused: 0, fuel: f,
  });
  return {
    node: { nowMs, role: "SERVER", services: 2, nics: 1, routes: 3, neighbors: 0, freeBuffers: 100, icmpErrorsSent: 0, controlAccepted: 0, controlRefused: 0, signedModules: false },
    drops: { NONE: 0, NO_ROUTE: drops },
    nics: [{ id: 0, kind: "TAP", mtu: 1500, mac: "02:00:00:00:00:01", txQueue: 0, rxFrames: rx, rxBytes: rx * 100,
      txFrames: 0, txBytes: 0, txErrors: 0, raSent: 0 }],
    services: [svc(0, "echo.sabz.city", fuel[0]), svc(1, name2, fuel[1])],
    routes: [], neighbors: [],
    classes: [{ nic: 0, class: "kernel", queue: 0, minBits: 0, maxBits: 0, bytes: rx * 10, drops: 0 },
      { nic: 0, class: 0, queue: 0, minBits: 1e6, maxBits: 2e6, bytes: rx * 30, drops: 0 }],
    grants: [{ service: 0, cpuMinPermille: 200, cpuMaxPermille: 0, cpuUsed: 0, ramMinPages: 1, ramMaxPages: 2, disks: [] }],
    addresses: [], learned: [], routers: [], wgPeers: [], identity: null, certificates: [], filters: null, filterList: [],
  };
}

test("rates are per second of kernel time, with shares of the CPU and of each NIC", () => {
  const r = rates({ wallMs: 0, status: snap(1000, 100, [1000, 3000], 4) }, { wallMs: 9, status: snap(3000, 300, [3000, 9000], 10) })!;
  assert.equal(r.seconds, 2);
  assert.equal(r.nics[0].rxPackets, 100);
  assert.equal(r.nics[0].rxBytes, 10000);
  assert.equal(r.drops.NO_ROUTE, 3);
  assert.equal(r.dropsTotal, 3);
  assert.equal(r.services[0].fuel, 1000);
  assert.equal(r.services[0].cpuShare, 0.25);
  assert.equal(r.services[1].cpuShare, 0.75);
  assert.equal(r.services[0].cpuMin, 0.2);
  assert.equal(r.services[0].cpuMax, 1);
  assert.equal(r.classes[1].class, "echo.sabz.city");
  assert.equal(r.classes[1].bitsPerSecond, 200 * 30 * 8 / 2);
  assert.equal(r.classes[1].share, 0.75);
});

test("a counter that went down, a reloaded slot and a rebooted node count from zero", () => {
  const slot = rates({ wallMs: 0, status: snap(1000, 100, [1000, 3000]) }, { wallMs: 0, status: snap(2000, 150, [2000, 500], 0, "new.sabz.city") })!;
  assert.equal(slot.services[1].fuel, 500);
  assert.equal(slot.services[0].fuel, 1000);
  const reboot = rates({ wallMs: 0, status: snap(9000, 900, [1, 1]) }, { wallMs: 0, status: snap(500, 50, [1, 1]) })!;
  assert.equal(reboot.seconds, 0.5);
  assert.equal(reboot.nics[0].rxPackets, 100);
});

test("no rate without a later kernel time", () => {
  assert.equal(rates({ wallMs: 0, status: snap(1000, 1, [0, 0]) }, { wallMs: 5, status: snap(1000, 2, [0, 0]) }), null);
  const none = { ...snap(1000, 1, [0, 0]), node: null };
  assert.equal(rates({ wallMs: 0, status: none }, { wallMs: 0, status: snap(2000, 2, [0, 0]) }), null);
});

test("a series keeps its capacity, replaces a snapshot of the same millisecond, and rates over a window", () => {
  const s = new Series(3);
  assert.equal(s.push(snap(0, 0, [0, 0])), null);
  assert.equal(s.push(snap(1000, 10, [0, 0]))!.nics[0].rxPackets, 10);
  assert.equal(s.push(snap(1000, 20, [0, 0])), null);
  assert.equal(s.latest()!.status.nics[0].rxFrames, 20);
  assert.equal(s.push(snap(2000, 40, [0, 0]))!.nics[0].rxPackets, 20);
  s.push(snap(3000, 70, [0, 0]));
  assert.equal(s.history().length, 2);
  assert.equal(s.now()!.nics[0].rxPackets, 30);
  assert.equal(s.over(2000)!.nics[0].rxPackets, (70 - 20) / 2);
  assert.throws(() => new Series(1), /at least 2/);
});
