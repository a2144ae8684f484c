// A router end to end through kernel/main.ts: forwarding (kernel/net/output.ts) between
// two NICs — NIC 0 (MAC 02:00:00:00:00:01, MTU 1500, fd00:1::/64) with neighbor A, and
// NIC 1 (MAC 02:00:00:00:00:02, MTU 1280, fd00:2::/64) with neighbor B. A forwarded
// packet leaves with its hop limit one lower and every other byte unchanged; hop limit 1
// and a packet over the outgoing MTU are answered with ICMPv6 to the sender (RFC 4443 §3.3,
// §3.2). Needs its own kernel: the role is fixed at boot, and a kernel boots once.
import { Drop } from "../../abi/drop";
import { k_poll } from "../../kernel/main";
import { ETH, IP6, put, rd32, firstDiff, upperSum, eth, ip6, sealIcmp6, nsFrame, naFrame, udpFrame } from "./frames";
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix } from "./manifest";
import { rx, bootFrom, sent, sentLen, sentNic, dropped } from "./drive";
import { frameCount, framesClear } from "./mock";

const MAC_0 = "02:00:00:00:00:01";
const MAC_1 = "02:00:00:00:00:02";
const MAC_A = "02:00:00:00:00:aa";
const MAC_B = "02:00:00:00:00:bb";
const R0 = "fd00:1::ff:fe00:1";        // the router on NIC 0
const R1 = "fd00:2::ff:fe00:2";        // the router on NIC 1
const A = "fd00:1::aa";
const B = "fd00:2::bb";
const ROUTER_FLAGS: u32 = 0xe0000000;  // R, S, O

const F: usize = memory.data(16384, 16);
const E: usize = memory.data(16384, 16);
const M: usize = memory.data(1024, 16);
const t: i64 = 5000;

/** A UDP datagram from A to B, n payload bytes, with this hop limit, received on NIC 0. */
function aToB(hops: u32, n: i32): i32 {
  let len = udpFrame(F, MAC_0, MAC_A, hops, A, B, n);
  rx(0, F, len);
  k_poll(t);
  return len;
}

/** The ICMPv6 error the router should send A about the packet in F (len bytes of frame):
 *  written at E; returns the frame length. quote is how much of the packet it carries. */
function errorToA(type: u32, code: u32, param: u32, quote: i32, from: string = R0, to: string = A): i32 {
  eth(E, MAC_A, MAC_0);
  ip6(E + ETH, 8 + quote, 58, 64, from, to);
  let m = E + ETH + IP6;
  store<u8>(m, <u8>type);
  store<u8>(m + 1, <u8>code);
  put(m + 2, "0000");
  store<u32>(m + 4, bswap<u32>(param));
  memory.copy(m + 8, F + ETH, <usize>quote);
  sealIcmp6(E + ETH);
  return ETH + IP6 + 8 + quote;
}

describe("a router", () => {
  beforeEach(() => { framesClear(); });

  it("boots with two NICs and learns a neighbor on each", () => {
    mfStart(M);
    mfNode(2, "r1.test");
    mfNic(0, 1500, MAC_0);
    mfPrefix(0, 64, "fd00:1::");
    mfNic(1, 1280, MAC_1);
    mfPrefix(1, 64, "fd00:2::");
    expect(bootFrom(M, mfEnd(), t)).toBe(0);
    k_poll(t);
    rx(0, F, nsFrame(F, "33:33:ff:00:00:01", MAC_A, 255, A, "ff02::1:ff00:1", R0, MAC_A));
    rx(1, F, nsFrame(F, "33:33:ff:00:00:02", MAC_B, 255, B, "ff02::1:ff00:2", R1, MAC_B));
    k_poll(t);
    expect(frameCount()).toBe(2);
    let len = naFrame(E, MAC_A, MAC_0, R0, A, ROUTER_FLAGS, R0, MAC_0);
    expect(sentNic(0)).toBe(0);
    expect(firstDiff(sent(0), E, len)).toBe(-1);
    len = naFrame(E, MAC_B, MAC_1, R1, B, ROUTER_FLAGS, R1, MAC_1);
    expect(sentNic(1)).toBe(1);
    expect(firstDiff(sent(1), E, len)).toBe(-1);
  });

  it("forwards A to B with the hop limit one lower and no other byte changed", () => {
    let len = aToB(64, 100);
    expect(frameCount()).toBe(1);
    expect(sentNic(0)).toBe(1);
    expect(sentLen(0)).toBe(len);
    let out = sent(0);
    eth(E, MAC_B, MAC_1);
    expect(firstDiff(out, E, ETH)).toBe(-1);
    expect(load<u8>(out + ETH + 7)).toBe(63);
    store<u8>(F + ETH + 7, 63);                     // the one byte the router changes
    expect(firstDiff(out + ETH, F + ETH, len - ETH)).toBe(-1);
  });

  it("forwards a packet with hop limit 2, leaving 1", () => {
    aToB(2, 10);
    expect(frameCount()).toBe(1);
    expect(load<u8>(sent(0) + ETH + 7)).toBe(1);
  });

  it("forwards a packet of exactly the outgoing MTU", () => {
    let len = aToB(64, 1280 - IP6 - 8);
    expect(frameCount()).toBe(1);
    expect(sentNic(0)).toBe(1);
    expect(sentLen(0)).toBe(len);
    expect(len).toBe(ETH + 1280);
  });

  it("answers hop limit 1 with time exceeded in transit and forwards nothing", () => {
    let before = dropped(Drop.HOP_LIMIT);
    let len = aToB(1, 20);
    expect(dropped(Drop.HOP_LIMIT)).toBe(before + 1);
    let want = errorToA(3, 0, 0, len - ETH);
    expect(frameCount()).toBe(1);
    expect(sentNic(0)).toBe(0);
    expect(sentLen(0)).toBe(want);
    let got = sent(0);
    expect(load<u8>(got + ETH + IP6)).toBe(3);
    expect(load<u8>(got + ETH + IP6 + 1)).toBe(0);
    expect(load<u8>(got + ETH + IP6 + 8 + 7)).toBe(1);   // the quote keeps hop limit 1
    expect(upperSum(got + ETH, IP6, want - ETH - IP6, 58)).toBe(0);
    expect(firstDiff(got, E, want)).toBe(-1);
  });

  it("answers a packet over the outgoing MTU with packet too big carrying that MTU", () => {
    let before = dropped(Drop.TOO_BIG);
    let len = aToB(64, 1300 - IP6 - 8);
    expect(len - ETH).toBe(1300);
    expect(dropped(Drop.TOO_BIG)).toBe(before + 1);
    // The error fills the minimum MTU: 40 + 8 + the first 1232 bytes of the packet.
    let want = errorToA(2, 0, 1280, 1232);
    expect(want).toBe(ETH + 1280);
    expect(frameCount()).toBe(1);
    expect(sentNic(0)).toBe(0);
    expect(sentLen(0)).toBe(want);
    let got = sent(0);
    expect(load<u8>(got + ETH + IP6)).toBe(2);
    expect(rd32(got + ETH + IP6 + 4)).toBe(1280);
    expect(firstDiff(got, E, want)).toBe(-1);
  });

  it("answers a packet from a link-local source with unreachable, beyond scope of source", () => {
    rx(0, F, nsFrame(F, "33:33:ff:00:00:01", MAC_A, 255, "fe80::aa", "ff02::1:ff00:1", "fe80::ff:fe00:1", MAC_A));
    k_poll(t);
    framesClear();
    let before = dropped(Drop.LINK_LOCAL_FWD);
    let len = udpFrame(F, MAC_0, MAC_A, 64, "fe80::aa", B, 10);
    rx(0, F, len);
    k_poll(t);
    expect(dropped(Drop.LINK_LOCAL_FWD)).toBe(before + 1);
    let want = errorToA(1, 2, 0, len - ETH, "fe80::ff:fe00:1", "fe80::aa");
    expect(frameCount()).toBe(1);
    expect(sentNic(0)).toBe(0);
    expect(sentLen(0)).toBe(want);
    expect(firstDiff(sent(0), E, want)).toBe(-1);
  });
});
