// hosts/node/observe/serve.ts: a log line is tagged with the domain it is about and its
// level's name; a NodeObservation reads the node's status into its Observed as soon as it
// starts, serves what is registered on its address, and stops both.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { LogLevel } from "../../../abi/kernel";
import type { PersiaNode } from "../../../hosts/node/node";
import { decodeStatus } from "../../../loader/status/decode";
import { logDomain, logEntry, NodeObservation } from "../../../hosts/node/observe/serve";
import { SNAPSHOT } from "../../loader/status_fixture";

test("a log line is about the service it starts with or names, else the node", () => {
  assert.equal(logDomain("probe.sabz.city: probe: reply from echo.sabz.city seq=1", "n.sabz.city"), "probe.sabz.city");
  assert.equal(logDomain("service 1 (kv.sabz.city) ran out of fuel in a call: …", "n.sabz.city"), "kv.sabz.city");
  assert.equal(logDomain("disk 0: created /srv/d.img (1048576 bytes)", "n.sabz.city"), "n.sabz.city");
  assert.equal(logDomain("boot: 2 services: admitted", "n.sabz.city"), "n.sabz.city", "a word and a colon is not a domain");
});

test("a log entry carries its level's name, its origin and the line as written", () => {
  assert.deepEqual(logEntry("n.sabz.city", LogLevel.WARN, "echo.sabz.city: x", "kernel", 5),
    { time: 5, level: "warn", domain: "echo.sabz.city", origin: "kernel", message: "echo.sabz.city: x" });
  assert.equal(logEntry("n", LogLevel.DEBUG, "", "host").level, "debug");
  assert.equal(logEntry("n", LogLevel.ERROR, "", "host").level, "error");
});

test("a NodeObservation reads the status when it starts, serves its routes, and stops", async () => {
  const o = new NodeObservation("n.sabz.city");
  o.server.route("/x", (_req, res) => { res.end("x"); });
  o.log(LogLevel.INFO, "hello", "host");
  let reads = 0;
  const node = { status: () => { reads++; return decodeStatus(SNAPSHOT); } } as unknown as PersiaNode;
  const url = await o.start(node, "[::1]:0", (e) => assert.fail(e));
  try {
    assert.equal(reads, 1);
    assert.equal(o.observed.status()!.node!.nowMs, 12345);
    assert.equal(o.observed.logs()[0].message, "hello");
    assert.equal(await (await fetch(`${url}/x`)).text(), "x");
  } finally {
    o.stop();
  }
  await assert.rejects(fetch(`${url}/x`));
});
