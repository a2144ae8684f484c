// The node the in-process benchmarks and the batch tests boot (issue #17): a router with two
// virtual NICs and one echo service, its peers' MACs taught by a neighbor solicitation on
// each NIC, and the three frames every figure is measured on (dropped at the first check,
// forwarded, echoed). One place, so bench.ts, scale.ts, icount.ts and tests/hosts/batch.test.ts
// measure and test the same node and the same frames.
import * as fs from "fs";
import * as path from "path";
import { parseManifest, compileManifest } from "../../loader/manifest";
import { parseAddr, parseMac, linkLocalFromMac } from "../../loader/ip6";
import { PersiaNode } from "../../hosts/node/node";
import { ROOT, WASM_DIR } from "../../hosts/node/paths";
import * as P from "../../cli/peer/packets";
import { CountingNic } from "./counting_nic";

export const KERNEL_WASM = path.join(WASM_DIR, "kernel.wasm");
export const ECHO_WASM = path.join(WASM_DIR, "services/echo.wasm");

export const NODE0 = parseMac("02:00:00:00:00:01");
export const NODE1 = parseMac("02:00:00:00:00:02");
export const PEER0 = parseMac("02:00:00:00:01:00");
export const PEER1 = parseMac("02:00:00:00:02:00");
export const A0 = parseAddr("fd00:1::100");
export const A1 = parseAddr("fd00:2::100");
export const ECHO_ADDR = parseAddr("fd00:1::7");

/** The header and NICs of every bench node; services follow. */
export const NODE_HEAD = `
node: { name: bench.sabz.city, role: router }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:1::/64"] }
  - { name: lan1, kind: virtual, mac: "02:00:00:00:00:02", prefixes: ["fd00:2::/64"] }
services:
`;

/** The router with echo.sabz.city at fd00:1::7. */
export const MANIFEST = NODE_HEAD +
  `  - { domain: echo.sabz.city, module: ${ECHO_WASM}, addresses: ["fd00:1::7"], ram: { min: 64KiB, max: 1MiB } }\n`;

/** The frames of the figures, all received on NIC 0 from PEER0. */
export const FRAMES = {
  /** IPv4: the kernel drops it at its first check (the cost of the crossing). */
  baseline: P.ether(NODE0, PEER0, 0x0800, new Uint8Array(60).fill(0x45, 0, 1)),
  /** UDP from A0 to A1: forwarded to NIC 1. */
  forward: P.ether(NODE0, PEER0, P.ETH_IPV6, P.udp(A0, A1, 40000, 9, new Uint8Array(64))),
  /** An echo request to echo.sabz.city: answered on NIC 0. */
  service: P.ether(NODE0, PEER0, P.ETH_IPV6, P.echoRequest(A0, ECHO_ADDR, 1, 1, new Uint8Array(56))),
};

/** Teaches the node both peers' MACs: a neighbor solicitation with a source link-layer
 *  option makes a STALE neighbor entry (RFC 4861 §7.2.3). [nic, frame] pairs. */
export const SETUP: [number, Uint8Array][] = [
  [0, P.ether(NODE0, PEER0, P.ETH_IPV6, P.neighborSolicit(A0, linkLocalFromMac(NODE0), PEER0))],
  [1, P.ether(NODE1, PEER1, P.ETH_IPV6, P.neighborSolicit(A1, linkLocalFromMac(NODE1), PEER1))],
];

/** Solicited Neighbor Advertisements from both peers. The node takes one as confirmation
 *  only while it is probing that neighbour (kernel/net/nd.ts: honouring one unasked would
 *  let anyone pin an entry REACHABLE), and the bench's peers answer no probe by themselves:
 *  after the first frame out a STALE entry waits 5 s (DELAY), then probes three times a
 *  second apart, then is given up, and from then on every frame out is dropped
 *  (NEIGH_UNRESOLVED) where it should have been sent. A run longer than about 8 s of the
 *  node's clock (1 ms a poll) therefore sends these at least every REFRESH_MS, so that one
 *  lands inside each probing. [nic, frame] pairs. */
export const REFRESH_MS = 2000;
export const REFRESH: [number, Uint8Array][] = [[0, solicitedNa(NODE0, PEER0, A0)], [1, solicitedNa(NODE1, PEER1, A1)]];

/** Runs one measured chunk on b, after both peers' advertisements (REFRESH), and fails unless
 *  it sent at least `want` frames on NIC `out` (-1: none expected) and at most EXTRA_MAX of
 *  the node's own beside them (router advertisements, neighbour probes), and no drop but the
 *  baseline's IPv4 came of it: a chunk whose frames were dropped measures a drop, not a
 *  forward or an echo. `what` names the chunk in the error. Returns run's result. */
export function checkedChunk<T>(b: { node: PersiaNode; nics: CountingNic[]; now: () => bigint }, out: number, want: number,
  what: string, run: () => T): T {
  for (const [nic, frame] of REFRESH) b.node.kernel.rx(nic, frame, b.now());
  const sent = out < 0 ? 0 : b.nics[out].sent, lost = dropped(b.node);
  const r = run();
  const got = out < 0 ? 0 : b.nics[out].sent - sent;
  if (got < want || got > want + EXTRA_MAX || dropped(b.node) !== lost) {
    throw new Error(`${what}: ${got} of ${want} frames out on NIC ${out}; drops: ` +
      (otherDrops(b.node).map(([k, v]) => `${k} ${v}`).join(", ") || "none"));
  }
  return r;
}
const EXTRA_MAX = 8;
/** The node's drops by reason, those counted at least once, other than the baseline
 *  frame's (ETHERTYPE_IPV4). */
export const otherDrops = (node: PersiaNode) => Object.entries(node.status().drops).filter(([k, v]) => k !== "ETHERTYPE_IPV4" && Number(v) > 0);
const dropped = (node: PersiaNode) => otherDrops(node).reduce((a, [, v]) => a + Number(v), 0);

/** A solicited, overriding Neighbor Advertisement of addr at the peer's MAC, to the node's. */
function solicitedNa(node: Uint8Array, peer: Uint8Array, addr: Uint8Array): Uint8Array {
  return P.ether(node, peer, P.ETH_IPV6, P.neighborAdvert(addr, linkLocalFromMac(node), peer));
}

export interface Booted {
  node: PersiaNode;
  nics: CountingNic[];
  /** Moves the node's clock on by one and returns it. */
  now: () => bigint;
  /** Milliseconds from compiling the manifest to the first poll after start. */
  ms: number;
}

/** Boots manifest (MANIFEST unless given) under the Node host with counting NICs and a clock
 *  that moves only when now() is called, then teaches it the peers (SETUP). */
export async function bootNode(manifest = MANIFEST): Promise<Booted> {
  const t0 = process.hrtime.bigint();
  const { boot, plan } = compileManifest(parseManifest(manifest, "bench.yaml", ROOT));
  const nics = plan.nics.map((n) => new CountingNic(n.id));
  let t = 0n;
  const files = new Map<string, Buffer>();
  const read = (p: string) => { let b = files.get(p); if (!b) { b = fs.readFileSync(p); files.set(p, b); } return b; };
  const node = new PersiaNode({
    kernelBytes: fs.readFileSync(KERNEL_WASM), boot,
    services: new Map(plan.services.map((s) => [s.id, read(s.modulePath)])),
    nics, clock: () => t, autoPoll: false, log: () => {},
  });
  await node.start();
  node.poll();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  for (const [nic, frame] of SETUP) node.kernel.rx(nic, frame, 0n);
  node.poll();
  return { node, nics, now: () => (t += 1n), ms };
}
