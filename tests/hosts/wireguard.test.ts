// A WireguardNic (hosts/node/nic/wireguard.ts) on real UDP sockets on the loopback: a
// datagram in becomes the frame of wire/layout/wireguard.ts (source address, port
// big-endian, two zero bytes, payload), also from an IPv4 peer (as ::ffff:a.b.c.d); a
// frame out goes to the address and port in its header, IPv4-mapped ones over IPv4; a
// datagram too long for Buf.RX is counted and never handed on; a frame with a bad header
// is counted and refused, not thrown. The kernel's WireGuard is not involved.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as dgram from "dgram";
import { once } from "events";
import { Errno } from "../../abi/errno";
import { FRAME_MAX } from "../../abi/limits";
import { WG_EP_HDR } from "../../wire/layout/wireguard";
import { WireguardNic, addressBytes, addressText } from "../../hosts/node/nic/wireguard";
import { waitFor } from "../wait";
import { sendFrame } from "../../hosts/node/nic/nic";

const LOOP6 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const LOOP4 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1];
const PAYLOAD = [0x04, 0, 0, 0, 0xaa, 0xbb];

async function peer(type: "udp6" | "udp4", address: string): Promise<dgram.Socket> {
  const s = dgram.createSocket(type);
  s.bind(0, address);
  await once(s, "listening");
  return s;
}

async function nic(address = "::"): Promise<{ n: WireguardNic; frames: number[][] }> {
  const n = await WireguardNic.open({ id: 3, listen: { address, port: 0 } });
  const frames: number[][] = [];
  n.onFrame = (f) => frames.push([...f]);
  return { n, frames };
}

test("addresses: IPv6, IPv4-mapped and zoned text to bytes and back", () => {
  assert.deepEqual([...addressBytes("::ffff:127.0.0.1")!], LOOP4);
  assert.deepEqual([...addressBytes("127.0.0.1")!], LOOP4);
  assert.deepEqual([...addressBytes("fe80::1%lo")!], [0xfe, 0x80, ...new Array(13).fill(0), 1]);
  assert.equal(addressBytes("nonsense"), null);
  assert.equal(addressText(Uint8Array.from(LOOP4)), "::ffff:127.0.0.1");
  assert.equal(addressText(Uint8Array.from(LOOP6)), "::1");
});

test("a datagram in becomes one frame: source address, port big-endian, 0 0, payload", async () => {
  const { n, frames } = await nic();
  const p6 = await peer("udp6", "::1"), p4 = await peer("udp4", "127.0.0.1");
  try {
    p6.send(Uint8Array.from(PAYLOAD), n.local.port, "::1");
    await waitFor(() => frames.length === 1, 2000, "one frame");
    const port6 = p6.address().port;
    assert.deepEqual(frames[0], [...LOOP6, port6 >> 8, port6 & 0xff, 0, 0, ...PAYLOAD]);
    p4.send(Uint8Array.from(PAYLOAD), n.local.port, "127.0.0.1");
    await waitFor(() => frames.length === 2, 2000, "the IPv4 frame");
    const port4 = p4.address().port;
    assert.deepEqual(frames[1], [...LOOP4, port4 >> 8, port4 & 0xff, 0, 0, ...PAYLOAD]);
    assert.deepEqual([n.counters().rx_datagrams, n.counters().drop_too_long], [2, 0]);
  } finally {
    n.close(); p6.close(); p4.close();
  }
});

test("a frame out goes to the address and port of its header, over IPv6 or IPv4", async () => {
  const { n } = await nic();
  const p6 = await peer("udp6", "::1"), p4 = await peer("udp4", "127.0.0.1");
  try {
    for (const [p, addr, from] of [[p6, LOOP6, "::1"], [p4, LOOP4, "127.0.0.1"]] as const) {
      const port = p.address().port;
      const got = once(p, "message");
      assert.equal(sendFrame(n, Uint8Array.from([...addr, port >> 8, port & 0xff, 0, 0, ...PAYLOAD])), 0);
      const [msg, rinfo] = await got as [Buffer, dgram.RemoteInfo];
      assert.deepEqual([...msg], PAYLOAD);
      assert.deepEqual([rinfo.address.replace("::ffff:", ""), rinfo.port], [from, n.local.port]);
    }
    assert.equal(n.counters().tx_datagrams, 2);
    // As the node hands it over: the frame at an offset of a larger memory.
    const port = p6.address().port;
    const frame = [...LOOP6, port >> 8, port & 0xff, 0, 0, ...PAYLOAD];
    const memory = new Uint8Array(frame.length + 40).fill(0xee);
    memory.set(frame, 13);
    const got = once(p6, "message");
    assert.equal(n.sendAt(memory, 13, frame.length), 0);
    const [msg] = await got as [Buffer, dgram.RemoteInfo];
    assert.deepEqual([...msg], PAYLOAD, "the payload alone: not a byte of what lies around the frame");
  } finally {
    n.close(); p6.close(); p4.close();
  }
});

test("a datagram longer than Buf.RX holds is counted and never handed on", async () => {
  const { n, frames } = await nic("::1");
  const p = await peer("udp6", "::1");
  try {
    p.send(new Uint8Array(FRAME_MAX - WG_EP_HDR + 1), n.local.port, "::1");
    p.send(new Uint8Array(FRAME_MAX - WG_EP_HDR), n.local.port, "::1");
    await waitFor(() => frames.length === 1, 2000, "one frame");
    assert.equal(frames[0].length, FRAME_MAX);
    assert.deepEqual([n.counters().drop_too_long, n.counters().rx_datagrams], [1, 1]);
  } finally {
    n.close(); p.close();
  }
});

test("a frame with a bad header is counted and refused with -EINVAL, never thrown", async () => {
  const { n } = await nic("::1");
  try {
    assert.equal(sendFrame(n, Uint8Array.from(LOOP6)), -Errno.EINVAL, "shorter than the header");
    assert.equal(sendFrame(n, Uint8Array.from([...LOOP6, 0, 0, 0, 0, ...PAYLOAD])), -Errno.EINVAL, "port 0");
    assert.equal(sendFrame(n, Uint8Array.from([...LOOP6, 0xca, 0x6c, 0, 1, ...PAYLOAD])), -Errno.EINVAL, "reserved bytes");
    assert.deepEqual([n.counters().tx_bad_header, n.counters().tx_datagrams], [3, 0]);
  } finally {
    n.close();
  }
  assert.equal(sendFrame(n, Uint8Array.from([...LOOP6, 0xca, 0x6c, 0, 0])), -Errno.EIO, "closed");
});

test("a listen address this machine does not have is refused with what to do", async () => {
  await assert.rejects(WireguardNic.open({ id: 1, listen: { address: "fd00:dead::1", port: 0 } }),
    /WireGuard NIC 1: cannot bind \[fd00:dead::1\]:0 \(EADDRNOTAVAIL\): no interface of this machine has the address/);
});
