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
import { formatAddr } from "../../loader/ip6";
import { ALL_NODES, CASES, DATA, ECHO, NODE_GL, NODE_LL, PEER, PEER_MAC, dstOpt, dstOpts, eth, group, ping, solicit } from "./drop_cases";
import * as P from "../../cli/peer/packets";
import { Bench, icmpError, svc } from "./bench";
import * as F from "./frames";

const YAML = `
node: { name: drops.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", mtu: 1500, prefixes: ["fd00:5ab2:1::/64"] }
services:
${svc("echo.sabz.city", "build/wasm/services/echo.wasm", "fd00:5ab2:1::7")}
`;

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

  it("an unknown Destination Option with action 00 is skipped and the node answers the ping", async () => {
    const r = await answered(eth(F.echoBehind(PEER, NODE_GL, [dstOpt(0x1e)], 4)), reply);
    assert.ok(P.equalBytes(r.src, NODE_GL) && r.icmpWord === ((0x7e57 << 16) | 4));
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
  SVC_SRC: "drops_services", SVC_MALFORMED: "drops_services", SVC_LINK_CONTROL: "drops_services", TXQ_FULL: "drops_limits", POOL_EMPTY: "drops_limits", NIC_DOWN: "drops_limits",
  ICMP_RATE: "drops_limits", CTL_MALFORMED: "control", CTL_RATE: "control", ADDR_TENTATIVE: "drops_client",
  WG_MALFORMED: "wg", WG_MAC: "wg, wg_flips", WG_HANDSHAKE: "wg, wg_flips", WG_KEY: "wg", WG_AUTH: "wg, wg_flips",
  WG_REPLAY: "wg", WG_SRC: "wg", WG_NO_PEER: "wg", WG_NO_SESSION: "wg",
  BLOCKED: "block, tests/kernel/main-filter.spec.ts", BLOCK_RELAY: "block", GSO_BAD: "tests/kernel/main-gso.spec.ts",
};
const OUT_OF_REACH: Record<string, string> = {};

it("every reason in abi/drop.ts is checked by these tests or said to be out of reach", () => {
  const reasons = Object.keys(Drop).filter((k) => isNaN(Number(k)) && k !== "COUNT").sort();
  const covered = new Set([...CASES.map((c) => c.reason), ...Object.keys(ELSEWHERE), ...Object.keys(OUT_OF_REACH)]);
  assert.deepEqual(reasons.filter((r) => !covered.has(r)), [], "reasons no test sends a packet for");
  assert.deepEqual([...covered].filter((r) => !reasons.includes(r)), [], "names that are not reasons");
});
