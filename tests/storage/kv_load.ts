// A client that writes to kv as fast as it can and keeps a ledger of what kv acknowledged
// (the crash, mirror and bench tests of tests/storage and tests/bench/storage.ts): one UDP
// socket per key with one PUT in flight on it, so that an "OK" belongs to exactly one PUT;
// a PUT not answered within TIMEOUT_MS is given up (its socket closed, a fresh one opened)
// and stays "maybe applied". After a crash, check() reads every key back: its value must
// be the last acknowledged one or one sent after it (in flight at the crash), byte for
// byte — never an older one, a mixture, or another key's. Values are long and varied
// (derived from the seed, the key and the PUT's sequence number), so a torn or misplaced
// slot cannot pass for a good one. Deliberately no retries of a PUT and no cache.
import * as dgram from "dgram";

/** A PUT unanswered after this long is given up (kv answers a PUT in about a millisecond). */
const TIMEOUT_MS = 1500;

/** The value of `key`'s seq-th PUT: "key.seq." then filler, 24 to 24 + spread bytes long. */
export function valueOf(seed: number, key: string, seq: number, spread = 360): string {
  let h = (seed ^ Math.imul(seq, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0;
  const len = 24 + (h % (spread + 1));
  let out = `${key}.${seq}.`;
  const abc = "abcdefghijklmnopqrstuvwxyz0123456789";
  while (out.length < len) {
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0;
    out += abc[h % abc.length];
  }
  return out;
}

interface KeyState {
  /** Sequence number of the last acknowledged PUT (0: none). */
  acked: number;
  /** PUTs sent after it and never answered: any of them may be on disk. */
  maybe: number[];
  /** The last sequence number used. */
  last: number;
}

export class KvLedger {
  readonly keys: Map<string, KeyState>;
  constructor(readonly seed: number, names: string[], readonly spread = 360) {
    this.keys = new Map(names.map((k) => [k, { acked: 0, maybe: [], last: 0 }]));
  }
  value(key: string, seq: number): string {
    return valueOf(this.seed, key, seq, this.spread);
  }
}

/** Sends "PUT key value" for every key of the ledger, each as soon as its last was answered. */
export class KvLoad {
  acks = 0;
  errors: string[] = [];
  private running = true;
  private readonly sockets = new Set<dgram.Socket>();
  private readonly idle: Promise<void>[] = [];

  constructor(private readonly ledger: KvLedger, private readonly addr: string, private readonly port = 7070) {
    for (const key of ledger.keys.keys()) this.idle.push(this.loop(key));
  }

  /** Stops sending; PUTs still in flight stay "maybe". Resolves when every key's loop ended. */
  async stop(): Promise<void> {
    this.running = false;
    for (const s of this.sockets) s.close();
    this.sockets.clear();
    await Promise.all(this.idle);
  }

  private async loop(key: string): Promise<void> {
    const st = this.ledger.keys.get(key)!;
    while (this.running) {
      const seq = ++st.last;
      st.maybe.push(seq);
      const answer = await this.request(`PUT ${key} ${this.ledger.value(key, seq)}`);
      if (answer === "OK") {
        st.acked = seq;
        st.maybe = [];
        this.acks++;
      } else if (answer !== null && this.errors.length < 20) {
        this.errors.push(`PUT ${key} #${seq}: ${answer}`);   // an ERR answer: kv did not apply it
      }
      if (answer !== null && answer !== "OK") await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** One datagram on a fresh socket... of its own; its answer, or null (no answer, or stopped). */
  private request(text: string): Promise<string | null> {
    return ask(this.addr, this.port, text, TIMEOUT_MS, this.sockets, isPutAnswer);
  }
}

/** What kv answers a PUT, and a GET. A socket's port may be one a closed socket had a
 *  moment ago, whose request's answer can still arrive (a PUT given up by stop(), answered
 *  late while a disk resyncs): an answer of the other kind is that one's, not this one's. */
const isPutAnswer = (a: string) => a === "OK" || a.startsWith("ERR ");
const isGetAnswer = (a: string) => a.startsWith("VALUE ") || a === "NOT_FOUND" || a.startsWith("ERR ");

/** Sends one request from a socket of its own and resolves to the answer's text, or null
 *  after timeoutMs (or when the socket is closed from outside through `track`). An answer
 *  `accepts` refuses (another request's, on a reused port) is skipped. */
export function ask(addr: string, port: number, text: string, timeoutMs = TIMEOUT_MS, track?: Set<dgram.Socket>,
  accepts: (answer: string) => boolean = () => true): Promise<string | null> {
  return new Promise((resolve) => {
    const s = dgram.createSocket("udp6");
    track?.add(s);
    let done = false;
    const finish = (v: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      track?.delete(s);
      try { s.close(); } catch { /* closed by stop() */ }
      resolve(v);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    s.on("message", (m) => { const a = m.toString("latin1"); if (accepts(a)) finish(a); });
    s.on("error", () => finish(null));
    s.on("close", () => finish(null));
    s.send(text, port, addr, (e) => { if (e) finish(null); });
  });
}

/** Reads every key back (in parallel) and checks it against the ledger; returns the
 *  problems (none: the store kept what it acknowledged) and records what it found as the
 *  new acknowledged state. Unanswered GETs and "ERR opening" are asked again (the node or
 *  kv is still starting); any other "ERR …" is a problem (the store did not open by itself). */
export async function check(ledger: KvLedger, addr: string, port = 7070): Promise<string[]> {
  const problems: string[] = [];
  await Promise.all([...ledger.keys].map(async ([key, st]) => {
    let a: string | null = null;
    // No answer yet (the node is starting) or "ERR opening" (kv still reads its table, in
    // steps): ask again, for up to about 30 s.
    for (let i = 0; i < 60 && (a === null || a.startsWith("ERR opening")); i++) {
      if (a !== null) await new Promise((r) => setTimeout(r, 500));
      a = await ask(addr, port, `GET ${key}`, 1000, undefined, isGetAnswer);
    }
    const allowed = [st.acked, ...st.maybe];
    const shown = `acknowledged #${st.acked}${st.maybe.length ? `, in flight #${st.maybe.join(", #")}` : ""}`;
    let found: number | null = null;
    if (a === null) problems.push(`GET ${key}: no answer`);
    else if (a === "NOT_FOUND") found = 0;
    else if (a.startsWith("VALUE ")) {
      const v = a.slice(6);
      const seq = Number(v.split(".")[1]);
      if (Number.isInteger(seq) && seq > 0 && v === ledger.value(key, seq)) found = seq;
      else problems.push(`GET ${key}: a value that no PUT of this key sent (${v.length} bytes: ${v.slice(0, 40)}…); ${shown}`);
    } else problems.push(`GET ${key}: ${a}`);
    if (found === null) return;
    if (!allowed.includes(found)) problems.push(`GET ${key}: ${found === 0 ? "NOT_FOUND" : `#${found}`}, but ${shown}`);
    st.acked = found;
    st.maybe = [];
    st.last = Math.max(st.last, found);
  }));
  return problems;
}

/** Waits until kv answers a GET with something other than "ERR opening" (it has read its
 *  table); returns that answer. */
export async function opened(addr: string, ms: number, port = 7070): Promise<string> {
  const end = Date.now() + ms;
  let last: string | null = null;
  while (Date.now() < end) {
    last = await ask(addr, port, "GET kv-load-probe", 500, undefined, isGetAnswer);
    if (last !== null && !last.startsWith("ERR opening")) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`kv at ${addr} did not finish opening within ${ms} ms (last answer: ${last ?? "none"})`);
}
