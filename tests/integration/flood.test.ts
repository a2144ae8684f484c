// Network containment (issue #5): on a 10 Mbit/s NIC, flood.sabz.city (max 5 Mbit/s)
// offers 512 Mbit/s while echo.sabz.city (min 2 Mbit/s) answers 100 pings of 1000 bytes
// a second. Over one second of kernel time the flood gets its max and no more, every ping
// is answered, and the excess is counted as TXQ_FULL drops — the node goes on.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import { parseAddr, equalBytes } from "../../loader/ip6";
import * as P from "../../cli/peer/packets";
import { svc, withBench } from "./bench";
import { formatStatus } from "../../loader/status/decode";

const PEER = parseAddr("fd00:5ab2:1::100");
const ECHO = parseAddr("fd00:5ab2:1::7");
const FLOOD = parseAddr("fd00:5ab2:1::9");
const YAML = `
node: { name: flood.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", rate: 10Mbit, prefixes: ["fd00:5ab2:1::/64"] }
services:
${svc("echo.sabz.city", "build/wasm/services/echo.wasm", "fd00:5ab2:1::7", ", net: [{ nic: lan0, min: 2Mbit }]")}
${svc("flood.sabz.city", "build/wasm/tests/flood.wasm", "fd00:5ab2:1::9", ", net: [{ nic: lan0, max: 5Mbit }]")}
`;

it("a flooding service gets its max and no more; echo keeps its min and answers every ping", async () => {
  await withBench(YAML, [{ nic: "lan0", mac: "02:00:00:00:00:99", addr: "fd00:5ab2:1::100" }], async (b) => {
    const peer = b.peer("lan0");
    assert.ok(await b.introduce("lan0", ECHO));
    assert.ok(await b.introduce("lan0", FLOOD));
    peer.sendIp(b.nodeMac("lan0"), P.udp(PEER, FLOOD, 40009, 9, new TextEncoder().encode("flood")));
    await b.tick(50);                                 // let the flood reach its rate
    peer.received.length = 0;
    const before = b.drops();
    let floodBytes = 0, replies = 0, sent = 0;
    const count = (window = true) => {
      for (const p of peer.received.splice(0)) {
        if (p.sport === 9 && equalBytes(p.src!, FLOOD)) floodBytes += window ? p.ip!.length + 14 : 0;
        else if (p.icmpType === P.ICMP.ECHO_REP && equalBytes(p.src!, ECHO)) replies++;
      }
    };
    for (let ms = 0; ms < 1000; ms++) {
      if (ms % 10 === 0) {
        peer.sendIp(b.nodeMac("lan0"), P.echoRequest(PEER, ECHO, 0x51, ++sent, new Uint8Array(1000 - 48)));
      }
      await b.tick(1);
      count();
    }
    await b.tick(20);                                 // the last replies; the flood is past its second
    count(false);
    const mbit = (floodBytes * 8) / 1e6;
    console.log(`flood: ${mbit.toFixed(3)} Mbit/s, ${replies}/${sent} pings answered, TXQ_FULL +${b.drops().TXQ_FULL - before.TXQ_FULL}`);
    assert.equal(replies, sent, "every ping answered while the flood runs");
    assert.ok(mbit <= 5 * 1.01 + 0.03, `the flood got ${mbit.toFixed(3)} Mbit/s, over its max of 5`);
    assert.ok(mbit >= 4.8, `the flood got ${mbit.toFixed(3)} Mbit/s; spare capacity should give it its max`);
    assert.ok(b.drops().TXQ_FULL - before.TXQ_FULL > 1000, "the excess is counted as TXQ_FULL");
    // What each was granted and what it uses, as `persia status` shows it.
    const st = b.node.status();
    const flood = st.services.find((v) => v.name === "flood.sabz.city")!;
    const cls = st.classes.find((c) => c.nic === 0 && c.class === flood.id)!;
    assert.deepEqual([cls.minBits, cls.maxBits], [0, 5e6]);
    assert.ok(cls.bytes * 8 >= 5e6, "the flood's class counts its bytes");
    const echoCls = st.classes.find((c) => c.nic === 0 && c.class === st.services.find((v) => v.name === "echo.sabz.city")!.id)!;
    assert.deepEqual([echoCls.minBits, echoCls.maxBits, echoCls.drops], [2e6, 0, 0]);
    assert.ok(flood.ramPages! >= 1 && flood.ramMaxPages === 4, "RAM now and max (256 KiB)");
    const text = formatStatus(st);
    assert.match(text, /Egress classes/);
    assert.match(text, /flood\.sabz\.city +- +5 Mbit\/s/);
  });
});
