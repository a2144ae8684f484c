// The services on the real kernel under the Node host: kernel.wasm, hosts/node and a
// virtual NIC whose far end is a peer written in this file (it answers neighbor
// solicitations and records what arrives). Checks what the fake kernel of guest.ts cannot:
// that the kernel routes to and between the services, that kv's data is on the disk file
// across a node restart, that send refuses a spoofed source and an oversize packet with
// the codes sender logs, and that a trapping test service is restarted.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Errno } from "../../abi/errno";
import { parseManifest, compileManifest } from "../../loader/manifest";
import { parseAddr, formatAddr } from "../../loader/ip6";
import { PersiaNode } from "../../hosts/node/node";
import { VirtualLink } from "../../hosts/node/nic/virtual";
import * as P from "../../cli/peer/packets";
import { ROOT } from "./guest";
import { sendFrame } from "../../hosts/node/nic/nic";

const NODE_MAC = Uint8Array.from([2, 0, 0, 0, 0, 1]);
const PEER_MAC = Uint8Array.from([2, 0, 0, 0, 0, 0x99]);
const PEER = parseAddr("fd00:5ab2:1::100");

function manifest(disk: string): string {
  const svc = (domain: string, module: string, addr: string, extra = "") =>
    `  - { domain: ${domain}, module: ${module}, addresses: ["${addr}"], ram: { min: 64KiB, max: 256KiB }${extra} }`;
  return [
    "node: { name: test.sabz.city, role: server }",
    "nics:",
    `  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"] }`,
    "disks:",
    `  - { name: data, path: ${disk}, size: 1MiB }`,
    "services:",
    svc("echo.sabz.city", "build/wasm/services/echo.wasm", "fd00:5ab2:1::7"),
    svc("probe.sabz.city", "build/wasm/services/probe.wasm", "fd00:5ab2:1::a1"),
    svc("kv.sabz.city", "build/wasm/services/kv.wasm", "fd00:5ab2:1::70",
      ", disk: [ { device: data, length: 512KiB, rights: [read, write] } ]"),
    svc("sender.sabz.city", "build/wasm/tests/sender.wasm", "fd00:5ab2:1::5"),
    svc("trap.sabz.city", "build/wasm/tests/trap.wasm", "fd00:5ab2:1::9"),
    svc("oob.sabz.city", "build/wasm/tests/oob.wasm", "fd00:5ab2:1::b"),
  ].join("\n") + "\n";
}

/** One node with a peer on its virtual NIC and a clock the test moves. */
class Bench {
  now = 0n;
  readonly logs: string[] = [];
  readonly got: P.Parsed[] = [];
  readonly link = new VirtualLink();
  readonly node: PersiaNode;

  constructor(disk: string) {
    const m = parseManifest(manifest(disk), "test.yaml", ROOT);
    const { boot } = compileManifest(m);
    const services: Record<number, Uint8Array> = {};
    m.services.forEach((s, i) => { services[i] = new Uint8Array(fs.readFileSync(s.module)); });
    this.node = new PersiaNode({
      kernelBytes: new Uint8Array(fs.readFileSync(path.join(ROOT, "build/wasm/kernel.wasm"))),
      boot, services, nics: [this.link.a], disks: { 0: disk }, clock: () => this.now, autoPoll: false,
      log: (_level, line) => { this.logs.push(line); },
    });
    this.node.on("error", (e: Error) => { throw e; });
    this.link.b.onFrame = (f) => this.frame(f);
  }

  private frame(f: Uint8Array): void {
    const r = P.parse(f);
    if (r.next === P.NH_ICMPV6 && r.icmpType === P.ICMP.NS && r.data && r.src) {
      const target = r.data.subarray(0, 16);
      const rest = new Uint8Array(24);
      rest.set(target, 0);
      rest.set([2, 1], 16);                  // target link-layer address option
      rest.set(PEER_MAC, 18);
      const na = P.icmp6(target, r.src, P.ICMP.NA, 0, 0x60000000, rest, 255);   // solicited, override
      sendFrame(this.link.b, P.ether(r.srcMac, PEER_MAC, P.ETH_IPV6, na));
      return;
    }
    this.got.push(r);
  }

  /** Let time pass in polls of ms, letting frames cross the link in between. */
  async run(ms: number, step = 10): Promise<void> {
    for (let t = 0; t < ms; t += step) {
      this.now += BigInt(step);
      this.node.poll();
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
    }
  }

  send(ip: Uint8Array): void { sendFrame(this.link.b, P.ether(NODE_MAC, PEER_MAC, P.ETH_IPV6, ip)); }
  udp(dst: string, port: number, text: string): void {
    this.send(P.udp(PEER, parseAddr(dst), 40000, port, Buffer.from(text)));
  }

  /** Send a request and return the text of the one UDP reply it gets. */
  async ask(dst: string, port: number, text: string): Promise<string> {
    this.got.length = 0;
    this.udp(dst, port, text);
    await this.run(40);
    assert.equal(this.got.length, 1, `one reply to ${text}`);
    const r = this.got[0];
    assert.ok(r.checksumOk);
    assert.equal(formatAddr(r.src!), dst);
    return Buffer.from(r.data!).toString("utf8");
  }

  async ping(dst: string, seq: number): Promise<P.Parsed[]> {
    this.got.length = 0;
    this.send(P.echoRequest(PEER, parseAddr(dst), 7, seq, Buffer.from("persia")));
    await this.run(40);
    return this.got.filter((r) => r.icmpType === P.ICMP.ECHO_REP);
  }
}

function tempDisk(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "persia-services-")), "data.img");
}

test("echo answers a ping and UDP port 7 from a peer on the NIC", async () => {
  const b = new Bench(tempDisk());
  await b.node.start();
  const replies = await b.ping("fd00:5ab2:1::7", 1);
  assert.equal(replies.length, 1);
  assert.equal(formatAddr(replies[0].src!), "fd00:5ab2:1::7");
  assert.equal(replies[0].icmpWord, (7 << 16) | 1);
  assert.equal(Buffer.from(replies[0].data!).toString(), "persia");
  assert.equal(await b.ask("fd00:5ab2:1::7", 7, "over udp"), "over udp");
  b.node.stop();
});

test("probe's requests reach echo inside the node, and echo's replies reach probe", async () => {
  const b = new Bench(tempDisk());
  await b.node.start();
  await b.run(2100);
  const lines = b.logs.filter((l) => l.includes("probe: reply"));
  assert.deepEqual(lines.map((l) => l.replace(/rtt=\d+ms/, "rtt=Nms")), [
    "probe.sabz.city: probe: reply from echo.sabz.city seq=1 rtt=Nms",
    "probe.sabz.city: probe: reply from echo.sabz.city seq=2 rtt=Nms",
  ]);
  b.node.stop();
});

test("kv keeps its data on the disk file across a restart of the node", async () => {
  const disk = tempDisk();
  const a = new Bench(disk);
  await a.node.start();
  assert.equal(await a.ask("fd00:5ab2:1::70", 7070, "PUT city tehran\n"), "OK");
  assert.equal(await a.ask("fd00:5ab2:1::70", 7070, "GET city"), "VALUE tehran");
  a.node.stop();
  const b = new Bench(disk);
  await b.node.start();
  assert.equal(await b.ask("fd00:5ab2:1::70", 7070, "GET city"), "VALUE tehran");
  assert.equal(await b.ask("fd00:5ab2:1::70", 7070, "DEL city"), "OK");
  assert.equal(await b.ask("fd00:5ab2:1::70", 7070, "GET city"), "NOT_FOUND");
  b.node.stop();
});

test("the kernel refuses sender's spoofed source and oversize packet; sender reaches echo", async () => {
  const b = new Bench(tempDisk());
  await b.node.start();
  for (const c of ["spoof", "big", "to echo.sabz.city"]) {
    b.udp("fd00:5ab2:1::5", 9, c);
    await b.run(40);
  }
  assert.deepEqual(b.logs.filter((l) => l.startsWith("sender.sabz.city: ")), [
    `sender.sabz.city: sender: spoof send=-${Errno.EADDRNOTAVAIL}`,
    `sender.sabz.city: sender: big send=-${Errno.EMSGSIZE}`,
    "sender.sabz.city: sender: to echo.sabz.city send=0",
    "sender.sabz.city: sender: reply from fd00:5ab2:1::7 hello from sender",
  ]);
  b.node.stop();
});

test("trap and oob fault on their trigger, are restarted, and answer again", async () => {
  const b = new Bench(tempDisk());
  await b.node.start();
  for (const a of ["fd00:5ab2:1::9", "fd00:5ab2:1::b"]) b.udp(a, 9, "crash");
  await b.run(40);
  const down = b.node.status().services.filter((s) => s.name === "trap.sabz.city" || s.name === "oob.sabz.city");
  assert.deepEqual(down.map((s) => s.faults), [1, 1]);
  await b.run(300);
  assert.equal((await b.ping("fd00:5ab2:1::9", 2)).length, 1);
  assert.equal((await b.ping("fd00:5ab2:1::b", 3)).length, 1);
  assert.equal((await b.ping("fd00:5ab2:1::7", 4)).length, 1, "echo was never disturbed");
  b.node.stop();
});
