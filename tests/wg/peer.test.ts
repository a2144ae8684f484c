// The tests' WireGuard peer (tests/wg/peer.ts) against itself, in-process, on a clock the
// test moves: a handshake each way, transport both ways with padding and keepalives, the
// replay window, a pre-shared key, cookies under load, and every field of every message
// flipped or cut short, each refused with the reason the kernel would count (abi/drop.ts).
// wireguard_go.test.ts proves the same peer against Linux's wireguard-go.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { randomBytes } from "crypto";
import * as L from "../../wire/layout/wireguard";
import { Drop } from "../../abi/drop";
import { Peer } from "./peer";
import { FIELDS, Field, withMacs, u32 } from "./messages";
import { clamp, publicKey, tai64n } from "./noise";

const SECOND = 1_000_000_000n;

/** Two peers on one clock (starting 2026-01-01, moved 1 s per step). */
function pair(opts: { psk?: Uint8Array; pskB?: Uint8Array } = {}) {
  let t = 1_767_225_600n * SECOND;
  const now = () => t;
  const ka = clamp(randomBytes(32)), kb = clamp(randomBytes(32));
  const random = (n: number) => new Uint8Array(randomBytes(n));
  const a = new Peer({ private: ka, peerPublic: publicKey(kb), psk: opts.psk, now, random });
  const b = new Peer({ private: kb, peerPublic: publicKey(ka), psk: opts.pskB ?? opts.psk, now, random });
  return { a, b, tick: (s = 1n) => { t += s * SECOND; } };
}

/** a initiates, b responds, a completes. */
function handshake(a: Peer, b: Peer): void {
  const resp = b.consumeInitiation(a.initiation());
  assert.ok(resp, `b refused a's initiation: ${b.lastDrop?.why}`);
  assert.equal(resp!.length, L.WGR_SIZE);
  assert.ok(a.consumeResponse(resp!), `a refused b's response: ${a.lastDrop?.why}`);
}

const ipv6 = (n: number) => { const p = new Uint8Array(40 + n).fill(0xab); p[0] = 0x60; p[4] = n >> 8; p[5] = n & 0xff; return p; };

test("a handshake gives both sides matching sessions, and packets cross both ways, padded to 16", () => {
  const { a, b } = pair();
  const init = a.initiation();
  assert.equal(init.length, L.WGI_SIZE);
  assert.deepEqual([...init.subarray(0, 4)], [1, 0, 0, 0]);
  assert.deepEqual([...init.subarray(L.WGI_MAC2)], new Array(16).fill(0), "no cookie, no mac2");
  const resp = b.consumeInitiation(init)!;
  assert.ok(a.consumeResponse(resp));
  assert.equal(a.remoteIndex, b.localIndex);
  assert.equal(b.remoteIndex, a.localIndex);
  for (const n of [0, 1, 15, 16, 17, 1380]) {
    const m = a.seal(ipv6(n));
    assert.equal(m.length, 16 + Math.ceil((40 + n) / 16) * 16 + 16, `packet of ${40 + n} bytes`);
    assert.equal(u32(m, L.WGT_RECEIVER), b.localIndex);
    assert.deepEqual(b.open(m), ipv6(n));
  }
  assert.deepEqual(a.open(b.seal(ipv6(8))), ipv6(8), "the responder's way");
  const ka = a.keepalive();
  assert.equal(ka.length, L.WGT_MIN);
  assert.deepEqual(b.open(ka), new Uint8Array(0));
  assert.equal(a.sendCounter, 7n);
});

test("a second handshake starts a newer session; packets of the one before still open", () => {
  const { a, b, tick } = pair();
  handshake(a, b);
  const old = a.seal(ipv6(1));
  tick();
  handshake(b, a);   // the other way round this time
  assert.equal(a.sessions.length, 2);
  assert.deepEqual(b.open(old), ipv6(1));
  assert.deepEqual(a.open(b.seal(ipv6(2))), ipv6(2));
});

test("a replayed or too old transport message is refused; out of order within the window is not", () => {
  const { a, b } = pair();
  handshake(a, b);
  const first = a.seal(ipv6(1));
  assert.ok(b.open(first));
  assert.equal(b.open(first), null);
  assert.equal(b.lastDrop!.reason, Drop.WG_REPLAY);
  assert.ok(b.open(a.seal(ipv6(1), { counter: 9000n })));
  assert.ok(b.open(a.seal(ipv6(1), { counter: 5000n })), "out of order, inside the window");
  assert.equal(b.open(a.seal(ipv6(1), { counter: 9000n - 8129n })), null, "8,129 behind the highest");
  assert.equal(b.lastDrop!.reason, Drop.WG_REPLAY);
  assert.equal(b.open(a.seal(ipv6(1), { counter: (1n << 64n) - (1n << 13n) - 1n })), null, "at RejectAfterMessages");
});

test("an initiation with a timestamp not newer than the last one is refused (a replayed handshake)", () => {
  const { a, b, tick } = pair();
  const init = a.initiation();
  assert.ok(b.consumeInitiation(init));
  assert.equal(b.consumeInitiation(init), null);
  assert.equal(b.lastDrop!.reason, Drop.WG_HANDSHAKE);
  tick();
  assert.equal(b.consumeInitiation(a.initiation({ timestamp: tai64n(1n) })), null, "an old timestamp");
  assert.ok(b.consumeInitiation(a.initiation()), "a new one");
});

test("pre-shared keys: the same on both sides completes, different ones fail at the response", () => {
  const psk = randomBytes(32);
  const ok = pair({ psk });
  handshake(ok.a, ok.b);
  assert.deepEqual(ok.b.open(ok.a.seal(ipv6(3))), ipv6(3));
  const bad = pair({ psk, pskB: randomBytes(32) });
  const resp = bad.b.consumeInitiation(bad.a.initiation());
  assert.ok(resp, "psk2: the initiation does not depend on the psk");
  assert.equal(bad.a.consumeResponse(resp!), false);
  assert.equal(bad.a.lastDrop!.reason, Drop.WG_HANDSHAKE);
});

test("cookies: a responder under load answers with a cookie; the next initiation carries its mac2 for 120 s", () => {
  const { a, b, tick } = pair();
  const src = Uint8Array.from([0xfd, ...new Array(15).fill(0), 0xca, 0x6c]);
  const init = a.initiation();
  assert.equal(b.mac2Ok(init, src), false);
  const reply = b.cookieReply(init, src);
  assert.equal(reply.length, L.WGC_SIZE);
  assert.equal(u32(reply, L.WGC_RECEIVER), u32(init, L.WGI_SENDER));
  assert.ok(a.consumeCookie(reply), a.lastDrop?.why);
  tick();
  const again = a.initiation();
  assert.ok(b.mac2Ok(again, src), "mac2 of the cookie");
  assert.equal(b.mac2Ok(again, src.map((x, i) => (i === 17 ? x ^ 1 : x))), false, "another source port");
  assert.ok(b.consumeInitiation(again));
  tick(121n);
  assert.deepEqual([...a.initiation().subarray(L.WGI_MAC2)], new Array(16).fill(0), "a cookie older than 120 s is not used");
  assert.equal(a.consumeCookie(reply), false, "a cookie reply to an older initiation");
});

/** Each bit position of each field flipped, in the untouched message and (where the
 *  field sits before mac1) with the macs computed again over the change. */
function flips(m: Uint8Array, fields: Field[], responder: Uint8Array | null,
  verdict: (m: Uint8Array) => Drop | null, want: (f: Field, remac: boolean) => Drop | null): void {
  for (const f of fields) {
    for (const remac of responder ? [false, true] : [false]) {
      if (remac && (f.name === "mac1" || f.name === "mac2")) continue;
      for (const bit of [0, 7, 8 * f.len - 1]) {
        const x = Uint8Array.from(m);
        x[f.at + (bit >> 3)] ^= 1 << (bit & 7);
        const got = verdict(remac ? withMacs(x, responder!) : x);
        assert.equal(got === null ? "accepted" : Drop[got], (w => (w === null ? "accepted" : Drop[w]))(want(f, remac)),
          `${f.name}, bit ${bit}${remac ? ", macs recomputed" : ""}`);
      }
    }
  }
}

test("an initiation with any field changed is refused with its reason (sender and mac2 are not authenticated)", () => {
  const { a, b, tick } = pair();
  const verdict = (m: Uint8Array) => {
    const fresh = new Peer({ ...(b as any).o });   // a responder that has seen no timestamp
    return fresh.consumeInitiation(m) ? null : fresh.lastDrop!.reason;
  };
  tick();
  flips(a.initiation(), FIELDS.initiation, b.publicKey, verdict, (f, remac) =>
    f.name === "type" || f.name === "reserved" ? Drop.WG_MALFORMED
      : f.name === "mac2" || (remac && f.name === "sender") ? null
        : remac ? Drop.WG_HANDSHAKE : Drop.WG_MAC);
});

test("a response with any field changed is refused with its reason (sender and mac2 are not authenticated)", () => {
  const { a, b } = pair();
  const resp = b.consumeInitiation(a.initiation())!;
  const state = (a as any).pending;
  const verdict = (m: Uint8Array) => { (a as any).pending = state; return a.consumeResponse(m) ? null : a.lastDrop!.reason; };
  flips(resp, FIELDS.response, a.publicKey, verdict, (f, remac) =>
    f.name === "type" || f.name === "reserved" ? Drop.WG_MALFORMED
      : f.name === "mac2" || (remac && f.name === "sender") ? null
        : remac ? Drop.WG_HANDSHAKE : Drop.WG_MAC);
});

test("transport data and cookie replies with any field changed are refused with their reason", () => {
  const { a, b } = pair();
  handshake(a, b);
  const m = a.seal(ipv6(20), { counter: 5n });
  flips(m, FIELDS.transport(m.length), null, (x) => (b.open(x) ? null : b.lastDrop!.reason), (f) =>
    f.name === "type" || f.name === "reserved" ? Drop.WG_MALFORMED : f.name === "receiver" ? Drop.WG_KEY : Drop.WG_AUTH);
  const init = a.initiation();
  const reply = b.cookieReply(init, Uint8Array.of(1, 2, 3));
  flips(reply, FIELDS.cookie, null, (x) => (a.consumeCookie(x) ? null : a.lastDrop!.reason), (f) =>
    f.name === "type" || f.name === "reserved" ? Drop.WG_MALFORMED : Drop.WG_HANDSHAKE);
});

test("every message cut short (or one byte long) is refused as malformed; a cut transport message fails its tag", () => {
  const { a, b } = pair();
  const init = a.initiation();
  const fresh = () => new Peer({ ...(b as any).o });
  for (let n = 0; n <= L.WGI_SIZE + 1; n++) {
    if (n === L.WGI_SIZE) continue;
    const x = new Uint8Array(n); x.set(init.subarray(0, n));
    const p = fresh();
    assert.equal(p.consumeInitiation(x), null, `initiation of ${n} bytes`);
    assert.equal(p.lastDrop!.reason, Drop.WG_MALFORMED, `initiation of ${n} bytes`);
  }
  const resp = b.consumeInitiation(init)!;
  for (let n = 0; n < L.WGR_SIZE; n++) {
    assert.equal(a.consumeResponse(resp.subarray(0, n)), false);
    assert.equal(a.lastDrop!.reason, Drop.WG_MALFORMED, `response of ${n} bytes`);
  }
  assert.ok(a.consumeResponse(resp));
  const m = a.seal(ipv6(30));
  for (let n = 0; n < m.length; n++) {
    assert.equal(b.open(m.subarray(0, n)), null);
    assert.equal(b.lastDrop!.reason, n < L.WGT_MIN ? Drop.WG_MALFORMED : Drop.WG_AUTH, `transport cut to ${n} bytes`);
  }
  assert.ok(b.open(m), "the whole message still opens: nothing above moved the window");
});
