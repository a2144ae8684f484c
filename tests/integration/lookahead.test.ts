// k_rx_batch's lookups ahead (kernel/main.ts, route.ts routeHint) against a change to the
// table made by a frame of the same batch: with more than LOOKAHEAD_ROUTES routes, a signed
// LOAD and three pings to the address it gives arrive in one turn of the node, so one
// k_rx_batch. Each ping's route was looked up before the LOAD added the service's /128 (the
// connected /64 then); it must be taken again, so the pings meet the new service (not yet
// started: dropped at its door, SVC_DOWN). Handed the answer looked up ahead, the node would
// go looking for the address on the link instead (a neighbor solicitation).
import { it } from "node:test";
import * as assert from "node:assert/strict";
import { CTL_PORT, Op } from "../../abi/control";
import { parseAddr, formatAddr } from "../../loader/ip6";
import { signed, publicKeyText } from "../../loader/control/message";
import { loadRequest } from "../../loader/control/request";
import { ROOT } from "../../hosts/node/paths";
import * as P from "../../cli/peer/packets";
import { prefixes } from "../bench/routes";
import { ALICE, MAC, NODE, PEER, svcYaml, withCtl } from "./ctl";

const ROUTES = 4200;   // more than LOOKAHEAD_ROUTES (4,096)

function nodeYaml(): string {
  return `
node: { name: ahead.sabz.city, role: router, ram: 1MiB }
nics:
  - { name: lan0, kind: virtual, mac: "${MAC}", prefixes: ["fd00:5ab2:1::/64"], ra: false }
routes:
${prefixes(ROUTES).map((p) => `  - { to: "${p.text}", via: "${formatAddr(PEER)}", nic: lan0 }`).join("\n")}
services: []
users:
  - { name: alice, key: "${publicKeyText(ALICE.publicKey)}", domains: [a.sabz.city], addresses: ["fd00:5ab2:1::a0/124"] }
store:
  - { module: build/wasm/services/echo.wasm, ram: 1MiB }
`;
}

it("a LOAD and pings to its address in one batch: the pings reach the service the LOAD started, not a lookup made before it", async () => {
  await withCtl(() => nodeYaml(), async (c, b) => {
    const X = parseAddr("fd00:5ab2:1::a1");
    const body = loadRequest(svcYaml("echo1.a.sabz.city", "fd00:5ab2:1::a1"), "load.yaml", ROOT, c.manifest).body;
    await b.tick(250);
    const h = await c.hello();
    const peer = b.peer("lan0");
    const mac = b.nodeMac("lan0");
    // One turn: the virtual link hands all four to the node in one drain, so one k_rx_batch.
    peer.sendIp(mac, P.udp(PEER, NODE, 41999, CTL_PORT, signed(Op.LOAD, h.epoch, 1n, ALICE, body, h.cookie)));
    for (let seq = 1; seq <= 3; seq++) peer.sendIp(mac, P.echoRequest(PEER, X, 0x77, seq, Uint8Array.from([seq])));
    const before = b.drops();
    const answer = await b.frame(peer, (p) => p.sport === CTL_PORT && p.dport === 41999, 200);
    assert.ok(answer, "the node answered the LOAD");
    // The service is not started before the batch's next poll, so each ping meets its door
    // (SVC_DOWN): the route taken is the service's /128, the LOAD's, not the connected /64.
    await b.dropped(before, { SVC_DOWN: 3 });
    const solicited = peer.received.filter((p) => p.icmpType === P.ICMP.NS && P.equalBytes(p.data?.subarray(4, 20), X));
    assert.equal(solicited.length, 0, "the node never looked for the service's address on the link");
    assert.equal(await b.ping("lan0", X, 200), true, "echo1.a.sabz.city answers once started");
  });
});
