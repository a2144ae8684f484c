// cli/top_source.ts OutputFollower: following a wasmtime image's output as it grows. Only
// whole lines count; each read gives the newest status line added since the last (the first
// read also the one before it, for rates at once); a status-host line read before its
// status line still adds the host's counters; a file written again from the start is read
// from its start; a file that is not there yet is an error that says so, until it is.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { IMG_HOST_PREFIX, IMG_STATUS_PREFIX } from "../../abi/image";
import { MF_HEADER, MF_REC_HEADER } from "../../abi/manifest";
import { SN_NOW } from "../../abi/status";
import { OutputFollower } from "../../cli/top_source";
import { SNAPSHOT } from "../loader/status_fixture";

/** The fixture's snapshot at another kernel time: its first record is NODE, nowMs first. */
function statusLine(nowMs: number): string {
  const s = Uint8Array.from(SNAPSHOT);
  new DataView(s.buffer).setBigInt64(MF_HEADER + MF_REC_HEADER + SN_NOW, BigInt(nowMs), true);
  return `${IMG_STATUS_PREFIX}${Buffer.from(s).toString("base64")}\n`;
}

const HOST_LINE = `${IMG_HOST_PREFIX}${JSON.stringify({ nics: [{ id: 0, backend: "wasi-vxlan", counters: { rx_datagrams: 3 } }] })}\n`;

function file(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "persia-top-")), "node.out");
}

const times = async (f: OutputFollower) => (await f.read()).map((s) => s.node?.nowMs);

test("only whole lines count, and each read gives what is new", async () => {
  const out = file();
  const f = new OutputFollower(out);
  const second = statusLine(2000);
  fs.writeFileSync(out, `info kernel: booted\n${statusLine(1000)}${second.slice(0, 50)}`);
  assert.deepEqual(await times(f), [1000], "the unfinished line waits");
  assert.deepEqual(await times(f), [], "nothing new");
  fs.appendFileSync(out, second.slice(50));
  assert.deepEqual(await times(f), [2000]);
  fs.appendFileSync(out, statusLine(3000) + statusLine(4000) + "a log line\n");
  assert.deepEqual(await times(f), [4000], "only the newest of what was added");
});

test("the first read gives the two newest status lines, so rates show at once", async () => {
  const out = file();
  fs.writeFileSync(out, statusLine(1000) + statusLine(2000) + "log\n" + statusLine(3000));
  assert.deepEqual(await times(new OutputFollower(out)), [2000, 3000]);
});

test("a status-host line read before its status line still adds the host's counters", async () => {
  const out = file();
  const f = new OutputFollower(out);
  fs.writeFileSync(out, statusLine(1000) + HOST_LINE);
  assert.equal((await f.read())[0].host, undefined);
  fs.appendFileSync(out, statusLine(2000));
  const [s] = await f.read();
  assert.equal(s.node?.nowMs, 2000);
  assert.deepEqual(s.host?.nics[0].counters, { rx_datagrams: 3 });
});

test("a file written again from its start is read from its start", async () => {
  const out = file();
  const f = new OutputFollower(out);
  fs.writeFileSync(out, "x".repeat(100) + "\n" + statusLine(9000));
  assert.deepEqual(await times(f), [9000]);
  fs.writeFileSync(out, statusLine(500));
  assert.deepEqual(await times(f), [500]);
});

test("a file that is not there yet is an error that says so, until it is", async () => {
  const out = file();
  const f = new OutputFollower(out);
  await assert.rejects(f.read(), new RegExp(`cannot read ${out}: there is no such file \\(yet\\)`));
  fs.writeFileSync(out, statusLine(1000));
  assert.deepEqual(await times(f), [1000]);
  assert.equal(f.silence, `no new status line in ${out}`);
});
