// Running a metal image under QEMU, for the tests: what the tests need (QEMU, the boot
// image, the pinned wasmtime that precompiles; missing under CI=true is a failure, else a
// skip with the reason), building an image with `persia image --target metal`'s code, and
// a runner that starts QEMU under `timeout` with the arguments `persia image` prints,
// collects the serial console, waits for a line, kills it, and gives its exit status
// (isa-debug-exit: 1 the node stopped as asked, 3 it failed; 124 the timeout).
// Does not set up networks (tests/e2e/linux.ts does).
import { spawn, ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../../hosts/node/paths";
import { parseManifest } from "../../loader/manifest";
import { composeMetal, MetalImage, qemuArgs, QemuOptions } from "../../loader/metal/image";
import { findWasmtimeMetal } from "../../loader/metal/wasmtime";
import { KERNEL_WASM, statusFromOutput } from "../../cli/image";
import { BOOT_BIN } from "../../cli/image_metal";
import { IMG_STATUS_PREFIX } from "../../abi/image";
import { MtlExit } from "../../abi/metal";
import { Status } from "../../loader/status/decode";

export const QEMU = "/usr/bin/qemu-system-x86_64";
/** QEMU's exit status for each MtlExit code written to isa-debug-exit: (code << 1) | 1. */
export const EXIT_STOPPED = (MtlExit.STOPPED << 1) | 1;
export const EXIT_FAILED = (MtlExit.FAILED << 1) | 1;
/** `timeout`'s status when it had to stop QEMU. */
export const EXIT_TIMEOUT = 124;

/** Why a metal image cannot be built and booted here, or null. */
export function metalMissing(): string | null {
  if (!fs.existsSync(QEMU)) return `${QEMU} is missing (node tests/setup.js installs qemu-system-x86)`;
  if (!fs.existsSync(BOOT_BIN)) return `${BOOT_BIN} is not built (npm run build builds hosts/metal)`;
  if (!fs.existsSync(KERNEL_WASM)) return `${KERNEL_WASM} is not built (npm run build)`;
  if (findWasmtimeMetal() === null) return "the pinned wasmtime for metal images is not installed (node tests/setup.js)";
  return null;
}

/** `skip` for a test that boots a metal image; under CI=true a missing piece throws. */
export function metalOrSkip(): string | false {
  const why = metalMissing();
  if (why === null) return false;
  if (process.env.CI === "true") throw new Error(`the metal tests cannot run under CI: ${why}`);
  console.log(`# skipped: ${why}`);
  return why;
}

/** A fresh directory for one test's image, disks and logs. */
export function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `persia-metal-${tag}-`));
}

/** Builds the metal image of a manifest given as YAML text (paths relative to the
 *  repository) into `out`. */
export async function metalImageOf(yaml: string, out: string): Promise<MetalImage> {
  const image = await composeMetal(parseManifest(yaml, "metal.yaml", ROOT), {
    kernel: fs.readFileSync(KERNEL_WASM), boot: fs.readFileSync(BOOT_BIN),
  });
  fs.writeFileSync(out, image.bytes);
  // QEMU opens a disk file as it is; the Node host would make a missing one at its size.
  for (const d of image.plan.disks) if (!fs.existsSync(d.path)) fs.writeFileSync(d.path, new Uint8Array(d.size));
  return image;
}

/** QEMU running an image: its serial console so far, its exit status once it exits. */
export class RunningQemu {
  serial = "";
  stderr = "";
  exit: number | null = null;
  private readonly proc: ChildProcess;
  private readonly waiters: (() => void)[] = [];

  /** Starts QEMU with `persia image`'s arguments for `image` at `file`, stopped by
   *  `timeout` after `seconds` whatever happens (and killed 2 s later). `prefix` runs it
   *  through another command first (e.g. `ip netns exec ns`: QEMU opens each TAP by name
   *  in its own namespace). */
  constructor(image: Pick<MetalImage, "plan"> & Partial<Pick<MetalImage, "ram">>, file: string, opts: QemuOptions & { seconds?: number; prefix?: string[] } = {}) {
    const args = qemuArgs(image.plan, file, { memoryMiB: image.ram?.mib, ...opts });
    const cmd = [...(opts.prefix ?? []), "timeout", "--kill-after=2", String(opts.seconds ?? 60), QEMU, ...args];
    this.proc = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    this.proc.stdout!.on("data", (d) => { this.serial += d; this.wake(); });
    this.proc.stderr!.on("data", (d) => { this.stderr += d; this.wake(); });
    this.proc.on("close", (code) => { this.exit = code ?? -1; this.wake(); });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** The serial console as lines, without serial's \r. */
  get lines(): string[] {
    return this.serial.replace(/\r/g, "").split("\n");
  }

  private tail(): string {
    return `serial:\n${this.serial.replace(/\r/g, "").slice(-3000)}\nqemu stderr:\n${this.stderr.slice(-1000)}`;
  }

  /** Resolves when `pred` holds (checked on every output), or rejects after ms or when
   *  QEMU exits first. */
  until(pred: () => boolean, ms: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}; QEMU ` +
        `${this.exit === null ? "still runs" : `exited ${this.exit}`}\n${this.tail()}`)), ms);
      const check = () => {
        if (pred()) { clearTimeout(timer); resolve(); return; }
        if (this.exit !== null) { clearTimeout(timer); reject(new Error(`QEMU exited ${this.exit} before ${what}\n${this.tail()}`)); return; }
        this.waiters.push(check);
      };
      check();
    });
  }

  /** The first whole serial line matching re, waiting up to ms for it. */
  async line(re: RegExp, ms = 10000): Promise<string> {
    const find = () => this.lines.slice(0, -1).find((l) => re.test(l));
    await this.until(() => find() !== undefined, ms, `a serial line matching ${re}`);
    return find()!;
  }

  /** How many whole status lines the serial console carried so far. */
  get statusCount(): number {
    return this.lines.slice(0, -1).filter((l) => l.startsWith(IMG_STATUS_PREFIX)).length;
  }

  /** The status of a line printed after this call. */
  async freshStatus(ms = 5000): Promise<Status> {
    const seen = this.statusCount;
    await this.until(() => this.statusCount > seen, ms, "a fresh status line");
    return statusFromOutput(this.serial);
  }

  /** Resolves to QEMU's exit status once it exits by itself (or by the timeout). */
  async exited(ms = 30000): Promise<number> {
    if (this.exit === null) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`QEMU did not exit within ${ms} ms\n${this.tail()}`)), ms);
        const check = () => { if (this.exit !== null) { clearTimeout(timer); resolve(); } else this.waiters.push(check); };
        check();
      });
    }
    return this.exit!;
  }

  /** Stops QEMU (SIGTERM to `timeout`, which passes it on; SIGKILL if it lingers). */
  async kill(): Promise<void> {
    if (this.exit !== null) return;
    this.proc.kill("SIGTERM");
    await this.exited(5000).catch(() => { this.proc.kill("SIGKILL"); });
  }
}
