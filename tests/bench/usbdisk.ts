// The USB part of `npm run bench` (issue #16): mass-storage read throughput on a metal node
// under QEMU TCG. One node, one run: usbdisk.sabz.city reads 512-byte blocks of QEMU's
// usb-storage (qemu-xhci, the metal host's xHCI driver, Bulk-Only Transport: CBW, data, CSW
// per block) for a Linux host on a TAP, and the baseline is kv.sabz.city on the same node
// answering GETs of 512-byte values from its virtio-blk disk, the same datagram size, over
// the same TAP and UDP client. So the ratio is what a block costs through USB against
// virtio-blk, with the network and the service's datagram path the same on both sides.
// Needs root (netns, TAP) and what a metal image needs; without them it says why.
// Figures only, no assertions; about 30 s.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { MTL_KERNEL_LINE } from "../../abi/metal";
import { metalImageOf, metalMissing, RunningQemu, tempDir } from "../metal/qemu";
import { adoptTap, dropHost, makeTap, TapHost } from "../metal/tap";
import { usbArgs } from "../metal/usb";
import { missing } from "../e2e/linux";
import { waitFor } from "../wait";
import { askIn, rateIn, Rate } from "../usbdisk/remote";

const SECONDS = 5;
const WINDOWS = [1, 4];
const BLOCKS = 16384;        // an 8 MiB stick
const KEYS = 64;
const TAG = (process.pid % 900) + 100;
const PREFIX = `fd00:bf:${TAG}::`;
const MAC = "02:00:5a:b2:bf:01";
const KV = `${PREFIX}70`, DISK = `${PREFIX}71`, LINUX = `${PREFIX}100`;

type Out = (line: string) => void;

const manifest = (kvDisk: string) => `
node: { name: b${TAG}.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtio, mac: "${MAC}", prefixes: ["${PREFIX}/64"] }
disks:
  - { name: data, path: ${kvDisk}, size: 1MiB }
usb:
  - { name: stick, device: "46f4:0001" }
services:
  - { domain: kv.sabz.city, module: build/wasm/services/kv.wasm, addresses: ["${KV}"], ram: { min: 64KiB, max: 1MiB },
      disk: [{ device: data, offset: 0, length: 1MiB, rights: [read, write] }] }
  - { domain: usbdisk.sabz.city, module: build/wasm/services/usbdisk.wasm, addresses: ["${DISK}"], ram: { min: 64KiB, max: 1MiB },
      usb: [{ device: stick, rights: [read, write] }] }
`;

const perS = (r: Rate) => r.ms > 0 ? (r.replies - r.errs) / (r.ms / 1000) : 0;

export async function usbdiskBench(out: Out): Promise<void> {
  const why = missing(["ip"]) ?? metalMissing();
  if (why !== null) { out(`usbdisk: not measured: ${why}`); return; }
  const dir = tempDir("usbbench");
  const dev = `mqp${TAG}`, ns = `mq${TAG}`;
  let qemu: RunningQemu | null = null, host: TapHost | null = null;
  try {
    const img = path.join(dir, "stick.img");
    fs.writeFileSync(img, crypto.randomBytes(BLOCKS * 512));
    const elf = path.join(dir, "node.elf");
    const image = await metalImageOf(manifest(path.join(dir, "kv.img")), elf);
    makeTap(dev);
    qemu = new RunningQemu(image, elf, { taps: { lan0: dev }, extra: usbArgs({ controller: false, stick: img }), seconds: 120 });
    await qemu.line(new RegExp(`^${MTL_KERNEL_LINE}`), 30000);
    host = adoptTap(dev, ns, [`${LINUX}/64`]);
    const info = await waitFor(async () => {
      const [r] = await askIn(ns, DISK, 7071, ["INFO"]);
      return r?.toString().startsWith("OK") ? r.toString() : null;
    }, 60000, "usbdisk to answer INFO", 500);
    // kv's values: 512 printable bytes each (kv trims a trailing line end), as many as fit.
    const values = Array.from({ length: KEYS }, () => crypto.randomBytes(384).toString("base64"));
    const puts = await askIn(ns, KV, 7070, values.map((v, i) => `PUT k${i} ${v}`));
    const failed = puts.filter((r) => r?.toString() !== "OK").length;
    if (failed) { out(`usbdisk: not measured: kv refused ${failed} of ${KEYS} PUTs (${puts.find((r) => r?.toString() !== "OK")})`); return; }
    out(`USB mass storage on the metal host under QEMU TCG (qemu-xhci + usb-storage, ${info}); baseline kv GET of 512-byte values from virtio-blk, same node, same TAP, ${SECONDS} s each`);
    const reads = Array.from({ length: 1024 }, (_, i) => `READ ${(i * 7) % BLOCKS}`);
    const gets = Array.from({ length: KEYS }, (_, i) => `GET k${i}`);
    for (const w of WINDOWS) {
      const usb = await rateIn(ns, DISK, 7071, reads, SECONDS, w);
      const kv = await rateIn(ns, KV, 7070, gets, SECONDS, w);
      const u = perS(usb), k = perS(kv);
      out(`  window ${w}: usbdisk READ ${u.toFixed(0).padStart(6)} blocks/s = ${(u * 512 / 1024).toFixed(0).padStart(5)} KiB/s` +
        `   kv GET ${k.toFixed(0).padStart(6)} values/s = ${(k * 512 / 1024).toFixed(0).padStart(5)} KiB/s   ratio ${k > 0 ? (u / k).toFixed(2) : "-"} of kv` +
        (usb.errs + kv.errs ? `   (${usb.errs} usbdisk and ${kv.errs} kv ERR replies)` : ""));
    }
  } catch (e) {
    out(`usbdisk: not measured: ${e instanceof Error ? e.message.split("\n")[0] : e}`);
  } finally {
    await qemu?.kill();
    if (host) dropHost(host); else dropHost({ ns, dev });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
