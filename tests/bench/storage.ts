// kv's PUTs and GETs per second (spec/services.md, kv format 2) on three kinds of disk, each
// beside a baseline measured in the same run on the same file or device:
//   file       a regular file under the Node host (on this machine's disk, not tmpfs)
//   loop       a loop block device over such a file, under the Node host
//   virtio-blk the metal node under QEMU TCG, its disk a virtio-blk device over such a file
//              (cache=writeback, as `persia image` prints it: the guest's flush is an fdatasync)
// The baseline is a plain dd-style loop: write one 1024-byte slot at a random slot-aligned
// offset with pwrite, fsync, repeat (`dd bs=1024 oflag=… conv=fsync` per slot), for the same
// time; a kv PUT is two such writes and two flushes (the new record, then the old one freed),
// so a ratio near 0.5 means kv costs what its writes cost. Clients: 32 UDP sockets over a
// TAP, one request in flight on each (kv handles them one at a time). Needs root (TAP, loop
// device); says why when a part is not measured. Prints figures; asserts nothing.
import * as dgram from "dgram";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn } from "child_process";
import { parseManifest } from "../../loader/manifest";
import { launch } from "../../hosts/node/launch";
import { qemuArgs } from "../../loader/metal/image";
import { MTL_KERNEL_LINE } from "../../abi/metal";
import { ROOT } from "../../hosts/node/paths";
import { missing, sh } from "../e2e/linux";
import { metalImageOf, metalMissing, QEMU } from "../metal/qemu";
import { waitFor } from "../wait";
import { opened, valueOf } from "../storage/kv_load";

const SLOT = 1024;
const SIZE = 16 << 20;      // 16384 slots: kv opens them in 8 steps
const MS = 3000;
const WORKERS = 32;
const TAP = "pbench0";
const PREFIX = "fd00:5ab2:be5c";
const KV = `${PREFIX}::8`;

type Out = (line: string) => void;

/** Requests per second with WORKERS sockets, one request in flight on each, for ms. */
async function rate(request: (worker: number, n: number) => string, expect: RegExp, ms: number): Promise<{ rate: number; wrong: number }> {
  let done = 0, wrong = 0;
  const end = Date.now() + ms;
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => new Promise<void>((resolve) => {
    const s = dgram.createSocket("udp6");
    let n = 0;
    let timer: NodeJS.Timeout;
    const next = () => {
      clearTimeout(timer);
      if (Date.now() >= end) { s.close(); resolve(); return; }
      s.send(request(w, n++), 7070, KV);
      timer = setTimeout(next, 1000);    // a lost datagram: send the next
    };
    s.on("message", (m) => { if (expect.test(m.toString("latin1"))) done++; else wrong++; next(); });
    s.bind(0, () => next());
  })));
  return { rate: done / (ms / 1000), wrong };
}

/** Slot writes with fsync per second on `target`, at random slot-aligned offsets, for ms. */
function ddRate(target: string, ms: number): number {
  const fd = fs.openSync(target, "r+");
  const slot = Buffer.alloc(SLOT, 0x5a);
  const slots = SIZE / SLOT;
  let n = 0;
  const end = Date.now() + ms;
  try {
    while (Date.now() < end) {
      fs.writeSync(fd, slot, 0, SLOT, ((n * 7919) % slots) * SLOT);
      fs.fsyncSync(fd);
      n++;
    }
  } finally {
    fs.closeSync(fd);
  }
  return n / (ms / 1000);
}

const put = (w: number, n: number) => `PUT key${w}-${n % 64} ${valueOf(1, `key${w}`, n, 360)}`;
const get = (w: number, n: number) => `GET key${w}-${n % 64}`;

/** kv's PUT/s and GET/s against the node at KV, after filling its keys once. */
async function kvRates(): Promise<{ put: number; get: number }> {
  await opened(KV, 60000);
  const p = await rate(put, /^OK$/, MS);
  const g = await rate(get, /^VALUE /, MS);
  return { put: p.rate, get: g.rate };
}

function line(out: Out, what: string, kv: { put: number; get: number }, dd: number): void {
  const f = (x: number) => x.toFixed(0).padStart(6);
  out(`  ${what.padEnd(11)} PUT ${f(kv.put)}/s  GET ${f(kv.get)}/s   dd write+fsync ${f(dd)}/s   PUT/dd ${(kv.put / dd).toFixed(2)}`);
}

function makeTap(): void {
  sh(`ip link del ${TAP}`, { allowFail: true });
  sh(`ip tuntap add dev ${TAP} mode tap`);
  sh(`sysctl -qw net.ipv6.conf.${TAP}.accept_dad=0 net.ipv6.conf.${TAP}.accept_ra=0`);
  sh(`ip -6 addr add ${PREFIX}::1/64 dev ${TAP} nodad`);
  sh(`ip link set ${TAP} up`);
}

async function onNode(disk: string, out: Out): Promise<{ put: number; get: number }> {
  const yaml = `
node: { name: sbench.sabz.city, role: server }
nics:
  - { name: lan0, kind: tap, mac: "02:00:00:00:be:01", prefixes: ["${PREFIX}::/64"], tap: { device: ${TAP} } }
disks:
  - { name: data, path: ${disk}, size: 16MiB }
services:
  - { domain: kv.sabz.city, module: ${path.join(ROOT, "build/wasm/services/kv.wasm")}, addresses: ["${KV}"],
      ram: { min: 64KiB, max: 4MiB }, disk: [{ device: data, length: 16MiB, rights: [read, write] }] }
`;
  const r = await launch(parseManifest(yaml, "sbench.yaml", ROOT), { log: (level, l) => { if (level <= 1 && !/signatures are NOT checked/.test(l)) out(`  node: ${l}`); } });
  try {
    return await kvRates();
  } finally {
    r.node.stop();
  }
}

async function onMetal(disk: string, dir: string): Promise<{ put: number; get: number }> {
  const yaml = `
node: { name: sbench.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtio, mac: "02:00:00:00:be:02", prefixes: ["${PREFIX}::/64"] }
disks:
  - { name: data, path: ${disk}, size: 16MiB }
services:
  - { domain: kv.sabz.city, module: build/wasm/services/kv.wasm, addresses: ["${KV}"], ram: { min: 64KiB, max: 4MiB },
      disk: [{ device: data, length: 16MiB, rights: [read, write] }] }
`;
  const elf = path.join(dir, "node.elf");
  const image = await metalImageOf(yaml, elf);
  const q = spawn("timeout", ["--kill-after=2", "120", QEMU, ...qemuArgs(image.plan, elf, { memoryMiB: image.ram.mib, taps: { lan0: TAP } })],
    { stdio: ["ignore", "pipe", "pipe"] });
  let serial = "";
  q.stdout!.on("data", (d) => (serial += d));
  try {
    await waitFor(() => serial.includes(MTL_KERNEL_LINE), 60000, "the metal node to boot");
    return await kvRates();
  } finally {
    const gone = new Promise((r) => q.once("exit", r));
    q.kill("SIGTERM");
    await gone;
  }
}

export async function storageBench(out: Out): Promise<void> {
  out(`kv on disks (format 2; ${WORKERS} requests in flight, ${MS / 1000} s each; values 24–384 bytes; baseline: 1 KiB pwrite + fsync)`);
  const why = missing(["losetup", "ip"]);
  if (why !== null) { out(`  not measured: ${why}`); return; }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-sbench-"));
  const fresh = (name: string) => { const f = path.join(dir, name); fs.writeFileSync(f, Buffer.alloc(SIZE)); return f; };
  makeTap();
  try {
    const file = fresh("file.img");
    line(out, "file", await onNode(file, out), ddRate(fresh("file-dd.img"), MS));
    const loopFile = fresh("loop.img"), ddFile = fresh("loop-dd.img");
    const dev = sh(`losetup -f --show ${loopFile}`).trim();
    const ddDev = sh(`losetup -f --show ${ddFile}`).trim();
    try {
      line(out, "loop", await onNode(dev, out), ddRate(ddDev, MS));
    } finally {
      sh(`losetup -d ${dev}`, { allowFail: true });
      sh(`losetup -d ${ddDev}`, { allowFail: true });
    }
    const metalWhy = metalMissing();
    if (metalWhy !== null) out(`  virtio-blk  not measured: ${metalWhy}`);
    else line(out, "virtio-blk", await onMetal(fresh("metal.img"), dir), ddRate(fresh("metal-dd.img"), MS));
    out("  (virtio-blk: the metal node under QEMU TCG; its baseline is the same loop on a host file, so the ratio includes emulation)");
  } finally {
    sh(`ip link del ${TAP}`, { allowFail: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) void storageBench((l) => console.log(l));
