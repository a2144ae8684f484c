// A UDP client for usbdisk's (and kv's) datagram protocol, run as its own process inside a
// network namespace (`ip netns exec <ns> node build/ts/tests/usbdisk/udp_client.js ...`)
// by the end-to-end tests and the benchmark: binary requests in, binary replies out, as
// JSON of base64 on stdout. Two modes:
//   ask  <addr> <port> <json file: base64 requests, or { requests, stop, count }>
//        → [base64 reply | null (no reply in 10 s)]; with `stop`, it ends once `count` replies
//        began with that text (e.g. 5 × "ERR detached")
//   rate <addr> <port> <json file: { requests, seconds, window }>  → { replies, bytes, ms, errs }
//        sends the requests round and round, `window` outstanding, for `seconds`; counts
//        replies, their bytes, and replies starting "ERR".
// Imports nothing of the node; used by tests/metal/usbdisk.test.ts and tests/bench/usbdisk.ts.
import * as dgram from "dgram";
import * as fs from "fs";

const REPLY_MS = 10000;

async function ask(addr: string, port: number, reqs: Buffer[], stop = "", count = 0): Promise<(string | null)[]> {
  const sock = dgram.createSocket("udp6");
  const out: (string | null)[] = [];
  let stops = 0;
  try {
    for (const q of reqs) {
      if (stop && stops >= count) break;
      out.push(await new Promise<string | null>((resolve) => {
        const timer = setTimeout(() => { sock.removeAllListeners("message"); resolve(null); }, REPLY_MS);
        sock.once("message", (m) => {
          clearTimeout(timer);
          if (stop && m.subarray(0, stop.length).toString() === stop) stops++;
          resolve(m.toString("base64"));
        });
        sock.send(q, port, addr);
      }));
    }
  } finally { sock.close(); }
  return out;
}

async function rate(addr: string, port: number, reqs: Buffer[], seconds: number, window: number) {
  const sock = dgram.createSocket("udp6");
  let replies = 0, bytes = 0, errs = 0, next = 0, outstanding = 0;
  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  await new Promise<void>((resolve) => {
    let idle: NodeJS.Timeout | null = null;
    const send = () => {
      while (outstanding < window && Date.now() < end) {
        sock.send(reqs[next++ % reqs.length], port, addr);
        outstanding++;
      }
      if (idle) clearTimeout(idle);
      // A lost datagram would stall the window: after a second without replies, refill.
      idle = setTimeout(() => { outstanding = 0; if (Date.now() < end) send(); else resolve(); }, 1000);
    };
    sock.on("message", (m) => {
      replies++;
      bytes += m.length;
      if (m.subarray(0, 3).toString() === "ERR") errs++;
      outstanding = Math.max(0, outstanding - 1);
      if (Date.now() >= end) { if (idle) clearTimeout(idle); resolve(); return; }
      send();
    });
    sock.bind(0, () => send());
  });
  const ms = Date.now() - t0;
  sock.close();
  return { replies, bytes, ms, errs };
}

async function main(): Promise<void> {
  const [mode, addr, port, file] = process.argv.slice(2);
  const input = JSON.parse(fs.readFileSync(file, "utf8"));
  if (mode === "ask") {
    const o = Array.isArray(input) ? { requests: input as string[], stop: "", count: 0 } : input;
    const out = await ask(addr, Number(port), (o.requests as string[]).map((s) => Buffer.from(s, "base64")), o.stop, o.count);
    process.stdout.write(JSON.stringify(out) + "\n");
  } else if (mode === "rate") {
    const reqs = (input.requests as string[]).map((s) => Buffer.from(s, "base64"));
    process.stdout.write(JSON.stringify(await rate(addr, Number(port), reqs, input.seconds, input.window)) + "\n");
  } else {
    throw new Error(`udp_client: mode "${mode}" is neither ask nor rate; usage: udp_client.js ask|rate <addr> <port> <json file>`);
  }
}

if (require.main === module) {
  main().catch((e) => { console.error(`udp_client failed: ${e instanceof Error ? e.message : e}`); process.exit(1); });
}
