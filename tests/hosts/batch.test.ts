// Many frames or packets per crossing (issue #17), with the real kernel.wasm and echo
// service (skipped until `persia build` has made them): k_rx_batch forwards what k_rx
// forwards; a batch laid out wrong (a count past its records, a record running past the
// buffer, a frame over FRAME_MAX) is counted and dropped, never a trap or a read outside
// Buf.RX_BATCH; echo.sabz.city answers through recv_many/send_many; send_many refuses a
// record list that lies about its lengths before sending anything; and a million-odd
// packets leave the kernel's memory and heap high-water mark where they were (the hot
// path allocates nothing). With more than 4,096 routes, the routes a batch's frames take,
// looked up ahead together, are those a linear scan gives.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import { parseAddr, parseMac, linkLocalFromMac, parsePrefix, formatPrefix, maskPrefix, prefixContains, Prefix } from "../../loader/ip6";
import { parseManifest, compileManifest } from "../../loader/manifest";
import { ROOT } from "../../hosts/node/paths";
import { PersiaNode } from "../../hosts/node/node";
import { Buf, REC_HDR, recSize } from "../../abi/kernel";
import { Sys } from "../../abi/syscalls";
import { Errno } from "../../abi/errno";
import { FRAME_MAX } from "../../abi/limits";
import { bootNode, FRAMES, ECHO_WASM, KERNEL_WASM, A0, A1, NODE0, NODE1, PEER0, ECHO_ADDR } from "../bench/node_boot";
import { prefixes, rng } from "../bench/routes";
import * as P from "../../cli/peer/packets";

const skip = fs.existsSync(ECHO_WASM) && fs.existsSync(KERNEL_WASM) ? false : "build/wasm is not built (npm run build)";
const FWD = FRAMES.forward;
const PING = FRAMES.service;

/** The bench node (tests/bench/node_boot.ts), its clock moved by tick(). */
async function boot() {
  const { node, nics, now } = await bootNode();
  return { node, nics, tick: now };
}

const drops = (node: PersiaNode, reason: string): number => Number(node.status().drops[reason] ?? 0);

test("k_rx_batch forwards every frame of a batch, as k_rx does one by one", { skip }, async () => {
  const { node, nics, tick } = await boot();
  try {
    const before = nics[1].sent;
    for (let i = 0; i < 10; i++) node.kernel.rx(0, FWD, 0n);
    node.kernel.poll(tick());
    assert.equal(nics[1].sent - before, 10, "k_rx: ten frames out");
    for (let i = 0; i < 10; i++) assert.ok(node.kernel.rxQueue(0, FWD, 0n));
    assert.equal(node.kernel.rxFlush(0n), 10);
    node.kernel.poll(tick());
    assert.equal(nics[1].sent - before, 20, "k_rx_batch: ten more");
    assert.equal(nics[1].last![14 + 7], 63, "hop limit decremented once");
  } finally { node.stop(); }
});

test("a listener that calls into the node while a batch is handled does not hand the batch over twice, and a frame it queues waits for the next", { skip }, async () => {
  const { node, nics, tick } = await boot();
  try {
    const before = nics[1].sent;
    let calls = 0;
    const end = node.capture.subscribe({}, () => {
      if (calls++ === 0) { node.status(); node.kernel.rxQueue(0, FWD, 0n); }   // reenters: flushes first
    });
    for (let i = 0; i < 10; i++) assert.ok(node.kernel.rxQueue(0, FWD, 0n));
    node.kernel.flushQueued();
    end();
    node.kernel.poll(tick());   // hands over the frame the listener queued, first
    assert.equal(nics[1].sent - before, 11, "ten frames and the listener's one out: the batch was not handed over again");
  } finally { node.stop(); }
});

/** A TCP super-frame from PEER0 to A1 (forwarded to NIC 1, which is virtual: the kernel cuts
 *  it there), `data` bytes of payload, its checksum the pseudo-header's
 *  partial sum as Linux leaves it (spec/abi.md "Super-frames"). */
function tcpSuper(data: number): Uint8Array {
  const tcp = new Uint8Array(20 + data).fill(0x5a);
  tcp.set([0x9c, 0x40, 0x13, 0x89, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x10, 2, 0, 0, 0, 0, 0]);
  const partial = ~P.l4Checksum(A0, A1, 6, new Uint8Array(tcp.length)) & 0xffff;   // the pseudo-header's sum alone
  tcp[16] = partial >> 8; tcp[17] = partial & 0xff;
  return P.ether(NODE0, PEER0, P.ETH_IPV6, P.ipv6(A0, A1, 6, tcp));
}

test("a super-frame read straight into Buf.GSO (gsoTarget, then rxGsoInPlace) goes after the frames queued before it; a frame queued between the two is refused; none is offered during k_rx_batch", { skip }, async () => {
  const { node, nics, tick } = await boot();
  try {
    const k = node.kernel;
    const before = nics[1].sent;
    for (let i = 0; i < 3; i++) assert.ok(k.rxQueue(0, FWD, 0n));
    const t = k.gsoTarget();
    assert.ok(t !== null, "offered");
    assert.equal(t.at, k.buf(Buf.GSO), "where Buf.GSO is now");
    assert.equal(t.cap, k.bufSize(Buf.GSO));
    assert.equal(t.bytes.buffer, k.memory.buffer, "the kernel's own memory");
    const sf = tcpSuper(3 * 1000);
    t.bytes.set(sf, t.at);
    k.rxGsoInPlace(0, sf.length, 1000, 0n);
    k.poll(tick());
    assert.equal(nics[1].sent - before, 3 + 3, "the three queued frames, then the super-frame cut in three");
    assert.equal(nics[1].last![14 + 6], 6, "a TCP segment last: the queued frames went first");
    assert.equal(nics[1].last!.length, 14 + 40 + 20 + 1000);
    // Between gsoTarget and rxGsoInPlace nothing may reach the kernel: a frame queued there is a host bug.
    const t2 = k.gsoTarget()!;
    t2.bytes.set(sf, t2.at);
    assert.ok(k.rxQueue(0, FWD, 0n));
    assert.throws(() => k.rxGsoInPlace(0, sf.length, 1000, 0n), /queued after gsoTarget/);
    k.flushQueued();
    // While k_rx_batch runs (a listener calling back into the node), Buf.GSO is not offered.
    let during: unknown = "not called";
    const end2 = node.capture.subscribe({}, () => { if (during === "not called") during = k.gsoTarget(); });
    for (let i = 0; i < 2; i++) assert.ok(k.rxQueue(0, FWD, 0n));
    k.flushQueued();
    end2();
    assert.ok(during === null, "not offered during k_rx_batch");
    // A listener that queues a frame during the flush gsoTarget makes: that frame waits for the
    // next flush, as ever, and no Buf.GSO is offered (the read goes through a copy).
    k.poll(tick());
    const sent = nics[1].sent;
    let armed = false;                                   // only during gsoTarget's flush, once
    const end3 = node.capture.subscribe({}, () => { if (armed) { armed = false; k.rxQueue(0, FWD, 0n); } });
    assert.ok(k.rxQueue(0, FWD, 0n));                    // after subscribing, which flushes first
    armed = true;
    const t3 = k.gsoTarget();
    end3();
    assert.ok(!armed, "the listener ran during the flush");
    assert.ok(t3 === null, "a frame queued meanwhile: not offered");   // (not equal(): its message would print all of memory)
    k.poll(tick());
    assert.equal(nics[1].sent - sent, 2, "the queued frame, then the listener's at the next flush");
    assert.ok(k.gsoTarget() !== null, "and then it is offered again");
  } finally { node.stop(); }
});

test("a hostile batch is counted and dropped: a count past its records, a record past the buffer, an oversize frame", { skip }, async () => {
  const { node, nics, tick } = await boot();
  try {
    const k = node.kernel;
    const exp = { k_rx_batch: (c: number, t: bigint) => k.rxBatch(c, t) };
    const at = k.buf(Buf.RX_BATCH), size = k.bufSize(Buf.RX_BATCH);
    const b = k.bytes;
    // One good record, then a record whose length runs past the end of the buffer.
    b.fill(0, at, at + size);
    b[at] = 0; b[at + 2] = FWD.length & 0xff; b[at + 3] = FWD.length >> 8;
    b.set(FWD, at + REC_HDR);
    const second = at + recSize(FWD.length);
    b[second + 2] = 0xff; b[second + 3] = 0xff;
    const short0 = drops(node, "FRAME_SHORT");
    const sent0 = nics[1].sent;
    assert.equal(exp.k_rx_batch(1000, 0n), 1, "only the record inside the buffer is taken");
    k.poll(tick());
    assert.equal(nics[1].sent - sent0, 1);
    assert.equal(drops(node, "FRAME_SHORT") - short0, 1, "the overrun is counted once");
    // A count far past the records: the zeroed rest reads as empty frames, each counted,
    // and the walk stops at the end of the buffer.
    b.fill(0, at, at + size);
    const short1 = drops(node, "FRAME_SHORT");
    assert.equal(exp.k_rx_batch(0x7fffffff, 0n), size / REC_HDR);
    assert.equal(drops(node, "FRAME_SHORT") - short1, size / REC_HDR + 1);
    // A frame longer than FRAME_MAX (which k_rx refuses) is counted and skipped.
    const big = FRAME_MAX + 1;
    b[at + 2] = big & 0xff; b[at + 3] = big >> 8;
    const over0 = drops(node, "FRAME_OVERSIZE");
    assert.equal(exp.k_rx_batch(1, 0n), 1);
    assert.equal(drops(node, "FRAME_OVERSIZE") - over0, 1);
    assert.equal(exp.k_rx_batch(-5, 0n), 0, "a negative count takes nothing");
  } finally { node.stop(); }
});

test("echo.sabz.city answers a batch of pings through recv_many and send_many", { skip }, async () => {
  const { node, nics, tick } = await boot();
  try {
    const sent0 = nics[0].sent;
    for (let i = 0; i < 40; i++) node.kernel.rxQueue(0, PING, 0n);
    node.kernel.rxFlush(0n);
    node.kernel.poll(tick());
    node.kernel.poll(tick());
    assert.equal(nics[0].sent - sent0, 40, "forty replies");
    const reply = nics[0].last!;
    assert.equal(reply[14 + 40], 129, "an Echo Reply");
    const svc = node.status().services.find((s) => s.name === "echo.sabz.city")!;
    assert.equal(svc.id, 0);
  } finally { node.stop(); }
});

test("echo answers each good request of a mixed batch in place, byte for byte what a full checksum gives, and skips the rest", { skip }, async () => {
  const { node, nics, tick } = await boot();
  try {
    const out: Uint8Array[] = [];
    const send = nics[0].sendAt.bind(nics[0]);
    nics[0].sendAt = (b, off, len) => { out.push(b.slice(off, off + len)); return send(b, off, len); };
    const data = (n: number, k: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + k * 11) & 0xff);
    const good: Uint8Array[] = [];
    const frames: Uint8Array[] = [];
    for (let k = 0; k < 24; k++) {
      const req = P.echoRequest(A0, ECHO_ADDR, 7, k, data(k * 5 + (k & 1), k));   // odd and even lengths
      if (k % 3 === 1) {
        const bad = req.slice(); bad[40 + 8] ^= 0x40;                           // wrong checksum: ignored
        frames.push(bad);
      } else if (k % 3 === 2) {
        frames.push(P.udp(A0, ECHO_ADDR, 5000, 9, data(k, k)));                  // UDP, not port 7: ignored
        frames.push(req);
        good.push(req);
      } else {
        frames.push(req);
        good.push(req);
      }
    }
    for (const f of frames) node.kernel.rxQueue(0, P.ether(NODE0, PEER0, P.ETH_IPV6, f), 0n);
    node.kernel.rxFlush(0n);
    node.kernel.poll(tick());
    node.kernel.poll(tick());
    assert.equal(out.length, good.length, "one reply per good request, none for the others");
    good.forEach((req, i) => {
      const word = new DataView(req.buffer).getUint32(40 + 4);
      const want = P.icmp6(ECHO_ADDR, A0, 129, 0, word, req.subarray(40 + 8), 64);
      assert.deepEqual(out[i].subarray(14), want, `reply ${i} (${req.length - 48} bytes of data)`);
    });
  } finally { node.stop(); }
});

test("echo reads on while a batch was full: sixty 648-byte pings take three batches in one call, and all are answered in that poll", { skip }, async () => {
  const { node, tick } = await boot();
  try {
    const big = P.ether(NODE0, PEER0, P.ETH_IPV6, P.echoRequest(A0, ECHO_ADDR, 1, 1, new Uint8Array(600)));
    const tx0 = node.status().services[0].txPackets;
    for (let i = 0; i < 60; i++) node.kernel.rxQueue(0, big, 0n);
    node.kernel.rxFlush(0n);
    node.kernel.poll(tick());
    // batch.drained() must say "not drained" after a full batch (25 records of 652 bytes
    // leave less than a largest record's room), or the rest would wait for the next packet.
    assert.equal(node.status().services[0].txPackets - tx0, 60);
  } finally { node.stop(); }
});

test("send_many refuses records that lie about their lengths before sending any; recv_many says EAGAIN when idle", { skip }, async () => {
  const { node, nics, tick } = await boot();
  try {
    const mem = node.services.memoryOf(0)!;
    const ptr = 60000;
    const sys = (nr: number, a0: number, a1: number) => node.kernel.sys(0, nr, a0, a1, 0, 0, 0);
    // A good echo reply packet first, then a record claiming more bytes than the list holds.
    const pkt = P.echoRequest(ECHO_ADDR, A0, 1, 1, new Uint8Array(8));
    mem.fill(0, ptr, ptr + 512);
    mem[ptr + 2] = pkt.length & 0xff; mem[ptr + 3] = pkt.length >> 8;
    mem.set(pkt, ptr + REC_HDR);
    const second = ptr + recSize(pkt.length);
    mem[second + 2] = 200;
    const sent0 = nics[0].sent;
    assert.equal(sys(Sys.SEND_MANY, ptr, second + REC_HDR + 10 - ptr), -Errno.EINVAL);
    assert.equal(sys(Sys.SEND_MANY, ptr, 1 << 20), -Errno.EINVAL, "over SYS_BATCH_SIZE");
    assert.equal(sys(Sys.SEND_MANY, ptr, 0), -Errno.EINVAL);
    assert.equal(sys(Sys.SEND_MANY, mem.length - 8, 64), -Errno.EFAULT, "outside the service's memory");
    node.kernel.poll(tick());
    assert.equal(nics[0].sent, sent0, "nothing was sent");
    // The first record alone is sound: it is sent.
    assert.equal(sys(Sys.SEND_MANY, ptr, second - ptr), 1);
    node.kernel.poll(tick());
    assert.equal(nics[0].sent - sent0, 1);
    assert.equal(sys(Sys.RECV_MANY, ptr, 4096), -Errno.EAGAIN);
    assert.equal(sys(Sys.RECV_MANY, ptr, -1), -Errno.EINVAL);
    // A record's nic field is reserved: not 0 is refused whole.
    mem[ptr] = 1;
    assert.equal(sys(Sys.SEND_MANY, ptr, second - ptr), -Errno.EINVAL, "nic field not 0");
    mem[ptr] = 0;
    // A refused packet ends the call, so each refusal costs the service a crossing, as send's
    // do: ten records from an address echo does not own, and one call takes one.
    const foreign = P.echoRequest(parseAddr("fd00:9::1"), A0, 1, 1, new Uint8Array(8));
    const size = recSize(foreign.length);
    mem.fill(0, ptr, ptr + 10 * size);
    for (let i = 0; i < 10; i++) {
      mem[ptr + i * size + 2] = foreign.length & 0xff; mem[ptr + i * size + 3] = foreign.length >> 8;
      mem.set(foreign, ptr + i * size + REC_HDR);
    }
    const refused0 = Number(node.status().drops["SVC_SRC"] ?? 0);
    assert.equal(sys(Sys.SEND_MANY, ptr, 10 * size), 1, "the first refusal ends the call");
    assert.equal(Number(node.status().drops["SVC_SRC"] ?? 0) - refused0, 1, "and is counted");
  } finally { node.stop(); }
});

/** The kernel's memory size and the last byte that is not zero (past it, the stub
 *  allocator has handed out nothing). */
function heapMark(node: PersiaNode): [number, number] {
  const b = node.kernel.bytes;
  let top = b.length - 1;
  while (top >= 0 && b[top] === 0) top--;
  return [b.length, top + 1];
}

test("the hot path allocates nothing: forwarding and echo leave the kernel's heap where it was", { skip }, async () => {
  const { node, nics, tick } = await boot();
  try {
    const run = (frame: Uint8Array, n: number, batched: boolean) => {
      for (let i = 0; i < n; i++) {
        if (batched) node.kernel.rxQueue(0, frame, 0n); else node.kernel.rx(0, frame, 0n);
        if (i % 32 === 31) { node.kernel.rxFlush(0n); node.kernel.poll(tick()); }
      }
      node.kernel.rxFlush(0n);
      node.kernel.poll(tick());
    };
    run(FWD, 1000, true); run(PING, 1000, true);   // warm: every table touched once
    const before = heapMark(node);
    const out0 = nics[1].sent + nics[0].sent;
    run(FWD, 40_000, true); run(PING, 20_000, true); run(FWD, 10_000, false); run(PING, 5000, false);
    assert.equal(nics[1].sent + nics[0].sent - out0, 75_000, "every packet went out");
    assert.deepEqual(heapMark(node), before);
  } finally { node.stop(); }
});

/** A frame sent, copied (the kernel's view of it is valid only until its next send). */
class RecordingNic {
  readonly backend = "bench";
  onFrame: ((frame: Uint8Array) => void) | null = null;
  frames: Uint8Array[] = [];
  constructor(readonly id: number) {}
  sendAt(b: Uint8Array, off: number, len: number): number { this.frames.push(b.slice(off, off + len)); return 0; }
  counters() { return { sent: this.frames.length }; }
  close() {}
}

test("with more routes than LOOKAHEAD_ROUTES, k_rx_batch's lookups ahead send each frame where one lookup would: nested prefixes, IPv4 and unrouted frames between, batches past 64", { skip }, async () => {
  // 5,000 random prefixes (/24 to /64) and, under every tenth, one 8 bits longer through the
  // other gateway; the answer for each destination from a linear scan here.
  const base = prefixes(5000);
  const GW_TEXT = ["fd00:2::a", "fd00:2::b"];
  const GW = GW_TEXT.map(parseAddr);
  const GW_MAC = [parseMac("02:00:00:00:0a:0a"), parseMac("02:00:00:00:0b:0b")];
  const routes: { to: Prefix; gw: number }[] = [];
  const bitsOf = (t: string) => parsePrefix(t).len;
  base.forEach((p, i) => {
    const to = parsePrefix(p.text);
    routes.push({ to, gw: i & 1 });
    if (i % 10 === 0) routes.push({ to: { addr: maskPrefix(p.inside, to.len + 8), len: to.len + 8 }, gw: (i & 1) ^ 1 });
  });
  const want = (a: Uint8Array) => {
    let best = -1;
    routes.forEach((r, i) => { if ((best < 0 || r.to.len > routes[best].to.len) && prefixContains(r.to, a)) best = i; });
    return best < 0 ? -1 : routes[best].gw;
  };
  const yaml = [
    "node: { name: ahead.sabz.city, role: router }",
    "nics:",
    `  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:1::/64"], ra: false }`,
    `  - { name: lan1, kind: virtual, mac: "02:00:00:00:00:02", prefixes: ["fd00:2::/64"], ra: false }`,
    "routes:",
    ...routes.map((r) => `  - { to: "${formatPrefix(r.to)}", via: "${GW_TEXT[r.gw]}", nic: lan1 }`),
    "services: []",
  ].join("\n");
  const { boot: manifest } = compileManifest(parseManifest(yaml, "ahead.yaml", ROOT));
  const nics = [new RecordingNic(0), new RecordingNic(1)];
  const node = new PersiaNode({ kernelBytes: fs.readFileSync(KERNEL_WASM), boot: manifest, services: new Map(), nics, clock: () => 1n, autoPoll: false, log: () => {} });
  await node.start();
  try {
    node.poll();
    for (let g = 0; g < 2; g++) {
      node.kernel.rx(1, P.ether(NODE1, GW_MAC[g], P.ETH_IPV6, P.neighborSolicit(GW[g], linkLocalFromMac(NODE1), GW_MAC[g])), 1n);
    }
    node.kernel.poll(1n);
    nics[1].frames = [];
    // 300 frames: inside a nested prefix, inside its parent but not the nested one, anywhere
    // in a prefix, unrouted (3000::/4), to the destination before again, and IPv4 between.
    const r = rng(0xa11ead);
    const frames: Uint8Array[] = [];
    const expected: { dst: Uint8Array; gw: number }[] = [];
    let dst: Uint8Array = new Uint8Array(16);
    for (let i = 0; i < 300; i++) {
      const kind = r() % 6;
      if (kind === 4) { frames.push(P.ether(NODE0, PEER0, 0x0800, new Uint8Array(60).fill(0x45, 0, 1))); continue; }
      const p = base[(r() % 500) * 10];                // a prefix with a nested one under it
      if (kind !== 5 || i === 0) {                     // 5: a train, to the last destination again
        dst = kind === 3 ? parseAddr(`3000::${(r() & 0xffff).toString(16)}`) : p.inside.slice();
        if (kind < 3) for (let k = 12; k < 16; k++) dst[k] = r() & 0xff;
        if (kind === 1) { const b = bitsOf(p.text) + 7; dst[b >> 3] ^= 0x80 >> (b & 7); }   // just outside the nested one
      }
      frames.push(P.ether(NODE0, PEER0, P.ETH_IPV6, P.udp(A0, dst, 40000, 9, new Uint8Array(16))));
      const gw = want(dst);
      if (gw >= 0) expected.push({ dst, gw });
    }
    assert.ok(expected.filter((e) => e.gw === 0).length > 30 && expected.filter((e) => e.gw === 1).length > 30, "both gateways are asked for");
    for (const f of frames) assert.ok(node.kernel.rxQueue(0, f, 1n));
    assert.equal(node.kernel.rxFlush(1n), 300);
    node.kernel.poll(1n);
    const out = nics[1].frames;
    assert.equal(out.length, expected.length, "every routed frame, and only those, went out on lan1");
    let wrong = 0;
    out.forEach((f, i) => {
      const gw = GW_MAC.findIndex((m) => m.every((b, k) => b === f[k]));
      const dst = f.subarray(14 + 24, 14 + 40);
      if (gw !== expected[i].gw || !dst.every((b, k) => b === expected[i].dst[k])) wrong++;
    });
    assert.equal(wrong, 0, "frames sent through another gateway than a linear scan of the routes picks");
  } finally { node.stop(); }
});
