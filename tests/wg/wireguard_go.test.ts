// The tests' WireGuard peer (tests/wg/peer.ts) against the real thing: Linux's
// wireguard-go in a network namespace (tests/e2e/wireguard.ts), over real UDP on a veth
// underlay. As initiator, the peer's handshake gets wireguard-go's response and its
// sealed ICMPv6 echo requests come back as echo replies from Linux; as responder, it
// answers wireguard-go's initiation (Linux pings it) and its sealed reply reaches ping.
// `wg show dump` must agree (handshake time, bytes both ways, the endpoint). So a kernel
// tested byte for byte against this peer is tested against WireGuard. Needs root, ip,
// wireguard-go and wg (tests/setup.js installs them); skips saying why, fails under CI.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as dgram from "dgram";
import { once } from "events";
import { randomBytes } from "crypto";
import { missing, skipOrFail, shAsync, sh } from "../e2e/linux";
import { WG_TOOLS, wgKeys, wgTag, netns, underlay, startWireguardGo, tunnelAddr, WgDevice } from "../e2e/wireguard";
import { waitFor } from "../wait";
import { parseAddr } from "../../loader/ip6";
import * as P from "../../cli/peer/packets";
import { Peer } from "./peer";
import { messageType } from "./messages";
import * as L from "../../wire/layout/wireguard";

const skip = skipOrFail(missing([...WG_TOOLS, "ping"]));
const PORT = 51820;

interface Linux { ns: string; ul: ReturnType<typeof underlay>; wg: WgDevice; udp: Awaited<ReturnType<typeof socket>>;
  me: ReturnType<typeof wgKeys>; mine: string; theirs: string }

/** wireguard-go in a fresh namespace, configured with a new key of ours as its one peer
 *  (our socket on the underlay its endpoint, `mine` our tunnel address); body runs, then
 *  everything goes, whatever body did. */
async function withLinux(index: number, body: (l: Linux) => Promise<void>): Promise<void> {
  const tag = wgTag(index), hex = tag.toString(16);
  const ns = netns(`pwg${hex}`);
  const ul = underlay(tag, null, ns);
  let wg: WgDevice | null = null;
  const udp = await socket(ul.addrA);
  try {
    wg = await startWireguardGo(ns, `wgt${hex}`, { listenPort: PORT });
    const me = wgKeys();
    const mine = tunnelAddr(tag, 1), theirs = tunnelAddr(tag, 2);
    wg.set([{ publicKey: me.public, endpoint: `[${ul.addrA}]:${udp.port}`, allowedIps: [`${mine}/128`] }]);
    wg.up([`${theirs}/64`]);
    await body({ ns, ul, wg, udp, me, mine, theirs });
  } finally {
    udp.s.close();
    await wg?.stop();
    sh(`ip netns del ${ns}`, { allowFail: true });
    ul.close();
  }
}

/** A UDP socket on the underlay and the datagrams it has received, in order. */
async function socket(addr: string): Promise<{ s: dgram.Socket; port: number; got: Uint8Array[] }> {
  const s = dgram.createSocket("udp6");
  const got: Uint8Array[] = [];
  s.on("message", (m) => got.push(new Uint8Array(m)));
  s.bind(0, addr);
  await once(s, "listening");
  return { s, port: s.address().port, got };
}

/** The IPv6 packet's parsed ICMPv6 fields (P.parse reads an Ethernet frame: give it one). */
const parseIp = (ip: Uint8Array) => P.parse(P.ether(new Uint8Array(6), new Uint8Array(6), P.ETH_IPV6, ip));

const peerOf = (priv: Uint8Array, wg: WgDevice) =>
  new Peer({ private: priv, peerPublic: wg.keys.public, now: () => BigInt(Date.now()) * 1_000_000n, random: (n) => new Uint8Array(randomBytes(n)) });

test("the TS peer completes a handshake with wireguard-go, and its sealed pings come back as echo replies", { skip, timeout: 60000 }, async () => {
  await withLinux(0, async ({ ns, ul, wg, udp, me, mine, theirs }) => {
    assert.equal(wg.dump().publicKey, wg.keys.publicB64, "wg derives the public key tests/wg/noise.ts derived");
    const peer = peerOf(me.private, wg);
    const send = (m: Uint8Array) => new Promise<void>((r) => udp.s.send(m, PORT, ul.addrB, () => r()));
    // The handshake, resent every 500 ms (wireguard-go may drop the very first packets).
    let seen = 0;
    await waitFor(async () => {
      while (seen < udp.got.length) {
        const m = udp.got[seen++];
        if (messageType(m) === L.WG_RESPONSE && peer.consumeResponse(m)) return true;
      }
      await send(peer.initiation());
      await new Promise((r) => setTimeout(r, 500));
      return false;
    }, 15000, () => `a handshake response from wireguard-go:\n${wg!.log()}`, 0);
    const src = parseAddr(mine), dst = parseAddr(theirs);
    for (let seq = 1; seq <= 3; seq++) {
      const data = new Uint8Array(randomBytes(56 + seq));
      await send(peer.seal(P.echoRequest(src, dst, 0x5a, seq, data)));
      const reply = await waitFor(() => {
        while (seen < udp.got.length) {
          const m = udp.got[seen++];
          if (messageType(m) !== L.WG_TRANSPORT) continue;   // a response to a resent initiation
          const ip = peer.open(m);
          assert.ok(ip !== null, `a message from wireguard-go the peer refused: ${peer.lastDrop?.why}`);
          const p = parseIp(ip);
          if (p.icmpType === P.ICMP.ECHO_REP && p.icmpWord === ((0x5a << 16) | seq)) return p;
        }
        return null;
      }, 10000, () => `the echo reply ${seq}:\n${wg!.log()}`);
      assert.ok(P.equalBytes(reply.src, dst) && P.equalBytes(reply.dst, src), "from Linux's tunnel address to ours");
      assert.ok(reply.checksumOk, "its ICMPv6 checksum");
      assert.deepEqual(reply.data, data);
    }
    const d = wg.dump().peers[0];
    assert.equal(d.publicKey, me.publicB64);
    assert.equal(d.endpoint, `[${ul.addrA}]:${udp.port}`);
    assert.ok(Math.abs(d.latestHandshake - Date.now() / 1000) < 30, `latest handshake ${d.latestHandshake}`);
    assert.ok(d.rxBytes > 0 && d.txBytes > 0, `bytes in ${d.rxBytes}, out ${d.txBytes}`);
  });
});

test("the TS peer answers wireguard-go's initiation, and Linux's ping through it gets the peer's sealed reply", { skip, timeout: 60000 }, async () => {
  await withLinux(1, async ({ ns, ul, wg, udp, me, mine, theirs }) => {
    const peer = peerOf(me.private, wg);
    let answered = 0, seen = 0;
    const serve = setInterval(() => {
      while (seen < udp.got.length) {
        const m = udp.got[seen++];
        const out = messageType(m) === L.WG_INITIATION ? peer.consumeInitiation(m) : echo(peer, peer.open(m));
        if (out) { udp.s.send(out, PORT, ul.addrB); answered++; }
      }
    }, 5);
    try {
      const ping = await shAsync(`ip netns exec ${ns} ping -6 -c 3 -i 0.2 -W 5 ${mine}`);
      assert.match(ping.out, /3 packets transmitted, 3 received/, `${ping.out}\nwireguard-go:\n${wg.log()}`);
    } finally {
      clearInterval(serve);
    }
    assert.equal(peer.current?.initiator, false, "the peer's session is a responder's");
    assert.ok(answered >= 4, "a response and three echo replies");
  });
});

/** The sealed echo reply to an echo request, or null for anything else. */
function echo(peer: Peer, ip: Uint8Array | null): Uint8Array | null {
  if (ip === null || ip.length === 0) return null;
  const p = parseIp(ip);
  if (p.icmpType !== P.ICMP.ECHO_REQ || !p.checksumOk) return null;
  return peer.seal(P.icmp6(p.dst!, p.src!, P.ICMP.ECHO_REP, 0, p.icmpWord!, p.data!));
}
