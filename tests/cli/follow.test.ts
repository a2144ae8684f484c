// Following a wasmtime image's output (cli/follow.ts) without wasmtime: lines written by
// hand in the image's format (abi/image.ts) from the status fixture. A followed file gives
// its lines as they are appended, whole lines only, and starts again when it is truncated;
// ImageOutput feeds the Observed with each status (with its host line, and the node's name
// from the boot note) and each log line, and skips a status line that does not decode.
// Then the command as a user runs it: `persia status --from FILE --metrics` serves the
// newest status of a growing file, and `--from -` of a pipe, with the log lines printed
// again as JSON lines.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Drop } from "../../abi/drop";
import { IMG_CAPTURE_PREFIX, IMG_HOST_PREFIX, IMG_STATUS_PREFIX } from "../../abi/image";
import { MF_HEADER, MF_REC_HEADER } from "../../abi/manifest";
import * as S from "../../abi/status";
import { followFile, ImageOutput } from "../../cli/follow";
import { ROOT } from "../../hosts/node/paths";
import { LogEntry, Observed } from "../../hosts/node/observe/observed";
import { SNAPSHOT } from "../loader/status_fixture";
import { waitFor } from "../wait";

/** Where the NIC record's rx frames counter is in the fixture: after the header, NODE and DROPS. */
const NIC_RX_FRAMES = MF_HEADER + (MF_REC_HEADER + S.SN_SIZE) + (MF_REC_HEADER + Drop.COUNT * 8) + MF_REC_HEADER + S.SI_RX_FRAMES;

/** The image's status line for the fixture with the NIC's rx frames set to `rx`. */
function statusLine(rx: number): string {
  const b = Uint8Array.from(SNAPSHOT);
  new DataView(b.buffer).setBigUint64(NIC_RX_FRAMES, BigInt(rx), true);
  return IMG_STATUS_PREFIX + Buffer.from(b).toString("base64");
}
const HOST_LINE = IMG_HOST_PREFIX + JSON.stringify({ nics: [{ id: 0, backend: "wasi-vxlan", counters: { rx_frames: 12 } }],
  services: [{ id: 1, ram_pages: 3 }] });
const BOOTED = "persia: node img.sabz.city is running under wasmtime: 1 NIC(s), 0 disk(s)";
const TRAPPED = "warn host: service 1 stopped: integer divide by zero";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "persia-follow-"));

test("a followed file gives whole lines as they are appended, and starts again when truncated", async () => {
  const file = path.join(tmp(), "out.log");
  fs.writeFileSync(file, "one\ntw");
  const lines: string[] = [];
  const stop = followFile(file, (l) => lines.push(l), 20);
  try {
    assert.deepEqual(lines, ["one"], "read at once, up to the last whole line");
    fs.appendFileSync(file, "o\nthr\u00e9e\n");
    await waitFor(() => lines.length === 3, 2000, "the appended lines");
    assert.deepEqual(lines, ["one", "two", "thr\u00e9e"]);
    fs.writeFileSync(file, "again\n");
    await waitFor(() => lines.length === 4, 2000, "the line of the truncated file");
    assert.equal(lines[3], "again");
  } finally {
    stop();
  }
});

test("an image's lines feed the Observed: each status with its host line and the node's name, each log line", () => {
  const observed = new Observed("a wasmtime image");
  const printed: string[] = [];
  const errors: Error[] = [];
  const out = new ImageOutput(observed, { node: null, logFormat: "json", print: (l) => printed.push(l), onError: (e) => errors.push(e) });
  out.line(statusLine(10));
  assert.equal(observed.status()?.host, undefined, "no host line, no name yet: nothing added");
  for (const l of [BOOTED, HOST_LINE, TRAPPED, `${IMG_CAPTURE_PREFIX}AAAA`, statusLine(20), `${IMG_STATUS_PREFIX}AAAA`, ""]) out.line(l);
  assert.equal(observed.node, "img.sabz.city", "the boot line names the node for every view");
  const s = observed.status()!;
  assert.equal(s.nics[0].rxFrames, 20, "the newest status");
  assert.deepEqual(s.host, { name: "img.sabz.city", nics: [{ id: 0, backend: "wasi-vxlan", counters: { rx_frames: 12 } }] },
    "the host line printed before it, a log line and a capture line between them");
  assert.equal(s.services[0].ramPages, 3);
  assert.equal(errors.length, 1, "the status line that does not decode");
  assert.match(errors[0].message, /a status line that does not decode was skipped: status snapshot: 3 bytes/);
  assert.equal(observed.series.history().length, 0, "both statuses have the fixture's kernel time: no rate between them");
  const logs = observed.logs().map((e: LogEntry) => [e.level, e.origin, e.domain, e.fields?.service]);
  assert.deepEqual(logs, [["info", "host", "img.sabz.city", undefined], ["warn", "host", "echo.sabz.city", 1]],
    "a capture line (`persia capture --from` reads it) is no log line");
  assert.deepEqual(printed.map((l) => JSON.parse(l).domain), ["img.sabz.city", "echo.sabz.city"]);
});

/** `persia status --from … --metrics 127.0.0.1:0` as a command; resolves once it serves. */
async function follow(from: string, input?: string) {
  const proc = spawn(process.execPath, [path.join(ROOT, "build/ts/cli/cli.js"), "status", "--from", from,
    "--metrics", "127.0.0.1:0", "--log-format", "json"], { stdio: [input === undefined ? "ignore" : "pipe", "ignore", "pipe"] });
  let err = "";
  proc.stderr!.on("data", (d) => (err += d));
  const url = await waitFor(() => {
    if (proc.exitCode !== null) throw new Error(`persia status exited (${proc.exitCode}):\n${err}`);
    return /metrics of [^:]+: (http:\/\/\S+\/metrics)/.exec(err)?.[1];
  }, 20000, () => `persia status to print its metrics address:\n${err}`);
  const rx = async (): Promise<number | null> => {
    const res = await fetch(url);
    if (res.status === 503) return null;
    const m = /\npersia_nic_rx_frames_total\{nic="0"\} (\d+)\n/.exec(await res.text());
    return m ? Number(m[1]) : null;
  };
  const stop = async () => {
    if (proc.exitCode !== null) return;
    const gone = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    await gone;
  };
  return { proc, rx, stderr: () => err, stop };
}

test("`persia status --from FILE --metrics` serves the newest status of a file that grows", { timeout: 60000 }, async () => {
  const file = path.join(tmp(), "node.log");
  fs.writeFileSync(file, `${HOST_LINE}\n${statusLine(10)}\n`);
  const f = await follow(file);
  try {
    await waitFor(async () => (await f.rx()) === 10, 5000, "the first status");
    fs.appendFileSync(file, `${HOST_LINE}\n${statusLine(25)}\n`);
    await waitFor(async () => (await f.rx()) === 25, 5000, "the appended status");
    const lines = f.stderr().trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.ok(lines.every((l) => l.origin === "host" && typeof l.time === "string"), "its own notes are JSON lines too");
  } finally {
    await f.stop();
  }
});

test("`persia status --from - --metrics` follows a pipe and serves its last status once it ends", { timeout: 60000 }, async () => {
  const f = await follow("-", "");
  try {
    assert.equal(await f.rx(), null, "503 before the first status");
    f.proc.stdin!.write(`${HOST_LINE}\n${statusLine(7)}\n${BOOTED}\n${TRAPPED}\n`);
    await waitFor(async () => (await f.rx()) === 7, 5000, "the status from the pipe");
    f.proc.stdin!.end();
    await waitFor(() => /stdin ended; serving its last status/.test(f.stderr()), 5000, "the note that stdin ended");
    assert.equal(await f.rx(), 7, "still served after the pipe ended");
    assert.equal(await f.rx(), 7, "and again");
    assert.equal(f.proc.exitCode, null, "the follower goes on after its pipe ended");
    const logs = f.stderr().trimEnd().split("\n").map((l) => JSON.parse(l));
    const trap = logs.find((l) => l.level === "warn");
    assert.deepEqual(trap, { time: trap.time, level: "warn", domain: "echo.sabz.city", origin: "host",
      message: "service 1 stopped: integer divide by zero", fields: { node: "img.sabz.city", service: 1 } });
    assert.ok(!Number.isNaN(Date.parse(trap.time)));
  } finally {
    await f.stop();
  }
});
