// Every field of every WireGuard message the kernel takes, flipped (one bit of each byte)
// or cut short, on a real node (wg_link.ts): each bad datagram grows exactly one drop
// counter by one, by the reason the field's check gives, and is never answered; what a
// field's change cannot be noticed by (the sender index under recomputed macs, mac2 when
// the node is not under load) is taken. Then the node under load: cookie replies instead
// of Diffie-Hellman work, and a peer that proves its address with mac2 gets through; and a
// cookie the node asked for, taken and used on its next initiation.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as L from "../../wire/layout/wireguard";
import { WgLink } from "./wg_link";
import { FIELDS, Field, withMacs, mac2Of } from "../wg/messages";
import { Peer } from "../wg/peer";

/** The reason a flip in field f of a handshake message gives: the type and reserved bytes
 *  make it no WireGuard message of its size; any other byte breaks mac1 unless the macs are
 *  recomputed, and then what mac1 covered fails its own check (handshake), but for the
 *  fields nobody authenticates. */
function handshakeReason(f: Field, recomputed: boolean, free: string[]): string | null {
  if (f.name === "type" || f.name === "reserved") return "WG_MALFORMED";
  if (f.name === "mac2") return null;                     // checked only under load
  if (!recomputed || f.name === "mac1") return "WG_MAC";
  return free.includes(f.name) ? null : "WG_HANDSHAKE";
}

/** Flip one bit of byte i (which bit turns with i). */
function flip(m: Uint8Array, i: number): Uint8Array {
  const c = Uint8Array.from(m);
  c[i] ^= 1 << (i % 8);
  return c;
}

describe("flipped and truncated messages to a node", () => {
  let w: WgLink;
  before(async () => { w = await WgLink.boot(); });
  after(() => w?.close());

  /** Send m; expect exactly reason's counter to grow by one and no answer, or (reason null)
   *  no drop at all. Waits out the initiation flood limit and refills the budget. */
  async function expectDrop(m: Uint8Array, reason: string | null, what: string): Promise<void> {
    await w.b.tick(25);
    w.got.length = 0;
    const before = w.b.drops();
    await w.send(m);
    await w.b.dropped(before, reason ? { [reason]: 1 } : {});
    if (reason) assert.deepEqual(w.got.map((x) => x[0]), [], `${what}: nothing is answered`);
  }

  it("an initiation: every byte, with and without its macs recomputed", async () => {
    const peer = w.peer();
    for (const recomputed of [false, true]) {
      for (const f of FIELDS.initiation) {
        for (let i = f.at; i < f.at + f.len; i++) {
          let m = flip(peer.initiation(), i);
          if (recomputed && f.name !== "mac1" && f.name !== "mac2") m = withMacs(m, w.nodePub());
          await expectDrop(m, handshakeReason(f, recomputed, ["sender"]), `initiation ${f.name} byte ${i}${recomputed ? " (macs recomputed)" : ""}`);
        }
      }
    }
  });

  it("an initiation cut at every field's edge, and one byte long", async () => {
    const peer = w.peer();
    const edges = [1, ...FIELDS.initiation.map((f) => f.at).filter((a) => a > 0), L.WGI_SIZE - 1];
    for (const n of edges) await expectDrop(peer.initiation().subarray(0, n), "WG_MALFORMED", `initiation of ${n} bytes`);
    await expectDrop(Uint8Array.from([...peer.initiation(), 0]), "WG_MALFORMED", "an initiation one byte long");
  });

  it("transport data: every byte of a sealed ping, and every length short of a whole message", async () => {
    const peer = w.peer();
    await w.b.tick(25);
    await w.handshake(peer);
    const ping = () => peer.seal(new Uint8Array(48).fill(0x60, 0, 1));
    const m0 = ping();
    for (const f of FIELDS.transport(m0.length)) {
      const reason = f.name === "type" || f.name === "reserved" ? "WG_MALFORMED" : f.name === "receiver" ? "WG_KEY" : "WG_AUTH";
      for (let i = f.at; i < f.at + f.len; i++) await expectDrop(flip(ping(), i), reason, `transport ${f.name} byte ${i}`);
    }
    for (const n of [4, L.WGT_DATA, L.WGT_MIN - 1]) await expectDrop(ping().subarray(0, n), "WG_MALFORMED", `transport of ${n} bytes`);
    await expectDrop(ping().subarray(0, L.WGT_MIN + 8), "WG_AUTH", "transport cut inside its packet");
    assert.equal(w.wgPeer().rxPackets, 0, "no bad message counted as received");
    assert.ok(await w.ping(peer, 1), "the session still carries the peer's pings");
  });

  it("under load: cookie replies instead of handshakes, and a peer with the cookie's mac2 gets through", async () => {
    const peer = w.peer();
    await w.b.tick(1000);                     // a full budget
    const before = w.b.drops();
    w.got.length = 0;
    let cookies = 0;
    let answered = 0;
    // 40 valid initiations at once: the first is answered, the rest are floods or replays,
    // and past half the budget the node is under load and answers with cookies only.
    for (let i = 0; i < 40; i++) await w.put(peer.initiation());
    await w.b.deliver();
    await w.b.tick(1);
    for (const m of w.got) {
      if (m[0] === L.WG_COOKIE) cookies++;
      if (m[0] === L.WG_RESPONSE) answered++;
    }
    assert.equal(answered, 1, "only the first initiation is answered");
    assert.ok(cookies >= 19, `${cookies} cookie replies once under load`);
    const grown = w.b.drops();
    assert.equal(grown.WG_MAC - before.WG_MAC, cookies, "each cookie reply counted as a WG_MAC drop");
    // Still under load, an initiation without mac2 gets another cookie, no response.
    await w.b.tick(25);
    w.got.length = 0;
    await w.send(peer.initiation());
    await w.b.tick(1);
    assert.deepEqual(w.got.map((m) => m[0]), [L.WG_COOKIE], "without mac2: a cookie reply, no response");
    // The peer takes that cookie and proves its address with mac2: answered though under load.
    assert.ok(peer.consumeCookie(w.got[0]), `the node's cookie reply opens: ${peer.lastDrop?.why}`);
    w.got.length = 0;
    await w.b.tick(25);
    await w.send(peer.initiation());
    const r = await w.next(L.WG_RESPONSE);
    assert.ok(r, "with a valid mac2 the node answers under load");
    assert.ok(peer.consumeResponse(r!));
    assert.ok(await w.ping(peer, 7), "and the session carries pings");
  });
});

describe("a node that asked for a handshake and got a cookie reply", () => {
  let w: WgLink;
  before(async () => { w = await WgLink.boot({ peerExtra: (port) => `endpoint: "[::1]:${port}", keepalive: 25` }); });
  after(() => w?.close());

  it("takes the cookie and sends its next initiation with the cookie's mac2; a flipped cookie reply is refused", async () => {
    const peer: Peer = w.peer();
    const init = await w.next(L.WG_INITIATION, 100);
    assert.ok(init, "the node's initiation at boot");
    const source = Uint8Array.from([1, 2, 3]);   // what the peer binds its cookie to (its choice)
    const reply = peer.cookieReply(init!, source);
    for (const f of FIELDS.cookie) {
      const reason = f.name === "type" || f.name === "reserved" ? "WG_MALFORMED" : "WG_HANDSHAKE";
      for (let i = f.at; i < f.at + f.len; i++) {
        const before = w.b.drops();
        await w.send(flip(reply, i));
        await w.b.dropped(before, { [reason]: 1 });
      }
    }
    const before = w.b.drops();
    await w.send(reply);
    await w.b.dropped(before, {});
    w.got.length = 0;
    await w.b.tick(5400);                     // the retry, 5 s and jitter later
    const again = await w.next(L.WG_INITIATION);
    assert.ok(again, "the retried initiation");
    assert.ok(peer.mac2Ok(again!, source), "it carries the cookie's mac2");
    assert.deepEqual(again!.subarray(L.WGI_MAC2), mac2Of(again!, cookieValue(peer, source)));
  });
});

/** The cookie peer gave source (what the node received, sealed). */
function cookieValue(peer: Peer, source: Uint8Array): Uint8Array {
  // peer.mac2Ok checks against it; recompute it the way the peer does for the byte check.
  const secret = (peer as unknown as { secret: { value: Uint8Array } }).secret.value;
  return require("../wg/noise").mac(secret, source);
}
