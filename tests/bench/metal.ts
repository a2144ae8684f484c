// The in-process figures of bench.ts on the metal host, in the same run: the node's bench
// mode (hosts/metal/src/node/bench.rs, `bench=` on the command line) feeds one frame to k_rx
// over and over under QEMU (TCG) — or, with bench-batch=1 ("<case>/batch"), BATCH records
// of it to each k_rx_batch, as the Run loop hands frames over — polls every BATCH frames and
// counts what the kernel sends instead of sending it, timing the loop with the TSC. Same kernel, same frames,
// same manifest (its virtual NICs become virtio NICs, which bench mode never opens), so
// the ratio to the Node host's figure is the cost of the host under emulation — QEMU's TCG
// translating wasmtime's x86 code, not a PC's speed. Also the image's size.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { ROOT } from "../../hosts/node/paths";
import { parseManifest } from "../../loader/manifest";
import { composeMetal } from "../../loader/metal/image";
import { findWasmtimeMetal } from "../../loader/metal/wasmtime";
import { KERNEL_WASM } from "../../cli/image";
import { BOOT_BIN } from "../../cli/image_metal";
import { BenchFrames } from "./wasmtime";

const QEMU = "/usr/bin/qemu-system-x86_64";
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** The manifest with every virtual NIC turned into a virtio NIC at its place in PCI order. */
export function asMetalManifest(yaml: string): string {
  let pci = 0;
  return yaml.replace(/kind: virtual/g, () => `kind: virtio, virtio: { pci: ${pci++} }`);
}

/** Packets per second and frames sent for each case, and the image's size; or why it could not run. */
export async function metalRates(yaml: string, frames: BenchFrames): Promise<{ rates: Map<string, { rate: number; sent: number }>; bytes: number } | string> {
  if (!fs.existsSync(QEMU)) return `no QEMU (${QEMU}; Debian qemu-system-x86)`;
  if (!fs.existsSync(BOOT_BIN)) return `no boot image ${BOOT_BIN} (npm run build makes it when cargo is here)`;
  if (findWasmtimeMetal() === null) return "no wasmtime CLI for metal images (tests/setup.js installs it)";
  const file = path.join(os.tmpdir(), `persia-bench-${process.pid}.elf`);
  const image = await composeMetal(parseManifest(asMetalManifest(yaml), "bench.yaml", ROOT), {
    kernel: fs.readFileSync(KERNEL_WASM), boot: fs.readFileSync(BOOT_BIN),
  });
  fs.writeFileSync(file, image.bytes);
  const rates = new Map<string, { rate: number; sent: number }>();
  try {
    for (const c of frames.cases) for (const batch of [false, true]) {
      const append = [...frames.setup.map(([nic, f]) => `bench-setup=${nic}:${hex(f)}`),
        `bench=${c.nic}:${hex(c.frame)}`, `bench-count=${c.count}`, ...(batch ? ["bench-batch=1"] : []), "quiet"].join(" ");
      const r = spawnSync("timeout", ["--kill-after=2", "300", QEMU, "-accel", "tcg", "-cpu", "max", "-m", "512M", "-display", "none",
        "-serial", "stdio", "-monitor", "none", "-no-reboot", "-nic", "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-kernel", file, "-append", append], { encoding: "utf8", maxBuffer: 1 << 24 });
      const m = /^bench (\d+) (\d+) (\d+)\r?$/m.exec(r.stdout);
      if (m === null) return `the metal node's bench mode failed (QEMU exit ${r.status}): ${r.stdout.slice(-500)}`;
      rates.set(batch ? `${c.name}/batch` : c.name, { rate: Number(m[1]) / (Number(m[2]) / 1e9), sent: Number(m[3]) });
    }
  } finally {
    fs.rmSync(file, { force: true });
  }
  return { rates, bytes: image.bytes.length };
}
