// The TAP offloads end to end (hosts/node/nic/tap.ts, offload.ts): a PersiaOS router between
// two TAP devices opened with IFF_VNET_HDR, each TAP in its own network namespace. 32 MiB of
// TCP go from one namespace to the other and arrive whole (the receiver's SHA-256 equals the
// sender's), and 4 MiB more with a destination options header on every packet, while Linux hands the node 64 KiB super-frames (split by the node: rx_gso) and
// the node hands Linux merged super-frames (tx_gso); the plain TCP's super-frames go through
// the kernel whole (k_rx_gso, nic_send_gso: rx_gso_whole, tx_gso_whole; after the first, read
// straight into Buf.GSO: rx_gso_in_place), the one with
// options is split and merged by the host; then 3,000 UDP datagrams of mixed
// sizes, paced, arrive all, each intact (count and digest of the set), with UDP merging on
// (the manifest's `udp_gro: true`). The TAP counters say
// no read was refused and no write lost, and the node's drop counters that no frame was lost
// in its egress queues (TXQ_FULL) or pool. Needs root, /dev/net/tun, iproute2 and python3;
// skips without them, but fails under CI=true.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import { parseManifest } from "../../loader/manifest";
import { launch } from "../../hosts/node/launch";
import { ROOT } from "../../hosts/node/paths";
import { formatAddr, linkLocalFromMac, parseMac } from "../../loader/ip6";
import { sh, shAsync, missing, skipOrFail, PYTHON } from "../e2e/linux";

function why(): string | null {
  if (process.platform !== "linux") return "TAP devices exist only on Linux";
  if (process.getuid?.() !== 0) return "needs root (TAP devices and namespaces take CAP_NET_ADMIN)";
  if (!fs.existsSync("/dev/net/tun")) return "/dev/net/tun is missing (modprobe tun)";
  return missing(["ip", PYTHON]);
}
const skip = skipOrFail(why());

const P = `q8${process.pid % 1000}`;
const NS_A = `${P}na`, NS_B = `${P}nb`, TAP_A = `${P}ta`, TAP_B = `${P}tb`;

function cleanup(): void {
  for (const ns of [NS_A, NS_B]) sh(`ip netns del ${ns}`, { allowFail: true });
  for (const d of [TAP_A, TAP_B]) sh(`ip link del ${d}`, { allowFail: true });
}

/** Each TAP into its namespace, with the host's address there and a default route through
 *  the node's link-local address on it (its MAC on that side: macA, macB). */
function intoNamespaces(macA: string, macB: string): void {
  for (const [ns, dev, addr, mac] of [[NS_A, TAP_A, "fd00:a::2", macA], [NS_B, TAP_B, "fd00:b::2", macB]]) {
    sh(`ip netns add ${ns} && ip link set ${dev} netns ${ns}`);
    const x = `ip netns exec ${ns}`;
    sh(`${x} ip link set lo up && ${x} ip link set ${dev} up && ${x} ip -6 addr add ${addr}/64 dev ${dev} nodad`);
    sh(`${x} ip -6 route add default via ${formatAddr(linkLocalFromMac(parseMac(mac)))} dev ${dev}`);
  }
}

const TCP_SERVER = `
import socket, hashlib
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("fd00:b::2", 5001)); s.listen(1); s.settimeout(30)
c, _ = s.accept(); c.settimeout(30)
h = hashlib.sha256(); n = 0
while True:
    d = c.recv(1 << 20)
    if not d: break
    h.update(d); n += len(d)
print(n, h.hexdigest())
`;
const TCP_CLIENT = `
import socket, hashlib, random, time
r = random.Random(17); data = r.randbytes(32 << 20)
for i in range(100):
    try:
        c = socket.create_connection(("fd00:b::2", 5001)); break
    except OSError: time.sleep(0.1)
c.sendall(data); c.close()
print(len(data), hashlib.sha256(data).hexdigest())
`;
/** The same with a destination options header (PadN) on every packet: Linux still sends it
 *  as GSO, the extension header between IPv6 and TCP. 4 MiB. */
const TCP_CLIENT_DSTOPTS = TCP_CLIENT.replace("32 << 20", "4 << 20").replace("c.sendall(data)",
  "c.setsockopt(socket.IPPROTO_IPV6, 59, bytes([0, 0, 1, 4, 0, 0, 0, 0])); c.sendall(data)");
const UDP_SERVER = `
import socket, hashlib
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(("fd00:b::2", 5002)); s.settimeout(3)
got = []
try:
    while True: got.append(s.recv(2048))
except socket.timeout: pass
print(len(got), hashlib.sha256(b"".join(sorted(got))).hexdigest())
`;
const UDP_CLIENT = `
import socket, hashlib, random, time
r = random.Random(5); s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
sent = []
time.sleep(0.5)
for i in range(3000):
    d = i.to_bytes(4, "big") + r.randbytes(60 if i % 50 else r.randrange(0, 1200))
    s.sendto(d, ("fd00:b::2", 5002)); sent.append(d)
    if i % 100 == 99: time.sleep(0.01)
print(len(sent), hashlib.sha256(b"".join(sorted(sent))).hexdigest())
`;

test("TCP and UDP cross a router between two TAPs with offloads on, whole and in full", { skip, timeout: 120000 }, async () => {
  cleanup();
  const macA = "02:00:00:00:0a:01", macB = "02:00:00:00:0b:01";
  const manifest = `
node: { name: offload-router.sabz.city, role: router }
nics:
  - { name: lana, kind: tap, tap: { device: ${TAP_A}, udp_gro: true }, mac: "${macA}", prefixes: ["fd00:a::/64"] }
  - { name: lanb, kind: tap, tap: { device: ${TAP_B}, udp_gro: true }, mac: "${macB}", prefixes: ["fd00:b::/64"] }
services: []
`;
  const saved = process.env.PERSIA_TAP_OFFLOAD;
  delete process.env.PERSIA_TAP_OFFLOAD;
  const r = await launch(parseManifest(manifest, "offload-router.yaml", ROOT), { log: () => {} });   // udp_gro: the destination is a UDP socket
  if (saved !== undefined) process.env.PERSIA_TAP_OFFLOAD = saved;
  try {
    intoNamespaces(macA, macB);
    const py = (ns: string, code: string) => shAsync(`ip netns exec ${ns} ${PYTHON} -c '${code}'`);
    const [tcpGot, tcpSent] = await Promise.all([py(NS_B, TCP_SERVER), py(NS_A, TCP_CLIENT)]);
    assert.equal(tcpGot.code, 0, tcpGot.out);
    assert.equal(tcpSent.code, 0, tcpSent.out);
    assert.match(tcpSent.out, /^33554432 [0-9a-f]{64}/);
    assert.equal(tcpGot.out.trim(), tcpSent.out.trim(), "the receiver got the sender's 32 MiB, byte for byte");

    const [extGot, extSent] = await Promise.all([py(NS_B, TCP_SERVER), py(NS_A, TCP_CLIENT_DSTOPTS)]);
    assert.equal(extSent.code, 0, extSent.out);
    assert.match(extSent.out, /^4194304 [0-9a-f]{64}/);
    assert.equal(extGot.out.trim(), extSent.out.trim(), "TCP with a destination options header arrived whole");

    const [udpGot, udpSent] = await Promise.all([py(NS_B, UDP_SERVER), py(NS_A, UDP_CLIENT)]);
    assert.equal(udpSent.code, 0, udpSent.out);
    assert.equal(udpGot.out.trim(), udpSent.out.trim(), "every datagram arrived, intact");

    // No frame was lost inside the node either: a turn that fed the kernel more frames than
    // its egress queues hold (RX_BATCH counted in reads of 45 segments) dropped TCP as TXQ_FULL,
    // which TCP's retransmissions hide from the digest above.
    const drops = r.node.status().drops;
    for (const k of ["TXQ_FULL", "POOL_EMPTY", "NIC_DOWN", "TOO_BIG", "FRAME_OVERSIZE", "IP_LENGTH"]) {
      assert.equal(Number(drops[k] ?? 0), 0, `${k}: ${JSON.stringify(drops)}`);
    }
    const nics = r.node.status().host!.nics;
    const a = nics.find((n) => n.id === 0)!.counters, b = nics.find((n) => n.id === 1)!.counters;
    assert.ok(a.rx_gso > 0, `Linux handed the node TCP super-frames (rx_gso ${a.rx_gso})`);
    assert.ok(a.rx_gso_whole > 0 && b.tx_gso_whole > 0,
      `the kernel took TCP super-frames whole and sent them whole (rx_gso_whole ${a.rx_gso_whole}, tx_gso_whole ${b.tx_gso_whole})`);
    assert.ok(a.rx_gso_in_place > 0 && a.rx_gso_in_place < a.rx_gso_whole,
      `after the first, super-frames were read straight into Buf.GSO (rx_gso_in_place ${a.rx_gso_in_place} of ${a.rx_gso_whole})`);
    assert.ok(b.tx_gso > 0 && b.tx_merged > 0, `the node handed Linux merged super-frames (tx_gso ${b.tx_gso})`);
    for (const c of [a, b]) {
      assert.equal(c.rx_gso_bad + c.rx_vnet_bad_csum + c.rx_vnet_short, 0, JSON.stringify(c));
      assert.equal(c.tx_lost, 0, JSON.stringify(c));
    }
  } finally {
    r.node.stop();
    cleanup();
  }
});

/** Sends super-frames of its own making out of TAP_A, through a packet socket with a vnet
 *  header (PACKET_VNET_HDR): what a root user behind a TAP can hand the node. argv: the device,
 *  the node's MAC. Each line of stdout: which frame, and "sent" or why Linux refused it. */
const CRAFTER = `
import socket, struct, sys
dev, node_mac = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", ""))
own_mac = bytes.fromhex(open("/sys/class/net/%s/address" % dev).read().strip().replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.setsockopt(263, 15, 1)                              # SOL_PACKET, PACKET_VNET_HDR
s.bind((dev, 0))
src, dst = socket.inet_pton(socket.AF_INET6, "fd00:a::2"), socket.inet_pton(socket.AF_INET6, "fd00:b::2")
def frame(gso, n, plen_delta=0, thl=20):
    tcp = struct.pack("!HHIIBBHHH", 40000, 5009, 1, 1, (thl // 4) << 4, 0x10, 512, 0, 0) + bytes(thl - 20)
    ip = struct.pack("!IHBB", 0x60000000, thl + n + plen_delta, 6, 64) + src + dst
    vnet = struct.pack("<BBHHHH", 1, 4, 14 + 40 + thl, gso, 54, 16)
    return vnet + node_mac + own_mac + b"\\x86\\xdd" + ip + tcp + bytes((i * 7) & 255 for i in range(n))
for name, f in [("whole", frame(1000, 5000)), ("gso_size 1", frame(1, 2000)), ("over the MTU", frame(1461, 3000)),
                ("length short", frame(1000, 3000, -1)), ("length long", frame(1000, 3000, 7)), ("header 60", frame(1000, 3000, 0, 60))]:
    try:
        s.send(f); print(name, "sent")
    except OSError as e:
        print(name, "refused:", e.strerror)
`;

test("super-frames crafted behind a TAP (a packet socket with a vnet header) are forwarded whole, split or refused, and the node goes on", { skip, timeout: 60000 }, async (t) => {
  cleanup();
  const macA = "02:00:00:00:0a:01", macB = "02:00:00:00:0b:01";
  const manifest = `
node: { name: crafted-gso.sabz.city, role: router }
nics:
  - { name: lana, kind: tap, tap: { device: ${TAP_A} }, mac: "${macA}", prefixes: ["fd00:a::/64"] }
  - { name: lanb, kind: tap, tap: { device: ${TAP_B} }, mac: "${macB}", prefixes: ["fd00:b::/64"] }
services: []
`;
  const saved = process.env.PERSIA_TAP_OFFLOAD;
  delete process.env.PERSIA_TAP_OFFLOAD;
  const r = await launch(parseManifest(manifest, "crafted-gso.yaml", ROOT), { log: () => {} });
  if (saved !== undefined) process.env.PERSIA_TAP_OFFLOAD = saved;
  try {
    intoNamespaces(macA, macB);
    // B's neighbour entry first, so a super-frame to it need not wait for resolution (async:
    // the node runs on this event loop).
    const ping = async (what: string) => {
      const p = await shAsync(`ip netns exec ${NS_A} ping -6 -c 2 -i 0.2 -w 10 fd00:b::2`);
      assert.equal(p.code, 0, `${what}: ${p.out}`);
    };
    await ping("before");
    const host = () => r.node.status().host!.nics.find((n) => n.id === 0)!.counters;
    const out = () => r.node.status().host!.nics.find((n) => n.id === 1)!.counters;
    const before = { ...host() }, beforeOut = { ...out() };
    const crafted = await shAsync(`ip netns exec ${NS_A} ${PYTHON} -c '${CRAFTER}' ${TAP_A} ${macA}`);
    assert.equal(crafted.code, 0, crafted.out);
    assert.match(crafted.out, /^whole sent$/m, crafted.out);
    await new Promise((res) => setTimeout(res, 500));
    const a = host(), b = out();
    const moved = (x: Record<string, number>, y: Record<string, number>) =>
      Object.keys(x).filter((k) => x[k] !== y[k]).map((k) => `${k} +${x[k] - y[k]}`).join(", ");
    t.diagnostic(`crafted: ${crafted.out.trim().split("\n").join("; ")}; NIC 0: ${moved(a, before)}; NIC 1: ${moved(b, beforeOut)}`);
    assert.ok(a.rx_gso_whole - before.rx_gso_whole >= 1, `the well-formed one went to the kernel whole: ${crafted.out}\n${JSON.stringify(a)}`);
    assert.ok(b.tx_gso_whole - beforeOut.tx_gso_whole >= 1, `and left towards B whole: ${JSON.stringify(b)}`);
    // Whatever Linux let through of the rest was split or refused by the host, never handed to
    // the kernel as a super-frame it does not take, and the node forwards as before.
    assert.equal(Number(r.node.status().drops.GSO_BAD ?? 0), 0, JSON.stringify(r.node.status().drops));
    await ping("after the crafted frames");
  } finally {
    r.node.stop();
    cleanup();
  }
});
