// kernel/net/route.ts's memory of the last destination looked up: every change to the
// table (a route added, one deleted, a service's addresses removed, the table reset)
// must drop it, so that the same destination asked again gets the new answer — for a
// route, and for whether an address is the node's own (isOwn walks lookup() too).
import { RouteKind } from "../../../abi/status";
import { routeAdd, routeAddService, routeRemoveService, routeDelete, routeReset, lookup, isOwn, routeNic } from "../../../kernel/net/route";
import { addr } from "../frames";

describe("the last destination looked up", () => {
  it("answers again from the memory while nothing changed", () => {
    routeReset();
    expect(routeAdd(RouteKind.CONNECTED, addr("2001:db8::"), 48, 1, 0, 0)).toBe(0);
    expect(lookup(addr("2001:db8:0:1::5"))).toBe(0);
    expect(lookup(addr("2001:db8:0:1::5"))).toBe(0);
    expect(lookup(addr("2001:db9::5"))).toBe(-1, "another destination is not the one remembered");
  });

  it("tells apart destinations that differ only in their last byte or their second half", () => {
    expect(routeAdd(RouteKind.STATIC, addr("2001:db8::5"), 128, 3, 0, 0)).toBe(1);
    expect(lookup(addr("2001:db8::5"))).toBe(1);
    expect(lookup(addr("2001:db8::4"))).toBe(0, "the last byte differs");
    expect(lookup(addr("2001:db8::5"))).toBe(1);
    expect(lookup(addr("2001:db8:0:0:8000::5"))).toBe(0, "the second half differs");
    expect(lookup(addr("2001:db8::5"))).toBe(1);
    routeDelete(1);
    expect(lookup(addr("2001:db8::5"))).toBe(0);
  });

  it("sees a route added after the lookup", () => {
    expect(lookup(addr("2001:db8:0:1::5"))).toBe(0);
    expect(routeAdd(RouteKind.STATIC, addr("2001:db8:0:1::"), 64, 2, 0, 0)).toBe(1);
    expect(lookup(addr("2001:db8:0:1::5"))).toBe(1, "the longer route added since");
    expect(routeNic(lookup(addr("2001:db8:0:1::5")))).toBe(2);
  });

  it("sees a route deleted after the lookup", () => {
    expect(lookup(addr("2001:db8:0:1::5"))).toBe(1);
    routeDelete(1);
    expect(lookup(addr("2001:db8:0:1::5"))).toBe(0, "back to the /48");
  });

  it("sees an own address added and removed after the lookup", () => {
    expect(isOwn(addr("2001:db8:0:1::5"))).toBe(false);
    expect(lookup(addr("2001:db8:0:1::5"))).toBe(0);
    expect(routeAddService(addr("2001:db8:0:1::5"), 4, 0)).toBe(1);
    expect(isOwn(addr("2001:db8:0:1::5"))).toBe(true, "a service's address now");
    expect(lookup(addr("2001:db8:0:1::5"))).toBe(1);
    routeRemoveService(4);
    expect(isOwn(addr("2001:db8:0:1::5"))).toBe(false, "the service's address is gone");
    expect(lookup(addr("2001:db8:0:1::5"))).toBe(0);
  });

  it("sees the table reset after the lookup", () => {
    expect(lookup(addr("2001:db8:0:1::5"))).toBe(0);
    routeReset();
    expect(lookup(addr("2001:db8:0:1::5"))).toBe(-1, "no route in an empty table");
  });
});
