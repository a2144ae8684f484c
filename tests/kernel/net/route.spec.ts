// kernel/net/route.ts: longest-prefix match over overlapping entries (RFC 7608: any
// length), the tie rule (the entry added first wins), the next hop, and "no route".
// The table only grows, so the tests run in order: empty, filled, full.
import { RouteKind } from "../../../abi/status";
import { ROUTE_MAX, ROUTE_MANIFEST_MAX, ROUTE_LEARNED_MAX } from "../../../kernel/param";
import { routeAdd, routeAddService, routeRemoveService, lookup, nextHop, isOwn, ownRoute, routeCount, routeKind, routeNic, routeSvc, routeAddrIndex } from "../../../kernel/net/route";
import { addr, firstDiff } from "../frames";

describe("lookup", () => {
  it("finds no route in an empty table", () => {
    expect(lookup(addr("2001:db8::1"))).toBe(-1);
  });
  it("refuses a prefix length over 128", () => {
    expect(routeAdd(RouteKind.STATIC, addr("2001:db8::"), 129, 0, 0, 0)).toBe(-1);
    expect(routeCount).toBe(0);
  });
  it("finds no route when no entry covers the destination", () => {
    expect(routeAdd(RouteKind.CONNECTED, addr("2001:db8::"), 48, 1, 0, 0)).toBe(0);
    expect(lookup(addr("2001:db9::1"))).toBe(-1);
  });
  it("picks the longest of overlapping /0, /48, /64 and /128 entries", () => {
    expect(routeAdd(RouteKind.STATIC, addr("::"), 0, 0, 0, addr("fe80::1"))).toBe(1);
    expect(routeAdd(RouteKind.CONNECTED, addr("2001:db8:0:5::"), 64, 2, 0, 0)).toBe(2);
    expect(routeAdd(RouteKind.LOCAL, addr("2001:db8:0:5::9"), 128, 3, 0, 0)).toBe(3);
    expect(lookup(addr("2001:db8:0:5::9"))).toBe(3);
    expect(routeKind(3)).toBe(RouteKind.LOCAL);
    expect(routeNic(3)).toBe(3);
    expect(lookup(addr("2001:db8:0:5::8"))).toBe(2);
    expect(lookup(addr("2001:db8:0:6::1"))).toBe(0);
    expect(routeNic(0)).toBe(1);
    expect(lookup(addr("2001:db9::1"))).toBe(1);
    expect(routeKind(1)).toBe(RouteKind.STATIC);
  });
  it("gives a tie to the entry added first", () => {
    expect(routeAdd(RouteKind.STATIC, addr("2001:db8::"), 48, 4, 0, 0)).toBe(4);
    expect(lookup(addr("2001:db8:0:6::1"))).toBe(0);
    expect(routeNic(0)).toBe(1);
  });
  it("returns the gateway as next hop, or the destination itself on-link", () => {
    let far = addr("2001:db9::1");
    expect(firstDiff(nextHop(lookup(far), far), addr("fe80::1"), 16)).toBe(-1);
    let near = addr("2001:db8:0:5::8");
    expect(nextHop(lookup(near), near)).toBe(near);
  });
  it("counts as own only a LOCAL or SERVICE /128", () => {
    expect(isOwn(addr("2001:db8:0:5::9"))).toBe(true);
    expect(isOwn(addr("2001:db8:0:5::8"))).toBe(false);
    expect(routeAddService(addr("2001:db8:0:7::7"), 2, 1)).toBe(5);
    expect(isOwn(addr("2001:db8:0:7::7"))).toBe(true);
    expect(ownRoute(addr("2001:db8:0:7::7"))).toBe(5);
    expect(routeAdd(RouteKind.STATIC, addr("2001:db8:0:7::8"), 128, 0, 0, 0)).toBe(6);
    expect(isOwn(addr("2001:db8:0:7::8"))).toBe(false);
    expect(ownRoute(addr("2001:db8:0:7::8"))).toBe(-1);
  });
  it("keeps a service route's address index apart from any NIC", () => {
    expect(routeKind(5)).toBe(RouteKind.SERVICE);
    expect(routeSvc(5)).toBe(2);
    expect(routeAddrIndex(5)).toBe(1);
    expect(routeNic(5)).toBe(0);
  });
  it("forgets a service's own /128s when they are removed, and keeps the others", () => {
    for (let i = 0; i < 50; i++) routeAddService(addr("2001:db8:9::" + (i + 1).toString(16)), 3, 0);
    for (let i = 0; i < 50; i++) expect(isOwn(addr("2001:db8:9::" + (i + 1).toString(16)))).toBe(true);
    routeRemoveService(3);
    for (let i = 0; i < 50; i++) expect(isOwn(addr("2001:db8:9::" + (i + 1).toString(16)))).toBe(false);
    expect(isOwn(addr("2001:db8:0:7::7"))).toBe(true, "service 2's address is still its own");
    expect(isOwn(addr("2001:db8:0:5::9"))).toBe(true, "and so is the LOCAL one");
    let strangers = 0;
    for (let i = 0; i < 1000; i++) if (isOwn(addr("2001:db8:77::" + i.toString(16)))) strangers++;
    expect(strangers).toBe(0, "no stranger is taken for the node");
  });
  it("refuses a manifest entry past ROUTE_MANIFEST_MAX and a learned one past ROUTE_LEARNED_MAX: ROUTE_MAX in all", () => {
    let p = addr("3fff::");
    for (let k = 0; k < ROUTE_MAX && routeAdd(RouteKind.STATIC, p, 16, 0, 0, 0) >= 0; k++) {}
    expect(routeAdd(RouteKind.STATIC, p, 16, 0, 0, 0)).toBe(-1);
    expect(routeCount).toBe(ROUTE_MANIFEST_MAX);
    for (let k = 0; k < ROUTE_MAX && routeAdd(RouteKind.STATIC, p, 16, 0, 0, 0, true) >= 0; k++) {}
    expect(routeAdd(RouteKind.STATIC, p, 16, 0, 0, 0, true)).toBe(-1);
    expect(routeCount).toBe(ROUTE_MAX);
    expect(ROUTE_MAX).toBe(ROUTE_MANIFEST_MAX + ROUTE_LEARNED_MAX);
  });
});
