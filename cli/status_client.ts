// The client side of the status socket (status_server.ts), for `persia status`: send one
// request line, read the whole answer. A missing or dead socket gets a message that says
// whether the node is running and where to look (socketProblem, also for `persia capture`).
import * as net from "net";

const REQUEST = { text: "text", json: "status", metrics: "metrics" } as const;

export function queryStatus(path: string, format: keyof typeof REQUEST, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(path);
    let body = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`the node at ${path} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on("connect", () => sock.end(`${REQUEST[format]}\n`));
    sock.on("data", (d) => (body += d));
    sock.on("end", () => { clearTimeout(timer); resolve(body); });
    sock.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(`cannot read the status from ${path}: ${socketProblem(e)}`));
    });
  });
}

/** Why a status socket cannot be reached, in words that say what to do. */
export function socketProblem(e: NodeJS.ErrnoException): string {
  return e.code === "ENOENT" ? "no status socket there: is the node running (`persia run <manifest>`), and with this --socket-dir?"
    : e.code === "ECONNREFUSED" ? "the socket exists but nothing listens: the node has stopped; start it again"
    : e.code === "EACCES" ? "permission denied: run as the user that started the node, or as root" : e.message;
}
