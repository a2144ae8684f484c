// `persia build`: generate the ABI bindings (abi/gen.ts), then compile the kernel and
// every service and the wasmtime image's WASI shim (hosts/wasi) with the AssemblyScript
// compiler, using the targets in asconfig.json; then the metal host's boot image
// (hosts/metal/build.ts: cargo, into build/metal/); then, where the machine has a C
// compiler, the router benchmark's TAP relay (tests/bench/tap_relay.c, into build/bench/).
// Services are the folders under services/ with a main.ts (the SDK has none); test
// services under tests/services/ compile with the shared "service" target, and
// tests/kernel/crypto/entry.ts (kernel/crypto exported to Node) with "crypto-test", and
// tests/kernel/cert/entry.ts (kernel/cert exported to Node) with "cert-test".
// Outputs go to build/wasm/ and are never committed.
import * as fs from "fs";
import * as path from "path";
import { spawn, spawnSync } from "child_process";
import { generate } from "../abi/gen";
import { ROOT } from "../hosts/node/paths";
import { KERNEL_EXPORTS, HOST_IMPORTS, HOST_MODULE, SHIM_EXPORTS, SHIM_HOST_IMPORTS } from "../abi/contract";
import { contractProblems } from "../loader/wasm/contract";
import { buildMetal } from "../hosts/metal/build";

interface Job { name: string; entry: string; target: string; out?: string }

function ascPath(): string {
  const pkg = require.resolve("assemblyscript/package.json", { paths: [ROOT] });
  return path.join(path.dirname(pkg), "bin/asc.js");
}

function run(job: Job): Promise<void> {
  const args = [ascPath(), job.entry, "--config", "asconfig.json", "--target", job.target];
  if (job.out) args.push("--outFile", job.out);
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("close", (code) => {
      const warnings = /WARNING|ERROR/.test(out);
      if (code === 0 && !warnings) return resolve();
      reject(new Error(`building ${job.name} from ${job.entry} failed (asc exit ${code}):\n${out.trim()}`));
    });
  });
}

function jobs(): Job[] {
  const asconfig = JSON.parse(fs.readFileSync(path.join(ROOT, "asconfig.json"), "utf8"));
  const list: Job[] = [
    { name: "kernel", entry: "kernel/main.ts", target: "kernel" },
    { name: "WASI shim", entry: "hosts/wasi/main.ts", target: "shim" },
    { name: "TAP checksums", entry: "hosts/node/nic/csum/main.ts", target: "csum" },
  ];
  for (const dir of fs.readdirSync(path.join(ROOT, "services")).sort()) {
    const entry = path.join("services", dir, "main.ts");
    if (!fs.existsSync(path.join(ROOT, entry))) continue;
    if (!asconfig.targets[dir]) throw new Error(`service ${dir} has no target in asconfig.json; add one like "echo"`);
    list.push({ name: `service ${dir}`, entry, target: dir });
  }
  list.push({ name: "crypto test module", entry: "tests/kernel/crypto/entry.ts", target: "crypto-test" });
  list.push({ name: "certificate test module", entry: "tests/kernel/cert/entry.ts", target: "cert-test" });
  list.push({ name: "module signature test module", entry: "tests/kernel/svc/modsig_entry.ts", target: "modsig-test" });
  const testDir = path.join(ROOT, "tests/services");
  if (fs.existsSync(testDir)) {
    for (const dir of fs.readdirSync(testDir).sort()) {
      const entry = path.join("tests/services", dir, "main.ts");
      if (!fs.existsSync(path.join(ROOT, entry))) continue;
      list.push({ name: `test service ${dir}`, entry, target: "service", out: `build/wasm/tests/${dir}.wasm` });
    }
  }
  return list;
}

/** Build everything, two compilers at a time (the machines have two cores). */
export async function build(log: (line: string) => void = () => {}): Promise<string[]> {
  generate(path.join(ROOT, "abi/gen"));
  const pending = jobs();
  const done: string[] = [];
  const worker = async () => {
    for (let job = pending.shift(); job; job = pending.shift()) {
      const t0 = Date.now();
      await run(job);
      done.push(job.name);
      log(`built ${job.name} in ${Date.now() - t0} ms`);
    }
  };
  await Promise.all([worker(), worker()]);
  checkContract();
  if (await buildMetal(log)) done.push("metal image");
  if (buildTapRelay(log)) done.push("TAP relay");
  return done;
}

/** Where `npm run build` puts the router benchmark's yardstick (tests/bench/tap_relay.c). */
export const TAP_RELAY = path.join(ROOT, "build/bench/tap_relay");

/** The router benchmark's TAP relay, with the machine's C compiler (`cc`). It belongs to no
 *  host and nothing but the benchmark runs it, so a machine without a compiler, or not Linux
 *  (the relay needs <linux/if_tun.h>), skips it with a line saying so and the benchmark then
 *  says the TAP bound was not measured. Warnings are shown, not fatal: a newer compiler's new
 *  warning must not fail a build over a benchmark's tool. */
function buildTapRelay(log: (line: string) => void): boolean {
  const src = "tests/bench/tap_relay.c";
  const skip = (why: string) => {
    fs.rmSync(TAP_RELAY, { force: true });            // never a stale relay from an earlier build
    log(`skipped the TAP relay (${src}): ${why}, so the router benchmark will not measure the TAP bound`);
    return false;
  };
  if (process.platform !== "linux") return skip(`it needs Linux, and this is ${process.platform}`);
  fs.mkdirSync(path.dirname(TAP_RELAY), { recursive: true });
  const t0 = Date.now();
  const r = spawnSync("cc", ["-O2", "-Wall", "-Wextra", "-o", TAP_RELAY, src], { cwd: ROOT, encoding: "utf8" });
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === "ENOENT") return skip("no C compiler (cc) on this machine");
    throw new Error(`running cc for ${src} failed: ${r.error.message}`);
  }
  if (r.status !== 0) {
    throw new Error(`compiling ${src} with cc failed (${r.signal ? `killed by ${r.signal}` : `exit ${r.status}`}):\n${r.stderr.trim()}`);
  }
  if (r.stderr.trim()) log(r.stderr.trim());
  log(`built TAP relay in ${Date.now() - t0} ms`);
  return true;
}

/** kernel.wasm and the WASI shim against abi/contract.ts (loader/wasm/contract.ts): what
 *  every host calls and what the composer wires must be there with exactly its type. */
function checkContract(): void {
  const wasm = (name: string) => new Uint8Array(fs.readFileSync(path.join(ROOT, "build/wasm", name)));
  const shimFns = [...SHIM_EXPORTS, ...HOST_IMPORTS.filter((f) => SHIM_HOST_IMPORTS.includes(f.name))];
  const problems = [
    ...contractProblems(wasm("kernel.wasm"), KERNEL_EXPORTS, HOST_MODULE, HOST_IMPORTS).map((p) => `kernel.wasm (kernel/main.ts) ${p}`),
    ...contractProblems(wasm("shim.wasm"), shimFns).map((p) => `shim.wasm (hosts/wasi/main.ts) ${p}`),
  ];
  if (problems.length) {
    throw new Error(`the build does not keep abi/contract.ts:\n  ${problems.join("\n  ")}\n` +
      "Change the module or the contract (and spec/abi.md with it), then build again.");
  }
}
