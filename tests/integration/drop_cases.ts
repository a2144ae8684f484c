// The bad packets a peer on the link can send a server node, each with the one drop
// reason it must be counted under and the ICMPv6 error due (if any): the receive path's
// cases, shared by tests/integration/drops.test.ts (the Node host, in process) and the
// parity suite (tests/parity, the Node host and the wasmtime image over VXLAN). They
// assume the node's NIC has MAC 02:00:00:00:00:01 on fd00:5ab2:1::/64 and echo.sabz.city
// at fd00:5ab2:1::7; the peer is 02:00:00:00:00:99, fd00:5ab2:1::100.
import { parseAddr, parseMac, addressFromMac, linkLocalFromMac } from "../../loader/ip6";
import * as P from "../../cli/peer/packets";
import { Drops } from "./bench";
import * as F from "./frames";

export const NODE_MAC = parseMac("02:00:00:00:00:01");
export const PEER_MAC = parseMac("02:00:00:00:00:99");
export const PEER = parseAddr("fd00:5ab2:1::100");
export const ECHO = parseAddr("fd00:5ab2:1::7");
export const NODE_GL = addressFromMac(parseAddr("fd00:5ab2:1::"), NODE_MAC);
export const NODE_LL = linkLocalFromMac(NODE_MAC);
export const ALL_NODES = parseAddr("ff02::1");


export const DATA = Uint8Array.from([0x64, 0x72, 0x6f, 0x70]);
export const ping = (dst = ECHO, data = DATA) => P.echoRequest(PEER, dst, 0x1111, 1, data);
export const eth = (pkt: Uint8Array) => P.ether(NODE_MAC, PEER_MAC, P.ETH_IPV6, pkt);
export const group = (pkt: Uint8Array) => P.ether(P.multicastMac(pkt.subarray(24, 40)), PEER_MAC, P.ETH_IPV6, pkt);
export const dstOpts = (): F.Ext => ({ type: F.NH_DSTOPT, body: F.options() });
export const hopOpt = (type: number): F.Ext => ({ type: F.NH_HOPOPT, body: F.options([type, 2, 0, 0]) });
export const dstOpt = (type: number): F.Ext => ({ type: F.NH_DSTOPT, body: F.options([type, 2, 0, 0]) });
const LOOPBACK = parseAddr("::1");
const UNSPECIFIED = parseAddr("::");
const MAPPED = parseAddr("::ffff:c000:201");   // 192.0.2.1 mapped into IPv6 (RFC 4291 §2.5.5.2)
export const udp = (dst: Uint8Array, port: number) => P.udp(PEER, dst, 40000, port, DATA);

/** A jumbogram announcement (RFC 2675): payload length 0 behind a Hop-by-Hop header. */
function jumbo(): Uint8Array {
  const hbh: F.Ext = { type: F.NH_HOPOPT, body: F.options([0xc2, 4, 0, 0, 0x10, 0]) };
  return F.patched(F.patched(F.echoBehind(PEER, ECHO, [hbh], 1), 4, 0), 5, 0);
}

/** A Neighbor Solicitation for the node's address, to its solicited-node group. */
export const solicit = (src: Uint8Array, target: Uint8Array, hops: number, sll: Uint8Array | null) =>
  group(F.solicit(src, P.solicitedNode(NODE_GL), target, hops, sll));

/** A solicited Neighbor Advertisement sent to all nodes, which RFC 4861 §7.1.2 forbids. */
export const solicitedToAll = () => group(P.icmp6(PEER, ALL_NODES, P.ICMP.NA, 0, 0x60000000,
  Uint8Array.from([...PEER, 2, 1, ...PEER_MAC]), 255));

export interface Case {
  reason: string;
  what: string;
  frame: Uint8Array;
  drops: Drops;
  /** The ICMPv6 error due: type, code and word (pointer, MTU or 0). None when absent. */
  error?: [number, number, number];
}

export const CASES: Case[] = [
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
  { reason: "EXT_HEADER", what: "an unknown Destination Option with action 01 to the node (discard silently)",
    frame: eth(F.echoBehind(PEER, NODE_GL, [dstOpt(0x41)], 1)), drops: { EXT_HEADER: 1 } },
  { reason: "EXT_HEADER", what: "an unknown Destination Option with action 11 to all-nodes (discard silently)",
    frame: group(F.echoBehind(PEER, ALL_NODES, [dstOpt(0xc1)], 1)), drops: { EXT_HEADER: 1 } },
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
  { reason: "PARAM_PROBLEM", what: "an unknown Destination Option with action 10, to the node: code 2 at the option",
    frame: eth(F.echoBehind(PEER, NODE_GL, [dstOpt(0x85)], 1)), drops: { PARAM_PROBLEM: 1 }, error: [P.ICMP.PARAM, 2, 42] },
  { reason: "PARAM_PROBLEM", what: "an unknown Destination Option with action 11, to the node's link-local address: code 2",
    frame: eth(F.echoBehind(PEER, NODE_LL, [dstOpt(0xc5)], 1)), drops: { PARAM_PROBLEM: 1 }, error: [P.ICMP.PARAM, 2, 42] },
  { reason: "PARAM_PROBLEM", what: "a second Destination Options header, after a known one, with action 10: code 2 at it",
    frame: eth(F.echoBehind(PEER, NODE_GL, [dstOpts(), dstOpt(0x99)], 1)), drops: { PARAM_PROBLEM: 1 }, error: [P.ICMP.PARAM, 2, 50] },
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
  { reason: "MARTIAN", what: "a ping to echo from ::1 (loopback never leaves a node)",
    frame: eth(P.echoRequest(LOOPBACK, ECHO, 1, 1, DATA)), drops: { MARTIAN: 1 } },
  { reason: "MARTIAN", what: "a ping to ::1 in a frame for the node's MAC", frame: eth(ping(LOOPBACK)), drops: { MARTIAN: 1 } },
  { reason: "MARTIAN", what: "a ping to echo from an IPv4-mapped address", frame: eth(P.echoRequest(MAPPED, ECHO, 1, 1, DATA)),
    drops: { MARTIAN: 1 } },
  { reason: "MARTIAN", what: "a ping to an IPv4-mapped address", frame: eth(ping(MAPPED)), drops: { MARTIAN: 1 } },
  { reason: "MARTIAN", what: "a ping to ::", frame: eth(ping(UNSPECIFIED)), drops: { MARTIAN: 1 } },
  { reason: "MARTIAN", what: "a ping to the node from :: (only address-less ND and MLD may use it)",
    frame: eth(P.echoRequest(UNSPECIFIED, NODE_GL, 1, 1, DATA)), drops: { MARTIAN: 1 } },
  { reason: "MARTIAN", what: "a ping to all-nodes from ::", frame: group(P.echoRequest(UNSPECIFIED, ALL_NODES, 1, 1, DATA)),
    drops: { MARTIAN: 1 } },
  { reason: "MARTIAN", what: "a ping to echo from the node's own address", frame: eth(P.echoRequest(NODE_GL, ECHO, 1, 1, DATA)),
    drops: { MARTIAN: 1 } },
  { reason: "MARTIAN", what: "a ping to the node, behind Destination Options, from echo's address (its reply would come back in)",
    frame: eth(F.echoBehind(ECHO, NODE_GL, [dstOpts()], 1)), drops: { MARTIAN: 1 } },
  { reason: "MARTIAN", what: "a ping to the node's link-local address from its own link-local address",
    frame: eth(P.echoRequest(NODE_LL, NODE_LL, 1, 1, DATA)), drops: { MARTIAN: 1 } },
  { reason: "MARTIAN", what: "a solicitation for the node from echo's address, which nobody on the link may use",
    frame: solicit(ECHO, NODE_GL, 255, PEER_MAC), drops: { MARTIAN: 1 } },
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

