// `persia demo`: boot the demo node (demo.yaml) under Node.js, attach a traffic peer to
// its virtual link, and show what a person wants to see: every service answering by its
// address, service-to-service traffic, each kind of bad packet dropped for its own
// counted reason, and a service loaded and unloaded by signed control messages. Exits
// non-zero if anything did not happen as it should.
import * as fs from "fs";
import * as path from "path";
import { LogLevel } from "../../abi/kernel";
import { DROP_TEXT } from "../../abi/describe";
import { Drop } from "../../abi/drop";
import { parseAddr, parseMac } from "../../loader/ip6";
import { launch } from "../../hosts/node/launch";
import { parseManifest } from "../../loader/manifest";
import { controlChecks, demoOperator } from "./control";
import { ROOT } from "../../hosts/node/paths";
import { Peer } from "../peer/peer";
import { Status } from "../../loader/status/decode";
import { runChecks, Check } from "./checks";

export const DEMO_MANIFEST = path.join(ROOT, "cli/demo/demo.yaml");
const PEER_MAC = parseMac("02:00:00:00:01:00");
const PEER_ADDR = parseAddr("fd00:5ab2:1::100");

function mark(ok: boolean): string { return ok ? "ok  " : "FAIL"; }

export async function demo(out: (line: string) => void = console.log): Promise<boolean> {
  fs.mkdirSync(path.join(ROOT, "build/demo"), { recursive: true });
  const serviceLog: string[] = [];
  const operator = demoOperator();
  const manifest = parseManifest(`${fs.readFileSync(DEMO_MANIFEST, "utf8")}${operator.yaml}`, DEMO_MANIFEST, path.dirname(DEMO_MANIFEST));
  const { node, plan, peers } = await launch(manifest, {
    log: (level, line, origin) => {
      if (level <= LogLevel.WARN) out(`  ${LogLevel[level].toLowerCase()} ${origin}: ${line}`);
      else serviceLog.push(line);
    },
  });
  const kernelSize = fs.statSync(path.join(ROOT, "build/wasm/kernel.wasm")).size;
  out(`PersiaOS demo: node ${plan.node.name} (${plan.node.role}), kernel.wasm ${(kernelSize / 1024).toFixed(1)} KiB`);
  for (const s of plan.services) out(`  service ${s.domain.padEnd(18)} ${s.addresses.join(", ")}`);
  const nic = plan.nics[0];
  out(`  peer ${"fd00:5ab2:1::100".padEnd(23)} on ${nic.name} (${nic.kind} link, MTU ${nic.mtu})`);
  out("");
  const peer = new Peer(peers.get(nic.id)!, PEER_MAC, PEER_ADDR);
  const before = node.status();
  let checks: Check[] = [];
  try {
    checks = await runChecks(node, peer, plan, () => serviceLog);
    checks.push(...await controlChecks(peer, plan, manifest, operator.key));
  } finally {
    const after = node.status();
    peer.close();
    node.stop();
    report(out, checks, before, after);
  }
  return checks.length > 0 && checks.every((c) => c.ok);
}

function report(out: (line: string) => void, checks: Check[], before: Status, after: Status): void {
  for (const c of checks) out(`  ${mark(c.ok)} ${c.what.padEnd(44)} ${c.detail}`);
  out("");
  out("what the node did:");
  for (const s of after.services) {
    out(`  ${s.name.padEnd(18)} ${s.state.toLowerCase().padEnd(10)} received ${s.rxPackets}, sent ${s.txPackets}, ` +
      `refused ${s.sendRefused}, faults ${s.faults}`);
  }
  const n = after.nics[0];
  if (n) out(`  NIC ${n.id}: ${n.rxFrames} frames in, ${n.txFrames} frames out`);
  out(`  ICMPv6 errors sent: ${after.node?.icmpErrorsSent ?? 0}`);
  out("  dropped, by reason:");
  let total = 0;
  for (const [reason, count] of Object.entries(after.drops)) {
    const delta = Number(count) - Number(before.drops[reason] ?? 0);
    if (delta <= 0) continue;
    total += delta;
    out(`    ${String(delta).padStart(4)}  ${reason.padEnd(18)} ${DROP_TEXT[Drop[reason as keyof typeof Drop]]}`);
  }
  out(`    ${String(total).padStart(4)}  in all`);
  const failed = checks.filter((c) => !c.ok).length;
  out("");
  out(failed === 0 ? `demo passed: ${checks.length} checks` : `demo FAILED: ${failed} of ${checks.length} checks`);
}
