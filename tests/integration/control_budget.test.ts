// A busy node's control plane (issue #10 item 3; spec/control.md, "A busy node";
// kernel/ctl/budget.ts, cookie.ts): forged messages that claim a real user's key arrive at
// 200/s from another place while the user sends one real message a second from its own
// /64; every real one is answered. The forger has real addresses (it gets cookies): first
// one /64, then eight /64s at once, which empties the key's and the node's budgets — the
// user's own /64 still pays only its own. A message without its address's cookie is
// answered with one and never reaches the verifier. Time is the bench's clock.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import { CTL_PORT, Op } from "../../abi/control";
import { Errno } from "../../abi/errno";
import { parseAddr, linkLocalFromMac, parseMac, addressFromMac, formatAddr } from "../../loader/ip6";
import { hello, signed, publicKeyText, keyFromSeed, Reply, UserKey } from "../../loader/control/message";
import { unloadBody } from "../../loader/control/request";
import * as P from "../../cli/peer/packets";
import { Bench, withBench } from "./bench";
import { ALICE, PEER, askNode, knowUser } from "./ctl";

const FORGER_MAC = "02:00:00:00:02:66";
const FORGER = parseAddr("fd00:5ab2:2::66");
const NODE0 = addressFromMac(parseAddr("fd00:5ab2:1::"), parseMac("02:00:00:00:00:01"));
const NODE1 = addressFromMac(parseAddr("fd00:5ab2:2::"), parseMac("02:00:00:00:00:02"));
const YAML = `
node: { name: busy.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"] }
  - { name: lan1, kind: virtual, mac: "02:00:00:00:00:02", prefixes: ["fd00:5ab2:2::/64"] }
routes:
  - { to: "fd00:66::/48", via: "${formatAddr(linkLocalFromMac(parseMac(FORGER_MAC)))}", nic: lan1 }
services: []
users:
  - { name: alice, key: "${publicKeyText(ALICE.publicKey)}", domains: [a.sabz.city] }
`;
const PEERS = [
  { nic: "lan0", mac: "02:00:00:00:00:99", addr: "fd00:5ab2:1::100" },
  { nic: "lan1", mac: FORGER_MAC, addr: "fd00:5ab2:2::66" },
];

class Client {
  private port = 43000;
  constructor(readonly b: Bench, readonly nic: string, readonly node: Uint8Array) {}

  /** Send msg from src; the reply that comes back within ms, or null. */
  ask(src: Uint8Array, msg: Uint8Array, ms = 20): Promise<Reply | null> {
    return askNode(this.b, this.nic, src, this.node, ++this.port, msg, ms);
  }

  send(src: Uint8Array, msg: Uint8Array, sport = 43999): void {
    this.b.peer(this.nic).sendIp(this.b.nodeMac(this.nic), P.udp(src, this.node, sport, CTL_PORT, msg));
  }
}

let seq = 100n;   // alice's sequence numbers only grow, from test to test

/** Alice sends one signed UNLOAD of a service that is not there each second for `seconds`,
 *  while `forge()` is called every 5 ms; how many of hers were answered (ENOENT). */
async function underFire(b: Bench, seconds: number, forge: () => void): Promise<number> {
  const alice = new Client(b, "lan0", NODE0);
  let answered = 0;
  for (let s = 0; s < seconds; s++) {
    for (let t = 0; t < 1000; t += 5) { forge(); await b.tick(5); }
    const h = (await alice.ask(PEER, hello(ALICE.publicKey)))!;
    const r = await alice.ask(PEER, signed(Op.UNLOAD, h.epoch, ++seq, ALICE, unloadBody("none.a.sabz.city"), h.cookie));
    if (r?.result === -Errno.ENOENT) answered++;
  }
  return answered;
}

/** A forged UNLOAD claiming `user`'s key, with the cookie of `src` (its signature is junk). */
async function forgery(forger: Client, src: Uint8Array, user: UserKey = ALICE): Promise<Uint8Array> {
  const h = (await forger.ask(src, hello(user.publicKey)))!;
  assert.ok(h, `the forger at ${formatAddr(src)} gets a cookie`);
  const m = signed(Op.UNLOAD, h.epoch, 1n << 40n, user, unloadBody("none.a.sabz.city"), h.cookie);
  m[m.length - 1] ^= 0xff;
  return m;
}

it("a user is answered every time while forgeries of its key arrive at 200/s from another /64", async () => {
  await withBench(YAML, PEERS, async (b) => {
    const forger = new Client(b, "lan1", NODE1);
    assert.equal(await underFire(b, 1, () => {}), 1, "alice, alone, is answered (her /64 becomes her key's own)");
    const m = await forgery(forger, FORGER);
    const before = b.drops();
    const refused = b.node.status().node!.controlRefused;
    assert.equal(await underFire(b, 10, () => forger.send(FORGER, m)), 10, "all 10 of alice's messages were answered");
    const checked = b.node.status().node!.controlRefused - refused - 10;   // less alice's 10 ENOENTs
    const dropped = b.drops().CTL_RATE - before.CTL_RATE;
    assert.equal(checked + dropped, 2000, "every forgery was either checked and refused or dropped");
    assert.ok(checked <= 5 + 5 * 10 + 1, `the forger's /64 got at most its burst and 5 checks a second (${checked})`);
  });
});

it("forgeries from another host of the user's own /64 do not silence the user at its own address", async () => {
  await withBench(YAML, PEERS, async (b) => {
    const neighbor = new Client(b, "lan0", NODE0);
    const NEAR = parseAddr("fd00:5ab2:1::666");
    assert.equal(await underFire(b, 1, () => {}), 1);
    // The forger is a host on alice's link: it introduces itself so the node's answers reach it.
    const introduce = () => b.peer("lan0").send(P.ether(b.nodeMac("lan0"), b.peer("lan0").mac, P.ETH_IPV6,
      P.neighborSolicit(NEAR, NODE0, b.peer("lan0").mac)));
    introduce();
    const m = await forgery(neighbor, NEAR);
    let n = 0;
    assert.equal(await underFire(b, 10, () => { if (n++ % 200 === 0) introduce(); neighbor.send(NEAR, m); }), 10,
      "all 10 of alice's messages were answered");
  });
});

it("forgeries from eight /64s empty the key's and the node's budgets; the user's own /64 still gets through", async () => {
  await withBench(YAML, PEERS, async (b) => {
    const forger = new Client(b, "lan1", NODE1);
    assert.equal(await underFire(b, 1, () => {}), 1);
    const sources = Array.from({ length: 8 }, (_, i) => parseAddr(`fd00:66:0:${i}::1`));
    const forged: Uint8Array[] = [];
    for (const s of sources) forged.push(await forgery(forger, s));
    let i = 0;
    const before = b.drops().CTL_RATE;
    const refused = b.node.status().node!.controlRefused;
    assert.equal(await underFire(b, 10, () => { forger.send(sources[i % 8], forged[i % 8]); i++; }), 10);
    const checked = b.node.status().node!.controlRefused - refused - 10;   // less alice's 10 ENOENTs
    assert.equal(checked + b.drops().CTL_RATE - before, 2000, "every forgery was either checked and refused or dropped");
    // Eight /64s would let 40 a second through and the node 20; the one key they all claim
    // lets 10 (CTL_KEY_PER_S, burst CTL_KEY_BURST 10).
    assert.ok(checked <= 10 + 10 * 10 + 1, `at most the key's burst and 10 a second were checked (${checked})`);
  });
});

it("the node checks at most CTL_VERIFY_PER_S (20) signatures a second, over all keys and places together", async () => {
  // Four users' keys claimed from eight /64s: their own budgets (10 a second a key, 5 a
  // /64) would let ~40 a second through; the node's (20 a second, burst 20) lets 20.
  const keys = [2, 3, 4, 5].map((n) => keyFromSeed(new Uint8Array(32).fill(n)));
  keys.forEach(knowUser);
  const yaml = YAML + keys.map((k, i) => `  - { name: u${i}, key: "${publicKeyText(k.publicKey)}", domains: [u${i}.sabz.city] }\n`).join("");
  await withBench(yaml, PEERS, async (b) => {
    const forger = new Client(b, "lan1", NODE1);
    assert.equal(await underFire(b, 1, () => {}), 1);
    const sources = Array.from({ length: 8 }, (_, i) => parseAddr(`fd00:66:0:${i}::1`));
    const forged: Uint8Array[] = [];
    for (let i = 0; i < 8; i++) forged.push(await forgery(forger, sources[i], keys[i % 4]));
    await b.tick(2000);   // every bucket full again
    let i = 0;
    const refused = b.node.status().node!.controlRefused;
    const before = b.drops().CTL_RATE;
    assert.equal(await underFire(b, 10, () => { forger.send(sources[i % 8], forged[i % 8]); i++; }), 10);
    const checked = b.node.status().node!.controlRefused - refused - 10;   // less alice's 10 ENOENTs
    assert.equal(checked + b.drops().CTL_RATE - before, 2000, "every forgery was either checked and refused or dropped");
    assert.ok(checked <= 20 + 20 * 10 + 1, `at most the node's burst and 20 a second were checked (${checked})`);
    assert.ok(checked >= 20 * 10 - 20, `the node's budget was used, not left idle (${checked})`);
  });
});

it("a signed message without its address's cookie is answered with one (EAGAIN) and not verified", async () => {
  await withBench(YAML, PEERS, async (b) => {
    const alice = new Client(b, "lan0", NODE0);
    const h = (await alice.ask(PEER, hello(ALICE.publicKey)))!;
    const noCookie = await alice.ask(PEER, signed(Op.UNLOAD, h.epoch, 1n, ALICE, unloadBody("none.a.sabz.city"), new Uint8Array(16)));
    assert.equal(noCookie!.result, -Errno.EAGAIN);
    assert.match(noCookie!.text, /no cookie for this address/);
    assert.deepEqual(noCookie!.cookie, h.cookie, "the refusal carries the address's cookie");
    const forger = new Client(b, "lan1", NODE1);
    const other = await forger.ask(FORGER, signed(Op.UNLOAD, h.epoch, 1n, ALICE, unloadBody("none.a.sabz.city"), h.cookie));
    assert.equal(other!.result, -Errno.EAGAIN, "a cookie is good only for the address it was given to");
    const ok = await alice.ask(PEER, signed(Op.UNLOAD, h.epoch, 1n, ALICE, unloadBody("none.a.sabz.city"), noCookie!.cookie));
    assert.equal(ok!.result, -Errno.ENOENT, `with the cookie the message is acted on: ${ok!.text}`);
    await b.tick(121_000);
    await b.tick(121_000);
    const stale = await alice.ask(PEER, signed(Op.UNLOAD, h.epoch, 2n, ALICE, unloadBody("none.a.sabz.city"), h.cookie));
    assert.equal(stale!.result, -Errno.EAGAIN, "a cookie from two secrets ago is refused");
  });
});
