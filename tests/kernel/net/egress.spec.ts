// kernel/net/egress.ts, the egress scheduler, measured over one second of kernel time:
// a 10 Mbit/s NIC with two backlogged service classes, A (min 4, max 6 Mbit/s) and B
// (min 2 Mbit/s, no max). Each gets at least its min; the spare 4 Mbit/s is shared byte-
// fairly, so A is capped at its max (6) and B takes the rest (4). Each figure is checked to
// the spec's own bound (spec/kernel.md, "Egress scheduling"): at most the rate over the
// time plus the idle burst (the credit cap, 2 ms of rate plus one frame), and, for a class
// that stays backlogged, less than one of its frames below it. The kernel's own frames
// pass first. A host that polls late (every 20 ms instead of every millisecond) costs the
// waiting classes nothing: they catch up, still 6 and 4; after a stall of 1 s a class
// makes up exactly 100 ms. Also a NET record naming a missing NIC or service, or min over
// max, is refused. egress-bounds.spec.ts checks the bounds after every poll.
import { Errno } from "../../../abi/errno";
import { k_poll } from "../../../kernel/main";
import { pktAlloc, pktData, pktSetLen, pktSetClass } from "../../../kernel/pool";
import { txPush, classBytes, classDepth, CLASS_SERVICE, CLASS_KERNEL } from "../../../kernel/net/egress";
import { CLASS_MAX, ETH_HDR } from "../../../kernel/param";
import { mfStart, mfEnd, mfNode, mfNic, mfService, mfNet } from "../manifest";
import { bootFrom } from "../drive";
import { framesClear, frameCount, lastLog } from "../mock";

const M: usize = memory.data(1024, 16);
const PACKET: i32 = 986;                 // + 14 bytes of Ethernet: 1000-byte frames
const FRAME: i64 = PACKET + ETH_HDR;
const T0: i64 = 10000;
const SECOND_A: i64 = 6000000 / 8;       // bytes in one second at A's max
const SECOND_LINE: i64 = 10000000 / 8;

/** The idle burst for a rate in bit/s (spec/kernel.md): the credit cap, 2 ms of the rate
 *  plus one frame of the NIC's MTU (1500) with its Ethernet header. */
function burst(bits: i64): i64 { return bits / 8 * 2 / 1000 + 1500 + ETH_HDR; }

function manifest(bad: i32): i32 {
  mfStart(M);
  mfNode(0, "s1.test");
  mfNic(0, 1500, "02:00:00:00:00:01");
  mfService(0, "a.s1.test");
  mfService(1, "b.s1.test");
  mfNet(0, 0xfe, 0, 10000000);
  mfNet(0, 0, 4000000, bad == 1 ? 3000000 : 6000000);
  mfNet(bad == 2 ? 5 : 0, 1, 2000000, 0);
  if (bad == 3) mfNet(0, 9, 0, 0);
  return mfEnd();
}

/** Keep a class backlogged: queue frames until it holds `depth` (four unless told). */
function fill(cls: i32, depth: i32 = 4): void {
  while (classDepth(0, cls) < depth) {
    let p = pktAlloc();
    pktSetLen(p, PACKET);
    store<u8>(pktData(p), 0x60);
    pktSetClass(p, cls);
    txPush(0, p);
  }
}

/** Keep both service classes backlogged to `depth` and poll at t (frames sent are dropped). */
function pollFull(t: i64, depth: i32 = 4): void {
  fill(CLASS_SERVICE, depth);
  fill(CLASS_SERVICE + 1, depth);
  k_poll(t);
  framesClear();
}

describe("NET records", () => {
  it("refuses min over max, a missing NIC, a missing service", () => {
    expect(bootFrom(M, manifest(1), T0)).toBe(-Errno.EBADMSG);
    expect(lastLog().includes("min: more than max")).toBe(true);
    expect(bootFrom(M, manifest(2), T0)).toBe(-Errno.EBADMSG);
    expect(lastLog().includes("nic: no such NIC")).toBe(true);
    expect(bootFrom(M, manifest(3), T0)).toBe(-Errno.EBADMSG);
    expect(lastLog().includes("service: no such service")).toBe(true);
  });
});

describe("the egress scheduler over one second", () => {
  it("boots with a 10 Mbit/s line and two rated classes", () => {
    expect(bootFrom(M, manifest(0), T0)).toBe(0);
    k_poll(T0);
  });
  it("gives A its max (6 Mbit/s) and B the rest (4 Mbit/s), never more than the line", () => {
    let a = CLASS_SERVICE, b = CLASS_SERVICE + 1;
    let a0 = classBytes[a], b0 = classBytes[b];          // both queues empty until now
    for (let t: i64 = T0 + 1; t <= T0 + 1000; t++) pollFull(t);
    let sa = <i64>(classBytes[a] - a0), sb = <i64>(classBytes[b] - b0);
    expect(sa).toBeLessThanOrEqual(SECOND_A + burst(6000000));
    expect(sa).toBeGreaterThan(SECOND_A - FRAME);
    expect(sa + sb).toBeLessThanOrEqual(SECOND_LINE + burst(10000000));
    expect(sa + sb).toBeGreaterThan(SECOND_LINE - FRAME);  // B takes what A leaves
  });
  it("sends the kernel's own frames first, whatever the rates", () => {
    fill(CLASS_SERVICE);
    let p = pktAlloc();
    pktSetLen(p, 100);
    store<u8>(pktData(p), 0x60);
    pktSetClass(p, CLASS_KERNEL);
    txPush(0, p);
    framesClear();
    k_poll(T0 + 1001);
    expect(frameCount()).toBeGreaterThanOrEqual(1);
    expect(classDepth(0, CLASS_KERNEL)).toBe(0);
    expect(CLASS_MAX).toBeGreaterThan(CLASS_SERVICE + 1);
  });
});

describe("a host that polls late", () => {
  it("costs the waiting classes nothing: polled every 20 ms, A still gets 6 Mbit/s and B 4", () => {
    let a = CLASS_SERVICE, b = CLASS_SERVICE + 1;
    let t0 = T0 + 2000;
    pollFull(t0 - 20, 40);     // the first poll after a long gap empties the queues (catch-up)
    pollFull(t0, 40);          // from here on both classes are backlogged at every poll
    let a0 = classBytes[a], b0 = classBytes[b];
    for (let t: i64 = t0 + 20; t <= t0 + 1000; t += 20) pollFull(t, 40);
    let sa = <i64>(classBytes[a] - a0), sb = <i64>(classBytes[b] - b0);
    expect(sa).toBeLessThanOrEqual(SECOND_A + burst(6000000));
    expect(sa).toBeGreaterThan(SECOND_A - FRAME);
    expect(sa + sb).toBeLessThanOrEqual(SECOND_LINE + burst(10000000));
    expect(sa + sb).toBeGreaterThan(SECOND_LINE - FRAME);
  });
  it("a late poll is made up for at most 100 ms: after a stall of 1 s, A sends 100 ms of its max", () => {
    let a = CLASS_SERVICE;
    let t0 = T0 + 3000;
    pollFull(t0, 200);
    let a0 = classBytes[a];
    k_poll(t0 + 1000);
    framesClear();
    let sa = <i64>(classBytes[a] - a0);
    expect(sa).toBeLessThanOrEqual(SECOND_A / 10 + 1500 + ETH_HDR);   // the cap stretched to 100 ms
    expect(sa).toBeGreaterThan(SECOND_A / 10 - FRAME);
  });
});
