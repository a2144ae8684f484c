// WG_PEER status records (abi/status.ts, issue #13) from literal bytes: decoded into
// wgPeers (key in base64, endpoint text for IPv6 and IPv4 peers, "never" for a peer without
// a handshake), printed as the "WireGuard peers" table with the handshake's age from the
// NODE record's clock, and served as persia_wireguard_peer_* metrics; a short record is an
// error naming it.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { decodeStatus, formatStatus } from "../../loader/status/decode";
import { metricsText } from "../../loader/status/metrics";

const u16 = (n: number) => [n & 0xff, n >> 8];
const u64 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff, 0, 0, 0, 0];
const KEY = Array.from({ length: 32 }, (_, i) => i + 1);          // AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=
const KEY_B64 = Buffer.from(KEY).toString("base64");
const FD00_99_2 = [0xfd, 0x00, 0x00, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02];
const V4 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7];
const NEVER = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];   // i64 -1

/** WG_PEER: nic, peer, state, 0, port (u16 LE), keepalive, key, endpoint, handshake, 5 counters. */
const peer = (nic: number, n: number, state: number, port: number, keepalive: number, key: number[], ep: number[], hs: number[],
  counts: number[]) => [0x0d, 0x00, 104, 0x00, nic, n, state, 0, ...u16(port), ...u16(keepalive), ...key, ...ep, ...hs, ...counts.flatMap(u64)];

const SNAPSHOT = Uint8Array.from([
  0x50, 0x52, 0x53, 0x54, 0x09, 0x00, 0x03, 0x00,                 // "PRST", version 9, 3 records
  0x01, 0x00, 0x38, 0x00, ...u64(62_500), 0x02, 0, 1, 0, 0, 0, 0, 0, ...u64(0), ...u64(0), ...u64(0), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // NODE at 62.5 s, router (56 bytes)
  ...peer(0, 0, 2, 51820, 25, KEY, FD00_99_2, u64(50_000), [1000, 10, 2000, 20, 3]),   // UP, handshake at 50 s
  ...peer(0, 1, 0, 0, 0, new Array(32).fill(0xff), new Array(16).fill(0), NEVER, [0, 0, 0, 0, 0]), // IDLE, never
]);

test("WG_PEER records decode into wgPeers", () => {
  const s = decodeStatus(SNAPSHOT);
  assert.deepEqual(s.wgPeers, [
    { nic: 0, peer: 0, state: "UP", key: KEY_B64, endpoint: "[fd00:99::2]:51820", keepalive: 25, lastHandshakeMs: 50_000,
      rxBytes: 1000, rxPackets: 10, txBytes: 2000, txPackets: 20, handshakes: 3 },
    { nic: 0, peer: 1, state: "IDLE", key: Buffer.alloc(32, 0xff).toString("base64"), endpoint: null, keepalive: 0,
      lastHandshakeMs: null, rxBytes: 0, rxPackets: 0, txBytes: 0, txPackets: 0, handshakes: 0 },
  ]);
  const v4 = Uint8Array.from(SNAPSHOT);
  v4.set(V4, 8 + 60 + 4 + 40);                                     // the first peer's endpoint
  assert.equal(decodeStatus(v4).wgPeers[0].endpoint, "192.0.2.7:51820");
});

test("persia status prints a WireGuard peers table: key, endpoint, state, handshake age, bytes, packets", () => {
  const s = decodeStatus(SNAPSHOT);
  s.host = { name: "edge.sabz.city", nics: [{ id: 0, name: "wg0", backend: "wireguard", counters: {} }] };
  const text = formatStatus(s);
  const section = text.slice(text.indexOf("WireGuard peers\n"), text.indexOf("\n\n", text.indexOf("WireGuard peers\n")));
  assert.equal(section, [
    "WireGuard peers",
    `  NIC  PEER                                          ENDPOINT            STATE  LAST HANDSHAKE  RX BYTES  RX PACKETS  TX BYTES  TX PACKETS  HANDSHAKES`,
    `  wg0  ${KEY_B64}  [fd00:99::2]:51820  up     12 s ago            1000          10      2000          20           3`,
    `  wg0  ${Buffer.alloc(32, 0xff).toString("base64")}  -                   idle   never                  0           0         0           0           0`,
  ].join("\n"));
  assert.ok(!formatStatus(decodeStatus(SNAPSHOT.subarray(0, 68).map((b, i) => (i === 6 ? 1 : b)))).includes("WireGuard"),
    "no section on a node without peers");
});

test("metrics: per peer bytes, packets, handshakes, up and the age of the last handshake (absent: never)", async () => {
  const text = await metricsText(decodeStatus(SNAPSHOT));
  const lines = text.split("\n").filter((l) => l.startsWith("persia_wireguard_"));
  const p0 = `nic="0",peer="${KEY_B64}"`, p1 = `nic="0",peer="${Buffer.alloc(32, 0xff).toString("base64")}"`;
  assert.deepEqual(lines, [
    `persia_wireguard_peer_up{${p0}} 1`, `persia_wireguard_peer_up{${p1}} 0`,
    `persia_wireguard_peer_rx_bytes_total{${p0}} 1000`, `persia_wireguard_peer_rx_bytes_total{${p1}} 0`,
    `persia_wireguard_peer_rx_packets_total{${p0}} 10`, `persia_wireguard_peer_rx_packets_total{${p1}} 0`,
    `persia_wireguard_peer_tx_bytes_total{${p0}} 2000`, `persia_wireguard_peer_tx_bytes_total{${p1}} 0`,
    `persia_wireguard_peer_tx_packets_total{${p0}} 20`, `persia_wireguard_peer_tx_packets_total{${p1}} 0`,
    `persia_wireguard_peer_handshakes_total{${p0}} 3`, `persia_wireguard_peer_handshakes_total{${p1}} 0`,
    `persia_wireguard_peer_last_handshake_age_seconds{${p0}} 12.5`,
  ]);
});

test("a short WG_PEER record is an error naming it", () => {
  const short = Uint8Array.from([0x50, 0x52, 0x53, 0x54, 0x09, 0x00, 0x01, 0x00, 0x0d, 0x00, 0x04, 0x00, 0, 0, 0, 0]);
  assert.throws(() => decodeStatus(short), /WG_PEER record has 4 bytes, needs 104/);
});
