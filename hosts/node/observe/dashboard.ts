// The live dashboard of a node (`persia run … --metrics ADDR --dashboard`): a small page
// at / with its hand-written script and style (hosts/node/observe/dashboard/, no build
// step, nothing fetched from elsewhere), the node as JSON at /api/snapshot, and live
// updates at /events (Server-Sent Events, events.ts). spec/observe.md, "The dashboard".
// The words for drop reasons, service states and faults come from abi/describe.ts and are
// served with the snapshot, so the page holds no copy of them.
// Does not feed the Observed (serve.ts or the caller does) and cannot change the node.
import * as fs from "fs";
import * as path from "path";
import type * as http from "http";
import { DROP_TEXT, FAULT_TEXT, STATE_TEXT } from "../../../abi/describe";
import { Drop } from "../../../abi/drop";
import { Fault, SvcState } from "../../../abi/kernel";
import type { Status } from "../../../loader/status/decode";
import type { Rates } from "../../../loader/status/series";
import { ROOT } from "../paths";
import type { ObserveServer } from "./http";
import type { LogEntry, Observed } from "./observed";
import { EventStreams, StreamOptions } from "./events";

/** Where the page's files are, in the checkout (the same from build/ts). */
export const DASHBOARD_DIR = path.join(ROOT, "hosts/node/observe/dashboard");

/** The page's files: path served → file, and its type. */
const FILES: Record<string, [string, string]> = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/dashboard.js": ["dashboard.js", "text/javascript; charset=utf-8"],
  "/chart.js": ["chart.js", "text/javascript; charset=utf-8"],
  "/dashboard.css": ["dashboard.css", "text/css; charset=utf-8"],
  "/favicon.svg": ["favicon.svg", "image/svg+xml"],
};

/** The page loads nothing but its own files and its own event stream, and no other site
 *  may frame it. */
const PAGE_HEADERS = {
  "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-cache",
};

/** One point of the charts: the rates of one step, per second. */
export interface ChartPoint {
  /** Kernel time (ms) at the end of the step. */
  nowMs: number;
  nics: { id: number; rxPackets: number; txPackets: number; rxBytes: number; txBytes: number }[];
  drops: number;
}

export interface DashboardSnapshot {
  node: string;
  status: Status | null;
  rates: Rates | null;
  /** Every step the series keeps, oldest first. */
  history: ChartPoint[];
  log: readonly LogEntry[];
  /** Drop reason, service state and fault names (abi/) → what they mean, for a person. */
  text: { drops: Record<string, string>; states: Record<string, string>; faults: Record<string, string> };
}

export interface StatusEvent {
  status: Status;
  rates: Rates | null;
  point: ChartPoint | null;
}

/** Rates keep three decimals: the page shows fewer, and the JSON stays short. */
const round = (n: number): number => Math.round(n * 1000) / 1000;

export function chartPoint(r: Rates): ChartPoint {
  return {
    nowMs: r.nowMs,
    nics: r.nics.map((n) => ({ id: n.id, rxPackets: round(n.rxPackets), txPackets: round(n.txPackets),
      rxBytes: round(n.rxBytes), txBytes: round(n.txBytes) })),
    drops: round(r.dropsTotal),
  };
}

/** An abi enum's names → their words ("NO_ROUTE" → "no route to destination"). */
function names(e: Record<number, string>, text: Record<number, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [n, words] of Object.entries(text)) if (words !== "" && e[Number(n)] !== undefined) out[e[Number(n)]] = words;
  return out;
}

const TEXT = { drops: names(Drop, DROP_TEXT), states: names(SvcState, STATE_TEXT), faults: names(Fault, FAULT_TEXT) };

export function dashboardSnapshot(observed: Observed): DashboardSnapshot {
  return {
    node: observed.node, status: observed.status(), rates: observed.series.now(),
    history: observed.series.history().map(chartPoint), log: observed.logs(), text: TEXT,
  };
}

function readPage(): Map<string, { body: Buffer; type: string }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const [at, [file, type]] of Object.entries(FILES)) {
    const where = path.join(DASHBOARD_DIR, file);
    try {
      files.set(at, { body: fs.readFileSync(where), type });
    } catch (e) {
      throw new Error(`the dashboard's ${file} cannot be read (${(e as Error).message}); is the checkout complete?`);
    }
  }
  return files;
}

function send(req: http.IncomingMessage, res: http.ServerResponse, type: string, body: Buffer | string,
  headers: Record<string, string> = {}): void {
  res.writeHead(200, { "Content-Type": type, "Content-Length": String(Buffer.byteLength(body)), ...headers });
  res.end(req.method === "HEAD" ? undefined : body);
}

/** Serves the dashboard on `server`: /, its files, /api/snapshot and /events. Reads the
 *  page's files now, so a missing one fails here and not at the first visit. Returns the
 *  event streams (for their count); the server's close ends them. */
export function registerDashboard(server: ObserveServer, observed: Observed, options: StreamOptions = {}): EventStreams {
  const files = readPage();
  for (const [at, file] of files) server.route(at, (req, res) => send(req, res, file.type, file.body, PAGE_HEADERS));
  server.route("/api/snapshot", (req, res) =>
    send(req, res, "application/json", JSON.stringify(dashboardSnapshot(observed)), { "Cache-Control": "no-store" }));
  const streams = new EventStreams(observed, {
    snapshot: () => dashboardSnapshot(observed),
    status: (status, rates): StatusEvent => ({ status, rates, point: rates === null ? null : chartPoint(rates) }),
    log: (entry) => entry,
  }, options);
  server.route("/events", (req, res) => streams.serve(req, res));
  return streams;
}
