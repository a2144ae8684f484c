// `persia ctl put`: send a module to a node's store (spec/control.md "Module transfer
// (PUT)"). A signed PUT (ctl.ts control) names the module's SHA-256, size and domain; the
// node answers with a transfer id and the chunks it holds already (a restarted put
// resumes), or that its store holds the module. Then CHUNKs go out, at most PUT_WINDOW
// past the first the node lacks. The node answers only chunks flagged CK_ANSWER (each
// answer is sealed: ~2 ms of its CPU): one in ANSWER_EVERY and the last of each burst,
// every chunk sent again after its timeout, and the module's last chunk. Each answer says
// every chunk the node holds, and a chunk not acknowledged within the timeout is sent
// again, so lost, duplicated and reordered datagrams still end in the exact module or a
// clear error. An answer is sealed to the user and signed by the node for the very CHUNK
// it answers: the sender keeps the bytes of the flagged chunks it sent to open them, and
// takes only answers signed by the key that signed the PUT's answer (pinned or known, as
// for every `persia ctl`). PutSender is the protocol
// alone, driven by time and answers (the tests run it over a lossy in-process link);
// putModule runs it over a UDP socket. Used by cli.ts and the tests.
import { createHash } from "crypto";
import * as dgram from "dgram";
import { CTL_PORT, Op } from "../abi/control";
import { Errno } from "../abi/errno";
import { PUT_WINDOW } from "../abi/limits";
import { ForgedReply, Reply, UserKey, decodeReply } from "../loader/control/message";
import { Have, chunkCount, chunkMessage, isHeld, parseHave, parseTransfer, putBody } from "../loader/control/put";
import { CtlOptions, control } from "./ctl";

/** A chunk sent before REORDER_MAX others that are acknowledged, and REORDER_MS ago, counts
 *  as lost (a window opens in a burst, so a count alone would take a chunk held back a few
 *  milliseconds on the way for lost). */
const REORDER_MAX = 3;
const REORDER_MS = 20;
/** Of the chunks sent in a burst, every ANSWER_EVERY-th asks for an answer (as does the
 *  last): the node's answers, sealed, cost it far more than the chunks. */
const ANSWER_EVERY = 16;
/** Sends of the HELLO and of the PUT before giving up (ctl.ts's default is 3). */
const PUT_TRIES = 8;

/** Chunks the node holds, of the total; chunks sent, sent again, and sent asking for an answer. */
export interface PutProgress { have: number; total: number; sent: number; resent: number; asked: number; }

/** How a transfer went: the node's last answer (its result and text say how it ended). */
export interface PutResult { reply: Reply; stored: boolean; progress: PutProgress; }

/** The sending side of one transfer, after the PUT's answer: which chunks to send when. */
export class PutSender {
  readonly total: number;
  private have: Have;
  private readonly sentAt = new Map<number, number>();   // chunk → when last sent, while unacknowledged
  private readonly tries = new Map<number, number>();
  private readonly order = new Map<number, number>();    // chunk → its place in the sending order, while unacknowledged
  private sends = 0;
  private readonly suspect = new Set<number>();          // chunks later ones overtook: lost after REORDER_MS
  private readonly requests = new Map<number, Uint8Array[]>();  // chunk → its flagged requests sent: an answer is bound to one
  private readonly node: Uint8Array | null;              // the key that signed the PUT's answer
  private cookie: Uint8Array;
  /** The answer that ended the transfer (stored, or refused), once it came. */
  end: Reply | null = null;
  /** Why the sender gave up (no answer to a chunk after `maxTries` sends). */
  failed: string | null = null;
  readonly progress: PutProgress;

  constructor(private readonly user: UserKey, private readonly epoch: bigint, readonly id: Uint8Array,
    private readonly module: Uint8Array, put: Reply, private readonly timeoutMs = 250, private readonly maxTries = 20) {
    this.total = chunkCount(module.length);
    this.cookie = put.cookie;
    this.node = put.node;
    this.have = parseHave(put.text) ?? { have: 0, total: this.total, base: 0, bits: 0n };
    this.progress = { have: this.have.have, total: this.total, sent: 0, resent: 0, asked: 0 };
  }

  get done(): boolean { return this.end !== null || this.failed !== null; }

  /** The chunks to send at time now: those never sent in the window, and those whose
   *  answer is overdue; which of them ask for an answer. */
  due(now: number): Uint8Array[] {
    if (this.done) return [];
    const out: { i: number; ask: boolean }[] = [];
    const last = Math.min(this.total, this.have.base + PUT_WINDOW);
    for (let i = this.have.base; i < last; i++) {
      if (isHeld(this.have, i)) continue;
      const at = this.sentAt.get(i);
      if (at !== undefined && now - at < (this.suspect.has(i) ? REORDER_MS : this.timeoutMs)) continue;
      const timedOut = at !== undefined && !this.suspect.has(i);   // not a fast retransmit: ask what the node holds
      this.suspect.delete(i);
      const n = (this.tries.get(i) ?? 0) + 1;
      if (n > this.maxTries) {
        this.failed = `no answer to chunk ${i} after ${this.maxTries} sends of ${this.timeoutMs} ms; the node holds ${this.have.have} of ` +
          `${this.total} chunks: run the same put again to resume`;
        return [];
      }
      this.tries.set(i, n);
      if (at !== undefined) this.progress.resent++;
      this.progress.sent++;
      this.sentAt.set(i, now);
      this.order.set(i, this.sends++);
      out.push({ i, ask: timedOut || i === this.total - 1 || out.length % ANSWER_EVERY === ANSWER_EVERY - 1 });
    }
    if (out.length > 0) out[out.length - 1].ask = true;
    return out.map(({ i, ask }) => {
      const m = chunkMessage(this.user.publicKey, this.epoch, this.cookie, this.id, this.module, i, ask);
      if (ask) { this.requests.set(i, [...(this.requests.get(i) ?? []), m]); this.progress.asked++; }
      return m;
    });
  }

  /** The answer datagram b opened: a Reply (sealed by the node that answered the PUT, to a
   *  chunk this sender sent, or a refusal in clear), or null if it is no answer. Throws
   *  ForgedReply (why) for one that is not the node's answer to one of these chunks. */
  open(b: Uint8Array): Promise<Reply | null> {
    return decodeReply(b, { user: this.user, request: (seq) => this.requests.get(Number(seq)) ?? [], node: this.node });
  }

  /** An answer from the node (any: those to other transfers or ops are ignored). */
  answer(r: Reply): void {
    if (r.op !== Op.CHUNK || this.done) return;
    this.cookie = r.cookie;
    if (r.result === -Errno.EAGAIN) { this.sentAt.clear(); return; }   // a new cookie: send again with it
    const h = parseHave(r.text);
    if (h === null || r.result !== 0) {
      // The end: stored, or refused after the check; or, in clear, ESTALE: the node restarted
      // (a transfer it forgot is not answered: the sender times out and says to PUT again).
      this.end = r;
      if (r.result === 0) this.progress.have = this.total;
      return;
    }
    if (h.total !== this.total) return;
    // Answers may come out of order: keep the one that knows more.
    if (h.base > this.have.base || (h.base === this.have.base && h.have > this.have.have)) this.have = h;
    this.progress.have = this.have.have;
    // Held now: no longer in flight. A chunk sent before REORDER_MAX others that are held is
    // suspected lost and sent again REORDER_MS after it went, without waiting for its
    // timeout (as TCP's RACK, RFC 8985, with the ack's bitmap for selective acks).
    let latest = -1;
    for (const [i, k] of this.order) {
      if (!isHeld(this.have, i)) continue;
      latest = Math.max(latest, k);
      this.sentAt.delete(i); this.order.delete(i); this.suspect.delete(i);
    }
    for (const [i, k] of this.order) if (k < latest - REORDER_MAX) { this.suspect.add(i); this.order.delete(i); }
  }
}

/** PUT the module (its bytes) for domain to the node, then send its chunks over one UDP
 *  socket; progress is called as chunks are acknowledged. */
export async function putModule(o: CtlOptions, user: UserKey, module: Uint8Array, domain: string,
  progress?: (p: PutProgress) => void): Promise<PutResult> {
  const hash = new Uint8Array(createHash("sha256").update(module).digest());
  // A PUT is idempotent (a second one resumes the first): one refused as a replay arrived
  // twice (a duplicated datagram, or a retry after a lost answer), so it is sent again with
  // the next sequence number.
  // A put is for links that lose datagrams: its HELLO and PUT are tried PUT_TRIES times.
  const po = { ...o, tries: o.tries ?? PUT_TRIES };
  let first = await control(po, user, Op.PUT, putBody(hash, module.length, domain));
  for (let k = 0; k < 3 && first.result === -Errno.ESTALE; k++) first = await control(po, user, Op.PUT, putBody(hash, module.length, domain));
  const none = { have: 0, total: chunkCount(module.length), sent: 0, resent: 0, asked: 0 };
  if (first.result !== 0) return { reply: first, stored: false, progress: none };
  const id = parseTransfer(first.text);
  if (id === null) return { reply: first, stored: true, progress: { ...none, have: none.total } };  // the store held it
  const s = new PutSender(user, first.epoch, id, module, first, o.timeoutMs ?? 250);
  const warn = o.warn ?? ((l: string) => process.stderr.write(`${l}\n`));
  const sock = dgram.createSocket({ type: o.node.includes(":") ? "udp6" : "udp4" });
  if (o.source !== undefined) await new Promise<void>((res) => sock.bind(0, o.source, () => res()));
  try {
    return await new Promise<PutResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | null = null;
      let shown = -1;
      const pump = () => {
        if (timer) clearTimeout(timer);
        for (const m of s.due(Date.now())) sock.send(m, o.port ?? CTL_PORT, o.node);
        if (progress && s.progress.have !== shown) { shown = s.progress.have; progress(s.progress); }
        if (s.end) return resolve({ reply: s.end, stored: s.end.result === 0, progress: s.progress });
        if (s.failed) return reject(new Error(s.failed));
        timer = setTimeout(pump, 20);
      };
      sock.on("message", (b) => {
        s.open(new Uint8Array(b)).then((r) => { if (r !== null) { s.answer(r); pump(); } }, (e) => {
          if (e instanceof ForgedReply) warn(`refused an answer to a chunk: ${e.message}`);
          else reject(e);
        });
      });
      sock.on("error", (e) => reject(new Error(`control socket: ${e.message}`)));
      pump();
    });
  } finally {
    sock.close();
  }
}
