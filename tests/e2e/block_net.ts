// Set-up shared by the end-to-end tests of block signals (issue #15, spec/control.md
// "Address certificates" and "Block signals"): PersiaOS routers started as a person starts
// them (`persia run`, a child process, its status read from its status socket), Linux hosts
// each in a network namespace on one of a router's TAP devices with a static address and a
// default route through it, `persia key new` and `persia ctl` run as the real CLI in the
// host's namespace (each line it prints kept with the wall-clock time it appeared, to
// measure from), an iperf3 UDP flood, and the times of its datagrams in a tshark capture.
// Used by block.test.ts and block_chain.test.ts.
import { spawn, ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../../hosts/node/paths";
import { CTL_PORT } from "../../abi/control";
import { Status } from "../../loader/status/decode";
import { addressFromMac, formatAddr, linkLocalFromMac, parseAddr, parseMac } from "../../loader/ip6";
import { queryStatus } from "../../cli/status_client";
import { sh, shAsync, tshark } from "./linux";
import { persiaRun, RunningNode } from "./persia_run";
import { waitFor } from "../wait";

export const CLI = path.join(ROOT, "build/ts/cli/cli.js");
/** The UDP port iperf3 listens on in the destination's namespace (its default). */
export const IPERF_PORT = 5201;

/** One line a command printed, and when (Unix ms, the clock tshark stamps frames with). */
export interface Line { at: number; text: string }
export interface Ran { code: number; lines: Line[]; out: string }

let runs = 0;

/** `persia <args>` in namespace ns (the root one when null). Each line is stamped by the
 *  shell as it reads it, so the stamp does not depend on how busy this process is. */
export async function persia(ns: string | null, args: string[]): Promise<Ran> {
  // Each run trusts the node it asks on first use (a file of its own: the nodes of these
  // tests draw a new key at every boot, at the same addresses).
  const known = path.join(os.tmpdir(), `persia-known-${process.pid}-${++runs}`);
  const quoted = ["env", `PERSIA_KNOWN_NODES=${known}`, process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const script = `{ ${quoted}; echo "exit $?"; } 2>&1 | while IFS= read -r l; do echo "$(date +%s.%N) $l"; done`;
  const r = await shAsync(ns === null ? script : `ip netns exec ${ns} sh -c '${script.replace(/'/g, "'\\''")}'`);
  fs.rmSync(known, { force: true });
  const lines = r.out.split("\n").filter((l) => l !== "").map((l) => {
    const sp = l.indexOf(" ");
    return { at: Number(l.slice(0, sp)) * 1000, text: l.slice(sp + 1) };
  }).filter((l) => !l.text.startsWith("note: first answer"));   // trust on first use, said on stderr
  const last = lines.pop();
  const m = last ? /^exit (\d+)$/.exec(last.text) : null;
  if (!m) throw new Error(`persia ${args.join(" ")}: no exit status in its output:\n${r.out}`);
  return { code: Number(m[1]), lines, out: lines.map((l) => l.text).join("\n") };
}

/** `persia key new -o file`: the public key it prints ("ed25519:…"). */
export async function keyNew(file: string): Promise<string> {
  const r = await persia(null, ["key", "new", "-o", file]);
  const key = /^(ed25519:\S+)$/m.exec(r.out);
  if (r.code !== 0 || !key) throw new Error(`persia key new -o ${file} (exit ${r.code}):\n${r.out}`);
  return key[1];
}

/** A router node run by `persia run` in the root namespace. */
export class Router {
  private constructor(readonly name: string, private readonly run: RunningNode, private readonly socket: string) {}

  static async start(dir: string, name: string, yaml: string): Promise<Router> {
    const file = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(file, yaml);
    const run = await persiaRun([file, "--socket-dir", dir], /Status: persia status --socket (\S+)/, `that ${name} is running`);
    return new Router(name, run, run.found);
  }

  async status(): Promise<Status> {
    return JSON.parse(await queryStatus(this.socket, "json")) as Status;
  }

  /** `persia status --socket …` as a person reads it. */
  async statusText(): Promise<string> {
    const r = await persia(null, ["status", "--socket", this.socket]);
    if (r.code !== 0) throw new Error(`persia status --socket ${this.socket}: ${r.out}`);
    return r.out;
  }

  drop(s: Status, reason: string): number { return Number(s.drops[reason] ?? 0); }
  log(): string { return this.run.stderr(); }
  stop(): Promise<void> { return this.run.stop(); }
}

/** A Linux host on a router's TAP: its namespace and device, its address and the router's
 *  MAC on that link (its default route goes to the router's link-local address). */
export interface Host { ns: string; dev: string; addr: string; routerMac: string }

/** The router's address on a /64 (prefix "fd00:…::"): the prefix and its MAC's EUI-64,
 *  as kernel/net/iface.ts takes it. */
export function routerAddr(prefix: string, mac: string): string {
  return formatAddr(addressFromMac(parseAddr(prefix), parseMac(mac)));
}

/** Moves the router's TAP into a new namespace and makes it a host there: a static address
 *  (no autoconfiguration, no DAD: the test knows every address in advance) and a default
 *  route to the router's link-local address. */
export function attachHost(h: Host): void {
  const inNs = `ip netns exec ${h.ns}`;
  sh(`ip netns add ${h.ns} && ${inNs} ip link set lo up`);
  sh(`ip link set ${h.dev} netns ${h.ns}`);
  sh(`${inNs} sysctl -qw net.ipv6.conf.${h.dev}.autoconf=0 net.ipv6.conf.${h.dev}.accept_dad=0`);
  sh(`${inNs} ip -6 addr add ${h.addr}/64 dev ${h.dev} nodad && ${inNs} ip link set ${h.dev} up`);
  sh(`${inNs} ip -6 route add default via ${formatAddr(linkLocalFromMac(parseMac(h.routerMac)))} dev ${h.dev}`);
}

/** A namespace holding a bridge whose ports are TAPs of two routers: their shared link. The
 *  bridge has an IPv6 link-local address (the capture's marks ping from it); snooping is off
 *  because the routers send no MLD reports. */
export function bridgeTaps(ns: string, br: string, taps: string[]): void {
  const inNs = `ip netns exec ${ns}`;
  sh(`ip netns add ${ns} && ${inNs} ip link set lo up`);
  sh(`${inNs} ip link add ${br} type bridge forward_delay 0 mcast_snooping 0`);
  sh(`${inNs} sysctl -qw net.ipv6.conf.${br}.accept_dad=0 net.ipv6.conf.${br}.accept_ra=0`);
  for (const t of taps) {
    sh(`ip link set ${t} netns ${ns}`);
    sh(`${inNs} sysctl -qw net.ipv6.conf.${t}.disable_ipv6=1`);
    sh(`${inNs} ip link set ${t} master ${br} && ${inNs} ip link set ${t} up`);
  }
  sh(`${inNs} ip link set ${br} up`);
}

/** ping -6 from ns: how many of n were answered, and what ping printed. */
export async function ping(ns: string, to: string, n = 3): Promise<{ received: number; out: string }> {
  const out = (await shAsync(`ip netns exec ${ns} ping -6 -c ${n} -i 0.2 -W 1 ${to}`)).out;
  const m = /(\d+) received/.exec(out);
  return { received: m ? Number(m[1]) : 0, out };
}

/** A process this test started (iperf3); stop() ends it and waits. */
export interface Proc { proc: ChildProcess; out: () => string; stop(): Promise<void> }

function started(args: string[]): Proc {
  // `ip netns exec` execs the command: the child's pid is iperf3's own.
  const proc = spawn("ip", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    await gone;
  };
  return { proc, out: () => out, stop };
}

/** iperf3 -s in ns, once it listens. */
export async function iperfServer(ns: string): Promise<Proc> {
  const p = started(["netns", "exec", ns, "iperf3", "-s", "-p", String(IPERF_PORT), "--forceflush"]);
  await waitFor(() => { if (p.proc.exitCode !== null) throw new Error(`iperf3 -s exited: ${p.out()}`); return /Server listening/.test(p.out()); },
    10000, () => `iperf3 -s in ${ns} to listen: ${p.out()}`);
  return p;
}

/** iperf3 -u from ns to dst at `rate` (iperf3's -b: "0" is as fast as it can) for `seconds`,
 *  in datagrams of `len` bytes. */
export function flood(ns: string, dst: string, rate: string, seconds: number, len = 1200): Proc {
  return started(["netns", "exec", ns, "iperf3", "-c", dst, "-p", String(IPERF_PORT), "-u", "-b", rate, "-l", String(len),
    "-t", String(seconds), "--forceflush"]);
}

/** The capture times (Unix ms) of the UDP datagrams from src to dst's iperf3 port. */
export function floodTimes(file: string, src: string, dst: string): number[] {
  const r = tshark(["-r", file, "-Y", `ipv6.src == ${src} && ipv6.dst == ${dst} && udp.dstport == ${IPERF_PORT}`,
    "-T", "fields", "-e", "frame.time_epoch"]);
  if (r.code !== 0) throw new Error(`tshark -r ${file} (exit ${r.code}): ${r.err}`);
  return r.out.split("\n").filter((l) => l !== "").map((l) => Number(l) * 1000);
}

/** The capture time (Unix ms) of the last control answer (UDP from CTL_PORT) from `from` to
 *  `to` before `before`, or null: when the answer crossed the capture's device. */
export function answerTime(file: string, from: string, to: string, before: number): number | null {
  const r = tshark(["-r", file, "-Y", `ipv6.src == ${from} && ipv6.dst == ${to} && udp.srcport == ${CTL_PORT}`,
    "-T", "fields", "-e", "frame.time_epoch"]);
  if (r.code !== 0) throw new Error(`tshark -r ${file} (exit ${r.code}): ${r.err}`);
  return lastBefore(r.out.split("\n").filter((l) => l !== "").map((l) => Number(l) * 1000), before);
}

/** How many of `times` fall in [from, to). */
export const within = (times: number[], from: number, to: number) => times.filter((t) => t >= from && t < to).length;

/** The last of `times` before `to`, or null. */
export function lastBefore(times: number[], to: number): number | null {
  let last: number | null = null;
  for (const t of times) if (t < to && (last === null || t > last)) last = t;
  return last;
}
