// Runs every test and ends with one line "N passed, N failed": the kernel's unit tests
// (as-pect, tests/kernel), then every TypeScript test compiled to build/ts/tests (node's
// test runner: loader, hosts, services, integration, end to end). `npm test` builds first
// and calls this; `.ci/run` calls `npm test`. Exits non-zero if anything failed.
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
let passed = 0;
let failed = 0;

function run(title, cmd, args) {
  console.log(`\n== ${title}`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", maxBuffer: 1 << 28 });
  return { code: r.status, out: r.stdout || "" };
}

// 1. Debian tools for the end-to-end tests.
const setup = spawnSync(process.execPath, ["tests/setup.js"], { cwd: ROOT, stdio: "inherit" });
if (setup.status !== 0) failed++;

// 2. Kernel unit tests. as-pect prints one line per test and a summary; only the summary
//    lines are shown here (the full report is written to build/test-kernel.log).
const asp = run("kernel unit tests (as-pect)", process.execPath, [
  "node_modules/@as-pect/cli/bin/asp.js", "--config", "tests/kernel/as-pect.config.mjs",
  "--as-config", "tests/kernel/as-pect.asconfig.json", "--no-logo"]);
fs.mkdirSync(path.join(ROOT, "build"), { recursive: true });
fs.writeFileSync(path.join(ROOT, "build/test-kernel.log"), asp.out);
const clean = asp.out.replace(/\x1b\[[0-9;]*m/g, "");
// as-pect's summary line reads "[Tests]: <passed> / <total>".
const tests = /\[Tests\]:\s*(\d+)\s*\/\s*(\d+)/.exec(clean);
if (tests) {
  passed += Number(tests[1]);
  failed += Number(tests[2]) - Number(tests[1]);
  console.log(clean.split("\n").filter((l) => /\[(Groups|Tests|Result|Snapshot|Summary|Time)\]|✖|Failed:|\[Fail\]/i.test(l)).join("\n"));
} else {
  failed++;
  console.log(clean.split("\n").filter((l) => !/^\s*\(|^var EB=/.test(l)).slice(-40).map((l) => l.slice(0, 300)).join("\n"));
  console.log("kernel unit tests: no summary from as-pect (see build/test-kernel.log); counted as a failure");
}
if (asp.code !== 0 && tests && tests[1] === tests[2]) failed++;

// 3. Everything written in TypeScript, through node's test runner (TAP kept for counting).
const tap = path.join(os.tmpdir(), `persia-tests-${process.pid}.tap`);
const node = spawnSync(process.execPath, ["--test", "--test-reporter=spec", "--test-reporter-destination=stdout",
  "--test-reporter=tap", `--test-reporter-destination=${tap}`, "build/ts/tests/"], { cwd: ROOT, stdio: "inherit" });
const text = fs.existsSync(tap) ? fs.readFileSync(tap, "utf8") : "";
fs.rmSync(tap, { force: true });
const pass = /^# pass (\d+)$/m.exec(text);
const fail = /^# fail (\d+)$/m.exec(text);
if (pass && fail) {
  passed += Number(pass[1]);
  failed += Number(fail[1]);
} else {
  failed++;
  console.log("node tests: no summary from node's test runner; counted as a failure");
}
if (node.status !== 0 && fail && Number(fail[1]) === 0) failed++;

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
