// Scheduler conformance for `npm run bench` (issue #5): three flooding services on one
// 10 Mbit/s NIC, with packets of 64..1500 bytes, over ten 1 s windows of kernel time —
//   A min 3 max 5, B min 2, C min 2 (B and C alike): mins 7, spare 3 shared equally,
//   so A 4, B 3, C 3 Mbit/s.
// Figures: share of each min delivered (goal ≥ 99%), overshoot of A's max per window
// (goal ≤ 1%), spread between B and C (goal ≤ 2%), and the line's use. Drives the kernel
// with a manual clock, 1 ms a step; frames leave through a counting NIC, no real link.
import * as fs from "fs";
import * as path from "path";
import { parseManifest, compileManifest } from "../../loader/manifest";
import { parseAddr, parseMac } from "../../loader/ip6";
import { PersiaNode } from "../../hosts/node/node";
import { CountingNic } from "./counting_nic";
import { ROOT } from "../../hosts/node/paths";
import * as P from "../../cli/peer/packets";

const FLOOD = path.join(ROOT, "build/wasm/tests/flood.wasm");
const SVC = [
  { name: "a", addr: "fd00:1::a", min: 3, max: 5 },
  { name: "b", addr: "fd00:1::b", min: 2, max: 0 },
  { name: "c", addr: "fd00:1::c", min: 2, max: 0 },
];
const LINE = 10;
const WINDOWS = 10;


export async function schedBench(out: (line: string) => void): Promise<void> {
  const yaml = `
node: { name: sched.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", rate: ${LINE}Mbit, prefixes: ["fd00:1::/64"] }
services:
${SVC.map((s) => `  - { domain: ${s.name}.sabz.city, module: ${FLOOD}, addresses: ["${s.addr}"], ram: { min: 64KiB, max: 1MiB }, ` +
    `net: [{ nic: lan0, min: ${s.min}Mbit${s.max ? `, max: ${s.max}Mbit` : ""} }] }`).join("\n")}
`;
  const { boot, plan } = compileManifest(parseManifest(yaml, "sched.yaml", ROOT));
  const nic = new CountingNic(0);
  let t = 1000n;
  const node = new PersiaNode({
    kernelBytes: fs.readFileSync(path.join(ROOT, "build/wasm/kernel.wasm")), boot,
    services: new Map(plan.services.map((s) => [s.id, fs.readFileSync(s.modulePath)])),
    nics: [nic], clock: () => t, autoPoll: false, log: () => {},
  });
  await node.start();
  const me = parseAddr("fd00:1::100"), mac = parseMac("02:00:00:00:00:99"), nodeMac = parseMac("02:00:00:00:00:01");
  node.kernel.rx(0, P.ether(nodeMac, mac, P.ETH_IPV6, P.neighborSolicit(me, parseAddr(SVC[0].addr), mac)), 0n);
  for (const s of SVC) {
    node.kernel.rx(0, P.ether(nodeMac, mac, P.ETH_IPV6, P.udp(me, parseAddr(s.addr), 40000, 9, new TextEncoder().encode("flood mix"))), 0n);
  }
  // Confirm the peer's reachability now and then, as its neighbor advertisements would
  // (RFC 4861 §7.3): otherwise the node probes it and, unanswered, forgets it.
  const na = () => node.kernel.rx(0, P.ether(nodeMac, mac, P.ETH_IPV6, P.neighborAdvert(me, parseAddr(SVC[0].addr), mac)), 0n);
  const step = (i: number) => { t += 1n; if (i % 500 === 0) na(); node.poll(); };
  for (let i = 0; i < 200; i++) step(i);                         // reach a steady state
  const worst = { minShare: Infinity, overshoot: -Infinity, spread: 0, line: 0 };
  for (let w = 0; w < WINDOWS; w++) {
    nic.bytes.clear();
    for (let i = 0; i < 1000; i++) step(i);
    const mbit = SVC.map((s) => ((nic.bytes.get(parseAddr(s.addr)[15]) ?? 0) * 8) / 1e6);
    SVC.forEach((s, i) => { worst.minShare = Math.min(worst.minShare, mbit[i] / s.min); });
    worst.overshoot = Math.max(worst.overshoot, mbit[0] / SVC[0].max - 1);
    worst.spread = Math.max(worst.spread, Math.abs(mbit[1] - mbit[2]) / ((mbit[1] + mbit[2]) / 2));
    worst.line = Math.max(worst.line, mbit.reduce((a, b) => a + b, 0) / LINE);
    if (w === WINDOWS - 1) {
      out(`  egress scheduler, ${LINE} Mbit/s line, 64..1500-byte packets, worst of ${WINDOWS} one-second windows:`);
      out(`    last window: A ${mbit[0].toFixed(3)} (min 3, max 5), B ${mbit[1].toFixed(3)} (min 2), C ${mbit[2].toFixed(3)} (min 2) Mbit/s`);
    }
  }
  out(`    share of min delivered ${(100 * worst.minShare).toFixed(1)}% (goal ≥ 99%), ` +
    `A over its max ${(100 * worst.overshoot).toFixed(2)}% (goal ≤ 1%), spread B/C ${(100 * worst.spread).toFixed(2)}% (goal ≤ 2%), ` +
    `line used ${(100 * worst.line).toFixed(1)}%`);
  node.stop();
}
