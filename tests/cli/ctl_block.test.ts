// blockControl (cli/ctl.ts), the client side of `persia ctl block|unblock`, against a fake
// router on ::1 and a fake source router on 127.0.0.1 (reaching the client's dual-stack
// socket as ::ffff:127.0.0.1): it returns the router's answer and each source router's,
// never counts the router's answer to a retried request (a replay, refused) as a source
// router's, and does not wait out relayWaitMs when a source router answered first.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as dgram from "dgram";
import * as C from "../../abi/control";
import { Op } from "../../abi/control";
import { Errno } from "../../abi/errno";
import { blockControl } from "../../cli/ctl";
import { keyFromSeed } from "../../loader/control/message";
import { parseAddr } from "../../loader/ip6";

const USER = keyFromSeed(new Uint8Array(32).fill(3));
const SPEC = { dst: parseAddr("fd00:d::d"), sources: [{ addr: parseAddr("fd00:f::f"), len: 128 }], proto: 0, port: 0,
  seconds: 5, timeMs: BigInt(Date.now()), chain: [new Uint8Array(168)] };

/** A reply datagram as the kernel writes it (abi/control.ts). */
function reply(op: Op, result: number, seq: bigint, text: string): Buffer {
  const t = Buffer.from(text);
  const b = Buffer.alloc(C.RP_TEXT + t.length);
  b.writeUInt32LE(C.CTL_REPLY_MAGIC, 0);
  b[C.CTL_VERSION_OFF] = C.CTL_VERSION;
  b[C.CTL_OP] = op;
  b.writeInt16LE(result, C.RP_RESULT);
  b.writeBigUInt64LE(7n, C.CTL_EPOCH);
  b.writeBigUInt64LE(seq, C.CTL_SEQ);
  b[C.RP_SVC] = C.RP_NO_SVC;
  b.writeUInt16LE(t.length, C.RP_TEXT_LEN);
  t.copy(b, C.RP_TEXT);
  return b;
}

/** A fake router: answers HELLO at once, hands each BLOCK to `onBlock`. */
async function fakeRouter(onBlock: (seq: bigint, answer: (b: Buffer) => void, client: dgram.RemoteInfo) => void) {
  const sock = dgram.createSocket({ type: "udp6" });
  sock.on("message", (m, rinfo) => {
    const op = m[C.CTL_OP], seq = m.readBigUInt64LE(C.CTL_SEQ);
    const answer = (b: Buffer) => sock.send(b, rinfo.port, rinfo.address);
    if (op === Op.HELLO) answer(reply(Op.HELLO, 0, 0n, ""));
    else if (op === Op.BLOCK) onBlock(seq, answer, rinfo);
  });
  await new Promise<void>((r) => sock.bind(0, "::1", () => r()));
  return { port: sock.address().port, close: () => sock.close() };
}

/** The source router's answer, from 127.0.0.1, to the client's port. */
function fromSourceRouter(b: Buffer, port: number): void {
  const s = dgram.createSocket("udp4");
  s.send(b, port, "127.0.0.1", () => s.close());
}

const OK = "ok: 1 filters installed, 0 refreshed, for 5 s; passed on to 1 source router";

test("an answer to a retry is not a source router's: the client waits for the real one", async () => {
  let blocks = 0;
  const r = await fakeRouter((seq, answer, client) => {
    if (++blocks === 1) {
      // Slower than the client's timeout: it sends the same bytes again, which the router
      // refuses as a replay; the source router's answer comes last.
      setTimeout(() => answer(reply(Op.BLOCK, 0, seq, OK)), 150);
      return;
    }
    setTimeout(() => answer(reply(Op.BLOCK, -Errno.ESTALE, seq, "replay")), 100);
    setTimeout(() => fromSourceRouter(reply(Op.BLOCK, 0, seq, "at the sources' router"), client.port), 300);
  });
  try {
    const a = await blockControl({ node: "::1", port: r.port, timeoutMs: 100 }, USER, Op.BLOCK, SPEC, 2000);
    assert.equal(a.first.result, 0);
    assert.equal(a.relayed.length, 1, JSON.stringify(a.relayed.map((x) => [x.from, x.reply.text])));
    assert.equal(a.relayed[0].reply.text, "at the sources' router");
    assert.match(a.relayed[0].from, /127\.0\.0\.1/);
  } finally {
    r.close();
  }
});

test("a source router that answers before the router: no wait for relayWaitMs", async () => {
  const r = await fakeRouter((seq, answer, client) => {
    fromSourceRouter(reply(Op.BLOCK, 0, seq, "at the sources' router"), client.port);
    setTimeout(() => answer(reply(Op.BLOCK, 0, seq, OK)), 50);
  });
  try {
    const t0 = Date.now();
    const a = await blockControl({ node: "::1", port: r.port }, USER, Op.BLOCK, SPEC, 5000);
    assert.equal(a.relayed.length, 1);
    assert.ok(Date.now() - t0 < 2000, `answered in ${Date.now() - t0} ms, not after relayWaitMs`);
  } finally {
    r.close();
  }
});
