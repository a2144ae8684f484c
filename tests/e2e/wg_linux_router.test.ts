// A Linux wireguard-go peer reaching the rest of the network through a PersiaOS router
// (issue #13; set-up in tests/e2e/wg_node.ts): the node routes between its WireGuard NIC
// and a TAP NIC into a LAN namespace whose Linux autoconfigures from the node's RAs. Linux
// in the WireGuard namespace pings the LAN host and the LAN host pings it back, each
// forwarded once (hop limit 63). Meanwhile tshark on the underlay veth (the root side)
// sees only WireGuard: every UDP datagram dissects as a WireGuard message (initiation,
// response, transport), no ICMPv6 echo and no tunnel or LAN address appears in clear, and
// no expert warning or error. Needs root, ip, wireguard-go, wg, ping, tshark and ndisc6; skips
// saying why, fails under CI=true. (ndisc6 marks the capture's start and end.)
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { missing, skipOrFail, shAsync, tshark } from "./linux";
import { WG_TOOLS, wgTag, tunnelAddr } from "./wireguard";
import { wgNode, WgNode, ping, answers, WG_PORT } from "./wg_node";
import { waitFor } from "../wait";

const skip = skipOrFail(missing([...WG_TOOLS, "ping", "tshark", "ndisc6"]));

// tshark's _ws.expert.severity values (epan/proto.h PI_WARN, PI_ERROR).
const PI_WARN = 0x00600000;

/** tshark in the root namespace on dev, writing file and printing one line per packet. */
interface RootCapture { proc: ChildProcess; lines: () => number; err: () => string }

/** Starts tshark and returns once it shows a packet: `poke` (neighbor discovery on the
 *  underlay, which is allowed there) is sent until one appears, so nothing is missed after. */
async function startCapture(dev: string, file: string, poke: () => Promise<unknown>): Promise<RootCapture> {
  const proc = spawn("tshark", ["-i", dev, "-w", file, "-l", "-P"], { stdio: ["ignore", "pipe", "pipe"] });
  let lines = 0, err = "";
  proc.stdout!.on("data", (d: Buffer) => (lines += d.toString().split("\n").length - 1));
  proc.stderr!.on("data", (d) => (err += d));
  const c = { proc, lines: () => lines, err: () => err };
  try {
    await waitFor(() => { if (proc.exitCode !== null) throw new Error(`tshark exited: ${err}`); return /Capturing on/.test(err); },
      15000, () => `tshark to start on ${dev}: ${err}`);
    await waitFor(async () => { if (lines > 0) return true; await poke(); return false; }, 20000, () => `tshark to show a packet on ${dev}: ${err}`, 10);
  } catch (e) {
    proc.kill("SIGINT");
    throw e;
  }
  return c;
}

/** Stops tshark once it has shown a packet sent after everything before (a poke). */
async function stopCapture(c: RootCapture, poke: () => Promise<unknown>): Promise<void> {
  const seen = c.lines();
  await waitFor(async () => { if (c.lines() > seen) return true; await poke(); return false; }, 15000, "tshark to show a last packet", 10);
  const gone = new Promise((r) => c.proc.once("exit", r));
  c.proc.kill("SIGINT");
  await gone;
}

interface Row { frame: number; udp: boolean; wgType: number | null; severities: number[]; proto: string }

/** Each packet of the capture, WireGuard dissected on the node's port. */
function rows(file: string): Row[] {
  const r = tshark(["-r", file, "-d", `udp.port==${WG_PORT},wg`, "-T", "fields", "-E", "separator=|", "-E", "occurrence=a",
    "-e", "frame.number", "-e", "udp.srcport", "-e", "wg.type", "-e", "_ws.expert.severity", "-e", "frame.protocols"]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, "", `tshark -r ${file} says nothing on stderr`);
  return r.out.split("\n").filter((l) => l !== "").map((l) => {
    const [frame, port, type, sev, proto] = l.split("|");
    return { frame: Number(frame), udp: port !== "", wgType: type === "" ? null : Number(type),
      severities: sev === "" ? [] : sev.split(",").map(Number), proto };
  });
}

const count = (file: string, filter: string) =>
  tshark(["-r", file, "-Y", filter, "-T", "fields", "-e", "frame.number"]).out.split("\n").filter((l) => l !== "").length;

test("through the router: Linux over WireGuard and a LAN host reach each other; the underlay carries only WireGuard", { skip, timeout: 120000 }, async (t) => {
  const pcap = path.join(os.tmpdir(), `persia-wg-underlay-${process.pid}.pcapng`);
  let n: WgNode | null = null;
  try {
    n = await wgNode(wgTag(2), { lan: true });
    const node = n, lan = n.lan!;
    const poke = () => shAsync(`ndisc6 -1 -r 1 -w 100 ${node.ul.addrB} ${node.ul.devA}`);
    // Before the first packet through the tunnel: the capture holds the handshake too.
    assert.equal(node.linux.dump().peers[0].latestHandshake, 0, "no handshake before the capture");
    const cap = await startCapture(node.ul.devA, pcap, poke);
    await answers(node.ns, node.echo, node.logs);

    await t.test("Linux pings the LAN host through the node, one hop", async () => {
      await answers(node.ns, lan.host, node.logs);
      const p = await ping(node.ns, lan.host, 5);
      assert.equal(p.received, 5, p.out);
      assert.match(p.out, /ttl=63/, `the LAN host answers with hop limit 64; it arrives with 63\n${p.out}`);
    });

    await t.test("the LAN host pings Linux's tunnel address through the node", async () => {
      const p = await ping(lan.ns, node.linuxAddr, 5);
      assert.equal(p.received, 5, `${p.out}\n${node.logs()}`);
      assert.match(p.out, /ttl=63/, p.out);
    });

    await t.test("the node counts both ways on the peer, and drops nothing for the source", () => {
      const s = node.status();
      const peer = node.peer();
      assert.equal(peer.state, "UP");
      assert.ok(peer.rxPackets >= 10 && peer.txPackets >= 10, JSON.stringify(peer));
      assert.equal(Number(s.drops.WG_SRC), 0);
      assert.equal(Number(s.drops.WG_AUTH), 0);
    });

    await stopCapture(cap, poke);
    await t.test("tshark on the underlay sees WireGuard only, dissected without a warning", () => {
      const all = rows(pcap);
      const udp = all.filter((r) => r.udp);
      assert.ok(udp.length >= 20, `the exchange is in the capture (${udp.length} datagrams)`);
      const notWg = udp.filter((r) => r.wgType === null || ![1, 2, 4].includes(r.wgType));
      assert.deepEqual(notWg, [], "every UDP datagram is a WireGuard initiation, response or transport message");
      const types = new Set(udp.map((r) => r.wgType));
      assert.ok(types.has(1) && types.has(2) && types.has(4), `initiation, response and transport seen: ${[...types]}`);
      const other = all.filter((r) => !r.udp && !/icmpv6$/.test(r.proto));
      assert.deepEqual(other, [], "besides WireGuard, only the underlay's own neighbor discovery");
      assert.equal(count(pcap, "icmpv6.type == 128 || icmpv6.type == 129"), 0, "no ICMPv6 echo in clear");
      const inner = `ipv6.addr == ${tunnelAddr(node.tag, 0)}/64 || ipv6.addr == ${lan.prefix}/64`;
      assert.equal(count(pcap, inner), 0, "no tunnel or LAN address in clear");
      assert.equal(count(pcap, "_ws.malformed"), 0, "no malformed packet");
      const loud = all.filter((r) => r.severities.some((v) => v >= PI_WARN));
      assert.deepEqual(loud, [], "no expert warning or error");
    });
  } finally {
    await n?.close();
    fs.rmSync(pcap, { force: true });
  }
});
