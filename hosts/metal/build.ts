// Builds the metal host's boot image (spec/metal.md "Boot"), called by `persia build`
// (cli/build.ts) after the Wasm: cargo builds hosts/metal for x86_64-unknown-none into
// build/metal/target, then build/metal/persia-metal.elf (the ELF64 with symbols, for a
// debugger) and build/metal/persia-metal.bin (the flat image QEMU and GRUB load at 1 MiB;
// `persia image --target metal` appends the payload at its end, which is __payload).
// Without cargo or the target it skips the image with a line saying why; under CI=true it
// fails instead. It does not build the payload or an ELF32/ISO (loader/metal/ does).
import * as fs from "fs";
import * as path from "path";
import { spawn, spawnSync } from "child_process";
// Compiled to build/ts/hosts/metal/build.js: four levels up is the checkout (no host
// imports another host, so hosts/node/paths.ts is not used).
const ROOT = path.resolve(__dirname, "../../../..");

const CRATE = path.join(ROOT, "hosts/metal");
const OUT = path.join(ROOT, "build/metal");
const TARGET = "x86_64-unknown-none";
/** The image's first bytes: the Multiboot 1 header (src/boot.rs) starts with this magic. */
const MULTIBOOT_MAGIC = 0x1badb002;
/** link.ld aligns the image's end (__payload) to this. */
const PAGE = 4096;

export interface MetalImage { bin: string; elf: string; bytes: number }

function tool(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { cwd: CRATE, encoding: "utf8" });
  return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() };
}

/** Why the image cannot be built on this machine, or null when cargo and the target are here. */
function missingToolchain(): string | null {
  if (!tool("cargo", ["--version"]).ok) {
    return "cargo is not installed: install Rust stable 1.95 (rustup) and `rustup target add x86_64-unknown-none`";
  }
  const installed = tool("rustup", ["target", "list", "--installed"]);
  if (installed.ok && installed.out.split("\n").includes(TARGET)) return null;
  const add = tool("rustup", ["target", "add", TARGET]);
  if (add.ok) return null;
  return `the Rust target ${TARGET} is not installed and \`rustup target add ${TARGET}\` failed (${add.out || "no rustup"}); install it`;
}

function objcopyTool(): string | null {
  for (const t of ["objcopy", "llvm-objcopy", "rust-objcopy"]) if (tool(t, ["--version"]).ok) return t;
  return null;
}

function cargoBuild(log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, CARGO_TARGET_DIR: path.join(OUT, "target") };
    // cwd = the crate, so that hosts/metal/.cargo/config.toml (target, rustflags) applies.
    const p = spawn("cargo", ["build", "--release", "--locked"], { cwd: CRATE, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("close", (code) => {
      if (code === 0) return resolve();
      log(out.trim());
      reject(new Error(`building the metal host (cargo build --release in hosts/metal) failed with exit ${code}; the output is above`));
    });
  });
}

/** The flat image must start with the Multiboot header and end on a page (__payload). */
function checkImage(bin: string): number {
  const bytes = fs.readFileSync(bin);
  if (bytes.length < 12 || bytes.readUInt32LE(0) !== MULTIBOOT_MAGIC) {
    throw new Error(`${bin} does not start with the Multiboot header; check hosts/metal/link.ld keeps .multiboot first`);
  }
  if (bytes.length % PAGE !== 0) {
    throw new Error(`${bin} is ${bytes.length} bytes, not a multiple of ${PAGE}: its end is not __payload; check hosts/metal/link.ld`);
  }
  return bytes.length;
}

/** Builds the boot image; null when it was skipped (the reason is logged). */
export async function buildMetal(log: (line: string) => void = () => {}): Promise<MetalImage | null> {
  const t0 = Date.now();
  const objcopy = objcopyTool();
  const why = missingToolchain() ?? (objcopy ? null : "no objcopy (binutils or llvm-objcopy) to make the flat image; install binutils");
  if (why) {
    if (process.env.CI === "true") throw new Error(`the metal image is required under CI: ${why}`);
    log(`metal image skipped: ${why}`);
    return null;
  }
  fs.mkdirSync(OUT, { recursive: true });
  await cargoBuild(log);
  const built = path.join(OUT, "target", TARGET, "release", "persia-metal");
  const elf = path.join(OUT, "persia-metal.elf");
  const bin = path.join(OUT, "persia-metal.bin");
  fs.copyFileSync(built, elf);
  const r = spawnSync(objcopy!, ["-O", "binary", elf, bin], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${objcopy} -O binary ${elf} failed: ${(r.stderr ?? "").trim()}`);
  const bytes = checkImage(bin);
  log(`built metal image (${bytes} bytes) in ${Date.now() - t0} ms`);
  return { bin, elf, bytes };
}
