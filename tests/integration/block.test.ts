// Address certificates and block signals (issue #15, spec/control.md) against a real router
// under Node, on the test's clock: the router certifies its service's address to the
// service's owner and a host's address to the host that asks; the owner's BLOCK drops a
// flood source's traffic to the service at ingress, counted as BLOCKED, while other traffic
// to the service and the source's traffic elsewhere still pass, until the filter expires;
// UNBLOCK removes it. Refused, and changing nothing: a request not signed by the
// certificate's holder, a chain that does not certify the destination or ends at a key the
// router does not trust, an expired or altered certificate, replays, bad durations, more
// filters than a key's quota. A BLOCK for a source behind another router is passed on to
// that /64's Subnet-Router anycast address as a RELAY; a RELAY that arrives is checked the
// same way, answered to its requester, and dropped unanswered when stale, replayed or
// forged.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import nacl from "tweetnacl";
import * as C from "../../abi/control";
import { Op } from "../../abi/control";
import { Errno } from "../../abi/errno";
import { CERT_BYTES, CERT_HOLDER, CERT_ISSUER_KEY, CERT_LEN, CERT_PREFIX, CERT_NOT_AFTER, CERT_SIG } from "../../wire/layout/cert";
import { FILTER_PER_HOLDER, BLOCK_SOURCES_MAX } from "../../abi/limits";
import { parseAddr, addressFromMac, parseMac } from "../../loader/ip6";
import { keyFromSeed, hello, signed, unsigned, publicKeyText, Reply, UserKey } from "../../loader/control/message";
import { blockBody, BlockSpec, certsBody } from "../../loader/control/block";
import * as P from "../../cli/peer/packets";
import { Bench, withBench } from "./bench";
import { askNode, ALICE, MALLORY, knowUser } from "./ctl";

const MAC0 = "02:00:00:00:00:01", MAC1 = "02:00:00:00:00:02";
const NODE0 = addressFromMac(parseAddr("fd00:5ab2:1::"), parseMac(MAC0));
const NODE1 = addressFromMac(parseAddr("fd00:5ab2:2::"), parseMac(MAC1));
const ALICE_HOST = parseAddr("fd00:5ab2:1::100");   // alice's host, on lan0
const FLOODER = parseAddr("fd00:5ab2:2::1");         // on lan1; also the gateway to fd00:77::/32
const A1 = parseAddr("fd00:5ab2:1::a1");             // echo.a.sabz.city, alice's
const NODE_SEED = new Uint8Array(32).fill(9);
const NODE_KEY = keyFromSeed(NODE_SEED);
const HOST = keyFromSeed(new Uint8Array(32).fill(5));
const HOST2 = keyFromSeed(new Uint8Array(32).fill(6));
[HOST, HOST2, NODE_KEY].forEach(knowUser);

function yaml(keyFile: string): string {
  return `
node: { name: edge.sabz.city, role: router, identity: ${keyFile} }
nics:
  - { name: lan0, kind: virtual, mac: "${MAC0}", prefixes: ["fd00:5ab2:1::/64"] }
  - { name: lan1, kind: virtual, mac: "${MAC1}", prefixes: ["fd00:5ab2:2::/64"] }
routes:
  - { to: "fd00:77::/32", via: "fd00:5ab2:2::1", nic: lan1 }
services:
  - { domain: echo.a.sabz.city, module: build/wasm/services/echo.wasm, addresses: ["fd00:5ab2:1::a1"], ram: { min: 64KiB, max: 1MiB } }
users:
  - { name: alice, key: "${publicKeyText(ALICE.publicKey)}", domains: [a.sabz.city] }
`;
}

const PEERS = [
  { nic: "lan0", mac: "02:00:00:00:00:99", addr: "fd00:5ab2:1::100" },
  { nic: "lan1", mac: "02:00:00:00:00:98", addr: "fd00:5ab2:2::1" },
];

async function withRouter(body: (b: Bench, t: Talk) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-block-"));
  const keyFile = path.join(dir, "edge.key");
  fs.writeFileSync(keyFile, `${Buffer.from(NODE_SEED).toString("base64")}\n`, { mode: 0o600 });
  try {
    await withBench(yaml(keyFile), PEERS, (b) => body(b, new Talk(b)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Requests from a peer's address to the router's address on that peer's link. */
class Talk {
  private port = 42000;
  private seqs = new Map<UserKey, bigint>();
  constructor(readonly b: Bench) {}

  raw(msg: Uint8Array, nic = "lan0", from = ALICE_HOST, ms = 50): Promise<Reply | null> {
    return askNode(this.b, nic, from, nic === "lan0" ? NODE0 : NODE1, ++this.port, msg, ms, NODE_KEY.publicKey);
  }

  /** CERTS: the first answer is the cookie, in clear; then the sealed chain. */
  async certs(addr: Uint8Array): Promise<Reply> {
    const h = (await this.raw(unsigned(Op.CERTS, ALICE.publicKey, certsBody(addr), C.CTL_MAX)))!;
    return (await this.raw(unsigned(Op.CERTS, ALICE.publicKey, certsBody(addr), C.CTL_MAX, h.cookie)))!;
  }

  /** A signed request by key with its next sequence number, from `from` on nic. */
  async send(key: UserKey, op: Op, body: Uint8Array, nic = "lan0", from = ALICE_HOST): Promise<Reply> {
    const seq = (this.seqs.get(key) ?? 0n) + 1n;
    this.seqs.set(key, seq);
    await this.b.tick(250);   // the source's budget refills one check in 200 ms
    const h = (await this.raw(hello(key.publicKey), nic, from))!;
    const r = await this.raw(signed(op, h.epoch, seq, key, body, h.cookie), nic, from);
    assert.ok(r, "the router answered");
    assert.equal(r.seq, seq);
    return r;
  }

  /** A BLOCK (seconds > 0) or UNBLOCK by key for dst from the sources, with chain. */
  block(key: UserKey, chain: Uint8Array[], sources: string[], seconds: number, dst = A1, extra: Partial<BlockSpec> = {}): Promise<Reply> {
    const spec: BlockSpec = { dst, sources: sources.map(source), proto: 0, port: 0, seconds, timeMs: BigInt(Date.now()), chain, ...extra };
    return this.send(key, seconds === 0 ? Op.UNBLOCK : Op.BLOCK, blockBody(spec));
  }
}

function source(s: string) {
  const [a, l] = s.split("/");
  return { addr: parseAddr(a), len: l === undefined ? 128 : Number(l) };
}

/** A UDP datagram from the flooder (lan1) to dst, port 7 (echo). */
function flood(b: Bench, dst: Uint8Array, n = 1): void {
  const peer = b.peer("lan1");
  for (let i = 0; i < n; i++) peer.sendIp(b.nodeMac("lan1"), P.udp(FLOODER, dst, 5201, 7, Uint8Array.of(i & 0xff)));
}

/** A certificate signed by `issuer`, for addr/len to holder, valid [from, until) in Unix s. */
function cert(issuer: UserKey, holder: Uint8Array, addr: Uint8Array, len: number, from: number, until: number, flags = 0): Uint8Array {
  const c = new Uint8Array(CERT_BYTES);
  const v = new DataView(c.buffer);
  v.setUint32(0, 0x54524350, true);
  c[4] = 1; c[CERT_LEN] = len; c[6] = flags;
  v.setBigUint64(8, BigInt(from), true);
  v.setBigUint64(CERT_NOT_AFTER, BigInt(until), true);
  c.set(addr, CERT_PREFIX);
  c.set(holder, CERT_HOLDER);
  c.set(issuer.publicKey, CERT_ISSUER_KEY);
  c.set(nacl.sign.detached(c.subarray(0, CERT_SIG), issuer.secretKey), CERT_SIG);
  return c;
}

const nowS = () => Math.floor(Date.now() / 1000);

it("the router certifies its service's address to the service's owner, and CERTS hands the chain to anyone", async () => {
  await withRouter(async (b, t) => {
    const r = await t.certs(A1);
    assert.equal(r.result, 0, r.text);
    assert.equal(r.certs.length, 1, "one certificate: the router's, for the address");
    const c = r.certs[0];
    assert.deepEqual([...c.subarray(CERT_PREFIX, CERT_PREFIX + 16)], [...A1]);
    assert.equal(c[CERT_LEN], 128);
    assert.deepEqual([...c.subarray(CERT_HOLDER, CERT_HOLDER + 32)], [...ALICE.publicKey], "held by alice, the service's owner");
    assert.deepEqual([...c.subarray(CERT_ISSUER_KEY, CERT_ISSUER_KEY + 32)], [...NODE_KEY.publicKey], "issued by the node's key");
    assert.ok(nacl.sign.detached.verify(c.subarray(0, CERT_SIG), c.subarray(CERT_SIG), NODE_KEY.publicKey), "tweetnacl verifies the kernel's signature");
    const none = await t.certs(parseAddr("fd00:5ab2:1::b7"));
    assert.equal(none.result, -Errno.ENOENT, none.text);
    assert.equal(b.node.status().drops.CTL_MALFORMED ?? 0, 0);
  });
});

it("a BLOCK from the holder drops the flood source's traffic to the service at ingress, nothing else, until it expires", async () => {
  await withRouter(async (b, t) => {
    const chain = (await t.certs(A1)).certs;
    assert.equal(await b.ping("lan1", A1), true, "the source reaches the service before the block");
    const r = await t.block(ALICE, chain, ["fd00:5ab2:2::1"], 10);
    assert.equal(r.result, 0, r.text);
    assert.match(r.text, /1 filters installed, 0 refreshed, for 10 s/);
    const before = b.drops();
    flood(b, A1, 20);
    await b.dropped(before, { BLOCKED: 20 });
    assert.equal(await b.ping("lan1", A1), false, "ICMPv6 from the source is blocked too (no protocol given)");
    assert.equal(await b.ping("lan0", A1), true, "other traffic to the service still passes");
    const other = b.peer("lan0");
    other.received.splice(0);
    flood(b, ALICE_HOST, 3);
    assert.ok(await b.until(() => other.received.filter((p) => p.dport === 7).length === 3, 50), "the source's traffic to another destination still passes");
    const st = b.node.status();
    assert.equal(st.filters?.active, 1, "status counts one active filter");
    await b.tick(10_000);
    assert.equal(await b.ping("lan1", A1), true, "after its 10 s the filter is gone");
    assert.equal(b.node.status().filters?.active, 0);
    assert.equal(b.node.status().filters?.expired, 1);
  });
});

it("UNBLOCK removes the filter; a protocol and port narrow a filter to that traffic", async () => {
  await withRouter(async (b, t) => {
    const chain = (await t.certs(A1)).certs;
    const r = await t.block(ALICE, chain, ["fd00:5ab2:2::/64"], 600, A1, { proto: 17, port: 7 });
    assert.equal(r.result, 0, r.text);
    const before = b.drops();
    flood(b, A1, 5);
    await b.dropped(before, { BLOCKED: 5 });
    assert.equal(await b.ping("lan1", A1), true, "ICMPv6 is not UDP port 7: it passes");
    const u = await t.block(ALICE, chain, ["fd00:5ab2:2::/64"], 0, A1, { proto: 17, port: 7 });
    assert.equal(u.result, 0, u.text);
    assert.match(u.text, /1 filters removed/);
    const peer = b.peer("lan1");
    peer.received.splice(0);
    flood(b, A1, 1);
    assert.ok(await b.until(() => peer.received.some((p) => p.sport === 7), 50), "the echo answers again");
  });
});

it("refused, and nothing installed: another key, a chain that does not certify the destination, an untrusted, expired or altered certificate, a replay, a bad duration", async () => {
  await withRouter(async (b, t) => {
    const chain = (await t.certs(A1)).certs;
    const expectRefused = async (r: Reply, err: Errno, text: RegExp) => {
      assert.equal(r.result, -err, r.text);
      assert.match(r.text, text);
    };
    await expectRefused(await t.block(MALLORY, chain, ["fd00:5ab2:2::1"], 60), Errno.EACCES, /not signed by the key the destination's certificate names/);
    await expectRefused(await t.block(ALICE, chain, ["fd00:5ab2:2::1"], 60, parseAddr("fd00:5ab2:1::a2")), Errno.EACCES, /./);
    const own = cert(MALLORY, MALLORY.publicKey, A1, 128, nowS() - 60, nowS() + 3600);
    await expectRefused(await t.block(MALLORY, [own], ["fd00:5ab2:2::1"], 60), Errno.EACCES, /./);
    const expired = cert(NODE_KEY, ALICE.publicKey, A1, 128, nowS() - 7200, nowS() - 3600);
    assert.ok((await t.block(ALICE, [expired], ["fd00:5ab2:2::1"], 60)).result < 0, "an expired certificate");
    const future = cert(NODE_KEY, ALICE.publicKey, A1, 128, nowS() + 3600, nowS() + 7200);
    assert.ok((await t.block(ALICE, [future], ["fd00:5ab2:2::1"], 60)).result < 0, "a certificate not yet valid");
    for (const at of [0, 5, CERT_PREFIX + 15, CERT_HOLDER, CERT_ISSUER_KEY + 3, CERT_SIG, CERT_BYTES - 1]) {
      const bad = chain[0].slice();
      bad[at] ^= 0x10;
      assert.ok((await t.block(ALICE, [bad], ["fd00:5ab2:2::1"], 60)).result < 0, `a bit flipped at byte ${at}`);
    }
    const long = blockBody({ dst: A1, sources: [source("fd00:5ab2:2::1")], proto: 0, port: 0, seconds: 60, timeMs: BigInt(Date.now()), chain });
    new DataView(long.buffer).setUint32(C.BL_SECONDS, 86401, true);
    await expectRefused(await t.send(ALICE, Op.BLOCK, long), Errno.EINVAL, /a day/);
    const outside = cert(NODE_KEY, ALICE.publicKey, parseAddr("fd00:9::1"), 128, nowS() - 60, nowS() + 3600);
    assert.ok((await t.block(ALICE, [outside], ["fd00:5ab2:2::1"], 60, parseAddr("fd00:9::1"))).result < 0, "an address outside the router's prefixes");
    assert.equal(b.node.status().filters?.active, 0, "nothing was installed");
    // A replay of a good request is refused by its sequence number.
    await b.tick(250);
    const h0 = (await t.raw(hello(ALICE.publicKey)))!;
    const h = (await t.raw(hello(ALICE.publicKey, h0.cookie)))!;   // sealed: alice's last number
    const spec: BlockSpec = { dst: A1, sources: [source("fd00:5ab2:2::1")], proto: 0, port: 0, seconds: 60, timeMs: BigInt(Date.now()), chain };
    const msg = signed(Op.BLOCK, h.epoch, h.seq + 1n, ALICE, blockBody(spec), h.cookie);
    assert.equal((await t.raw(msg))!.result, 0);
    await b.tick(250);
    const again = (await t.raw(msg))!;
    assert.equal(again.result, -Errno.ESTALE, again.text);
  });
});

it("a key holds at most FILTER_PER_HOLDER filters; a request that would pass it is refused whole", async () => {
  await withRouter(async (b, t) => {
    const chain = (await t.certs(A1)).certs;
    const per = BLOCK_SOURCES_MAX;
    for (let m = 0; m < FILTER_PER_HOLDER / per; m++) {
      const srcs = Array.from({ length: per }, (_, i) => `fd00:66:${m.toString(16)}::${(i + 1).toString(16)}`);
      const r = await t.block(ALICE, chain, srcs, 600);
      assert.equal(r.result, 0, r.text);
    }
    assert.equal(b.node.status().filters?.active, FILTER_PER_HOLDER);
    const over = await t.block(ALICE, chain, ["fd00:66:ffff::1", "fd00:66:ffff::2"], 600);
    assert.equal(over.result, -Errno.EDQUOT, over.text);
    assert.equal(b.node.status().filters?.active, FILTER_PER_HOLDER, "none of the refused request's filters");
    const again = await t.block(ALICE, chain, Array.from({ length: per }, (_, i) => `fd00:66:0::${(i + 1).toString(16)}`), 900);
    assert.equal(again.result, 0, `a key at its quota may still refresh its filters: ${again.text}`);
    assert.match(again.text, /0 filters installed, 32 refreshed/);
  });
});

it("the filters of one destination use at most 8 source prefix lengths: each costs every packet to it a probe", async () => {
  await withRouter(async (b, t) => {
    const chain = (await t.certs(A1)).certs;
    const lengths = [120, 121, 122, 123, 124, 125, 126, 127, 128];
    const r = await t.block(ALICE, chain, lengths.map((l) => `fd00:66::/${l}`), 60);
    assert.equal(r.result, -Errno.EDQUOT, r.text);
    assert.match(r.text, /LENGTHS_PER_DST/);
    const ok = await t.block(ALICE, chain, lengths.slice(1).map((l) => `fd00:66::/${l}`), 60);
    assert.equal(ok.result, 0, ok.text);
    assert.equal(b.node.status().filters?.active, 8);
    const again = await t.block(ALICE, chain, lengths.slice(1).map((l) => `fd00:66::/${l}`), 120);
    assert.equal(again.result, 0, `the same request again refreshes the filters (no new length): ${again.text}`);
    assert.match(again.text, /0 filters installed, 8 refreshed/);
    const other = await t.block(ALICE, chain, ["fd00:67::/121", "fd00:68::/128"], 60);
    assert.equal(other.result, 0, `new sources of lengths already used: ${other.text}`);
    const ninth = await t.block(ALICE, chain, ["fd00:67::/64"], 60);
    assert.equal(ninth.result, -Errno.EDQUOT, ninth.text);
  });
});

it("a host on a link gets a certificate for the address it asks from, first come, first served", async () => {
  await withRouter(async (b, t) => {
    const r = await t.send(HOST, Op.CERT, new Uint8Array(0), "lan1", FLOODER);
    assert.equal(r.result, 0, r.text);
    assert.equal(r.certs.length, 1);
    assert.deepEqual([...r.certs[0].subarray(CERT_PREFIX, CERT_PREFIX + 16)], [...FLOODER]);
    assert.deepEqual([...r.certs[0].subarray(CERT_HOLDER, CERT_HOLDER + 32)], [...HOST.publicKey]);
    const taken = await t.send(HOST2, Op.CERT, new Uint8Array(0), "lan1", FLOODER);
    assert.equal(taken.result, -Errno.EEXIST, taken.text);
    const again = await t.send(HOST, Op.CERT, new Uint8Array(0), "lan1", FLOODER);
    assert.equal(again.result, 0, "the holder renews its own");
    // The host now holds its address: it may block traffic to itself.
    const blk = await t.send(HOST, Op.BLOCK, blockBody({ dst: FLOODER, sources: [source("fd00:5ab2:1::a1")], proto: 0, port: 0,
      seconds: 30, timeMs: BigInt(Date.now()), chain: r.certs }), "lan1", FLOODER);
    assert.equal(blk.result, 0, blk.text);
  });
});

it("a BLOCK for a source behind another router is passed on to that /64's Subnet-Router anycast address as a RELAY", async () => {
  await withRouter(async (b, t) => {
    const chain = (await t.certs(A1)).certs;
    assert.equal(await b.ping("lan1", A1), true, "the router learns the gateway's MAC (one packet waits per unresolved neighbor)");
    const gw = b.peer("lan1");
    gw.received.splice(0);
    const r = await t.block(ALICE, chain, ["fd00:77:1::5", "fd00:77:1::6", "fd00:77:2::/64"], 60);
    assert.equal(r.result, 0, r.text);
    assert.match(r.text, /passed on to 2 source routers/);
    assert.ok(await b.until(() => gw.received.filter((p) => p.dport === C.CTL_PORT).length === 2, 50));
    const relays = gw.received.filter((p) => p.dport === C.CTL_PORT);
    const to = relays.map((p) => Buffer.from(p.dst!).toString("hex")).sort();
    assert.deepEqual(to, [parseAddr("fd00:77:1::"), parseAddr("fd00:77:2::")].map((a) => Buffer.from(a).toString("hex")).sort());
    for (const p of relays) {
      const d = p.data!;
      const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
      assert.equal(v.getUint32(0, true), C.CTL_MAGIC);
      assert.equal(d[C.CTL_OP], Op.RELAY);
      assert.deepEqual([...d.subarray(C.CTL_HEADER, C.CTL_HEADER + 16)], [...ALICE_HOST], "reply-to: the requester");
      assert.equal(d[C.CTL_HEADER + C.RL_HOPS], 1);
      const inner = d.subarray(C.CTL_HEADER + C.RL_REQUEST);
      assert.equal(inner[C.CTL_OP], Op.BLOCK);
      assert.ok(nacl.sign.detached.verify(inner.subarray(0, inner.length - 64), inner.subarray(inner.length - 64), ALICE.publicKey),
        "the holder's request, unchanged");
      assert.equal(p.checksumOk, true);
    }
    assert.equal(b.node.status().filters?.relayed, 2);
  });
});

/** A RELAY as another router would send it: reply-to, hops, then the signed request. */
function relayOf(request: Uint8Array, replyTo: Uint8Array, replyPort: number, hops = 1): Uint8Array {
  const m = new Uint8Array(C.CTL_HEADER + C.RL_REQUEST + request.length);
  const v = new DataView(m.buffer);
  v.setUint32(0, C.CTL_MAGIC, true);
  m[C.CTL_VERSION_OFF] = C.CTL_VERSION;
  m[C.CTL_OP] = Op.RELAY;
  m.set(replyTo, C.CTL_HEADER + C.RL_REPLY_ADDR);
  v.setUint16(C.CTL_HEADER + C.RL_REPLY_PORT, replyPort, true);
  m[C.CTL_HEADER + C.RL_HOPS] = hops;
  m.set(request, C.CTL_HEADER + C.RL_REQUEST);
  return m;
}

it("a RELAY installs filters for the sources on the router's links and is answered to the requester; stale, replayed or forged ones are dropped unanswered", async () => {
  await withRouter(async (b, t) => {
    const chain = (await t.certs(A1)).certs;
    const req = (time: number, seq = 7n) => signed(Op.BLOCK, 0x1234n, seq, ALICE, blockBody({ dst: A1, sources: [source("fd00:5ab2:2::1")],
      proto: 0, port: 0, seconds: 60, timeMs: BigInt(time), chain }), new Uint8Array(16));
    const sra = parseAddr("fd00:5ab2:1::");   // lan0's Subnet-Router anycast address
    const peer = b.peer("lan0");
    const send = async (msg: Uint8Array) => {
      peer.received.splice(0);
      peer.sendIp(b.nodeMac("lan0"), P.udp(ALICE_HOST, sra, 43000, C.CTL_PORT, msg));
      await b.tick(250);
      return peer.received.filter((p) => p.sport === C.CTL_PORT);
    };
    const before = b.drops();
    assert.deepEqual(await send(relayOf(req(Date.now() - 10 * 60_000), ALICE_HOST, 43001)), [], "a stale one: no answer");
    assert.deepEqual(await send(relayOf(req(Date.now(), 8n), ALICE_HOST, 43001, 2)), [], "passed on twice: no answer");
    const forged = req(Date.now());
    forged[forged.length - 1] ^= 1;
    assert.deepEqual(await send(relayOf(forged, ALICE_HOST, 43001)), [], "a bad signature: no answer");
    for (const to of ["ff02::1", "::", "fe80::1", "fd00:5ab2:1::a1"]) {
      assert.deepEqual(await send(relayOf(req(Date.now(), 9n), parseAddr(to), 43001)), [], `reply-to ${to}: no answer`);
    }
    assert.equal(b.node.status().filters?.active, 0, "nothing installed for a relay with a bad reply-to");
    const good = relayOf(req(Date.now()), ALICE_HOST, 43002);
    const answers = await send(good);
    assert.equal(answers.length, 1, "one answer, to the reply-to address and port");
    assert.equal(answers[0].dport, 43002);
    const r = (await (await import("../../loader/control/message")).decodeReply(answers[0].data!,
      { user: ALICE, request: good.subarray(C.CTL_HEADER + C.RL_REQUEST), node: null }))!;
    assert.equal(r.result, 0, r.text);
    assert.equal(r.op, Op.BLOCK);
    assert.equal(r.seq, 7n, "the requester's sequence number");
    assert.match(r.text, /at the sources' router/);
    assert.deepEqual(await send(good), [], "the same relay again: its time is not above the last");
    const st = b.node.status();
    assert.equal(st.filters?.active, 1);
    assert.equal(st.filters?.relaysIn, 1);
    assert.equal((st.drops.BLOCK_RELAY ?? 0) - (before.BLOCK_RELAY ?? 0), 8);
    const fb = b.drops();
    flood(b, A1, 3);
    await b.dropped(fb, { BLOCKED: 3 });
  });
});

it("forged RELAYs from a holder's /64 (no cookie: their source is not proven) do not take the budget the holder's own BLOCK pays", async () => {
  await withRouter(async (b, t) => {
    const chain = (await t.certs(A1)).certs;
    await b.tick(1000);    // every bucket full
    const stale = signed(Op.BLOCK, 1n, 1n, MALLORY, blockBody({ dst: A1, sources: [source("fd00:5ab2:2::1")], proto: 0, port: 0,
      seconds: 60, timeMs: BigInt(Date.now() - 3_600_000), chain }), new Uint8Array(16));
    const peer = b.peer("lan0");
    const before = b.drops();
    // Someone anywhere sends relays with a source address in alice's /64: no cookie is asked.
    for (let i = 0; i < 5; i++) peer.sendIp(b.nodeMac("lan0"), P.udp(parseAddr("fd00:5ab2:1::bad"), NODE0, 43000, C.CTL_PORT, relayOf(stale, ALICE_HOST, 1)));
    await b.deliver();
    assert.equal((b.drops().BLOCK_RELAY ?? 0) - (before.BLOCK_RELAY ?? 0), 5, "each forged relay dropped unanswered");
    const h = (await t.raw(hello(ALICE.publicKey)))!;
    const spec: BlockSpec = { dst: A1, sources: [source("fd00:5ab2:2::1")], proto: 0, port: 0, seconds: 60, timeMs: BigInt(Date.now()), chain };
    const r = await t.raw(signed(Op.BLOCK, h.epoch, h.seq + 1n, ALICE, blockBody(spec), h.cookie));
    assert.ok(r, "the holder's BLOCK is answered, not dropped for its /64's budget");
    assert.equal(r.result, 0, r.text);
  });
});

it("a filter never outlives the certificate that authorised it: the address may be someone else's after it", async () => {
  await withRouter(async (b, t) => {
    const short = cert(NODE_KEY, ALICE.publicKey, A1, 128, nowS() - 60, nowS() + 30);
    const r = await t.block(ALICE, [short], ["fd00:5ab2:2::1"], 600);
    assert.equal(r.result, 0, r.text);
    assert.equal(await b.ping("lan1", A1), false, "blocked while the certificate is valid");
    await b.tick(60_000);
    assert.equal(b.node.status().filters?.active, 0, "the filter ran out with its certificate");
    assert.equal(await b.ping("lan1", A1), true);
  });
});

it("a router answers neighbor solicitations for its prefix's anycast address without the Override flag (RFC 4861 §7.2.7)", async () => {
  await withRouter(async (b) => {
    const peer = b.peer("lan0");
    const na = async (target: Uint8Array) => {
      peer.send(P.ether(P.multicastMac(P.solicitedNode(target)), peer.mac, P.ETH_IPV6, P.neighborSolicit(peer.addr, target, peer.mac)));
      return b.frame(peer, (p) => p.icmpType === P.ICMP.NA && P.equalBytes(p.data?.subarray(0, 16), target));
    };
    const any = await na(parseAddr("fd00:5ab2:1::"));
    assert.ok(any, "the anycast address is answered");
    assert.equal((any.icmpWord! >>> 29) & 1, 0, "no Override");
    assert.equal((any.icmpWord! >>> 31) & 1, 1, "Router");
    const own = await na(NODE0);
    assert.equal((own!.icmpWord! >>> 29) & 1, 1, "the router's unicast address: Override");
  });
});
