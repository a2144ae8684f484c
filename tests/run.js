// Runs every test and ends with one line "N passed, N failed": the kernel's unit tests
// (as-pect, tests/kernel), then every TypeScript test compiled to build/ts/tests (node's
// test runner: loader, hosts, services, integration, end to end), then the mutants of
// tests/mutate (spec/testing.md: each passes when a test fails on it). Before that line it
// prints "N skipped, N todo" and names each skipped or todo test with its reason; under
// CI=true each of them, and each test node's runner cancelled, is also counted as failed:
// CI proves a guarantee only with tests that ran. `npm test` builds first and calls this;
// `.ci/run` sets CI=true and calls `npm test`. Exits non-zero if anything failed.
"use strict";
const { spawn, spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const CI = process.env.CI === "true";
let passed = 0;
let failed = 0;
/** Tests that did not run to a result: { kind: "skipped" | "todo", name, why }. */
const notRun = [];

async function main() {
  // 1. Debian tools for the end-to-end tests.
  const setup = spawnSync(process.execPath, ["tests/setup.js"], { cwd: ROOT, stdio: "inherit" });
  if (setup.status !== 0) failed++;

  // 2. Kernel unit tests: as-pect, in PARTS processes at once (tests/kernel/as-pect.config.mjs's
  //    PERSIA_SPEC_PART=k/PARTS takes every PARTS-th spec file; compiling each spec to Wasm is
  //    most of the time). Each prints one line per test and a summary; only the summary lines
  //    are shown here (the full reports are written to build/test-kernel.log).
  const PARTS = 2;
  console.log("\n== kernel unit tests (as-pect)");
  const asps = await Promise.all(Array.from({ length: PARTS }, (_, k) => new Promise((resolve) => {
    const p = spawn(process.execPath, ["node_modules/@as-pect/cli/bin/asp.js", "--config", "tests/kernel/as-pect.config.mjs",
      "--as-config", "tests/kernel/as-pect.asconfig.json", "--no-logo"],
      { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, PERSIA_SPEC_PART: `${k + 1}/${PARTS}` } });
    let out = "";
    p.stdout.setEncoding("utf8");
    p.stdout.on("data", (d) => (out += d));
    p.on("close", (code) => resolve({ code, out }));
  })));
  fs.mkdirSync(path.join(ROOT, "build"), { recursive: true });
  fs.writeFileSync(path.join(ROOT, "build/test-kernel.log"), asps.map((a) => a.out).join("\n"));
  let aspOk = true;
  for (const [k, asp] of asps.entries()) {
    const clean = asp.out.replace(/\x1b\[[0-9;]*m/g, "");
    // as-pect's summary line reads "[Tests]: <passed> / <total>". Its todo(), xit() and xtest()
    // count in neither number: its reporter gives only how many each file has ("<file> Pass:
    // <passed> / <total> Todo: <n>"), not their names.
    const tests = /\[Tests\]:\s*(\d+)\s*\/\s*(\d+)/.exec(clean);
    console.log(`  part ${k + 1} of ${PARTS}:`);
    if (tests) {
      passed += Number(tests[1]);
      failed += Number(tests[2]) - Number(tests[1]);
      console.log(clean.split("\n").filter((l) => /\[(Groups|Tests|Result|Snapshot|Summary|Time)\]|✖|Failed:|\[Fail\]/i.test(l)).join("\n"));
      for (const m of clean.matchAll(/^\S+ (\S+) Pass: \d+ \/ \d+ Todo: (\d+)/gm)) {
        for (let i = 0; i < Number(m[2]); i++) notRun.push({ kind: "todo", name: `a test in ${m[1]}`, why: "todo(), xit() or xtest()" });
      }
    } else {
      failed++;
      aspOk = false;
      console.log(clean.split("\n").filter((l) => !/^\s*\(|^var EB=/.test(l)).slice(-40).map((l) => l.slice(0, 300)).join("\n"));
      console.log(`kernel unit tests, part ${k + 1}: no summary from as-pect (see build/test-kernel.log); counted as a failure`);
    }
    if (asp.code !== 0 && tests && tests[1] === tests[2]) { failed++; aspOk = false; }
    if (asp.code !== 0) aspOk = false;
  }

  /** Every test node's TAP marks "# SKIP <why>" or "# TODO <why>", named with the subtests it
   *  is nested in ("# Subtest: <name>" lines, four spaces per level). */
  function tapNotRun(text) {
    const found = [];
    const path = [];
    const unescape = (s) => s.replace(/\\#/g, "#").replace(/\\\\/g, "\\");
    for (const line of text.split("\n")) {
      const sub = /^( *)# Subtest: (.*)$/.exec(line);
      if (sub) { path.length = sub[1].length / 4; path.push(unescape(sub[2])); continue; }
      // A result line: its name ends at the first " # " that is not escaped as "\#".
      const r = /^( *)(?:not )?ok \d+ - ((?:[^#\\]|\\.)*?) # (SKIP|TODO)\b ?(.*)$/.exec(line);
      if (!r) continue;
      const depth = r[1].length / 4;
      const name = [...path.slice(0, depth), unescape(r[2])].join(" > ");
      found.push({ kind: r[3] === "SKIP" ? "skipped" : "todo", name, why: unescape(r[4]) || "no reason given" });
    }
    return found;
  }

  // 3. Everything written in TypeScript, through node's test runner (TAP kept for counting),
  //    in two phases. First every file but those of ALONE, PERSIA_TEST_JOBS at a time (2 by
  //    default: each file is its own process and names its namespaces, TAP devices and
  //    temporary files by its pid, and many of them spend their time waiting on QEMU, a peer or
  //    a timer); then the files of ALONE, one at a time. These have real-time windows a busy
  //    neighbour can close: the 100 ms replies of ctl_seal and ctl_block, the filters of block
  //    (5 s), block_chain (6 s) and block_image (10 s), the lossy relay of the two put tests,
  //    capture's six CLI processes, parity's flood rate on metal (seen failing side by side on
  //    a loaded two-core machine; spec/testing.md).
  const ALONE = ["cli/ctl_seal.test.js", "cli/ctl_block.test.js", "e2e/block.test.js", "e2e/block_chain.test.js",
    "e2e/block_image.test.js", "e2e/capture.test.js", "e2e/put.test.js", "e2e/put_image.test.js", "parity/parity.test.js"].map((f) => `build/ts/tests/${f}`);
  const jobs = Number(process.env.PERSIA_TEST_JOBS) || 2;
  const testFiles = (dir) => fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(`${dir}/${e.name}`) : e.name.endsWith(".test.js") ? [`${dir}/${e.name}`] : []);
  const all = testFiles("build/ts/tests").sort();
  const gone = ALONE.filter((f) => !all.includes(f));
  if (gone.length) { failed++; console.log(`node tests: tests/run.js's ALONE names ${gone.join(", ")}, which is not built: update the list`); }
  const phases = [
    { title: `${jobs} files at a time`, files: all.filter((f) => !ALONE.includes(f)), args: [`--test-concurrency=${jobs}`] },
    { title: "one file at a time", files: ALONE.filter((f) => all.includes(f)), args: ["--test-concurrency=1"] },
  ];
  let nodeOk = true;
  for (const [k, phase] of phases.entries()) {
    if (phase.files.length === 0) continue;   // node --test with no file would run its default set
    console.log(`\n== node tests, part ${k + 1} of ${phases.length}: ${phase.files.length} files, ${phase.title}`);
    const tap = path.join(os.tmpdir(), `persia-tests-${process.pid}-${k}.tap`);
    const node = spawnSync(process.execPath, ["--test", ...phase.args,
      "--test-reporter=spec", "--test-reporter-destination=stdout",
      "--test-reporter=tap", `--test-reporter-destination=${tap}`, ...phase.files], { cwd: ROOT, stdio: "inherit" });
    const text = fs.existsSync(tap) ? fs.readFileSync(tap, "utf8") : "";
    fs.rmSync(tap, { force: true });
    const count = (what) => { const m = new RegExp(`^# ${what} (\\d+)$`, "m").exec(text); return m ? Number(m[1]) : null; };
    const [pass, fail, cancelled, skipped, todo] = ["pass", "fail", "cancelled", "skipped", "todo"].map(count);
    if (pass !== null && fail !== null) {
      passed += pass;
      failed += fail;
      // A cancelled test is one whose file or parent ended before it could run.
      if (cancelled) { failed += cancelled; console.log(`node tests: ${cancelled} cancelled (never ran to a result); counted as failed`); }
      const marked = tapNotRun(text);
      notRun.push(...marked);
      const want = (skipped ?? 0) + (todo ?? 0);
      if (marked.length !== want) console.log(`node tests: the summary says ${skipped} skipped, ${todo} todo, but ${marked.length} were found marked`);
      // Unnamed ones still count (under CI as failures).
      for (let i = marked.length; i < want; i++) notRun.push({ kind: "skipped", name: "(a test the TAP did not name)", why: "see the output above" });
      if (fail || cancelled) nodeOk = false;
    } else {
      failed++;
      nodeOk = false;
      console.log(`node tests, part ${k + 1}: no summary from node's test runner; counted as a failure`);
    }
    if (node.status !== 0) {
      if (fail === 0 && !cancelled) failed++;
      nodeOk = false;
    }
  }

  // 4. Mutation testing (spec/testing.md): each mutant of tests/mutate/mutants.ts is one test,
  //    passed when the tests that cover its guarantee fail on it. Run after the rest, whose
  //    build it copies; PERSIA_MUTATE=0 leaves it out of a local run (never under CI=true).
  if (process.env.PERSIA_MUTATE === "0" && !CI) {
    notRun.push({ kind: "skipped", name: "mutation testing", why: "PERSIA_MUTATE=0" });
  } else {
    console.log("\n== mutation testing (npm run mutate)");
    // The stages above ran every test a mutant names on this same tree and build; if every one
    // of them passed (none failed, skipped or cancelled), the runner need not run them all
    // unmutated again before the mutants (it still proves each scratch copy with two).
    const allPassed = failed === 0 && notRun.length === 0 && aspOk && nodeOk;
    const mut = spawnSync(process.execPath, ["build/ts/tests/mutate/run.js", "--tally", ...(allPassed ? ["--tests-passed"] : [])], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
    const out = mut.stdout || "";
    const tally = /^(\d+) passed, (\d+) failed$/m.exec(out);
    console.log(out.split("\n").filter((l) => !/^\d+ passed, \d+ failed$/.test(l)).join("\n").trimEnd());
    if (tally) {
      passed += Number(tally[1]);
      failed += Number(tally[2]);
    } else {
      failed++;
      console.log("mutation testing: no tally from tests/mutate/run.js; counted as a failure");
    }
    if (mut.status !== 0 && tally && Number(tally[2]) === 0) failed++;
  }

  const nSkipped = notRun.filter((t) => t.kind === "skipped").length;
  const nTodo = notRun.length - nSkipped;
  if (notRun.length > 0) console.log("");
  for (const t of notRun) {
    console.log(`${CI ? "FAILED under CI=true: " : ""}${t.kind}: ${t.name}: ${t.why}`);
  }
  if (CI) failed += notRun.length;
  console.log(`\n${nSkipped} skipped, ${nTodo} todo`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
