// Modules delivered over the network (spec/control.md "Module transfer (PUT)") against the
// real kernel.wasm under the Node host: a signed PUT, then CHUNKs from cli/put.ts's
// PutSender over a link that drops, duplicates and reorders datagrams both ways (seeded:
// PUT_SEED=<n> repeats a run). The module arrives exactly, is stored once under its SHA-256
// and starts with a LOAD; a module whose bytes are not the PUT's SHA-256, or that the
// loader refuses, is refused and nothing is stored; a LOAD of an unfinished transfer's
// module is ENOENT; over a user's quota is EDQUOT; a stopped client resumes; chunks without
// the transfer's id or the address's cookie are refused. Every chunk is written; only those
// that ask (CK_ANSWER) are answered, each answer bound to its chunk, within the node's budget.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CTL_PORT, CTL_HEADER, CK_FLAGS, CK_ANSWER, Op } from "../../abi/control";
import { Errno } from "../../abi/errno";
import { PUT_CHUNK } from "../../abi/limits";
import { publicKeyText, decodeReply, ForgedReply, Reply, UserKey } from "../../loader/control/message";
import { chunkMessage, parseHave, parseTransfer, putBody } from "../../loader/control/put";
import { loadRequest } from "../../loader/control/request";
import { customSection } from "../../loader/modsig/format";
import { ROOT } from "../../hosts/node/paths";
import { PutSender } from "../../cli/put";
import * as P from "../../cli/peer/packets";
import { Bench, withBench } from "./bench";
import { ALICE, BOB, MAC, NODE, PEER, PEERS, Ctl, svcYaml, askNode } from "./ctl";
import { parseAddr } from "../../loader/ip6";
import { seeded } from "../seeded";
import { signModule } from "../../loader/modsig/sign";
import { keyFromSeed } from "../../loader/control/message";

const rng = seeded("put.test", "PUT_SEED");
const ECHO = fs.readFileSync(path.join(ROOT, "build/wasm/services/echo.wasm"));

/** echo.wasm with a custom section of n bytes appended: a valid module of any size. */
function padded(n: number, fill = 0x5a): Uint8Array {
  return new Uint8Array(Buffer.concat([ECHO, customSection("persia-test-padding", new Uint8Array(n).fill(fill))]));
}
const sha = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());

function nodeYaml(dir: string, extra = ""): string {
  return `${extra}
node: { name: put.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "${MAC}", prefixes: ["fd00:5ab2:1::/64"], rate: 1Gbit }
services: []
users:
  - { name: alice, key: "${publicKeyText(ALICE.publicKey)}", domains: [a.sabz.city], addresses: ["fd00:5ab2:1::a0/124"], store: 4MiB }
  - { name: bob, key: "${publicKeyText(BOB.publicKey)}", domains: [b.sabz.city], addresses: ["fd00:5ab2:1::b0/124"], store: 64KiB }
store:
  - { network: ${dir}, ram: 1MiB, slots: 2 }
`;
}

async function withPut(body: (c: Ctl, b: Bench, dir: string) => Promise<void>, extra = ""): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-put-"));
  try {
    await withBench(nodeYaml(dir, extra), PEERS, (b) => body(new Ctl(b, nodeYaml(dir, extra)), b, dir));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What the store directory holds: file names, no staging files left. */
const files = (dir: string) => fs.readdirSync(dir).sort();

interface Loss { drop: number; dup: number; reorder: number; }
const CLEAN: Loss = { drop: 0, dup: 0, reorder: 0 };
const LOSSY: Loss = { drop: 0.1, dup: 0.05, reorder: 0.25 };
const SPORT = 43000;

/** The PUT (reliable, as ctl.ts sends it), its answer. */
function put(c: Ctl, user: UserKey, module: Uint8Array, domain: string, hash = sha(module)): Promise<Reply> {
  return c.send(user, Op.PUT, putBody(hash, module.length, domain));
}

/** Drive a PutSender over the link with `loss` both ways until it is done or `stopAfter`
 *  chunks were sent; the sender. */
async function transfer(b: Bench, user: UserKey, module: Uint8Array, first: Reply, loss: Loss, stopAfter = Infinity): Promise<PutSender> {
  const id = parseTransfer(first.text);
  assert.ok(id, `a transfer id in "${first.text}"`);
  const s = new PutSender(user, first.epoch, id, module, first, 40, 30);
  const peer = b.peer("lan0");
  let held: Uint8Array[] = [];
  const out = (m: Uint8Array) => peer.sendIp(b.nodeMac("lan0"), P.udp(PEER, NODE, SPORT, CTL_PORT, m));
  let sent = 0;
  for (let step = 0; step < 20000 && !s.done && sent < stopAfter; step++) {
    const later: Uint8Array[] = [];
    for (const m of [...s.due(Number(b.now)), ...held]) {
      if (++sent > stopAfter) break;     // the client stops here
      if (rng.rand() < loss.drop) continue;
      if (rng.rand() < loss.reorder) { later.push(m); continue; }
      out(m);
      if (rng.rand() < loss.dup) out(m);
    }
    held = later;
    await b.tick(2);
    const answers = peer.received.filter((p) => p.sport === CTL_PORT && p.dport === SPORT);
    peer.received.length = 0;
    if (rng.rand() < loss.reorder) answers.reverse();
    for (const a of answers) {
      if (rng.rand() < loss.drop) continue;
      const r = await s.open(a.data!);     // throws if it is not the node's answer to one of the chunks sent
      if (r) { s.answer(r); if (rng.rand() < loss.dup) s.answer(r); }
    }
  }
  return s;
}

it("a module sent over a link that drops, duplicates and reorders arrives exactly, is stored once, and LOADs and answers", async () => {
  await withPut(async (c, b, dir) => {
    const module = padded(150 * 1024);
    const first = await put(c, ALICE, module, "echo.a.sabz.city");
    assert.equal(first.result, 0, first.text);
    assert.match(first.text, /begins transfer [0-9a-f]{32} of/);
    assert.deepEqual(parseHave(first.text), { have: 0, total: Math.ceil(module.length / PUT_CHUNK), base: 0, bits: 0n });
    const s = await transfer(b, ALICE, module, first, LOSSY);
    assert.equal(s.failed, null);
    assert.ok(s.end, "the transfer ended");
    assert.equal(s.end.result, 0, s.end.text);
    assert.match(s.end.text, /stored module [0-9a-f]{64} \(\d+ bytes\) for echo\.a\.sabz\.city: SHA-256 checked/);
    assert.ok(s.progress.resent > 0, "the lossy link made the sender send some chunks again");
    // One chunk in 16 asks for an answer, and each sent again after its timeout.
    assert.ok(s.progress.asked <= s.progress.sent / 4 + s.progress.resent, `${s.progress.asked} of ${s.progress.sent} chunks asked for an answer`);
    const hex = Buffer.from(sha(module)).toString("hex");
    assert.deepEqual(files(dir), [`${hex}.wasm`], "one module, under its SHA-256, and no staging file");
    assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(dir, `${hex}.wasm`))), module, "exactly the bytes sent");
    // Stored once: the same module again is answered at once, for alice and for another user.
    const again = await put(c, ALICE, module, "echo.a.sabz.city");
    assert.equal(again.result, 0, again.text);
    assert.match(again.text, /holds it already/);
    assert.equal(parseTransfer(again.text), null);
    assert.deepEqual(files(dir), [`${hex}.wasm`]);
    // A LOAD by its SHA-256 starts it in a network slot; it answers.
    const loadFile = path.join(dir, "..", `persia-put-${process.pid}.wasm`);
    fs.writeFileSync(loadFile, module);
    try {
      const r = await c.send(ALICE, Op.LOAD, loadRequest(svcYaml("echo.a.sabz.city", "fd00:5ab2:1::a1", "", loadFile), "l.yaml", ROOT, c.manifest).body);
      assert.equal(r.result, 0, r.text);
      assert.equal(r.svc, 0, "the first network slot (no manifest services, no store modules)");
    } finally {
      fs.rmSync(loadFile, { force: true });
    }
    assert.ok(await b.until(() => b.service("echo.a.sabz.city").state === "RUNNING", 50));
    assert.equal(await b.ping("lan0", parseAddr("fd00:5ab2:1::a1")), true, "the PUT module answers");
  });
});

it("bytes that are not the PUT's SHA-256 are refused and nothing is stored; a LOAD of an unfinished module is ENOENT", async () => {
  await withPut(async (c, b, dir) => {
    const good = padded(20 * 1024), bad = padded(20 * 1024, 0x5b);
    // A LOAD of a module still in transfer finds nothing.
    const first = await put(c, ALICE, bad, "x.a.sabz.city", sha(good));
    assert.equal(first.result, 0, first.text);
    const half = await transfer(b, ALICE, bad, first, CLEAN, 10);
    assert.equal(half.done, false);
    const loadFile = path.join(os.tmpdir(), `persia-put-good-${process.pid}.wasm`);
    fs.writeFileSync(loadFile, good);
    try {
      const l = await c.send(ALICE, Op.LOAD, loadRequest(svcYaml("x.a.sabz.city", "fd00:5ab2:1::a2", "", loadFile), "l.yaml", ROOT, c.manifest).body);
      assert.equal(l.result, -Errno.ENOENT, l.text);
    } finally {
      fs.rmSync(loadFile, { force: true });
    }
    assert.deepEqual(files(dir), [".staging-0"], "only the staging file, which nothing loads");
    const resumed = await put(c, ALICE, bad, "x.a.sabz.city", sha(good));
    const s = await transfer(b, ALICE, bad, resumed, CLEAN);
    assert.ok(s.end);
    assert.equal(s.end.result, -Errno.EBADMSG, s.end.text);
    assert.match(s.end.text, /SHA-256 is not the one the PUT named.*nothing was stored/);
    assert.deepEqual(files(dir), [], "the staged bytes were discarded");
    // A module with the right SHA-256 that is no service module: the host's loader refuses it.
    const junk = new Uint8Array(3000).fill(7);
    const j = await put(c, ALICE, junk, "x.a.sabz.city");
    const js = await transfer(b, ALICE, junk, j, LOSSY);
    assert.equal(js.end?.result, -Errno.EBADMSG, js.end?.text);
    assert.match(js.end!.text, /loader refused the module/);
    assert.deepEqual(files(dir), []);
  });
});

it("a stopped client resumes where it stopped; quota, domains, forged and cookieless chunks are refused", async () => {
  await withPut(async (c, b, dir) => {
    const module = padded(100 * 1024);
    const first = await put(c, ALICE, module, "r.a.sabz.city");
    const id = parseTransfer(first.text)!;
    const stopped = await transfer(b, ALICE, module, first, LOSSY, 60);
    assert.equal(stopped.done, false, "the first client stopped mid-way");
    const resumed = await put(c, ALICE, module, "r.a.sabz.city");
    assert.equal(resumed.result, 0, resumed.text);
    assert.match(resumed.text, /resumes transfer/);
    assert.deepEqual(parseTransfer(resumed.text), id, "the same transfer");
    const have = parseHave(resumed.text)!;
    assert.ok(have.have > 0, `the node kept what it had: ${resumed.text}`);
    const s = await transfer(b, ALICE, module, resumed, CLEAN);
    assert.equal(s.end?.result, 0, s.end?.text);
    assert.ok(s.progress.sent <= have.total - have.have, `the second client sent only what was missing (${s.progress.sent})`);
    assert.equal(files(dir).length, 1);

    // Bob may store 64 KiB: 100 KiB is over his quota; a domain not his is refused.
    const big = padded(100 * 1024, 1);
    const q = await put(c, BOB, big, "x.b.sabz.city");
    assert.equal(q.result, -Errno.EDQUOT, q.text);
    assert.match(q.text, /quota/);
    const d = await put(c, BOB, padded(1000), "x.a.sabz.city");
    assert.equal(d.result, -Errno.EACCES, d.text);

    // Chunks need the transfer's id and key, and the source address's cookie.
    const small = padded(4000, 2);
    const t = await put(c, ALICE, small, "s.a.sabz.city");
    const tid = parseTransfer(t.text)!;
    const ask = (m: Uint8Array) => askNode(b, "lan0", PEER, NODE, SPORT, m);
    // An id or key of no live transfer is dropped unanswered: an answer would be sealed,
    // which a guessed id must not make the node do.
    const wrongId = Uint8Array.from(tid); wrongId[0] ^= 1;
    const before = b.drops();
    assert.equal(await ask(chunkMessage(ALICE.publicKey, t.epoch, t.cookie, wrongId, small, 0)), null, "another id");
    assert.equal(await ask(chunkMessage(BOB.publicKey, t.epoch, t.cookie, tid, small, 0)), null, "another key");
    await b.dropped(before, { CTL_MALFORMED: 2 });
    const noCookie = await ask(chunkMessage(ALICE.publicKey, t.epoch, new Uint8Array(16), tid, small, 0));
    assert.equal(noCookie?.result, -Errno.EAGAIN);
    assert.equal(noCookie?.sealed, false, "a refusal in clear");
    const ok = (await ask(chunkMessage(ALICE.publicKey, t.epoch, t.cookie, tid, small, 1)))!;
    assert.equal(ok.result, 0, ok.text);
    assert.equal(ok.sealed, true);
    assert.deepEqual(parseHave(ok.text), { have: 1, total: Math.ceil(small.length / PUT_CHUNK), base: 0, bits: 2n });
    assert.equal(ok.seq, 1n, "the answer names the chunk");
    // One transfer at a time per user: with s.a's in progress, alice cannot start another
    // (PUT_PER_USER), so no one user can hold every PUT_MAX transfer.
    const second = await put(c, ALICE, padded(2000, 3), "t.a.sabz.city");
    assert.equal(second.result, -Errno.EDQUOT, second.text);
    assert.match(second.text, /transfer in progress already/);
  });
});

const CHUNK_ANSWER_BURST = 100;   // kernel/param.ts: chunk answers the node seals at once

it("a chunk is written whether or not it asks for an answer; only those that ask are answered, while the node's budget lasts", async () => {
  await withPut(async (c, b, dir) => {
    const module = padded(6000, 3);
    const total = Math.ceil(module.length / PUT_CHUNK);
    const t = await put(c, ALICE, module, "f.a.sabz.city");
    const id = parseTransfer(t.text)!;
    const chunk = (i: number, answer: boolean) => chunkMessage(ALICE.publicKey, t.epoch, t.cookie, id, module, i, answer);
    const ask = (m: Uint8Array) => askNode(b, "lan0", PEER, NODE, SPORT, m);
    let before = b.drops();
    assert.equal(await ask(chunk(0, false)), null, "a chunk that does not ask is not answered");
    await b.dropped(before, {});
    const one = (await ask(chunk(1, true)))!;
    assert.equal(one.result, 0, one.text);
    assert.equal(one.seq, 1n);
    assert.deepEqual(parseHave(one.text), { have: 2, total, base: 2, bits: 0n }, "chunk 0 was written all the same");
    // Flags other than CK_ANSWER are no chunk's: dropped as malformed, nothing written.
    const odd = chunk(2, true);
    odd[CTL_HEADER + CK_FLAGS] = CK_ANSWER | 2;
    before = b.drops();
    assert.equal(await ask(odd), null);
    await b.dropped(before, { CTL_MALFORMED: 1 });
    // An answer is bound to its chunk: it does not open as the answer to another.
    const asked = chunk(2, true);
    const peer = b.peer("lan0");
    peer.sendIp(b.nodeMac("lan0"), P.udp(PEER, NODE, SPORT, CTL_PORT, asked));
    const f = (await b.frame(peer, (p) => p.sport === CTL_PORT && p.dport === SPORT))!;
    await assert.rejects(decodeReply(f.data!, { user: ALICE, request: chunk(1, true), node: null }), ForgedReply);
    assert.equal((await decodeReply(f.data!, { user: ALICE, request: asked, node: null }))?.seq, 2n);
    // Flagged chunks at one instant, from someone who saw the id: the node answers its
    // budget's worth and drops the rest's answers (CTL_RATE); each is still written.
    await b.tick(2000);   // the budget refills
    before = b.drops();
    const flood = 130;
    for (let k = 0; k < flood; k++) peer.sendIp(b.nodeMac("lan0"), P.udp(PEER, NODE, SPORT + 1, CTL_PORT, chunk(3 + (k % 2), true)));
    const answers = (await b.quiet(peer, 20)).filter((p) => p.sport === CTL_PORT && p.dport === SPORT + 1);
    assert.equal(answers.length, CHUNK_ANSWER_BURST, "as many answers as the budget's burst");
    await b.dropped(before, { CTL_RATE: flood - CHUNK_ANSWER_BURST });
    for (let i = 5; i < total - 1; i++) assert.equal(await ask(chunk(i, false)), null);
    const last = (await ask(chunk(total - 1, true)))!;
    assert.equal(last.result, 0, last.text);
    assert.match(last.text, /stored module [0-9a-f]{64}/, "every chunk was written, answered or not");
    assert.deepEqual(files(dir), [`${Buffer.from(sha(module)).toString("hex")}.wasm`]);
    // The sender takes answers signed by the key that signed the PUT's answer, no other
    // (a finished transfer still answers the chunks that ask, with how it ended).
    await b.tick(2000);
    for (const node of [t.node!, BOB.publicKey]) {
      const s = new PutSender(ALICE, t.epoch, id, module, { ...t, node });
      for (const m of s.due(Number(b.now))) peer.sendIp(b.nodeMac("lan0"), P.udp(PEER, NODE, SPORT + 2, CTL_PORT, m));
      const back = (await b.quiet(peer, 20)).filter((p) => p.sport === CTL_PORT && p.dport === SPORT + 2);
      assert.ok(back.length > 0);
      for (const a of back) {
        if (node === t.node) assert.match((await s.open(a.data!))!.text, /stored module/);
        else await assert.rejects(s.open(a.data!), /signed by another key/);
      }
    }
  });
});

it("a node whose manifest has no network store refuses a PUT and says what to add", async () => {
  const yaml = nodeYaml("/nonexistent").replace(/store:\n.*\n/, "");
  await withBench(yaml, PEERS, async (b) => {
    const c = new Ctl(b, yaml);
    const r = await put(c, ALICE, padded(100), "x.a.sabz.city");
    assert.equal(r.result, -Errno.ENODEV, r.text);
    assert.match(r.text, /no store for modules sent over the network/);
  });
});

it("with domains: in the manifest, a PUT module is stored only if a publisher of its domain signed it; a signed one LOADs", async () => {
  const PUBLISHER = new Uint8Array(32).fill(7), STRANGER = new Uint8Array(32).fill(8);
  const domains = `domains:\n  - { domain: a.sabz.city, publishers: ["${publicKeyText(keyFromSeed(PUBLISHER).publicKey)}"] }\n`;
  await withPut(async (c, b, dir) => {
    for (const [what, m] of [["unsigned", padded(8000)], ["signed by a stranger", signModule(padded(8000), STRANGER)]] as const) {
      const first = await put(c, ALICE, m, "echo.a.sabz.city");
      assert.equal(first.result, 0, first.text);
      const s = await transfer(b, ALICE, m, first, LOSSY);
      assert.equal(s.end?.result, -Errno.EACCES, `${what}: ${s.end?.text}`);
      assert.match(s.end!.text, /not signed for echo\.a\.sabz\.city: .*nothing was stored/, what);
      assert.deepEqual(files(dir), [], what);
    }
    const signed = signModule(padded(30 * 1024), PUBLISHER);
    const first = await put(c, ALICE, signed, "echo.a.sabz.city");
    const s = await transfer(b, ALICE, signed, first, LOSSY);
    assert.equal(s.end?.result, 0, s.end?.text);
    assert.deepEqual(files(dir), [`${Buffer.from(sha(signed)).toString("hex")}.wasm`]);
    const loadFile = path.join(os.tmpdir(), `persia-put-signed-${process.pid}.wasm`);
    fs.writeFileSync(loadFile, signed);
    try {
      const r = await c.send(ALICE, Op.LOAD, loadRequest(svcYaml("echo.a.sabz.city", "fd00:5ab2:1::a3", "", loadFile), "l.yaml", ROOT, c.manifest).body);
      assert.equal(r.result, 0, r.text);
    } finally {
      fs.rmSync(loadFile, { force: true });
    }
    assert.ok(await b.until(() => b.service("echo.a.sabz.city").state === "RUNNING", 50));
    assert.equal(await b.ping("lan0", parseAddr("fd00:5ab2:1::a3")), true);
  }, domains);
});
