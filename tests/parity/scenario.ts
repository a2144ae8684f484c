// The parity scenario: one node and one list of steps that tests/parity/parity.test.ts runs
// on every host (the Node host, the wasmtime image, the metal image under QEMU), each
// behind a Linux namespace whose interface is the node's link: VXLAN for the first two, a
// TAP into the metal node's virtio-net NIC for the third — the one line of the manifest
// that differs. Each step says what to do and what it must observe; the test records what
// each host did and fails on any difference between them (but the one a TAP makes, below)
// as well as on any step whose expectation fails. Data only: how a step is done is in
// parity.test.ts, the frames come from tests/integration/drop_cases.ts.
import { CASES, NODE_GL } from "../integration/drop_cases";
import { formatAddr } from "../../loader/ip6";
import { ETH_HDR } from "../../abi/kernel";

/** The node's link to the Linux host, the one part of the manifest a host changes: a VXLAN
 *  tunnel between the node's UDP socket and the namespace (the Node host and the wasmtime
 *  image), or a virtio-net NIC, found by its MAC, that QEMU puts on a TAP (metal). */
export type Link = { kind: "vxlan"; local: string; remote: string; vni: number } | { kind: "virtio" };

/** The node's one NIC, whatever its kind (services' net grants and LOADs name it). */
export const NIC = "lan0";

/** The node, given its link. Its NIC's MAC and prefix are those drop_cases.ts assumes; the
 *  Linux side of the link is the peer 02:00:00:00:00:99, fd00:5ab2:1::100. */
export function manifest(link: Link, disk: string, extra = "", userKey = ""): string {
  const svc = (domain: string, file: string, addr: string, extra = "") =>
    `  - { domain: ${domain}, module: build/wasm/${file}, addresses: ["${addr}"], ` +
    `ram: { min: 64KiB, max: 256KiB }, restart: { limit: 5 }${extra} }`;
  return `
node: { name: parity.sabz.city, role: server }
nics:
  - name: ${NIC}
    kind: ${link.kind}
    mac: "02:00:00:00:00:01"
    prefixes: ["fd00:5ab2:1::/64"]
    rate: 10Mbit
${link.kind === "vxlan" ? `    vxlan: { local: "[${link.local}]:4789", remote: "[${link.remote}]:4789", vni: ${link.vni} }\n` : ""}disks:
  - { name: data, path: ${disk}, size: 1MiB }
services:
${svc("echo.sabz.city", "services/echo.wasm", "fd00:5ab2:1::7", `, net: [{ nic: ${NIC}, min: 2Mbit }]`)}
${svc("probe.sabz.city", "services/probe.wasm", "fd00:5ab2:1::9")}
${svc("trap.sabz.city", "tests/trap.wasm", "fd00:5ab2:1::b")}
${svc("oob.sabz.city", "tests/oob.wasm", "fd00:5ab2:1::c")}
${svc("spin.sabz.city", "tests/spin.wasm", "fd00:5ab2:1::d")}
${svc("recurse.sabz.city", "tests/recurse.wasm", "fd00:5ab2:1::a")}
${svc("sender.sabz.city", "tests/sender.wasm", "fd00:5ab2:1::e")}
${svc("balloon.sabz.city", "tests/balloon.wasm", "fd00:5ab2:1::f")}
${svc("diskprobe.sabz.city", "tests/diskprobe.wasm", "fd00:5ab2:1::10", ", disk: [ { device: data, offset: 128KiB, length: 64KiB, rights: [read, write] } ]")}
${svc("forger.sabz.city", "tests/forger.wasm", "fd00:5ab2:1::11")}
${svc("flood.sabz.city", "tests/flood.wasm", "fd00:5ab2:1::13", `, net: [{ nic: ${NIC}, max: 5Mbit }]`)}
${svc("divzero.sabz.city", "tests/divzero.wasm", "fd00:5ab2:1::14")}
${svc("indirect.sabz.city", "tests/indirect.wasm", "fd00:5ab2:1::15")}
${extra}${userKey ? `users:
  - { name: alice, key: "${userKey}", domains: [a.sabz.city], addresses: ["fd00:5ab2:1::20/126"] }
store:
  - { module: build/wasm/services/echo.wasm, ram: 1MiB, slots: 2 }
` : ""}`;
}

/** The node's own address on its NIC: the prefix and its MAC's EUI-64 (control messages go there). */
export const NODE_ADDR = formatAddr(NODE_GL);

/** A service line for a module given by its path, for manifest()'s `extra`. */
export const serviceLine = (domain: string, module: string, addr: string) =>
  `  - { domain: ${domain}, module: ${module}, addresses: ["${addr}"], ram: { min: 64KiB, max: 256KiB } }\n`;

export const PEER_MAC = "02:00:00:00:00:99";
export const PEER_ADDR = "fd00:5ab2:1::100/64";

export type Step =
  /** ping -6 from the namespace; expect every reply */
  | { ping: string; count: number }
  /** let the node run: probe pings echo through the kernel once a second; expect two
   *  replies within `wait` ms */
  | { wait: number; probeReplies: true }
  /** every receive-path bad frame of drop_cases.ts, as raw VXLAN datagrams (or written to
   *  the TAP by a packet socket); expect each counted under its reason (by the host's
   *  drop_short if shorter than an Ethernet header: see hostDrops) */
  | { frames: true }
  /** a UDP datagram from the namespace to port 9 of a service; expect it to fault with
   *  `fault`, the host to log why (matching `why`: each host says it in its own words),
   *  and the service to restart and answer pings again, while echo answers throughout */
  | { trigger: string; word: string; fault: string; why: RegExp }
  /** a command to sender.sabz.city; expect one drop of `drop` */
  | { command: string; drop: string }
  /** a trigger that makes a service log what it tried; the lines (until one starting with
   *  `last`) are the observation, and the service must still answer */
  | { logs: string; word: string; last: string }
  /** start flood.sabz.city's flood; over `ms` of kernel time its class must carry at most
   *  its max (and most of it), while echo answers every ping. It floods until the end. */
  | { flood: string; maxBits: number; ms: number }
  /** \`persia ctl <op> <request>\` from the namespace, signed by alice (spec/control.md): its
   *  answer must match `answer`; then, if given, ping `ping` and expect `replies` */
  | { ctl: "hello" | "load" | "grant" | "unload"; request: string; answer: RegExp; thenPing?: string; replies?: number };

/** A LOAD request for a service of the store's echo module. */
const loadReq = (domain: string, addr: string, net: string) =>
  `{ domain: ${domain}, module: MODULE_DIR/echo.wasm, addresses: ["${addr}"], ram: { min: 64KiB, max: 256KiB }, net: [{ nic: ${NIC}, ${net} }] }`;

export const ADDR: Record<string, string> = {
  "echo.sabz.city": "fd00:5ab2:1::7", "probe.sabz.city": "fd00:5ab2:1::9", "trap.sabz.city": "fd00:5ab2:1::b",
  "oob.sabz.city": "fd00:5ab2:1::c", "spin.sabz.city": "fd00:5ab2:1::d", "recurse.sabz.city": "fd00:5ab2:1::a",
  "sender.sabz.city": "fd00:5ab2:1::e", "balloon.sabz.city": "fd00:5ab2:1::f",
  "diskprobe.sabz.city": "fd00:5ab2:1::10", "forger.sabz.city": "fd00:5ab2:1::11",
  "flood.sabz.city": "fd00:5ab2:1::13", "divzero.sabz.city": "fd00:5ab2:1::14",
  "indirect.sabz.city": "fd00:5ab2:1::15", "x.a.sabz.city": "fd00:5ab2:1::20",
};

export const STEPS: Step[] = [
  ...Object.keys(ADDR).filter((s) => !s.endsWith(".a.sabz.city")).map((s) => ({ ping: s, count: 3 })),
  { wait: 2500, probeReplies: true },
  { frames: true },
  { trigger: "trap.sabz.city", word: "crash", fault: "TRAP", why: /unreachable/ },
  { trigger: "oob.sabz.city", word: "crash", fault: "TRAP", why: /memory access out of bounds/ },
  { trigger: "spin.sabz.city", word: "spin", fault: "FUEL", why: /fuel/ },
  { trigger: "recurse.sabz.city", word: "recurse", fault: "STACK", why: /call stack/i },
  { trigger: "divzero.sabz.city", word: "div", fault: "TRAP", why: /divide by zero/ },
  { trigger: "indirect.sabz.city", word: "indirect", fault: "TRAP", why: /signature mismatch/ },
  { command: "spoof", drop: "SVC_SRC" },
  { command: "malformed", drop: "SVC_MALFORMED" },
  { logs: "balloon.sabz.city", word: "balloon", last: "balloon: grew" },
  { logs: "diskprobe.sabz.city", word: "oob", last: "diskprobe: read-only" },
  { logs: "forger.sabz.city", word: "forge", last: "forger: revoke=" },
  { ctl: "hello", request: "", answer: /^epoch [0-9a-f]+, last sequence number 0: hello; sign with this epoch/ },
  { ctl: "load", request: loadReq("x.a.sabz.city", "fd00:5ab2:1::20", "min: 1Mbit"), answer: /^ok \(service 13\): control: alice loaded x\.a\.sabz\.city$/,
    thenPing: "x.a.sabz.city", replies: 3 },
  { ctl: "load", request: loadReq("y.a.sabz.city", "fd00:5ab2:1::21", "min: 8Mbit"),
    answer: /^refused, EDQUOT \(.*\): admission refused: net\.min on NIC 0: its line rate is 10000000 bit\/s; the mins add up to 11000000 bit\/s: 1000000 bit\/s too much$/ },
  { ctl: "load", request: loadReq("b.sabz.city", "fd00:5ab2:1::22", "min: 0"), answer: /^refused, EACCES .*alice may not load b\.sabz\.city/ },
  { ctl: "load", request: loadReq("z.a.sabz.city", "fd00:5ab2:1::7", "min: 0"),
    answer: /^refused, EACCES .*fd00:5ab2:1::7 is not in a prefix the node's owner gave alice/ },
  { ctl: "grant", request: "{ domain: x.a.sabz.city, ram: { min: 64KiB, max: 512KiB } }", answer: /its RAM max changed, so it restarts now$/,
    thenPing: "x.a.sabz.city", replies: 3 },
  { ctl: "unload", request: "x.a.sabz.city", answer: /^ok: control: alice unloaded x\.a\.sabz\.city$/, thenPing: "x.a.sabz.city", replies: 0 },
  { flood: "flood.sabz.city", maxBits: 5e6, ms: 2000 },
  { ping: "echo.sabz.city", count: 3 },
];

/** A case whose frame is shorter than an Ethernet header: over VXLAN the host counts it as
 *  drop_short and the kernel never sees it (spec/wire.md). No TAP carries one: Linux's
 *  packet socket refuses to send less than an Ethernet header on an Ethernet device (as no
 *  Ethernet NIC delivers one), so on metal the frames step sees each of them refused and
 *  the host counts none (spec/metal.md "The parity scenario"). */
export const hostDrops = (frame: Uint8Array) => frame.length < ETH_HDR;

/** The drops the frames step must add, by reason: one per case the kernel gets. */
export function expectedFrameDrops(): Record<string, number> {
  const want: Record<string, number> = {};
  for (const c of CASES.filter((c) => !hostDrops(c.frame))) {
    for (const [reason, n] of Object.entries(c.drops)) want[reason] = (want[reason] ?? 0) + (n ?? 0);
  }
  return want;
}

/** What the frames step must add to the host NIC's count of frames too short for Ethernet. */
export const expectedHostShort = (link: Link["kind"]): number =>
  link === "vxlan" ? CASES.filter((c) => hostDrops(c.frame)).length : 0;

/** The record a host on a TAP must make, given a VXLAN host's: the same in every step, but
 *  the frames step's host count of short frames, which a TAP cannot carry (hostDrops). */
export function overTap(record: Record<string, unknown>[]): Record<string, unknown>[] {
  return record.map((r) => ("hostShort" in r ? { ...r, hostShort: expectedHostShort("virtio") } : r));
}
