// Talking to usbdisk (or kv) from a Linux host in a network namespace: runs udp_client.js
// there (`ip netns exec`) with the requests in a temporary file, and parses its answer.
// Used by tests/metal/usbdisk.test.ts and tests/bench/usbdisk.ts.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { inNs } from "../e2e/linux";

const CLIENT = path.join(__dirname, "udp_client.js");

async function run(ns: string, mode: string, addr: string, port: number, input: unknown): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-udpc-"));
  const file = path.join(dir, "in.json");
  fs.writeFileSync(file, JSON.stringify(input));
  try {
    const r = await inNs(ns, `${process.execPath} ${CLIENT} ${mode} ${addr} ${port} ${file}`);
    if (r.code !== 0) throw new Error(`udp_client ${mode} to [${addr}]:${port} in ${ns} failed (${r.code}): ${r.out.slice(-500)}`);
    return r.out;
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
}

/** Each request in turn, waiting for its reply: the replies (null: none within 10 s). With
 *  `stop`, it ends early once `stop.count` replies began with `stop.text`. */
export async function askIn(ns: string, addr: string, port: number, reqs: (string | Buffer)[],
  stop?: { text: string; count: number }): Promise<(Buffer | null)[]> {
  const requests = reqs.map((q) => Buffer.from(q).toString("base64"));
  const out = JSON.parse(await run(ns, "ask", addr, port, { requests, stop: stop?.text ?? "", count: stop?.count ?? 0 })) as (string | null)[];
  return out.map((s) => s === null ? null : Buffer.from(s, "base64"));
}

export interface Rate { replies: number; bytes: number; ms: number; errs: number }

/** The requests round and round for `seconds`, `window` outstanding: what came back. */
export async function rateIn(ns: string, addr: string, port: number, reqs: (string | Buffer)[], seconds: number, window: number): Promise<Rate> {
  return JSON.parse(await run(ns, "rate", addr, port, { requests: reqs.map((q) => Buffer.from(q).toString("base64")), seconds, window })) as Rate;
}
