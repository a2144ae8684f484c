// `npm run mutate`: break one guarantee at a time and check that a test notices.
//
// Each mutant in mutants.ts is a one-line change to the source (a rights check dropped, a
// rate limit loosened, a checksum not checked). The runner copies the tracked files into a
// scratch directory per job (build/ and node_modules come along as they are: build/ is copied
// but for its big read-only toolchains and images, which are linked, as is node_modules), and
// then for each mutant, slowest first: applies the change, rebuilds only what the mutant's
// tests read (nothing for an as-pect spec, which compiles the kernel from source; the kernel
// with asc for a Node test of kernel code; for loader or host code, the one changed file
// transpiled where that emits what tsc did, else TypeScript with tsc, incrementally; that
// service with asc for services/<name>/), runs those tests, and puts the
// file and the unmutated build (kept aside per copy) back. A mutant whose tests
// fail is killed; one whose tests pass survived, and the run fails. A mutant that does
// not build, or whose original text is not found exactly once, is an error in the list and
// fails the run too (the guarantee moved; fix the mutant, not the test).
//
//   node build/ts/tests/mutate/run.js              every mutant
//   node build/ts/tests/mutate/run.js --sample     a quick fixed set (SAMPLE in mutants.ts)
//   node build/ts/tests/mutate/run.js --only id,id  some by id
//   node build/ts/tests/mutate/run.js --list       print the list and stop
//   --jobs N                                       mutants at a time, each in its own copy
//                                                  (default: one per core)
//   --tests-passed                                 every named test has just passed unmutated
//                                                  on this tree and build (tests/run.js says so):
//                                                  each copy runs only two of them first
//
// It ends with "N killed, N survived, N errors" and a score; with --tally it also prints
// "N passed, N failed" (a killed mutant passes) for tests/run.js to count.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn, spawnSync } from "child_process";
import { MUTANTS, Mutant, SAMPLE } from "./mutants";

const ROOT = path.resolve(__dirname, "../../../..");
/** A mutant's tests are stopped after this long; a hang counts as a kill (the guarantee's
 *  test did not pass), and the time is printed so a slow test is seen. */
const TEST_TIMEOUT_MS = 180_000;

/** What a mutant rebuilds; "service:kv" is build/wasm/services/kv.wasm. */
type Artifact = "kernel" | "ts" | "modsig" | "csum" | `service:${string}`;

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** What a mutant's tests read of what it changes: as-pect specs compile kernel sources
 *  themselves; Node tests read build/wasm/kernel.wasm or build/ts. */
function needs(m: Mutant): Artifact[] {
  const out: Artifact[] = [];
  const nodeTests = m.tests.some((t) => !t.endsWith(".spec.ts"));
  if (!nodeTests) return out;
  if (KERNEL_SOURCES.some((d) => m.file.startsWith(d))) out.push("kernel");
  if (MODSIG_SOURCES.includes(m.file)) out.push("modsig");
  if (m.file.startsWith(CSUM_SOURCES)) out.push("csum");
  else if (TS_SOURCES.some((d) => m.file.startsWith(d))) out.push("ts");
  const svc = /^services\/([a-z0-9_-]+)\//.exec(m.file);
  if (svc && svc[1] !== "sdk") out.push(`service:${svc[1]}`);   // the SDK is in every service: not rebuilt here,
  if (svc && svc[1] === "sdk") for (const x of m.services ?? []) out.push(`service:${x}`);   // but those its mutant names are
  return out;
}

/** What kernel.wasm is compiled from, and what tsc compiles (tsconfig.json). A mutant
 *  elsewhere (hosts/wasi, services/sdk, kernel/crypto's test module) has nothing here that
 *  rebuilds what its Node tests read, so check() refuses it rather than let it survive. */
const KERNEL_SOURCES = ["kernel/", "wire/", "abi/"];
const TS_SOURCES = ["abi/", "wire/layout/", "loader/", "hosts/node/", "cli/", "tests/"];
/** The Node host's AssemblyScript: the TAP's checksum loop (build/wasm/csum.wasm), which tsc
 *  leaves out. */
const CSUM_SOURCES = "hosts/node/nic/csum/";
/** The module signature check, which tests/kernel/modsig.test.ts reads from its own test
 *  module (build/wasm/tests/modsig.wasm) as well as from kernel.wasm. */
const MODSIG_SOURCES = ["kernel/svc/modsig.ts", "kernel/svc/publishers.ts"];
const rebuildable = (m: Mutant) => m.tests.every((t) => t.endsWith(".spec.ts")) ||
  (!m.file.startsWith("kernel/crypto/") && needs(m).length > 0);

/** Runs cmd under coreutils' timeout, which stops the command's whole process group (a
 *  test's own children too: node's test runner, a wasmtime) when the time is up. */
function sh(cmd: string, args: string[], cwd: string, timeout = TEST_TIMEOUT_MS, env: NodeJS.ProcessEnv = {}):
  Promise<{ ok: boolean; timedOut: boolean; out: string }> {
  return new Promise((resolve) => {
    const p = spawn("timeout", ["-k", "5", String(timeout / 1000), cmd, ...args],
      { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("close", (code) => resolve({ ok: code === 0, timedOut: code === 124 || code === 137, out }));
  });
}

/** Big read-only parts of build/ (toolchains, guest images, cargo's target) are linked into
 *  a scratch copy, not copied: no mutant rebuilds them, and copying ~0.9 GB per job took
 *  longer than many mutants. Everything else in build/ is copied. */
const LINKED_BUILD = ["tools", "usbguest", "metal", "target"];
/** tsc's incremental state in a scratch copy, so that a mutant of TypeScript re-checks and
 *  re-emits what the changed file affects rather than the whole program. */
const TSBUILDINFO = "build/mutate.tsbuildinfo";

interface Scratch { dir: string; pristine: string }

/** A TypeScript mutant changes one file, whose emitted JavaScript tsc would rewrite and little
 *  else. transpile() emits just that file, as tsc would (tsconfig.json's options, the same
 *  compiler), in a few milliseconds instead of an incremental tsc's 5–8 s. It is used for a
 *  file only where transpiling the unmutated text gives, byte for byte, what tsc emitted into
 *  the build: then nothing the file takes from the rest of the program (another file's const
 *  enum, say) is lost by emitting it alone. Other files go through tsc. Transpiling does not
 *  type-check: typeErrors() does that for the mutated file. */
let tsc: { ts: typeof import("typescript"); options: import("typescript").CompilerOptions; files: string[] } | null = null;
/** The repository's TypeScript compiler, with tsconfig.json's options and files; loaded once. */
function typescript(): NonNullable<typeof tsc> {
  if (!tsc) {
    const ts = require(path.join(ROOT, "node_modules/typescript")) as typeof import("typescript");
    const config = ts.parseJsonConfigFileContent(ts.readConfigFile(path.join(ROOT, "tsconfig.json"), ts.sys.readFile).config, ts.sys, ROOT);
    tsc = { ts, options: config.options, files: config.fileNames };
  }
  return tsc;
}
function transpile(file: string, text: string): { js: string; errors: string } {
  const { ts, options } = typescript();
  const out = ts.transpileModule(text, { compilerOptions: options, fileName: path.join(ROOT, file), reportDiagnostics: true });
  const errors = (out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("\n");
  return { js: out.outputText, errors };
}
/** The mutated file's type errors (tsc's, for that file, with the rest of the program as it
 *  is), so that a transpiled mutant that would not type-check is refused as tsc refused it, not
 *  run to a test's ReferenceError and counted as killed. One language service over
 *  tsconfig.json's program, made on the first call; the mutated text is handed to it in memory. */
let checker: { service: import("typescript").LanguageService; texts: Map<string, string>; versions: Map<string, number> } | null = null;
function typeErrors(file: string, text: string): string {
  const { ts, options, files: names } = typescript();
  if (!checker) {
    const texts = new Map<string, string>(), versions = new Map<string, number>();
    const service = ts.createLanguageService({
      getScriptFileNames: () => names,
      getScriptVersion: (f) => String(versions.get(f) ?? 0),
      getScriptSnapshot: (f) => {
        const t = texts.get(f) ?? ts.sys.readFile(f);
        return t === undefined ? undefined : ts.ScriptSnapshot.fromString(t);
      },
      getCurrentDirectory: () => ROOT,
      getCompilationSettings: () => options,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: ts.sys.fileExists,
      readFile: ts.sys.readFile,
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
    }, ts.createDocumentRegistry());
    checker = { service, texts, versions };
  }
  const abs = path.join(ROOT, file);
  const bump = () => checker!.versions.set(abs, (checker!.versions.get(abs) ?? 0) + 1);
  checker.texts.set(abs, text);
  bump();
  try {
    const diags = [...checker.service.getSyntacticDiagnostics(abs), ...checker.service.getSemanticDiagnostics(abs)];
    return diags.map((d) => `${file}:${d.start === undefined || !d.file ? "?" : d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` +
      ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("\n");
  } finally {
    checker.texts.delete(abs);
    bump();
  }
}

/** Where tsc (tsconfig.json: rootDir ".", outDir build/ts) writes a source file's JavaScript. */
const emitted = (file: string) => path.join("build/ts", file.replace(/\.ts$/, ".js"));
/** Whether a mutant of this file may be rebuilt by transpile() (see there); asked once a file. */
const transpilable = new Map<string, boolean>();
function canTranspile(file: string): boolean {
  let ok = transpilable.get(file);
  if (ok === undefined) {
    const built = path.join(ROOT, emitted(file));
    ok = fs.existsSync(built) && transpile(file, fs.readFileSync(path.join(ROOT, file), "utf8")).js === fs.readFileSync(built, "utf8");
    transpilable.set(file, ok);
  }
  return ok;
}

async function scratch(withTs: boolean): Promise<Scratch> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-mutate-"));
  const files = spawnSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" }).stdout.split("\0").filter(Boolean);
  for (const f of files) {
    const src = path.join(ROOT, f);
    if (!fs.existsSync(src)) continue;              // deleted in the work tree, not yet committed
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(src, path.join(dir, f));
  }
  // Files not yet committed that the build needs (a new test, a new mutant) come from the work tree.
  const untracked = spawnSync("git", ["ls-files", "-z", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" })
    .stdout.split("\0").filter(Boolean);
  for (const f of untracked) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
  }
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  // What the build generates and git ignores: the compiled tree and the ABI bindings.
  fs.mkdirSync(path.join(dir, "build"), { recursive: true });
  for (const e of fs.readdirSync(path.join(ROOT, "build"))) {
    const src = path.join(ROOT, "build", e);
    if (LINKED_BUILD.includes(e)) fs.symlinkSync(src, path.join(dir, "build", e));
    else fs.cpSync(src, path.join(dir, "build", e), { recursive: true });
  }
  fs.cpSync(path.join(ROOT, "abi/gen"), path.join(dir, "abi/gen"), { recursive: true });
  if (withTs) {
    // The same emit as the copied build/ts (same sources, same compiler), plus the state
    // that lets each TypeScript mutant rebuild incrementally.
    const r = await sh(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json", "--incremental",
      "--tsBuildInfoFile", TSBUILDINFO], dir, 4 * TEST_TIMEOUT_MS);
    if (!r.ok) throw new Error(`mutate: tsc fails on the unmutated copy:\n${r.out}`);
  }
  // The unmutated build, copied back after each mutant instead of rebuilt (asc and tsc emit
  // the same bytes from the same sources, so this is what a rebuild would give, sooner).
  const pristine = `${dir}.pristine`;
  for (const d of ["build/wasm", "build/ts"]) fs.cpSync(path.join(dir, d), path.join(pristine, d), { recursive: true });
  if (withTs) fs.cpSync(path.join(dir, TSBUILDINFO), path.join(pristine, TSBUILDINFO));
  return { dir, pristine };
}

/** Puts back what rebuilding `what` overwrote, from the scratch copy's unmutated build. */
function restore(s: Scratch, what: Artifact, m: Mutant): void {
  if (what === "ts" && canTranspile(m.file)) {
    fs.copyFileSync(path.join(s.pristine, emitted(m.file)), path.join(s.dir, emitted(m.file)));
    return;
  }
  const outputs = what === "ts" ? ["build/ts", TSBUILDINFO] : ["build/wasm"];
  for (const o of outputs) {
    const from = path.join(s.pristine, o);
    if (!fs.existsSync(from)) continue;
    fs.rmSync(path.join(s.dir, o), { recursive: true, force: true });
    fs.cpSync(from, path.join(s.dir, o), { recursive: true });
  }
}

async function rebuild(dir: string, what: Artifact, m: Mutant) {
  if (what === "ts" && canTranspile(m.file)) {
    const text = fs.readFileSync(path.join(dir, m.file), "utf8");
    const { js, errors } = transpile(m.file, text);
    if (errors) return { ok: false, timedOut: false, out: errors };
    const types = typeErrors(m.file, text);
    if (types) return { ok: false, timedOut: false, out: types };
    fs.writeFileSync(path.join(dir, emitted(m.file)), js);
    return { ok: true, timedOut: false, out: "" };
  }
  // As cli/build.ts: each AssemblyScript artifact from its entry with its own asconfig
  // target, and a warning fails the build too (but for the modsig test module's, which
  // cli/build.ts does not build).
  if (what === "kernel") return asc("kernel/main.ts", "kernel", dir);
  if (what.startsWith("service:")) {
    const name = what.slice("service:".length);
    return asc(`services/${name}/main.ts`, name, dir);
  }
  if (what === "csum") return asc("hosts/node/nic/csum/main.ts", "csum", dir);
  if (what === "modsig") return asc("tests/kernel/svc/modsig_entry.ts", "modsig-test", dir, false);
  return sh(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json", "--incremental",
    "--tsBuildInfoFile", TSBUILDINFO], dir);
}

/** asc of entry with asconfig.json's target, in dir; a warning is a failure when strict. */
async function asc(entry: string, target: string, dir: string, strict = true) {
  const r = await sh(process.execPath, ["node_modules/assemblyscript/bin/asc.js", entry, "--config", "asconfig.json", "--target", target], dir);
  return strict ? { ...r, ok: r.ok && !/WARNING|ERROR/.test(r.out) } : r;
}

function runTest(dir: string, test: string) {
  if (test.endsWith(".spec.ts")) {
    return sh(process.execPath, ["node_modules/@as-pect/cli/bin/asp.js", "--config", "tests/kernel/as-pect.config.mjs",
      "--as-config", "tests/kernel/as-pect.asconfig.json", "--no-logo"], dir, TEST_TIMEOUT_MS, { PERSIA_SPEC: test });
  }
  const js = path.join("build/ts", test.replace(/\.ts$/, ".js"));
  return sh(process.execPath, ["--test", "--test-reporter=dot", js], dir);
}

interface Result { id: string; verdict: "killed" | "survived" | "error"; by?: string; why: string; ms: number }

function check(m: Mutant): string | null {
  if (!m.id || !/^[a-z0-9-]+$/.test(m.id)) return `bad id "${m.id}"`;
  if (m.tests.length === 0) return "names no test";
  for (const t of m.tests) if (!fs.existsSync(path.join(ROOT, t))) return `test ${t} does not exist`;
  if (!fs.existsSync(path.join(ROOT, m.file))) return `${m.file} does not exist`;
  const text = fs.readFileSync(path.join(ROOT, m.file), "utf8");
  const n = text.split(m.from).length - 1;
  if (n !== 1) return `${m.file}: "${m.from}" is found ${n} times, not once; the guarantee moved, so update the mutant`;
  if (m.from === m.to) return "changes nothing";
  if (!rebuildable(m)) return `${m.file}: the runner cannot rebuild what its Node tests read; name as-pect specs, or teach run.ts to build it`;
  return null;
}

async function mutate(s: Scratch, m: Mutant): Promise<Result> {
  const t0 = Date.now();
  const done = (verdict: Result["verdict"], why: string, by?: string): Result => ({ id: m.id, verdict, why, by, ms: Date.now() - t0 });
  const file = path.join(s.dir, m.file);
  const original = fs.readFileSync(file, "utf8");
  fs.writeFileSync(file, original.replace(m.from, () => m.to));
  const built: Artifact[] = [];
  try {
    for (const t of m.tests) {
      // An as-pect spec compiles the mutant from source; the rebuild waits for the first Node
      // test, so a mutant a spec kills first is not rebuilt at all.
      if (!t.endsWith(".spec.ts") && built.length === 0) {
        for (const a of needs(m)) {
          built.push(a);
          const b = await rebuild(s.dir, a, m);
          if (!b.ok) return done("error", `the mutant does not build (${a}):\n${b.out.trim().split("\n").slice(-8).join("\n")}`);
        }
      }
      const r = await runTest(s.dir, t);
      if (r.timedOut) return done("killed", `${t} did not finish in ${TEST_TIMEOUT_MS / 1000} s`, t);
      if (!r.ok) {
        // as-pect prints "[Tests]: passed / total" only for a spec that compiled.
        if (t.endsWith(".spec.ts") && !/\[Tests\]:/.test(r.out.replace(/\x1b\[[0-9;]*m/g, "")))
          return done("error", `${t} does not compile with the mutant:\n${r.out.trim().split("\n").slice(-8).join("\n")}`);
        return done("killed", `${t} failed`, t);
      }
    }
    return done("survived", `${m.tests.join(", ")} passed`);
  } finally {
    // The next mutant starts from the unmutated tree and build.
    fs.writeFileSync(file, original);
    for (const a of built) restore(s, a, m);
  }
}

/** Rough cost, to start the slow mutants first so that no job is left alone with a long
 *  one at the end: a TypeScript or kernel rebuild plus a Node test above an as-pect spec. */
const cost = (m: Mutant) => (needs(m).includes("ts") && !canTranspile(m.file) ? 3 : 0) + (needs(m).length > 0 ? 2 : 0) + m.tests.length;

async function main(): Promise<void> {
  const only = argValue("--only");
  let list: Mutant[] = MUTANTS;
  if (process.argv.includes("--sample")) list = MUTANTS.filter((m) => SAMPLE.includes(m.id));
  if (only) {
    const ids = only.split(",");
    const unknown = ids.filter((id) => !MUTANTS.some((m) => m.id === id));
    if (unknown.length) { console.error(`mutate: no mutant ${unknown.join(", ")}; --list shows them`); process.exit(2); }
    list = MUTANTS.filter((m) => ids.includes(m.id));
  }
  const ids = new Set<string>();
  for (const m of MUTANTS) {
    if (ids.has(m.id)) { console.error(`mutate: two mutants are called ${m.id}`); process.exit(2); }
    ids.add(m.id);
  }
  if (process.argv.includes("--list")) {
    for (const m of list) console.log(`${m.id.padEnd(28)} ${m.file}: ${m.guarantee}`);
    return;
  }

  console.log(`mutate: ${list.length} mutants${list.length < MUTANTS.length ? ` of ${MUTANTS.length}` : ""}, ` +
    `each rebuilt and run against the tests that cover it`);
  const results: Result[] = [];
  const bad = list.map((m) => ({ m, why: check(m) })).filter((x) => x.why !== null);
  for (const { m, why } of bad) results.push({ id: m.id, verdict: "error", why: why!, ms: 0 });
  const todo = list.filter((m) => !bad.some((b) => b.m === m));
  const jobs = Math.max(1, Math.min(Number(argValue("--jobs") ?? os.cpus().length), todo.length));
  const dirs: Scratch[] = [];
  // tsc's incremental state is made in each copy only if a TypeScript mutant needs tsc.
  const withTs = todo.some((m) => needs(m).includes("ts") && !canTranspile(m.file));
  const t0 = Date.now();
  try {
    const made = await Promise.allSettled(Array.from({ length: todo.length ? jobs : 0 }, () => scratch(withTs)));
    for (const x of made) if (x.status === "fulfilled") dirs.push(x.value);
    for (const x of made) if (x.status === "rejected") throw x.reason;
    // Every test must pass on the unmutated copy first, or its failure on a mutant says nothing.
    // With --tests-passed (tests/run.js, when its kernel and Node stages just passed every test
    // of this tree and build), that is known: each copy then runs one spec and one Node test of
    // the list unmutated, which proves the copy itself works (a broken copy would fail every
    // test and so "kill" every mutant).
    let baseline = [...new Set(todo.flatMap((m) => m.tests))].sort();
    const known = process.argv.includes("--tests-passed");
    if (known) {
      const spec = baseline.find((t) => t.endsWith(".spec.ts")), nodeTest = baseline.find((t) => !t.endsWith(".spec.ts"));
      baseline = dirs.flatMap(() => [spec, nodeTest]).filter((t): t is string => t !== undefined);
    }
    const broken: string[] = [];
    const perCopy = known ? dirs.map((_, i) => baseline.slice(2 * i, 2 * i + 2)) : null;
    await Promise.all(dirs.map(async (s, i) => {
      const mine = perCopy ? perCopy[i] : baseline;
      for (let t = mine.shift(); t; t = mine.shift()) {
        const r = await runTest(s.dir, t);
        if (!r.ok) broken.push(`${t}${perCopy ? ` (in copy ${i + 1})` : ""}:\n${r.out.trim().split("\n").slice(-20).join("\n")}`);
      }
    }));
    if (broken.length) {
      console.log(`mutate: these tests fail without any mutant, so no mutant can be judged by them; fix them first:\n${broken.join("\n")}`);
      if (process.argv.includes("--tally")) console.log(`0 passed, ${todo.length} failed`);
      process.exitCode = 1;
      return;
    }
    console.log(known
      ? `mutate: the tests passed unmutated in this run's kernel and Node stages; each copy ran one spec and one Node test of them unmutated ` +
        `(${((Date.now() - t0) / 1000).toFixed(0)} s); ${jobs} at a time from here`
      : `mutate: the tests pass unmutated (${((Date.now() - t0) / 1000).toFixed(0)} s); ${jobs} at a time from here`);
    const queue = [...todo].sort((a, b) => cost(b) - cost(a));
    await Promise.all(dirs.map(async (s) => {
      for (let m = queue.shift(); m; m = queue.shift()) {
        const r = await mutate(s, m);
        results.push(r);
        const mark = r.verdict === "killed" ? "killed  " : r.verdict === "survived" ? "SURVIVED" : "ERROR   ";
        console.log(`${mark} ${m.id.padEnd(28)} ${(r.ms / 1000).toFixed(1).padStart(6)} s  ${r.verdict === "killed" ? `by ${r.by}` : r.why}`);
        if (r.verdict !== "killed") console.log(`         ${m.file}: ${m.guarantee}\n         - ${m.from.trim()}\n         + ${m.to.trim()}`);
      }
    }));
  } finally {
    for (const s of dirs) for (const d of [s.dir, s.pristine]) fs.rmSync(d, { recursive: true, force: true });
  }
  for (const r of results.filter((x) => x.verdict === "error" && x.ms === 0)) console.log(`ERROR    ${r.id.padEnd(28)} ${r.why}`);
  const n = (v: Result["verdict"]) => results.filter((r) => r.verdict === v).length;
  const killed = n("killed"), survived = n("survived"), errors = n("error");
  console.log(`\nmutate: ${killed} killed, ${survived} survived, ${errors} errors in ${((Date.now() - t0) / 1000).toFixed(0)} s; ` +
    `score ${results.length ? ((100 * killed) / results.length).toFixed(0) : 0} %`);
  if (survived) console.log("A surviving mutant is a guarantee no test checks: add the test that fails on it.");
  if (process.argv.includes("--tally")) console.log(`${killed} passed, ${survived + errors} failed`);
  process.exitCode = survived + errors === 0 ? 0 : 1;
}

main().catch((e) => { console.error(e); process.exit(1); });
