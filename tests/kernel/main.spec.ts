// The kernel end to end through its exports (kernel/main.ts), as a host drives it: a host
// node (role server) with one NIC, MAC 02:00:00:00:00:01, prefix fd00:1::/64 and one
// service at fd00:1::7. Literal frames go in with k_rx; what comes out is what the mock
// host recorded from nic_send after k_poll, compared byte for byte with frames built in
// tests/kernel/frames.ts. Drops are read from kernel/stats.ts and, once, from k_status.
// A server has nothing to say when it stops: k_stop is done at once.
// Neighbor A (02:00:00:00:00:aa, fd00:1::aa and fe80::aa) is on the link.
import { Drop } from "../../abi/drop";
import { Buf } from "../../abi/kernel";
import * as S from "../../abi/status";
import { ICMP_ERR_BURST, ICMP_ERR_PER_S } from "../../kernel/param";
import { k_poll, k_status, k_buf, k_stop } from "../../kernel/main";
import { queueDepth } from "../../kernel/svc/queue";
import { svcRx } from "../../kernel/svc/registry";
import { ETH, IP6, put, be16, rd32, firstDiff, upperSum, eth, ip6, sealIcmp6, nsFrame, naFrame, echoFrame,
  udpFrame } from "./frames";
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix, mfService, mfSvcAddr } from "./manifest";
import { rx, bootFrom, sent, sentLen, sentNic, sentIcmp, dropped } from "./drive";
import { frameCount, framesClear } from "./mock";

const MAC_N = "02:00:00:00:00:01";     // the node's NIC 0
const MAC_A = "02:00:00:00:00:aa";     // neighbor A
const NODE_LL = "fe80::ff:fe00:1";     // fe80::/64 + modified EUI-64 of MAC_N
const NODE_GL = "fd00:1::ff:fe00:1";   // fd00:1::/64 + the same interface identifier
const SVC = "fd00:1::7";
const A_GL = "fd00:1::aa";
const A_LL = "fe80::aa";

const F: usize = memory.data(16384, 16);   // the frame going in
const E: usize = memory.data(16384, 16);   // the frame expected out
const M: usize = memory.data(1024, 16);
let t: i64 = 1000;

/** Run the kernel at time t and forget what it sent before. */
function settle(): void {
  k_poll(t);
  framesClear();
}

/** Exactly one frame was sent, on NIC 0, equal to the len bytes at E. */
function expectOneFrame(len: i32): void {
  expect(frameCount()).toBe(1);
  expect(sentNic(0)).toBe(0);
  expect(sentLen(0)).toBe(len);
  expect(firstDiff(sent(0), E, len)).toBe(-1);
}

/** A neighbor solicits one of the node's addresses, so the node learns its MAC. */
function introduce(srcMac: string, src: string, target: string, group: string, groupMac: string): void {
  rx(0, F, nsFrame(F, groupMac, srcMac, 255, src, group, target, srcMac));
  settle();
}

describe("a host node", () => {
  beforeEach(() => { framesClear(); });

  it("boots from a manifest with one NIC, one prefix and one service", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    mfNic(0, 1500, MAC_N);
    mfPrefix(0, 64, "fd00:1::");
    mfService(0, "echo.n1.test");
    mfSvcAddr(0, SVC);
    expect(bootFrom(M, mfEnd(), t)).toBe(0);
    expect(k_poll(t)).toBe(-1);
    expect(frameCount()).toBe(0);
  });

  it("answers a Neighbor Solicitation for a service address with a solicited, override NA", () => {
    rx(0, F, nsFrame(F, "33:33:ff:00:00:07", MAC_A, 255, A_GL, "ff02::1:ff00:7", SVC, MAC_A));
    k_poll(t);
    let len = naFrame(E, MAC_A, MAC_N, SVC, A_GL, 0x60000000, SVC, MAC_N);
    expectOneFrame(len);
    let na = sent(0) + ETH;
    expect(load<u8>(na + 7)).toBe(255);                 // hop limit
    expect(load<u8>(na + IP6)).toBe(136);               // type
    expect(rd32(na + IP6 + 4)).toBe(0x60000000);        // S and O set, R clear
    expect(firstDiff(na + IP6 + 24, E + ETH + IP6 + 24, 8)).toBe(-1);  // TLLAO = 02:00:00:00:00:01
    expect(upperSum(na, IP6, 32, 58)).toBe(0);
  });

  it("answers duplicate address detection for a service address to all-nodes, unsolicited", () => {
    rx(0, F, nsFrame(F, "33:33:ff:00:00:07", "02:00:00:00:00:bb", 255, "::", "ff02::1:ff00:7", SVC, ""));
    k_poll(t);
    expectOneFrame(naFrame(E, "33:33:00:00:00:01", MAC_N, SVC, "ff02::1", 0x20000000, SVC, MAC_N));
  });

  it("drops a Neighbor Solicitation with hop limit 64 as ND_INVALID", () => {
    let before = dropped(Drop.ND_INVALID);
    rx(0, F, nsFrame(F, "33:33:ff:00:00:07", MAC_A, 64, A_GL, "ff02::1:ff00:7", SVC, MAC_A));
    k_poll(t);
    expect(frameCount()).toBe(0);
    expect(dropped(Drop.ND_INVALID)).toBe(before + 1);
  });

  it("drops a Neighbor Solicitation with a wrong checksum as ICMP_CHECKSUM", () => {
    let before = dropped(Drop.ICMP_CHECKSUM);
    let n = nsFrame(F, "33:33:ff:00:00:07", MAC_A, 255, A_GL, "ff02::1:ff00:7", SVC, MAC_A);
    store<u8>(F + ETH + IP6 + 3, load<u8>(F + ETH + IP6 + 3) ^ 1);
    rx(0, F, n);
    k_poll(t);
    expect(frameCount()).toBe(0);
    expect(dropped(Drop.ICMP_CHECKSUM)).toBe(before + 1);
  });

  it("stays silent on a Neighbor Solicitation for an address that is not its own", () => {
    let before = dropped(Drop.ND_INVALID);
    rx(0, F, nsFrame(F, "33:33:ff:00:00:08", MAC_A, 255, A_GL, "ff02::1:ff00:8", "fd00:1::8", MAC_A));
    k_poll(t);
    expect(frameCount()).toBe(0);
    expect(dropped(Drop.ND_INVALID)).toBe(before);
  });

  it("answers a Neighbor Solicitation for its link-local address from link-local", () => {
    rx(0, F, nsFrame(F, "33:33:ff:00:00:01", MAC_A, 255, A_LL, "ff02::1:ff00:1", NODE_LL, MAC_A));
    k_poll(t);
    expectOneFrame(naFrame(E, MAC_A, MAC_N, NODE_LL, A_LL, 0x60000000, NODE_LL, MAC_N));
  });

  it("answers an echo request to its link-local address", () => {
    introduce(MAC_A, A_LL, NODE_LL, "ff02::1:ff00:1", "33:33:ff:00:00:01");
    let fwd = dropped(Drop.LINK_LOCAL_FWD);
    rx(0, F, echoFrame(F, MAC_N, MAC_A, 64, A_LL, NODE_LL, 128, 0x1234, 1, "70 69 6e 67"));
    k_poll(t);
    expect(dropped(Drop.LINK_LOCAL_FWD)).toBe(fwd);
    expectOneFrame(echoFrame(E, MAC_A, MAC_N, 64, NODE_LL, A_LL, 129, 0x1234, 1, "70 69 6e 67"));
  });

  it("answers a unicast Neighbor Solicitation (a reachability probe) for its link-local address", () => {
    introduce(MAC_A, A_LL, NODE_LL, "ff02::1:ff00:1", "33:33:ff:00:00:01");
    rx(0, F, nsFrame(F, MAC_N, MAC_A, 255, A_LL, NODE_LL, NODE_LL, MAC_A));
    k_poll(t);
    expectOneFrame(naFrame(E, MAC_A, MAC_N, NODE_LL, A_LL, 0x60000000, NODE_LL, MAC_N));
  });

  it("answers a unicast Neighbor Solicitation (a reachability probe) for its global address", () => {
    introduce(MAC_A, A_GL, NODE_GL, "ff02::1:ff00:1", "33:33:ff:00:00:01");
    rx(0, F, nsFrame(F, MAC_N, MAC_A, 255, A_GL, NODE_GL, NODE_GL, MAC_A));
    k_poll(t);
    expectOneFrame(naFrame(E, MAC_A, MAC_N, NODE_GL, A_GL, 0x60000000, NODE_GL, MAC_N));
  });

  it("answers a unicast Neighbor Solicitation (a reachability probe) for a service address", () => {
    let q = queueDepth(0);
    rx(0, F, nsFrame(F, MAC_N, MAC_A, 255, A_GL, SVC, SVC, MAC_A));
    k_poll(t);
    expect(queueDepth(0)).toBe(q);
    expectOneFrame(naFrame(E, MAC_A, MAC_N, SVC, A_GL, 0x60000000, SVC, MAC_N));
  });

  it("answers an echo request to its global address", () => {
    introduce(MAC_A, A_GL, NODE_GL, "ff02::1:ff00:1", "33:33:ff:00:00:01");
    rx(0, F, echoFrame(F, MAC_N, MAC_A, 64, A_GL, NODE_GL, 128, 0x4321, 7, "00 01 02 03 04 05 06 07 08"));
    k_poll(t);
    expectOneFrame(echoFrame(E, MAC_A, MAC_N, 64, NODE_GL, A_GL, 129, 0x4321, 7, "00 01 02 03 04 05 06 07 08"));
  });

  it("queues a datagram for the service address on the service's receive queue", () => {
    let q = queueDepth(0);
    let r = svcRx[0];
    rx(0, F, udpFrame(F, MAC_N, MAC_A, 64, A_GL, SVC, 20));
    expect(queueDepth(0)).toBe(q + 1);
    expect(svcRx[0]).toBe(r + 1);
    settle();
  });

  it("drops an IPv4 frame as ETHERTYPE_IPV4", () => {
    let before = dropped(Drop.ETHERTYPE_IPV4);
    memory.fill(F, 0, 60);
    put(F, "02 00 00 00 00 01  02 00 00 00 00 aa  08 00  45 00 00 1c");
    rx(0, F, 60);
    k_poll(t);
    expect(dropped(Drop.ETHERTYPE_IPV4)).toBe(before + 1);
    expect(frameCount()).toBe(0);
  });

  it("drops a frame shorter than 14 bytes as FRAME_SHORT", () => {
    let before = dropped(Drop.FRAME_SHORT);
    put(F, "02 00 00 00 00 01  02 00 00 00 00 aa  86");
    rx(0, F, 13);
    k_poll(t);
    expect(dropped(Drop.FRAME_SHORT)).toBe(before + 1);
    expect(frameCount()).toBe(0);
  });

  it("drops a unicast frame for another station as NOT_OUR_MAC", () => {
    let before = dropped(Drop.NOT_OUR_MAC);
    rx(0, F, echoFrame(F, "02:00:00:00:00:99", MAC_A, 64, A_GL, NODE_GL, 128, 1, 1, ""));
    k_poll(t);
    expect(dropped(Drop.NOT_OUR_MAC)).toBe(before + 1);
    expect(frameCount()).toBe(0);
  });

  it("drops a packet to an unknown global destination as NO_ROUTE and says so", () => {
    introduce(MAC_A, A_GL, NODE_GL, "ff02::1:ff00:1", "33:33:ff:00:00:01");
    let before = dropped(Drop.NO_ROUTE);
    let n = udpFrame(F, MAC_N, MAC_A, 64, A_GL, "2001:db8::1", 20);
    rx(0, F, n);
    k_poll(t);
    expect(dropped(Drop.NO_ROUTE)).toBe(before + 1);
    // Destination unreachable, code 0 (no route), from the node's address on the link,
    // quoting the whole invoking packet (68 bytes) after the 4 unused bytes.
    let q = n - ETH;
    eth(E, MAC_A, MAC_N);
    ip6(E + ETH, 8 + q, 58, 64, NODE_GL, A_GL);
    put(E + ETH + IP6, "01 00 0000 00000000");
    memory.copy(E + ETH + IP6 + 8, F + ETH, <usize>q);
    sealIcmp6(E + ETH);
    expectOneFrame(ETH + IP6 + 8 + q);
    let m = sent(0) + ETH + IP6;
    expect(load<u8>(m)).toBe(1);
    expect(load<u8>(m + 1)).toBe(0);
    expect(firstDiff(m + 8, F + ETH, q)).toBe(-1);
  });

  it("reports the same drop counters in its k_status snapshot", () => {
    let len = k_status();
    let s = <usize>k_buf(Buf.STATUS);
    expect(load<u32>(s)).toBe(S.ST_MAGIC);
    let drops: usize = 0;
    for (let off = 8; off + 4 <= len;) {
      let body = s + <usize>off + 4;
      if (load<u8>(s + <usize>off) == <u8>S.St.DROPS) { drops = body; break; }
      off += 4 + <i32>load<u16>(s + <usize>off, 2);
    }
    expect(drops).not.toBe(0);
    expect(load<u64>(drops + 8 * <usize>Drop.NO_ROUTE)).toBe(dropped(Drop.NO_ROUTE));
    expect(load<u64>(drops + 8 * <usize>Drop.ND_INVALID)).toBe(dropped(Drop.ND_INVALID));
    expect(load<u64>(drops + 8 * <usize>Drop.FRAME_SHORT)).toBe(1);
  });

  it("sends at most ICMP_ERR_BURST errors at one instant and counts the rest as ICMP_RATE", () => {
    expect(ICMP_ERR_BURST).toBe(20);
    t += 60000;                                     // a full bucket
    settle();
    let noRoute = dropped(Drop.NO_ROUTE), rate = dropped(Drop.ICMP_RATE);
    let n = udpFrame(F, MAC_N, MAC_A, 64, A_GL, "2001:db8::1", 20);
    for (let i = 0; i < 100; i++) {
      be16(F + ETH + IP6 + 8, <u32>i);              // vary the payload
      rx(0, F, n);
    }
    k_poll(t);
    expect(sentIcmp(1)).toBe(20);
    expect(dropped(Drop.NO_ROUTE)).toBe(noRoute + 100);
    expect(dropped(Drop.ICMP_RATE)).toBe(rate + 80);
  });

  it("earns back ICMP_ERR_PER_S tokens a second: 10 after 100 ms", () => {
    expect(ICMP_ERR_PER_S).toBe(100);
    t += 100;
    settle();
    let rate = dropped(Drop.ICMP_RATE);
    let n = udpFrame(F, MAC_N, MAC_A, 64, A_GL, "2001:db8::1", 20);
    for (let i = 0; i < 15; i++) rx(0, F, n);
    k_poll(t);
    expect(sentIcmp(1)).toBe(10);
    expect(dropped(Drop.ICMP_RATE)).toBe(rate + 5);
  });

  it("keeps the part of a token earned between polls: 15 ms then 5 ms give 2 tokens", () => {
    let n = udpFrame(F, MAC_N, MAC_A, 64, A_GL, "2001:db8::1", 20);
    t += 15;
    settle();
    rx(0, F, n);
    rx(0, F, n);
    k_poll(t);
    expect(sentIcmp(1)).toBe(1);
    t += 5;
    settle();
    rx(0, F, n);
    k_poll(t);
    expect(sentIcmp(1)).toBe(1);
  });

  it("k_stop on a server is done at once: -1, nothing sent", () => {
    settle();
    expect(k_stop(t)).toBe(-1);
    expect(frameCount()).toBe(0);
  });
});
