// The status socket: one request line per connection ("status", "metrics", "text", or an
// HTTP GET for curl), silence or a half-close gets the JSON status, a stale socket file
// from a dead node is replaced, and a live socket or a regular file at the path is left
// alone with an error saying why.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { decodeStatus } from "../../loader/status/decode";
import { statusServer } from "../../hosts/node/status_server";
import { SNAPSHOT } from "../loader/status_fixture";

const source = () => decodeStatus(SNAPSHOT);

function socketPath(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "persia-status-")), "status.sock");
}

/** Connects, writes `request` (then half-closes if asked), and reads until the server closes. */
function ask(p: string, request: string, halfClose = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(p);
    let answer = "";
    c.setEncoding("utf8");
    c.on("data", (d: string) => (answer += d));
    c.on("end", () => resolve(answer));
    c.on("error", reject);
    c.on("connect", () => (halfClose ? c.end(request) : c.write(request)));
  });
}

test("status, metrics and text requests get their answers", async () => {
  const p = socketPath();
  const server = await statusServer(p, source);
  try {
    assert.deepEqual(JSON.parse(await ask(p, "status\n")), JSON.parse(JSON.stringify(source())));
    assert.match(await ask(p, "metrics\n"), /^# HELP persia_/);
    assert.match(await ask(p, "text\n"), /^node: router/);
    assert.match(JSON.parse(await ask(p, "reboot\n")).error, /unknown request "reboot"/);
    assert.equal(JSON.parse(await ask(p, "", true)).node.role, "ROUTER", "a half-close with no request");
    assert.equal(JSON.parse(await ask(p, "")).node.role, "ROUTER", "a silent client");
  } finally {
    server.close();
  }
});

test("an HTTP GET gets an HTTP reply, as curl --unix-socket sends it", async () => {
  const p = socketPath();
  const server = await statusServer(p, source);
  try {
    const reply = await ask(p, "GET /metrics HTTP/1.1\r\nHost: node\r\nAccept: */*\r\n\r\n");
    assert.match(reply, /^HTTP\/1\.0 200 OK\r\nContent-Type: text\/plain; version=0\.0\.4; charset=utf-8\r\nContent-Length: \d+\r\n/);
    assert.match(reply, /\r\n\r\n# HELP persia_/);
    assert.match(await ask(p, "GET /nope HTTP/1.1\r\n\r\n"), /^HTTP\/1\.0 404 Not Found/);
  } finally {
    server.close();
  }
});

test("a stale socket file from a dead node is replaced", async () => {
  const p = socketPath();
  execFileSync(process.execPath, ["-e", `require("net").createServer().listen(${JSON.stringify(p)}, () => process.exit(0))`]);
  assert.ok(fs.lstatSync(p).isSocket(), "the dead node left its socket file");
  const server = await statusServer(p, source);
  try {
    assert.match(await ask(p, "text\n"), /^node:/);
  } finally {
    server.close();
  }
});

test("a live socket or a regular file at the path is left alone", async () => {
  const p = socketPath();
  const server = await statusServer(p, source);
  try {
    await assert.rejects(statusServer(p, source), /another process is already serving/);
  } finally {
    server.close();
  }
  const file = socketPath();
  fs.writeFileSync(file, "keep me");
  await assert.rejects(statusServer(file, source), /exists and is not a socket/);
  assert.equal(fs.readFileSync(file, "utf8"), "keep me");
});
