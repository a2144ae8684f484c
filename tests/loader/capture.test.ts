// The capture file writer (loader/capture/): pcapng blocks byte for byte against a small
// file computed by hand from draft-ietf-opsawg-pcapng, which tshark then reads without a
// word on stderr; a capture of a ping, a delivery and two drops, read back by tshark with
// each drop's comment, each packet's interface and direction; the limits (count, size) and
// the lost-records note; the stream records and the image's capture lines, parsed back.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CapturePoint, CAPTURE_NONE } from "../../abi/capture";
import { Drop } from "../../abi/drop";
import { parseAddr, parseMac } from "../../loader/ip6";
import * as P from "../../cli/peer/packets";
import { Direction, LINKTYPE_IPV6, enhancedPacket, interfaceDescription, interfaceStatistics, sectionHeader } from "../../loader/capture/pcapng";
import { CaptureFile } from "../../loader/capture/file";
import { Packet, RecordReader, encodeLost, encodePacket, parseImageLine } from "../../loader/capture/record";
import { missing, tshark } from "../e2e/linux";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const noTshark = missing(["tshark"]);

function tmp(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "persia-capture-")), name);
}

// fd00::1 → fd00::2, no next header (59), hop limit 64: the smallest IPv6 packet.
const IP6 = "60000000 0000 3b 40 fd000000000000000000000000000001 fd000000000000000000000000000002";
const US = (1n << 32n) | 2n;    // 4294967298 µs: high word 1, low word 2

// Each block as §4 lays it out: type, total length, body, options (code, length, value
// padded to 32 bits, then opt_endofopt), total length again. Little-endian.
const HAND = [
  // Section Header Block: 40 bytes. Magic, version 1.0, section length -1; shb_userappl "ab".
  "0a0d0d0a 28000000 4d3c2b1a 0100 0000 ffffffffffffffff  0400 0200 61620000  00000000  28000000",
  // Interface Description Block: 40 bytes. LINKTYPE_IPV6 (229 = 0xe5), reserved, snaplen 0;
  // if_name "s", if_tsresol 6 (µs).
  "01000000 28000000 e500 0000 00000000  0200 0100 73000000  0900 0100 06000000  00000000  28000000",
  // Enhanced Packet Block: 92 bytes. Interface 0, timestamp high 1 low 2, captured and
  // original length 40, the packet; opt_comment "x", epb_flags 2 (outbound).
  `06000000 5c000000 00000000 01000000 02000000 28000000 28000000 ${IP6}  0100 0100 78000000  0200 0400 02000000  00000000  5c000000`,
  // Interface Statistics Block: 64 bytes. Interface 0 at the end time (high 1, low 3);
  // isb_starttime, isb_endtime, isb_ifdrop 3.
  "05000000 40000000 00000000 01000000 03000000  0200 0800 01000000 02000000  0300 0800 01000000 03000000  0500 0800 0300000000000000  00000000  40000000",
];

test("the blocks are byte for byte what the pcapng draft lays out, computed by hand", () => {
  assert.deepEqual(sectionHeader("ab"), hex(HAND[0]));
  assert.deepEqual(interfaceDescription(LINKTYPE_IPV6, "s"), hex(HAND[1]));
  assert.deepEqual(enhancedPacket(0, US, hex(IP6), Direction.OUTBOUND, ["x"]), hex(HAND[2]));
  assert.deepEqual(interfaceStatistics(0, { start: US, end: US + 1n, dropped: 3n }), hex(HAND[3]));
});

test("tshark reads the hand-computed file without a word on stderr", { skip: noTshark ?? false }, () => {
  const file = tmp("hand.pcapng");
  fs.writeFileSync(file, hex(HAND.join("")));
  const r = tshark(["-r", file, "-T", "fields", "-E", "separator=|", "-e", "frame.interface_name", "-e", "ipv6.src", "-e", "ipv6.dst",
    "-e", "frame.comment", "-e", "frame.packet_flags_direction", "-e", "frame.time_epoch"]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, "");
  assert.equal(r.out, "s|fd00::1|fd00::2|x|0x00000002|4294.967298000\n");
});

const NODE_MAC = parseMac("02:00:00:00:00:01");
const PEER_MAC = parseMac("02:00:00:00:00:99");
const PEER = parseAddr("fd00:1::100");
const ECHO = parseAddr("fd00:1::7");
const T0 = 1_733_356_800_000_000n;   // 2024-12-05 00:00:00 UTC in µs
const header = { node: "cap.sabz.city", nics: [{ id: 0, name: "lan0" }], services: [{ id: 0, name: "echo.sabz.city" }] };

function packet(point: CapturePoint, nic: number, svc: number, reason: number, at: number, bytes: Uint8Array): Packet {
  return { kind: "packet", point, nic, svc, reason, us: T0 + BigInt(at), bytes };
}

/** A ping to echo as the kernel sees it: received, delivered, answered and sent; then a
 *  packet to nowhere dropped inside the node, and a truncated frame. */
function pingRecords(): Packet[] {
  const req = P.echoRequest(PEER, ECHO, 0x77, 1, Buffer.from("capture"));
  const rep = P.icmp6(ECHO, PEER, P.ICMP.ECHO_REP, 0, (0x77 << 16) | 1, Buffer.from("capture"));
  const short = P.ether(NODE_MAC, PEER_MAC, P.ETH_IPV6, req).subarray(0, 30);
  return [
    packet(CapturePoint.RX, 0, CAPTURE_NONE, CAPTURE_NONE, 1, P.ether(NODE_MAC, PEER_MAC, P.ETH_IPV6, req)),
    packet(CapturePoint.DELIVER, 0, 0, CAPTURE_NONE, 2, req),
    packet(CapturePoint.SEND, CAPTURE_NONE, 0, CAPTURE_NONE, 3, rep),
    packet(CapturePoint.TX, 0, 0, CAPTURE_NONE, 4, P.ether(PEER_MAC, NODE_MAC, P.ETH_IPV6, rep)),
    packet(CapturePoint.DROP_PACKET, 0, CAPTURE_NONE, Drop.NO_ROUTE, 5, P.echoRequest(PEER, parseAddr("fd00:9::1"), 1, 1, new Uint8Array(0))),
    packet(CapturePoint.DROP_FRAME, 0, CAPTURE_NONE, Drop.IP_SHORT, 6, short),
  ];
}

function write(records: (Packet | ReturnType<typeof lost>)[], limits: { count?: number; maxBytes: number }): { file: string; cap: CaptureFile } {
  const parts: Uint8Array[] = [];
  const cap = new CaptureFile((b) => parts.push(b), header, limits, T0);
  for (const r of records) cap.add(r);
  cap.close(T0 + 10n);
  const file = tmp("ping.pcapng");
  fs.writeFileSync(file, Buffer.concat(parts));
  assert.equal(fs.statSync(file).size, cap.bytes);
  return { file, cap };
}

function lost(count: number) {
  return { kind: "lost" as const, point: CapturePoint.RX, nic: 0, svc: CAPTURE_NONE, count, us: T0 };
}

test("a capture file: each record on its interface, with its direction; drops with their reason", { skip: noTshark ?? false }, () => {
  const { file, cap } = write(pingRecords(), { maxBytes: 1 << 20 });
  assert.equal(cap.written, 6);
  const r = tshark(["-r", file, "-T", "fields", "-E", "separator=|", "-e", "frame.interface_name", "-e", "frame.packet_flags_direction",
    "-e", "icmpv6.type", "-e", "frame.comment"]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, "");
  assert.deepEqual(r.out.trim().split("\n"), [
    "lan0|0x00000001|128|",
    "echo.sabz.city|0x00000002|128|",
    "echo.sabz.city|0x00000001|129|",
    "lan0|0x00000002|129|",
    "kernel||128|dropped: NO_ROUTE (no route to destination)",
    "lan0|||dropped: IP_SHORT (shorter than an IPv6 header)",
  ]);
  // Only the truncated frame, which is malformed on purpose, is reported by the expert.
  const bad = tshark(["-r", file, "-Y", "_ws.malformed || _ws.expert.severity >= warning", "-T", "fields", "-e", "frame.number"]);
  assert.equal(bad.out.trim(), "6");
});

test("a capture stops at its count, or before the file would pass its size", () => {
  const counted = write(pingRecords(), { count: 2, maxBytes: 1 << 20 }).cap;
  assert.equal(counted.written, 2);
  assert.equal(counted.stopped, "count");
  const sized = write(pingRecords(), { maxBytes: 1400 });
  assert.ok(sized.cap.written >= 1 && sized.cap.written < 6, `${sized.cap.written} written`);
  assert.equal(sized.cap.stopped, "max-size");
  assert.ok(sized.cap.bytes <= 1400, `${sized.cap.bytes} bytes`);
});

test("records the host lost are said on the next packet and in the interface's statistics", { skip: noTshark ?? false }, () => {
  const [a, b] = pingRecords();
  const { file, cap } = write([a, lost(5), b, lost(2)], { maxBytes: 1 << 20 });
  assert.equal(cap.lost, 7);
  const r = tshark(["-r", file, "-T", "fields", "-e", "frame.comment"]);
  assert.equal(r.err, "");
  assert.deepEqual(r.out.split("\n").slice(0, 2),
    ["", "5 capture record(s) lost before this packet: the capture client read too slowly (the node never waits for it)"]);
  const ifdrop = fs.readFileSync(file).indexOf(Buffer.from("0500080007000000", "hex"));
  assert.ok(ifdrop > 0, "lan0's statistics block says isb_ifdrop 7");
});

test("stream records split anywhere read back whole; image lines parse to the same packets", () => {
  const records = pingRecords();
  const stream = Buffer.concat([...records.map((p) => encodePacket(p.point, p.nic, p.svc, p.reason, p.us, p.bytes)),
    encodeLost({ point: CapturePoint.TX, nic: 0, svc: 0, count: 9, us: T0 })]);
  const reader = new RecordReader();
  const back = [];
  for (let at = 0; at < stream.length; at += 7) back.push(...reader.push(stream.subarray(at, at + 7)));
  assert.equal(reader.partial, 0);
  assert.deepEqual(back, [...records.map((p) => ({ ...p, bytes: new Uint8Array(p.bytes) })),
    { kind: "lost", point: CapturePoint.TX, nic: 0, svc: 0, count: 9, us: T0 }]);
  for (const p of records) {
    const line = `capture ${p.us} ${p.point} ${p.nic} ${p.svc} ${p.reason} ${Buffer.from(p.bytes).toString("base64")}`;
    assert.deepEqual(parseImageLine(line), { ...p, bytes: new Uint8Array(p.bytes) });
  }
  assert.equal(parseImageLine("status AAAA"), null);
  assert.throws(() => parseImageLine("capture 1 9 0 -1 -1 AAAA"), /unknown point 9/);
  assert.throws(() => parseImageLine("capture 1 0 0"), /not a capture line/);
});
