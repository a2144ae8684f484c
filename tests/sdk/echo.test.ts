// echo.sabz.city (services/echo/main.ts) run against a fake kernel: ICMPv6 Echo and UDP
// port 7 answered byte for byte, and every packet it must ignore ignored. The packets are
// literal bytes whose checksums were computed outside this project.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Guest } from "./guest";
import { checksum, checksumOk } from "./packets";

const ECHO = "20010db8000000000000000000000007";   // 2001:db8::7, echo's address
const WASM = "build/wasm/services/echo.wasm";

// 2001:db8::1 → ::7, traffic class 0xa0, flow 0x12345, hop limit 63, id 0x1234 seq 1 "abcdefgh"
const PING =
  "6a01234500103a3f20010db800000000000000000000000120010db8000000000000000000000007" +
  "80008070123400016162636465666768";
const PONG =
  "6000000000103a4020010db800000000000000000000000720010db8000000000000000000000001" +
  "81007f70123400016162636465666768";
// 2001:db8::1 port 50000 → ::7 port 7, hop limit 63, "hello"
const UDP_REQ =
  "60000000000d113f20010db800000000000000000000000120010db8000000000000000000000007" +
  "c3500007000d9d3068656c6c6f";
const UDP_REP =
  "60000000000d114020010db800000000000000000000000720010db8000000000000000000000001" +
  "0007c350000d9d3068656c6c6f";

function echo(): Guest { return new Guest(WASM, { addrs: [ECHO] }); }

test("an Echo Request gets its Echo Reply: swapped addresses, hop limit 64, new checksum", () => {
  const g = echo();
  g.deliver(PING);
  assert.deepEqual(g.sent.map((p) => p.toString("hex")), [PONG]);
});

test("a UDP datagram to port 7 comes back with ports and addresses swapped", () => {
  const g = echo();
  g.deliver(UDP_REQ);
  assert.deepEqual(g.sent.map((p) => p.toString("hex")), [UDP_REP]);
});

test("every queued packet is answered in one event", () => {
  const g = echo();
  g.deliver(PING, UDP_REQ, PING);
  assert.deepEqual(g.sent.map((p) => p.toString("hex")), [PONG, UDP_REP, PONG]);
});

function flip(hex: string, byte: number): string {
  const b = Buffer.from(hex, "hex");
  b[byte] ^= 0x01;
  return b.toString("hex");
}

const IGNORED: [string, string][] = [
  ["a wrong ICMPv6 checksum", flip(PING, 42)],
  ["a wrong UDP checksum", flip(UDP_REQ, 46)],
  ["a changed payload under the old checksum", flip(PING, 55)],
  ["a UDP checksum of 0", UDP_REQ.slice(0, 92) + "0000" + UDP_REQ.slice(96)],
  ["a packet cut inside its payload", PING.slice(0, 100)],
  ["a packet shorter than the IPv6 header", PING.slice(0, 78)],
  ["IP version 4 in the version field", "4" + PING.slice(1)],
  ["a destination that is not its address (valid checksum)",
    "6000000000103a3f20010db800000000000000000000000120010db8000000000000000000000008" +
    "8000806f123400016162636465666768"],
  ["a UDP length that disagrees with the payload length", UDP_REQ.slice(0, 88) + "000c" + UDP_REQ.slice(92)],
  ["a UDP datagram to another port (valid checksum)",
    "60000000000d113f20010db800000000000000000000000120010db8000000000000000000000007" +
    "c3500009000d9d2e68656c6c6f"],
  ["an Echo Reply", PONG.slice(0, 16) + PING.slice(16, 48) + PONG.slice(16, 48) + PONG.slice(80)],
  ["a Next Header that is an extension header", PING.slice(0, 12) + "3c" + PING.slice(14)],
];

for (const [what, pkt] of IGNORED) {
  test(`ignored: ${what}`, () => {
    const g = echo();
    g.deliver(pkt);
    assert.equal(g.sent.length, 0);
    g.deliver(PING);   // and it still answers the next one
    assert.deepEqual(g.sent.map((p) => p.toString("hex")), [PONG]);
  });
}

test("the largest packet the kernel routes (9000 bytes) is answered whole", () => {
  const g = echo();
  const ping = Buffer.from(PING, "hex");
  const big = Buffer.concat([ping, Buffer.alloc(9000 - ping.length, 0x61)]);
  big.writeUInt16BE(9000 - 40, 4);
  big.writeUInt16BE(0, 42);
  big.writeUInt16BE(checksum(big.subarray(8, 24), big.subarray(24, 40), 58, big.subarray(40)), 42);
  g.deliver(big);
  assert.equal(g.sent.length, 1);
  assert.equal(g.sent[0].length, 9000);
  assert.ok(checksumOk(g.sent[0]));
  assert.ok(g.sent[0].subarray(48).equals(big.subarray(48)));
});
