// The Node host's side of packet capture (hosts/node/capture.ts), without a kernel: the
// kernel's capture is on exactly while a subscriber is there, with the filter all of them
// share; a capture client that does not read loses records instead of making the kernel
// wait, and learns how many, per interface, once it reads again — so the count reaches
// its file. A bad filter is refused on the socket with the names that exist.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { CAPTURE_ALL, CAPTURE_NONE, CapturePoint } from "../../abi/capture";
import { CAPTURE_BACKLOG, CAPTURE_CLIENTS, CaptureTap, captureStream } from "../../hosts/node/capture";
import { Captured, CaptureHeader, RecordReader } from "../../loader/capture/record";
import { CaptureFile } from "../../loader/capture/file";
import { waitFor } from "../wait";

const HEADER: CaptureHeader = { node: "cap.sabz.city", nics: [{ id: 0, name: "lan0" }, { id: 1, name: "lan1" }], services: [{ id: 2, name: "echo.sabz.city" }] };

test("the kernel captures while anyone subscribes, filtered by what all subscribers share", () => {
  const calls: number[][] = [];
  const tap = new CaptureTap((mask, nic, svc) => { calls.push([mask, nic, svc]); return 0; });
  const seen: string[] = [];
  const a = tap.subscribe({ nic: 1, svc: 2 }, (p) => seen.push(`a${p.point}`));
  const b = tap.subscribe({ nic: 1 }, (p) => seen.push(`b${p.point}`));
  tap.record(CapturePoint.RX, 1, CAPTURE_NONE, CAPTURE_NONE, new Uint8Array(14));
  tap.record(CapturePoint.DELIVER, 1, 2, CAPTURE_NONE, new Uint8Array(40));
  tap.record(CapturePoint.TX, 0, 2, CAPTURE_NONE, new Uint8Array(54));
  a();
  b();
  b();
  assert.deepEqual(calls, [[CAPTURE_ALL, 1, 2], [CAPTURE_ALL, 1, CAPTURE_NONE], [CAPTURE_ALL, 1, CAPTURE_NONE], [0, CAPTURE_NONE, CAPTURE_NONE]]);
  assert.deepEqual(seen, ["b0", "a4", "b4"], "each subscriber gets only what passes its own filter");
  tap.record(CapturePoint.RX, 1, CAPTURE_NONE, CAPTURE_NONE, new Uint8Array(14));
  assert.equal(seen.length, 3);
});

/** A capture stream on a fresh socket pair: the server's end in captureStream, the client's returned. */
async function stream(tap: CaptureTap, request: string): Promise<{ client: net.Socket; server: net.Server }> {
  const p = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "persia-capstream-")), "s.sock");
  const server = net.createServer({ allowHalfOpen: true }, (s) => captureStream(s, request, tap, () => HEADER));
  await new Promise<void>((r) => server.listen(p, r));
  const client = net.connect(p);
  await new Promise<void>((r) => client.on("connect", r));
  return { client, server };
}

test("a client that does not read loses records, never stalls the kernel, and is told how many", async () => {
  const tap = new CaptureTap(() => 0);
  const { client, server } = await stream(tap, "{}");
  try {
    client.pause();
    await waitFor(() => tap.active === 1, 5000, "the stream to subscribe");
    const frame = new Uint8Array(1514);
    const n = Math.ceil(3 * CAPTURE_BACKLOG / frame.length);
    // record() is synchronous: it cannot wait. What shows it did not buffer without bound
    // instead is below: fewer than n written, the rest counted as lost.
    for (let i = 0; i < n; i++) tap.record(CapturePoint.RX, i % 2, CAPTURE_NONE, CAPTURE_NONE, frame);
    const chunks: Buffer[] = [];
    client.on("data", (d: Buffer) => chunks.push(d));
    client.resume();
    client.end();
    await new Promise<void>((r) => client.on("end", r));
    const all = Buffer.concat(chunks);
    const nl = all.indexOf(10);
    assert.deepEqual(JSON.parse(all.subarray(0, nl).toString()), { capture: HEADER });
    const records: Captured[] = new RecordReader().push(all.subarray(nl + 1));
    const packets = records.filter((r) => r.kind === "packet").length;
    const lost = records.filter((r) => r.kind === "lost");
    assert.ok(packets > 0 && packets < n, `${packets} of ${n} written`);
    assert.equal(packets + lost.reduce((s, l) => s + (l.kind === "lost" ? l.count : 0), 0), n, "every record is written or counted");
    assert.deepEqual(lost.map((l) => l.nic).sort(), [0, 1], "counted per interface");
    const cap = new CaptureFile(() => {}, HEADER, { maxBytes: 1 << 30 }, 0n);
    for (const r of records) cap.add(r);
    assert.equal(cap.lost, n - packets, "the count reaches the file");
    assert.equal(tap.active, 0, "the stream left the tap when the client closed");
  } finally {
    client.destroy();
    server.close();
  }
});

test("a filter naming what the node does not have is refused with what it has", async () => {
  const tap = new CaptureTap(() => 0);
  for (const [request, why] of [
    ['{"nic":"eth9"}', /"eth9" is not a NIC of cap\.sabz\.city; its NICs are lan0, lan1/],
    ['{"service":"kv.sabz.city"}', /"kv.sabz.city" is not a service of cap\.sabz\.city; its services are echo\.sabz\.city/],
    ['{"port":1}', /unknown capture filter "port"/],
    ["nic=lan0", /a capture request is "capture" and a JSON object/],
  ] as const) {
    const { client, server } = await stream(tap, request);
    let text = "";
    client.on("data", (d) => (text += d));
    await new Promise<void>((r) => client.on("end", r));
    server.close();
    assert.match(JSON.parse(text).error, why);
  }
  assert.equal(tap.active, 0);
});

test("a node that stops ends its capture streams, with what they lost", async () => {
  const tap = new CaptureTap(() => 0);
  const { client, server } = await stream(tap, '{"nic":"lan1"}');
  try {
    let text = Buffer.alloc(0);
    client.on("data", (d: Buffer) => (text = Buffer.concat([text, d])));
    await waitFor(() => tap.active === 1, 5000, "the stream to subscribe");
    tap.record(CapturePoint.RX, 1, CAPTURE_NONE, CAPTURE_NONE, new Uint8Array(60));
    tap.record(CapturePoint.RX, 0, CAPTURE_NONE, CAPTURE_NONE, new Uint8Array(60));
    tap.close();
    await new Promise<void>((r) => client.on("end", r));
    assert.equal(tap.active, 0);
    const records = new RecordReader().push(text.subarray(text.indexOf(10) + 1));
    assert.deepEqual(records.map((r) => [r.kind, r.nic]), [["packet", 1]], "only lan1's record, then the end");
  } finally {
    client.destroy();
    server.close();
  }
});

test("at most CAPTURE_CLIENTS captures at once; one more is refused with why", async () => {
  const tap = new CaptureTap(() => 0);
  const ends = Array.from({ length: CAPTURE_CLIENTS }, () => tap.subscribe({}, () => {}));
  const { client, server } = await stream(tap, "{}");
  let text = "";
  client.on("data", (d) => (text += d));
  await new Promise<void>((r) => client.on("end", r));
  server.close();
  assert.match(JSON.parse(text).error, new RegExp(`cap\\.sabz\\.city already streams ${CAPTURE_CLIENTS} captures, its most at once`));
  assert.equal(tap.active, CAPTURE_CLIENTS);
  for (const end of ends) end();
  assert.equal(tap.active, 0);
});

test("a k_capture that refuses the shared filter leaves the kernel capturing all, filtered by the host", () => {
  const calls: number[][] = [];
  const tap = new CaptureTap((mask, nic, svc) => { calls.push([mask, nic, svc]); return nic === 1 ? -22 : 0; });
  const seen: number[] = [];
  const end = tap.subscribe({ nic: 1 }, (p) => seen.push(p.nic));
  assert.deepEqual(calls, [[CAPTURE_ALL, 1, CAPTURE_NONE], [CAPTURE_ALL, CAPTURE_NONE, CAPTURE_NONE]]);
  tap.record(CapturePoint.RX, 0, CAPTURE_NONE, CAPTURE_NONE, new Uint8Array(14));
  tap.record(CapturePoint.RX, 1, CAPTURE_NONE, CAPTURE_NONE, new Uint8Array(14));
  assert.deepEqual(seen, [1]);
  end();
});

test("CAPTURE_ALL is a bit for each capture point", () => {
  for (let p = 0; p < CapturePoint.COUNT; p++) assert.ok((CAPTURE_ALL & (1 << p)) !== 0, CapturePoint[p]);
  assert.equal(CAPTURE_ALL >> CapturePoint.COUNT, 0);
});
