// A router that stops (k_stop, kernel/net/ra.ts raStop), byte for byte through the
// kernel's exports: RFC 4861 §6.2.5's final RAs — FINAL_RTR_ADVERTISEMENTS of them on the
// advertising NIC, router lifetime 0, every other byte (flags, timers, MAC, MTU, prefixes
// with their lifetimes) as in the ordinary RA; the first no sooner than
// MIN_DELAY_BETWEEN_RAS after the last RA and the next that long after it (§6.2.6); a
// solicitation meanwhile answered by the next final RA; nothing on the NIC without an RA
// record; no RA at all once k_stop returned -1, whatever polls and solicitations follow.
// The router has a default route, so its ordinary RAs carry its router lifetime (1800 s).
import { Buf, STOP_MAX_MS } from "../../../abi/kernel";
import { FINAL_RTR_ADVERTISEMENTS, MAX_FINAL_RTR_ADVERTISEMENTS, MIN_DELAY_BETWEEN_RAS_MS } from "../../../kernel/param";
import { k_poll, k_stop, k_boot, k_buf } from "../../../kernel/main";
import { ETH, IP6, put, putAddr, eth, ip6, sealIcmp6, firstDiff } from "../frames";
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix, mfRoute, mfRa } from "../manifest";
import { rx, sent, sentLen, sentNic } from "../drive";
import { frameCount, framesClear } from "../mock";

const MAC_0 = "02:00:00:00:00:01";
const MAC_1 = "02:00:00:00:00:02";
const MAC_A = "02:00:00:00:00:aa";
const M: usize = memory.data(2048, 16);
const F: usize = memory.data(2048, 16);
const E: usize = memory.data(2048, 16);
const T: i64 = 5000;

/** Router solicitation (RFC 4861 §4.1) from fe80::aa to all-routers, with SLLAO. */
function rs(): i32 {
  eth(F, "33:33:00:00:00:02", MAC_A);
  ip6(F + ETH, 16, 58, 255, "fe80::aa", "ff02::2");
  put(F + ETH + IP6, "85 00 0000 00000000 01 01");
  put(F + ETH + IP6 + 10, MAC_A);
  sealIcmp6(F + ETH);
  return ETH + IP6 + 16;
}

/** The RA NIC 0 sends, with this router lifetime (hex), at E; returns its length. */
function expectedRa(lifetime: string): i32 {
  eth(E, "33:33:00:00:00:01", MAC_0);
  ip6(E + ETH, 64, 58, 255, "fe80::ff:fe00:1", "ff02::1");
  let m = E + ETH + IP6;
  put(m, "86 00 0000  40 00 " + lifetime + "  00007530  000003e8");  // hop 64, no M/O, 30 s, 1 s
  put(m + 16, "01 01");
  put(m + 18, MAC_0);
  put(m + 24, "05 01 0000 000005dc");                     // MTU 1500
  put(m + 32, "03 04 40 c0 00015180 00003840 00000000");  // /64: L and A, 1 d and 4 h
  putAddr(m + 48, "fd00:1::");
  sealIcmp6(E + ETH);
  return ETH + IP6 + 64;
}

/** Exactly one frame went out: the RA of NIC 0 with this router lifetime. */
function expectOneRa(lifetime: string): void {
  let len = expectedRa(lifetime);
  expect(frameCount()).toBe(1);
  expect(sentNic(0)).toBe(0);
  expect(sentLen(0)).toBe(len);
  expect(firstDiff(sent(0), E, len)).toBe(-1);
}

describe("a router that stops", () => {
  it("returns -1 and sends nothing when stopped before it booted", () => {
    expect(k_stop(T)).toBe(-1);
    expect(frameCount()).toBe(0);
  });
  it("boots with an advertising NIC 0, a silent NIC 1 and a default route", () => {
    expect(FINAL_RTR_ADVERTISEMENTS).toBeGreaterThanOrEqual(1);
    expect(FINAL_RTR_ADVERTISEMENTS).toBeLessThanOrEqual(MAX_FINAL_RTR_ADVERTISEMENTS);
    // The longest stop fits in what a host waits (abi/kernel.ts STOP_MAX_MS).
    expect(<i64>FINAL_RTR_ADVERTISEMENTS * MIN_DELAY_BETWEEN_RAS_MS).toBeLessThan(STOP_MAX_MS);
    mfStart(M);
    mfNode(2, "r1.test");
    mfNic(0, 1500, MAC_0);
    mfNic(1, 1500, MAC_1);
    mfPrefix(0, 64, "fd00:1::");
    mfPrefix(1, 64, "fd00:2::");
    mfRoute(1, 0, "::", "fe80::1");
    mfRa(0, 0, 64, 200, 600, 1800, 30000, 1000, 86400, 14400);
    let n = mfEnd();
    memory.copy(<usize>k_buf(Buf.BOOT), M, <usize>n);
    expect(k_boot(n, T)).toBe(0);
  });
  it("advertises a router lifetime of 1800 s while it runs", () => {
    framesClear();
    expect(k_poll(T)).toBe(T + 16000);
    expectOneRa("0708");
  });
  it("waits MIN_DELAY_BETWEEN_RAS after that RA before its first final one", () => {
    framesClear();
    expect(k_stop(T + 1000)).toBe(T + MIN_DELAY_BETWEEN_RAS_MS);
    expect(frameCount()).toBe(0);
    rx(0, F, rs(), T + 2000);               // answered by the final RA, not before it
    expect(k_stop(T + 2999)).toBe(T + MIN_DELAY_BETWEEN_RAS_MS);
    expect(frameCount()).toBe(0);
  });
  it("sends the final RAs with router lifetime 0 and the prefixes as before, 3 s apart", () => {
    let at = T + MIN_DELAY_BETWEEN_RAS_MS;
    for (let i = 0; i < FINAL_RTR_ADVERTISEMENTS; i++) {
      framesClear();
      let next = k_stop(at);
      expectOneRa("0000");
      if (i + 1 < FINAL_RTR_ADVERTISEMENTS) {
        expect(next).toBe(at + MIN_DELAY_BETWEEN_RAS_MS);
        framesClear();
        expect(k_poll(next - 1)).toBe(next);   // a poll meanwhile sends no ordinary RA
        expect(frameCount()).toBe(0);
        at = next;
      } else {
        expect(next).toBe(-1);                 // the stop is done
      }
    }
  });
  it("sends nothing more: no RA at its old times, none for a solicitation", () => {
    framesClear();
    expect(k_poll(T + 20000)).toBe(-1);
    rx(0, F, rs(), T + 30000);
    expect(k_poll(T + 30000)).toBe(-1);
    expect(k_poll(T + 700000)).toBe(-1);
    expect(k_stop(T + 800000)).toBe(-1);
    expect(frameCount()).toBe(0);
  });
});
