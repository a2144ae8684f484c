// A metal node of many services, for tests/metal/scale.test.ts and tests/bench/metal_scale.ts
// (issue #17, spec/performance.md "On metal"): n echo services from one module (precompiled
// once, each service an instance of it with a memory of its own), booted under QEMU (TCG)
// in the node's bench mode (hosts/metal/src/node/bench.rs), which feeds an echo request to
// a few of them and counts the replies the kernel sends — no TAP, no root. What it reads
// from the serial console: the MTL_STARTED_LINE (services running, boot time, heap in use,
// kernel memory) and one bench line per probed service.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { MTL_STARTED_LINE } from "../../abi/metal";
import * as P from "../../cli/peer/packets";
import { linkLocalFromMac, parseAddr, parseMac } from "../../loader/ip6";
import { metalImageOf, QEMU, tempDir } from "./qemu";

const NODE = parseMac("02:00:00:00:00:01");
const PEER = parseMac("02:00:00:00:01:00");
const PEER_ADDR = "fd00:1::100";

/** Service i's address: fd00:1::1:<i>. */
export const scaleAddr = (i: number) => `fd00:1::1:${i.toString(16)}`;

/** n echo services of one module, each at scaleAddr(i), on one virtio NIC (bench mode
 *  never opens it), each with one 64 KiB page (echo's initial memory) as its RAM max. */
export function scaleManifest(n: number): string {
  const services = Array.from({ length: n }, (_, i) =>
    `  - { domain: e${i}.scale.sabz.city, module: build/wasm/services/echo.wasm, addresses: ["${scaleAddr(i)}"], ram: { min: 64KiB, max: 64KiB } }`);
  return `node: { name: scale.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtio, virtio: { pci: 0 }, mac: "02:00:00:00:00:01", prefixes: ["fd00:1::/64"] }
services:
${services.join("\n")}
`;
}

export interface ScaleRun {
  services: number;
  /** From the MTL_STARTED_LINE. */
  running: number;
  bootMs: number;
  heapBytes: number;
  kernelPages: number;
  /** QEMU's start to its exit, as the test saw it (ms). */
  wallMs: number;
  imageBytes: number;
  ramMiB: number;
  /** Per probed service: echo requests fed, replies sent, and the rate (frames/s). */
  probes: { svc: number; fed: number; sent: number; rate: number }[];
  serial: string;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Boots n echo services and pings each of `probe` (service indexes) `count` times; with
 *  `batched`, 32 pings to each k_rx_batch (bench-batch=1), the count rounded up to 32s. */
export async function runScale(n: number, probe: number[], count: number, seconds = 240, batched = false): Promise<ScaleRun> {
  const dir = tempDir(`scale${n}`);
  try {
    const elf = path.join(dir, "node.elf");
    const image = await metalImageOf(scaleManifest(n), elf);
    const setup = P.ether(NODE, PEER, P.ETH_IPV6, P.neighborSolicit(parseAddr(PEER_ADDR), linkLocalFromMac(NODE), PEER));
    const ping = (i: number) => P.ether(NODE, PEER, P.ETH_IPV6, P.echoRequest(parseAddr(PEER_ADDR), parseAddr(scaleAddr(i)), 1, 1, new Uint8Array(56)));
    const append = [`bench-setup=0:${hex(setup)}`, ...probe.map((i) => `bench=0:${hex(ping(i))}`), `bench-count=${count}`, ...(batched ? ["bench-batch=1"] : []), "quiet"].join(" ");
    const t0 = Date.now();
    const r = spawnSync("timeout", ["--kill-after=2", String(seconds), QEMU, "-accel", "tcg", "-cpu", "max", "-m", `${image.ram.mib}M`,
      "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot", "-nic", "none",
      "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel", elf, "-append", append], { encoding: "utf8", maxBuffer: 1 << 26 });
    const wallMs = Date.now() - t0;
    const serial = r.stdout.replace(/\r/g, "");
    const started = new RegExp(`^${MTL_STARTED_LINE}(\\d+) of (\\d+) services; boot (\\d+) ms, heap (\\d+) bytes in use, kernel memory (\\d+) pages$`, "m").exec(serial);
    if (started === null) throw new Error(`no started line (QEMU exit ${r.status}):\n${serial.slice(-3000)}\n${r.stderr.slice(-500)}`);
    const lines = [...serial.matchAll(/^bench (\d+) (\d+) (\d+)$/gm)];
    if (lines.length !== probe.length) throw new Error(`${lines.length} bench lines for ${probe.length} probes (QEMU exit ${r.status}):\n${serial.slice(-3000)}`);
    return {
      services: Number(started[2]), running: Number(started[1]), bootMs: Number(started[3]), heapBytes: Number(started[4]),
      kernelPages: Number(started[5]), wallMs, imageBytes: image.bytes.length, ramMiB: image.ram.mib,
      probes: lines.map((m, k) => ({ svc: probe[k], fed: Number(m[1]), sent: Number(m[3]), rate: Number(m[1]) / (Number(m[2]) / 1e9) })),
      serial,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
