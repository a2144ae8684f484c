// Two PersiaOS nodes as the two ends of one WireGuard link (issue #13), on ::1:
//   A: the Node host in this process (tests/integration/bench.ts, real clock), a router:
//      lan0 (virtual, fd00:5ab2:a::/64, a traffic peer at ::100) and wg0 [::1]:<A>
//   B: a wasmtime image (`persia image`'s code, the real wasmtime CLI, bounded by --for),
//      a server: wg0 [::1]:<B>, echo.sabz.city at fd00:5ab2:b::7
// Each allows the other's prefix (cryptokey routing) and routes it on-link into wg0. Run
// once with A initiating and once with B: the initiator has the endpoint and a keepalive,
// the responder neither and learns it from the first authenticated datagram. The LAN peer
// pings echo through A and the tunnel and gets UDP echo back (hop limit 63: A forwards
// once); both ends' status shows the peer up (B's by `persia status --from` of its output).
// tshark on lo, started before the initiator, sees only WireGuard on the two ports (types
// 1, 2 and 4, no expert warning or error), no ICMPv6 about them and no tunnel address in
// clear. Needs root (capture on lo), tshark and wasmtime; skips saying why, fails under CI=true.
import { test, TestContext } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, ChildProcess } from "child_process";
import * as dgram from "dgram";
import { once } from "events";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../../hosts/node/paths";
import { parseAddr } from "../../loader/ip6";
import { Status, WgPeerStatus } from "../../loader/status/decode";
import * as P from "../../cli/peer/packets";
import { Bench } from "../integration/bench";
import { keyPair, b64 } from "../integration/wg_link";
import { freePorts } from "../ports";
import { waitFor } from "../wait";
import { missing, skipOrFail, tshark } from "./linux";
import { imageOf, RunningImage, wasmtimeOrSkip } from "./wasmtime";
import { cli } from "./wg_node";

const wt = wasmtimeOrSkip();
const notRoot = typeof process.getuid === "function" && process.getuid() !== 0;
const skip = wt.skip || skipOrFail(notRoot ? "needs root (tshark on lo)" : missing(["tshark"]));

const A_KEY = keyPair(21), B_KEY = keyPair(22);
const LAN = { nic: "lan0", mac: "02:00:00:00:0a:99", addr: "fd00:5ab2:a::100" };
const ECHO = "fd00:5ab2:b::7";
const KEEPALIVE = 1;                    // s: the initiator's persistent keepalive
const RUN_FOR_MS = 60000;               // B's --for: a bound on the image, not a window
const PI_WARN = 0x00600000;             // tshark's _ws.expert.severity for a warning (epan/proto.h)

/** The underlay ports: A's, B's, and one for the capture's marks. */
interface Ports { a: number; b: number; mark: number }

/** The initiator's peer entry gets the endpoint and keepalive; the responder's neither. */
const peerExtra = (initiates: boolean, port: number) => initiates ? `, endpoint: "[::1]:${port}", keepalive: ${KEEPALIVE}` : "";

function manifestA(dir: string, p: Ports, initiates: boolean): string {
  return `
node: { name: a.sabz.city, role: router, key: ${dir}/a.key }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:0a:01", prefixes: ["fd00:5ab2:a::/64"] }
  - name: wg0
    kind: wireguard
    wireguard: { listen: "[::1]:${p.a}" }
    peers:
      - { key: "${b64(B_KEY.pub)}", addresses: ["fd00:5ab2:b::/64"]${peerExtra(initiates, p.b)} }
routes:
  - { to: "fd00:5ab2:b::/64", nic: wg0 }
services: []
`;
}

function manifestB(dir: string, p: Ports, initiates: boolean): string {
  return `
node: { name: b.sabz.city, role: server, key: ${dir}/b.key }
nics:
  - name: wg0
    kind: wireguard
    wireguard: { listen: "[::1]:${p.b}" }
    prefixes: ["fd00:5ab2:b::/64"]
    peers:
      - { key: "${b64(A_KEY.pub)}", addresses: ["fd00:5ab2:a::/64"]${peerExtra(initiates, p.a)} }
routes:
  - { to: "fd00:5ab2:a::/64", nic: wg0 }
services:
  - { domain: echo.sabz.city, module: ${ROOT}/build/wasm/services/echo.wasm, addresses: ["${ECHO}"], ram: { min: 64KiB, max: 1MiB } }
`;
}

/** tshark on lo for the two WireGuard ports, ICMPv6 and the mark port, writing file. A mark
 *  is a datagram from the mark socket to itself; tshark showing one means every packet
 *  before it is in the file. */
class LoCapture {
  private lines: string[] = [];
  private err = "";
  private constructor(readonly proc: ChildProcess, readonly mark: dgram.Socket, readonly port: number) {}

  static async start(file: string, p: Ports): Promise<LoCapture> {
    const mark = dgram.createSocket("udp6");
    mark.bind(p.mark, "::1");
    await once(mark, "listening");
    const filter = `udp port ${p.a} or udp port ${p.b} or udp port ${p.mark} or icmp6`;
    const proc = spawn("tshark", ["-i", "lo", "-f", filter, "-w", file, "-l", "-P"], { stdio: ["ignore", "pipe", "pipe"] });
    const c = new LoCapture(proc, mark, p.mark);
    let out = "";
    proc.stdout!.on("data", (d) => {
      out += d;
      const end = out.lastIndexOf("\n") + 1;
      c.lines.push(...out.slice(0, end).split("\n").slice(0, -1));
      out = out.slice(end);
    });
    proc.stderr!.on("data", (d) => (c.err += d));
    try {
      await waitFor(() => { if (proc.exitCode !== null) throw new Error(`tshark exited: ${c.err}`); return /Capturing on/.test(c.err); },
        15000, () => `tshark to start on lo: ${c.err}`);
      await c.marked();
    } catch (e) {
      c.kill();
      throw e;
    }
    return c;
  }

  /** Sends marks (one each 200 ms) until tshark shows one sent after this call began. */
  private async marked(): Promise<void> {
    const re = new RegExp(`\\b${this.port} → ${this.port}\\b`);
    const seen = this.lines.filter((l) => re.test(l)).length;
    let sent = 0;
    await waitFor(() => {
      if (this.lines.filter((l) => re.test(l)).length > seen) return true;
      if (Date.now() - sent >= 200) { sent = Date.now(); this.mark.send("mark", this.port, "::1"); }
      return false;
    }, 15000, () => `tshark on lo to show a mark: ${this.err}`, 10);
  }

  async stop(): Promise<void> {
    await this.marked();
    const gone = once(this.proc, "exit");
    this.proc.kill("SIGINT");
    await gone;
    this.mark.close();
  }

  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill("SIGKILL");
    try { this.mark.close(); } catch { /* closed by stop */ }
  }
}

interface Row { udp: number[]; wgType: number | null; severities: number[]; proto: string }

/** Each packet of the capture, WireGuard dissected on both nodes' ports. */
function rows(file: string, p: Ports): Row[] {
  const r = tshark(["-r", file, "-d", `udp.port==${p.a},wg`, "-d", `udp.port==${p.b},wg`, "-T", "fields", "-E", "separator=|",
    "-E", "occurrence=a", "-e", "udp.srcport", "-e", "udp.dstport", "-e", "wg.type", "-e", "_ws.expert.severity", "-e", "frame.protocols"]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, "", `tshark -r ${file} says nothing on stderr`);
  return r.out.split("\n").filter((l) => l !== "").map((l) => {
    const [sport, dport, type, sev, proto] = l.split("|");
    const nums = (s: string) => s === "" ? [] : s.split(",").map(Number);
    return { udp: [...nums(sport), ...nums(dport)], wgType: type === "" ? null : Number(type), severities: nums(sev), proto };
  });
}

const count = (file: string, filter: string) =>
  tshark(["-r", file, "-Y", filter, "-T", "fields", "-e", "frame.number"]).out.split("\n").filter((l) => l !== "").length;

/** The one WireGuard peer of a status. */
function onlyPeer(s: Status): WgPeerStatus {
  assert.equal(s.wgPeers.length, 1, JSON.stringify(s.wgPeers));
  return s.wgPeers[0];
}

/** The LAN peer sends echo a UDP datagram to port 7; the reply, or null. */
async function udpEcho(b: Bench, text: string): Promise<P.Parsed | null> {
  const peer = b.peer("lan0");
  peer.sendIp(b.nodeMac("lan0"), P.udp(parseAddr(LAN.addr), parseAddr(ECHO), 40007, 7, Buffer.from(text)));
  return b.frame(peer, (r) => r.sport === 7 && r.dport === 40007 && Buffer.from(r.data ?? []).toString() === text);
}

/** One run: the responder first, then the capture, then the initiator; every check. */
async function link(t: TestContext, initiator: "A" | "B"): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-wg-image-"));
  const pcap = path.join(dir, "lo.pcapng");
  const [a, bp, mark] = await freePorts(3);
  const p: Ports = { a, b: bp, mark };
  let b: Bench | null = null, img: RunningImage | null = null, cap: LoCapture | null = null;
  const logs = () => `A:\n${b?.logs.slice(-30).join("\n") ?? ""}\nB:\n${img?.stderr.slice(-3000) ?? ""}`;
  try {
    fs.writeFileSync(path.join(dir, "a.key"), b64(A_KEY.priv) + "\n", { mode: 0o600 });
    fs.writeFileSync(path.join(dir, "b.key"), b64(B_KEY.priv) + "\n", { mode: 0o600 });
    const image = path.join(dir, "b.wasm");
    const { flags } = await imageOf(manifestB(dir, p, initiator === "B"), image);
    fs.chmodSync(image, 0o600);
    const bootA = () => Bench.boot(manifestA(dir, p, initiator === "A"), [LAN], true);
    const startB = async () => {
      const r = new RunningImage(wt.file, flags, image, ["--for", String(RUN_FOR_MS), "--status-every", "200"]);
      img = r;
      await r.until(() => r.stderr.includes("is running"), 30000, "the image to boot");
      return r;
    };
    let started: number;
    if (initiator === "A") {
      const t0 = Date.now();
      await startB();
      t.diagnostic(`image B booted in ${Date.now() - t0} ms`);
      cap = await LoCapture.start(pcap, p);
      started = Date.now();
      b = await bootA();
    } else {
      b = await bootA();
      cap = await LoCapture.start(pcap, p);
      started = Date.now();
      await startB();
      t.diagnostic(`image B booted in ${Date.now() - started} ms`);
    }
    const A = b, B = img!;

    await t.test("the handshake completes: A's peer is up", async () => {
      const peer = await waitFor(() => { const x = onlyPeer(A.node.status()); return x.state === "UP" && x.handshakes >= 1 && x; },
        20000, () => `A's peer to be up: ${JSON.stringify(A.node.status().wgPeers)}\n${logs()}`);
      t.diagnostic(`${initiator} initiated; A's peer up ${Date.now() - started} ms after the initiator started`);
      assert.equal(peer.endpoint, `[::1]:${p.b}`, "A knows B's endpoint (configured, or learned from its initiation)");
    });

    await t.test("the LAN peer pings echo on B through A and the tunnel", async () => {
      const first = Date.now();
      await waitFor(() => A.ping("lan0", parseAddr(ECHO)), 10000, () => `a first answer from ${ECHO}\n${logs()}`, 10);
      t.diagnostic(`first ping answered after ${Date.now() - first} ms`);
      let got = 0;
      for (let i = 0; i < 10; i++) if (await A.ping("lan0", parseAddr(ECHO))) got++;
      assert.equal(got, 10, `10 of 10 pings answered\n${logs()}`);
    });

    await t.test("echo answers UDP port 7 through the tunnel, its reply forwarded once by A", async () => {
      const r = await udpEcho(A, "two nodes, one tunnel");
      assert.ok(r, `no UDP echo\n${logs()}`);
      assert.equal(r.checksumOk, true);
      assert.ok(P.equalBytes(r.src, parseAddr(ECHO)) && P.equalBytes(r.dst, parseAddr(LAN.addr)), "from echo to the LAN peer");
      assert.equal(r.hops, 63, "B sends with hop limit 64; A forwards it once");
    });

    await t.test("A counts both ways and drops nothing for the link", () => {
      const s = A.node.status(), x = onlyPeer(s);
      assert.ok(x.rxPackets >= 12 && x.txPackets >= 12, JSON.stringify(x));
      for (const d of ["WG_AUTH", "WG_SRC", "WG_REPLAY", "WG_MAC", "WG_MALFORMED", "WG_NO_PEER"]) assert.equal(Number(s.drops[d] ?? 0), 0, d);
      assert.deepEqual(A.errors.map((e) => e.message), [], "node A never failed");
    });

    await t.test("B's status, by `persia status --from` of its output, shows the peer up", async () => {
      const live = await B.freshStatus();
      const out = path.join(dir, "b.out");
      fs.writeFileSync(out, B.stdout);
      const s = JSON.parse(cli(["status", "--from", out, "--format", "json"])) as Status;
      const x = onlyPeer(s);
      assert.deepEqual([x.state, x.endpoint, x.key], ["UP", `[::1]:${p.a}`, b64(A_KEY.pub)]);
      assert.ok(x.handshakes >= 1 && x.rxPackets >= 12 && x.txPackets >= 12, JSON.stringify(x));
      assert.ok(onlyPeer(live).rxPackets >= 12);
      for (const d of ["WG_AUTH", "WG_SRC", "WG_REPLAY", "WG_MAC", "WG_MALFORMED", "WG_NO_PEER"]) assert.equal(Number(s.drops[d] ?? 0), 0, d);
      const text = cli(["status", "--from", out]);
      assert.match(text, new RegExp(`WireGuard peers\\n.*\\n +0 +${b64(A_KEY.pub).replace(/[+/]/g, "\\$&")} +\\[::1\\]:${p.a} +up `), text);
      assert.match(text, /wasi-wireguard/, "the host's NIC counters name the backend");
    });

    await cap.stop();
    await t.test("tshark on lo sees only WireGuard between the nodes, dissected without a warning", () => {
      const all = rows(pcap, p);
      const wg = all.filter((r) => !/icmpv6/.test(r.proto) && (r.udp.includes(p.a) || r.udp.includes(p.b)));
      assert.ok(wg.length >= 24, `the exchange is in the capture (${wg.length} datagrams)`);
      assert.deepEqual(wg.filter((r) => r.wgType === null || ![1, 2, 4].includes(r.wgType)), [],
        "every datagram is a WireGuard initiation, response or transport message");
      const types = new Set(wg.map((r) => r.wgType));
      assert.ok(types.has(1) && types.has(2) && types.has(4), `initiation, response and transport seen: ${[...types]}`);
      assert.deepEqual(wg.filter((r) => r.severities.some((v) => v >= PI_WARN)), [], "no expert warning or error");
      assert.equal(count(pcap, `icmpv6 && (udp.port == ${p.a} || udp.port == ${p.b} || icmpv6.type == 128 || icmpv6.type == 129)`), 0,
        "no ICMPv6 about the link, and no echo in clear");
      assert.equal(count(pcap, "ipv6.addr == fd00:5ab2::/32"), 0, "no tunnel or LAN address in clear");
      assert.equal(count(pcap, "_ws.malformed"), 0, "no malformed packet");
      t.diagnostic(`capture: ${wg.length} WireGuard datagrams, ${[...types].sort().join(", ")}`);
    });
  } finally {
    b?.close();
    await (img as RunningImage | null)?.stop();
    cap?.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("A (Node host) initiates to B (wasmtime image): ping and UDP echo through the tunnel; only WireGuard on lo",
  { skip, timeout: 120000 }, (t) => link(t, "A"));

test("B (wasmtime image) initiates to A (Node host): ping and UDP echo through the tunnel; only WireGuard on lo",
  { skip, timeout: 120000 }, (t) => link(t, "B"));
