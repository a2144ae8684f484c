// Every drop reason of the receive path that a peer on the link can reach, on a real node
// (kernel.wasm and echo under the Node host, booted from the YAML below): for each bad
// packet, exactly its counter grows by exactly one (spec/kernel.md, "One packet's way"),
// the ICMPv6 error that RFC 4443 calls for comes back with the right type, code, pointer,
// quote and checksum — or nothing comes back where no error is due — and echo still
// answers a ping. The cases run on the test's clock and again on the host's own event
// loop. Forwarding, services, resource limits and restarts have their own files
// (drops_router, drops_services, drops_limits, restart.test.ts); the last test here checks
// that together they cover every reason in abi/drop.ts.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { Drop } from "../../abi/drop";
import { parseAddr, parseMac, eui64FromMac, linkLocalFromMac, formatAddr } from "../../loader/ip6";
import * as P from "../../hosts/node/peer/packets";
import { Bench, Drops, icmpError, svc } from "./bench";
import * as F from "./frames";

const NODE_MAC = parseMac("02:00:00:00:00:01");
const PEER_MAC = parseMac("02:00:00:00:00:99");
const PEER = parseAddr("fd00:5ab2:1::100");
const ECHO = parseAddr("fd00:5ab2:1::7");
const NODE_GL = Uint8Array.from([...parseAddr("fd00:5ab2:1::").subarray(0, 8), ...eui64FromMac(NODE_MAC)]);
const NODE_LL = linkLocalFromMac(NODE_MAC);
const ALL_NODES = parseAddr("ff02::1");

const YAML = `
node: { name: drops.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", mtu: 1500, prefixes: ["fd00:5ab2:1::/64"] }
services:
${svc("echo.sabz.city", "build/wasm/services/echo.wasm", "fd00:5ab2:1::7")}
`;

const DATA = Uint8Array.from([0x64, 0x72, 0x6f, 0x70]);
const ping = (dst = ECHO, data = DATA) => P.echoRequest(PEER, dst, 0x1111, 1, data);
const eth = (pkt: Uint8Array) => P.ether(NODE_MAC, PEER_MAC, P.ETH_IPV6, pkt);
const group = (pkt: Uint8Array) => P.ether(P.multicastMac(pkt.subarray(24, 40)), PEER_MAC, P.ETH_IPV6, pkt);
const dstOpts = (): F.Ext => ({ type: F.NH_DSTOPT, body: F.options() });
const hopOpt = (type: number): F.Ext => ({ type: F.NH_HOPOPT, body: F.options([type, 2, 0, 0]) });
const udp = (dst: Uint8Array, port: number) => P.udp(PEER, dst, 40000, port, DATA);

/** A jumbogram announcement (RFC 2675): payload length 0 behind a Hop-by-Hop header. */
function jumbo(): Uint8Array {
  const hbh: F.Ext = { type: F.NH_HOPOPT, body: F.options([0xc2, 4, 0, 0, 0x10, 0]) };
  return F.patched(F.patched(F.echoBehind(PEER, ECHO, [hbh], 1), 4, 0), 5, 0);
}

/** A Neighbor Solicitation for the node's address, to its solicited-node group. */
const solicit = (src: Uint8Array, target: Uint8Array, hops: number, sll: Uint8Array | null) =>
  group(F.solicit(src, P.solicitedNode(NODE_GL), target, hops, sll));

/** A solicited Neighbor Advertisement sent to all nodes, which RFC 4861 §7.1.2 forbids. */
const solicitedToAll = () => group(P.icmp6(PEER, ALL_NODES, P.ICMP.NA, 0, 0x60000000,
  Uint8Array.from([...PEER, 2, 1, ...PEER_MAC]), 255));

interface Case {
  reason: string;
  what: string;
  frame: Uint8Array;
  drops: Drops;
  /** The ICMPv6 error due: type, code and word (pointer, MTU or 0). None when absent. */
  error?: [number, number, number];
}

const CASES: Case[] = [
  { reason: "FRAME_SHORT", what: "a 13-byte frame", frame: eth(ping()).subarray(0, 13), drops: { FRAME_SHORT: 1 } },
  { reason: "FRAME_OVERSIZE", what: "a 1515-byte frame on a 1500-byte MTU", frame: eth(ping(ECHO, new Uint8Array(1453))),
    drops: { FRAME_OVERSIZE: 1 } },
  { reason: "NOT_OUR_MAC", what: "a unicast frame for 02:00:00:00:00:77",
    frame: P.ether(parseMac("02:00:00:00:00:77"), PEER_MAC, P.ETH_IPV6, ping()), drops: { NOT_OUR_MAC: 1 } },
  { reason: "ETHERTYPE_IPV4", what: "an IPv4 packet", drops: { ETHERTYPE_IPV4: 1 },
    frame: P.ether(NODE_MAC, PEER_MAC, F.ETH_IPV4, Uint8Array.from([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2])) },
  { reason: "ETHERTYPE_OTHER", what: "an ARP request to the broadcast MAC", frame: F.arpRequest(PEER_MAC),
    drops: { ETHERTYPE_OTHER: 1 } },
  { reason: "ETHERTYPE_OTHER", what: "an IPv6 ping behind an 802.1Q VLAN tag", frame: F.vlanFrame(NODE_MAC, PEER_MAC, ping()),
    drops: { ETHERTYPE_OTHER: 1 } },
  { reason: "IP_SHORT", what: "39 bytes of IPv6 header", frame: eth(ping().subarray(0, 39)), drops: { IP_SHORT: 1 } },
  { reason: "IP_VERSION", what: "version 4 in an IPv6 frame", frame: eth(F.patched(ping(), 0, 0x45)), drops: { IP_VERSION: 1 } },
  { reason: "IP_LENGTH", what: "payload length one past the frame", frame: eth(F.patched(ping(), 5, 13)), drops: { IP_LENGTH: 1 } },
  { reason: "IP_LENGTH", what: "a jumbogram (payload length 0 behind Hop-by-Hop)", frame: eth(jumbo()), drops: { IP_LENGTH: 1 } },
  { reason: "IP_SRC", what: "a multicast source (no error is due to it)",
    frame: eth(P.echoRequest(parseAddr("ff02::1"), ECHO, 1, 1, DATA)), drops: { IP_SRC: 1 } },
  { reason: "EXT_HEADER", what: "a Destination Options header cut off after 4 bytes",
    frame: eth(P.ipv6(PEER, NODE_GL, F.NH_DSTOPT, Uint8Array.from([58, 0, 1, 0]))), drops: { EXT_HEADER: 1 } },
  { reason: "EXT_HEADER", what: "a header whose length runs past the packet",
    frame: eth(F.patched(F.echoBehind(PEER, NODE_GL, [dstOpts()], 1), 41, 2)), drops: { EXT_HEADER: 1 } },
  { reason: "EXT_HEADER", what: "a chain of 9 Destination Options headers",
    frame: eth(F.echoBehind(PEER, NODE_GL, new Array(9).fill(0).map(dstOpts), 1)), drops: { EXT_HEADER: 1 } },
  { reason: "EXT_HEADER", what: "an unknown Hop-by-Hop option with action 01 (discard silently)",
    frame: eth(F.echoBehind(PEER, ECHO, [hopOpt(0x41)], 1)), drops: { EXT_HEADER: 1 } },
  { reason: "EXT_HEADER", what: "an unknown Hop-by-Hop option with action 11 to a multicast group",
    frame: group(F.echoBehind(PEER, ALL_NODES, [hopOpt(0xc1)], 1)), drops: { EXT_HEADER: 1 } },
  { reason: "FRAGMENT", what: "a first fragment (no error is due)",
    frame: eth(F.chain(PEER, ECHO, [{ type: F.NH_FRAGMENT, body: F.fragment() }], P.NH_ICMPV6,
      F.icmpMessage(PEER, ECHO, P.ICMP.ECHO_REQ, 0, 1, DATA))), drops: { FRAGMENT: 1 } },
  { reason: "PARAM_PROBLEM", what: "Hop-by-Hop after Destination Options: code 1 at the Next Header that names it",
    frame: eth(F.echoBehind(PEER, ECHO, [dstOpts(), hopOpt(0x01)], 1)), drops: { PARAM_PROBLEM: 1 }, error: [P.ICMP.PARAM, 1, 40] },
  { reason: "PARAM_PROBLEM", what: "an unknown Hop-by-Hop option with action 10: code 2 at the option",
    frame: eth(F.echoBehind(PEER, ECHO, [hopOpt(0x85)], 1)), drops: { PARAM_PROBLEM: 1 }, error: [P.ICMP.PARAM, 2, 42] },
  { reason: "PARAM_PROBLEM", what: "an unknown option with action 11 to a unicast address: code 2",
    frame: eth(F.echoBehind(PEER, NODE_GL, [hopOpt(0xc5)], 1)), drops: { PARAM_PROBLEM: 1 }, error: [P.ICMP.PARAM, 2, 42] },
  { reason: "PARAM_PROBLEM", what: "action 10 to all-nodes: code 2 is due even for a group",
    frame: group(F.echoBehind(PEER, ALL_NODES, [hopOpt(0x85)], 1)), drops: { PARAM_PROBLEM: 1 }, error: [P.ICMP.PARAM, 2, 42] },
  { reason: "PARAM_PROBLEM", what: "a Routing header with segments left, to a service: code 0 at the routing type",
    frame: eth(F.echoBehind(PEER, ECHO, [{ type: F.NH_ROUTING, body: F.routing(1, parseAddr("fd00:5ab2:1::8")) }], 1)),
    drops: { PARAM_PROBLEM: 1 }, error: [P.ICMP.PARAM, 0, 42] },
  { reason: "ND_INVALID", what: "a Neighbor Solicitation with hop limit 64", frame: solicit(PEER, NODE_GL, 64, PEER_MAC),
    drops: { ND_INVALID: 1 } },
  { reason: "ND_INVALID", what: "a Neighbor Solicitation for a multicast target", frame: solicit(PEER, ALL_NODES, 255, PEER_MAC),
    drops: { ND_INVALID: 1 } },
  { reason: "ND_INVALID", what: "a DAD solicitation (source ::) with a source link-layer option",
    frame: solicit(new Uint8Array(16), NODE_GL, 255, PEER_MAC), drops: { ND_INVALID: 1 } },
  { reason: "ND_INVALID", what: "a solicited advertisement to all-nodes", frame: solicitedToAll(), drops: { ND_INVALID: 1 } },
  { reason: "ICMP_CHECKSUM", what: "an echo request to the node's link-local address, checksum wrong",
    frame: eth(F.badChecksum(P.echoRequest(PEER, NODE_LL, 1, 1, DATA))), drops: { ICMP_CHECKSUM: 1 } },
  { reason: "ICMP_CHECKSUM", what: "an echo request to the node's global address, checksum wrong",
    frame: eth(F.badChecksum(P.echoRequest(PEER, NODE_GL, 1, 1, DATA))), drops: { ICMP_CHECKSUM: 1 } },
  { reason: "ICMP_CHECKSUM", what: "a 3-byte ICMPv6 message to the node",
    frame: eth(P.ipv6(PEER, NODE_GL, P.NH_ICMPV6, Uint8Array.from([128, 0, 0]))), drops: { ICMP_CHECKSUM: 1 } },
  { reason: "MULTICAST", what: "UDP to ff02::16, a group the node has not joined (no error is due)",
    frame: group(udp(parseAddr("ff02::16"), 5000)), drops: { MULTICAST: 1 } },
  { reason: "MULTICAST", what: "UDP to ff05::1, site-scope all-nodes", frame: group(udp(parseAddr("ff05::1"), 5000)),
    drops: { MULTICAST: 1 } },
  { reason: "MULTICAST", what: "a ping to all-routers on a server", frame: group(ping(parseAddr("ff02::2"))), drops: { MULTICAST: 1 } },
  { reason: "MULTICAST", what: "a unicast packet in a multicast Ethernet frame",
    frame: P.ether(parseMac("33:33:00:00:00:01"), PEER_MAC, P.ETH_IPV6, ping()), drops: { MULTICAST: 1 } },
  { reason: "NO_ROUTE", what: "a ping to 2001:db8::1: no route, code 0", frame: eth(ping(parseAddr("2001:db8::1"))),
    drops: { NO_ROUTE: 1 }, error: [P.ICMP.UNREACH, 0, 0] },
  { reason: "NO_ROUTE", what: "a ping to an unassigned address of its own prefix: address unreachable, code 3",
    frame: eth(ping(parseAddr("fd00:5ab2:1::1234"))), drops: { NO_ROUTE: 1 }, error: [P.ICMP.UNREACH, 3, 0] },
  { reason: "NO_ROUTE", what: "UDP to the node's own address: port unreachable, code 4", frame: eth(udp(NODE_GL, 5000)),
    drops: { NO_ROUTE: 1 }, error: [P.ICMP.UNREACH, 4, 0] },
  { reason: "NO_ROUTE", what: "an ICMPv6 error to 2001:db8::1 (no error about an error)",
    frame: eth(P.icmp6(PEER, parseAddr("2001:db8::1"), P.ICMP.UNREACH, 3, 0, ping(parseAddr("2001:db8::2")))),
    drops: { NO_ROUTE: 1 } },
  { reason: "NO_ROUTE", what: "UDP to all-nodes, which the node has no port for (no error to a group)",
    frame: group(udp(ALL_NODES, 5000)), drops: { NO_ROUTE: 1 } },
];

function summary(p: P.Parsed): string {
  const ip = p.src ? ` ${formatAddr(p.src)} > ${formatAddr(p.dst!)} next ${p.next}` : "";
  return `ethertype 0x${p.type.toString(16)}${ip} icmp ${p.icmpType}/${p.icmpCode}`;
}

/** Each case on a fresh node: on the test's clock, or on the host's own event loop. */
function dropCases(title: string, realTime: boolean): void {
  describe(title, () => {
    let b: Bench;
    before(async () => {
      b = await Bench.boot(YAML, [{ nic: "lan0", mac: "02:00:00:00:00:99", addr: "fd00:5ab2:1::100" }], realTime);
      assert.ok(await b.introduce("lan0", ECHO), "the node advertises echo's address");
    });
    after(() => b?.close());

    for (const c of CASES) {
      it(`${c.reason}: ${c.what}`, async () => {
        const peer = b.peer("lan0");
        if (!realTime) await b.tick(250);        // the ICMPv6 error bucket is full again
        peer.received.length = 0;
        const before = b.drops();
        const sent = b.node.status().node!.icmpErrorsSent;
        peer.send(c.frame);
        await b.dropped(before, c.drops);
        if (c.error) {
          const [type, code, word] = c.error;
          await icmpError(b, "lan0", { type, code, word, from: NODE_GL, about: c.frame.subarray(14) });
        }
        assert.deepEqual((await b.quiet(peer)).map(summary), [], "nothing else comes back");
        assert.equal(b.node.status().node!.icmpErrorsSent - sent, c.error ? 1 : 0, "ICMPv6 errors sent");
        assert.ok(await b.ping("lan0", ECHO), "echo still answers a ping");
        assert.deepEqual(b.errors, []);
      });
    }
  });
}

dropCases("a server node: each bad packet is dropped for its own reason", false);
dropCases("the same on the host's own event loop and clock (autoPoll)", true);

describe("a server node: packets just inside the limits are answered, not dropped", () => {
  let b: Bench;
  before(async () => {
    b = await Bench.boot(YAML, [{ nic: "lan0", mac: "02:00:00:00:00:99", addr: "fd00:5ab2:1::100" }]);
    assert.ok(await b.introduce("lan0", ECHO), "the node advertises echo's address");
  });
  after(() => b?.close());

  /** Send frame; expect no drop and one reply matching, returned. */
  async function answered(frame: Uint8Array, match: (p: P.Parsed) => boolean): Promise<P.Parsed> {
    const peer = b.peer("lan0");
    await b.tick(250);
    peer.received.length = 0;
    const before = b.drops();
    peer.send(frame);
    const r = await b.frame(peer, match);
    await b.dropped(before, {});
    assert.ok(r, "an answer came back");
    assert.equal(r.checksumOk, true, "its checksum is right");
    assert.deepEqual((await b.quiet(peer)).map(summary), [], "nothing else comes back");
    return r;
  }
  const reply = (p: P.Parsed) => p.icmpType === P.ICMP.ECHO_REP;

  it("a 1514-byte frame (MTU 1500) reaches echo, whose 1500-byte reply comes back", async () => {
    const r = await answered(eth(ping(ECHO, new Uint8Array(1452).fill(7))), reply);
    assert.equal(r.ip!.length, 1500);
  });

  it("a frame with Ethernet padding after the packet is answered without the padding", async () => {
    const r = await answered(Uint8Array.from([...eth(ping()), 0, 0, 0, 0, 0, 0]), reply);
    assert.ok(P.equalBytes(r.data, DATA) && r.ip!.length === 52);
  });

  it("8 Destination Options headers (EXT_MAX) are walked and the node answers the ping", async () => {
    const r = await answered(eth(F.echoBehind(PEER, NODE_GL, new Array(8).fill(0).map(dstOpts), 3)), reply);
    assert.ok(P.equalBytes(r.src, NODE_GL) && r.icmpWord === ((0x7e57 << 16) | 3));
  });

  it("the node answers a ping to its global address", async () => {
    const r = await answered(eth(ping(NODE_GL)), reply);
    assert.ok(P.equalBytes(r.src, NODE_GL));
  });

  it("the node answers a ping to its link-local address", async () => {
    const r = await answered(eth(ping(NODE_LL)), reply);
    assert.ok(P.equalBytes(r.src, NODE_LL));
  });

  it("the node answers a unicast solicitation (reachability probe) for its link-local address", async () => {
    const r = await answered(eth(F.solicit(PEER, NODE_LL, NODE_LL, 255, PEER_MAC)), (p) => p.icmpType === P.ICMP.NA);
    assert.ok(P.equalBytes(r.data?.subarray(0, 16), NODE_LL) && P.equalBytes(r.dst, PEER));
  });

  it("a DAD solicitation without options is answered to all-nodes, not solicited", async () => {
    const r = await answered(solicit(new Uint8Array(16), NODE_GL, 255, null), (p) => p.icmpType === P.ICMP.NA);
    assert.ok(P.equalBytes(r.dst, ALL_NODES) && P.equalBytes(r.data?.subarray(0, 16), NODE_GL));
    assert.equal(r.icmpWord! & 0x40000000, 0, "S flag clear");
  });

  it("a ping to all-nodes is answered from the link-local address", async () => {
    const r = await answered(group(ping(ALL_NODES)), reply);
    assert.ok(P.equalBytes(r.src, NODE_LL) && P.equalBytes(r.dst, PEER));
  });

  it("a frame larger than the kernel's receive buffer is counted by the host, not the kernel", async () => {
    const before = b.drops();
    const tooLong = () => b.node.status().host!.nics[0].counters.rx_too_long;
    const n = tooLong();
    b.peer("lan0").send(eth(ping(ECHO, new Uint8Array(9014 - 62 + 1))));
    await b.dropped(before, {});
    assert.equal(tooLong() - n, 1);
    assert.ok(await b.ping("lan0", ECHO));
  });
});

/** Reasons checked in the sibling files, and the one no outside party can reach. */
const ELSEWHERE: Record<string, string> = {
  HOP_LIMIT: "drops_router", TOO_BIG: "drops_router, drops_services", LINK_LOCAL_FWD: "drops_router",
  NEIGH_UNRESOLVED: "drops_router", SVC_DOWN: "drops_services, restart", SVC_QUEUE_FULL: "drops_services",
  SVC_SRC: "drops_services", SVC_MALFORMED: "drops_services", TXQ_FULL: "drops_limits", POOL_EMPTY: "drops_limits", NIC_DOWN: "drops_limits",
  ICMP_RATE: "drops_limits",
};
const OUT_OF_REACH: Record<string, string> = {};

it("every reason in abi/drop.ts is checked by these tests or said to be out of reach", () => {
  const reasons = Object.keys(Drop).filter((k) => isNaN(Number(k)) && k !== "COUNT").sort();
  const covered = new Set([...CASES.map((c) => c.reason), ...Object.keys(ELSEWHERE), ...Object.keys(OUT_OF_REACH)]);
  assert.deepEqual(reasons.filter((r) => !covered.has(r)), [], "reasons no test sends a packet for");
  assert.deepEqual([...covered].filter((r) => !reasons.includes(r)), [], "names that are not reasons");
});
