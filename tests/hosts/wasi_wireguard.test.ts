// A WIREGUARD NIC in the wasmtime image's shim (hosts/wasi/wireguard.ts), run on the fake
// WASI world of wasi_world.ts with a configuration from the real encoder
// (loader/image/config.ts): a received datagram reaches k_rx behind the endpoint header
// (its remote address, port big-endian, 0 0); one too long for Buf.RX is counted and never
// delivered; a nic_send frame goes out as its payload to the address and port of its
// header; a bad header is refused with -EINVAL and counted. The kernel is the fake's.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Errno } from "../../abi/errno";
import { IMG_HOST_PREFIX } from "../../abi/image";
import { NicKind } from "../../abi/kernel";
import { WG_EP_HDR } from "../../wire/layout/wireguard";
import { encodeConfig } from "../../loader/image/config";
import { K_RX_SIZE, World } from "./wasi_world";

// A boot manifest: "PRSA", version 1, 1 record: NODE (server, "n1"). The fake kernel does not read it.
const BOOT = Uint8Array.from([0x50, 0x52, 0x53, 0x41, 1, 0, 1, 0, 1, 0, 4, 0, 0, 2, 0x6e, 0x31]);
const PEER = [0xfd, 0x00, 0x00, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02];     // fd00:99::2
const PAYLOAD = [0x04, 0, 0, 0, 0xaa, 0xbb];

function world(o: Partial<ConstructorParameters<typeof World>[0]> = {}): World {
  const config = encodeConfig({ name: "n1.example", boot: BOOT, disks: [],
    nics: [{ id: 2, kind: NicKind.WIREGUARD, vni: 0, local: { address: "fd00:99::1", port: 51820 }, remote: { address: "::", port: 0 } }] });
  return new World({ config, ...o });
}
const from = (data: Uint8Array) => ({ data, address: "fd00:99::2", port: 51000 });
function hostCounters(w: World): Record<string, number> {
  const line = w.stdout.split("\n").find((l) => l.startsWith(IMG_HOST_PREFIX))!;
  const nic = JSON.parse(line.slice(IMG_HOST_PREFIX.length)).nics[0];
  assert.equal(nic.backend, "wasi-wireguard");
  return nic.counters;
}

test("a datagram reaches k_rx behind its endpoint header; one too long for Buf.RX is counted, not delivered", () => {
  const w = world({ args: ["--for", "100", "--status-every", "50"] });
  w.at(10, () => w.sockets[0].inbox.push(from(Uint8Array.from(PAYLOAD)), from(new Uint8Array(K_RX_SIZE - WG_EP_HDR + 1))));
  assert.equal(w.run(), 0);
  assert.deepEqual(w.sockets[0].local, { address: "fd00:99:0:0:0:0:0:1", port: 51820 });
  assert.deepEqual(w.rx.map((r) => [r.nic, [...r.frame]]), [[2, [...PEER, 51000 >> 8, 51000 & 0xff, 0, 0, ...PAYLOAD]]]);
  const c = hostCounters(w);
  assert.deepEqual([c.rx_datagrams, c.drop_too_long], [1, 1]);
  assert.match(w.stderr, /WireGuard NIC 2: received 1 datagrams, sent 0; dropped 1 too long, 0 with a bad endpoint header/);
});

test("nic_send sends the payload to its header's endpoint; a bad header is -EINVAL and counted", () => {
  const results: number[] = [];
  const w = world({
    args: ["--for", "0", "--status-every", "1"],
    onPoll: (now, w) => {
      if (results.length > 0) return;
      const put = (bytes: number[]) => { w.kmem.set(bytes, 0x30000); return w.exports.nic_send(2, 0x30000, bytes.length) as number; };
      results.push(put([...PEER, 0xca, 0x6c, 0, 0, ...PAYLOAD]));    // port 51820
      results.push(put(PEER));                                        // shorter than the header
      results.push(put([...PEER, 0, 0, 0, 0, ...PAYLOAD]));           // port 0
      results.push(put([...PEER, 0xca, 0x6c, 0, 1, ...PAYLOAD]));     // reserved bytes
    },
  });
  assert.equal(w.run(), 0);
  assert.deepEqual(results, [0, -Errno.EINVAL, -Errno.EINVAL, -Errno.EINVAL]);
  assert.deepEqual(w.sockets[0].sent.map((d) => [[...d.data], d.address, d.port]), [[PAYLOAD, "fd00:99:0:0:0:0:0:2", 51820]]);
  const c = hostCounters(w);
  assert.deepEqual([c.tx_datagrams, c.tx_bad_header], [1, 3]);
});
