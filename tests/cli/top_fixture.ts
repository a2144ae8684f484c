// Test-only: status snapshots of one node, as decoded (loader/status/decode.ts), for the
// tests of `persia top`'s screen: a small node two seconds apart, and a crowded one with
// more NICs, services, classes and drop reasons than 24 lines can hold.
// Used by tests/cli/top_screen.test.ts.
import type { ClassStatus, NicStatus, ServiceStatus, Status } from "../../loader/status/decode";

function nic(id: number, rx: number, tx: number): NicStatus {
  return { id, kind: "VXLAN", mtu: 1500, mac: `02:00:00:00:00:0${id}`, txQueue: 0, rxFrames: rx, rxBytes: rx * 100,
    txFrames: tx, txBytes: tx * 100, txErrors: 0, raSent: 0 };
}

function service(id: number, name: string, rx: number, fuel: number, state = "RUNNING"): ServiceStatus {
  return { id, name, state, lastFault: "NONE", restarts: 0, queue: 0, rxPackets: rx, txPackets: rx, faults: 0,
    sendRefused: 0, fuel };
}

function klass(nic: number, c: ClassStatus["class"], bytes: number, minBits = 0, maxBits = 0, drops = 0): ClassStatus {
  return { nic, class: c, queue: 0, minBits, maxBits, bytes, drops };
}

/** edge.sabz.city at kernel time `nowMs`, after `k` steps of traffic. */
export function small(nowMs: number, k: number): Status {
  return {
    node: { nowMs, role: "ROUTER", services: 2, nics: 1, routes: 4, neighbors: 0, freeBuffers: 500, icmpErrorsSent: k,
      controlAccepted: 0, controlRefused: 0, signedModules: false },
    drops: { NONE: 0, FRAGMENT: 3 * k, NO_ROUTE: 0, ETHERTYPE_IPV4: 1 },
    nics: [nic(0, 120 * k, 100 * k)],
    services: [service(0, "echo.sabz.city", 100 * k, 2_000_000 * k), service(1, "kv.sabz.city", 0, 6_000_000 * k, "RESTARTING")],
    routes: [], neighbors: [], addresses: [], learned: [], routers: [], wgPeers: [], identity: null, certificates: [], filters: null, filterList: [],
    classes: [klass(0, "kernel", 1_250 * k), klass(0, 0, 11_250 * k, 1_000_000, 10_000_000, k), klass(0, 1, 0, 500_000)],
    grants: [{ service: 0, cpuMinPermille: 100, cpuMaxPermille: 500, cpuUsed: 0, ramMinPages: 1, ramMaxPages: 16, disks: [] },
      { service: 1, cpuMinPermille: 0, cpuMaxPermille: 0, cpuUsed: 0, ramMinPages: 1, ramMaxPages: 16, disks: [] }],
  };
}

/** A node with 6 NICs, 16 services with long names, a class per service per NIC and every
 *  drop reason counting. */
export function crowded(nowMs: number, k: number): Status {
  const nics = Array.from({ length: 6 }, (_, i) => nic(i, 1000 * k * (i + 1), 900 * k));
  const services = Array.from({ length: 16 }, (_, i) =>
    service(i, `service-number-${i}.a-rather-long-subdomain.sabz.city`, 10 * k * i, 1_000_000 * k * i));
  const classes = nics.flatMap((n) => services.map((s) => klass(n.id, s.id, 1000 * k * s.id, 1e6, 2e9, k)));
  const drops = Object.fromEntries(["FRAME_SHORT", "NOT_OUR_MAC", "ETHERTYPE_IPV4", "IP_SHORT", "IP_VERSION", "EXT_HEADER",
    "FRAGMENT", "HOP_LIMIT", "NO_ROUTE", "MARTIAN", "SVC_LINK_CONTROL"].map((r, i) => [r, 7 * k * (i + 1)]));
  return {
    node: { nowMs, role: "SERVER", services: 16, nics: 6, routes: 40, neighbors: 0, freeBuffers: 10, icmpErrorsSent: 0,
      controlAccepted: 0, controlRefused: 0, signedModules: false },
    drops, nics, services, routes: [], neighbors: [], classes, grants: [], addresses: [], learned: [], routers: [], wgPeers: [], identity: null, certificates: [], filters: null, filterList: [],
  };
}
