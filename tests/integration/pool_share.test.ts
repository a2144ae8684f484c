// A service holds at most SVC_POOL_SHARE packet buffers (abi/limits.ts; spec/kernel.md):
// flood.sabz.city sends 64 datagrams a millisecond into a class whose max lets ~0.6 of
// them leave, so its frames wait in the egress queue. Its class never holds more than its
// share (64 frames), although the class queue (NIC_TXQ, 256) has room for more: the rest
// of the pool stays free for receiving and for the other services, and echo answers every
// ping while the flood runs.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import { parseAddr, equalBytes } from "../../loader/ip6";
import * as P from "../../cli/peer/packets";
import { svc, withBench } from "./bench";
import { SVC_POOL_SHARE } from "../../abi/limits";

const PEER = parseAddr("fd00:5ab2:1::100");
const ECHO = parseAddr("fd00:5ab2:1::7");
const FLOOD = parseAddr("fd00:5ab2:1::9");
const YAML = `
node: { name: share.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", rate: 10Mbit, prefixes: ["fd00:5ab2:1::/64"] }
services:
${svc("echo.sabz.city", "build/wasm/services/echo.wasm", "fd00:5ab2:1::7", ", net: [{ nic: lan0, min: 2Mbit }]")}
${svc("flood.sabz.city", "build/wasm/tests/flood.wasm", "fd00:5ab2:1::9", ", net: [{ nic: lan0, max: 5Mbit }]")}
`;

it("a flooding service holds at most its share of the packet pool; echo answers throughout", async () => {
  await withBench(YAML, [{ nic: "lan0", mac: "02:00:00:00:00:99", addr: "fd00:5ab2:1::100" }], async (b) => {
    const peer = b.peer("lan0");
    assert.ok(await b.introduce("lan0", ECHO));
    assert.ok(await b.introduce("lan0", FLOOD));
    peer.sendIp(b.nodeMac("lan0"), P.udp(PEER, FLOOD, 40009, 9, new TextEncoder().encode("flood")));
    const flood = b.node.status().services.find((v) => v.name === "flood.sabz.city")!;
    const queue = () => b.node.status().classes.find((c) => c.nic === 0 && c.class === flood.id)?.queue ?? 0;
    const before = b.drops().TXQ_FULL;
    let most = 0, sent = 0;
    for (let ms = 0; ms < 100; ms++) {
      if (ms % 10 === 0) peer.sendIp(b.nodeMac("lan0"), P.echoRequest(PEER, ECHO, 0x52, ++sent, new Uint8Array(56)));
      await b.tick(1);
      most = Math.max(most, queue());
    }
    await b.tick(20);
    const replies = peer.received.filter((p) => p.icmpType === P.ICMP.ECHO_REP && equalBytes(p.src!, ECHO)).length;
    assert.equal(most, SVC_POOL_SHARE, `the flood's class held at most, and at some point exactly, its share of the pool`);
    assert.ok(b.drops().TXQ_FULL - before > 1000, "sends past the share are refused and counted as TXQ_FULL");
    assert.equal(replies, sent, "echo answered every ping while the flood held its share");
  });
});
