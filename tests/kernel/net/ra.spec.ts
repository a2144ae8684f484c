// kernel/net/ra.ts through the kernel's exports: the RA boot record's checks (RFC 4861
// §6.2.1), the router's unsolicited advertisements — the first at the first poll, the
// next MAX_INITIAL_RTR_ADVERTISEMENTS intervals capped at 16 s — their exact bytes
// (§4.2 with source link-layer, MTU and prefix information options), and a solicited RA
// MIN_DELAY_BETWEEN_RAS after the last plus a random delay (§6.2.6), restarting the timer. The router has no default
// route, so it advertises a router lifetime of 0 whatever its RA record says.
import { Errno } from "../../../abi/errno";
import { Buf } from "../../../abi/kernel";
import { Drop } from "../../../abi/drop";
import { k_poll, k_boot, k_buf } from "../../../kernel/main";
import { ETH, IP6, put, putAddr, eth, ip6, sealIcmp6, firstDiff } from "../frames";
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix, mfRa, mfRecord } from "../manifest";
import { rx, sent, sentLen, sentNic, dropped } from "../drive";
import { frameCount, framesClear, lastLog } from "../mock";

const MAC_0 = "02:00:00:00:00:01";
const MAC_A = "02:00:00:00:00:aa";
const M: usize = memory.data(2048, 16);
const F: usize = memory.data(2048, 16);
const E: usize = memory.data(2048, 16);
const T: i64 = 5000;
let nextRa: i64 = 0;   // when the router said its next unsolicited RA is due
let solicited: i64 = 0; // when the solicited RA went out

function boot(): i32 {
  let n = mfEnd();
  memory.copy(<usize>k_buf(Buf.BOOT), M, <usize>n);
  return k_boot(n, T);
}

/** A router with NIC `nic` and one RA record with these intervals and lifetimes. */
function withRa(nic: u32, min: u32, max: u32, life: u32, valid: u32, preferred: u32): void {
  mfStart(M);
  mfNode(2, "r1.test");
  mfNic(nic, 1500, MAC_0);
  mfRa(nic, 0x80, 64, min, max, life, 30000, 1000, valid, preferred);
}

/** Refused with -EBADMSG, the log blaming record 2 (the RA) and this field. */
function refusedAt(field: string): void {
  expect(boot()).toBe(-Errno.EBADMSG);
  let line = lastLog();
  let a = line.indexOf("record ");
  expect(line.substring(a, line.indexOf(": ", a))).toBe("record 2 (type 9), " + field);
}

/** Router solicitation (RFC 4861 §4.1) from fe80::aa to all-routers, with SLLAO. */
function rs(hops: u32): i32 {
  eth(F, "33:33:00:00:00:02", MAC_A);
  ip6(F + ETH, 16, 58, hops, "fe80::aa", "ff02::2");
  put(F + ETH + IP6, "85 00 0000 00000000 01 01");
  put(F + ETH + IP6 + 10, MAC_A);
  sealIcmp6(F + ETH);
  return ETH + IP6 + 16;
}

/** The RA the router sends on NIC 0, at E; returns its length. */
function expectedRa(): i32 {
  eth(E, "33:33:00:00:00:01", MAC_0);
  ip6(E + ETH, 96, 58, 255, "fe80::ff:fe00:1", "ff02::1");
  let m = E + ETH + IP6;
  put(m, "86 00 0000  40 80 0000  00007530  000003e8");  // hop 64, M, lifetime 0, 30 s, 1 s
  put(m + 16, "01 01");
  put(m + 18, MAC_0);
  put(m + 24, "05 01 0000 000005dc");                     // MTU 1500
  put(m + 32, "03 04 40 c0 00015180 00003840 00000000");  // /64: L and A
  putAddr(m + 48, "fd00:1::");
  put(m + 64, "03 04 30 80 00015180 00003840 00000000");  // /48: L only
  putAddr(m + 80, "fd00:5::");
  sealIcmp6(E + ETH);
  return ETH + IP6 + 96;
}

function expectRa(): void {
  let len = expectedRa();
  expect(frameCount()).toBe(1);
  expect(sentNic(0)).toBe(0);
  expect(sentLen(0)).toBe(len);
  expect(firstDiff(sent(0), E, len)).toBe(-1);
}

describe("the RA boot record", () => {
  it("refuses a max interval below 4 s or above 1800 s", () => {
    withRa(10, 3, 3, 0, 100, 50);
    refusedAt("max interval");
    withRa(11, 3, 1801, 0, 100, 50);
    refusedAt("max interval");
  });
  it("refuses a min interval below 3 s or above 0.75 × max", () => {
    withRa(12, 2, 600, 0, 100, 50);
    refusedAt("min interval");
    withRa(13, 451, 600, 0, 100, 50);
    refusedAt("min interval");
  });
  it("refuses a router lifetime that is neither 0 nor max interval..9000 s", () => {
    withRa(14, 200, 600, 599, 100, 50);
    refusedAt("lifetime");
    withRa(15, 200, 600, 9001, 100, 50);
    refusedAt("lifetime");
  });
  it("refuses a preferred lifetime longer than the valid lifetime", () => {
    withRa(8, 200, 600, 0, 100, 101);
    refusedAt("preferred");
  });
  it("refuses an RA record for a NIC that does not exist", () => {
    mfStart(M);
    mfNode(2, "r1.test");
    mfNic(7, 1500, MAC_0);
    mfRa(6, 0, 64, 200, 600, 0, 0, 0, 100, 50);
    refusedAt("nic");
  });
  it("refuses an RA record that is not 28 bytes", () => {
    mfStart(M);
    mfNode(2, "r1.test");
    mfNic(5, 1500, MAC_0);
    mfRecord(9, 27);
    refusedAt("length");
  });
});

describe("router advertisements", () => {
  it("boot a router with an RA record", () => {
    mfStart(M);
    mfNode(2, "r1.test");
    mfNic(0, 1500, MAC_0);
    mfPrefix(0, 64, "fd00:1::");
    mfPrefix(0, 48, "fd00:5::");
    mfRa(0, 0x80, 64, 200, 600, 1800, 30000, 1000, 86400, 14400);
    expect(boot()).toBe(0);
  });
  it("sends the first RA at the first poll and the next 16 s later", () => {
    framesClear();
    expect(k_poll(T)).toBe(T + 16000);
    expectRa();
  });
  it("answers a router solicitation 3 s after the last RA plus a random 0..500 ms", () => {
    framesClear();
    rx(0, F, rs(255));
    solicited = k_poll(T + 1000);
    expect(solicited).toBeGreaterThanOrEqual(T + 3000);
    expect(solicited).toBeLessThanOrEqual(T + 3500);
    expect(frameCount()).toBe(0);
    expect(k_poll(solicited - 1)).toBe(solicited);
    expect(frameCount()).toBe(0);
    // The solicited RA is a multicast RA like any other: the unsolicited timer restarts
    // from it (§6.2.4), still capped at 16 s for the first RAs.
    expect(k_poll(solicited)).toBe(solicited + 16000);
    expectRa();
  });
  it("drops a router solicitation with hop limit 64 as ND_INVALID", () => {
    framesClear();
    let before = dropped(Drop.ND_INVALID);
    rx(0, F, rs(64));
    expect(dropped(Drop.ND_INVALID)).toBe(before + 1);
    expect(k_poll(solicited + 1000)).toBe(solicited + 16000);
    expect(frameCount()).toBe(0);
  });
  it("caps the first MAX_INITIAL_RTR_ADVERTISEMENTS intervals at 16 s, then waits 200..600 s", () => {
    // Three RAs so far or now: at boot, the solicited one, and this one.
    framesClear();
    expect(k_poll(solicited + 16000)).toBe(solicited + 32000);
    expectRa();
    framesClear();
    nextRa = k_poll(solicited + 32000);
    expectRa();
    expect(nextRa).toBeGreaterThanOrEqual(solicited + 32000 + 200000);
    expect(nextRa).toBeLessThanOrEqual(solicited + 32000 + 600000);
  });
  it("never sends two RAs to all-nodes less than MIN_DELAY_BETWEEN_RAS apart", () => {
    // A solicitation 200 ms before the unsolicited RA is due: the solicited RA may go out
    // before it (after a random 0..500 ms), but then the unsolicited one must wait.
    framesClear();
    k_poll(nextRa - 200);
    rx(0, F, rs(255));
    let last: i64 = -1, closest: i64 = 1 << 40, sentRas = 0;
    for (let at = nextRa - 200; at <= nextRa + 3000; at++) {
      k_poll(at);
      if (frameCount() > 0) {
        sentRas += frameCount();
        if (last >= 0 && at - last < closest) closest = at - last;
        last = at;
        framesClear();
      }
    }
    expect(sentRas).toBeGreaterThanOrEqual(1);
    expect(closest).toBeGreaterThanOrEqual(3000);
  });
});
