// Where the observability views of a node are put together: one ObserveServer (http.ts)
// on the address `--metrics` or the manifest's `observe.metrics` names, an Observed that
// something feeds, and the views registered on it. `observe` feeds the Observed from a
// running PersiaNode once a second; `serveViews` serves an Observed fed elsewhere (the
// follower of a wasmtime image's output, cli/follow.ts).
// Each view registers its own paths in serveViews, next to the metrics (spec/observe.md);
// the returned server takes more routes at any time, served from then on.
// Does not print anything or handle signals: the CLI does.
import type { PersiaNode } from "../node";
import { registerDashboard } from "./dashboard";
import { isLoopback, ObserveServer } from "./http";
import { metricsView } from "./metrics";
import { Observed, watchNode } from "./observed";

/** The views to serve. */
export interface Views {
  /** GET /metrics, in the Prometheus text format. */
  metrics?: boolean;
  /** The live dashboard at / and its event stream (dashboard.ts). */
  dashboard?: boolean;
}

/** What is being served, and how to stop it. */
export interface Observing {
  observed: Observed;
  server: ObserveServer;
  /** "http://[::1]:9464": the server's own address, with the port it got. */
  url: string;
  /** Whether it listens on a loopback address only (spec/security.md: anything else shows
   *  the node to whoever reaches it). */
  loopback: boolean;
  close(): void;
}

/** How often a running node's status is read (and rates are computed). */
export const WATCH_EVERY_MS = 1000;

/** Serves `views` of `observed` on `listen` ("[::1]:9464"). `process`: the metrics include
 *  this Node process's own (true only when this process is the node). */
export async function serveViews(observed: Observed, listen: string, views: Views, process = false): Promise<Observing> {
  const server = new ObserveServer();
  if (views.metrics) metricsView(server, observed, process);
  if (views.dashboard) registerDashboard(server, observed);
  const { host, url } = await server.listen(listen);
  return { observed, server, url, loopback: isLoopback(host), close: () => server.close() };
}

/** Reads `node`'s status into `observed` every second and serves `views` on `listen`.
 *  A status read that fails (the node stopped) ends the watch; the server goes on showing
 *  the last status until close(). */
export async function observe(node: PersiaNode, observed: Observed, listen: string, views: Views,
  onError: (e: Error) => void = () => {}): Promise<Observing> {
  const stop = watchNode(observed, () => node.statusNow(), WATCH_EVERY_MS, onError);
  try {
    const served = await serveViews(observed, listen, views, true);
    return { ...served, close: () => { stop(); served.close(); } };
  } catch (e) {
    stop();
    throw e;
  }
}
