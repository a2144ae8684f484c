// CPU containment (issue #5; spec/instrumentation.md): the test service spin loops forever
// on a UDP datagram to port 9 starting with "spin". The loader metered it, so the call
// ends when it has used the kernel's budget for one call (FUEL_PER_CALL): the node does
// not hang, the kernel stops spin with the fault FUEL, counts its fuel and restarts it
// after the backoff — and echo, on the same node, answers every ping throughout, even one
// that arrives with the trigger and is served in the same poll. The test service stall
// (issue #10) loops calling the syscall send through a function reference (call_indirect):
// each such call pays IMPORT_CALL_COST as a direct one does, so one budget allows at most
// FUEL_PER_CALL / IMPORT_CALL_COST syscalls (each counted as a send refusal), not ~10^7.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import { parseAddr } from "../../loader/ip6";
import * as P from "../../cli/peer/packets";
import { Bench, svc, withBench } from "./bench";
import { IMPORT_CALL_COST } from "../../loader/instrument/fuel";
import { FUEL_PER_CALL } from "../../abi/limits";

const PEER = parseAddr("fd00:5ab2:1::100");
const ECHO = parseAddr("fd00:5ab2:1::7");
const SPIN = parseAddr("fd00:5ab2:1::9");
const STALL = parseAddr("fd00:5ab2:1::a");
const RESTART_BACKOFF_MS = 100n;     // kernel/param.ts: first restart delay
const SPIN_WALL_MS = 10_000;         // far above what burning one budget takes (spec/instrumentation.md)

const YAML = `
node: { name: fuel.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"] }
services:
${svc("echo.sabz.city", "build/wasm/services/echo.wasm", "fd00:5ab2:1::7")}
${svc("spin.sabz.city", "build/wasm/tests/spin.wasm", "fd00:5ab2:1::9", ", restart: { limit: 3 }")}
${svc("stall.sabz.city", "build/wasm/tests/stall.wasm", "fd00:5ab2:1::a")}
`;
const PEERS = [{ nic: "lan0", mac: "02:00:00:00:00:99", addr: "fd00:5ab2:1::100" }];

/** Send `word` to `dst` as its trigger with a ping to echo behind it; echo must answer in
 *  the same poll that stops the runaway, and the poll must come back in bounded wall-clock time. */
async function spin(b: Bench, seq: number, dst = SPIN, word = "spin"): Promise<void> {
  const peer = b.peer("lan0");
  peer.sendIp(b.nodeMac("lan0"), P.udp(PEER, dst, 40009, 9, new TextEncoder().encode(word)));
  peer.sendIp(b.nodeMac("lan0"), P.echoRequest(PEER, ECHO, 0x5eed, seq, Uint8Array.of(seq)));
  const t0 = performance.now();
  await b.tick();
  const wall = performance.now() - t0;
  assert.ok(wall < SPIN_WALL_MS, `the poll that ran spin returned after ${wall.toFixed(0)} ms`);
  const reply = await b.frame(peer, (p) => p.icmpType === P.ICMP.ECHO_REP && p.icmpWord === ((0x5eed << 16) | seq), 5);
  assert.ok(reply, "echo answered the ping queued behind the runaway call");
}

it("a service that loops forever runs out of fuel and is restarted; echo keeps answering", async () => {
  await withBench(YAML, PEERS, async (b) => {
    assert.ok(await b.introduce("lan0", ECHO));
    assert.ok(await b.ping("lan0", ECHO) && await b.ping("lan0", SPIN), "both answer at first");
    const echoFuel = b.service("echo.sabz.city").fuel;
    const spinFuel = b.service("spin.sabz.city").fuel;
    assert.ok(echoFuel > 0 && spinFuel > 0, "answering a ping costs fuel");

    await spin(b, 1);
    const faulted = b.now;
    let s = b.service("spin.sabz.city");
    assert.deepEqual([s.state, s.lastFault, s.faults, s.restarts], ["RESTARTING", "FUEL", 1, 0]);
    assert.match(s.faultMessage ?? "", new RegExp(`used its budget of ${FUEL_PER_CALL} fuel units in one call`));
    assert.ok(s.fuel > spinFuel + FUEL_PER_CALL, `the whole budget is counted (${s.fuel})`);
    assert.ok(b.logs.some((l) => l.includes("spin.sabz.city faulted; restarting in ms: 100")));

    let echoed = 0;
    while (b.now - faulted < RESTART_BACKOFF_MS - 20n) {
      assert.ok(await b.ping("lan0", ECHO, 5), `echo answers ${b.now - faulted} ms into spin's restart`);
      echoed++;
      await b.tick(10);
    }
    assert.ok(echoed >= 5, `${echoed} pings answered while spin was down`);
    assert.ok(await b.until(() => b.service("spin.sabz.city").state === "RUNNING", 200), "spin came back");
    assert.ok(b.now - faulted >= RESTART_BACKOFF_MS, `not before the backoff (${b.now - faulted} ms)`);
    assert.ok(await b.ping("lan0", SPIN), "spin answers again after its restart");

    await spin(b, 2);
    s = b.service("spin.sabz.city");
    assert.deepEqual([s.state, s.lastFault, s.faults, s.restarts], ["RESTARTING", "FUEL", 2, 1]);
    assert.ok(s.fuel > spinFuel + 2 * FUEL_PER_CALL, "both runaway calls are counted");
    const e = b.service("echo.sabz.city");
    assert.deepEqual([e.state, e.faults], ["RUNNING", 0]);
    assert.ok(e.fuel > echoFuel, "echo's fuel grew with the pings it answered");
    assert.ok(await b.ping("lan0", ECHO), "echo still answers");
  });
});

it("a service calling a syscall through a function reference pays for each call and is stopped within one budget", async () => {
  await withBench(YAML, PEERS, async (b) => {
    assert.ok(await b.introduce("lan0", ECHO));
    assert.ok(await b.ping("lan0", STALL), "stall answers at first");
    const before = b.service("stall.sabz.city");
    await spin(b, 1, STALL, "stall");
    const s = b.service("stall.sabz.city");
    assert.deepEqual([s.state, s.lastFault, s.faults], ["RESTARTING", "FUEL", 1]);
    assert.ok(s.fuel > before.fuel + FUEL_PER_CALL, `the whole budget is counted (${s.fuel})`);
    // each iteration: loop 1 + 7 instructions + IMPORT_CALL_COST for the send through the table
    const sends = s.sendRefused - before.sendRefused;
    const most = FUEL_PER_CALL / IMPORT_CALL_COST;
    assert.ok(sends > most * 0.9 && sends <= most, `one budget allowed ${sends} syscalls; at most ${most}`);
    assert.deepEqual([b.service("echo.sabz.city").state, b.service("echo.sabz.city").faults], ["RUNNING", 0]);
  });
});
