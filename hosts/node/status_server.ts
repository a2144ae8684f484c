// A Unix domain socket that answers status requests from `persia status`, scripts and
// curl: one request line per connection, one answer, then the connection closes.
//   "status" or nothing  → the status as JSON      "text"    → formatStatus tables
//   "metrics"            → Prometheus text          "GET /metrics HTTP/1.1" (and /, /status,
//   /text) → the same over a minimal HTTP/1.0 reply, e.g. `curl --unix-socket PATH http://node/metrics`.
//   "capture <json filter>" → handed to the capture handler, which streams packet records on
//   the same connection until the client closes it (capture.ts, `persia capture`).
//   "disk <disk> detach|attach [<path>]|fault error|off" → the operator's hardware operation
//   on one of the host's disks (disk_ops.ts, `persia disk`), answered as JSON with a sentence.
// Does not accept control messages: changing a node's configuration (services, grants,
// routes) takes a signed message, never this socket. A disk operation is not one: it acts
// on the host's hardware as pulling a cable would, and only the socket's owner and root can
// connect — the socket is made 0600 whatever the umask (spec/security.md, "Disk operations").
// Removes a stale socket file left by a node that died; refuses to touch any other file.
// Used by node.ts (PersiaNode.statusServer).
import * as fs from "fs";
import * as net from "net";
import { formatStatus, Status } from "../../loader/status/decode";
import { METRICS_CONTENT_TYPE, metricsText } from "../../loader/status/metrics";
import type { DiskAnswer } from "./disk_ops";

/** How long a connection may stay silent before it gets the JSON status. */
const REQUEST_WAIT_MS = 200;
/** Longest request line read. */
const REQUEST_MAX = 4096;

const HTTP_REQUEST = /^GET (\S+) HTTP\/1\.[01]$/;

interface Answer {
  code: number;
  type: string;
  body: string;
}

async function answer(request: string, source: () => Status): Promise<Answer> {
  const http = HTTP_REQUEST.exec(request);
  const what = http ? http[1].replace(/^\//, "") : request;
  try {
    switch (what) {
      case "": case "status": return { code: 200, type: "application/json", body: JSON.stringify(source(), null, 2) + "\n" };
      case "metrics": return { code: 200, type: METRICS_CONTENT_TYPE, body: await metricsText(source()) };
      case "text": return { code: 200, type: "text/plain; charset=utf-8", body: formatStatus(source()) };
      default:
        return { code: 404, type: "application/json", body: JSON.stringify({ error: `unknown request "${what}"; ask for status, text or metrics` }) + "\n" };
    }
  } catch (e) {
    return { code: 500, type: "application/json", body: JSON.stringify({ error: e instanceof Error ? e.message : String(e) }) + "\n" };
  }
}

async function reply(request: string, source: () => Status): Promise<string> {
  const a = await answer(request, source);
  if (!HTTP_REQUEST.test(request)) return a.body;
  const reason = a.code === 200 ? "OK" : a.code === 404 ? "Not Found" : "Internal Server Error";
  return `HTTP/1.0 ${a.code} ${reason}\r\nContent-Type: ${a.type}\r\nContent-Length: ${Buffer.byteLength(a.body)}\r\n` +
    `Connection: close\r\n\r\n${a.body}`;
}

/** Serves one connection that asked for a capture: `request` is what followed "capture". */
export type CaptureHandler = (socket: net.Socket, request: string) => void;

/** Applies one "disk …" request line and answers it (node.ts diskOperation). */
export type DiskHandler = (request: string) => DiskAnswer;

const CAPTURE_REQUEST = /^capture(?:\s+(.*))?$/;
const DISK_REQUEST = /^disk(?:\s|$)/;

function serve(socket: net.Socket, source: () => Status, capture?: CaptureHandler, disk?: DiskHandler): void {
  let received = "";
  let done = false;
  const respond = (line: string): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    const request = line.replace(/\r$/, "").trim();
    const c = CAPTURE_REQUEST.exec(request);
    if (c && capture) { capture(socket, c[1] ?? ""); return; }
    if (DISK_REQUEST.test(request)) {
      const a = disk ? disk(request) : { ok: false, message: "this node has no disk operations" };
      socket.end(JSON.stringify(a) + "\n");
      return;
    }
    void reply(request, source).then((text) => socket.end(text));
  };
  // On a busy node the loop may come back to timers after the wait with the request already
  // received but not yet read (timers run before I/O in each turn of Node's loop): answer
  // the silence only after that turn's I/O, so a request that did arrive is never taken for
  // silence (a `persia disk` got the status back under load).
  const timer = setTimeout(() => setImmediate(() => respond("")), REQUEST_WAIT_MS);
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    if (done) return;                          // answered (a capture stream reads no more)
    received += chunk;
    const nl = received.indexOf("\n");
    if (nl >= 0) respond(received.slice(0, nl));
    else if (received.length > REQUEST_MAX) respond("");
  });
  socket.on("end", () => respond(received));
  socket.on("error", () => clearTimeout(timer));
}

/** Removes `path` if it is a socket nobody listens on; throws if another node serves it
 *  or if it is not a socket. */
async function removeStale(path: string): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket; refusing to replace it with the status socket`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect(path);
    probe.once("connect", () => { probe.destroy(); resolve(true); });
    probe.once("error", () => resolve(false));
  });
  if (live) throw new Error(`another process is already serving ${path}; stop it or choose another status socket path`);
  fs.unlinkSync(path);
}

/** Listens on `path` and answers every connection from `source()`, and capture requests
 *  with `capture` when given. */
export async function statusServer(path: string, source: () => Status, capture?: CaptureHandler,
  disk?: DiskHandler): Promise<net.Server> {
  await removeStale(path);
  const server = net.createServer({ allowHalfOpen: true }, (socket) => serve(socket, source, capture, disk));
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(new Error(`cannot listen on status socket ${path}: ${e.message}`)));
    const mask = process.umask(0o177);   // bind creates the socket file 0600 (listen binds synchronously)
    try {
      server.listen(path, () => resolve());
    } finally {
      process.umask(mask);
    }
  });
  try {
    fs.chmodSync(path, 0o600);   // owner and root only, whatever the umask: it also takes disk operations
  } catch (e) {
    server.close();
    throw new Error(`cannot make status socket ${path} private (chmod 600): ${e instanceof Error ? e.message : String(e)}`);
  }
  return server;
}
