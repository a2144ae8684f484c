// The router benchmark of `npm run bench` (issue #3): UDP from one network namespace to
// another, forwarded once by a PersiaOS node between two TAP devices and once by the
// Linux kernel between two veth pairs (ip6 forwarding on), with the same iperf3 traffic
// in the same run, so the ratio is honest on any machine. Needs root and iperf3; prints
// why and returns when they are missing. Figures only, no assertions.
import { spawn } from "child_process";
import { parseManifest } from "../../loader/manifest";
import { launch } from "../../hosts/node/launch";
import { ROOT } from "../../hosts/node/paths";
import { linkLocalFromMac, parseMac, formatAddr } from "../../loader/ip6";
import { sh, missing } from "../e2e/linux";

const SECONDS = 4;
const PAYLOAD = 64;

export interface Flow { packets: number; lost: number; seconds: number; pps: number }

function run(cmd: string): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn("sh", ["-c", cmd], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("close", () => resolve(out));
  });
}

/** iperf3 UDP, as fast as the sender can, from namespace a to dst in namespace b. */
async function flow(a: string, b: string, dst: string): Promise<Flow> {
  const server = run(`ip netns exec ${b} iperf3 -s -1 -B ${dst}`);
  await new Promise((r) => setTimeout(r, 500));
  const json = await run(`ip netns exec ${a} iperf3 -c ${dst} -u -b 0 -l ${PAYLOAD} -t ${SECONDS} -J`);
  await server;
  const r = JSON.parse(json);
  if (r.error) throw new Error(`iperf3: ${r.error}`);
  const s = r.end.sum;
  const received = s.packets - s.lost_packets;
  return { packets: s.packets, lost: s.lost_packets, seconds: s.seconds, pps: received / s.seconds };
}

async function persia(): Promise<Flow> {
  const macA = "02:00:00:00:0a:01", macB = "02:00:00:00:0b:01";
  const manifest = `
node: { name: bench-router.sabz.city, role: router }
nics:
  - { name: lana, kind: tap, tap: { device: pbta }, mac: "${macA}", prefixes: ["fd00:a::/64"] }
  - { name: lanb, kind: tap, tap: { device: pbtb }, mac: "${macB}", prefixes: ["fd00:b::/64"] }
services: []
`;
  const r = await launch(parseManifest(manifest, "bench-router.yaml", ROOT), { log: () => {} });
  try {
    for (const [ns, dev, addr, mac] of [["pba", "pbta", "fd00:a::2", macA], ["pbb", "pbtb", "fd00:b::2", macB]]) {
      sh(`ip netns add ${ns} && ip link set ${dev} netns ${ns}`);
      const x = `ip netns exec ${ns}`;
      sh(`${x} ip link set lo up && ${x} ip link set ${dev} up && ${x} ip -6 addr add ${addr}/64 dev ${dev} nodad`);
      sh(`${x} ip -6 route add default via ${formatAddr(linkLocalFromMac(parseMac(mac)))} dev ${dev}`);
    }
    return await flow("pba", "pbb", "fd00:b::2");
  } finally {
    r.node.stop();
  }
}

async function linux(): Promise<Flow> {
  sh("ip netns add lba && ip netns add lbr && ip netns add lbb");
  sh("ip link add lba0 netns lba type veth peer name lbr0 netns lbr");
  sh("ip link add lbb0 netns lbb type veth peer name lbr1 netns lbr");
  const [a, rr, b] = ["ip netns exec lba", "ip netns exec lbr", "ip netns exec lbb"];
  sh(`${rr} sysctl -q -w net.ipv6.conf.all.forwarding=1`);
  for (const [x, dev, addr] of [[a, "lba0", "fd00:a::2"], [rr, "lbr0", "fd00:a::1"], [rr, "lbr1", "fd00:b::1"], [b, "lbb0", "fd00:b::2"]]) {
    sh(`${x} ip link set lo up && ${x} ip link set ${dev} up && ${x} ip -6 addr add ${addr}/64 dev ${dev} nodad`);
  }
  sh(`${a} ip -6 route add default via fd00:a::1 && ${b} ip -6 route add default via fd00:b::1`);
  return flow("lba", "lbb", "fd00:b::2");
}

function cleanup(): void {
  for (const ns of ["pba", "pbb", "lba", "lbr", "lbb"]) sh(`ip netns del ${ns}`, { allowFail: true });
  for (const d of ["pbta", "pbtb"]) sh(`ip link del ${d}`, { allowFail: true });
}

export async function routerBench(out: (line: string) => void): Promise<void> {
  const why = missing(["ip", "iperf3"]);
  if (why) { out(`  router between TAP devices: not measured, ${why}`); return; }
  cleanup();
  try {
    const p = await persia();
    cleanup();
    const l = await linux();
    const fmt = (f: Flow) => `${(f.pps / 1000).toFixed(1).padStart(7)} k packets/s received ` +
      `(${f.packets} sent in ${f.seconds.toFixed(1)} s, ${(100 * f.lost / Math.max(1, f.packets)).toFixed(1)}% lost)`;
    out(`  iperf3 UDP, ${PAYLOAD}-byte payloads, one namespace to another through a router, ${SECONDS} s each:`);
    out(`    PersiaOS, TAP → TAP       ${fmt(p)}`);
    out(`    Linux kernel, veth → veth ${fmt(l)}`);
    out(`    PersiaOS / Linux: ${(p.pps / l.pps).toFixed(2)}`);
  } finally {
    cleanup();
  }
}
