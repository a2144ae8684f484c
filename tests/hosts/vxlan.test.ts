// VXLAN (RFC 7348) encapsulation from literal bytes, and a VxlanNic on real UDP sockets on
// the ::1 loopback: it sends a frame as one datagram with the header, delivers received
// frames whole, ignores reserved bits, drops and counts datagrams that are too short for
// a VXLAN and an Ethernet header, lack the I flag or carry another VNI, and explains a
// bind that cannot work. A node on a VXLAN NIC never gives its kernel a short datagram.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as dgram from "dgram";
import { once } from "events";
import { decapsulate, encapsulate, parseEndpoint, VxlanNic } from "../../hosts/node/nic/vxlan";
import { launch } from "../../hosts/node/launch";
import { ROOT } from "../../hosts/node/paths";
import { parseManifest } from "../../loader/manifest";
import { EMPTY_FRAME, EXPECTED, shortDatagrams, SHORT_LENGTHS } from "./short_datagrams";
import { waitFor } from "../wait";
import { freePorts } from "../ports";
import { sendFrame } from "../../hosts/node/nic/nic";

// An Ethernet header (dst 33:33:00:00:00:01, src 02:00:00:00:00:01, IPv6) and 2 bytes.
const FRAME = Uint8Array.from([
  0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x86, 0xdd, 0xab, 0xcd,
]);
// VNI 42 = 0x00002a: flags 0x08 (I), reserved, VNI, reserved; then the frame.
const DATAGRAM_42 = Uint8Array.from([0x08, 0, 0, 0, 0x00, 0x00, 0x2a, 0, ...FRAME]);

test("encapsulate writes the 8-byte header: I flag, zero reserved bytes, 24-bit VNI", () => {
  assert.deepEqual([...encapsulate(42, FRAME)], [...DATAGRAM_42]);
  assert.deepEqual([...encapsulate(0xabcdef, FRAME).subarray(0, 8)], [0x08, 0, 0, 0, 0xab, 0xcd, 0xef, 0]);
});

test("encapsulate and sendAt take the frame at an offset of a larger memory, as the node hands it over", async () => {
  const memory = new Uint8Array(FRAME.length + 37).fill(0xee);
  memory.set(FRAME, 21);
  assert.deepEqual([...encapsulate(42, memory, 21, FRAME.length)], [...DATAGRAM_42]);
  const { nic, peer } = await loopbackPair();
  try {
    const got = once(peer, "message");
    assert.equal(nic.sendAt(memory, 21, FRAME.length), 0);
    const [msg] = await got;
    assert.deepEqual([...msg], [...DATAGRAM_42], "the frame alone: not a byte of what lies around it");
  } finally {
    nic.close();
    peer.close();
  }
});

test("decapsulate returns the frame, ignoring reserved bits", () => {
  assert.deepEqual([...(decapsulate(DATAGRAM_42, 42) as Uint8Array)], [...FRAME]);
  const reserved = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x2a, 0xff, ...FRAME]);
  assert.deepEqual([...(decapsulate(reserved, 42) as Uint8Array)], [...FRAME]);
});

test("decapsulate refuses short datagrams, a missing I flag and another VNI", () => {
  assert.equal(decapsulate(DATAGRAM_42.subarray(0, 7), 42), "short");
  for (const d of shortDatagrams(42)) {
    const want = SHORT_LENGTHS.includes(d.length) ? "short" : [...EMPTY_FRAME];
    const got = decapsulate(d, 42);
    assert.deepEqual(typeof got === "string" ? got : [...got], want, `a ${d.length}-byte datagram`);
  }
  assert.equal(decapsulate(Uint8Array.from([0xf7, 0, 0, 0, 0, 0, 0x2a, 0, ...FRAME]), 42), "no_i_flag");
  assert.equal(decapsulate(DATAGRAM_42, 43), "other_vni");
});

test("parseEndpoint reads [address]:port and refuses IPv4", () => {
  assert.deepEqual(parseEndpoint("[fd00:99::1]:4790"), { address: "fd00:99::1", port: 4790 });
  assert.deepEqual(parseEndpoint("fd00:99::1"), { address: "fd00:99::1", port: 4789 });
  assert.throws(() => parseEndpoint("192.0.2.1:4789"), /not an IPv6 endpoint/);
});

async function loopbackPair(): Promise<{ nic: VxlanNic; peer: dgram.Socket }> {
  const peer = dgram.createSocket("udp6");
  peer.bind(0, "::1");
  await once(peer, "listening");
  const nic = await VxlanNic.open({
    id: 0, vni: 42, local: { address: "::1", port: 0 }, remote: { address: "::1", port: peer.address().port },
  });
  return { nic, peer };
}

test("a sent frame arrives as one VXLAN datagram", async () => {
  const { nic, peer } = await loopbackPair();
  try {
    const got = once(peer, "message");
    assert.equal(sendFrame(nic, FRAME), 0);
    const [msg] = await got;
    assert.deepEqual([...msg], [...DATAGRAM_42]);
  } finally {
    nic.close();
    peer.close();
  }
});

test("received datagrams are decapsulated or dropped and counted by reason", async () => {
  const { nic, peer } = await loopbackPair();
  try {
    const frames: number[][] = [];
    const last = new Promise<void>((resolve) => {
      nic.onFrame = (f) => { frames.push([...f]); if (f[15] === 0xee) resolve(); };
    });
    const to = (bytes: Uint8Array): void => peer.send(bytes, nic.local.port, "::1");
    to(DATAGRAM_42.subarray(0, 5));
    to(Uint8Array.from([0x00, 0, 0, 0, 0, 0, 0x2a, 0, ...FRAME]));
    to(encapsulate(7, FRAME));
    to(DATAGRAM_42);
    to(encapsulate(42, Uint8Array.from([...FRAME.subarray(0, 15), 0xee])));
    await last;
    assert.deepEqual(frames, [[...FRAME], [...FRAME.subarray(0, 15), 0xee]]);
    const c = nic.counters();
    assert.deepEqual([c.drop_short, c.drop_no_i_flag, c.drop_other_vni, c.rx_frames], [1, 1, 1, 2]);
  } finally {
    nic.close();
    peer.close();
  }
});

test("a node counts datagrams shorter than 8 + 14 bytes as drop_short and never gives them to the kernel", async () => {
  const [port] = await freePorts(1);
  const { node } = await launch(parseManifest(`
node: { name: vx.sabz.city, role: server }
nics:
  - { name: vx0, kind: vxlan, prefixes: ["fd00:5ab2:1::/64"], vxlan: { local: "[::1]:${port}", remote: "[::1]:9", vni: 42 } }
services: []
`, "vx.yaml", ROOT), { log: () => {} });
  const peer = dgram.createSocket("udp6");
  try {
    const before = node.status();
    for (const d of shortDatagrams(42)) peer.send(d, port, "::1");
    // The 22-byte datagram, the last one sent, is the only one the kernel gets: once it has
    // it, the socket has delivered every earlier one (in order, over loopback).
    const s = await waitFor(() => { const x = node.status(); return x.nics[0].rxFrames !== before.nics[0].rxFrames && x; },
      2000, "the kernel to receive the 22-byte datagram");
    const host = s.host!.nics[0].counters;
    const moved = (r: string) => (s.drops[r] ?? 0) - (before.drops[r] ?? 0);
    assert.deepEqual({ drop_short: host.drop_short, rx_frames: host.rx_frames }, EXPECTED.host);
    assert.deepEqual({ FRAME_SHORT: moved("FRAME_SHORT"), IP_SHORT: moved("IP_SHORT"), rxFrames: s.nics[0].rxFrames - before.nics[0].rxFrames },
      EXPECTED.kernel);
  } finally {
    peer.close();
    node.stop();
  }
});

test("binding an address this machine lacks says how to add it", async () => {
  await assert.rejects(VxlanNic.open({
    id: 3, vni: 42, local: { address: "fd00:99::1", port: 0 }, remote: { address: "::1", port: 4789 },
  }), /VXLAN NIC 3: cannot bind \[fd00:99::1\]:0 \(EADDRNOTAVAIL\).*ip -6 addr add fd00:99::1/);
});

test("a VNI wider than 24 bits and IPv4 endpoints are refused before binding", async () => {
  const ends = { local: { address: "::1", port: 0 }, remote: { address: "::1", port: 4789 } };
  await assert.rejects(VxlanNic.open({ id: 0, vni: 1 << 24, ...ends }), /not a 24-bit number/);
  await assert.rejects(VxlanNic.open({ id: 0, vni: 1, ...ends, remote: { address: "127.0.0.1", port: 1 } }), /not an IPv6 address/);
});

test("a closed NIC refuses to send", async () => {
  const { nic, peer } = await loopbackPair();
  nic.close();
  peer.close();
  assert.ok(sendFrame(nic, FRAME) < 0);
});
