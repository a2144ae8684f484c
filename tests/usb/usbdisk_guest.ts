// Runs inside the USB test guest (guest.ts; tests/usb/usbdisk.test.ts starts it): a Node
// host node with usbdisk.sabz.city granted the stick QEMU's usb-storage serves, and a peer
// on the node's virtual NIC that sends usbdisk's datagrams. It reads the image file once
// at start (nothing has written it yet) and checks every DATA reply against it, updating
// its copy on each WRITE it makes; it reports each step with say() for the test to check:
//   info        the first INFO reply that is OK, and how long the probe took
//   reads       [{ lba, ok }] for several LBAs (ok: bytes equal to the file's)
//   write       [{ lba, reply, back }] a WRITE's reply and whether READ gives the bytes back
//   unplug      READs back to back while the harness runs device_del: the replies' texts
//   replugged   INFO and a READ after drive_add/device_add
//   final       { lba, data } a last WRITE, for the test to find in the image file
// Args: <image file> <blocks>.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parseManifest, compileManifest } from "../../loader/manifest";
import { parseAddr } from "../../loader/ip6";
import { PersiaNode } from "../../hosts/node/node";
import { VirtualLink } from "../../hosts/node/nic/virtual";
import { ROOT } from "../../hosts/node/paths";
import * as P from "../../cli/peer/packets";
import { say, host } from "./in_guest";
import { sendFrame } from "../../hosts/node/nic/nic";

const NODE_MAC = Uint8Array.from([2, 0, 0, 0, 0, 1]);
const PEER_MAC = Uint8Array.from([2, 0, 0, 0, 0, 0x99]);
const PEER = parseAddr("fd00:5ab2:16::100");
const DISK = parseAddr("fd00:5ab2:16::71");
const PORT = 7071;
const REPLY_MS = 10000;

const MANIFEST = `
node: { name: usbguest.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:16::/64"] }
usb:
  - { name: stick, device: "46f4:0001" }
services:
  - { domain: usbdisk.sabz.city, module: build/wasm/services/usbdisk.wasm, addresses: ["fd00:5ab2:16::71"],
      ram: { min: 64KiB, max: 1MiB }, usb: [{ device: stick, rights: [read, write] }] }
`;

class Peer {
  readonly link = new VirtualLink();
  private waiter: ((d: Buffer) => void) | null = null;
  private port = 41000;

  constructor() { this.link.b.onFrame = (f) => this.frame(f); }

  private frame(f: Uint8Array): void {
    const r = P.parse(f);
    const target = P.ndTarget(r.data);
    if (r.next === P.NH_ICMPV6 && r.icmpType === P.ICMP.NS && target && r.src) {
      const na = P.icmp6(target, r.src, P.ICMP.NA, 0, 0x60000000, P.ndRest(target, 2, PEER_MAC), 255);
      sendFrame(this.link.b, P.ether(r.srcMac!, PEER_MAC, P.ETH_IPV6, na));
      return;
    }
    if (r.next === P.NH_UDP && r.dport === this.port && r.data) this.waiter?.(Buffer.from(r.data));
  }

  /** One request; its reply, or null after REPLY_MS. Each request has its own source port,
   *  so a late reply to an earlier one is never taken for this one's. */
  ask(req: string | Buffer): Promise<Buffer | null> {
    this.port = this.port >= 60000 ? 41000 : this.port + 1;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.waiter = null; resolve(null); }, REPLY_MS);
      this.waiter = (d) => { clearTimeout(timer); this.waiter = null; resolve(d); };
      const ip = P.udp(PEER, DISK, this.port, PORT, typeof req === "string" ? Buffer.from(req) : req);
      sendFrame(this.link.b, P.ether(NODE_MAC, PEER_MAC, P.ETH_IPV6, ip));
    });
  }
}

const text = (b: Buffer | null) => b === null ? "(no reply)" : b.toString("latin1", 0, Math.min(b.length, 24));

async function main(): Promise<void> {
  const [img, blocksText] = process.argv.slice(2);
  const blocks = Number(blocksText);
  const file = fs.readFileSync(img);
  const block = (lba: number) => file.subarray(lba * 512, (lba + 1) * 512);
  const m = parseManifest(MANIFEST, "usbdisk.yaml", ROOT);
  const { boot, plan } = compileManifest(m);
  const peer = new Peer();
  const node = new PersiaNode({
    kernelBytes: new Uint8Array(fs.readFileSync(path.join(ROOT, "build/wasm/kernel.wasm"))), boot,
    services: { 0: new Uint8Array(fs.readFileSync(m.services[0].module)) }, nics: [peer.link.a],
    usb: plan.usb.map((u) => ({ id: u.id, name: u.name, vendor: u.vendor ?? undefined, product: u.product ?? undefined,
      serial: u.serial ?? undefined, path: u.path ?? undefined })),
    log: (_level, line) => say("log", line),
  });
  node.on("error", (e: Error) => { say("error", e.message); process.exit(2); });
  const t0 = Date.now();
  await node.start();
  const started = Date.now() - t0;
  const readOk = (lba: number, r: Buffer | null) => r !== null && r.subarray(0, `DATA ${lba} `.length).toString() === `DATA ${lba} ` &&
    r.subarray(`DATA ${lba} `.length).equals(block(lba));
  const trace: string[] = [];   // what INFO answered before OK, and when
  const ready = async (ms: number) => {
    const from = Date.now();
    for (const end = Date.now() + ms; Date.now() < end;) {
      const r = await peer.ask("INFO");
      if (r?.toString().startsWith("OK")) return r.toString();
      trace.push(`${Date.now() - from} ms: ${text(r)}`);
      await new Promise((res) => setTimeout(res, 200));
    }
    return "(never OK)";
  };
  say("info", { reply: await ready(60000), startMs: started, ms: Date.now() - t0, before: compress(trace.map((t) => t.replace(/^\d+ ms: /, ""))), first: trace[0], last: trace.at(-1) });

  const reads = [];
  for (const lba of [0, 1, 2, 511, 1024, blocks - 1]) reads.push({ lba, ok: readOk(lba, await peer.ask(`READ ${lba}`)) });
  reads.push({ lba: blocks, ok: text(await peer.ask(`READ ${blocks}`)) === "ERR out of range" });
  say("reads", reads);

  const writes = [];
  for (const lba of [5, 1500]) {
    const data = crypto.randomBytes(512);
    const reply = text(await peer.ask(Buffer.concat([Buffer.from(`WRITE ${lba} `), data])));
    if (reply === "OK") data.copy(file, lba * 512);
    writes.push({ lba, reply, back: readOk(lba, await peer.ask(`READ ${lba}`)) });
  }
  say("write", writes);

  // READs back to back; the harness unplugs the stick after 1.5 s of them.
  const texts: string[] = [];
  const bad: number[] = [];
  let unplugged: Promise<string> | null = null;
  const t1 = Date.now();
  for (let i = 0; texts.filter((t) => t === "ERR detached").length < 5 && i < 100000; i++) {
    if (unplugged === null && Date.now() - t1 > 1500) unplugged = host("device_del stick");
    const lba = i % blocks;
    const r = await peer.ask(`READ ${lba}`);
    const t = text(r).startsWith("DATA ") ? "DATA" : text(r);
    if (t === "DATA" && !readOk(lba, r)) bad.push(lba);
    texts.push(t);
  }
  await unplugged;
  say("unplug", { texts: compress(texts), bad, info: text(await peer.ask("INFO")) });

  await host(`drive_add 0 if=none,id=stick2,format=raw,file=${img.replace(/,/g, ",,")}`);
  await host("device_add usb-storage,bus=xhci.0,drive=stick2,id=stick");
  const info = await ready(60000);
  say("replugged", { info, read: readOk(1777 % blocks, await peer.ask(`READ ${1777 % blocks}`)) });

  const data = crypto.randomBytes(512);
  say("final", { lba: 9, reply: text(await peer.ask(Buffer.concat([Buffer.from("WRITE 9 "), data]))), data: data.toString("base64") });
  node.stop();
  process.exit(0);
}

/** ["DATA", "DATA", "ERR detached"] → [["DATA", 2], ["ERR detached", 1]]. */
function compress(texts: string[]): [string, number][] {
  const out: [string, number][] = [];
  for (const t of texts) {
    if (out.length && out[out.length - 1][0] === t) out[out.length - 1][1]++;
    else out.push([t, 1]);
  }
  return out;
}

main().catch((e) => { say("error", e instanceof Error ? e.stack : String(e)); process.exit(1); });
