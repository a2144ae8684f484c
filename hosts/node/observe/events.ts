// Server-Sent Events (the WHATWG HTML "server-sent events" format) for the dashboard: each
// stream opens with the whole snapshot, then carries one `status` event per new status
// and one `log` event per log line, and a comment line as a heartbeat so that proxies and
// the browser see it is alive. Each event is serialised once, whatever the number of
// streams. At most `maxStreams` streams at once (503 beyond, with what to do); a stream
// whose client reads too slowly to keep up is closed, and its browser reconnects and
// starts again from a fresh snapshot. Listeners on the Observed exist only while a stream
// is open.
// Does not choose what an event carries: dashboard.ts gives the payloads.
import type * as http from "http";
import type { Status } from "../../../loader/status/decode";
import type { Rates } from "../../../loader/status/series";
import type { LogEntry, Observed } from "./observed";

/** Event streams served at once; one more is refused with 503. */
export const MAX_STREAMS = 8;
/** A comment line this often keeps an idle stream open through proxies. */
export const HEARTBEAT_MS = 15000;
/** What the browser waits before it reconnects a dropped stream (the `retry:` field). */
export const RETRY_MS = 3000;
/** Bytes a stream may have waiting for a slow client before it is closed. */
export const MAX_BUFFERED = 1 << 20;

export interface StreamOptions {
  maxStreams?: number;
  heartbeatMs?: number;
}

export interface Payloads {
  snapshot(): unknown;
  status(status: Status, rates: Rates | null): unknown;
  log(entry: LogEntry): unknown;
}

/** One event in the wire format: `event:` and `data:` lines, then a blank line. JSON has
 *  no raw newline, so the data is one line. */
export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class EventStreams {
  private readonly streams = new Set<http.ServerResponse>();
  private readonly maxStreams: number;
  private readonly heartbeatMs: number;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(private readonly observed: Observed, private readonly payloads: Payloads, options: StreamOptions = {}) {
    this.maxStreams = options.maxStreams ?? MAX_STREAMS;
    this.heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  }

  get open(): number {
    return this.streams.size;
  }

  /** The handler of the events path. */
  serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.streams.size >= this.maxStreams) {
      res.writeHead(503, { "Content-Type": "text/plain; charset=utf-8", "Retry-After": "10" });
      res.end(`this node already serves ${this.maxStreams} live streams, its most; close a dashboard and reload\n`);
      return;
    }
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", "X-Accel-Buffering": "no",
    });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    res.write(`retry: ${RETRY_MS}\n\n`);
    res.write(sseEvent("snapshot", this.payloads.snapshot()));
    this.streams.add(res);
    if (this.streams.size === 1) this.subscribe();
    res.on("close", () => this.drop(res));
  }

  private readonly onStatus = (status: Status, rates: Rates | null): void => {
    this.broadcast(sseEvent("status", this.payloads.status(status, rates)));
  };

  private readonly onLog = (entry: LogEntry): void => {
    this.broadcast(sseEvent("log", this.payloads.log(entry)));
  };

  private broadcast(text: string): void {
    for (const res of this.streams) {
      res.write(text);
      if (res.writableLength > MAX_BUFFERED) res.destroy();
    }
  }

  private subscribe(): void {
    this.observed.on("status", this.onStatus);
    this.observed.on("log", this.onLog);
    this.heartbeat = setInterval(() => this.broadcast(": alive\n\n"), this.heartbeatMs);
    this.heartbeat.unref();
  }

  private drop(res: http.ServerResponse): void {
    if (!this.streams.delete(res) || this.streams.size > 0) return;
    this.observed.off("status", this.onStatus);
    this.observed.off("log", this.onLog);
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}
