// wire/addr.ts: prefix match at every boundary, and the MAC- and address-derived
// forms (RFC 4291 §2.7.1 solicited-node, App. A modified EUI-64, RFC 2464 §7 multicast MAC).
import { prefixMatch, isSolicitedFor, isSolicitedNode, solicitedNode, eui64, linkLocal, multicastMac,
  isLinkLocal, isMulticast, isAllNodes, isAllRouters, isLoopback, isUnspecified } from "../../../wire/addr";
import { addr, hexBuf, firstDiff } from "../frames";

// fd00:5ab2:1::7 and fd00:5ab2:1::6 differ only in the last bit; fd00:5ab2:1:0:8000::
// differs from fd00:5ab2:1:: in bit 64 (the first of the interface identifier).
const a = addr("fd00:5ab2:1::7");

describe("prefixMatch", () => {
  it("matches everything at /0", () => {
    expect(prefixMatch(a, addr("2001:db8::"), 0)).toBe(true);
    expect(prefixMatch(a, addr("ff02::1"), 0)).toBe(true);
  });
  it("compares the first 64 bits at /64 and ignores the interface identifier", () => {
    expect(prefixMatch(a, addr("fd00:5ab2:1::"), 64)).toBe(true);
    expect(prefixMatch(a, addr("fd00:5ab2:2::7"), 64)).toBe(false);
    expect(prefixMatch(addr("fd00:5ab2:1:0:8000::"), addr("fd00:5ab2:1::"), 64)).toBe(true);
    expect(prefixMatch(addr("fd00:5ab2:1:0:8000::"), addr("fd00:5ab2:1::"), 65)).toBe(false);
  });
  it("at /63 ignores bit 63 and at /64 does not", () => {
    expect(prefixMatch(addr("fd00:5ab2:1:1::"), addr("fd00:5ab2:1::"), 63)).toBe(true);
    expect(prefixMatch(addr("fd00:5ab2:1:1::"), addr("fd00:5ab2:1::"), 64)).toBe(false);
  });
  it("at /127 ignores only the last bit", () => {
    expect(prefixMatch(a, addr("fd00:5ab2:1::6"), 127)).toBe(true);
    expect(prefixMatch(a, addr("fd00:5ab2:1::5"), 127)).toBe(false);
  });
  it("at /128 needs every bit", () => {
    expect(prefixMatch(a, addr("fd00:5ab2:1::7"), 128)).toBe(true);
    expect(prefixMatch(a, addr("fd00:5ab2:1::6"), 128)).toBe(false);
    expect(prefixMatch(a, addr("fd00:5ab2:1:0:8000::7"), 128)).toBe(false);
  });
});

describe("solicited-node multicast", () => {
  it("is ff02::1:ff and the low 24 bits of the target", () => {
    let g = addr("::");
    solicitedNode(g, addr("fd00:5ab2:1::ab:cdef"));
    expect(firstDiff(g, addr("ff02::1:ffab:cdef"), 16)).toBe(-1);
  });
  it("is recognised for its target only", () => {
    let t = addr("fd00:5ab2:1::ab:cdef");
    expect(isSolicitedFor(addr("ff02::1:ffab:cdef"), t)).toBe(true);
    expect(isSolicitedFor(addr("ff02::1:ffab:cdee"), t)).toBe(false);
    expect(isSolicitedFor(addr("ff02::1:feab:cdef"), t)).toBe(false);
    expect(isSolicitedNode(addr("ff02::1:ff00:1"))).toBe(true);
    expect(isSolicitedNode(addr("ff02::2:ff00:1"))).toBe(false);
  });
});

describe("MAC-derived forms", () => {
  it("flips the universal/local bit and inserts ff:fe for the modified EUI-64", () => {
    let a = addr("fe80::");
    eui64(a, hexBuf("00:1b:21:3c:4d:5e"));
    expect(firstDiff(a, addr("fe80::21b:21ff:fe3c:4d5e"), 16)).toBe(-1);
  });
  it("forms fe80::/64 + EUI-64 as the link-local address", () => {
    let a = addr("2001:db8::1");
    linkLocal(a, hexBuf("02:00:00:00:00:01"));
    expect(firstDiff(a, addr("fe80::ff:fe00:1"), 16)).toBe(-1);
    expect(isLinkLocal(a)).toBe(true);
  });
  it("maps a multicast group to 33:33 and its low 32 bits", () => {
    let mac = hexBuf("00 00 00 00 00 00");
    multicastMac(mac, addr("ff02::1:ff00:7"));
    expect(firstDiff(mac, hexBuf("33:33:ff:00:00:07"), 6)).toBe(-1);
    multicastMac(mac, addr("ff02::1"));
    expect(firstDiff(mac, hexBuf("33:33:00:00:00:01"), 6)).toBe(-1);
  });
});

describe("address classes", () => {
  it("recognises fe80::/10 as link-local and nothing next to it", () => {
    expect(isLinkLocal(addr("febf::1"))).toBe(true);
    expect(isLinkLocal(addr("fec0::1"))).toBe(false);
    expect(isLinkLocal(addr("fe7f::1"))).toBe(false);
  });
  it("recognises multicast, all-nodes, all-routers, loopback and unspecified", () => {
    expect(isMulticast(addr("ff05::2"))).toBe(true);
    expect(isMulticast(addr("fe80::ff"))).toBe(false);
    expect(isAllNodes(addr("ff02::1"))).toBe(true);
    expect(isAllNodes(addr("ff01::1"))).toBe(false);
    expect(isAllRouters(addr("ff02::2"))).toBe(true);
    expect(isAllRouters(addr("ff02::1"))).toBe(false);
    expect(isLoopback(addr("::1"))).toBe(true);
    expect(isLoopback(addr("::"))).toBe(false);
    expect(isUnspecified(addr("::"))).toBe(true);
    expect(isUnspecified(addr("::1"))).toBe(false);
  });
});
