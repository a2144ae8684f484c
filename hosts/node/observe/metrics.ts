// The metrics view: GET /metrics on the observability server answers, in the Prometheus
// text format (0.0.4), the newest status an Observed holds (loader/status/metrics.ts),
// when it was read, and, for a Node host, the Node process's own metrics (prom-client's
// default collectors: CPU, memory, event loop lag, GC). Before the first status it answers
// 503, so a scrape fails rather than show zeros the node never had.
// Does not poll the node: whoever feeds the Observed does (observe.ts).
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { METRICS_CONTENT_TYPE, statusMetrics } from "../../../loader/status/metrics";
import type { ObserveServer } from "./http";
import type { Observed } from "./observed";

export const METRICS_PATH = "/metrics";

/** prom-client's default gauges whose names end in _total, which the Prometheus naming
 *  rules keep for counters (`promtool check metrics` warns); the same counts, by type,
 *  stay in nodejs_active_handles, nodejs_active_requests and nodejs_active_resources. */
const MISNAMED_DEFAULTS = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];

/** The registry behind /metrics: the persia_* metrics of `observed`'s newest status and,
 *  with `process`, this Node process's. Exported for tests and other views. */
export function observedRegistry(observed: Observed, process: boolean): Registry {
  const registry = statusMetrics(() => {
    const s = observed.status();
    if (s === null) throw new Error("no status yet");
    return s;
  });
  new Gauge({
    name: "persia_status_read_time_seconds", help: "When the newest status was read, in seconds since the Unix epoch.",
    registers: [registry],
    collect() { this.set((observed.series.latest()?.wallMs ?? 0) / 1000); },
  });
  if (process) {
    collectDefaultMetrics({ register: registry });
    for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  }
  return registry;
}

/** Registers GET /metrics on `server`. `process`: add this process's metrics (the Node
 *  host; not a follower of an image's output, whose process is not the node). */
export function metricsView(server: ObserveServer, observed: Observed, process: boolean): void {
  const registry = observedRegistry(observed, process);
  server.route(METRICS_PATH, async (req, res) => {
    if (observed.status() === null) {
      res.writeHead(503, { "Content-Type": "text/plain; charset=utf-8", "Retry-After": "1" });
      res.end(`no status of ${observed.node} yet; the first comes within a second of the node's start ` +
        "(for `persia status --from`, when the image prints its first status line)\n");
      return;
    }
    const body = await registry.metrics();
    res.writeHead(200, { "Content-Type": METRICS_CONTENT_TYPE, "Content-Length": Buffer.byteLength(body) });
    res.end(req.method === "HEAD" ? undefined : body);
  });
}
