// `persia ctl`: send a control message to a running node and print its answer. One UDP
// datagram each way, to the node address on CTL_PORT (spec/control.md): first a HELLO,
// which the node answers in clear with its epoch and this address's cookie, then a HELLO
// with the cookie, whose sealed answer says this key's last sequence number, then the
// signed request with the next number and the cookie. Every answer but a refusal in clear
// is sealed to the user's key and signed by the node's: one that does not open, is not
// signed for this request, or is signed by another key than the node's (--node-key, the
// manifest's node.identity, or the known-nodes file: known_nodes.ts) is refused, said so on
// stderr, and the wait goes on for the real one. A lost datagram is retried (the same
// bytes: a request that did arrive is then refused as a replay, which is reported as
// such). Works against either host, since the kernel answers. Used by the CLI (cli.ts) and
// the tests.
import * as dgram from "dgram";
import { CTL_PORT, CTL_MAX, Op } from "../abi/control";
import { Reply, UserKey, decodeReply, hello, resultText, signed, unsigned, publicKeyText, ForgedReply } from "../loader/control/message";
import { BlockSpec, blockBody, certsBody } from "../loader/control/block";
import { parseAddr } from "../loader/ip6";
import { knownKey, rememberKey, knownNodesFile } from "./known_nodes";

export interface CtlOptions {
  node: string;           // the node's address
  port?: number;          // default CTL_PORT
  timeoutMs?: number;     // per try; default 1000
  tries?: number;         // default 3
  source?: string;        // send from this address of ours (default: the one the system picks)
  nodeKey?: Uint8Array;   // the node's key, pinned (--node-key, or the manifest's node.identity)
  warn?: (line: string) => void;   // refused answers and first use are said here (default stderr)
}

/** The key an answer from addr must be signed by, and where that came from. */
function expected(o: CtlOptions, addr: string): { key: Uint8Array | null; from: "pinned" | "known" | "none" } {
  if (o.nodeKey && sameHost(addr, o.node)) return { key: o.nodeKey, from: "pinned" };
  if (o.nodeKey) return { key: null, from: "none" };        // another router's (a relayed BLOCK's answer)
  const k = knownKey(strip(addr));
  return k ? { key: k, from: "known" } : { key: null, from: "none" };
}

/** The answer b from addr to msg, opened and checked; null if it is no answer or is refused
 *  (said through o.warn). A first answer from an unknown node pins its key. */
async function open(o: CtlOptions, user: UserKey, msg: Uint8Array, b: Uint8Array, addr: string, refused?: { n: number; why: string }): Promise<Reply | null> {
  const warn = o.warn ?? ((l: string) => process.stderr.write(`${l}\n`));
  const want = expected(o, addr);
  try {
    const r = await decodeReply(b, { user, request: msg, node: want.key });
    // Only the node's own address is remembered, and never when its key is pinned: a
    // source router's answer (another address) is shown, not trusted for later.
    if (r !== null && r.sealed && want.from === "none" && !o.nodeKey && sameHost(addr, o.node)) {
      rememberKey(strip(addr), r.node!);
      warn(`note: first answer from ${strip(addr)}: its key ${publicKeyText(r.node!)} is now remembered in ${knownNodesFile()}. ` +
        "This answer was sealed to your key and signed for your request, but nothing proved the key is the node's: " +
        "compare it with the key the node printed at start, or pin it with --node-key (or --manifest)");
    }
    return r;
  } catch (e) {
    if (!(e instanceof ForgedReply)) throw e;
    if (refused) { refused.n++; refused.why = e.message; }
    const changed = want.from === "known" && /another key/.test(e.message);
    warn(changed
      ? `REFUSED an answer from ${strip(addr)}: it is signed by another key than the one ${knownNodesFile()} knows for this node. ` +
        `Someone may be forging answers; if the node really has a new key, check it with the node's operator and remove the line for ${strip(addr)} from that file`
      : `refused an answer from ${strip(addr)}: ${e.message}`);
    return null;
  }
}

/** A UDP socket toward o.node, bound to o.source when given. */
async function socketFor(o: CtlOptions): Promise<dgram.Socket> {
  const sock = dgram.createSocket({ type: o.node.includes(":") ? "udp6" : "udp4" });
  if (o.source !== undefined) {
    await new Promise<void>((resolve, reject) => {
      sock.once("error", (e) => reject(new Error(`cannot send from ${o.source}: ${e.message}; give one of this host's own addresses`)));
      sock.bind(0, o.source, () => resolve());
    });
  }
  return sock;
}

/** Send one datagram and wait for an answer to it that opens and verifies (and matches). */
export async function exchange(o: CtlOptions, user: UserKey, msg: Uint8Array, match: (r: Reply) => boolean,
  hint?: (r: Reply) => boolean): Promise<Reply> {
  const sock = await socketFor(o);
  const tries = o.tries ?? 3, wait = o.timeoutMs ?? 1000;
  try {
    return await new Promise<Reply>((resolve, reject) => {
      let n = 0;
      let timer: NodeJS.Timeout | null = null;
      let clearHint: Reply | null = null;
      const refused = { n: 0, why: "" };
      const send = () => {
        if (n++ >= tries && clearHint !== null) {
          resolve({ ...clearHint, text: `${clearHint.text ? `${clearHint.text}; ` : ""}this refusal came in clear, unsigned, ` +
            `and no signed answer came after it: someone on the path could have sent it, and the node may have acted` });
          return;
        }
        if (n > tries) {
          reject(new Error(refused.n > 0
            ? `no genuine answer from ${o.node} after ${tries} tries of ${wait} ms: ${refused.n} answer${refused.n === 1 ? " was" : "s were"} refused ` +
              `(${refused.why}). Someone on the path may be forging answers; the request may or may not have been acted on: ask again (\`persia ctl hello\`) from elsewhere`
            : `no answer from ${o.node} port ${o.port ?? CTL_PORT} after ${tries} tries of ${wait} ms; ` +
              `check the address is one of the node's (a NIC prefix address or its link-local), that it is reachable, and that it runs`));
          return;
        }
        sock.send(msg, o.port ?? CTL_PORT, o.node, (e) => { if (e) reject(new Error(`cannot send to ${o.node}: ${e.message}`)); });
        timer = setTimeout(send, wait);
      };
      sock.on("message", (b, rinfo) => {
        // Only the node answers this request: a datagram from any other address is no
        // answer, whatever key signed it (anyone can seal to a public key and sign with
        // their own).
        if (!sameHost(rinfo.address, o.node)) return;
        open(o, user, msg, new Uint8Array(b), rinfo.address, refused).then((r) => {
          if (r === null) return;
          if (!match(r)) {
            // A refusal in clear proves nothing (anyone on the path can send one): it is
            // kept, and reported only if no sealed answer comes before the tries run out.
            if (hint !== undefined && hint(r)) clearHint = r;
            return;
          }
          if (timer) clearTimeout(timer);
          resolve(r);
        }, reject);
      });
      sock.on("error", (e) => reject(new Error(`control socket: ${e.message}`)));
      send();
    });
  } finally {
    sock.close();
  }
}

/** HELLO for the cookie (in clear), then HELLO with it: the sealed answer, with this key's
 *  last sequence number. */
export async function greet(o: CtlOptions, user: UserKey): Promise<Reply> {
  const first = await exchange(o, user, hello(user.publicKey), (r) => r.op === Op.HELLO);
  if (first.sealed) return first;
  return exchange(o, user, hello(user.publicKey, first.cookie), (r) => r.op === Op.HELLO && r.sealed);
}

/** HELLO, then the signed request; the node's answer to it (sealed, or a refusal in clear). */
export async function control(o: CtlOptions, user: UserKey, op: Op, body: Uint8Array): Promise<Reply> {
  const h = await greet(o, user);
  const seq = h.seq + 1n;
  const msg = signed(op, h.epoch, seq, user, body, h.cookie);
  return exchange(o, user, msg, (r) => r.op === op && r.sealed && r.seq === seq, (r) => r.op === op && !r.sealed);
}

/** The reply as a person reads it. */
export function replyLine(r: Reply): string {
  const who = r.svc !== null ? ` (service ${r.svc})` : "";
  return r.result === 0 ? `ok${who}: ${r.text}` : `refused, ${resultText(r.result)}: ${r.text}`;
}

/** CERTS: the chain the node issued for addr (unsigned; padded so the answer fits). */
export async function certsOf(o: CtlOptions, user: UserKey, addr: Uint8Array): Promise<Reply> {
  const h = await exchange(o, user, unsigned(Op.CERTS, user.publicKey, certsBody(addr), CTL_MAX), (r) => r.op === Op.CERTS);
  if (h.sealed) return h;
  return exchange(o, user, unsigned(Op.CERTS, user.publicKey, certsBody(addr), CTL_MAX, h.cookie), (r) => r.op === Op.CERTS && r.sealed);
}

export interface BlockAnswers { first: Reply; relayed: { from: string; reply: Reply }[] }

/** HELLO, then a signed BLOCK or UNBLOCK; the router's answer, and the answers of the
 *  sources' routers it passed the request on to, which come from their own addresses
 *  within `relayWaitMs` (the router's text says how many it passed it to). */
export async function blockControl(o: CtlOptions, user: UserKey, op: Op.BLOCK | Op.UNBLOCK, spec: BlockSpec,
  relayWaitMs = 2000): Promise<BlockAnswers> {
  const h = await greet(o, user);
  const seq = h.seq + 1n;
  const msg = signed(op, h.epoch, seq, user, blockBody(spec), h.cookie);
  const sock = await socketFor(o);
  const tries = o.tries ?? 3, wait = o.timeoutMs ?? 1000;
  try {
    return await new Promise<BlockAnswers>((resolve, reject) => {
      let n = 0, first: Reply | null = null, expect = 0;
      const relayed: { from: string; reply: Reply }[] = [];
      let timer: NodeJS.Timeout | null = null;
      const done = () => { if (timer) clearTimeout(timer); resolve({ first: first!, relayed }); };
      const send = () => {
        if (first) return done();
        if (n++ >= tries) { reject(new Error(`no answer from ${o.node} after ${tries} tries of ${wait} ms; check the address is the router's and that it runs`)); return; }
        sock.send(msg, o.port ?? CTL_PORT, o.node, (e) => { if (e) reject(new Error(`cannot send to ${o.node}: ${e.message}`)); });
        timer = setTimeout(send, wait);
      };
      sock.on("message", (b, rinfo) => { open(o, user, msg, new Uint8Array(b), rinfo.address).then((r) => {
        if (r === null || r.op !== op || r.seq !== seq) return;
        if (sameHost(rinfo.address, o.node)) {
          // A second answer from the router is to a retry of the same bytes (a replay,
          // refused): it is no source router's answer.
          if (first !== null) return;
          first = r;
          const m = /passed on to (\d+) source router/.exec(r.text);
          expect = m ? Number(m[1]) : 0;
          if (timer) clearTimeout(timer);
          if (relayed.length >= expect) return done();
          timer = setTimeout(done, relayWaitMs);
          return;
        }
        // A source router may answer before the router's own answer arrives.
        relayed.push({ from: rinfo.address.replace(/%.*$/, ""), reply: r });
        if (first !== null && relayed.length >= expect) done();
      }, reject); });
      sock.on("error", (e) => reject(new Error(`control socket: ${e.message}`)));
      send();
    });
  } finally {
    sock.close();
  }
}

function strip(x: string): string { return x.replace(/%.*$/, "").toLowerCase(); }

function sameHost(a: string, b: string): boolean {
  try {
    return Buffer.from(parseAddr(strip(a))).equals(Buffer.from(parseAddr(strip(b))));
  } catch {
    return strip(a) === strip(b);
  }
}
