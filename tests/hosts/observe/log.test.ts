// Log lines as entries and back (hosts/node/observe/log.ts): each kind of line the kernel
// and the hosts write is tagged with the domain it is about and the service, NIC or disk it
// names; the text format is the one every host prints; the JSON format is one object a
// line with an ISO 8601 time; a wasmtime image's stderr lines read back into entries.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { LogLevel } from "../../../abi/kernel";
import { bootedNode, formatLog, logEntry, LogContext, parseLogLine } from "../../../hosts/node/observe/log";

const ctx: LogContext = {
  node: "gw.sabz.city",
  services: () => [{ id: 0, name: "echo.sabz.city" }, { id: 3, name: "kv.sabz.city" }],
  nics: new Map([[0, "vx0"], [1, "lan1"]]),
};
const T = Date.UTC(2026, 11, 5, 1, 2, 3, 456);

test("a line about a service is that service's: by id and name, by name, or the service's own line", () => {
  const cases: [string, string, Record<string, string | number>][] = [
    ["service 3 (kv.sabz.city) trapped at start: unreachable", "kv.sabz.city", { service: 3 }],
    ["service 0 stopped: memory access out of bounds", "echo.sabz.city", { service: 0 }],
    ["service kv.sabz.city restarts in 100 ms", "kv.sabz.city", { service: 3 }],
    ["echo.sabz.city: hello from the service", "echo.sabz.city", { service: 0 }],
    ["other.example.org: not a service of this node", "gw.sabz.city", {}],
    ["service 9 stopped: a slot the node does not know", "gw.sabz.city", {}],
    ["control: alice loads shop.sabz.city", "gw.sabz.city", {}],
  ];
  for (const [line, domain, fields] of cases) {
    const e = logEntry(LogLevel.WARN, line, "host", ctx, T);
    assert.deepEqual([e.domain, e.fields], [domain, { node: "gw.sabz.city", ...fields }], line);
  }
});

test("a line naming a NIC or a disk carries it, with the NIC's manifest name", () => {
  assert.deepEqual(logEntry(LogLevel.WARN, "VXLAN NIC 0: send error towards [::1]:4790: ECONNREFUSED", "host", ctx, T).fields,
    { node: "gw.sabz.city", nic: 0, nic_name: "vx0" });
  assert.deepEqual(logEntry(LogLevel.WARN, "TAP NIC 2: device pt2 is gone", "host", ctx, T).fields,
    { node: "gw.sabz.city", nic: 2 }, "a NIC the context has no name for");
  assert.deepEqual(logEntry(LogLevel.ERROR, "disk 1 (data.img): read error", "host", ctx, T).fields, { node: "gw.sabz.city", disk: 1 });
});

test("the text format is the one every host prints; JSON is one object with an ISO 8601 time", () => {
  const e = logEntry(LogLevel.WARN, "service 3 (kv.sabz.city) trapped", "host", ctx, T);
  assert.equal(formatLog(e, "text"), "warn host: service 3 (kv.sabz.city) trapped");
  assert.equal(formatLog(logEntry(LogLevel.DEBUG, "poll", "kernel", ctx, T), "text"), "debug kernel: poll");
  const line = formatLog(e, "json");
  assert.doesNotMatch(line, /\n/);
  assert.deepEqual(JSON.parse(line), {
    time: "2026-12-05T01:02:03.456Z", level: "warn", domain: "kv.sabz.city", origin: "host",
    message: "service 3 (kv.sabz.city) trapped", fields: { node: "gw.sabz.city", service: 3 },
  });
  const odd = logEntry(LogLevel.INFO, 'echo.sabz.city: a "quoted"\ttab\u0001', "kernel", ctx, T);
  assert.equal(JSON.parse(formatLog(odd, "json")).message, 'echo.sabz.city: a "quoted"\ttab\u0001', "any text survives");
});

test("a wasmtime image's stderr lines read back: log lines, notes, and anything else as the host's errors", () => {
  const kernel = parseLogLine("warn kernel: service kv.sabz.city restarts in 100 ms", ctx, T)!;
  assert.deepEqual([kernel.level, kernel.origin, kernel.domain, kernel.message],
    ["warn", "kernel", "kv.sabz.city", "service kv.sabz.city restarts in 100 ms"]);
  const host = parseLogLine("warn host: service 0 stopped: integer divide by zero\r", ctx, T)!;
  assert.deepEqual([host.level, host.origin, host.domain, host.fields?.service], ["warn", "host", "echo.sabz.city", 0]);
  const note = parseLogLine("persia: node img.sabz.city is running under wasmtime: 1 NIC(s), 0 disk(s)", ctx, T)!;
  assert.deepEqual([note.level, note.origin, note.message], ["info", "host", "node img.sabz.city is running under wasmtime: 1 NIC(s), 0 disk(s)"]);
  const other = parseLogLine("Error: failed to run main module `node.wasm`", ctx, T)!;
  assert.deepEqual([other.level, other.origin, other.domain], ["error", "host", "gw.sabz.city"]);
  assert.equal(parseLogLine("   ", ctx, T), null);
  assert.equal(bootedNode("persia: node img.sabz.city is running under wasmtime: 1 NIC(s), 0 disk(s)"), "img.sabz.city");
  assert.equal(bootedNode("info kernel: node img.sabz.city is running under wasmtime"), null);
});
