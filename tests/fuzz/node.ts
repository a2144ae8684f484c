// The node every fuzz test runs against, and its invariants. A router with two links: lan0,
// where the fuzzer is (fd00:5ab2:1::100), and lan1, where a sink host is (fd00:5ab2:2::200,
// also the default route's next hop, so forwarded packets leave); echo, kv (on a disk) and
// sender as services; alice, who may load echo from the store into fd00:5ab2:1::a0/124 and
// grant the disk's second half. Every frame the node sends on either link is checked by
// wellformed.ts as it arrives. healthy() is what must hold throughout: the node never
// failed, nothing malformed came out, and the node and echo answer a ping; drained() is
// what must hold at the end: every packet buffer is back in the pool.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { addressFromMac, formatAddr, linkLocalFromMac, parseAddr, parseMac } from "../../loader/ip6";
import { keyFromSeed, publicKeyText } from "../../loader/control/message";
import { Bench, svc } from "../integration/bench";
import { malformed } from "./wellformed";

export const PKT_SLOTS = 512;        // kernel/param.ts: packet buffers
export const NODE_MAC = parseMac("02:00:00:00:00:01");
export const NODE1_MAC = parseMac("02:00:00:00:00:02");
export const PEER_MAC = parseMac("02:00:00:00:00:99");
export const PEER = parseAddr("fd00:5ab2:1::100");
export const SINK = parseAddr("fd00:5ab2:2::200");
export const ECHO = parseAddr("fd00:5ab2:1::7");
export const KV = parseAddr("fd00:5ab2:1::8");
export const SENDER = parseAddr("fd00:5ab2:1::e");
export const NODE = addressFromMac(parseAddr("fd00:5ab2:1::"), NODE_MAC);
export const NODE_LL = linkLocalFromMac(NODE_MAC);
export const ALICE = keyFromSeed(new Uint8Array(32).fill(0x5a));

function yaml(disk: string): string {
  return `
node: { name: fuzz.sabz.city, role: router, ram: 16MiB }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"] }
  - { name: lan1, kind: virtual, mac: "02:00:00:00:00:02", prefixes: ["fd00:5ab2:2::/64"], mtu: 1400 }
routes:
  - { to: "::/0", via: "${formatAddr(SINK)}", nic: lan1 }
disks:
  - { name: data, path: ${disk}, size: 1MiB }
services:
${svc("echo.sabz.city", "build/wasm/services/echo.wasm", "fd00:5ab2:1::7")}
${svc("kv.sabz.city", "build/wasm/services/kv.wasm", "fd00:5ab2:1::8", ", disk: [{ device: data, length: 512KiB, rights: [read, write] }]")}
${svc("sender.sabz.city", "build/wasm/tests/sender.wasm", "fd00:5ab2:1::e")}
users:
  - name: alice
    key: "${publicKeyText(ALICE.publicKey)}"
    domains: [a.sabz.city]
    addresses: ["fd00:5ab2:1::a0/124"]
    disks: [{ device: data, offset: 512KiB, length: 512KiB, rights: [read, write] }]
store:
  - { module: build/wasm/services/echo.wasm, ram: 1MiB, slots: 2 }
`;
}

export interface FuzzNode { b: Bench; bad: string[]; sent: number; yaml: string; own: Set<string> }

/** The node's own addresses (the LOCAL /128s of its routing table): what it sends from
 *  there the kernel made. A service's packets are the service's, routed unchanged. */
function ownAddresses(b: Bench): Set<string> {
  return new Set(b.node.status().routes.filter((r) => r.kind === "LOCAL" && r.length === 128).map((r) => r.prefix.replace("/128", "")));
}

/** Boot the node, watch every frame it sends, run body, and always clean up. */
export async function withFuzzNode(body: (f: FuzzNode) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-fuzz-"));
  const text = yaml(path.join(dir, "data.img"));
  const b = await Bench.boot(text, [
    { nic: "lan0", mac: formatMacText(PEER_MAC), addr: formatAddr(PEER) },
    { nic: "lan1", mac: "02:00:00:00:02:99", addr: formatAddr(SINK) },
  ]);
  const f: FuzzNode = { b, bad: [], sent: 0, yaml: text, own: ownAddresses(b) };
  const own = (a: Uint8Array) => f.own.has(formatAddr(a));
  for (const [nic, mac, mtu] of [["lan0", NODE_MAC, 1500], ["lan1", NODE1_MAC, 1400]] as const) {
    const link = b.peer(nic).link;
    const deliver = link.onFrame!;
    link.onFrame = (frame) => {
      f.sent++;
      const why = malformed(Uint8Array.from(frame), { mac, mtu, own });
      if (why !== null && f.bad.length < 20) f.bad.push(`${nic}: ${why}: ${Buffer.from(frame).toString("hex").slice(0, 200)}`);
      deliver(frame);
    };
  }
  try {
    assert.ok(await b.introduce("lan0", ECHO), "the node advertises echo");
    await body(f);
  } finally {
    b.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function formatMacText(m: Uint8Array): string { return Array.from(m, (x) => x.toString(16).padStart(2, "0")).join(":"); }

/** What must hold at any time: no failure, nothing malformed sent, the node and echo answer. */
export async function healthy(f: FuzzNode, after: string): Promise<void> {
  f.own = ownAddresses(f.b);
  assert.deepEqual(f.b.errors.map((e) => e.message), [], `the node never failed (after ${after})`);
  assert.deepEqual(f.bad, [], `nothing malformed came out (after ${after})`);
  assert.ok(await f.b.ping("lan0", NODE, 100), `the node answers a ping (after ${after})`);
  assert.ok(await f.b.ping("lan0", ECHO, 100), `echo answers a ping (after ${after})`);
}

/** What must hold at the end: after time enough for neighbor discovery to give up and every
 *  queue to drain, every packet buffer is back in the pool. */
export async function drained(f: FuzzNode): Promise<void> {
  const b = f.b;
  await b.until(() => b.node.status().node!.freeBuffers === PKT_SLOTS, 10_000, 100);
  assert.equal(b.node.status().node!.freeBuffers, PKT_SLOTS, "every packet buffer is back in the pool");
  await healthy(f, "the end");
}
