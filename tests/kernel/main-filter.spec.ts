// Block filters on a router end to end through kernel/main.ts (issue #15): the router of
// main-router.spec.ts (NIC 0 fd00:1::/64 with neighbor A, NIC 1 fd00:2::/64 with B). A
// forwarded packet that matches a filter is dropped at ingress as BLOCKED and counted; one
// that does not is forwarded byte for byte; k_poll's deadline includes the filter's expiry,
// after which the same packet goes through; what the node itself sends is not filtered;
// and k_status carries the FILTERS counters and a FILTER record. Filters come from
// kernel/net/filter.ts directly: the control messages that install them (ctl/block.ts)
// have tests of their own.
import { Buf } from "../../abi/kernel";
import { Drop } from "../../abi/drop";
import * as S from "../../abi/status";
import { k_poll, k_status, k_buf } from "../../kernel/main";
import { filterAdd, filterActive } from "../../kernel/net/filter";
import { ETH, IP6, addr, firstDiff, udpFrame, echoFrame, nsFrame } from "./frames";
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix } from "./manifest";
import { rx, bootFrom, sent, sentNic, dropped } from "./drive";
import { frameCount, framesClear } from "./mock";

const MAC_0 = "02:00:00:00:00:01";
const MAC_1 = "02:00:00:00:00:02";
const MAC_A = "02:00:00:00:00:aa";
const MAC_B = "02:00:00:00:00:bb";
const R0 = "fd00:1::ff:fe00:1";
const R1 = "fd00:2::ff:fe00:2";
const A = "fd00:1::aa";
const A2 = "fd00:1::ab";
const B = "fd00:2::bb";

const F: usize = memory.data(16384, 16);
const M: usize = memory.data(1024, 16);
let t: i64 = 5000;
const UDP = 17;

/** A UDP datagram (to port 7) from src on NIC 0 to B, polled; returns the frame's length. */
function toB(src: string): i32 {
  let len = udpFrame(F, MAC_0, MAC_A, 64, src, B, 20);
  rx(0, F, len);
  k_poll(t);
  return len;
}

/** The body of the first status record of this type, or 0. */
function statusRecord(type: S.St): usize {
  let len = k_status();
  let s = <usize>k_buf(Buf.STATUS);
  for (let off = 8; off + 4 <= len;) {
    if (load<u8>(s + <usize>off) == <u8>type) return s + <usize>off + 4;
    off += 4 + <i32>load<u16>(s + <usize>off, 2);
  }
  return 0;
}

describe("a router with block filters", () => {
  beforeEach(() => { framesClear(); });

  it("boots and learns A and B", () => {
    mfStart(M);
    mfNode(2, "r1.test");
    mfNic(0, 1500, MAC_0);
    mfPrefix(0, 64, "fd00:1::");
    mfNic(1, 1500, MAC_1);
    mfPrefix(1, 64, "fd00:2::");
    expect(bootFrom(M, mfEnd(), t)).toBe(0);
    k_poll(t);
    rx(0, F, nsFrame(F, "33:33:ff:00:00:01", MAC_A, 255, A, "ff02::1:ff00:1", R0, MAC_A));
    rx(1, F, nsFrame(F, "33:33:ff:00:00:02", MAC_B, 255, B, "ff02::1:ff00:2", R1, MAC_B));
    k_poll(t);
    expect(frameCount()).toBe(2);
  });

  it("drops a forwarded packet a filter matches as BLOCKED, and forwards one it does not", () => {
    expect(filterAdd(addr(B), addr(A), 128, UDP, 7, t + 10000, 0)).toBe(0);
    let before = dropped(Drop.BLOCKED);
    toB(A);
    expect(dropped(Drop.BLOCKED)).toBe(before + 1);
    expect(frameCount()).toBe(0);
    let len = toB(A2);                                   // another source
    expect(dropped(Drop.BLOCKED)).toBe(before + 1);
    expect(frameCount()).toBe(1);
    expect(sentNic(0)).toBe(1);
    store<u8>(F + ETH + 7, 63);                          // the hop limit, one lower
    expect(firstDiff(sent(0) + ETH, F + ETH, len - ETH)).toBe(-1);
  });

  it("counts the filter in k_status", () => {
    let b = statusRecord(S.St.FILTERS);
    expect(b).not.toBe(0);
    expect(load<u32>(b + S.SF_ACTIVE)).toBe(1);
    expect(load<u64>(b + S.SF_INSTALLED)).toBe(1);
    expect(load<u64>(b + S.SF_EXPIRED)).toBe(0);
    let f = statusRecord(S.St.FILTER);
    expect(f).not.toBe(0);
    expect(firstDiff(f + S.SFL_DST, addr(B), 16)).toBe(-1);
    expect(firstDiff(f + S.SFL_SRC, addr(A), 16)).toBe(-1);
    expect(load<u8>(f + S.SFL_SRC_LEN)).toBe(128);
    expect(<i32>load<u8>(f + S.SFL_PROTO)).toBe(UDP);
    expect(load<u16>(f + S.SFL_PORT)).toBe(7);
    expect(load<i64>(f + S.SFL_EXPIRES)).toBe(t + 10000);
  });

  it("never filters what the node itself sends", () => {
    expect(filterAdd(addr(A), addr(R0), 128, 0, 0, t + 10000, 0)).toBe(0);
    rx(0, F, echoFrame(F, MAC_0, MAC_A, 64, A, R0, 128, 1, 1, "abcd"));
    k_poll(t);
    expect(frameCount()).toBe(1);                        // the echo reply to A
    expect(load<u8>(sent(0) + ETH + IP6)).toBe(129);
  });

  it("asks k_poll back by the earliest expiry, and lets the packet through after it", () => {
    expect(k_poll(t)).toBeLessThanOrEqual(t + 10000);
    t += 10000;
    k_poll(t);
    expect(filterActive).toBe(0);
    framesClear();
    let before = dropped(Drop.BLOCKED);
    toB(A);
    expect(dropped(Drop.BLOCKED)).toBe(before);
    expect(frameCount()).toBe(1);
    let b = statusRecord(S.St.FILTERS);
    expect(load<u64>(b + S.SF_EXPIRED)).toBe(2);
    expect(statusRecord(S.St.FILTER)).toBe(0);
  });
});
