// What the frame fuzzer starts from and how it changes it: a corpus of well-formed frames a
// peer on lan0 may send the fuzz node (tests/fuzz/node.ts) — pings to the node, to echo, to
// all-nodes and beyond the router, neighbor and router discovery, UDP to services and to
// the node, extension-header chains, fragments, control datagrams, ICMPv6 errors — and
// mutations that keep them close to valid, where parsers break: bit flips, bytes and 16-bit
// length fields set to edge values, truncation, growth, header fields swapped. Built with
// the peer's own packet code, never the kernel's. Used by frames.test.ts.
import * as P from "../../cli/peer/packets";
import * as F from "../integration/frames";
import { parseAddr } from "../../loader/ip6";
import { hello } from "../../loader/control/message";
import { CTL_PORT } from "../../abi/control";
import { Rng } from "./rng";
import { ALICE, ECHO, KV, NODE, NODE_LL, NODE_MAC, PEER, PEER_MAC, SENDER, SINK } from "./node";

const ALL_NODES = parseAddr("ff02::1"), ALL_ROUTERS = parseAddr("ff02::2"), PEER_LL = parseAddr("fe80::99");
const eth = (p: Uint8Array) => P.ether(NODE_MAC, PEER_MAC, P.ETH_IPV6, p);
const group = (p: Uint8Array) => P.ether(P.multicastMac(p.subarray(24, 40)), PEER_MAC, P.ETH_IPV6, p);
const text = (s: string) => new TextEncoder().encode(s);

export function corpus(): Uint8Array[] {
  const dst = { type: F.NH_DSTOPT, body: F.options([0x1e, 2, 0, 0]) };
  const hbh = { type: F.NH_HOPOPT, body: F.options([5, 2, 0, 0]) };
  return [
    eth(P.echoRequest(PEER, ECHO, 1, 1, text("fuzz"))),
    eth(P.echoRequest(PEER, NODE, 1, 2, new Uint8Array(64))),
    eth(P.echoRequest(PEER, NODE_LL, 1, 3, text("ll"))),
    group(P.echoRequest(PEER_LL, ALL_NODES, 1, 4, text("all"))),
    eth(P.echoRequest(PEER, parseAddr("2001:db8::1"), 1, 5, text("far"))),
    eth(P.echoRequest(PEER, SINK, 1, 6, new Uint8Array(1300))),
    group(P.neighborSolicit(PEER, ECHO, PEER_MAC)),
    eth(F.solicit(PEER, NODE, NODE, 255, PEER_MAC)),
    group(P.icmp6(PEER, ALL_NODES, P.ICMP.NA, 0, 0x20000000, Uint8Array.from([...PEER, 2, 1, ...PEER_MAC]), 255)),
    group(P.icmp6(PEER_LL, ALL_ROUTERS, 133, 0, 0, Uint8Array.from([1, 1, ...PEER_MAC]), 255)),
    group(P.icmp6(PEER_LL, ALL_NODES, 134, 0, 0x40000708, Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, ...PEER_MAC]), 255)),
    eth(P.udp(PEER, ECHO, 40000, 7, text("echo me"))),
    eth(P.udp(PEER, KV, 40000, 7070, text("PUT fuzz value"))),
    eth(P.udp(PEER, KV, 40000, 7070, text("GET fuzz"))),
    eth(P.udp(PEER, SENDER, 40000, 9, text("to echo.sabz.city"))),
    eth(P.udp(PEER, NODE, 40000, 5000, text("closed port"))),
    eth(F.echoBehind(PEER, NODE, [dst], 7)),
    eth(F.echoBehind(PEER, ECHO, [hbh, dst], 8)),
    eth(F.echoBehind(PEER, NODE, [{ type: F.NH_ROUTING, body: F.routing(1, SINK) }], 9)),
    eth(F.chain(PEER, ECHO, [{ type: F.NH_FRAGMENT, body: F.fragment() }], P.NH_ICMPV6, F.icmpMessage(PEER, ECHO, 128, 0, 1, text("frag")))),
    eth(P.udp(PEER, NODE, 41000, CTL_PORT, hello(ALICE.publicKey))),
    eth(P.icmp6(PEER, NODE, P.ICMP.UNREACH, 3, 0, P.echoRequest(NODE, SINK, 2, 2, text("quoted")))),
    group(P.icmp6(PEER_LL, parseAddr("ff02::16"), 143, 0, 1, Uint8Array.from([4, 0, 0, 0, ...parseAddr("ff02::1:ff00:7")]), 1)),
    eth(P.echoRequest(PEER, ECHO, 1, 10, new Uint8Array(1452))),
  ];
}

/** One to four changes to a copy of frame, or now and then random bytes outright. */
export function mutate(r: Rng, frame: Uint8Array): Uint8Array {
  if (r.int(50) === 0) return r.bytes(r.int(1600));
  let f = Uint8Array.from(frame);
  for (let n = 1 + r.int(4); n > 0; n--) {
    const at = r.int(Math.max(1, f.length));
    switch (r.int(7)) {
      case 0: f[at] ^= 1 << r.int(8); break;
      case 1: f[at] = r.pick([0, 1, 0x7f, 0x80, 0xff, r.int(256)]); break;
      case 2: {                                            // a 16-bit field at an IPv6 or header length
        const w = r.pick([18, 54, 56, 58, at & ~1]);
        const v = r.pick([0, 1, 7, 8, 0xffff, f.length - 54, f.length - 53, r.int(65536)]);
        if (w + 1 < f.length) { f[w] = v >> 8; f[w + 1] = v & 0xff; }
        break;
      }
      case 3: f = f.subarray(0, at); break;
      case 4: f = Uint8Array.from([...f, ...r.bytes(r.int(64))]); break;
      case 5: if (f.length > 55) f[54] = r.pick([0, 43, 44, 50, 51, 58, 59, 60, 135, 136, 255]); break;   // next header of a first extension
      default: if (f.length > 20) f[20] = r.pick([0, 6, 17, 43, 44, 58, 59, 60, 135]);                   // IPv6 next header
    }
  }
  return f;
}
