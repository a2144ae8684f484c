// The drops at the kernel's fixed capacities and at the host's NIC (kernel/param.ts,
// egress.ts, pool.ts), on a real node driven without polls so that work piles up the way
// a burst would pile it up between two polls: a full NIC transmit queue (TXQ_FULL), an
// empty packet pool (POOL_EMPTY), a NIC the host cannot send on (NIC_DOWN), and the
// RFC 4443 rate limit on ICMPv6 errors (ICMP_RATE). Each counts exactly the packets past
// the limit, everything within it is still sent, and the node answers a ping afterwards.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { parseAddr, parseMac, addressFromMac } from "../../loader/ip6";
import * as P from "../../cli/peer/packets";
import { Bench, svc } from "./bench";
import { SVC_RXQ } from "../../abi/limits";

const NIC_TXQ = 256;        // kernel/param.ts: frames queued per NIC
const PKT_SLOTS = 512;      // kernel/param.ts: packet buffers
const ICMP_ERR_BURST = 20;  // kernel/param.ts: ICMPv6 errors in a burst
const LINK_BATCH = 200;     // below the virtual link's 256-frame queue

const PEER = parseAddr("fd00:5ab2:1::100");
const PEER_B = parseAddr("fd00:5ab2:2::200");
const nodeAddr = (prefix: string, mac: string) => addressFromMac(parseAddr(prefix), parseMac(mac));
const NODE = nodeAddr("fd00:5ab2:1::", "02:00:00:00:00:01");
const NODE_B = nodeAddr("fd00:5ab2:2::", "02:00:00:00:00:02");
const SINKS = [1, 2, 3, 4].map((i) => parseAddr(`fd00:5ab2:1::1${i}`));

const YAML = `
node: { name: limits.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"] }
  - { name: lan1, kind: virtual, mac: "02:00:00:00:00:02", prefixes: ["fd00:5ab2:2::/64"] }
services:
${[1, 2, 3, 4].map((i) => svc(`e${i}.sabz.city`, "build/wasm/services/echo.wasm", `fd00:5ab2:1::1${i}`)).join("\n")}
`;
const PEERS = [
  { nic: "lan0", mac: "02:00:00:00:00:99", addr: "fd00:5ab2:1::100" },
  { nic: "lan1", mac: "02:00:00:00:02:99", addr: "fd00:5ab2:2::200" },
];

describe("a node at its limits", () => {
  let b: Bench;
  before(async () => {
    b = await Bench.boot(YAML, PEERS);
    assert.ok(await b.introduce("lan0", NODE), "the node advertises its lan0 address");
    assert.ok(await b.introduce("lan1", NODE_B), "the node advertises its lan1 address");
  });
  after(() => b?.close());

  /** Send packets from the peer on lan0 in batches the link carries, with no poll between. */
  async function burst(pkts: Uint8Array[]): Promise<void> {
    for (let i = 0; i < pkts.length; i += LINK_BATCH) {
      for (const p of pkts.slice(i, i + LINK_BATCH)) b.peer("lan0").sendIp(b.nodeMac("lan0"), p);
      await b.deliver();
    }
  }
  const pings = (n: number, dst: Uint8Array = NODE) =>
    Array.from({ length: n }, (_, i) => P.echoRequest(PEER, dst, 0x7100, i + 1, Uint8Array.of(i & 0xff)));
  const replies = (p: P.Parsed) => p.icmpType === P.ICMP.ECHO_REP && p.icmpWord! >>> 16 === 0x7100;

  /** Wait until the peer on lan0 has n frames matching, then check no more come. */
  async function received(match: (p: P.Parsed) => boolean, n: number): Promise<P.Parsed[]> {
    const peer = b.peer("lan0");
    await b.until(() => peer.received.filter(match).length >= n, 100);
    const got = (await b.quiet(peer)).filter(match);
    assert.equal(got.length, n);
    assert.ok(got.every((p) => p.checksumOk));
    return got;
  }

  async function fresh(): Promise<void> {
    await b.tick(1000);
    b.peer("lan0").received.length = 0;
  }

  it("TXQ_FULL: 260 pings to the node before a poll; 256 replies are queued and sent, 4 dropped", async () => {
    await fresh();
    const before = b.drops();
    await burst(pings(NIC_TXQ + 4));
    assert.equal(b.node.status().nics[0].txQueue, NIC_TXQ, "lan0's queue is full");
    await b.dropped(before, { TXQ_FULL: 4 });
    await received(replies, NIC_TXQ);
    assert.ok(await b.ping("lan0", NODE));
  });

  it("POOL_EMPTY: with 256 replies queued and 4 services' queues full, the next 3 packets find no buffer", async () => {
    await fresh();
    const free = () => b.node.status().node!.freeBuffers;
    assert.equal(free(), PKT_SLOTS, "every buffer is free");
    const before = b.drops();
    await burst(pings(NIC_TXQ));
    const datagrams = SINKS.flatMap((dst) =>
      Array.from({ length: SVC_RXQ }, (_, i) => P.udp(PEER, dst, 40000, 9, Uint8Array.of(i))));   // port 9: no answer
    await burst(datagrams);
    assert.equal(free(), 0, "the pool is empty");
    await burst(pings(3, SINKS[0]));
    await b.dropped(before, { POOL_EMPTY: 3 });
    await received(replies, NIC_TXQ);
    assert.equal(free(), PKT_SLOTS, "every buffer came back");
    assert.ok(await b.ping("lan0", SINKS[0]));
  });

  it("ICMP_RATE: of 100 packets to unknown destinations, 20 get an error and 80 are counted", async () => {
    await fresh();
    const before = b.drops();
    const sent = b.node.status().node!.icmpErrorsSent;
    const pkts = Array.from({ length: 100 }, (_, i) => P.udp(PEER, parseAddr(`2001:db8::${(i + 1).toString(16)}`), 40000, 5000, Uint8Array.of(i)));
    await burst(pkts);
    await b.dropped(before, { NO_ROUTE: 100, ICMP_RATE: 100 - ICMP_ERR_BURST });
    const errors = await received((p) => p.icmpType === P.ICMP.UNREACH && p.icmpCode === 0, ICMP_ERR_BURST);
    assert.deepEqual(errors.map((e) => e.data![39]), Array.from({ length: ICMP_ERR_BURST }, (_, i) => i + 1),
      "the first 20 are answered (the quotes name 2001:db8::1 to ::14)");
    assert.equal(b.node.status().node!.icmpErrorsSent - sent, ICMP_ERR_BURST);
    await b.tick(1000);
    const later = b.drops();
    await burst(pkts.slice(0, 1));
    await b.dropped(later, { NO_ROUTE: 1 });
    await received((p) => p.icmpType === P.ICMP.UNREACH, 1);
    assert.ok(await b.ping("lan0", NODE));
  });

  it("ICMP_RATE: a burst split over two receive batches after an idle spell gets 20 errors, not 40", async () => {
    await fresh();
    const before = b.drops();
    const pkts = Array.from({ length: 50 }, (_, i) => P.udp(PEER, parseAddr(`2001:db8::1:${(i + 1).toString(16)}`), 40000, 5000, Uint8Array.of(i)));
    b.now += 5000n;                    // the host slept 5 s since its last poll; frames arrive now
    await burst(pkts.slice(0, 25));    // the first batch, before any poll (on a stale clock, before ABI 4)
    b.node.poll();                     // the poll that follows it, at the same time
    await burst(pkts.slice(25));       // the second batch
    await b.dropped(before, { NO_ROUTE: 50, ICMP_RATE: 50 - ICMP_ERR_BURST });
    const errors = await received((p) => p.icmpType === P.ICMP.UNREACH && p.icmpCode === 0, ICMP_ERR_BURST);
    assert.deepEqual(errors.map((e) => e.data![39]), Array.from({ length: ICMP_ERR_BURST }, (_, i) => i + 1),
      "the first 20 of the first batch are answered, none of the second");
  });

  it("NIC_DOWN: a reply queued for lan1 when its link has gone is counted, lan0 goes on", async () => {
    await fresh();
    const peerB = b.peer("lan1");
    const before = b.drops();
    const errors = b.node.status().nics[1].txErrors;
    peerB.sendIp(b.nodeMac("lan1"), P.echoRequest(PEER_B, NODE_B, 0x7200, 1, Uint8Array.of(1)));
    await b.deliver();
    assert.equal(b.node.status().nics[1].txQueue, 1, "the reply waits for the next poll");
    peerB.close();
    await b.dropped(before, { NIC_DOWN: 1 });
    assert.equal(b.node.status().nics[1].txErrors - errors, 1);
    assert.ok(await b.ping("lan0", NODE));
    assert.ok(await b.ping("lan0", SINKS[1]));
  });
});
