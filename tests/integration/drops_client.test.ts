// The client role's drop (spec/kernel.md, "The client role"), on a real node on the test's
// clock: role client, lan0 (fd00:1::/64) with the default autoconf and one DAD transmit,
// echo at fd00:1::7. Until DAD has cleared echo's address (its solicitation from ::, then
// RetransTimer), a ping to it is dropped without a word (ADDR_TENTATIVE, RFC 4862 §5.4);
// after, echo answers. Another host's NA for kv's address makes it a duplicate: never
// used (the address is that host's now, so the node no longer drops for it), and the node
// says so in its log.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { parseAddr, parseMac } from "../../loader/ip6";
import * as P from "../../cli/peer/packets";
import { Bench, svc } from "./bench";

const ECHO = parseAddr("fd00:1::7");
const KV = parseAddr("fd00:1::8");
const LAN0_MAC = parseMac("02:00:00:00:01:01");
const X_MAC = parseMac("02:00:00:00:01:77");

const YAML = `
node: { name: client.sabz.city, role: client }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:01:01", mtu: 1500, prefixes: ["fd00:1::/64"] }
services:
${svc("echo.sabz.city", "build/wasm/services/echo.wasm", "fd00:1::7")}
${svc("kv.sabz.city", "build/wasm/services/echo.wasm", "fd00:1::8")}
`;
const PEERS = [{ nic: "lan0", mac: "02:00:00:00:01:99", addr: "fd00:1::100" }];

describe("a client: addresses under DAD", () => {
  let b: Bench;
  before(async () => { b = await Bench.boot(YAML, PEERS); });
  after(() => b?.close());

  it("ADDR_TENTATIVE: a ping to echo's address before DAD cleared it is dropped, and nothing answers", async () => {
    const before = b.drops();
    const peer = b.peer("lan0");
    peer.received.length = 0;
    peer.sendIp(LAN0_MAC, P.echoRequest(peer.addr, ECHO, 1, 1, Uint8Array.of(1)));
    await b.dropped(before, { ADDR_TENTATIVE: 1 });
    assert.deepEqual(peer.received.filter((p) => p.icmpType === P.ICMP.ECHO_REP || p.icmpType === P.ICMP.UNREACH), []);
  });

  it("another host's advertisement for kv's address makes it a duplicate, said in the log", async () => {
    const peer = b.peer("lan0");
    // An unsolicited NA with the override flag, as a host defending its address sends it.
    const na = P.icmp6(KV, parseAddr("ff02::1"), P.ICMP.NA, 0, 0x20000000, P.ndRest(KV, 2, X_MAC), 255);
    peer.send(P.ether(P.multicastMac(parseAddr("ff02::1")), X_MAC, P.ETH_IPV6, na));
    assert.ok(await b.until(() => b.logs.some((l) => l.includes("fd00:1::8") && l.includes("duplicate")), 100),
      `a log line about the duplicate: ${b.logs.join("\n")}`);
  });

  it("echo answers once DAD is over (at most 2 s on the kernel's clock); kv never does", async () => {
    assert.ok(await b.until(() => b.node.status().addresses.some((a) => a.address === "fd00:1::7" && a.state === "PREFERRED"), 2500, 50));
    assert.ok(await b.ping("lan0", ECHO), "echo answers at its address");
    const before = b.drops();
    assert.equal(await b.ping("lan0", KV), false, "kv's duplicate address is not used");
    assert.equal(b.node.status().drops.ADDR_TENTATIVE, before.ADDR_TENTATIVE, "another host's address is not dropped as ours");
    assert.equal(b.node.status().addresses.find((a) => a.address === "fd00:1::8")?.state, "DUPLICATE");
  });
});
