// Helpers for end-to-end tests against real Linux peers: run commands, check that the
// tools exist (and fail under CI=true when they do not, instead of skipping), and build
// a network namespace whose VXLAN device is the node's peer, as spec/wire.md describes:
//   root ns: node's UDP socket [fd00:99:N::1]:4789 ── veth ── ns: fd00:99:N::2, vxlan "vxa"
// and capture a device's frames with tshark, from a moment it has shown to one it has shown.
import { spawnSync, spawn, ChildProcess } from "child_process";
import * as assert from "node:assert/strict";
import { waitFor } from "../wait";

export function sh(cmd: string, opts: { allowFail?: boolean } = {}): string {
  const r = spawnSync("sh", ["-c", cmd], { encoding: "utf8" });
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`\`${cmd}\` failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}

/** Run a command without blocking the event loop (the node under test runs in this
 *  process and must go on answering while, e.g., ping waits for it). */
export function shAsync(cmd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn("sh", ["-c", cmd], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout!.on("data", (d) => (out += d));
    p.stderr!.on("data", (d) => (out += d));
    p.on("close", (code) => resolve({ code, out }));
  });
}

/** Why these end-to-end tests cannot run here, or null if they can. Under CI=true a
 *  missing tool is not a reason to skip: the caller fails instead. */
export function missing(tools: string[]): string | null {
  if (typeof process.getuid === "function" && process.getuid() !== 0) return "needs root (network namespaces)";
  const absent = tools.filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
  if (absent.length) return `missing ${absent.join(", ")} (run \`node tests/setup.js\` as root)`;
  return null;
}

export function skipOrFail(reason: string | null): string | false {
  if (reason === null) return false;
  if (process.env.CI === "true") throw new Error(`end-to-end test cannot run under CI: ${reason}`);
  console.log(`# skipped: ${reason}`);
  return reason;
}

export interface VxlanNs {
  ns: string;
  hostAddr: string;    // underlay address of the node's socket (root namespace)
  peerAddr: string;    // underlay address of the VXLAN device (inside ns)
  dev: string;         // the VXLAN device inside ns
  vni: number;
  close(): void;
}

/** A namespace with a VXLAN device (VNI vni) whose remote is the node's socket. `mac`
 *  sets the device's MAC; `quiet` keeps it from sending router solicitations. The device
 *  computes its own checksums (no tx offload): on a veth underlay Linux otherwise hands the
 *  node UDP whose checksum was left for a NIC to fill in (spec/image.md, "NICs"). */
export function vxlanNamespace(tag: number, vni: number, linuxAddr: string, opts: { mac?: string; quiet?: boolean } = {}): VxlanNs {
  const ns = `pe${tag}`, vh = `pvh${tag}`, vn = `pvn${tag}`;
  const net = `fd00:99:${tag.toString(16)}`;
  const hostAddr = `${net}::1`, peerAddr = `${net}::2`;
  const close = () => {
    sh(`ip netns del ${ns}`, { allowFail: true });
    sh(`ip link del ${vh}`, { allowFail: true });
  };
  close();
  try {
    sh(`ip netns add ${ns}`);
    sh(`ip link add ${vh} type veth peer name ${vn}`);
    sh(`ip link set ${vn} netns ${ns}`);
    sh(`ip -6 addr add ${hostAddr}/64 dev ${vh} nodad && ip link set ${vh} up`);
    const inNs = `ip netns exec ${ns}`;
    sh(`${inNs} ip link set lo up`);
    sh(`${inNs} ip -6 addr add ${peerAddr}/64 dev ${vn} nodad && ${inNs} ip link set ${vn} up`);
    sh(`${inNs} ip link add vxa type vxlan id ${vni} local ${peerAddr} remote ${hostAddr} dstport 4789`);
    if (opts.mac) sh(`${inNs} ip link set vxa address ${opts.mac}`);
    if (opts.quiet) sh(`${inNs} sysctl -qw net.ipv6.conf.vxa.router_solicitations=0`);
    sh(`${inNs} ethtool -K vxa tx off`, { allowFail: true });
    sh(`${inNs} ip -6 addr add ${linuxAddr} dev vxa nodad && ${inNs} ip link set vxa up`);
  } catch (e) {
    close();
    throw e;
  }
  return { ns, hostAddr, peerAddr, dev: "vxa", vni, close };
}

/** A running tshark: its process, and the one-line summary of each packet it has taken
 *  (it prints them as it writes them, in order). */
export interface Capture { proc: ChildProcess; ns: string; dev: string; lines: string[] }

/** tshark's summary of a ping to all nodes, the mark mark() sends. */
const MARK = /→ ff02::1 +ICMPv6 .*Echo \(ping\) request/;

/** Pings all nodes from ns out of dev until tshark shows it has that ping: every frame that
 *  crossed dev before it is then in the file too. Only the node answers such a ping, from
 *  its link-local address, so a mark adds nothing a test counts. */
async function mark(c: Capture): Promise<void> {
  const marks = () => c.lines.filter((l) => MARK.test(l)).length;
  const seen = marks();
  let sent = 0;
  await waitFor(async () => {
    if (marks() > seen) return true;
    if (c.proc.exitCode !== null) throw new Error(`tshark on ${c.dev} exited (${c.proc.exitCode})`);
    // Another mark each second (one sent before the capture started is not seen; tshark
    // shows a frame up to ~0.8 s after it crossed, when libpcap hands over its buffer).
    if (Date.now() - sent >= 1000) {
      sent = Date.now();
      await shAsync(`ip netns exec ${c.ns} ping -6 -c 1 -W 0.05 -I ${c.dev} ff02::1`);
    }
    return false;
  }, 15000, `tshark on ${c.dev} in ${c.ns} to show a ping to all nodes`, 10);
}

/** Start tshark inside ns on dev, writing to file; resolves once it is capturing (tshark
 *  says "Capturing on" a moment before it really does: a mark shows when it does). */
export async function capture(ns: string, dev: string, file: string): Promise<Capture> {
  const proc = spawn("ip", ["netns", "exec", ns, "tshark", "-i", dev, "-w", file, "-l", "-P"], { stdio: ["ignore", "pipe", "pipe"] });
  const c: Capture = { proc, ns, dev, lines: [] };
  let out = "";
  let err = "";
  proc.stdout!.on("data", (d) => {
    out += d;
    const end = out.lastIndexOf("\n") + 1;
    c.lines.push(...out.slice(0, end).split("\n").slice(0, -1));
    out = out.slice(end);
  });
  proc.stderr!.on("data", (d) => (err += d));
  try {
    await waitFor(() => { if (proc.exitCode !== null) throw new Error(`tshark exited (${proc.exitCode}): ${err}`); return /Capturing on/.test(err); },
      15000, () => `tshark to start capturing: ${err}`);
    await mark(c);
  } catch (e) {
    proc.kill("SIGINT");
    throw e;
  }
  return c;
}

/** Stops tshark once it has written every frame that crossed its device so far (a mark). */
export async function stopCapture(c: Capture): Promise<void> {
  await mark(c);
  if (c.proc.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => c.proc.on("exit", () => resolve()));
  c.proc.kill("SIGINT");
  await exited;
}

/** Packets in a capture file that match a display filter. */
export function countMatching(file: string, filter: string): number {
  const out = sh(`tshark -r ${file} -Y '${filter}' -T fields -e frame.number 2>/dev/null`);
  return out.split("\n").filter((l) => l.trim() !== "").length;
}

/** tshark with these arguments: its exit code, stdout, and stderr without the warning it
 *  prints whenever it runs as root (which says nothing about the file it reads). */
export function tshark(args: string[]): { code: number | null; out: string; err: string } {
  // A field of every packet of a long flood is megabytes: spawnSync's default of 1 MiB
  // would cut it off and kill tshark (exit 2, nothing on stderr).
  const r = spawnSync("tshark", args, { encoding: "utf8", maxBuffer: 1 << 28 });
  const err = r.stderr.split("\n").filter((l) => l !== "" && !/^Running as user "root" and group "root"\. This could be dangerous\.$/.test(l)).join("\n");
  return { code: r.status, out: r.stdout, err };
}

/** Each packet of a capture file as "interface|direction|src|dst|icmpv6 type|comment",
 *  after checking that tshark reads it with nothing on stderr. */
export function captureRows(file: string): string[] {
  const r = tshark(["-r", file, "-T", "fields", "-E", "separator=|", "-e", "frame.interface_name", "-e", "frame.packet_flags_direction",
    "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "icmpv6.type", "-e", "frame.comment"]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, "", `tshark -r ${file} says nothing on stderr`);
  return r.out.split("\n").filter((l) => l !== "");
}

/** Runs cmd inside network namespace ns. */
export const inNs = (ns: string, cmd: string) => shAsync(`ip netns exec ${ns} ${cmd}`);

/** Debian's python3 (tests/setup.js installs it), for the scripts the tests run in a namespace. */
export const PYTHON = "/usr/bin/python3";
/** Sends one UDP datagram from ns to [addr]:port and prints what comes back within 1 s. */
const UDP_ONCE = `
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(1.0)
s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
try:
    data, src = s.recvfrom(2048)
    print("reply", src[0], src[1], data.decode())
except socket.timeout:
    print("timeout")
`;

/** One UDP datagram of text from ns to [addr]:port: "reply <addr> <port> <data>" or "timeout". */
export async function udpOnce(ns: string, addr: string, port: number, text: string): Promise<string> {
  return (await inNs(ns, `${PYTHON} -c '${UDP_ONCE}' ${addr} ${port} '${text}'`)).out.trim();
}

/** A Linux host's SLAAC address in its /64 prefix on dev, once duplicate address detection
 *  is done (from a router's advertisements). */
export function slaacAddress(h: { ns: string; dev: string; prefix: string }, ms: number): Promise<string> {
  return waitFor(async () => {
    const out = (await inNs(h.ns, `ip -6 -o addr show dev ${h.dev} scope global`)).out;
    for (const line of out.split("\n")) {
      const m = /inet6 ([0-9a-f:]+)\/64/.exec(line);
      if (m && m[1].startsWith(h.prefix.replace(/::$/, ":")) && !/tentative/.test(line)) return m[1];
    }
    return null;
  }, ms, `${h.ns} to configure an address in ${h.prefix}/64 from the router's advertisements`, 200);
}
