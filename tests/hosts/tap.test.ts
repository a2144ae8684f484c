// The TAP backend on real Linux TAP devices (hosts/node/nic/tap.ts). The far side of a TAP
// is the Linux kernel: what the backend writes, Linux receives on the interface; what Linux
// sends out of the interface, the backend reads. Checks: the struct ifreq bytes; Linux's
// neighbor solicitation arrives; an echo request written by the backend gets Linux's echo
// reply; 200 frames queued while the event loop is busy arrive in order and in batches;
// deleting the device is reported once and later sends return -ENODEV; with offloads a send
// is queued and answered 0, a write that fails at the end of the turn is counted (tx_lost)
// and a link known down is refused at once with -EIO; an existing TAP is
// attached, a TUN is refused; launch() opens a manifest's TAP NIC, which Linux can ping, and
// when that device is deleted the node logs it once and goes on answering on its other NIC.
// Needs root, /dev/net/tun, iproute2 and ping; skips without them, but fails under CI=true.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Errno } from "../../abi/errno";
import { RX_BATCH, TapNic } from "../../hosts/node/nic/tap";
import { ifreq } from "../../hosts/node/nic/tap_device";
import * as P from "../../cli/peer/packets";
import { parseAddr, parseMac } from "../../loader/ip6";
import { parseManifest } from "../../loader/manifest";
import { launch } from "../../hosts/node/launch";
import { ROOT } from "../../hosts/node/paths";
import { Peer } from "../../cli/peer/peer";
import { sh, shAsync, missing, skipOrFail } from "../e2e/linux";
import { waitFor } from "../wait";
import { sendFrame } from "../../hosts/node/nic/nic";

function why(): string | null {
  if (process.platform !== "linux") return "TAP devices exist only on Linux";
  if (process.getuid?.() !== 0) return "needs root (creating a TAP device takes CAP_NET_ADMIN)";
  if (!fs.existsSync("/dev/net/tun")) return "/dev/net/tun is missing (modprobe tun)";
  return missing(["ip", "ping"]);
}
const skip = skipOrFail(why());

// A /64 of this run's own (from the process id), so that two runs on one machine, or a
// network of the machine's, never share it.
const GROUP = (process.pid % 0xfffe + 1).toString(16);   // never 0, which ip would print as ::
const NET = `fd00:77:${GROUP}:`;
const LAUNCH_NET = `fd00:5ab7:${GROUP}:`;                 // launch()'s TAP NIC
const LINUX_TEXT = `${NET}:1`, NODE_TEXT = `${NET}:2`;
const LINUX = parseAddr(LINUX_TEXT);   // the Linux interface's address
const NODE = parseAddr(NODE_TEXT);     // the address the test speaks for through the backend
const NODE_MAC = parseMac("02:00:00:00:77:02");

/** A device name no other test process uses: pt<pid % 1000><letter>. */
const device = (letter: string): string => `pt${process.pid % 1000}${letter}`;

function exists(dev: string): boolean {
  return fs.existsSync(`/sys/class/net/${dev}`);
}

function removeDevice(dev: string): void {
  if (exists(dev)) sh(`ip link del ${dev}`, { allowFail: true });
}

/** Frames the backend delivered, copied, and a bounded wait for one that matches. */
function collect(nic: TapNic): { frames: Uint8Array[]; wait: (what: string, ok: (f: Uint8Array) => boolean, ms?: number) => Promise<Uint8Array> } {
  const frames: Uint8Array[] = [];
  nic.onFrame = (f) => frames.push(f.slice());
  const wait = (what: string, ok: (f: Uint8Array) => boolean, ms = 3000): Promise<Uint8Array> =>
    new Promise((resolve, reject) => {
      const start = Date.now();
      const timer = setInterval(() => {
        const hit = frames.find(ok);
        if (hit) { clearInterval(timer); resolve(hit); return; }
        if (Date.now() - start > ms) { clearInterval(timer); reject(new Error(`no ${what} within ${ms} ms (${frames.length} frames came)`)); }
      }, 5);
    });
  return { frames, wait };
}

/** Opens a TAP NIC on a fresh device and gives the Linux side LINUX/64. */
async function openWithAddress(dev: string): Promise<TapNic> {
  removeDevice(dev);
  const nic = await TapNic.open({ id: 0, device: dev, mtu: 1500 });
  sh(`ip -6 addr add ${LINUX_TEXT}/64 dev ${dev} nodad`);
  // Linux tells IPv6 of the carrier in a deferred work item (linkwatch); until then the
  // address stays tentative and a ping fails at the sender, never reaching the TAP (on a
  // loaded machine, the first 183 of 200 were lost so).
  await waitFor(() => fs.readFileSync(`/sys/class/net/${dev}/carrier`, "utf8").trim() === "1" &&
    sh(`ip -6 route show dev ${dev}`).includes(`${NET}:/64`) &&
    !/tentative/.test(sh(`ip -6 addr show dev ${dev} to ${LINUX_TEXT}/128`)), 10000, `${dev} and ${LINUX_TEXT} to be usable`, 10);
  return nic;
}

test("ifreq lays out the name, NUL-padded, then ifr_flags or ifr_mtu at offset 16 in host order", { skip: os.endianness() !== "LE" && "big-endian host" }, () => {
  const flags = [...ifreq("pt0", { flags: 0x1002 })];
  assert.equal(flags.length, 40);
  assert.deepEqual(flags.slice(0, 18), [0x70, 0x74, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x10]);
  assert.ok(flags.slice(18).every((b) => b === 0));
  assert.deepEqual([...ifreq("pt0", { mtu: 1500 })].slice(16, 20), [0xdc, 0x05, 0, 0]);
  assert.equal(ifreq("a-fifteen-char-").subarray(0, 16).indexOf(0), 15, "the name keeps its terminating NUL");
});

test("a name Linux cannot take and a bad MTU are refused before any device is touched", async () => {
  await assert.rejects(TapNic.open({ id: 4, device: "no spaces" }), /TAP NIC 4: "no spaces" is not a Linux interface name/);
  await assert.rejects(TapNic.open({ id: 4, device: "a-sixteen-chars-" }), /not a Linux interface name/);
  await assert.rejects(TapNic.open({ id: 4, device: "pt%d" }), /not a Linux interface name/);
  await assert.rejects(TapNic.open({ id: 4, device: "pt0", mtu: 1.5 }), /MTU 1.5 is not a positive whole number/);
});

test("a created device is up with the NIC's MTU, and disappears when the NIC closes", { skip }, async () => {
  const dev = device("a");
  removeDevice(dev);
  try {
    const nic = await TapNic.open({ id: 0, device: dev, mtu: 1400 });
    assert.equal(nic.created, true);
    assert.equal(fs.readFileSync(`/sys/class/net/${dev}/mtu`, "utf8").trim(), "1400");
    assert.equal(Number(fs.readFileSync(`/sys/class/net/${dev}/flags`, "utf8")) & 1, 1, "IFF_UP");
    assert.match(sh(`ip -d link show ${dev}`), /tun type tap pi off/);
    nic.close();
    assert.equal(exists(dev), false);
    assert.ok(sendFrame(nic, new Uint8Array(60)) < 0, "a closed NIC refuses to send");
  } finally {
    removeDevice(dev);
  }
});

test("the neighbor solicitation Linux sends out of the interface arrives whole", { skip }, async () => {
  const dev = device("b");
  const nic = await openWithAddress(dev);
  try {
    const { wait } = collect(nic);
    const pinging = shAsync(`ping -6 -c 1 -W 1 ${NODE_TEXT}`);
    const ns = P.parse(await wait(`neighbor solicitation for ${NODE_TEXT}`, (f) => {
      const p = P.parse(f);
      return p.icmpType === P.ICMP.NS && P.equalBytes(p.data?.subarray(0, 16), NODE);
    }));
    await pinging;
    assert.equal(ns.type, P.ETH_IPV6);
    assert.equal(ns.next, P.NH_ICMPV6);
    assert.equal(ns.checksumOk, true);
    assert.deepEqual([...ns.dstMac], [...P.multicastMac(P.solicitedNode(NODE))]);
    assert.deepEqual([...ns.dst!], [...P.solicitedNode(NODE)]);
    assert.ok(nic.counters().rx_frames >= 1 && nic.counters().rx_batches >= 1);
  } finally {
    nic.close();
    removeDevice(dev);
  }
});

test("an echo request the backend writes reaches Linux, whose echo reply comes back", { skip }, async () => {
  const dev = device("c");
  const nic = await openWithAddress(dev);
  try {
    sh(`ip -6 neigh replace ${NODE_TEXT} lladdr 02:00:00:00:77:02 dev ${dev} nud permanent`);
    const linuxMac = parseMac(fs.readFileSync(`/sys/class/net/${dev}/address`, "utf8").trim());
    const { wait } = collect(nic);
    const data = Uint8Array.from([0x70, 0x65, 0x72, 0x73, 0x69, 0x61]);
    const request = P.ether(linuxMac, NODE_MAC, P.ETH_IPV6, P.echoRequest(NODE, LINUX, 0x7a9, 1, data));
    assert.equal(sendFrame(nic, request), 0);
    const reply = P.parse(await wait(`echo reply from ${LINUX_TEXT}`, (f) => P.parse(f).icmpType === P.ICMP.ECHO_REP));
    assert.deepEqual([...reply.dstMac], [...NODE_MAC]);
    assert.deepEqual([...reply.srcMac], [...linuxMac]);
    assert.deepEqual([...reply.src!], [...LINUX]);
    assert.deepEqual([...reply.dst!], [...NODE]);
    assert.equal(reply.icmpWord, (0x7a9 << 16) | 1);
    assert.deepEqual([...reply.data!], [...data]);
    assert.equal(reply.checksumOk, true);
    assert.equal(nic.counters().tx_frames, 1);
  } finally {
    nic.close();
    removeDevice(dev);
  }
});

test("200 frames Linux sends while the event loop is busy arrive in order, read in batches", { skip }, async () => {
  const dev = device("d");
  const nic = await openWithAddress(dev);
  try {
    sh(`ip -6 neigh replace ${NODE_TEXT} lladdr 02:00:00:00:77:02 dev ${dev} nud permanent`);
    const { frames, wait } = collect(nic);
    const isRequest = (f: Uint8Array): boolean => {
      const p = P.parse(f);
      return p.icmpType === P.ICMP.ECHO_REQ && P.equalBytes(p.dst, NODE);
    };
    // Synchronous on purpose: the loop is blocked, so all 200 queue in the TAP first.
    sh(`ping -6 -c 200 -i 0.002 -W 0.1 ${NODE_TEXT}`, { allowFail: true });
    await wait("the 200th echo request", (f) => isRequest(f) && (P.parse(f).icmpWord! & 0xffff) === 200);
    const seqs = frames.filter(isRequest).map((f) => P.parse(f).icmpWord! & 0xffff);
    assert.deepEqual(seqs, Array.from({ length: 200 }, (_, i) => i + 1));
    const c = nic.counters();
    assert.ok(c.rx_batch_full >= Math.floor(200 / RX_BATCH), `full batches: ${c.rx_batch_full}`);
    assert.ok(c.rx_batches < c.rx_frames, `batches ${c.rx_batches} for ${c.rx_frames} frames`);
  } finally {
    nic.close();
    removeDevice(dev);
  }
});

test("a deleted device is reported once; sends then return -ENODEV and nothing throws", { skip }, async () => {
  const dev = device("e");
  const nic = await openWithAddress(dev);
  try {
    const errors: string[] = [];
    nic.onError = (m) => errors.push(m);
    collect(nic);
    sh(`ip link del ${dev}`);
    await waitFor(() => errors.length > 0, 2000, `the backend to report that ${dev} is gone`, 10);
    assert.equal(sendFrame(nic, new Uint8Array(60)), -Errno.ENODEV);
    assert.equal(sendFrame(nic, new Uint8Array(60)), -Errno.ENODEV);
    // The backend reports on process.nextTick: a report of these sends would be here after
    // one turn of the event loop.
    await new Promise((r) => setImmediate(r));
    assert.equal(errors.length, 1, errors.join("\n"));
    assert.match(errors[0], new RegExp(`TAP NIC 0: device ${dev} is gone .*restart the node`));
    const c = nic.counters();
    assert.equal(c.device_gone, 1);
    assert.equal(c.send_errors, 2);
  } finally {
    nic.close();
    removeDevice(dev);
  }
});

test("offloads: a send is queued and answered 0; a write that then fails is counted, and a link known down is refused at once", { skip }, async () => {
  const dev = device("d");
  const nic = await openWithAddress(dev);
  try {
    const errors: string[] = [];
    nic.onError = (m) => errors.push(m);
    collect(nic);
    assert.ok(nic.vnet && nic.offloads !== 0, "opened with a vnet header and offloads (the default)");
    const frame = new Uint8Array(60);
    frame.set([0x33, 0x33, 0, 0, 0, 1, 2, 0, 0, 0, 0x77, 2, 0x86, 0xdd], 0);
    sh(`ip link set dev ${dev} down`);
    assert.equal(sendFrame(nic, frame), 0, "queued: the link is not yet known to be down");
    assert.equal(nic.counters().tx_writes, 0, "nothing written inside send");
    await new Promise((r) => setImmediate(r));
    let c = nic.counters();
    assert.equal(c.tx_lost, 1, "the write at the end of the turn failed: counted");
    assert.equal(c.tx_link_down, 1);
    assert.equal(sendFrame(nic, frame), -Errno.EIO, "now known down: refused at once");
    assert.equal(nic.counters().tx_lost, 1, "a refused frame is send's result, not a loss");
    sh(`ip link set dev ${dev} up`);
    assert.equal(sendFrame(nic, frame), 0, "the link came back: this send finds out at once");
    await new Promise((r) => setImmediate(r));
    c = nic.counters();
    assert.equal(c.tx_writes, 1);
    assert.equal(c.tx_lost, 1);
    assert.equal(errors.filter((m) => m.includes("is down")).length, 1, errors.join("\n"));
  } finally {
    nic.close();
    removeDevice(dev);
  }
});

/** Sends `count` echo requests of mixed sizes in one turn and waits for Linux's replies: the
 *  sequence numbers of the replies, in the order they came back. */
async function echoBurst(nic: TapNic, dev: string, count: number): Promise<number[]> {
  sh(`ip -6 neigh replace ${NODE_TEXT} lladdr 02:00:00:00:77:02 dev ${dev} nud permanent`);
  const linuxMac = parseMac(fs.readFileSync(`/sys/class/net/${dev}/address`, "utf8").trim());
  const { frames, wait } = collect(nic);
  for (let i = 1; i <= count; i++) {
    const data = new Uint8Array(i % 7 === 0 ? 1400 : 8 + (i % 50)).fill(i & 0xff);
    assert.equal(sendFrame(nic, P.ether(linuxMac, NODE_MAC, P.ETH_IPV6, P.echoRequest(NODE, LINUX, 0x7b1, i, data))), 0);
  }
  const isReply = (f: Uint8Array): boolean => P.parse(f).icmpType === P.ICMP.ECHO_REP;
  await wait(`the ${count}th echo reply`, (f) => isReply(f) && (P.parse(f).icmpWord! & 0xffff) === count);
  for (const f of frames.filter(isReply)) {
    const p = P.parse(f), seq = p.icmpWord! & 0xffff;
    assert.equal(p.checksumOk, true);
    assert.equal(p.data!.length, seq % 7 === 0 ? 1400 : 8 + (seq % 50));
    assert.ok(p.data!.every((b) => b === (seq & 0xff)), `reply ${seq} carries its request's bytes`);
  }
  return frames.filter(isReply).map((f) => P.parse(f).icmpWord! & 0xffff);
}

test("offloads: 150 frames sent in one turn go to Linux through io_uring, a few submits of up to 64 writes, in order and intact", { skip }, async (t) => {
  const dev = device("h");
  const nic = await openWithAddress(dev);
  const told: string[] = [];
  nic.onError = (m) => told.push(m);
  await new Promise((r) => setImmediate(r));
  try {
    if (nic.counters().tx_ring === 0) {
      // This Linux (or its seccomp filter or sysctl) gives no io_uring: the NIC said why.
      const reason = skipOrFail(`no io_uring for the TAP's writes here: ${told.join("; ") || "nothing said"}`);
      t.skip(reason || undefined);
      return;
    }
    const seqs = await echoBurst(nic, dev, 150);
    assert.deepEqual(seqs, Array.from({ length: 150 }, (_, i) => i + 1));
    const c = nic.counters();
    assert.equal(c.tx_writes, 150);
    assert.equal(c.tx_lost, 0);
    assert.ok(c.tx_ring_submits >= 3 && c.tx_ring_submits <= 4, `submits: ${c.tx_ring_submits}`);
  } finally {
    nic.close();
    removeDevice(dev);
  }
});

test("offloads with PERSIA_TAP_URING=0: the same frames, one write() each, in order", { skip }, async () => {
  const dev = device("i");
  process.env.PERSIA_TAP_URING = "0";
  let nic: TapNic;
  try {
    nic = await openWithAddress(dev);
  } finally {
    delete process.env.PERSIA_TAP_URING;
  }
  try {
    const seqs = await echoBurst(nic, dev, 100);
    assert.deepEqual(seqs, Array.from({ length: 100 }, (_, i) => i + 1));
    const c = nic.counters();
    assert.equal(c.tx_writes, 100);
    assert.equal(c.tx_ring_submits, 0);
  } finally {
    nic.close();
    removeDevice(dev);
  }
});

test("an existing TAP is attached and kept; a second attach and a TUN are refused with advice", { skip }, async () => {
  const tap = device("f");
  const tun = device("g");
  removeDevice(tap);
  removeDevice(tun);
  try {
    sh(`ip tuntap add dev ${tap} mode tap && ip tuntap add dev ${tun} mode tun`);
    const nic = await TapNic.open({ id: 1, device: tap, mtu: 1280 });
    assert.equal(nic.created, false);
    assert.equal(fs.readFileSync(`/sys/class/net/${tap}/mtu`, "utf8").trim(), "1280");
    await assert.rejects(TapNic.open({ id: 2, device: tap }), new RegExp(`TAP NIC 2: cannot attach to TAP device ${tap} \\(EBUSY.*another process holds ${tap}`));
    await assert.rejects(TapNic.open({ id: 3, device: tun }), new RegExp(`${tun} exists but is not a single-queue TAP`));
    nic.close();
    assert.equal(exists(tap), true, "a persistent TAP stays after close");
  } finally {
    removeDevice(tap);
    removeDevice(tun);
  }
});

test("launch() opens a manifest's TAP NIC; Linux pings through it; when it is deleted the node goes on", { skip, timeout: 30000 }, async () => {
  const dev = device("h");
  const wasm = path.join(ROOT, "build/wasm/services/echo.wasm");
  assert.ok(fs.existsSync(wasm), `${wasm} is missing: run \`npm run build\` first`);
  removeDevice(dev);
  const yaml = `
node: { name: tap.sabz.city, role: server }
nics:
  - { name: tap0, kind: tap, mac: "02:00:5a:b2:00:01", prefixes: ["${LAUNCH_NET}:/64"], tap: { device: ${dev} } }
  - { name: lan0, kind: virtual, mac: "02:00:5a:b2:00:02", prefixes: ["fd00:5ab2:8::/64"] }
services:
  - { domain: echo.sabz.city, module: ${wasm}, addresses: ["${LAUNCH_NET}:7", "fd00:5ab2:8::7"], ram: { min: 64KiB, max: 1MiB } }
`;
  const logs: string[] = [];
  let launched: Awaited<ReturnType<typeof launch>> | null = null;
  let peer: Peer | null = null;
  try {
    launched = await launch(parseManifest(yaml, "tap.yaml", ROOT), { log: (_l, line) => logs.push(line) });
    sh(`ip -6 addr add ${LAUNCH_NET}:2/64 dev ${dev} nodad`);
    const out = (await shAsync(`ping -6 -c 3 -i 0.2 -W 2 ${LAUNCH_NET}:7`)).out;
    assert.match(out, /3 packets transmitted, 3 received/, `${out}\n${logs.join("\n")}`);
    const tap = launched.node.status().host!.nics.find((n) => n.id === 0)!;
    assert.equal(tap.backend, "tap");
    assert.ok(tap.counters.rx_frames >= 3 && tap.counters.tx_frames >= 3);

    sh(`ip link del ${dev}`);
    await waitFor(() => logs.some((l) => l.includes("is gone")), 2000, `the node to log that ${dev} is gone`, 10);
    assert.equal(logs.filter((l) => l.includes(`device ${dev} is gone`)).length, 1, logs.join("\n"));
    const echo = parseAddr("fd00:5ab2:8::7");
    peer = new Peer(launched.peers.get(1)!, parseMac("02:00:00:00:88:02"), parseAddr("fd00:5ab2:8::2"));
    const nodeMac = await peer.resolve(echo);
    assert.ok(nodeMac, "the node answers neighbor solicitations on its other NIC");
    peer.sendIp(nodeMac, P.echoRequest(peer.addr, echo, 7, 1, Uint8Array.of(1, 2, 3)));
    const reply = await peer.expect((p) => p.icmpType === P.ICMP.ECHO_REP && P.equalBytes(p.src, echo));
    assert.ok(reply, "echo.sabz.city still answers on the virtual NIC");
  } finally {
    peer?.close();
    launched?.node.stop();
    removeDevice(dev);
  }
});
