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
import { sealAnswer } from "../sealer";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const USER = keyFromSeed(new Uint8Array(32).fill(3));
const SPEC = { dst: parseAddr("fd00:d::d"), sources: [{ addr: parseAddr("fd00:f::f"), len: 128 }], proto: 0, port: 0,
  seconds: 5, timeMs: BigInt(Date.now()), chain: [new Uint8Array(168)] };

const ROUTER_SEED = new Uint8Array(32).fill(8), SOURCE_SEED = new Uint8Array(32).fill(9);
process.env.PERSIA_KNOWN_NODES = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "persia-known-")), "known_nodes");

/** An answer as a node would seal it (tests/sealer.ts), by the router or the source router. */
function reply(request: Buffer, op: Op, result: number, seq: bigint, text: string, seed = ROUTER_SEED): Promise<Buffer> {
  return sealAnswer({ op, result, seq, text }, request, seed);
}

/** A fake router: answers HELLO at once, hands each BLOCK to `onBlock`. */
async function fakeRouter(onBlock: (seq: bigint, answer: (b: Promise<Buffer>) => void, client: dgram.RemoteInfo, m: Buffer) => void) {
  const sock = dgram.createSocket({ type: "udp6" });
  sock.on("message", (m, rinfo) => {
    const op = m[C.CTL_OP], seq = m.readBigUInt64LE(C.CTL_SEQ);
    const answer = (b: Promise<Buffer>) => { void b.then((x) => sock.send(x, rinfo.port, rinfo.address)); };
    if (op === Op.HELLO) answer(reply(m, Op.HELLO, 0, 0n, ""));
    else if (op === Op.BLOCK) onBlock(seq, answer, rinfo, m);
  });
  await new Promise<void>((r) => sock.bind(0, "::1", () => r()));
  return { port: sock.address().port, close: () => sock.close() };
}

/** The source router's answer, from 127.0.0.1, to the client's port. */
function fromSourceRouter(b: Promise<Buffer>, port: number): void {
  const s = dgram.createSocket("udp4");
  void b.then((x) => s.send(x, port, "127.0.0.1", () => s.close()));
}

const OK = "ok: 1 filters installed, 0 refreshed, for 5 s; passed on to 1 source router";

test("an answer to a retry is not a source router's: the client waits for the real one", async () => {
  let blocks = 0;
  const r = await fakeRouter((seq, answer, client, m) => {
    if (++blocks === 1) {
      // Slower than the client's timeout: it sends the same bytes again, which the router
      // refuses as a replay; the source router's answer comes last.
      setTimeout(() => answer(reply(m, Op.BLOCK, 0, seq, OK)), 150);
      return;
    }
    setTimeout(() => answer(reply(m, Op.BLOCK, -Errno.ESTALE, seq, "replay")), 100);
    setTimeout(() => fromSourceRouter(reply(m, Op.BLOCK, 0, seq, "at the sources' router", SOURCE_SEED), client.port), 300);
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
  const r = await fakeRouter((seq, answer, client, m) => {
    fromSourceRouter(reply(m, Op.BLOCK, 0, seq, "at the sources' router", SOURCE_SEED), client.port);
    setTimeout(() => answer(reply(m, Op.BLOCK, 0, seq, OK)), 50);
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
