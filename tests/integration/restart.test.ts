// Fault containment on a real node (spec/kernel.md, "Services"; kernel/svc/sched.ts): the
// test service trap executes `unreachable` on a UDP datagram to port 9 starting with
// "crash". The kernel stops it, restarts it after 100 ms, and after its restart limit
// (here 1) leaves it FAILED with the fault in status — while echo, on the same node,
// answers every ping throughout.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import { parseAddr } from "../../loader/ip6";
import * as P from "../../cli/peer/packets";
import { Bench, svc, withBench } from "./bench";

const PEER = parseAddr("fd00:5ab2:1::100");
const ECHO = parseAddr("fd00:5ab2:1::7");
const TRAP = parseAddr("fd00:5ab2:1::9");
const RESTART_BACKOFF_MS = 100n;   // kernel/param.ts: first restart delay

const YAML = `
node: { name: restart.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"] }
services:
${svc("echo.sabz.city", "build/wasm/services/echo.wasm", "fd00:5ab2:1::7")}
${svc("trap.sabz.city", "build/wasm/tests/trap.wasm", "fd00:5ab2:1::9", ", restart: { limit: 1 }")}
`;
const PEERS = [{ nic: "lan0", mac: "02:00:00:00:00:99", addr: "fd00:5ab2:1::100" }];

/** Send trap its trigger and wait until the kernel has noticed the fault. */
async function crash(b: Bench, state: string): Promise<void> {
  b.peer("lan0").sendIp(b.nodeMac("lan0"), P.udp(PEER, TRAP, 40009, 9, new TextEncoder().encode("crash")));
  assert.ok(await b.until(() => b.service("trap.sabz.city").state === state, 20), `trap is ${state}`);
}

it("a trapping service is restarted while the other keeps answering", async () => {
  await withBench(YAML, PEERS, async (b) => {
    assert.ok(await b.introduce("lan0", ECHO));
    assert.ok(await b.ping("lan0", ECHO) && await b.ping("lan0", TRAP), "both answer at first");

    const before = b.drops();
    await crash(b, "RESTARTING");
    const faulted = b.now;
    let t = b.service("trap.sabz.city");
    assert.deepEqual([t.faults, t.restarts, t.lastFault], [1, 0, "TRAP"]);
    let echoed = 0;
    while (b.now - faulted < RESTART_BACKOFF_MS - 20n) {
      assert.ok(await b.ping("lan0", ECHO, 5), `echo answers ${b.now - faulted} ms into trap's restart`);
      echoed++;
      await b.tick(10);
    }
    assert.ok(echoed >= 5, `${echoed} pings answered while trap was down`);
    assert.equal(b.service("trap.sabz.city").state, "RESTARTING", "all of them inside the restart window");
    assert.equal(await b.ping("lan0", TRAP, 5), false, "trap does not answer while down");
    await b.dropped(before, { SVC_DOWN: 1 });

    assert.ok(await b.until(() => b.service("trap.sabz.city").state === "RUNNING", 200), "trap came back");
    assert.ok(b.now - faulted >= RESTART_BACKOFF_MS, `not before the backoff (${b.now - faulted} ms)`);
    t = b.service("trap.sabz.city");
    assert.deepEqual([t.state, t.restarts, t.faults], ["RUNNING", 1, 1]);
    assert.ok(await b.ping("lan0", TRAP), "trap answers again");

    await crash(b, "FAILED");
    await b.tick(1000);                       // far past the next backoff (200 ms)
    t = b.service("trap.sabz.city");
    assert.deepEqual([t.state, t.restarts, t.faults, t.lastFault], ["FAILED", 1, 2, "TRAP"]);
    assert.match(t.faultMessage ?? "", /unreachable/, "status names the fault");
    assert.ok(b.logs.some((l) => l.includes("trap.sabz.city faulted and is over its restart limit")));
    assert.ok(await b.ping("lan0", ECHO), "echo still answers");
    assert.equal(b.service("echo.sabz.city").state, "RUNNING");
    const failed = b.drops();
    assert.equal(await b.ping("lan0", TRAP, 5), false, "a failed service stays silent");
    await b.dropped(failed, { SVC_DOWN: 1 });
  });
});

it("a service's own restart backoff: 30 ms, doubling to at most 40 ms", async () => {
  const yaml = YAML.replace(', restart: { limit: 1 }', ', restart: { limit: 3, backoff: 30ms, backoff_max: 40ms }');
  await withBench(yaml, PEERS, async (b) => {
    assert.ok(await b.introduce("lan0", ECHO));
    for (const expected of [30n, 40n, 40n]) {                 // 30, then 60 capped at 40, then 40
      await crash(b, "RESTARTING");
      const faulted = b.now;
      assert.ok(await b.until(() => b.service("trap.sabz.city").state === "RUNNING", 200), "trap came back");
      const took = b.now - faulted;
      assert.ok(took >= expected && took <= expected + 3n, `restarted after ${took} ms, expected ${expected}`);
    }
    await crash(b, "FAILED");
  });
});
