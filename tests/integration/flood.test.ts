// Network containment (spec/kernel.md "Egress scheduling") on a real node: on a 10 Mbit/s
// NIC, flood.sabz.city (max 5 Mbit/s) offers 512 Mbit/s while echo.sabz.city (min
// 2 Mbit/s) answers 100 pings of 1000 bytes a second. The flood's bytes are the kernel's
// own counter (its CLASS record, status) against the kernel's clock (the NODE record), read
// after every poll; from the poll that first found its queue backlogged, it stays
// backlogged, and the spec's bound holds with no tolerance: at most max × elapsed plus the
// one idle burst (the credit cap: 2 ms of max plus one frame of the NIC's MTU), and, since
// it is limited by its max, less than one frame below max × elapsed. Every ping is answered
// and the excess is counted as TXQ_FULL drops: the node goes on.
//
// Once on the test's clock (a poll every millisecond), once on the host's own (autoPoll,
// real timers, the test polls too each time it reads). Real time adds only lateness: a
// poll can come late, never early, and the kernel's clock is the host's, so the upper bound
// is the same. The lower bound loses what the spec lets a late host lose: a class catches
// up at most 100 ms of a gap between polls, so each gap between the test's reads (which
// bound the gaps between polls) beyond 100 ms is taken off the elapsed time.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import { parseAddr, equalBytes } from "../../loader/ip6";
import * as P from "../../cli/peer/packets";
import { Bench, svc, withBench } from "./bench";
import { formatStatus } from "../../loader/status/decode";
import { ETH_HDR } from "../../abi/kernel";
import { SVC_POOL_SHARE } from "../../abi/limits";

const PEER = parseAddr("fd00:5ab2:1::100");
const ECHO = parseAddr("fd00:5ab2:1::7");
const FLOOD = parseAddr("fd00:5ab2:1::9");
const MAX = 5e6 / 8;            // the flood's max, bytes per second
const CAP_MS = 2;               // spec/kernel.md: credit kept, 2 ms of rate plus a frame
const CATCHUP_MS = 100;         // spec/kernel.md: a waiting class catches up at most 100 ms
const YAML = `
node: { name: flood.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", rate: 10Mbit, prefixes: ["fd00:5ab2:1::/64"] }
services:
${svc("echo.sabz.city", "build/wasm/services/echo.wasm", "fd00:5ab2:1::7", ", net: [{ nic: lan0, min: 2Mbit }]")}
${svc("flood.sabz.city", "build/wasm/tests/flood.wasm", "fd00:5ab2:1::9", ", net: [{ nic: lan0, max: 5Mbit }]")}
`;
const PEERS = [{ nic: "lan0", mac: "02:00:00:00:00:99", addr: "fd00:5ab2:1::100" }];

/** The flood's class on lan0 and the kernel's clock, from a fresh status snapshot. */
function floodClass(b: Bench): { now: number; bytes: number; queue: number } {
  const st = b.node.status();
  const id = st.services.find((v) => v.name === "flood.sabz.city")!.id;
  const cls = st.classes.find((c) => c.nic === 0 && c.class === id);
  return { now: st.node!.nowMs, bytes: cls?.bytes ?? 0, queue: cls?.queue ?? 0 };
}

/** The flood's bytes checked against its max after every read; `read` polls and reads. */
class FloodWatch {
  private start: { now: number; bytes: number } | null = null;
  private lastNow = 0;
  private lost = 0;                       // ms of gaps beyond what a class catches up
  readonly frame: number;
  constructor(mtu: number) { this.frame = mtu + ETH_HDR; }

  check(c: { now: number; bytes: number; queue: number }): void {
    if (this.start === null) {
      if (c.queue > 0) { this.start = c; this.lastNow = c.now; }
      return;
    }
    assert.ok(c.queue > 0, `the flood's queue ran empty at ${c.now}`);
    this.lost += Math.max(0, c.now - this.lastNow - CATCHUP_MS);
    this.lastNow = c.now;
    const sent = c.bytes - this.start.bytes, elapsed = c.now - this.start.now;
    assert.ok(sent * 1000 <= MAX * (elapsed + CAP_MS) + this.frame * 1000,
      `the flood sent ${sent} bytes in ${elapsed} ms, over its max plus one idle burst`);
    assert.ok(sent * 1000 > MAX * (elapsed - this.lost) - this.frame * 1000,
      `the flood sent ${sent} bytes in ${elapsed} ms (${this.lost} ms of it lost to late polls), under its max`);
  }

  mbit(c: { now: number; bytes: number }): string {
    return ((c.bytes - this.start!.bytes) * 8 / (c.now - this.start!.now) / 1000).toFixed(3);
  }
}

/** Start the flood, then for `ms` read the flood's counter at every step and send a ping
 *  every `pingEvery` steps (`step` polls once on the test's clock, or waits on the host's). */
async function flood(b: Bench, ms: number, pingEvery: number, step: () => Promise<void>): Promise<void> {
  const peer = b.peer("lan0");
  assert.ok(await b.introduce("lan0", ECHO));
  assert.ok(await b.introduce("lan0", FLOOD));
  const watch = new FloodWatch(b.node.status().nics[0].mtu);
  const before = b.drops();
  peer.sendIp(b.nodeMac("lan0"), P.udp(PEER, FLOOD, 40009, 9, new TextEncoder().encode("flood")));
  let sent = 0, replies = 0, last = floodClass(b);
  const count = () => {
    for (const p of peer.received.splice(0)) if (p.icmpType === P.ICMP.ECHO_REP && equalBytes(p.src!, ECHO)) replies++;
  };
  const t0 = performance.now();
  for (let i = 0; (b.realTime ? performance.now() - t0 : i) < ms; i++) {
    if (i % pingEvery === 0) peer.sendIp(b.nodeMac("lan0"), P.echoRequest(PEER, ECHO, 0x51, ++sent, new Uint8Array(1000 - 48)));
    await step();
    count();
    last = floodClass(b);
    watch.check(last);
  }
  await b.until(() => { count(); return replies >= sent; }, b.realTime ? 2000 : 20);
  console.log(`flood${b.realTime ? " on the host's clock" : ""}: ${watch.mbit(last)} Mbit/s, ` +
    `${replies}/${sent} pings answered, TXQ_FULL +${b.drops().TXQ_FULL - before.TXQ_FULL}`);
  assert.equal(replies, sent, "every ping answered while the flood runs");
  assert.ok(b.drops().TXQ_FULL - before.TXQ_FULL > 1000, "the excess is counted as TXQ_FULL");
}

it("on the test's clock: the flood gets its max and no more; echo keeps its min and answers every ping", async () => {
  await withBench(YAML, PEERS, async (b) => {
    await flood(b, 1000, 10, () => b.tick(1));
    // What each was granted and what it uses, as `persia status` shows it.
    const st = b.node.status();
    const fl = st.services.find((v) => v.name === "flood.sabz.city")!;
    const cls = st.classes.find((c) => c.nic === 0 && c.class === fl.id)!;
    assert.deepEqual([cls.minBits, cls.maxBits], [0, 5e6]);
    const echoCls = st.classes.find((c) => c.nic === 0 && c.class === st.services.find((v) => v.name === "echo.sabz.city")!.id)!;
    assert.deepEqual([echoCls.minBits, echoCls.maxBits, echoCls.drops], [2e6, 0, 0]);
    assert.ok(fl.ramPages! >= 1 && fl.ramMaxPages === 4, "RAM now and max (256 KiB)");
    const text = formatStatus(st);
    assert.match(text, /Egress classes/);
    assert.match(text, /flood\.sabz\.city +- +5 Mbit\/s/);
  });
});

it("on the host's own clock: the same bounds on the kernel's clock, late polls only delay", async () => {
  await withBench(YAML, PEERS, async (b) => {
    await flood(b, 1000, 1, async () => { await b.tick(10); b.node.poll(); });
  }, true);
});

// A service holds at most SVC_POOL_SHARE packet buffers (spec/kernel.md): the flood sends
// 64 datagrams a millisecond into a class whose max lets ~0.6 of them leave, so its frames
// wait. Its class never holds more than its share, although the class queue (NIC_TXQ, 256)
// has room for more: the rest of the pool stays free, and echo answers every ping.
it("a flooding service holds at most its share of the packet pool; echo answers throughout", async () => {
  await withBench(YAML, PEERS, async (b) => {
    const peer = b.peer("lan0");
    assert.ok(await b.introduce("lan0", ECHO));
    assert.ok(await b.introduce("lan0", FLOOD));
    peer.sendIp(b.nodeMac("lan0"), P.udp(PEER, FLOOD, 40009, 9, new TextEncoder().encode("flood")));
    const before = b.drops().TXQ_FULL;
    let most = 0, sent = 0;
    for (let ms = 0; ms < 100; ms++) {
      if (ms % 10 === 0) peer.sendIp(b.nodeMac("lan0"), P.echoRequest(PEER, ECHO, 0x52, ++sent, new Uint8Array(56)));
      await b.tick(1);
      most = Math.max(most, floodClass(b).queue);
    }
    await b.tick(20);
    const replies = peer.received.filter((p) => p.icmpType === P.ICMP.ECHO_REP && equalBytes(p.src!, ECHO)).length;
    assert.equal(most, SVC_POOL_SHARE, "the flood's class held at most, and at some point exactly, its share of the pool");
    assert.ok(b.drops().TXQ_FULL - before > 1000, "sends past the share are refused and counted as TXQ_FULL");
    assert.equal(replies, sent, "echo answered every ping while the flood held its share");
  });
});
