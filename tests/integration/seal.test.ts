// Sealed answers (spec/control.md, "Sealed answers") from the real kernel under Node: the
// node's key (node.identity) signs every answer and each is sealed to the key that asked.
// A HELLO for a user and for a stranger, and the refusals that used to say which it was,
// are as long as the request and open only with their own key; an answer forged by someone
// on the path, changed on the way, replayed for a later request or offered for another is
// refused by the client (loader/control/message.ts decodeReply, which `persia ctl` uses);
// a node without node.identity signs with a key drawn at boot and says so in its log.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CTL_PORT, CTL_REQ_MIN, RP_EPOCH, Op } from "../../abi/control";
import { Errno } from "../../abi/errno";
import { hello, signed, publicKeyText, keyFromSeed, decodeReply, ForgedReply, UserKey } from "../../loader/control/message";
import { unloadBody } from "../../loader/control/request";
import * as P from "../../cli/peer/packets";
import { sealAnswer } from "../sealer";
import { ALICE, MALLORY, MAC, NODE, PEER, Ctl, withCtl } from "./ctl";
import { withBench } from "./bench";

const NODE_SEED = new Uint8Array(32).fill(7);
const NODE_ID = keyFromSeed(NODE_SEED);

function yaml(disk: string, identity = true): string {
  const key = path.join(path.dirname(disk), "node.key");
  fs.writeFileSync(key, `${Buffer.from(NODE_SEED).toString("base64")}\n`, { mode: 0o600 });
  return `
node: { name: seal.sabz.city, role: server${identity ? `, identity: ${key}` : ""} }
nics:
  - { name: lan0, kind: virtual, mac: "${MAC}", prefixes: ["fd00:5ab2:1::/64"] }
services: []
users:
  - { name: alice, key: "${publicKeyText(ALICE.publicKey)}", domains: [a.sabz.city] }
`;
}

let sport = 47000;
/** The answer's bytes to msg, as the peer's link carries them. */
async function rawAnswer(c: Ctl, msg: Uint8Array): Promise<Uint8Array> {
  const peer = c.b.peer("lan0"), port = ++sport;
  peer.sendIp(c.b.nodeMac("lan0"), P.udp(PEER, NODE, port, CTL_PORT, msg));
  const f = await c.b.frame(peer, (p) => p.sport === CTL_PORT && p.dport === port, 50);
  assert.ok(f, "the node answered");
  return f.data!;
}

const open = (b: Uint8Array, user: UserKey, request: Uint8Array, node: Uint8Array | null = NODE_ID.publicKey) =>
  decodeReply(b, { user, request, node });

it("HELLO and the early refusals look alike for a user and a stranger: as long as the request, opened only by its key", async () => {
  await withCtl((d) => yaml(d), async (c) => {
    const { cookie, epoch } = await c.hello();
    const qa = hello(ALICE.publicKey, cookie), qm = hello(MALLORY.publicKey, cookie);
    const a = await rawAnswer(c, qa), m = await rawAnswer(c, qm);
    assert.deepEqual([a.length, m.length], [CTL_REQ_MIN, CTL_REQ_MIN], "both as long as the request");
    const ra = (await open(a, ALICE, qa))!, rm = (await open(m, MALLORY, qm))!;
    assert.match(ra.text, /sign with this epoch/);
    assert.match(rm.text, /not one of the node's users/);
    await assert.rejects(open(a, MALLORY, qa), ForgedReply, "alice's answer does not open with another key");
    await assert.rejects(open(m, ALICE, qm), ForgedReply);
    // Signed refusals before authentication: a stranger's EACCES and a user's replayed ESTALE.
    const stranger = signed(Op.UNLOAD, epoch, 1n, MALLORY, unloadBody("x.a.sabz.city"), cookie);
    const first = signed(Op.UNLOAD, epoch, 1n, ALICE, unloadBody("x.a.sabz.city"), cookie);
    await c.b.tick(250);
    assert.equal((await open(await rawAnswer(c, first), ALICE, first))!.result, -Errno.ENOENT);
    await c.b.tick(250);
    const s = await rawAnswer(c, stranger);
    await c.b.tick(250);
    const replay = await rawAnswer(c, first);
    assert.equal(s.length, replay.length, "EACCES for a stranger and ESTALE for a user: the same length");
    assert.equal((await open(s, MALLORY, stranger))!.result, -Errno.EACCES);
    assert.equal((await open(replay, ALICE, first))!.result, -Errno.ESTALE);
  });
});

it("an answer forged on the path, changed, replayed for a later request or offered for another is refused", async () => {
  await withCtl((d) => yaml(d), async (c) => {
    const { cookie, epoch } = await c.hello();
    const q1 = signed(Op.UNLOAD, epoch, 1n, ALICE, unloadBody("x.a.sabz.city"), cookie);
    const a1 = await rawAnswer(c, q1);
    const r1 = (await open(a1, ALICE, q1))!;
    assert.deepEqual([r1.sealed, r1.result, r1.seq], [true, -Errno.ENOENT, 1n]);
    assert.deepEqual([...r1.node!], [...NODE_ID.publicKey], "signed by the node's identity key");
    await assert.rejects(open(a1, ALICE, q1, MALLORY.publicKey), /another key than the node's/, "pinned to another key");
    const forged = await sealAnswer({ op: Op.UNLOAD, result: 0, seq: 1n, text: "ok, unloaded", epoch, cookie }, q1, new Uint8Array(32).fill(9));
    await assert.rejects(open(forged, ALICE, q1), /another key than the node's/, "a forgery sealed to alice, signed by the forger");
    const posing = await sealAnswer({ op: Op.UNLOAD, result: 0, seq: 1n, text: "ok" }, q1, new Uint8Array(32).fill(9));
    posing.set(NODE_ID.publicKey, 64 + 16);   // claims the node's key inside: cannot, it is sealed; and its signature fails
    await assert.rejects(open(posing, ALICE, q1), ForgedReply);
    for (const at of [RP_EPOCH, 40, 70, a1.length - 1]) {
      const bad = Uint8Array.from(a1); bad[at] ^= 1;
      await assert.rejects(open(bad, ALICE, q1), ForgedReply, `byte ${at} changed`);
    }
    await c.b.tick(250);
    const q2 = signed(Op.UNLOAD, epoch, 2n, ALICE, unloadBody("x.a.sabz.city"), cookie);
    const a2 = await rawAnswer(c, q2);
    assert.equal((await open(a2, ALICE, q2))!.seq, 2n);
    await assert.rejects(open(a1, ALICE, q2), /not the answer to this request/, "the old answer replayed for the next request");
    await assert.rejects(open(a2, ALICE, q1), /not the answer to this request/, "an answer offered for another request");
  });
});

it("a node without node.identity draws a key at boot, logs it, and signs with it", async () => {
  const dir = fs.mkdtempSync(path.join(require("os").tmpdir(), "persia-seal-"));
  try {
    await withBench(yaml(path.join(dir, "d"), false), [{ nic: "lan0", mac: "02:00:00:00:00:99", addr: "fd00:5ab2:1::100" }], async (b) => {
      const line = b.logs.find((l) => /node key \(drawn at boot/.test(l));
      assert.ok(line, `the node says its key: ${b.logs.join(" | ")}`);
      const c = new Ctl(b, yaml(path.join(dir, "d"), false));
      const { cookie } = await c.hello();
      const q = hello(ALICE.publicKey, cookie);
      const r = (await open(await rawAnswer(c, q), ALICE, q, null))!;
      assert.equal(line.slice(line.indexOf("ed25519:")), publicKeyText(r.node!), "signed by the key it logged");
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
