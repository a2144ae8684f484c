// The client side of the status socket (status_server.ts), for `persia status`: send one
// request line, read the whole answer. A missing or dead socket gets a message that says
// whether the node is running and where to look (socketProblem, also for `persia capture`).
// Also sends the operator's disk operations (`persia disk`, diskRequest).
import * as net from "net";

const REQUEST = { text: "text", json: "status", metrics: "metrics" } as const;

export function queryStatus(path: string, format: keyof typeof REQUEST, timeoutMs = 3000): Promise<string> {
  return ask(path, REQUEST[format], "read the status from", timeoutMs);
}

/** The node's answer to a disk operation (hosts/node/disk_ops.ts): a sentence, and whether it was done. */
export async function diskRequest(path: string, line: string, timeoutMs = 10000): Promise<{ ok: boolean; message: string }> {
  const text = await ask(path, line, "send a disk operation to", timeoutMs);
  try {
    const a = JSON.parse(text) as { ok?: unknown; message?: unknown; error?: unknown };
    if (typeof a.message === "string") return { ok: a.ok === true, message: a.message };
    if (typeof a.error === "string") return { ok: false, message: a.error };
  } catch { /* answered below */ }
  throw new Error(`the node at ${path} did not answer the disk operation (it answered ${JSON.stringify(text.slice(0, 60))}…): ` +
    "a node from before issue #16 takes no disk operations, and any node answers with its status when a request " +
    "line takes longer than 200 ms to arrive; nothing was changed, try again");
}

function ask(path: string, line: string, what: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(path);
    let body = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`the node at ${path} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on("connect", () => sock.end(`${line}\n`));
    sock.on("data", (d) => (body += d));
    sock.on("end", () => { clearTimeout(timer); resolve(body); });
    sock.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(`cannot ${what} ${path}: ${socketProblem(e)}`));
    });
  });
}

/** Why a status socket cannot be reached, in words that say what to do. */
export function socketProblem(e: NodeJS.ErrnoException): string {
  return e.code === "ENOENT" ? "no status socket there: is the node running (`persia run <manifest>`), and with this --socket-dir?"
    : e.code === "ECONNREFUSED" ? "the socket exists but nothing listens: the node has stopped; start it again"
    : e.code === "EACCES" ? "permission denied: run as the user that started the node, or as root" : e.message;
}
