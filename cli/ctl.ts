// `persia ctl`: send a control message to a running node and print its answer. One UDP
// datagram each way, to the node address on CTL_PORT (spec/control.md): first a HELLO for
// the node's epoch, this user's last sequence number and this address's cookie, then the
// signed request with the next number and the cookie. A lost datagram is retried (the same bytes: a request that did arrive is then
// refused as a replay, which is reported as such). Works against either host, since the
// kernel answers. Used by the CLI (cli.ts) and the tests.
import * as dgram from "dgram";
import { CTL_PORT, CTL_MAX, Op } from "../abi/control";
import { Reply, UserKey, decodeReply, hello, resultText, signed, unsigned } from "../loader/control/message";
import { BlockSpec, blockBody, certsBody } from "../loader/control/block";
import { parseAddr } from "../loader/ip6";

export interface CtlOptions {
  node: string;           // the node's address
  port?: number;          // default CTL_PORT
  timeoutMs?: number;     // per try; default 1000
  tries?: number;         // default 3
  source?: string;        // send from this address of ours (default: the one the system picks)
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

/** Send one datagram and wait for a reply to it (same op and, when given, seq). */
export async function exchange(o: CtlOptions, msg: Uint8Array, match: (r: Reply) => boolean): Promise<Reply> {
  const sock = await socketFor(o);
  const tries = o.tries ?? 3, wait = o.timeoutMs ?? 1000;
  try {
    return await new Promise<Reply>((resolve, reject) => {
      let n = 0;
      let timer: NodeJS.Timeout | null = null;
      const send = () => {
        if (n++ >= tries) {
          reject(new Error(`no answer from ${o.node} port ${o.port ?? CTL_PORT} after ${tries} tries of ${wait} ms; ` +
            `check the address is one of the node's (a NIC prefix address or its link-local), that it is reachable, and that it runs`));
          return;
        }
        sock.send(msg, o.port ?? CTL_PORT, o.node, (e) => { if (e) reject(new Error(`cannot send to ${o.node}: ${e.message}`)); });
        timer = setTimeout(send, wait);
      };
      sock.on("message", (b) => {
        const r = decodeReply(new Uint8Array(b));
        if (r === null || !match(r)) return;
        if (timer) clearTimeout(timer);
        resolve(r);
      });
      sock.on("error", (e) => reject(new Error(`control socket: ${e.message}`)));
      send();
    });
  } finally {
    sock.close();
  }
}

/** HELLO, then the signed request; the node's reply to it. */
export async function control(o: CtlOptions, user: UserKey, op: Op, body: Uint8Array): Promise<Reply> {
  const h = await exchange(o, hello(user.publicKey), (r) => r.op === Op.HELLO);
  const seq = h.seq + 1n;
  const msg = signed(op, h.epoch, seq, user, body, h.cookie);
  return exchange(o, msg, (r) => r.op === op && r.seq === seq);
}

/** The reply as a person reads it. */
export function replyLine(r: Reply): string {
  const who = r.svc !== null ? ` (service ${r.svc})` : "";
  return r.result === 0 ? `ok${who}: ${r.text}` : `refused, ${resultText(r.result)}: ${r.text}`;
}

/** CERTS: the chain the node issued for addr (unsigned; padded so the answer fits). */
export async function certsOf(o: CtlOptions, key: Uint8Array, addr: Uint8Array): Promise<Reply> {
  return exchange(o, unsigned(Op.CERTS, key, certsBody(addr), CTL_MAX), (r) => r.op === Op.CERTS);
}

export interface BlockAnswers { first: Reply; relayed: { from: string; reply: Reply }[] }

/** HELLO, then a signed BLOCK or UNBLOCK; the router's answer, and the answers of the
 *  sources' routers it passed the request on to, which come from their own addresses
 *  within `relayWaitMs` (the router's text says how many it passed it to). */
export async function blockControl(o: CtlOptions, user: UserKey, op: Op.BLOCK | Op.UNBLOCK, spec: BlockSpec,
  relayWaitMs = 2000): Promise<BlockAnswers> {
  const h = await exchange(o, hello(user.publicKey), (r) => r.op === Op.HELLO);
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
      sock.on("message", (b, rinfo) => {
        const r = decodeReply(new Uint8Array(b));
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
      });
      sock.on("error", (e) => reject(new Error(`control socket: ${e.message}`)));
      send();
    });
  } finally {
    sock.close();
  }
}

function sameHost(a: string, b: string): boolean {
  const strip = (x: string) => x.replace(/%.*$/, "").toLowerCase();
  try {
    return Buffer.from(parseAddr(strip(a))).equals(Buffer.from(parseAddr(strip(b))));
  } catch {
    return strip(a) === strip(b);
  }
}
