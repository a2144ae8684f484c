// CPU grants (issue #5, kernel/svc/cpu.ts): each scheduling period (100 ms) has a capacity
// of 10^9 units of fuel. Three CPU-bound services want far more than that together:
// capped (max 20 %) may use at most its max, plus one call; first (min 50 %) gets at least
// its min because a service under its min runs first; free (no grant) takes what is left.
// Measured over ten periods of kernel time, with echo answering pings throughout.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import { parseAddr, equalBytes } from "../../loader/ip6";
import * as P from "../../cli/peer/packets";
import { svc, withBench } from "./bench";
import { formatStatus } from "../../loader/status/decode";

const ECHO = parseAddr("fd00:5ab2:1::7");
const PERIOD_FUEL = 1e9;     // kernel/param.ts CPU_PERIOD_FUEL
const ONE_CALL = 2e7;        // a burner call burns about 8e6; allow for one call of overshoot
const YAML = `
node: { name: cpu.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"] }
services:
${svc("echo.sabz.city", "build/wasm/services/echo.wasm", "fd00:5ab2:1::7")}
${svc("capped.sabz.city", "build/wasm/tests/burner.wasm", "fd00:5ab2:1::a", ", cpu: { max: 20% }")}
${svc("first.sabz.city", "build/wasm/tests/burner.wasm", "fd00:5ab2:1::b", ", cpu: { min: 50% }")}
${svc("free.sabz.city", "build/wasm/tests/burner.wasm", "fd00:5ab2:1::c")}
`;

it("a service stays within its max, one under its min runs first, the rest share what is left", async () => {
  await withBench(YAML, [{ nic: "lan0", mac: "02:00:00:00:00:99", addr: "fd00:5ab2:1::100" }], async (b) => {
    assert.ok(await b.introduce("lan0", ECHO));
    await b.tick(100);
    const fuel = () => Object.fromEntries(b.node.status().services.map((s) => [s.name, s.fuel]));
    const f0 = fuel();
    let pings = 0;
    const peer = b.peer("lan0");
    peer.received.length = 0;
    for (let ms = 0; ms < 1000; ms++) {             // one poll a millisecond: the burners' pace
      if (ms % 50 === 0) {
        pings++;
        peer.sendIp(b.nodeMac("lan0"), P.echoRequest(peer.addr, ECHO, 0xc9, pings, new Uint8Array(8)));
      }
      await b.tick(1);
    }
    await b.tick(5);
    const answered = peer.received.filter((p) => p.icmpType === P.ICMP.ECHO_REP && equalBytes(p.src!, ECHO)).length;
    const f1 = fuel();
    const used = (n: string) => f1[n] - f0[n];
    const periods = 10;
    assert.equal(answered, pings, "echo answers every ping while three services burn CPU");
    assert.ok(used("capped.sabz.city") <= periods * (0.2 * PERIOD_FUEL + ONE_CALL) * 1.15,
      `capped used ${used("capped.sabz.city")}, over 20 % a period`);
    assert.ok(used("first.sabz.city") >= periods * 0.5 * PERIOD_FUEL * 0.9,
      `first used ${used("first.sabz.city")}, under its 50 % min`);
    assert.ok(used("free.sabz.city") > 0, "free runs too");
    const all = used("capped.sabz.city") + used("first.sabz.city") + used("free.sabz.city");
    assert.ok(all <= periods * (PERIOD_FUEL + 3 * ONE_CALL), `the three used ${all}, over the periods' capacity`);
    // persia status shows the grants next to what each uses this period.
    const st = b.node.status();
    const grant = (n: string) => st.grants.find((g) => g.service === st.services.find((v) => v.name === n)!.id)!;
    assert.deepEqual([grant("capped.sabz.city").cpuMinPermille, grant("capped.sabz.city").cpuMaxPermille], [0, 200]);
    assert.deepEqual([grant("first.sabz.city").cpuMinPermille, grant("first.sabz.city").cpuMaxPermille], [500, 1000]);
    assert.ok(grant("capped.sabz.city").cpuUsed <= 0.2 * PERIOD_FUEL + ONE_CALL, "fuel used this period within the max");
    assert.match(formatStatus(st), /capped\.sabz\.city +64\/256 KiB +0%\/20%/);
    console.log(`cpu: capped ${(used("capped.sabz.city") / periods / PERIOD_FUEL * 100).toFixed(1)} %, ` +
      `first ${(used("first.sabz.city") / periods / PERIOD_FUEL * 100).toFixed(1)} %, ` +
      `free ${(used("free.sabz.city") / periods / PERIOD_FUEL * 100).toFixed(1)} % of a period`);
  });
});
