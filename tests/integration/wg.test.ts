// The kernel's WireGuard (kernel/wg/, spec/kernel.md "Sealed links") against the
// independent test peer (tests/wg/peer.ts, itself proven against wireguard-go), on a real
// node on the test's clock (wg_link.ts): a handshake either way, pings through the tunnel,
// exact counters, rekeying when the clock moves past 120 s, a restarted peer, and every
// WireGuard drop reason — each bad datagram grows exactly its counter by one and gets no
// answer. The bit flips of every field are in wg_flips.test.ts.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as L from "../../wire/layout/wireguard";
import * as P from "../../cli/peer/packets";
import { parseAddr } from "../../loader/ip6";
import { WgLink, PEER, STRANGER, ECHO, TUNNEL_PEER } from "./wg_link";
import { setU32, withMacs } from "../wg/messages";
import * as dgram from "dgram";
import { CapturePoint } from "../../abi/capture";
import { CaptureFile } from "../../loader/capture/file";
import { once } from "events";

describe("a node with a WireGuard NIC and a peer that starts", () => {
  let w: WgLink;
  before(async () => { w = await WgLink.boot(); });
  after(() => w?.close());

  it("completes the peer's handshake, echoes its pings, and counts both ways exactly", async () => {
    const peer = w.peer();
    assert.equal(w.wgPeer().state, "IDLE");
    await w.handshake(peer);
    for (let seq = 1; seq <= 3; seq++) assert.ok(await w.ping(peer, seq), `echo reply ${seq}`);
    const s = w.wgPeer();
    assert.equal(s.state, "UP");
    assert.equal(s.handshakes, 1);
    assert.equal(s.endpoint, `[::1]:${w.port}`, "the endpoint is where the initiation came from");
    assert.equal(s.rxPackets, 3, "three sealed pings");
    assert.equal(s.txPackets, 3, "three sealed replies");
    const sealed = (plain: number) => L.WGT_DATA + Math.ceil(plain / 16) * 16 + L.WG_TAG;
    const ping = 40 + 8 + "wg ping 1".length;
    assert.equal(s.rxBytes, 3 * sealed(ping));
    assert.equal(s.txBytes, 3 * sealed(ping));
    assert.deepEqual(w.b.errors, []);
  });

  it("drops what is no WireGuard message, a wrong mac1, a stranger's key, a replay, each once and silently", async () => {
    const peer = w.peer();
    await w.b.tick(30);                       // past the 20 ms initiation flood limit
    await w.handshake(peer);
    await w.b.tick(30);
    const cases: [string, Uint8Array, string][] = [
      ["3 bytes", new Uint8Array([1, 0, 0]), "WG_MALFORMED"],
      ["type 5", Uint8Array.from([5, 0, 0, 0, ...new Array(60).fill(0)]), "WG_MALFORMED"],
      ["reserved byte set", (() => { const m = peer.initiation(); m[1] = 1; return m; })(), "WG_MALFORMED"],
      ["an initiation one byte short", peer.initiation().subarray(0, L.WGI_SIZE - 1), "WG_MALFORMED"],
      ["a cookie reply of 63 bytes", new Uint8Array(63).fill(3, 0, 1), "WG_MALFORMED"],
      ["a transport message of 31 bytes", Uint8Array.from([4, 0, 0, 0, ...new Array(27).fill(0)]), "WG_MALFORMED"],
      ["mac1 flipped", (() => { const m = peer.initiation(); m[L.WGI_MAC1] ^= 1; return m; })(), "WG_MAC"],
      ["a stranger's initiation", w.peer(STRANGER).initiation(), "WG_HANDSHAKE"],
      ["a response to no initiation", (() => { const m = new Uint8Array(L.WGR_SIZE); m[0] = 2; return withMacs(m, w.nodePub()); })(), "WG_HANDSHAKE"],
      ["a cookie reply for no handshake", (() => { const m = new Uint8Array(L.WGC_SIZE); m[0] = 3; return m; })(), "WG_HANDSHAKE"],
      ["transport to an unknown index", (() => { const m = peer.seal(new Uint8Array(0)); setU32(m, L.WGT_RECEIVER, 0x12345678); return m; })(), "WG_KEY"],
      ["a transport message with a flipped tag", (() => { const m = peer.keepalive(); m[m.length - 1] ^= 0x80; return m; })(), "WG_AUTH"],
    ];
    for (const [what, m, reason] of cases) {
      w.got.length = 0;
      const before = w.b.drops();
      await w.send(m);
      await w.b.dropped(before, { [reason]: 1 });
      assert.deepEqual(w.got, [], `${what}: nothing is answered`);
    }
    // A replayed initiation: its timestamp is not newer than the last one taken.
    const init = peer.initiation();
    await w.b.tick(30);
    await w.send(init);
    assert.ok(await w.next(L.WG_RESPONSE), `the first copy is answered: ${JSON.stringify(Object.entries(w.b.drops()).filter(([, v]) => v))} ${w.got.map((m) => m[0])}`);
    await w.b.tick(30);
    let before = w.b.drops();
    await w.send(init);
    await w.b.dropped(before, { WG_HANDSHAKE: 1 });
    // A replayed transport message.
    await w.b.tick(30);
    await w.handshake(peer);
    const k = peer.keepalive();
    before = w.b.drops();
    await w.send(k);
    await w.send(k);
    await w.b.dropped(before, { WG_REPLAY: 1 });
  });

  it("keeps the peer's endpoint when a stranger elsewhere sends a forged message with its index", async () => {
    const peer = w.peer();
    await w.b.tick(30);
    await w.handshake(peer);
    const endpoint = w.wgPeer().endpoint;
    const other = dgram.createSocket("udp6");
    other.bind(0, "::1");
    await once(other, "listening");
    try {
      const forged = peer.keepalive();
      forged[forged.length - 1] ^= 1;
      const before = w.b.drops();
      other.send(forged, w.nodePort, "::1");
      await w.b.tick(2);
      await w.b.dropped(before, { WG_AUTH: 1 });
      assert.equal(w.wgPeer().endpoint, endpoint, "the endpoint did not move");
      assert.ok(await w.ping(peer, 5), "replies still reach the peer");
    } finally { other.close(); }
  });

  it("drops a packet whose inner source is not the peer's (cryptokey routing), and IPv4 inside", async () => {
    const peer = w.peer();
    await w.b.tick(30);
    await w.handshake(peer);
    let before = w.b.drops();
    await w.send(peer.seal(P.echoRequest(parseAddr("fd00:c::99"), parseAddr(ECHO), 1, 1, new Uint8Array(8))));
    await w.b.dropped(before, { WG_SRC: 1 });
    before = w.b.drops();
    await w.send(peer.seal(Uint8Array.from([0x45, ...new Array(39).fill(0)])));
    await w.b.dropped(before, { ETHERTYPE_IPV4: 1 });
    assert.ok(await w.ping(peer, 9), "the tunnel still carries the peer's own packets");
  });

  it("captures a WireGuard NIC's packets as the IPv6 inside the tunnel, written as LINKTYPE_IPV6", async () => {
    const peer = w.peer();
    await w.b.tick(30);
    await w.handshake(peer);
    const seen: { point: number; bytes: Uint8Array }[] = [];
    const off = w.b.node.capture.subscribe({ nic: 0 }, (p) => seen.push({ point: p.point, bytes: Uint8Array.from(p.bytes) }));
    try {
      assert.ok(await w.ping(peer, 11));
    } finally { off(); }
    const rx = seen.find((r) => r.point === CapturePoint.RX)!;
    const tx = seen.find((r) => r.point === CapturePoint.TX)!;
    assert.ok(rx && tx, `an RX and a TX record: ${seen.map((r) => r.point)}`);
    assert.equal(rx.bytes[0] >> 4, 6, "RX: the decrypted IPv6 packet, no endpoint header");
    assert.deepEqual(rx.bytes.subarray(8, 24), parseAddr(TUNNEL_PEER));
    assert.equal(rx.bytes[40], 128, "an echo request");
    assert.equal(tx.bytes[0] >> 4, 6, "TX: the packet before it is sealed");
    assert.equal(tx.bytes[40], 129, "an echo reply");
    const out: Uint8Array[] = [];
    new CaptureFile((b) => out.push(b), { node: "wg.sabz.city", nics: [{ id: 0, name: "wg0", layer3: true }], services: [] },
      { maxBytes: 1 << 20 }, 0n);
    const idb = out.map((b) => new DataView(b.buffer, b.byteOffset, b.byteLength)).find((v) => v.getUint32(0, true) === 1)!;
    assert.equal(idb.getUint16(8, true), 229, "the interface's link type is LINKTYPE_IPV6");
  });

  it("takes a restarted peer's new handshake at once (a newer timestamp) and drops the old session's keys", async () => {
    const old = w.peer();
    await w.b.tick(30);
    await w.handshake(old);
    assert.ok(await w.ping(old, 1));
    const fresh = w.peer();                  // the same key, no memory: a restart
    await w.b.tick(30);
    const before = w.wgPeer().handshakes;
    await w.handshake(fresh);
    assert.ok(await w.ping(fresh, 2), "the new session carries pings");
    assert.equal(w.wgPeer().handshakes, before + 1);
  });
});

describe("a node that starts the handshake itself (persistent keepalive)", () => {
  let w: WgLink;
  before(async () => { w = await WgLink.boot({ peerExtra: (port) => `endpoint: "[::1]:${port}", keepalive: 25` }); });
  after(() => w?.close());

  it("sends an initiation at boot, confirms with a keepalive, and rekeys when it sends on a 120 s old session", async () => {
    const peer = w.peer();
    const init = await w.next(L.WG_INITIATION, 100);
    assert.ok(init, "an initiation at boot");
    const resp = peer.consumeInitiation(init!);
    assert.ok(resp, `the node's initiation verifies: ${peer.lastDrop?.why}`);
    await w.send(resp!);
    const ka = await w.next(L.WG_TRANSPORT);
    assert.ok(ka && peer.open(ka)?.length === 0, "the node confirms the session with a keepalive");
    assert.equal(w.wgPeer().state, "UP");
    assert.ok(await w.ping(peer, 1), "pings through the node's session");
    // The peer answers the reply with a keepalive, as wireguard-go's passive keepalive
    // would (else the node, having heard nothing for 15 s after sending, starts a handshake).
    await w.send(peer.keepalive());
    // Within 120 s: no new handshake. Past it, the node's next send starts one.
    await w.b.tick(100_000);
    assert.ok(await w.ping(peer, 2));
    await w.send(peer.keepalive());
    assert.equal(w.got.filter((m) => m[0] === L.WG_INITIATION).length, 0, "no initiation up to 100 s");
    await w.b.tick(21_000);
    assert.ok(await w.ping(peer, 3), "the old session still carries the reply");
    const again = await w.next(L.WG_INITIATION, 50);
    assert.ok(again, "a new initiation once the session is 120 s old");
    const r2 = peer.consumeInitiation(again!);
    assert.ok(r2);
    await w.send(r2!);
    assert.ok(await w.ping(peer, 4), "pings on the new session");
    assert.equal(w.wgPeer().handshakes, 2);
  });

});

describe("a peer with a preshared key", () => {
  const PSK = new Uint8Array(32).map((_, i) => 0xa0 + i);
  let w: WgLink;
  before(async () => { w = await WgLink.boot({ psk: PSK }); });
  after(() => w?.close());

  it("completes a handshake only with the same preshared key (IKpsk2), and carries pings", async () => {
    const wrong = w.peer();                     // no preshared key: all zero
    await w.send(wrong.initiation());
    const r = await w.next(L.WG_RESPONSE);
    assert.ok(r, "the node answers (the initiation does not involve the psk)");
    assert.equal(wrong.consumeResponse(r!), false, "but a peer without the key cannot open the response");
    await w.b.tick(30);
    const right = w.peer(PEER, PSK);
    await w.handshake(right);
    assert.ok(await w.ping(right, 1), "with the key: a session");
    assert.equal(w.wgPeer().state, "UP");
  });
});

describe("a router that forwards into a WireGuard NIC", () => {
  const LAN_PEER = { nic: "lan0", mac: "02:00:00:00:00:99", addr: "fd00:5ab2:1::100" };
  let w: WgLink;
  before(async () => {
    w = await WgLink.boot({
      peerExtra: (port) => `endpoint: "[::1]:${port}"`,
      moreNics: `  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", mtu: 1500, prefixes: ["fd00:5ab2:1::/64"] }`,
      benchPeers: [LAN_PEER],
    });
  });
  after(() => w?.close());

  /** A ping from the LAN peer to dst, which the node forwards towards wg0. */
  function forward(dst: string, seq: number): Promise<void> {
    const lan = w.b.peer("lan0");
    const ip = P.echoRequest(parseAddr(LAN_PEER.addr), parseAddr(dst), 0x42, seq, new Uint8Array(8));
    lan.send(P.ether(w.b.nodeMac("lan0"), Uint8Array.from([2, 0, 0, 0, 0, 0x99]), 0x86dd, ip));
    return w.b.tick(1);
  }

  it("drops a packet to an address no peer is allowed (WG_NO_PEER), without a handshake", async () => {
    const before = w.b.drops();
    await forward("fd00:c::77", 1);
    await w.b.dropped(before, { WG_NO_PEER: 1 });
    assert.deepEqual(w.got, [], "no datagram to anyone");
  });

  it("holds 8 packets while it starts a handshake, retries every 5 s, gives up after 20 initiations and drops what waited", async () => {
    let before = w.b.drops();
    for (let seq = 1; seq <= 9; seq++) await forward(TUNNEL_PEER, seq);
    await w.b.dropped(before, { WG_NO_SESSION: 1 });   // the ninth pushed out the oldest
    const first = await w.next(L.WG_INITIATION);
    assert.ok(first, "an initiation at once");
    assert.equal(w.wgPeer().state, "HANDSHAKE");
    before = w.b.drops();
    const inits: number[] = [];
    for (let t = 0; t < 110_000; t += 100) {
      await w.b.tick(100);
      while (await w.next(L.WG_INITIATION, 0)) inits.push(t);
    }
    assert.equal(inits.length, 19, `19 retries after the first, 20 initiations in all: ${inits}`);
    for (let i = 1; i < inits.length; i++) {
      const gap = inits[i] - inits[i - 1];
      assert.ok(gap >= 5000 && gap <= 5400, `retry ${i} came ${gap} ms after the one before (5 s + jitter up to 333 ms)`);
    }
    const grown = w.b.drops();
    assert.equal(grown.WG_NO_SESSION - before.WG_NO_SESSION, 8, "the 8 waiting packets dropped when it gave up");
    assert.equal(w.wgPeer().state, "IDLE");
  });
});

