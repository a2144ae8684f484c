// The router benchmark of `npm run bench` (issues #3, #17): UDP from one network namespace to
// another, forwarded once by a PersiaOS node between two TAP devices and once by the
// Linux kernel between two veth pairs (ip6 forwarding on), with the same iperf3 traffic
// in the same run, so the ratio is honest on any machine; and, in the pass with UDP not
// merged (udp_gro off), by the TAP relay (tests/bench/tap_relay.c: one read() and one write()
// a frame, nothing else), the yardstick of a TAP router on this machine. Each runs RUNS
// times, interleaved (PersiaOS, Linux, relay, PersiaOS, ...), so a machine that gets busier
// part-way shifts all of them; the figures are the median and the range. Needs root and
// iperf3; prints why and returns when they are missing (and measures no relay without
// build/bench/tap_relay, which `npm run build` makes where there is a C compiler). Figures
// only; the only assertion is that the relay forwarded.
//
// Every namespace and device name starts with a prefix (PERSIA_BENCH_PREFIX, else one made
// from this process's id), so two runs on one machine, or a run beside the tests, never
// take each other's names.
import { spawn } from "child_process";
import * as os from "os";
import { parseManifest } from "../../loader/manifest";
import { launch } from "../../hosts/node/launch";
import { ROOT } from "../../hosts/node/paths";
import { linkLocalFromMac, parseMac, formatAddr } from "../../loader/ip6";
import { sh, missing } from "../e2e/linux";
import { goal } from "./goals";
import { Relay, relayMissing, relaySide } from "./tap_relay";

const SECONDS = 4;
const PAYLOAD = 64;
const RUNS = 3;
/** The iperf3 server's socket buffer on both sides (iperf3 -w, which the client passes to the
 *  server): Linux's default (~208 KiB, ~200 frames of 64 bytes) overflows under a burst, and
 *  then the figure is the server's, not the router's. Linux caps it at net.core.rmem_max. */
const WINDOW = "2M";

export interface Flow {
  packets: number; lost: number; seconds: number; pps: number;
  /** Frames Linux dropped on the way (TAP or veth queue, tx_dropped of the sender's device). */
  queueDrops: number;
  /** Datagrams the destination's UDP stack dropped because the iperf3 server's socket buffer
   *  was full (Udp6RcvbufErrors of its namespace): loss after the router. */
  socketDrops: number;
  /** Datagrams per second the router delivered to the destination's UDP stack (Udp6InDatagrams
   *  + Udp6InErrors of its namespace, which counts the socket's overflows too): the router's
   *  own rate, whether or not the iperf3 server then kept up with them. Not the device's
   *  rx_packets: a TAP with offloads counts one per super-frame of up to 64 datagrams. */
  forwarded: number;
  /** iperf3 TCP (one stream, its defaults) through the same router right after: bit/s the
   *  receiver got. */
  tcpBits: number;
  /** The sender's congestion control in that run (iperf3's sender_tcp_congestion: the
   *  machine's default, which the namespaces inherit). */
  tcpCc: string;
  /** The same with cubic as the sender's namespace's default, when the machine's is another:
   *  null when it is cubic already, or the run measured no TCP (flow's withTcp). */
  tcpCubicBits: number | null;
  /** CPU time (user + system) this process spent per GB (10^9 bytes) of TCP received in the
   *  default-congestion-control run, in ms (PersiaOS side only: the node's cost of a byte,
   *  which the pacing of one stream does not set). */
  tcpCpuPerGB?: number;
  /** The TAP NICs' own counters (PersiaOS side only). */
  nic?: Record<string, number>;
  /** CPU time (user + system) this process — the PersiaOS node — spent per datagram it
   *  forwarded during the UDP flood, in µs (PersiaOS side only): less at the mercy of the
   *  scheduler on a shared machine than the rate, and it includes the system calls' time,
   *  where Linux delivers each frame to the destination. */
  cpuPerFrame?: number;
}

/** Names for one run: a prefix of at most 6 characters keeps every name within IFNAMSIZ. */
export function benchNames(prefix = process.env.PERSIA_BENCH_PREFIX ?? `r${(process.pid % 46656).toString(36)}`) {
  if (!/^[a-z][a-z0-9]{0,5}$/.test(prefix)) throw new Error(`bench prefix "${prefix}": 1 to 6 of a-z 0-9, a letter first`);
  return {
    pa: `${prefix}pa`, pb: `${prefix}pb`, ta: `${prefix}ta`, tb: `${prefix}tb`,
    la: `${prefix}la`, lr: `${prefix}lr`, lb: `${prefix}lb`,
    la0: `${prefix}la0`, lr0: `${prefix}lr0`, lr1: `${prefix}lr1`, lb0: `${prefix}lb0`,
  };
}
type Names = ReturnType<typeof benchNames>;

function run(cmd: string): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn("sh", ["-c", cmd], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("close", () => resolve(out));
  });
}

/** A counter of dev in namespace ns, e.g. tx_dropped (what its queue threw away). */
function stat(ns: string, dev: string, name: string): number {
  const s = sh(`ip netns exec ${ns} cat /sys/class/net/${dev}/statistics/${name}`, { allowFail: true });
  return Number(s.trim()) || 0;
}
const txDropped = (ns: string, dev: string): number => stat(ns, dev, "tx_dropped");

function snmp6(ns: string, name: string): number {
  const s = sh(`ip netns exec ${ns} cat /proc/net/snmp6`, { allowFail: true });
  return Number(new RegExp(`^${name}\\s+(\\d+)`, "m").exec(s)?.[1] ?? 0);
}
const rcvbufErrors = (ns: string): number => snmp6(ns, "Udp6RcvbufErrors");
/** UDP datagrams that reached namespace ns's UDP stack, delivered or not. */
const udpArrived = (ns: string): number => snmp6(ns, "Udp6InDatagrams") + snmp6(ns, "Udp6InErrors");

/** PERSIA_BENCH_PIN=1: the iperf3 client runs on CPU 0 and the server on CPU 1 on both sides
 *  (the forwarder gets what is left). Off by default: on a 2-core machine shared with other
 *  work, a pinned process cannot move off a busy core, and the figures spread more. */
const PIN = process.env.PERSIA_BENCH_PIN === "1" && os.cpus().length >= 2;
/** The TAPs' vnet header and offloads (hosts/node/nic/tap.ts); PERSIA_TAP_OFFLOAD=0 measures without. */
const TAP_OFFLOAD = process.env.PERSIA_TAP_OFFLOAD !== "0";
/** UDP merging on the TAPs (the manifest's `tap: { udp_gro: true }`, off by default in the
 *  node; hosts/node/nic/offload.ts says why): on here unless PERSIA_TAP_UDP_GRO=0 says not,
 *  since the destination is a UDP socket, which takes UDP super-frames — as Linux's
 *  rx-udp-gro-forwarding would be turned on for such a router. */
export const TAP_UDP_GRO = TAP_OFFLOAD && process.env.PERSIA_TAP_UDP_GRO !== "0";

/** iperf3 TCP, one stream, from namespace a to dst in namespace b, with congestion control
 *  cc as the sender's namespace's default (its net.ipv4.tcp_congestion_control, put back
 *  after), else the machine's: bit/s received, and the sender's algorithm. Not iperf3 -C:
 *  measured here, cubic chosen that way on a machine whose default is bbr forwarded 11–20
 *  Gbit/s between the veths, and 38–50 as the default (spec/performance.md). */
async function tcp(a: string, b: string, dst: string, cc?: string): Promise<{ bits: number; cc: string }> {
  const key = "net.ipv4.tcp_congestion_control";
  const was = cc ? sh(`ip netns exec ${a} sysctl -n ${key}`).trim() : "";
  if (cc) sh(`ip netns exec ${a} sysctl -qw ${key}=${cc}`);
  try {
    const server = run(`ip netns exec ${b} iperf3 -s -1 -B ${dst}`);
    await new Promise((r) => setTimeout(r, 500));
    const json = await run(`ip netns exec ${a} iperf3 -c ${dst} -t ${SECONDS} -J`);
    await server;
    const r = JSON.parse(json);
    if (r.error) throw new Error(`iperf3: ${r.error}`);
    return { bits: r.end.sum_received.bits_per_second, cc: String(r.end.sender_tcp_congestion ?? "unknown") };
  } finally {
    if (cc) sh(`ip netns exec ${a} sysctl -qw ${key}=${was}`);
  }
}

/** TCP with the machine's default congestion control, then with cubic where that is another
 *  (spec/performance.md "What the TCP ratio measures"): under BBR a single stream is paced at
 *  what BBR measures of the path, so the ratio to Linux's veths says little of either
 *  router's capacity; under cubic a veth router forwards several times as much. */
async function tcpBoth(a: string, b: string, dst: string): Promise<Pick<Flow, "tcpBits" | "tcpCc" | "tcpCubicBits" | "tcpCpuPerGB">> {
  const cpu0 = process.cpuUsage();
  const d = await tcp(a, b, dst);
  const cpu = process.cpuUsage(cpu0);
  const tcpCpuPerGB = (cpu.user + cpu.system) / 1000 / Math.max(1e-9, d.bits * SECONDS / 8 / 1e9);
  return { tcpBits: d.bits, tcpCc: d.cc, tcpCubicBits: d.cc === "cubic" ? null : (await tcp(a, b, dst, "cubic")).bits, tcpCpuPerGB };
}

/** iperf3 UDP, as fast as the sender can, from namespace a to dst in namespace b, then TCP
 *  unless withTcp is false (the paced run's TCP would be a fourth figure nothing reads). */
async function flow(a: string, b: string, dst: string, drops: () => number, out: () => number, bits = 0, withTcp = true): Promise<Flow> {
  const [cpuA, cpuB] = PIN ? ["taskset -c 0 ", "taskset -c 1 "] : ["", ""];
  const server = run(`ip netns exec ${b} ${cpuB}iperf3 -s -1 -B ${dst}`);
  await new Promise((r) => setTimeout(r, 500));
  const before = drops(), outBefore = out(), sockBefore = rcvbufErrors(b);
  const cpu0 = process.cpuUsage();
  const json = await run(`ip netns exec ${a} ${cpuA}iperf3 -c ${dst} -u -b ${bits} -l ${PAYLOAD} -w ${WINDOW} -t ${SECONDS} -J`);
  const cpu = process.cpuUsage(cpu0);
  await server;
  const r = JSON.parse(json);
  if (r.error) throw new Error(`iperf3: ${r.error}`);
  const s = r.end.sum;
  const received = s.packets - s.lost_packets;
  const udp = {
    packets: s.packets, lost: s.lost_packets, seconds: s.seconds, pps: received / s.seconds,
    queueDrops: drops() - before, socketDrops: rcvbufErrors(b) - sockBefore, forwarded: (out() - outBefore) / s.seconds,
  };
  const cpuPerFrame = (cpu.user + cpu.system) / Math.max(1, udp.forwarded * s.seconds);
  return { ...udp, cpuPerFrame, ...(withTcp ? await tcpBoth(a, b, dst) : { tcpBits: 0, tcpCc: "", tcpCubicBits: null }) };
}

/** PersiaOS between TAPs; bits: iperf3's -b (payload bit/s), 0 for as fast as it can. */
async function persia(n: Names, bits = 0, udpGro = TAP_UDP_GRO): Promise<Flow> {
  const macA = "02:00:00:00:0a:01", macB = "02:00:00:00:0b:01";
  const manifest = `
node: { name: bench-router.sabz.city, role: router }
nics:
  - { name: lana, kind: tap, tap: { device: ${n.ta}, udp_gro: ${udpGro} }, mac: "${macA}", prefixes: ["fd00:a::/64"] }
  - { name: lanb, kind: tap, tap: { device: ${n.tb}, udp_gro: ${udpGro} }, mac: "${macB}", prefixes: ["fd00:b::/64"] }
services: []
`;
  const r = await launch(parseManifest(manifest, "bench-router.yaml", ROOT), { log: () => {} });
  try {
    for (const [ns, dev, addr, mac] of [[n.pa, n.ta, "fd00:a::2", macA], [n.pb, n.tb, "fd00:b::2", macB]]) {
      sh(`ip netns add ${ns} && ip link set ${dev} netns ${ns}`);
      const x = `ip netns exec ${ns}`;
      sh(`${x} ip link set lo up && ${x} ip link set ${dev} up && ${x} ip -6 addr add ${addr}/64 dev ${dev} nodad`);
      sh(`${x} ip -6 route add default via ${formatAddr(linkLocalFromMac(parseMac(mac)))} dev ${dev}`);
    }
    // The sender's frames queue on ta's side facing the node: Linux counts what does not fit
    // as tx_dropped of ta (a TAP's transmit is what its reader receives).
    const f = await flow(n.pa, n.pb, "fd00:b::2", () => txDropped(n.pa, n.ta), () => udpArrived(n.pb), bits, bits === 0);
    const nic: Record<string, number> = {};
    for (const b of r.node.status().host?.nics ?? []) {
      for (const [k, v] of Object.entries(b.counters)) nic[`${b.id}.${k}`] = v;
    }
    return { ...f, nic };
  } finally {
    r.node.stop();
  }
}

/** The TAP relay between the same two TAPs and namespaces as persia()'s: the yardstick. Each
 *  side's gateway is the link-local address of the MAC the relay writes from. Throws if the
 *  relay did not start, failed, or forwarded nothing of the flood. */
async function relay(n: Names): Promise<Flow & { relayLine: string }> {
  const macA = "02:00:00:00:0a:01", macB = "02:00:00:00:0b:01", peerA = "02:00:00:00:0a:02", peerB = "02:00:00:00:0b:02";
  const r = await Relay.start(n.ta, n.tb, [macA, macB, peerA, peerB]);
  let f: Flow;
  try {
    relaySide(n.pa, n.ta, "fd00:a::2", peerA, formatAddr(linkLocalFromMac(parseMac(macA))), macA);
    relaySide(n.pb, n.tb, "fd00:b::2", peerB, formatAddr(linkLocalFromMac(parseMac(macB))), macB);
    f = await flow(n.pa, n.pb, "fd00:b::2", () => txDropped(n.pa, n.ta), () => udpArrived(n.pb));
  } catch (e) {
    r.kill();                                   // the flow's error is the one to report
    throw e;
  }
  const { code, err } = await r.stop();
  const line = /relayed .*/.exec(err)?.[0];
  if (code !== 0 || !line) throw new Error(`the TAP relay failed (exit ${code}): ${err.trim() || "no count printed"}`);
  if (f.forwarded <= 0 || f.tcpBits <= 0) throw new Error(`the TAP relay forwarded nothing of the flood: ${line}`);
  return { ...f, relayLine: line };
}

async function linux(n: Names): Promise<Flow> {
  sh(`ip netns add ${n.la} && ip netns add ${n.lr} && ip netns add ${n.lb}`);
  sh(`ip link add ${n.la0} netns ${n.la} type veth peer name ${n.lr0} netns ${n.lr}`);
  sh(`ip link add ${n.lb0} netns ${n.lb} type veth peer name ${n.lr1} netns ${n.lr}`);
  const [a, rr, b] = [`ip netns exec ${n.la}`, `ip netns exec ${n.lr}`, `ip netns exec ${n.lb}`];
  sh(`${rr} sysctl -q -w net.ipv6.conf.all.forwarding=1`);
  for (const [x, dev, addr] of [[a, n.la0, "fd00:a::2"], [rr, n.lr0, "fd00:a::1"], [rr, n.lr1, "fd00:b::1"], [b, n.lb0, "fd00:b::2"]]) {
    sh(`${x} ip link set lo up && ${x} ip link set ${dev} up && ${x} ip -6 addr add ${addr}/64 dev ${dev} nodad`);
  }
  sh(`${a} ip -6 route add default via fd00:a::1 && ${b} ip -6 route add default via fd00:b::1`);
  const f = await flow(n.la, n.lb, "fd00:b::2", () => txDropped(n.lr, n.lr1) + txDropped(n.la, n.la0),
    () => udpArrived(n.lb));
  return { ...f, cpuPerFrame: undefined };   // Linux forwards in its own softirqs, not this process
}

function cleanup(n: Names): void {
  for (const ns of [n.pa, n.pb, n.la, n.lr, n.lb]) sh(`ip netns del ${ns}`, { allowFail: true });
  for (const d of [n.ta, n.tb]) sh(`ip link del ${d}`, { allowFail: true });
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1];

/** opts.udpGro: the TAPs' udp_gro (default: TAP_UDP_GRO, what the environment says). */
export async function routerBench(out: (line: string) => void, opts: { runs?: number; prefix?: string; udpGro?: boolean } = {}): Promise<void> {
  const udpGro = TAP_OFFLOAD && (opts.udpGro ?? TAP_UDP_GRO);
  const why = missing(["ip", "iperf3"]);
  if (why) { out(`  router between TAP devices: not measured, ${why}`); return; }
  const n = benchNames(opts.prefix);
  const runs = Math.max(1, Math.floor(opts.runs ?? RUNS) || 1);
  cleanup(n);
  const ps: Flow[] = [], ls: Flow[] = [], rs: (Flow & { relayLine: string })[] = [];
  // The relay is a yardstick for one read() and one write() a frame with the TAPs' offloads:
  // for the node's default path (UDP not merged) and TCP, not for udp_gro, whose merged
  // writes a relay of single frames does not bound, nor for the TAPs without offloads. So
  // it runs in the pass with udp_gro off (npm run bench's second), and only there.
  const noBound = !TAP_OFFLOAD ? "not measured with the TAPs' offloads off (PERSIA_TAP_OFFLOAD=0)"
    : udpGro ? "measured in the pass with udp_gro off (PERSIA_TAP_UDP_GRO=0), not beside merged UDP"
    : relayMissing() === null ? null : `not measured: ${relayMissing()}`;
  const bound = noBound === null;
  let paced: Flow;
  try {
    for (let i = 0; i < runs; i++) {
      ps.push(await persia(n, 0, udpGro));
      cleanup(n);
      ls.push(await linux(n));
      cleanup(n);
      if (bound) { rs.push(await relay(n)); cleanup(n); }
    }
    // With -b 0 the PersiaOS side's sender is not slowed by its router (on Linux's side the
    // sender's own system call forwards each frame), so it floods the TAP's queue. Offered
    // Linux's median rate instead, what does the node lose?
    paced = await persia(n, Math.round(median(ls.map((f) => f.pps)) * PAYLOAD * 8), udpGro);
  } finally {
    cleanup(n);
  }
  const k = (x: number) => (x / 1000).toFixed(1);
  const loss = (f: Flow) => (100 * f.lost / Math.max(1, f.packets)).toFixed(1);
  const line = (f: Flow) => `${k(f.forwarded).padStart(7)} k/s forwarded, ${k(f.pps).padStart(7)} k/s received, ${k(f.packets / f.seconds).padStart(7)} k/s sent, ` +
    `${loss(f).padStart(4)}% lost: ${String(f.queueDrops).padStart(7)} in the router's input queue, ${String(f.socketDrops).padStart(7)} at the server's socket`;
  const cpus = os.cpus();
  out(`  iperf3 UDP, ${PAYLOAD}-byte payloads, -b 0, -w ${WINDOW}, one namespace to another through a router, ${SECONDS} s, ${runs} runs each ` +
    `(interleaved), on ${cpus.length} × ${cpus[0]?.model.trim() ?? "?"} (load ${os.loadavg()[0].toFixed(1)}); ` +
    (PIN ? `iperf3 client pinned to CPU 0, server to CPU 1, the router unpinned` : `nothing pinned`) +
    `; TAP offloads ${TAP_OFFLOAD ? `on, UDP merging ${udpGro ? "on" : "off (udp_gro: false, the node's default)"}, ` +
      `writes ${process.env.PERSIA_TAP_URING === "0" ? "one write() each (PERSIA_TAP_URING=0)" : "through io_uring"}` : "off (PERSIA_TAP_OFFLOAD=0)"}:`);
  for (let i = 0; i < runs; i++) {
    out(`    PersiaOS, TAP → TAP       ${line(ps[i])}`);
    out(`    Linux kernel, veth → veth ${line(ls[i])}`);
    if (bound) out(`    TAP relay (yardstick)     ${line(rs[i])} (${rs[i].relayLine})`);
  }
  const range = (xs: number[], digits: number) => `${median(xs).toFixed(digits)} (runs ${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
  const against = (get: (f: Flow) => number, digits: number) => ({
    node: range(ps.map((f, i) => get(f) / get(ls[i])), digits),
    relay: bound ? range(rs.map((f, i) => get(f) / get(ls[i])), digits) : "",
  });
  /** What the goal line says of the yardstick: the relay's ratio to Linux, or why there is none. */
  const boundNote = (r: string) => bound ? `; a relay that only reads and writes each frame: ${r}` : `; the TAP relay ${noBound}`;
  if (!bound) out(`    the TAP relay (tests/bench/tap_relay.c): ${noBound}`);
  for (const [what, get] of [["received by iperf3", (f: Flow) => f.pps], ["forwarded", (f: Flow) => f.forwarded]] as const) {
    const pp = ps.map(get), lp = ls.map(get);
    const ratios = ps.map((f, i) => get(f) / get(ls[i]));
    const r = against(get, 2);
    if (what === "forwarded") {
      goal(udpGro ? "tap-udp" : "tap-udp-default", `forwarded ${r.node}${TAP_OFFLOAD ? "" : "; offloads off"}${udpGro ? "" : boundNote(r.relay)}`, median(ratios) >= 1);
    }
    out(`    ${what}: PersiaOS ${k(median(pp))} k/s (${k(Math.min(...pp))}–${k(Math.max(...pp))}), ` +
      `Linux ${k(median(lp))} k/s (${k(Math.min(...lp))}–${k(Math.max(...lp))}); PersiaOS / Linux ${r.node}` +
      (bound ? `; relay ${k(median(rs.map(get)))} k/s, relay / Linux ${r.relay}` : ""));
  }
  const cpf = ps.map((f) => f.cpuPerFrame ?? 0);
  out(`    PersiaOS node CPU (user + system, this process) per forwarded datagram: ${median(cpf).toFixed(2)} µs ` +
    `(${Math.min(...cpf).toFixed(2)}–${Math.max(...cpf).toFixed(2)})`);
  out(`    PersiaOS offered Linux's median rate (-b ${(paced.packets / paced.seconds / 1000).toFixed(1)} k/s): ` +
    `${k(paced.forwarded)} k/s forwarded, ${loss(paced)}% lost (${paced.queueDrops} in the TAP's queue)`);
  const g = (x: number) => (x / 1e9).toFixed(2);
  const pt = ps.map((f) => f.tcpBits), lt = ls.map((f) => f.tcpBits), rt = rs.map((f) => f.tcpBits);
  const tr = ps.map((f, i) => f.tcpBits / ls[i].tcpBits);
  const t = against((f) => f.tcpBits, 3);
  const ccs = [...new Set([...ps, ...ls, ...rs].map((f) => f.tcpCc))].join(", ");
  // The same three routers with cubic, where the machine's default is another: what each
  // forwards when the sender is not paced at what its congestion control measured.
  const cubic = ps.every((f) => f.tcpCubicBits !== null) && ls.every((f) => f.tcpCubicBits !== null);
  const cb = (f: Flow) => f.tcpCubicBits ?? 0;
  const tc = cubic ? against(cb, 3) : null;
  const cubicMet = !cubic || median(ps.map((f, i) => cb(f) / cb(ls[i]))) >= 1;
  goal("tap-tcp", `${median(tr).toFixed(3)} (${g(median(pt))} against ${g(median(lt))} Gbit/s, ${ccs}${boundNote(t.relay)})` +
    (tc !== null ? `; with cubic ${tc.node}` : ""), median(tr) >= 1 && cubicMet);
  out(`  iperf3 TCP, one stream, ${SECONDS} s, congestion control ${ccs} (the machine's default), same routers: ` +
    `PersiaOS ${g(median(pt))} Gbit/s (${g(Math.min(...pt))}–${g(Math.max(...pt))}), ` +
    `Linux ${g(median(lt))} Gbit/s (${g(Math.min(...lt))}–${g(Math.max(...lt))}); PersiaOS / Linux ${t.node} ` +
    (TAP_OFFLOAD ? `(TAP offloads on: 64 KiB super-frames cross the TAPs and the kernel forwards them whole, k_rx_gso and nic_send_gso)`
      : `(PERSIA_TAP_OFFLOAD=0: 1500-byte frames, one system call each; Linux's veths pass 64 KiB GSO frames)`) +
    (bound ? `; relay ${g(median(rt))} Gbit/s (super-frames passed on whole), relay / Linux ${t.relay}` : ""));
  const cpg = ps.map((f) => f.tcpCpuPerGB ?? 0);
  out(`    PersiaOS node CPU (user + system, this process) per GB of TCP received, ${ccs}: ${median(cpg).toFixed(0)} ms ` +
    `(${Math.min(...cpg).toFixed(0)}–${Math.max(...cpg).toFixed(0)})`);
  if (tc !== null) {
    const [pc, lc, rc] = [ps.map(cb), ls.map(cb), rs.map(cb)];
    out(`  the same with cubic (the sender's namespace's default): PersiaOS ${g(median(pc))} Gbit/s (${g(Math.min(...pc))}–${g(Math.max(...pc))}), ` +
      `Linux ${g(median(lc))} Gbit/s (${g(Math.min(...lc))}–${g(Math.max(...lc))}); PersiaOS / Linux ${tc.node}` +
      (bound ? `; relay ${g(median(rc))} Gbit/s, relay / Linux ${tc.relay}` : ""));
  }
  const c = ps[ps.length - 1].nic ?? {};
  if (Object.keys(c).length > 0) {
    out(`    TAP NIC counters, last PersiaOS run (UDP, then TCP): ${Object.entries(c).filter(([, v]) => v !== 0).map(([kk, v]) => `${kk}=${v}`).join(" ")}`);
  }
}
