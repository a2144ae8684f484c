// What checking a module's signature costs (spec/security.md, "Signed modules"): a ~100 KB
// module (echo and a 100 KB custom section) signed in the tool-conventions format, checked
//   kernel    by the kernel's own code (kernel/svc/modsig.ts: two SHA-256 passes, the
//             file's and the sections', and one ed25519 verification) under Node, through
//             build/wasm/tests/modsig.wasm, reading the module in MODULE_CHUNK pieces
//   node      by the loader's check with node's native crypto (loader/modsig/verify.ts)
//   wasmsign2 by `wasmsign2 verify` (0.2.8), one process per check: its time for the 100 KB
//             module, and that minus its time for a tiny one (the process's start-up)
// in the same run, best of RUNS, with the ratios. Prints figures; asserts nothing.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import nacl from "tweetnacl";
import { ROOT, WASM_DIR } from "../../hosts/node/paths";
import { signModule } from "../../loader/modsig/sign";
import { customSection, WASM_HEADER } from "../../loader/modsig/format";
import { modsigProblem, sha256 } from "../../loader/modsig/verify";
import { toWasmsign2Public } from "../../loader/modsig/keys";
import { wasmsign2Path } from "../wasmsign2";

const PAD = 100 * 1024;                     // bytes of the custom section that makes the module ~100 KB
const CHECKS = 50;                          // checks per timed run (kernel, node)
const SPAWNS = 10;                          // wasmsign2 processes per timed run
const RUNS = 3;

interface Modsig {
  memory: WebAssembly.Memory;
  buf(): number; arg(): number;
  reset(): void;
  addPublisher(key: number, domain: number, dl: number): number;
  verifyMany(size: number, hash: number, domain: number, dl: number, count: number): number;
}

function best(f: () => void): number {
  let t = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    f();
    t = Math.min(t, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return t;
}

export async function modsigBench(out: (line: string) => void): Promise<void> {
  const seed = new Uint8Array(32).fill(5), pk = nacl.sign.keyPair.fromSeed(seed).publicKey;
  const echo = fs.readFileSync(path.join(WASM_DIR, "services/echo.wasm"));
  const big = signModule(new Uint8Array(Buffer.concat([echo, customSection("pad", new Uint8Array(PAD).fill(0x5a))])), seed);
  const tiny = signModule(Uint8Array.of(...WASM_HEADER), seed);
  const hash = sha256(big), domain = Buffer.from("echo.sabz.city");

  const w = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(path.join(ROOT, "build/wasm/tests/modsig.wasm"))),
    { env: { abort: () => { throw new Error("abort in modsig.wasm"); } } }).exports as unknown as Modsig;
  const put = (at: number, b: Uint8Array) => new Uint8Array(w.memory.buffer, at, b.length).set(b);
  const A = w.arg();
  w.reset(); put(A, pk); put(A + 32, Buffer.from("sabz.city")); w.addPublisher(A, A + 32, 9);
  put(w.buf(), big); put(A + 64, hash); put(A + 96, domain);
  const kernel = best(() => { if (w.verifyMany(big.length, A + 64, A + 96, domain.length, CHECKS) !== CHECKS) throw new Error("the kernel refused the bench module"); }) / CHECKS;
  const pubs = [{ key: pk, domain: "sabz.city" }];
  const node = best(() => { for (let i = 0; i < CHECKS; i++) if (modsigProblem(big, pubs, "echo.sabz.city", hash) !== null) throw new Error("node refused it"); }) / CHECKS;
  out(`Module signatures: a ${(big.length / 1024).toFixed(0)} KiB module (tool-conventions format, ed25519 over SHA-256), best of ${RUNS}`);
  out(`  kernel under Node  ${kernel.toFixed(3).padStart(8)} ms per check`);
  out(`  node's crypto      ${node.toFixed(3).padStart(8)} ms per check     kernel ${(kernel / node).toFixed(1)}× node`);
  const tool = wasmsign2Path();
  if (tool === null) { out("  wasmsign2: not measured: not installed (cargo install wasmsign2-cli --version 0.2.8)"); return; }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-bench-modsig-"));
  try {
    fs.writeFileSync(path.join(dir, "pk"), toWasmsign2Public(pk));
    fs.writeFileSync(path.join(dir, "big.wasm"), big);
    fs.writeFileSync(path.join(dir, "tiny.wasm"), tiny);
    const spawn = (f: string) => best(() => {
      for (let i = 0; i < SPAWNS; i++) {
        const r = spawnSync(tool, ["verify", "-K", path.join(dir, "pk"), "-i", path.join(dir, f)]);
        if (r.status !== 0) throw new Error(`wasmsign2 verify refused ${f}: ${r.stderr}`);
      }
    }) / SPAWNS;
    const wsBig = spawn("big.wasm"), wsTiny = spawn("tiny.wasm");
    const wsWork = Math.max(wsBig - wsTiny, 0.001);
    out(`  wasmsign2 verify   ${wsBig.toFixed(3).padStart(8)} ms per process   kernel ${(kernel / wsBig).toFixed(2)}× a whole wasmsign2 run`);
    out(`    less start-up    ${wsWork.toFixed(3).padStart(8)} ms (its run on a tiny module: ${wsTiny.toFixed(3)} ms)   kernel ${(kernel / wsWork).toFixed(1)}× its work`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) modsigBench((l) => console.log(l)).catch((e) => { console.error(e); process.exit(1); });
