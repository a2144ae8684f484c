// The observability HTTP server of a node: one TCP address (`--metrics [::1]:9464`) on
// which each view registers its paths (the metrics at /metrics, the dashboard at / and
// its event stream). Read-only: it answers GET and HEAD and nothing else, so no request
// can change the node (that takes a signed control message, spec/control.md).
// A request another web page makes (the browser says so in Sec-Fetch-Site or Origin) is
// refused, so a page in the operator's browser can neither read the node nor tie up its
// event streams and its CPU. A request that came in on a loopback address is answered only when it names the server
// by an IP address or "localhost": a page in the operator's browser could otherwise point a DNS name of its
// own at 127.0.0.1 and read the node (DNS rebinding).
// Does not know what a path serves: the handlers do.
import * as http from "http";
import * as net from "net";
import { listenAddress } from "../../../loader/manifest/values";

/** Connections at once: scrapes, a few dashboards (at most 8 event streams) and room. */
const MAX_CONNECTIONS = 64;
/** A request's headers must come within this, and the whole request within the next. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

/** Answers one request to its path; `url` is parsed against the server's own address. */
export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void | Promise<void>;

/** "[::1]:9464", "127.0.0.1:9464", ":9464" or "9464" (every address); port 0 picks a free
 *  one. Throws with what is wrong. The manifest's `observe.metrics` is read by the same parser. */
export function parseListen(text: string): { host: string | undefined; port: number } {
  return listenAddress(text);
}

export class ObserveServer {
  private readonly routes = new Map<string, Handler>();
  private server: http.Server | null = null;
  /** The last error the listening server met (kept for a person debugging; not fatal). */
  lastError: Error | null = null;

  /** Serves `handler` at exactly `path` ("/metrics"). */
  route(path: string, handler: Handler): this {
    if (this.routes.has(path)) throw new Error(`two handlers for ${path}`);
    this.routes.set(path, handler);
    return this;
  }

  /** Starts listening; resolves to the address it got (port 0 picks a free one). */
  async listen(address: string): Promise<{ host: string; port: number; url: string }> {
    const { host, port } = parseListen(address);
    const server = http.createServer((req, res) => this.answer(req, res));
    server.maxConnections = MAX_CONNECTIONS;
    server.headersTimeout = HEADERS_TIMEOUT_MS;
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    await new Promise<void>((resolve, reject) => {
      const refused = (e: NodeJS.ErrnoException) => reject(new Error(`cannot serve metrics on ${address}: ${
        e.code === "EADDRINUSE" ? "something else listens there; choose another port" :
        e.code === "EADDRNOTAVAIL" ? "this machine has no such address" : e.message}`));
      server.once("error", refused);
      server.listen(port, host, () => { server.off("error", refused); resolve(); });
    });
    // Once listening, an error (EMFILE when accepting under a flood) ends one connection,
    // never the node: the server goes on.
    server.on("error", (e) => { this.lastError = e; });
    this.server = server;
    const a = server.address() as { address: string; port: number };
    const shown = a.address.includes(":") ? `[${a.address}]` : a.address;
    return { host: a.address, port: a.port, url: `http://${shown}:${a.port}` };
  }

  close(): void {
    this.server?.closeAllConnections();
    this.server?.close();
    this.server = null;
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://node");
    const handler = this.routes.get(url.pathname);
    const fail = (code: number, why: string): void => {
      if (!res.headersSent) res.writeHead(code, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(`${why}\n`);
    };
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      fail(405, `${req.method} is not served here: this server only shows the node`);
      return;
    }
    const site = req.headers["sec-fetch-site"];
    if (site === "cross-site" || site === "same-site" || (req.headers.origin !== undefined && !sameOrigin(req.headers.origin, req.headers.host))) {
      fail(403, "a request from another web page is refused: this server shows the node only to a browser tab opened on it, " +
        "to Prometheus and to curl");
      return;
    }
    if (isLoopback(req.socket.localAddress ?? "") && !localName(req.headers.host)) {
      fail(403, `a request that comes to a loopback address must name the server by an IP address or localhost, not ` +
        `"${req.headers.host ?? ""}": a DNS name that points at a loopback address is how a web page would reach it`);
      return;
    }
    if (handler === undefined) {
      fail(404, `nothing at ${url.pathname}; this node serves ${[...this.routes.keys()].sort().join(", ")}`);
      return;
    }
    Promise.resolve()
      .then(() => handler(req, res, url))
      .catch((e: unknown) => fail(500, `cannot answer ${url.pathname}: ${e instanceof Error ? e.message : String(e)}`));
  }
}

/** An address of this machine's loopback: ::1 or 127/8 (also as a mapped IPv4 address). */
export function isLoopback(address: string): boolean {
  return address === "::1" || /^(::ffff:)?127\./.test(address);
}

/** A Host header that names an address literally, or localhost (with or without a port). */
export function localName(host: string | undefined): boolean {
  if (host === undefined) return true;   // HTTP/1.0: no name to have been rebound
  const name = /^\[([^\]]+)\](?::\d+)?$/.exec(host)?.[1] ?? host.replace(/:\d+$/, "");
  return net.isIP(name) !== 0 || name.toLowerCase() === "localhost";
}

/** Whether an Origin header names the server the Host header names (same scheme and place). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  return host !== undefined && origin.toLowerCase() === `http://${host.toLowerCase()}`;
}
