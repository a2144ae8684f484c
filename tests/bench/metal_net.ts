// The metal part of `npm run bench` (issue #12): a metal image under QEMU TCG next to the
// Node host and the wasmtime image, on the same traffic from Linux in the same run:
//   size      the boot image, a server image's payload (kernel + echo precompiled), the total
//   boot      QEMU start to the first ping6 reply from a service (TAP into a netns)
//   idle      CPU the QEMU process uses over IDLE_S with no traffic (HLT when idle)
//   server    ping6 flood replies and UDP echoes per second from echo.sabz.city, each host
//             on its own link: metal on a TAP (QEMU virtio-net), the Node host on a TAP,
//             the wasmtime image on VXLAN (its only Ethernet link); same ping, same script
//   forward   iperf3 UDP (64-byte payloads) from one namespace to another through a router
//             with two NICs: metal, the Node host, the wasmtime image
// Without root (netns, TAP) only size and the idle CPU of a node with no NIC are measured,
// and the line says why. Figures only, no assertions; under two minutes in all.
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { parseManifest } from "../../loader/manifest";
import { launch } from "../../hosts/node/launch";
import { ROOT } from "../../hosts/node/paths";
import { formatAddr, linkLocalFromMac, parseMac } from "../../loader/ip6";
import { BOOT_BIN } from "../../cli/image_metal";
import { MTL_KERNEL_LINE } from "../../abi/metal";
import { metalImageOf, metalMissing, RunningQemu, tempDir } from "../metal/qemu";
import { adoptTap, dropHost, inNs, makeTap, PYTHON } from "../metal/tap";
import { missing, sh, vxlanNamespace, VxlanNs } from "../e2e/linux";
import { findWasmtime, imageOf, RunningImage } from "../e2e/wasmtime";
import { waitFor } from "../wait";

const SECONDS = 3;     // each ping flood, UDP run and iperf3 flow
const IDLE_S = 3;
const WINDOW = 8;      // UDP echoes in flight
const PAYLOAD = 64;    // iperf3 payload bytes
const TAG = (process.pid % 900) + 100;
const ECHO_MODULE = "build/wasm/services/echo.wasm";
const ECHO = `fd00:be:${TAG}::7`;
const LINUX = `fd00:be:${TAG}::100/64`;
const MAC = "02:00:5a:b2:be:01";

type Out = (line: string) => void;

/** Keeps WINDOW datagrams in flight to [addr]:7 for the given seconds; prints replies and seconds. */
const UDP_RATE = `
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(0.2)
dst = (sys.argv[1], 7)
end = time.monotonic() + float(sys.argv[2])
for i in range(int(sys.argv[3])): s.sendto(b"persia bench", dst)
got = 0
t0 = time.monotonic()
while time.monotonic() < end:
    try:
        s.recvfrom(2048)
        got += 1
        s.sendto(b"persia bench", dst)
    except socket.timeout:
        for i in range(int(sys.argv[3])): s.sendto(b"persia bench", dst)
print(got, time.monotonic() - t0)
`;

interface Rates { pings: number; udp: number }

/** Ping flood (-f: the next request as each reply arrives) and the UDP window, from ns. */
async function rates(ns: string, addr: string): Promise<Rates> {
  const p = (await inNs(ns, `ping -6 -f -q -w ${SECONDS} ${addr}`)).out;
  const m = /(\d+) received.*time (\d+)ms/s.exec(p);
  const u = (await inNs(ns, `${PYTHON} -c '${UDP_RATE}' ${addr} ${SECONDS} ${WINDOW}`)).out.trim().split(/\s+/).map(Number);
  return { pings: m ? Number(m[1]) / (Number(m[2]) / 1000) : 0, udp: u.length === 2 && u[1] > 0 ? u[0] / u[1] : 0 };
}

const answers = async (ns: string, addr: string) => /1 received/.test((await inNs(ns, `ping -6 -c 1 -W 1 ${addr}`)).out);

/** The pid of the QEMU that runs `file` (its `timeout` parent has another command name). */
function qemuPid(file: string): number | null {
  for (const d of fs.readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      if (fs.readFileSync(`/proc/${d}/comm`, "utf8").trim().startsWith("qemu-system") &&
        fs.readFileSync(`/proc/${d}/cmdline`, "utf8").includes(file)) return Number(d);
    } catch { /* gone meanwhile */ }
  }
  return null;
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  const hz = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
  return (Number(f[11]) + Number(f[12])) / hz;
}

/** The QEMU process's CPU use over IDLE_S seconds, in percent of one core. */
async function idleCpu(file: string): Promise<string> {
  const pid = qemuPid(file);
  if (pid === null) return "not measured: QEMU's process was not found";
  const c0 = cpuSeconds(pid), t0 = Date.now();
  await new Promise((r) => setTimeout(r, IDLE_S * 1000));
  const pct = (100 * (cpuSeconds(pid) - c0)) / ((Date.now() - t0) / 1000);
  return `${pct.toFixed(1)} % of a core over ${IDLE_S} s`;
}

/** A server with echo.sabz.city at ECHO; `nic` is its one NIC's entry without the prefix
 *  and MAC, or none. */
const server = (name: string, nic?: string) => `
node: { name: ${name}.sabz.city, role: server }
nics: ${nic ? `\n  - { name: lan0, ${nic}, mac: "${MAC}", prefixes: ["fd00:be:${TAG}::/64"] }` : "[]"}
services:
  - { domain: echo.sabz.city, module: ${ECHO_MODULE}, addresses: ["${ECHO}"], ram: { min: 64KiB, max: 1MiB } }
`;

/** Sizes: the boot image, a server image's payload, and the whole ELF. */
async function sizes(dir: string, out: Out): Promise<void> {
  const image = await metalImageOf(server("size"), path.join(dir, "size.elf"));
  const kib = (n: number) => `${(n / 1024).toFixed(0).padStart(6)} KiB`;
  out(`  size:    boot image ${kib(fs.statSync(BOOT_BIN).size)}, payload (kernel + echo) ${kib(image.payloadBytes)}, ELF ${kib(image.bytes.length)}`);
}

/** A metal server on a TAP in a netns: boot time to the first ping reply, idle CPU, rates. */
async function metalServer(dir: string, out: Out): Promise<Rates> {
  const dev = `mbt${TAG}`, ns = `mb${TAG}`;
  const elf = path.join(dir, "server.elf");
  const image = await metalImageOf(server(`mb${TAG}`, "kind: virtio"), elf);
  makeTap(dev);
  const t0 = Date.now();
  const qemu = new RunningQemu(image, elf, { taps: { lan0: dev }, append: "status-every=0 quiet", seconds: 60 });
  try {
    await qemu.line(new RegExp(`^${MTL_KERNEL_LINE}`), 30000);   // QEMU has opened the TAP
    adoptTap(dev, ns, [LINUX]);
    await waitFor(() => answers(ns, ECHO), 30000, "a first ping reply from the metal node", 0);
    out(`  boot:    QEMU start to the first ping6 reply from echo ${Date.now() - t0} ms (TCG, TAP)`);
    await new Promise((r) => setTimeout(r, 500));
    out(`  idle:    QEMU process, node up on a TAP, no traffic: ${await idleCpu(elf)}`);
    return await rates(ns, ECHO);
  } finally {
    await qemu.kill();
    dropHost({ ns, dev });
  }
}

async function nodeServer(): Promise<Rates> {
  const dev = `nbt${TAG}`, ns = `nb${TAG}`;
  sh(`ip link del ${dev}`, { allowFail: true });
  const yaml = server(`nb${TAG}`, `kind: tap, tap: { device: ${dev} }`);
  const r = await launch(parseManifest(yaml, "bench-metal.yaml", ROOT), { log: () => {} });
  try {
    adoptTap(dev, ns, [LINUX]);
    await waitFor(() => answers(ns, ECHO), 10000, "a first ping reply from the Node host", 0);
    return await rates(ns, ECHO);
  } finally {
    r.node.stop();
    dropHost({ ns, dev });
  }
}

/** A wasmtime image with one VXLAN NIC per side, each behind a namespace of its own whose
 *  VXLAN device has the side's address: a server with echo for one side, else a router. */
async function withImage<T>(dir: string, name: string, sides: { tag: number; addr: string; mac: string; prefix: string }[],
  body: (vx: VxlanNs[]) => Promise<T>): Promise<T | string> {
  const wt = findWasmtime();
  if (!("file" in wt)) return wt.missing;
  const vx: VxlanNs[] = [];
  let run: RunningImage | null = null;
  try {
    for (const s of sides) vx.push(vxlanNamespace(s.tag, 4300 + vx.length, s.addr, { quiet: true }));
    const nics = sides.map((s, i) => `  - { name: vx${i}, kind: vxlan, mac: "${s.mac}", prefixes: ["${s.prefix}/64"], ` +
      `vxlan: { local: "[${vx[i].hostAddr}]:4789", remote: "[${vx[i].peerAddr}]:4789", vni: ${vx[i].vni} } }`).join("\n");
    const yaml = sides.length === 1
      ? server(name).replace("nics: []", `nics:\n${nics}`)
      : `node: { name: ${name}.sabz.city, role: router }\nnics:\n${nics}\nservices: []\n`;
    const file = path.join(dir, `${name}.wasm`);
    const { flags } = await imageOf(yaml, file);
    run = new RunningImage(wt.file, flags, file, ["--quiet"]);
    await run.until(() => run!.stderr.includes("is running"), 30000, "the image to boot");
    return await body(vx);
  } finally {
    await run?.stop();
    for (const v of vx) v.close();
  }
}

async function imageServer(dir: string): Promise<Rates | string> {
  return withImage(dir, `ib${TAG}`, [{ tag: 0x200 + (TAG % 0x100), addr: LINUX, mac: MAC, prefix: `fd00:be:${TAG}::` }],
    async ([vx]) => {
      await waitFor(() => answers(vx.ns, ECHO), 10000, "a first ping reply from the wasmtime image", 0);
      return rates(vx.ns, ECHO);
    });
}

// ---- forwarding through a router with two NICs ----

const SIDE_A = { prefix: `fd00:ba:${TAG}::`, mac: "02:00:5a:b2:ba:01" };
const SIDE_B = { prefix: `fd00:bb:${TAG}::`, mac: "02:00:5a:b2:bb:01" };
const routerNics = (kind: (side: "a" | "b") => string) => `
  - { name: lana, ${kind("a")}, mac: "${SIDE_A.mac}", prefixes: ["${SIDE_A.prefix}/64"] }
  - { name: lanb, ${kind("b")}, mac: "${SIDE_B.mac}", prefixes: ["${SIDE_B.prefix}/64"] }`;

/** Packets per second iperf3 (UDP, as fast as it can send) gets from nsA to nsB's address. */
async function flow(nsA: string, nsB: string, dst: string): Promise<{ pps: number; sent: number; lost: number }> {
  const server = inNs(nsB, `iperf3 -s -1 -B ${dst}`);
  await new Promise((r) => setTimeout(r, 400));
  const json = (await inNs(nsA, `iperf3 -c ${dst} -u -b 0 -l ${PAYLOAD} -t ${SECONDS} -J`)).out;
  await server;
  const s = JSON.parse(json).end.sum;
  return { pps: (s.packets - s.lost_packets) / s.seconds, sent: s.packets, lost: s.lost_packets };
}

/** Both hosts' default routes via the router's link-local address on their link. */
function routeVia(ns: string, dev: string, mac: string): void {
  sh(`ip netns exec ${ns} ip -6 route add default via ${formatAddr(linkLocalFromMac(parseMac(mac)))} dev ${dev}`);
}

async function metalRouter(dir: string): Promise<Awaited<ReturnType<typeof flow>>> {
  const [devA, devB, nsA, nsB] = [`mra${TAG}`, `mrb${TAG}`, `mfa${TAG}`, `mfb${TAG}`];
  const elf = path.join(dir, "router.elf");
  const yaml = `node: { name: mr${TAG}.sabz.city, role: router }\nnics:${routerNics(() => "kind: virtio")}\nservices: []\n`;
  const image = await metalImageOf(yaml, elf);
  makeTap(devA);
  makeTap(devB);
  const qemu = new RunningQemu(image, elf, { taps: { lana: devA, lanb: devB }, append: "status-every=0 quiet", seconds: 60 });
  try {
    await qemu.line(new RegExp(`^${MTL_KERNEL_LINE}`), 30000);
    adoptTap(devA, nsA, [`${SIDE_A.prefix}2/64`]);
    adoptTap(devB, nsB, [`${SIDE_B.prefix}2/64`]);
    routeVia(nsA, devA, SIDE_A.mac);
    routeVia(nsB, devB, SIDE_B.mac);
    await waitFor(() => answers(nsA, `${SIDE_B.prefix}2`), 30000, "a ping through the metal router", 0);
    return await flow(nsA, nsB, `${SIDE_B.prefix}2`);
  } finally {
    await qemu.kill();
    dropHost({ ns: nsA, dev: devA });
    dropHost({ ns: nsB, dev: devB });
  }
}

async function nodeRouter(): Promise<Awaited<ReturnType<typeof flow>>> {
  const [devA, devB, nsA, nsB] = [`nra${TAG}`, `nrb${TAG}`, `nfa${TAG}`, `nfb${TAG}`];
  for (const d of [devA, devB]) sh(`ip link del ${d}`, { allowFail: true });
  const yaml = `node: { name: nr${TAG}.sabz.city, role: router }\nnics:${routerNics((s) => `kind: tap, tap: { device: ${s === "a" ? devA : devB} }`)}\nservices: []\n`;
  const r = await launch(parseManifest(yaml, "bench-router.yaml", ROOT), { log: () => {} });
  try {
    adoptTap(devA, nsA, [`${SIDE_A.prefix}2/64`]);
    adoptTap(devB, nsB, [`${SIDE_B.prefix}2/64`]);
    routeVia(nsA, devA, SIDE_A.mac);
    routeVia(nsB, devB, SIDE_B.mac);
    await waitFor(() => answers(nsA, `${SIDE_B.prefix}2`), 10000, "a ping through the Node host's router", 0);
    return await flow(nsA, nsB, `${SIDE_B.prefix}2`);
  } finally {
    r.node.stop();
    dropHost({ ns: nsA, dev: devA });
    dropHost({ ns: nsB, dev: devB });
  }
}

async function imageRouter(dir: string): Promise<Awaited<ReturnType<typeof flow>> | string> {
  const t = 0x300 + (TAG % 0x100);
  return withImage(dir, `ir${TAG}`, [
    { tag: t, addr: `${SIDE_A.prefix}2/64`, ...SIDE_A }, { tag: t + 0x100, addr: `${SIDE_B.prefix}2/64`, ...SIDE_B },
  ], async ([a, b]) => {
    routeVia(a.ns, a.dev, SIDE_A.mac);
    routeVia(b.ns, b.dev, SIDE_B.mac);
    await waitFor(() => answers(a.ns, `${SIDE_B.prefix}2`), 10000, "a ping through the wasmtime image's router", 0);
    return flow(a.ns, b.ns, `${SIDE_B.prefix}2`);
  });
}

export async function metalBench(out: Out): Promise<void> {
  out("The metal host under QEMU TCG (-cpu max, 512 MiB), beside the other hosts in this run");
  const why = metalMissing();
  if (why) { out(`  metal: not measured: ${why}`); return; }
  const dir = tempDir("bench");
  try {
    await sizes(dir, out);
    const root = missing(["ip", "ping", "iperf3", PYTHON]);
    if (root) {
      out(`  boot, server and forward: not measured: ${root}`);
      const elf = path.join(dir, "idle.elf");
      const image = await metalImageOf(server("idle"), elf);
      const qemu = new RunningQemu(image, elf, { append: "status-every=0 quiet", seconds: 30 });
      try {
        await qemu.line(/is running on metal/, 30000);
        out(`  idle:    QEMU process, node up with no NIC: ${await idleCpu(elf)}`);
      } finally {
        await qemu.kill();
      }
      return;
    }
    const m = await metalServer(dir, out);
    const n = await nodeServer();
    const i = await imageServer(dir);
    const k = (x: number) => `${(x / 1000).toFixed(2).padStart(6)} k/s`;
    const vs = (x: number, y: number) => (y > 0 ? (x / y).toFixed(2) : "—");
    out(`  server:  echo.sabz.city from a netns, ping6 -f and UDP with ${WINDOW} in flight, ${SECONDS} s each`);
    out(`    metal (TAP)          pings ${k(m.pings)}   UDP ${k(m.udp)}`);
    out(`    Node host (TAP)      pings ${k(n.pings)}   UDP ${k(n.udp)}   metal/Node ${vs(m.pings, n.pings)} ${vs(m.udp, n.udp)}`);
    if (typeof i === "string") out(`    wasmtime image: not measured: ${i}`);
    else out(`    wasmtime (VXLAN)     pings ${k(i.pings)}   UDP ${k(i.udp)}   metal/wasmtime ${vs(m.pings, i.pings)} ${vs(m.udp, i.udp)}`);
    const fm = await metalRouter(dir);
    const fn = await nodeRouter();
    const fi = await imageRouter(dir);
    const f = (x: Awaited<ReturnType<typeof flow>>) => `${k(x.pps)} received (${x.sent} sent, ${(100 * x.lost / Math.max(1, x.sent)).toFixed(0)}% lost)`;
    out(`  forward: iperf3 UDP, ${PAYLOAD}-byte payloads, netns → router (two NICs) → netns, ${SECONDS} s each`);
    out(`    metal (TAP → TAP)         ${f(fm)}`);
    out(`    Node host (TAP → TAP)     ${f(fn)}   metal/Node ${vs(fm.pps, fn.pps)}`);
    if (typeof fi === "string") out(`    wasmtime image: not measured: ${fi}`);
    else out(`    wasmtime (VXLAN → VXLAN)  ${f(fi)}   metal/wasmtime ${vs(fm.pps, fi.pps)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) metalBench((l) => console.log(l)).catch((e) => { console.error(`metal bench failed: ${e instanceof Error ? e.stack : e}`); process.exit(1); });
