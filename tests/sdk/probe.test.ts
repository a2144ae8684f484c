// probe.sabz.city (services/probe/main.ts) wired by hand to echo.sabz.city, both on fake
// kernels with one shared clock: the timer it keeps, the Echo Request it sends, the log
// line for the reply with its round-trip time, and how it reports a name that does not
// resolve.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Guest } from "./guest";
import { checksum, checksumOk } from "./packets";

const PROBE = "20010db80000000000000000000000a1";
const ECHO = "20010db8000000000000000000000007";

function pair(names: Record<string, string> = { "echo.sabz.city": ECHO }) {
  const clock = { now: 5000 };
  const probe = new Guest("build/wasm/services/probe.wasm", { addrs: [PROBE], names, now: () => clock.now });
  const echo = new Guest("build/wasm/services/echo.wasm", { addrs: [ECHO] });
  return { clock, probe, echo };
}

test("init asks for a timer in 1000 ms and sends nothing yet", () => {
  const { probe } = pair();
  assert.deepEqual(probe.timers, [1000]);
  assert.equal(probe.sent.length, 0);
});

test("on its timer it sends an Echo Request from its address to echo's", () => {
  const { clock, probe } = pair();
  clock.now = 6000;
  probe.event();
  assert.equal(probe.sent.length, 1);
  const p = probe.sent[0];
  assert.equal(p.subarray(0, 8).toString("hex"), "6000000000103a40");    // 16 bytes of ICMPv6
  assert.equal(p.subarray(8, 24).toString("hex"), PROBE);
  assert.equal(p.subarray(24, 40).toString("hex"), ECHO);
  assert.equal(p.subarray(40, 42).toString("hex"), "8000");               // Echo Request
  assert.equal(p.subarray(44, 48).toString("hex"), "70720001");           // id "pr", seq 1
  assert.equal(p.readBigInt64LE(48), 6000n);                              // its send time
  assert.ok(checksumOk(p));
  assert.deepEqual(probe.timers, [1000, 1000]);
});

test("an event before the timer is due sends nothing and keeps the deadline", () => {
  const { clock, probe } = pair();
  clock.now = 5400;
  probe.event();
  assert.equal(probe.sent.length, 0);
  assert.deepEqual(probe.timers, [1000, 600]);
});

test("the reply through echo is logged with its sequence number and round-trip time", () => {
  const { clock, probe, echo } = pair();
  for (let seq = 1; seq <= 3; seq++) {
    clock.now += 1000;
    probe.event();
    echo.deliver(probe.sent[seq - 1]);
    clock.now += 2 + seq;
    probe.deliver(echo.sent[seq - 1]);
  }
  assert.deepEqual(probe.logs, [
    "probe: reply from echo.sabz.city seq=1 rtt=3ms",
    "probe: reply from echo.sabz.city seq=2 rtt=4ms",
    "probe: reply from echo.sabz.city seq=3 rtt=5ms",
  ]);
});

/** p with its ICMPv6 checksum made right again after an edit. */
function reseal(p: Buffer): Buffer {
  p.writeUInt16BE(0, 42);
  p.writeUInt16BE(checksum(p.subarray(8, 24), p.subarray(24, 40), 58, p.subarray(40)), 42);
  return p;
}

test("a reply with another identifier or from another address is not logged", () => {
  const { clock, probe, echo } = pair();
  clock.now = 6000;
  probe.event();
  echo.deliver(probe.sent[0]);
  const otherId = Buffer.from(echo.sent[0]);
  otherId[44] ^= 1;
  const otherSrc = Buffer.from(echo.sent[0]);
  otherSrc[23] = 8;                    // from 2001:db8::8
  probe.deliver(reseal(otherId), reseal(otherSrc));
  assert.deepEqual(probe.logs, []);
  probe.deliver(echo.sent[0]);         // the real one still counts
  assert.equal(probe.logs.length, 1);
});

test("a name that does not resolve is logged once, not every second", () => {
  const { clock, probe } = pair({});
  for (let i = 1; i <= 3; i++) {
    clock.now = 5000 + i * 1000;
    probe.event();
  }
  assert.deepEqual(probe.logs, ["probe: resolve failed: -2"]);
  assert.equal(probe.sent.length, 0);
});
