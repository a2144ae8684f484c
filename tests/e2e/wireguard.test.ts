// The wireguard-go fixture (tests/e2e/wireguard.ts): `wg show dump` read from literal text
// (an interface with no peer handshake yet, and one with two peers), a malformed dump
// refused; then, with root and the tools, a real device: started, configured, its dump
// showing the configuration, and nothing of it left after stop (process, socket,
// namespace). Skips saying why when the tools are missing; fails under CI=true.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import { missing, skipOrFail, sh } from "./linux";
import { WG_TOOLS, parseDump, wgKeys, wgTag, netns, underlay, startWireguardGo } from "./wireguard";

const K1 = "kEyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
const K2 = "cHViAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
const K3 = "b3RoZXIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

test("wg show dump: the interface line, and each peer's handshake time, bytes, endpoint and allowed IPs", () => {
  const d = parseDump(
    `${K1}\t${K2}\t51820\toff\n` +
    `${K3}\t(none)\t[fd00:9a:1::1]:40000\tfd00:9b:1::1/128,fd00:c::/64\t1767225600\t1184\t2368\t25\n` +
    `${K1}\t${K2}\t(none)\t(none)\t0\t0\t0\toff\n`);
  assert.equal(d.publicKey, K2);
  assert.equal(d.listenPort, 51820);
  assert.deepEqual(d.peers[0], { publicKey: K3, psk: null, endpoint: "[fd00:9a:1::1]:40000",
    allowedIps: ["fd00:9b:1::1/128", "fd00:c::/64"], latestHandshake: 1767225600, rxBytes: 1184, txBytes: 2368, keepalive: 25 });
  assert.deepEqual(d.peers[1], { publicKey: K1, psk: K2, endpoint: null, allowedIps: [], latestHandshake: 0, rxBytes: 0, txBytes: 0, keepalive: null });
  assert.deepEqual(parseDump(`${K1}\t${K2}\t1\toff\n`).peers, []);
  assert.throws(() => parseDump(""), /no interface line/);
  assert.throws(() => parseDump(`${K1}\t${K2}\t1\toff\n${K3}\t(none)\n`), /a peer line of 2 fields/);
});

test("a wireguard-go device starts in its namespace, takes `wg set`, and leaves nothing behind", { skip: skipOrFail(missing(WG_TOOLS)), timeout: 30000 }, async () => {
  const tag = wgTag(3), hex = tag.toString(16);
  const ns = netns(`pwg${hex}`);
  const ul = underlay(tag, null, ns);
  const dev = `wgt${hex}`;
  try {
    const wg = await startWireguardGo(ns, dev, { listenPort: 51821 });
    const peer = wgKeys();
    wg.set([{ publicKey: peer.public, endpoint: `[${ul.addrA}]:40000`, allowedIps: ["fd00:9b:1::1/128"], keepalive: 25 }]);
    wg.up(["fd00:9b:1::2/64"]);
    const d = wg.dump();
    assert.equal(d.publicKey, wg.keys.publicB64);
    assert.equal(d.listenPort, 51821);
    assert.deepEqual(d.peers.map((p) => [p.publicKey, p.endpoint, p.allowedIps, p.keepalive, p.latestHandshake]),
      [[peer.publicB64, `[${ul.addrA}]:40000`, ["fd00:9b:1::1/128"], 25, 0]]);
    assert.match(sh(`ip netns exec ${ns} ip -6 addr show dev ${dev}`), /fd00:9b:1::2\/64/);
    await wg.stop();
    assert.notEqual(wg.proc.exitCode ?? wg.proc.signalCode, null, "wireguard-go has exited");
    assert.equal(fs.existsSync(`/var/run/wireguard/${dev}.sock`), false, "its control socket is gone");
    assert.equal(sh(`ip netns exec ${ns} ip link show ${dev}`, { allowFail: true }), "", "its device is gone");
  } finally {
    sh(`ip netns del ${ns}`, { allowFail: true });
    ul.close();
  }
  assert.doesNotMatch(sh("ip netns list"), new RegExp(`\\b${ns}\\b`));
});
