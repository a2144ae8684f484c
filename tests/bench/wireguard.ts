// The sealed-link benchmark of `npm run bench` (issue #13): iperf3 UDP and ping RTT through
// a WireGuard tunnel between two network namespaces. The baseline is wireguard-go ↔
// wireguard-go over a veth underlay, measured in the same run as any figure set against
// it, so a ratio means the same on any machine. Next to it, measured by the same
// measureTunnel(): wireguard-go to a PersiaOS node (`persia run`, router role, Node host)
// over WireGuard, which forwards out of a TAP NIC to the namespace running `iperf3 -s`
// (tests/e2e/wg_node.ts). Both paths have one wireguard-go sealing and one receiver
// opening; the node's path adds its forwarding and a TAP device. Needs root, ip,
// wireguard-go, wg, iperf3 and ping; says why and returns when they are missing. Figures
// only, no assertions.
//   baseline  ns pwg<T>a: wgt<T>a fd00:9b:T::1 ── underlay fd00:9a:T::1 ── veth ── fd00:9a:T::2 ── ns pwg<T>b: wgt<T>b fd00:9b:T::2
//   PersiaOS  ns pwg<T>: wgt<T> ── veth ── node (root ns) ── TAP ── ns pwg<T>l: iperf3 -s on its SLAAC address
import { spawn } from "child_process";
import { sh, missing } from "../e2e/linux";
import { WG_TOOLS, wgTag, netns, underlay, startWireguardGo, tunnelAddr, WgDevice } from "../e2e/wireguard";
import { wgNode, answers } from "../e2e/wg_node";

export const SECONDS = 3;
export const PAYLOAD = 1300;     // bytes of UDP payload: 1,348-byte packets fit a 1,420-byte WireGuard MTU
export const PINGS = 20;
const PORT = 51820;

export interface TunnelFigures {
  /** iperf3 -u -b 0: what the receiver got, and what the sender sent. */
  mbitReceived: number; packets: number; lost: number; seconds: number;
  /** ping RTT, ms. */
  rtt: { min: number; avg: number; max: number; mdev: number; received: number };
}

function run(cmd: string): { done: Promise<string>; out: () => string } {
  let out = "";
  const p = spawn("sh", ["-c", cmd], { stdio: ["ignore", "pipe", "pipe"] });
  p.stdout.on("data", (d) => (out += d));
  p.stderr.on("data", (d) => (out += d));
  return { done: new Promise((resolve) => p.on("close", () => resolve(out))), out: () => out };
}

/** iperf3 UDP from namespace a to dst (in namespace b, through the tunnel), then pings. */
export async function measureTunnel(a: string, b: string, dst: string): Promise<TunnelFigures> {
  const server = run(`ip netns exec ${b} iperf3 -s -1 -B ${dst} --forceflush`);
  const t0 = Date.now();
  while (!/Server listening/.test(server.out())) {
    if (Date.now() - t0 > 10000) throw new Error(`iperf3 -s did not start in ${b}: ${server.out()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const json = await run(`ip netns exec ${a} iperf3 -c ${dst} -u -b 0 -l ${PAYLOAD} -t ${SECONDS} -J`).done;
  await server.done;
  const r = JSON.parse(json);
  if (r.error) throw new Error(`iperf3: ${r.error}`);
  const s = r.end.sum;
  const received = (s.packets - s.lost_packets) * PAYLOAD * 8;
  const ping = await run(`ip netns exec ${a} ping -6 -q -c ${PINGS} -i 0.05 -W 2 ${dst}`).done;
  const m = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(ping);
  const got = /(\d+) received/.exec(ping);
  if (!m || !got) throw new Error(`ping through the tunnel: ${ping}`);
  return { mbitReceived: received / s.seconds / 1e6, packets: s.packets, lost: s.lost_packets, seconds: s.seconds,
    rtt: { min: +m[1], avg: +m[2], max: +m[3], mdev: +m[4], received: Number(got[1]) } };
}

/** Builds the two namespaces, runs `body` with them, and removes everything after. */
export async function withWireguardGoPair<T>(tag: number, body: (a: string, b: string, dst: string) => Promise<T>): Promise<T> {
  const hex = tag.toString(16);
  const na = netns(`pwg${hex}a`), nb = netns(`pwg${hex}b`);
  const ul = underlay(tag, na, nb);
  const devs: WgDevice[] = [];
  try {
    const wa = await startWireguardGo(na, `wgt${hex}a`, { listenPort: PORT });
    devs.push(wa);
    const wb = await startWireguardGo(nb, `wgt${hex}b`, { listenPort: PORT });
    devs.push(wb);
    const ta = tunnelAddr(tag, 1), tb = tunnelAddr(tag, 2);
    wa.set([{ publicKey: wb.keys.public, endpoint: `[${ul.addrB}]:${PORT}`, allowedIps: [`${tb}/128`] }]);
    wb.set([{ publicKey: wa.keys.public, endpoint: `[${ul.addrA}]:${PORT}`, allowedIps: [`${ta}/128`] }]);
    wa.up([`${ta}/64`]);
    wb.up([`${tb}/64`]);
    // The first packets start the handshake (and may be lost while wireguard-go settles).
    const warm = await run(`ip netns exec ${na} ping -6 -c 1 -w 10 ${tb}`).done;
    if (!/\b[1-9]\d* received/.test(warm)) throw new Error(`no ping through the tunnel: ${warm}\n${wa.log()}\n${wb.log()}`);
    return await body(na, nb, tb);
  } finally {
    for (const d of devs) await d.stop();
    for (const n of [na, nb]) sh(`ip netns del ${n}`, { allowFail: true });
  }
}

const TOOLS = [...WG_TOOLS, "iperf3", "ping"];

/** The baseline: wireguard-go ↔ wireguard-go, or why it was not measured. */
export async function wireguardGoBaseline(): Promise<TunnelFigures | string> {
  const why = missing(TOOLS);
  if (why) return why;
  return withWireguardGoPair(wgTag(5), measureTunnel);
}

/** wireguard-go → PersiaOS router → TAP → iperf3 -s, or why it was not measured. */
export async function persiaRouted(): Promise<TunnelFigures | string> {
  const why = missing(TOOLS);
  if (why) return why;
  const n = await wgNode(wgTag(6), { lan: true });
  try {
    const lan = n.lan!;
    await answers(n.ns, lan.host, n.logs);
    return await measureTunnel(n.ns, lan.ns, lan.host);
  } finally {
    await n.close();
  }
}

export function formatTunnel(f: TunnelFigures): string {
  return `${f.mbitReceived.toFixed(0).padStart(6)} Mbit/s received (${f.packets} sent in ${f.seconds.toFixed(1)} s, ` +
    `${(100 * f.lost / Math.max(1, f.packets)).toFixed(1)}% lost); ping RTT min/avg/max/mdev ` +
    `${f.rtt.min.toFixed(3)}/${f.rtt.avg.toFixed(3)}/${f.rtt.max.toFixed(3)}/${f.rtt.mdev.toFixed(3)} ms (${f.rtt.received}/${PINGS})`;
}

export async function wireguardBench(out: (line: string) => void): Promise<void> {
  const base = await wireguardGoBaseline();
  if (typeof base === "string") { out(`  WireGuard tunnel: not measured, ${base}`); return; }
  out(`  WireGuard tunnel from a namespace, iperf3 UDP ${PAYLOAD}-byte payloads for ${SECONDS} s, ${PINGS} pings:`);
  out(`    wireguard-go ↔ wireguard-go (baseline)        ${formatTunnel(base)}`);
  const node = await persiaRouted();
  if (typeof node === "string") { out(`    wireguard-go → PersiaOS router → TAP: not measured, ${node}`); return; }
  out(`    wireguard-go → PersiaOS router (Node host) → TAP ${formatTunnel(node)}`);
  out(`    ratio PersiaOS / baseline: throughput ${(node.mbitReceived / base.mbitReceived).toFixed(3)}, ` +
    `ping RTT avg ${(node.rtt.avg / base.rtt.avg).toFixed(2)}`);
}

if (require.main === module) {
  wireguardBench((l) => console.log(l)).catch((e) => { console.error(e instanceof Error ? e.stack : e); process.exit(1); });
}
