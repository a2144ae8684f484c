// Security review of issue #13 (kernel/wg/): proofs of concept that FAIL on the bugs found.
// Each `it` names the finding; see the review report for the fix.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as dgram from "dgram";
import { once } from "events";
import * as crypto from "crypto";
import * as L from "../../wire/layout/wireguard";
import { WgLink, NODE } from "./wg_link";
import { withMacs, u32 } from "../wg/messages";
import * as N from "../wg/noise";
import * as aead from "../wg/aead";

/** A host elsewhere on the underlay that knows only the node's public key (mac1). */
class Stranger {
  got: Uint8Array[] = [];
  cookie: Uint8Array | null = null;
  private constructor(readonly sock: dgram.Socket, readonly nodePort: number) {
    sock.on("message", (m) => this.got.push(new Uint8Array(m)));
  }
  static async open(nodePort: number): Promise<Stranger> {
    const s = dgram.createSocket("udp6");
    s.bind(0, "::1");
    await once(s, "listening");
    return new Stranger(s, nodePort);
  }
  /** A 92-byte "response" to no initiation: right mac1, mac2 from our cookie if we have one.
   *  The node spends a handshake token on it before it looks at the receiver index. */
  junkResponse(): Uint8Array {
    const m = new Uint8Array(L.WGR_SIZE);
    m[0] = L.WG_RESPONSE;
    m.set(crypto.randomBytes(L.WGR_MAC1 - 4), 4);
    return withMacs(m, NODE.pub, this.cookie ?? undefined);
  }
  put(m: Uint8Array): void { this.sock.send(m, this.nodePort, "::1"); }
  /** Open a cookie reply to message m (our own address's cookie). */
  takeCookie(m: Uint8Array, reply: Uint8Array): boolean {
    if (u32(reply, L.WGC_RECEIVER) !== u32(m, L.WGR_SENDER)) return false;
    const mac1 = m.subarray(L.WGR_MAC1, L.WGR_MAC2);
    const c = aead.xopen(N.cookieKey(NODE.pub), reply.subarray(L.WGC_NONCE, L.WGC_COOKIE), reply.subarray(L.WGC_COOKIE), mac1);
    if (c === null) return false;
    this.cookie = c;
    return true;
  }
  close(): void { this.sock.close(); }
}

describe("review: the node-wide handshake budget", () => {
  let w: WgLink;
  let s: Stranger;
  before(async () => { w = await WgLink.boot(); s = await Stranger.open(w.nodePort); });
  after(() => { s?.close(); w?.close(); });

  it("one off-path host with a cookie for its own address keeps a real peer from ever completing a handshake", async () => {
    const peer = w.peer();
    await w.handshake(peer);
    assert.ok(await w.ping(peer, 1), "the session works before the attack");

    // 1. Put the node under load with junk that passes mac1 (no key but the node's public one).
    let last: Uint8Array | null = null;
    for (let i = 0; i < 25; i++) { last = s.junkResponse(); s.put(last); }
    await w.b.tick(1);
    await w.b.tick(1);
    // 2. Take the cookie the node gives our own address (the last message got one).
    const reply = s.got.find((m) => m[0] === L.WG_COOKIE && u32(m, L.WGC_RECEIVER) === u32(last!, L.WGR_SENDER));
    assert.ok(reply, "the stranger got a cookie reply for its own address");
    assert.ok(s.takeCookie(last!, reply!), "and opened it");

    // 3. From now on ~200 junk responses a second, each with a valid mac2: each costs the node
    //    only a token (no DH), and the bucket (100/s) stays empty. Meanwhile the real peer
    //    retries its handshake every 5 s, as wireguard-go does, taking the cookie it is given.
    let responses = 0, attempts = 0, cookies = 0;
    const drops0 = w.b.drops();
    for (let t = 0; t < 30_000; t += 10) {
      // NO_FLOOD=1: the control run, which passes.
      if (!process.env.NO_FLOOD) { s.put(s.junkResponse()); s.put(s.junkResponse()); }
      if (t % 5000 === 2500) {
        attempts++;
        w.got.length = 0;
        const init = peer.initiation();
        await w.put(init);
        await w.b.tick(1);
        for (const m of w.got) {
          if (m[0] === L.WG_COOKIE && peer.consumeCookie(m)) cookies++;
          if (m[0] === L.WG_RESPONSE && peer.consumeResponse(m)) responses++;
        }
        w.got.length = 0;
      }
      await w.b.tick(10);
      s.got.length = 0;
    }
    const d = w.b.drops();
    // The spec (security.md) says a peer that proves its address with mac2 gets through under
    // load, and that a peer in session is unaffected. But the budget is one bucket for the
    // whole node, spent before the message is authenticated: the real peer's mac2-valid
    // initiations are all WG_HANDSHAKE, so once its session is 180 s old it is cut off.
    assert.ok(responses > 0,
      `no handshake response to ${attempts} initiations in 30 s (${cookies} cookie replies taken; WG_HANDSHAKE drops +${d.WG_HANDSHAKE - drops0.WG_HANDSHAKE}, WG_MAC +${d.WG_MAC - drops0.WG_MAC})`);
  });
});

describe("review: the node-wide handshake budget, to the end of a session", () => {
  let w: WgLink;
  let s: Stranger;
  before(async () => { w = await WgLink.boot(); s = await Stranger.open(w.nodePort); });
  after(() => { s?.close(); w?.close(); });

  it("a peer in session is cut off 180 s later: its rekeys never get through the stranger's junk", async () => {
    const peer = w.peer();
    await w.handshake(peer);
    assert.ok(await w.ping(peer, 1));
    let last: Uint8Array | null = null;
    for (let i = 0; i < 25; i++) { last = s.junkResponse(); s.put(last); }
    await w.b.tick(1); await w.b.tick(1);
    const reply = s.got.find((m) => m[0] === L.WG_COOKIE && u32(m, L.WGC_RECEIVER) === u32(last!, L.WGR_SENDER));
    assert.ok(reply && s.takeCookie(last!, reply), "the stranger's cookie");
    // 185 s of junk at ~200/s; from 120 s on the peer rekeys every 5 s (wireguard-go's
    // REKEY_AFTER_TIME and REKEY_TIMEOUT), taking cookies as they come.
    let renewed = 0;
    for (let t = 0; t < 185_000; t += 10) {
      const sent = [s.junkResponse(), s.junkResponse()];
      for (const m of sent) s.put(m);
      if (t >= 120_000 && t % 5000 === 0) {
        w.got.length = 0;
        await w.put(peer.initiation());
        await w.b.tick(1);
        for (const m of w.got) {
          if (m[0] === L.WG_COOKIE) peer.consumeCookie(m);
          if (m[0] === L.WG_RESPONSE) peer.consumeResponse(m);
        }
      }
      await w.b.tick(10);
      // The node renews its cookie secret every 2 minutes: the stranger takes the new cookie
      // from the reply its next junk draws, as any sender would.
      for (const r of s.got) for (const m of sent) if (r[0] === L.WG_COOKIE && s.takeCookie(m, r)) renewed++;
      s.got.length = 0;
    }
    assert.ok(renewed >= 1, "the stranger renewed its cookie");
    const before = w.b.drops();
    const ok = await w.ping(peer, 2).catch(() => null);
    const d = w.b.drops();
    assert.ok(ok, `the peer's ping after 185 s is dropped (WG_KEY +${(d.WG_KEY ?? 0) - (before.WG_KEY ?? 0)}): its session expired and no rekey got through`);
  });
});
