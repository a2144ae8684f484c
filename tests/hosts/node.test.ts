// PersiaNode with the real kernel.wasm and service modules from build/wasm (skipped until
// `persia build` has made them): a ping through a virtual link reaches echo.sabz.city and
// comes back; a trapping service is counted, logged and restarted on the kernel's timer
// while the node goes on; what the node is given is checked against the boot manifest; a
// manifest the kernel refuses names the errno; the status socket answers with the kernel's
// time moved on to the host clock, idle or not; shutdown() lets a router send its final
// router advertisements (lifetime 0) before it closes the NICs. Time is a manual clock and
// polls are explicit (autoPoll: false), so each step is deterministic.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LogLevel, NicKind, Role } from "../../abi/kernel";
import { Errno } from "../../abi/errno";
import { BootManifest, encodeBootManifest } from "../../loader/manifest";
import { parseAddr, parseMac } from "../../loader/ip6";
import { VirtualLink } from "../../hosts/node/nic/virtual";
import { PersiaNode, PersiaNodeOptions } from "../../hosts/node/node";
import { KernelInstance } from "../../hosts/node/kernel";
import { queryStatus } from "../../cli/status_client";
import { echoRequest, ICMP_ECHO_REPLY, NH_ICMPV6, NH_UDP, Peer, udpDatagram } from "./frames";
import { sendFrame } from "../../hosts/node/nic/nic";

const WASM = path.resolve(__dirname, "../../../../build/wasm");
const read = (p: string): Buffer | null => (fs.existsSync(path.join(WASM, p)) ? fs.readFileSync(path.join(WASM, p)) : null);
const KERNEL = read("kernel.wasm");
const ECHO = read("services/echo.wasm");
const TRAP = read("tests/trap.wasm");
const skip = KERNEL === null || ECHO === null || TRAP === null ? "build/wasm is not built (npm run build)" : false;

const NODE_MAC = parseMac("02:00:00:00:00:01");
const PEER_MAC = parseMac("02:00:00:00:00:99");
const PEER = parseAddr("fd00:1::100");
const SERVICE = parseAddr("fd00:1::7");

function manifest(edit: (m: BootManifest) => void = () => {}): Uint8Array {
  const m: BootManifest = {
    node: { role: Role.ROUTER, name: "r1.sabz.city" },
    nics: [{ id: 0, kind: NicKind.VIRTUAL, mtu: 1500, mac: NODE_MAC }],
    prefixes: [{ nic: 0, len: 64, addr: parseAddr("fd00:1::") }],
    routes: [],
    disks: [{ id: 0, size: 65536n }],
    services: [{ id: 0, restartLimit: 3, ramMinPages: 1, ramMaxPages: 4, name: "echo.sabz.city" }],
    svcAddrs: [{ svc: 0, addr: SERVICE }],
    ras: [], capDisks: [],
  };
  edit(m);
  return encodeBootManifest(m);
}

interface Rig { node: PersiaNode; peer: Peer; logs: string[]; clock: { now: bigint } }

function rig(module: Uint8Array, options: Partial<PersiaNodeOptions> = {}): Rig {
  const link = new VirtualLink();
  const logs: string[] = [];
  const clock = { now: 1000n };
  const node = new PersiaNode({
    kernelBytes: KERNEL as Uint8Array, boot: manifest(), services: { 0: module }, nics: [link.a],
    disks: { 0: path.join(fs.mkdtempSync(path.join(os.tmpdir(), "persia-node-")), "disk0") },
    clock: () => clock.now, autoPoll: false,
    log: (level, line, origin) => logs.push(`${LogLevel[level]} ${origin}: ${line}`),
    ...options,
  });
  return { node, peer: new Peer(link.b, PEER_MAC, PEER), logs, clock };
}

/** Lets queued frames cross the link (both ways), polling the kernel between turns. */
async function settle(r: Rig, turns = 4): Promise<void> {
  for (let i = 0; i < turns; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    r.node.poll();
  }
}

test("a ping to echo.sabz.city comes back through the virtual link", { skip }, async () => {
  const r = rig(ECHO as Uint8Array);
  await r.node.start();
  try {
    r.peer.send(NODE_MAC, SERVICE, NH_ICMPV6, echoRequest(0x1234, 1, "ping"), 2);
    await settle(r);
    const replies = r.peer.icmp(ICMP_ECHO_REPLY);
    assert.equal(replies.length, 1, r.logs.join("\n"));
    assert.deepEqual([...replies[0].subarray(4)], [0x12, 0x34, 0x00, 0x01, ...Buffer.from("ping")]);
    const s = r.node.status();
    assert.equal(s.services[0].rxPackets, 1);
    assert.equal(s.neighbors[0].address, "fd00:1::100");
    assert.equal(s.host?.nics[0].counters.received, 2, "the solicited advertisement and the request");
  } finally {
    r.node.stop();
  }
});

test("the frames a NIC delivers in one turn reach the kernel in one k_rx_batch, in order, before the next poll", { skip }, async () => {
  const r = rig(ECHO as Uint8Array);
  const proto = KernelInstance.prototype;
  const { rxBatch, rx } = proto;
  const batches: number[] = [];
  let singles = 0;
  proto.rxBatch = function (this: KernelInstance, count: number, now: bigint) { batches.push(count); return rxBatch.call(this, count, now); };
  proto.rx = function (this: KernelInstance, nic: number, frame: Uint8Array, now: bigint) { singles++; return rx.call(this, nic, frame, now); };
  await r.node.start();
  try {
    r.peer.send(NODE_MAC, SERVICE, NH_ICMPV6, echoRequest(0x1234, 0, "ping"), 2);   // the node learns the peer
    await settle(r);
    batches.length = 0;
    for (let seq = 1; seq <= 3; seq++) r.peer.send(NODE_MAC, SERVICE, NH_ICMPV6, echoRequest(0x1234, seq, "ping"), 2);
    await settle(r);
    assert.equal(singles, 0, "no frame went by k_rx");
    assert.equal(batches[0], 3, `the three requests of one turn in one k_rx_batch (batches: ${batches.join(", ")})`);
    const seqs = r.peer.icmp(ICMP_ECHO_REPLY).map((m) => m.readUInt16BE(6));
    assert.deepEqual(seqs, [0, 1, 2, 3], r.logs.join("\n"));
  } finally {
    proto.rxBatch = rxBatch;
    proto.rx = rx;
    r.node.stop();
  }
});

test("a trapping service is counted, logged and restarted; the node goes on", { skip }, async () => {
  const r = rig(TRAP as Uint8Array);
  await r.node.start();
  try {
    r.peer.send(NODE_MAC, SERVICE, NH_UDP, udpDatagram(5000, 9, "crash"), 6);
    await settle(r, 1);
    let svc = r.node.status().services[0];
    assert.equal(svc.lastFault, "TRAP");
    assert.equal(svc.faults, 1);
    assert.match(svc.faultMessage ?? "", /RuntimeError: unreachable/);
    assert.ok(r.logs.some((l) => /^WARN host: service 0 \(echo\.sabz\.city\) trapped/.test(l)), r.logs.join("\n"));
    assert.ok(r.node.deadline > r.clock.now, "the kernel asks to be polled again for the restart");
    r.clock.now = r.node.deadline;
    r.node.poll();
    r.peer.send(NODE_MAC, SERVICE, NH_ICMPV6, echoRequest(1, 2, "again"), 2);
    await settle(r);
    svc = r.node.status().services[0];
    assert.equal(svc.state, "RUNNING");
    assert.ok(svc.restarts >= 1);
    assert.equal(r.peer.icmp(ICMP_ECHO_REPLY).length, 1, "it answers again after the restart");
  } finally {
    r.node.stop();
  }
});

test("what the node is given must match the boot manifest", () => {
  const base = { kernelBytes: new Uint8Array(0), boot: manifest(), log: () => {} };
  const link = new VirtualLink();
  assert.throws(() => new PersiaNode({ ...base, nics: [link.a] }), /service 0 \(echo\.sabz\.city\) is in the boot manifest but no module was given/);
  assert.throws(() => new PersiaNode({ ...base, services: { 0: new Uint8Array(0), 4: new Uint8Array(0) }, nics: [link.a] }),
    /a module was given for service 4, which the boot manifest does not declare/);
  assert.throws(() => new PersiaNode({ ...base, services: { 0: new Uint8Array(0) } }), /NIC 0 is in the boot manifest but no backend was given/);
  assert.throws(() => new PersiaNode({ ...base, boot: Uint8Array.of(1, 2, 3) }), /boot manifest/);
});

test("a boot manifest the kernel refuses is an error naming the errno", { skip }, async () => {
  const link = new VirtualLink();
  const node = new PersiaNode({
    kernelBytes: KERNEL as Uint8Array, services: { 0: ECHO as Uint8Array }, nics: [link.a], log: () => {},
    disks: { 0: path.join(fs.mkdtempSync(path.join(os.tmpdir(), "persia-node-")), "disk0") },
    boot: manifest((m) => m.svcAddrs.push({ svc: 0, addr: SERVICE })),
  });
  await assert.rejects(node.start(), /^Error: the kernel refused to boot: E[A-Z]+ \(/);
});

test("the status socket answers with kernel time moved on to the host clock, though nothing happened", { skip }, async () => {
  const r = rig(ECHO as Uint8Array);
  await r.node.start();
  const sock = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "persia-node-")), "node.sock");
  try {
    await r.node.statusServer(sock);
    const kernelTime = async () => (JSON.parse(await queryStatus(sock, "json")) as { node: { nowMs: number } }).node.nowMs;
    assert.equal(await kernelTime(), 1000);
    r.clock.now = 4321n;
    assert.equal(r.node.status().node?.nowMs, 1000, "status() itself does not poll");
    assert.equal(await kernelTime(), 4321, "an idle node's snapshot over the socket is of now");
  } finally {
    r.node.stop();
  }
});

test("shutdown() polls with k_stop until the router's final RAs (lifetime 0) went out, then stops", { skip }, async () => {
  const boot = manifest((m) => {
    m.ras = [{ nic: 0, flags: 0, hopLimit: 64, minInterval: 200, maxInterval: 600, lifetime: 1800,
      reachableTime: 0, retransTimer: 0, validLifetime: 86400, preferredLifetime: 14400 }];
    m.routes = [{ nic: 0, len: 0, prefix: parseAddr("::"), via: parseAddr("fe80::1") }];
  });
  const r = rig(ECHO as Uint8Array, { boot });
  await r.node.start();
  const lifetimes = () => r.peer.icmp(134).map((ra) => ra.readUInt16BE(6));
  try {
    await settle(r, 1);
    assert.deepEqual(lifetimes(), [1800], "the first RA, at boot");
    r.clock.now = 5000n;
    let done = false;
    const stopped = r.node.shutdown().then(() => (done = true));
    await settle(r, 1);
    assert.deepEqual(lifetimes(), [1800, 0], "the first final RA, at once (the last RA left 4 s ago)");
    assert.equal(r.node.deadline, 8000n, "the next one MIN_DELAY_BETWEEN_RAS later");
    assert.equal(done, false);
    r.clock.now = 8000n;
    r.node.poll();
    await stopped;
    assert.deepEqual(lifetimes(), [1800, 0, 0]);
    const ra = r.peer.icmp(134)[2];
    assert.equal(ra.readUInt32BE(16 + 8 + 8 + 4), 86400, "the prefix keeps its valid lifetime");
    assert.equal(r.node.poll(), -1n, "stopped: no more polls");
    assert.equal(sendFrame(r.peer.end, Buffer.alloc(60)), -Errno.EIO, "the node closed its end of the link");
  } finally {
    r.node.stop();
  }
});
