// The dashboard's paths (hosts/node/observe/dashboard.ts, events.ts) on a real
// ObserveServer over an Observed the test feeds by hand: /api/snapshot carries the node,
// its latest status and rates, the chart points, the log tail and the words for the ABI's
// names; the page and every file it names are served, with a policy that loads nothing
// from elsewhere; /events opens with the snapshot, then sends one event per status and log
// line (a line break in a message stays inside its one data line) and heartbeats, frees
// its listeners when the client goes, and refuses a stream past its limit with 503.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as http from "http";
import { DROP_TEXT } from "../../../abi/describe";
import { Drop } from "../../../abi/drop";
import { decodeStatus, Status } from "../../../loader/status/decode";
import { ObserveServer } from "../../../hosts/node/observe/http";
import { Observed } from "../../../hosts/node/observe/observed";
import { registerDashboard, DashboardSnapshot, StatusEvent } from "../../../hosts/node/observe/dashboard";
import { MAX_BUFFERED, StreamOptions } from "../../../hosts/node/observe/events";
import { SNAPSHOT } from "../../loader/status_fixture";
import { waitFor } from "../../wait";

/** The fixture's status at kernel time `nowMs`, with `rx` frames received on NIC 0 and by
 *  echo.sabz.city, and `drops` packets dropped for NO_ROUTE. */
function at(nowMs: number, rx: number, drops = 5): Status {
  const s = decodeStatus(SNAPSHOT);
  s.node!.nowMs = nowMs;
  s.nics[0].rxFrames = rx;
  s.services[0].rxPackets = rx;
  s.drops.NO_ROUTE = drops;
  return s;
}

const LOG = { time: 1_700_000_000_000, level: "warn", domain: "echo.sabz.city", origin: "kernel", message: "echo.sabz.city: <b>hi</b>\n\nnot an event\r" } as const;

async function serve(t: { after(f: () => void): void }, options: StreamOptions = {}): Promise<{ observed: Observed; url: string }> {
  const observed = new Observed("test.sabz.city", 10);
  const server = new ObserveServer();
  registerDashboard(server, observed, options);
  const { url } = await server.listen("[::1]:0");
  t.after(() => server.close());
  return { observed, url };
}

/** One whole answer; fails after 5 s without its end (an event stream never ends). */
async function get(url: string, method = "GET"): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.setTimeout(5000, () => req.destroy(new Error(`${method} ${url}: no whole answer in 5 s`)));
    req.on("error", reject).end();
  });
}

interface Stream { status: number; events: { event: string; data: any }[]; comments: string[]; body: string; close(): void }

/** Opens /events and parses what arrives, as an EventSource would. */
function stream(url: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${url}/events`, (res) => {
      const s: Stream = { status: res.statusCode!, events: [], comments: [], body: "", close: () => req.destroy() };
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        s.body += d;
        text += d;
        let end: number;
        while ((end = text.indexOf("\n\n")) >= 0) {
          const block = text.slice(0, end).split("\n");
          text = text.slice(end + 2);
          const event = block.find((l) => l.startsWith("event: "))?.slice(7);
          const data = block.find((l) => l.startsWith("data: "))?.slice(6);
          s.comments.push(...block.filter((l) => l.startsWith(":")));
          if (event !== undefined && data !== undefined) s.events.push({ event, data: JSON.parse(data) });
        }
      });
      res.on("error", () => {});
      resolve(s);
    });
    req.on("error", (e) => ((e as NodeJS.ErrnoException).code === "ECONNRESET" ? undefined : reject(e)));
  });
}

test("/api/snapshot has the node, its latest status and rates, a chart point per step, the log and the words", async (t) => {
  const { observed, url } = await serve(t);
  observed.pushStatus(at(1000, 10));
  observed.pushStatus(at(2000, 30, 9));
  observed.pushStatus(at(4000, 70, 9));
  observed.pushLog(LOG);
  const r = await get(`${url}/api/snapshot`);
  assert.equal(r.status, 200);
  assert.match(r.headers["content-type"]!, /^application\/json/);
  const snap = JSON.parse(r.body) as DashboardSnapshot;
  assert.equal(snap.node, "test.sabz.city");
  assert.equal(snap.status!.node!.nowMs, 4000);
  assert.equal(snap.rates!.nics[0].rxPackets, 20);
  assert.deepEqual(snap.history.map((p) => [p.nowMs, p.nics[0].rxPackets, p.drops]), [[2000, 20, 4], [4000, 20, 0]]);
  assert.deepEqual(snap.log, [LOG]);
  assert.equal(snap.text.drops.NO_ROUTE, DROP_TEXT[Drop.NO_ROUTE]);
  assert.equal(Object.keys(snap.text.drops).length, Drop.COUNT, "every reason has its words, and COUNT is no reason");
  assert.equal(snap.text.states.RUNNING, "running");
  assert.equal(snap.text.faults.TRAP, "trapped");
  const head = await get(`${url}/api/snapshot`, "HEAD");
  assert.equal(head.body, "");
});

test("before any status the snapshot says so, rather than failing", async (t) => {
  const { url } = await serve(t);
  const snap = JSON.parse((await get(`${url}/api/snapshot`)).body) as DashboardSnapshot;
  assert.deepEqual([snap.status, snap.rates, snap.history, snap.log], [null, null, [], []]);
});

test("the page and every file it names are served from the checkout, with a policy that loads nothing from elsewhere", async (t) => {
  const { url } = await serve(t);
  const page = await get(`${url}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers["content-type"]!, /^text\/html/);
  const csp = String(page.headers["content-security-policy"]);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|\*/);
  const named = [...page.body.matchAll(/(?:src|href)="(\/[^"#]*)"/g)].map((m) => m[1]);
  assert.ok(named.includes("/dashboard.js") && named.includes("/dashboard.css"), named.join(" "));
  const script = (await get(`${url}/dashboard.js`)).body;
  named.push(...[...script.matchAll(/from "\.(\/[^"]+)"/g)].map((m) => m[1]));
  assert.ok(named.includes("/chart.js"), "dashboard.js imports chart.js");
  for (const file of named) {
    const r = await get(`${url}${file}`);
    assert.equal(r.status, 200, `${file}: ${r.body}`);
    assert.ok(r.body.length > 0, file);
    assert.equal(r.headers["x-content-type-options"], "nosniff", file);
  }
  assert.match((await get(`${url}/chart.js`)).headers["content-type"]!, /^text\/javascript/);
  assert.doesNotMatch(page.body + script, /https?:\/\//, "the page names no other site");
});

test("/events opens with the snapshot, then one event per status (with its chart point) and per log line", async (t) => {
  const { observed, url } = await serve(t);
  observed.pushStatus(at(1000, 10));
  const s = await stream(url);
  t.after(() => s.close());
  assert.equal(s.status, 200);
  await waitFor(() => s.events.length >= 1, 5000, "the snapshot event");
  assert.match(s.body, /^retry: \d+\n\n/, "it tells the browser when to reconnect");
  assert.equal(s.events[0].event, "snapshot");
  assert.equal((s.events[0].data as DashboardSnapshot).status!.node!.nowMs, 1000);
  observed.pushStatus(at(3000, 50));
  observed.pushLog(LOG);
  await waitFor(() => s.events.length >= 3, 5000, () => `a status and a log event (have ${s.events.map((e) => e.event)})`);
  const status = s.events[1].data as StatusEvent;
  assert.equal(s.events[1].event, "status");
  assert.equal(status.status.node!.nowMs, 3000);
  assert.deepEqual(status.point, { nowMs: 3000, nics: [{ id: 0, rxPackets: 20, txPackets: 0, rxBytes: 0, txBytes: 0 }], drops: 0 });
  assert.equal(status.rates!.services[0].rxPackets, 20);
  assert.deepEqual(s.events[2], { event: "log", data: LOG });
  assert.equal(s.events.length, 3, "nothing else");
});

test("a stream sends heartbeats, and its listeners go when the client does", async (t) => {
  const { observed, url } = await serve(t, { heartbeatMs: 30 });
  const s = await stream(url);
  await waitFor(() => s.comments.length >= 2, 5000, "two heartbeat comments");
  assert.equal(observed.listenerCount("status"), 1);
  assert.equal(observed.listenerCount("log"), 1);
  s.close();
  await waitFor(() => observed.listenerCount("status") === 0 && observed.listenerCount("log") === 0, 5000,
    () => `the stream's listeners to go (status: ${observed.listenerCount("status")}, log: ${observed.listenerCount("log")})`);
});

test("streams past the limit get 503 with what to do; a closed one makes room", async (t) => {
  const { url } = await serve(t, { maxStreams: 2 });
  const a = await stream(url);
  const b = await stream(url);
  t.after(() => { a.close(); b.close(); });
  await waitFor(() => a.events.length > 0 && b.events.length > 0, 5000, "both streams' snapshots");
  const refused = await get(`${url}/events`);
  assert.equal(refused.status, 503);
  assert.equal(refused.headers["retry-after"], "10");
  assert.match(refused.body, /already serves 2 live streams.*close a dashboard/);
  a.close();
  await waitFor(async () => {
    const c = await stream(url);
    c.close();
    return c.status === 200;
  }, 5000, "a stream to be accepted again once one closed");
});

test("a client that reads too slowly is cut off once MAX_BUFFERED is unread, and the node stops listening for it", async (t) => {
  const { observed, url } = await serve(t);
  const req = http.get(`${url}/events`, (res) => res.pause());   // it never reads
  req.on("error", () => {});
  t.after(() => req.destroy());
  await waitFor(() => observed.listenerCount("log") === 1, 5000, "the stream to open");
  const line = "x".repeat(64 * 1024);
  let sent = 0;
  while (observed.listenerCount("log") > 0 && sent < 1024) {
    observed.pushLog({ ...LOG, message: line });
    sent++;
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(observed.listenerCount("log"), 0, `the stream is cut (after ${sent} lines of 64 KiB)`);
  assert.ok(sent * line.length >= MAX_BUFFERED, `not before MAX_BUFFERED bytes were left unread (${sent} lines)`);
});
