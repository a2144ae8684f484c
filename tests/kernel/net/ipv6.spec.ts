// kernel/net/ipv6.ts: the fixed header check against the bytes received (RFC 8200 §3),
// the extension-header walk (§4) with its Parameter Problem code and pointer (RFC 4443
// §3.4), and the Routing header a node that is not a source-routing hop refuses (§4.4).
import { Drop } from "../../../abi/drop";
import { EXT_MAX } from "../../../kernel/param";
import { Chain, check, walk, routingProblem, ipTotal } from "../../../kernel/net/ipv6";
import { ip6, put } from "../frames";

const P: usize = memory.data(2048, 16);
const C = new Chain();
const HOPOPT: u32 = 0, ROUTING: u32 = 43, FRAGMENT: u32 = 44, DSTOPT: u32 = 60, UDP: u32 = 17, NONE: u32 = 59;

/** A header from fd00:1::aa to fd00:1::1 with plen bytes after it, all zero. */
function pkt(plen: i32, next: u32): usize {
  memory.fill(P, 0, 2048);
  ip6(P, plen, next, 64, "fd00:1::aa", "fd00:1::1");
  return P;
}

describe("check", () => {
  it("accepts a whole packet and records its length", () => {
    let p = pkt(8, UDP);
    put(p + 40, "9c40 0007 0008 0000");
    expect(check(p, 48)).toBe(-1);
    expect(ipTotal(p)).toBe(48);
  });
  it("refuses fewer than 40 bytes as IP_SHORT", () => {
    let p = pkt(0, NONE);
    expect(check(p, 39)).toBe(<i32>Drop.IP_SHORT);
    expect(check(p, 0)).toBe(<i32>Drop.IP_SHORT);
  });
  it("refuses version 4 and version 7 as IP_VERSION", () => {
    let p = pkt(0, NONE);
    put(p, "4000 0000");
    expect(check(p, 40)).toBe(<i32>Drop.IP_VERSION);
    put(p, "7000 0000");
    expect(check(p, 40)).toBe(<i32>Drop.IP_VERSION);
  });
  it("refuses a payload length longer than the bytes as IP_LENGTH", () => {
    let p = pkt(9, UDP);
    expect(check(p, 48)).toBe(<i32>Drop.IP_LENGTH);
  });
  it("refuses a jumbogram's zero payload length behind a Hop-by-Hop header", () => {
    let p = pkt(0, HOPOPT);
    expect(check(p, 48)).toBe(<i32>Drop.IP_LENGTH);
  });
  it("accepts trailing Ethernet padding and takes the length from the header", () => {
    // A 40-byte packet with no payload fills a 54-byte frame; Ethernet pads it to 60.
    let p = pkt(0, NONE);
    expect(check(p, 46)).toBe(-1);
    expect(ipTotal(p)).toBe(40);
  });
  it("refuses a multicast source as IP_SRC", () => {
    let p = pkt(0, NONE);
    put(p + 8, "ff02 0000 0000 0000 0000 0000 0000 0001");
    expect(check(p, 40)).toBe(<i32>Drop.IP_SRC);
  });
});

/** check() then walk(); the packet is plen bytes after the fixed header. */
function walked(p: usize, plen: i32): i32 {
  expect(check(p, 40 + plen)).toBe(-1);
  return walk(p, C);
}

describe("walk", () => {
  it("finds the upper layer right after a header with no extensions", () => {
    let p = pkt(8, UDP);
    expect(walked(p, 8)).toBe(-1);
    expect(C.proto).toBe(UDP);
    expect(C.off).toBe(40);
  });
  it("follows Hop-by-Hop then Destination Options to UDP", () => {
    let p = pkt(24, HOPOPT);
    put(p + 40, "3c 00 01 04 00000000");     // HBH: next DSTOPT, PadN(4)
    put(p + 48, "11 00 01 04 00000000");     // DSTOPT: next UDP, PadN(4)
    put(p + 56, "9c40 0007 0008 0000");
    expect(walked(p, 24)).toBe(-1);
    expect(C.proto).toBe(UDP);
    expect(C.off).toBe(56);
  });
  it("answers a Hop-by-Hop header that is not first with code 1 at the Next Header naming it", () => {
    let p = pkt(24, DSTOPT);
    put(p + 40, "00 00 01 04 00000000");     // DSTOPT: next HBH (misplaced)
    put(p + 48, "11 00 01 04 00000000");
    expect(walked(p, 24)).toBe(<i32>Drop.PARAM_PROBLEM);
    expect(C.code).toBe(1);
    expect(C.ptr).toBe(40);
  });
  it("answers an unknown option of action 10 with code 2 pointing at the option", () => {
    let p = pkt(16, HOPOPT);
    put(p + 40, "11 00 01 00 87 02 0000");   // PadN(0), then unknown type 0x87 at 44
    put(p + 48, "9c40 0007 0008 0000");
    expect(walked(p, 16)).toBe(<i32>Drop.PARAM_PROBLEM);
    expect(C.code).toBe(2);
    expect(C.ptr).toBe(44);
  });
  it("skips an unknown option of action 00", () => {
    let p = pkt(16, HOPOPT);
    put(p + 40, "11 00 07 04 00000000");
    put(p + 48, "9c40 0007 0008 0000");
    expect(walked(p, 16)).toBe(-1);
    expect(C.off).toBe(48);
  });
  it("discards an unknown option of action 01 without a Parameter Problem", () => {
    let p = pkt(16, HOPOPT);
    put(p + 40, "11 00 47 04 00000000");
    put(p + 48, "9c40 0007 0008 0000");
    expect(walked(p, 16)).toBe(<i32>Drop.EXT_HEADER);
  });
  it("answers action 11 only when the destination is not multicast", () => {
    let p = pkt(16, HOPOPT);
    put(p + 40, "11 00 c7 04 00000000");
    put(p + 48, "9c40 0007 0008 0000");
    expect(walked(p, 16)).toBe(<i32>Drop.PARAM_PROBLEM);
    expect(C.code).toBe(2);
    expect(C.ptr).toBe(42);
    put(p + 24, "ff02 0000 0000 0000 0000 0000 0000 0001");
    expect(walked(p, 16)).toBe(<i32>Drop.EXT_HEADER);
  });
  it("drops a fragment, first or behind Hop-by-Hop, as FRAGMENT", () => {
    let p = pkt(16, FRAGMENT);
    put(p + 40, "11 00 0000 12345678");
    expect(walked(p, 16)).toBe(<i32>Drop.FRAGMENT);
    p = pkt(16, HOPOPT);
    put(p + 40, "2c 00 01 04 00000000");
    put(p + 48, "11 00 0000 12345678");
    expect(walked(p, 16)).toBe(<i32>Drop.FRAGMENT);
  });
  it("walks EXT_MAX extension headers and refuses one more as EXT_HEADER", () => {
    expect(EXT_MAX).toBe(8);
    let p = pkt(8 * 8 + 8, DSTOPT);
    for (let i = 0; i < 8; i++) put(p + 40 + <usize>(8 * i), i < 7 ? "3c 00 01 04 00000000" : "11 00 01 04 00000000");
    expect(walked(p, 72)).toBe(-1);
    expect(C.off).toBe(104);
    p = pkt(9 * 8 + 8, DSTOPT);
    for (let i = 0; i < 9; i++) put(p + 40 + <usize>(8 * i), i < 8 ? "3c 00 01 04 00000000" : "11 00 01 04 00000000");
    expect(walked(p, 80)).toBe(<i32>Drop.EXT_HEADER);
  });
  it("refuses an extension header longer than the packet as EXT_HEADER", () => {
    let p = pkt(8, DSTOPT);
    put(p + 40, "11 01 01 0c 00000000");     // says 16 bytes; 8 are there
    expect(walked(p, 8)).toBe(<i32>Drop.EXT_HEADER);
  });
  it("refuses an extension header cut inside its first 8 bytes as EXT_HEADER", () => {
    let p = pkt(4, HOPOPT);
    put(p + 40, "11 00 01 02");
    expect(walked(p, 4)).toBe(<i32>Drop.EXT_HEADER);
  });
});

describe("routingProblem", () => {
  it("answers segments left 1 with code 0 pointing at the routing type", () => {
    let p = pkt(16, ROUTING);
    put(p + 40, "11 00 04 01 00000000");     // next UDP, len 0, type 4, segments left 1
    put(p + 48, "9c40 0007 0008 0000");
    expect(check(p, 56)).toBe(-1);
    expect(routingProblem(p, C)).toBe(<i32>Drop.PARAM_PROBLEM);
    expect(C.code).toBe(0);
    expect(C.ptr).toBe(42);
  });
  it("finds the Routing header behind Hop-by-Hop", () => {
    let p = pkt(24, HOPOPT);
    put(p + 40, "2b 00 01 04 00000000");
    put(p + 48, "11 00 04 02 00000000");
    put(p + 56, "9c40 0007 0008 0000");
    expect(check(p, 64)).toBe(-1);
    expect(routingProblem(p, C)).toBe(<i32>Drop.PARAM_PROBLEM);
    expect(C.ptr).toBe(50);
  });
  it("lets a Routing header with no segments left pass", () => {
    let p = pkt(16, ROUTING);
    put(p + 40, "11 00 04 00 00000000");
    put(p + 48, "9c40 0007 0008 0000");
    expect(check(p, 56)).toBe(-1);
    expect(routingProblem(p, C)).toBe(-1);
  });
});
