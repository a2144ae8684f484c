// The forwarding drops of a router (spec/kernel.md, "One packet's way", output.ts and
// nd.ts), on a real node: role router, lan0 (fd00:1::/64, MTU 1500) with peer A and lan1
// (fd00:2::/64, MTU 1280) with peer B. A forwarded packet arrives with its hop limit one
// lower and every other byte the same; HOP_LIMIT, TOO_BIG, LINK_LOCAL_FWD, NO_ROUTE and
// NEIGH_UNRESOLVED each count exactly their packet and send back exactly the ICMPv6 error
// RFC 4443 asks for, or none; and echo answers A afterwards.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { parseAddr, parseMac, addressFromMac, linkLocalFromMac } from "../../loader/ip6";
import * as P from "../../cli/peer/packets";
import { Bench, icmpError, svc } from "./bench";
import * as F from "./frames";

const A = parseAddr("fd00:1::100");
const B = parseAddr("fd00:2::200");
const A_MAC = parseMac("02:00:00:00:01:99");
const B_MAC = parseMac("02:00:00:00:02:99");
const LAN0_MAC = parseMac("02:00:00:00:01:01");
const LAN1_MAC = parseMac("02:00:00:00:02:01");
const NODE_LAN0 = addressFromMac(parseAddr("fd00:1::"), LAN0_MAC);
const ECHO = parseAddr("fd00:1::7");
const DATA = Uint8Array.from([0x66, 0x77, 0x64]);

const YAML = `
node: { name: router.sabz.city, role: router }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:01:01", mtu: 1500, prefixes: ["fd00:1::/64"] }
  - { name: lan1, kind: virtual, mac: "02:00:00:00:02:01", mtu: 1280, prefixes: ["fd00:2::/64"] }
services:
${svc("echo.sabz.city", "build/wasm/services/echo.wasm", "fd00:1::7")}
`;
const PEERS = [
  { nic: "lan0", mac: "02:00:00:00:01:99", addr: "fd00:1::100" },
  { nic: "lan1", mac: "02:00:00:00:02:99", addr: "fd00:2::200" },
];

/** A UDP packet from src to dst, `size` bytes in all, hop limit hops. */
function udpOf(src: Uint8Array, dst: Uint8Array, size: number, hops = 64): Uint8Array {
  return F.patched(P.udp(src, dst, 40000, 5000, new Uint8Array(size - 48).fill(0x5a)), 7, hops);
}
const fromA = (pkt: Uint8Array) => P.ether(LAN0_MAC, A_MAC, P.ETH_IPV6, pkt);
const isUdp = (p: P.Parsed) => p.next === P.NH_UDP || p.next === F.NH_DSTOPT;

describe("a router: forwarding and its drops", () => {
  let b: Bench;
  before(async () => {
    b = await Bench.boot(YAML, PEERS);
    assert.ok(await b.introduce("lan0", ECHO), "the router advertises echo's address to A");
  });
  after(() => b?.close());

  /** Send from A; wait for `drops`; return what reached B and what came back to A. */
  async function send(pkt: Uint8Array, drops: Record<string, number>): Promise<P.Parsed[]> {
    await b.tick(250);
    b.peer("lan0").received.length = 0;
    b.peer("lan1").received.length = 0;
    const before = b.drops();
    b.peer("lan0").send(fromA(pkt));
    await b.dropped(before, drops);
    return b.peer("lan1").received.filter(isUdp);
  }

  /** A forwarded frame: from lan1's MAC to B's, the packet with hop limit one lower. */
  function assertForwarded(got: P.Parsed | undefined, sent: Uint8Array): void {
    assert.ok(got, "the packet reached B");
    assert.ok(P.equalBytes(got.srcMac, LAN1_MAC) && P.equalBytes(got.dstMac, B_MAC), "Ethernet addresses");
    assert.equal(got.ip![7], sent[7] - 1, "hop limit one lower");
    assert.deepEqual(Array.from(F.patched(got.ip!, 7, sent[7])), Array.from(sent), "every other byte the same");
  }

  it("forwards A → B with the hop limit one lower and every other byte unchanged", async () => {
    const pkt = F.chain(A, B, [{ type: F.NH_DSTOPT, body: F.options([0x1e, 2, 0xab, 0xcd]) }], P.NH_UDP,
      P.udp(A, B, 40000, 5000, DATA).subarray(40));
    pkt.set([0x6a, 0xbc, 0xde, 0xf1], 0);   // traffic class 0xab, flow label 0xcdef1
    b.peer("lan0").send(fromA(pkt));
    await b.until(() => b.peer("lan1").received.some(isUdp), 50);
    assertForwarded(b.peer("lan1").received.find(isUdp), pkt);
    const sizes = [[1280, 64], [1000, 2]];   // exactly lan1's MTU; hop limit 2 leaves with 1
    for (const [size, hops] of sizes) {
      const p = udpOf(A, B, size, hops);
      const got = await send(p, {});
      assert.equal(got.length, 1);
      assertForwarded(got[0], p);
    }
    assert.deepEqual(b.peer("lan0").received.filter((p) => p.icmpType! < 128), [], "no error to A");
  });

  it("HOP_LIMIT: hop limit 1 gets time exceeded (code 0), nothing reaches B", async () => {
    for (const hops of [1, 0]) {
      const pkt = udpOf(A, B, 100, hops);
      assert.deepEqual(await send(pkt, { HOP_LIMIT: 1 }), []);
      await icmpError(b, "lan0", { type: P.ICMP.TIME, code: 0, word: 0, from: NODE_LAN0, about: pkt });
    }
    assert.ok(await b.ping("lan0", ECHO));
  });

  it("TOO_BIG: 1281 bytes for lan1 (MTU 1280) gets packet too big with MTU 1280", async () => {
    const pkt = udpOf(A, B, 1281);
    assert.deepEqual(await send(pkt, { TOO_BIG: 1 }), []);
    await icmpError(b, "lan0", { type: P.ICMP.TOO_BIG, code: 0, word: 1280, from: NODE_LAN0, about: pkt });
    assert.ok(await b.ping("lan0", ECHO));
  });

  it("LINK_LOCAL_FWD: a link-local source gets destination unreachable code 2; a link-local destination, nothing", async () => {
    const fromLL = udpOf(linkLocalFromMac(A_MAC), B, 100);
    const toLL = udpOf(A, linkLocalFromMac(B_MAC), 100);
    assert.deepEqual(await send(fromLL, { LINK_LOCAL_FWD: 1 }), []);
    // RFC 4443 §3.1: beyond scope of source address, sent from the node's link-local address.
    const err = await b.until(() => b.peer("lan0").received.some((p) => p.icmpType === P.ICMP.UNREACH), 500);
    assert.ok(err, "destination unreachable came back");
    const e = b.peer("lan0").received.find((p) => p.icmpType === P.ICMP.UNREACH)!;
    assert.equal(e.icmpCode, 2);
    assert.ok(e.checksumOk);
    assert.ok(P.equalBytes(e.dst, linkLocalFromMac(A_MAC)));
    assert.ok(P.equalBytes(e.data!.subarray(0, fromLL.length), fromLL), "it quotes the packet");
    b.peer("lan0").received.length = 0;
    assert.deepEqual(await send(toLL, { LINK_LOCAL_FWD: 1 }), []);
    assert.deepEqual(await b.quiet(b.peer("lan0")), [], "no error comes back");
    assert.ok(await b.ping("lan0", ECHO));
  });

  it("MARTIAN: a packet in transit that claims the router's or a service's address as its source is not forwarded", async () => {
    for (const src of [NODE_LAN0, ECHO, addressFromMac(parseAddr("fd00:2::"), LAN1_MAC)]) {
      assert.deepEqual(await send(udpOf(src, B, 100), { MARTIAN: 1 }), [], "nothing reaches B");
      assert.deepEqual(await b.quiet(b.peer("lan0")), [], "no error comes back");
    }
    assert.ok(await b.ping("lan0", ECHO));
  });

  it("NO_ROUTE: a destination outside every prefix gets destination unreachable, code 0", async () => {
    const pkt = udpOf(A, parseAddr("2001:db8::1"), 100);
    assert.deepEqual(await send(pkt, { NO_ROUTE: 1 }), []);
    await icmpError(b, "lan0", { type: P.ICMP.UNREACH, code: 0, word: 0, from: NODE_LAN0, about: pkt });
    assert.ok(await b.ping("lan0", ECHO));
  });

  it("NEIGH_UNRESOLVED: 3 solicitations a second apart, then address unreachable for the held packet", async () => {
    const ghost = parseAddr("fd00:2::dead");
    const B_PEER = b.peer("lan1");
    const first = udpOf(A, ghost, 100);
    const second = udpOf(A, ghost, 120);
    // A second packet for the same unresolved neighbor replaces the held one, without an error.
    assert.deepEqual(await send(first, {}), []);
    assert.deepEqual(await send(second, { NEIGH_UNRESOLVED: 1 }), []);
    const t0 = b.now;
    const solicits: bigint[] = [];
    const before = b.drops();
    const isNs = (p: P.Parsed) => p.icmpType === P.ICMP.NS && P.equalBytes(p.data?.subarray(0, 16), ghost);
    const settled = await b.until(() => {
      for (const p of B_PEER.received.splice(0)) if (isNs(p)) solicits.push(b.now);
      return b.node.status().drops.NEIGH_UNRESOLVED > before.NEIGH_UNRESOLVED;
    }, 4000, 10);
    assert.ok(settled, "the held packet was given up within 4 s");
    const waited = Number(b.now - t0);
    assert.ok(waited >= 2500 && waited <= 3000, `given up ${waited} ms after the last send`);
    assert.equal(solicits.length, 2, "two more solicitations after the first (3 in all)");
    assert.ok(Number(solicits[1] - solicits[0]) === 1000, "a second apart");
    await b.dropped(before, { NEIGH_UNRESOLVED: 1 });
    await icmpError(b, "lan0", { type: P.ICMP.UNREACH, code: 3, word: 0, from: NODE_LAN0,
      about: F.patched(second, 7, 63) });
    assert.ok(await b.ping("lan0", ECHO));
  });
});
