// kernel/ctl/authority.ts on a node booted from hand-built records (abi/manifest.ts), with
// delegations the manifest loader would refuse — a prefix behind a static route, one wider
// than a connected prefix — so that the kernel's own checks are seen to hold without the
// loader: what a LOAD may claim is decided here again, whatever manifest booted the node.
// Router r1.test: NIC 0 on fd00:1::/64 (the node is fd00:1::ff:fe00:1), a route to
// fd00:99::/48 and to fd00:98::/48 via fd00:1::ff:fe00:99, a default route; alice (RFC 8032
// test 1's key) is given fd00:1::ff:fe00:0/120, fd00:1::/112, fd00:1::fdff:ffff:ffff:ff00/120,
// fd00:99::/64, fd00::/16 and disk 0's first 256 KiB read-only; s0.r1.test (the owner's)
// holds the disk's first 64 KiB, x.a.r1.test is alice's.
import { Errno } from "../../../abi/errno";
import { RIGHT_READ, RIGHT_WRITE, RIGHT_DERIVE } from "../../../abi/caps";
import { k_poll } from "../../../kernel/main";
import { mayClaimAddress, mayGrantExtent } from "../../../kernel/ctl/authority";
import { userByKey } from "../../../kernel/ctl/users";
import { svcOwner } from "../../../kernel/svc/registry";
import { addr, hexBuf, nsFrame, echoFrame } from "../frames";
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix, mfRoute, mfDisk, mfService, mfSvcAddr, mfCapDisk, mfUser,
  mfUserPrefix, mfUserDisk } from "../manifest";
import { rx, bootFrom } from "../drive";
import { lastLog } from "../mock";
import { RouteKind } from "../../../abi/status";
import { routeFind, routeDelete, routeUsed, routeHigh, routeCount } from "../../../kernel/net/route";

const KEY = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const M: usize = memory.data(2048, 16);
const F: usize = memory.data(256, 16);
let alice = -1;

function claim(a: string): i32 { return mayClaimAddress(alice, addr(a)); }

describe("what a control message may claim", () => {
  it("boots with the delegations", () => {
    mfStart(M);
    mfNode(2, "r1.test");
    mfUser(KEY, "alice", "a.r1.test");
    mfNic(0, 1500, "02:00:00:00:00:01");
    mfPrefix(0, 64, "fd00:1::");
    mfRoute(0, 48, "fd00:99::", "fe80::1");
    mfRoute(0, 48, "fd00:98::", "fd00:1::ff:fe00:99");
    mfRoute(0, 0, "::", "fe80::1");
    mfDisk(0, 1 << 20);
    mfUserPrefix(KEY, 120, "fd00:1::ff:fe00:0");
    mfUserPrefix(KEY, 112, "fd00:1::");
    mfUserPrefix(KEY, 120, "fd00:1::fdff:ffff:ffff:ff00");
    mfUserPrefix(KEY, 64, "fd00:99::");
    mfUserPrefix(KEY, 16, "fd00::");
    mfUserDisk(KEY, 0, RIGHT_READ, 0, 256 << 10);
    mfService(0, "s0.r1.test");
    mfSvcAddr(0, "fd00:1::7");
    mfCapDisk(0, 0, RIGHT_READ | RIGHT_WRITE | RIGHT_DERIVE, 0, 64 << 10);
    mfService(1, "x.a.r1.test");
    mfSvcAddr(1, "fd00:1::ff:fe00:a");
    expect(bootFrom(M, mfEnd(), 1000)).toBe(0);
    alice = userByKey(hexBuf(KEY));
    expect(alice).toBe(0);
    expect(<i32>svcOwner[0]).toBe(-1, "s0.r1.test is the owner's");
    expect(<i32>svcOwner[1]).toBe(alice, "x.a.r1.test is under alice's domain");
  });

  it("refuses an address outside every delegated prefix", () => {
    expect(claim("2001:db8::1")).toBe(-Errno.EACCES);
    expect(lastLog()).toBe("control message refused: 2001:db8::1 is not in a prefix the node's owner gave alice (users[].addresses in the node's manifest)");
  });

  it("refuses the node's own address even inside a delegated prefix", () => {
    expect(claim("fd00:1::ff:fe00:1")).toBe(-Errno.EACCES);
    expect(lastLog()).toBe("control message refused: fd00:1::ff:fe00:1 is one of the node's own addresses");
  });

  it("refuses an address reached through a static route, though delegated", () => {
    expect(claim("fd00:99::5")).toBe(-Errno.EACCES);
    expect(lastLog()).toBe("control message refused: fd00:99::5 is reached through the route to fd00:99::/48: it belongs to a network beyond this node");
  });

  it("refuses an address of a connected prefix given only by a wider delegation", () => {
    expect(claim("fd00:1::1:5")).toBe(-Errno.EACCES);
    expect(lastLog()).toBe("control message refused: fd00:1::1:5 is in the connected prefix fd00:1::/64, which the node's owner did not delegate: the prefix given to alice is wider than it");
  });

  it("refuses a connected prefix's subnet-router and reserved anycast addresses, and a route's next hop", () => {
    // A router answers at its Subnet-Router anycast address (kernel/boot.ts); the refusal
    // names it as such before calling it one of the node's own.
    expect(claim("fd00:1::")).toBe(-Errno.EACCES);
    expect(lastLog()).toBe("control message refused: fd00:1:: is a subnet anycast address of the connected prefix fd00:1::/64 (RFC 4291 §2.6.1, RFC 2526): its routers'");
    expect(claim("fd00:1::fdff:ffff:ffff:ff80")).toBe(-Errno.EACCES);
    expect(lastLog()).toBe("control message refused: fd00:1::fdff:ffff:ffff:ff80 is a subnet anycast address of the connected prefix fd00:1::/64 (RFC 4291 §2.6.1, RFC 2526): its routers'");
    expect(claim("fd00:1::fdff:ffff:ffff:ffff")).toBe(-Errno.EACCES);
    expect(claim("fd00:1::fdff:ffff:ffff:ff7f")).toBe(0, "just below RFC 2526's range");
    expect(claim("fd00:1::ff:fe00:99")).toBe(-Errno.EACCES);
    expect(lastLog()).toBe("control message refused: fd00:1::ff:fe00:99 is the next hop of the route to fd00:98::/48");
  });

  it("accepts an address of a delegation inside a connected prefix, and one beyond only the default route", () => {
    expect(claim("fd00:1::ff:fe00:b")).toBe(0);
    expect(claim("fd00:55::1")).toBe(0);
  });

  it("refuses an address a neighbor on the link is using, not one a solicitation alone named", () => {
    rx(0, F, nsFrame(F, "33:33:ff:00:00:01", "02:00:00:00:00:cc", 255, "fd00:1::ff:fe00:c", "ff02::1:ff00:1", "fd00:1::ff:fe00:1",
      "02:00:00:00:00:cc"), 1001);
    k_poll(1001);
    expect(claim("fd00:1::ff:fe00:c")).toBe(0, "a STALE entry from its solicitation proves nothing");
    rx(0, F, echoFrame(F, "02:00:00:00:00:01", "02:00:00:00:00:cc", 64, "fd00:1::ff:fe00:c", "fd00:1::ff:fe00:1", 128, 1, 1, "00"), 1002);
    k_poll(1002);                            // the node answers it: the entry is in use (DELAY)
    expect(claim("fd00:1::ff:fe00:c")).toBe(-Errno.EEXIST);
    expect(lastLog()).toBe("control message refused: fd00:1::ff:fe00:c is in use by a neighbor on NIC 0");
  });

  it("grants extents only inside alice's, with no more rights, and not over the owner's service's bytes", () => {
    expect(mayGrantExtent(alice, 1, 0, RIGHT_READ | RIGHT_DERIVE, 64 << 10, 4096)).toBe(0);
    expect(mayGrantExtent(alice, 1, 0, RIGHT_READ | RIGHT_WRITE, 64 << 10, 4096)).toBe(-Errno.EACCES, "write on a read-only delegation");
    expect(mayGrantExtent(alice, 1, 0, RIGHT_READ, 255 << 10, 2 << 10)).toBe(-Errno.EACCES, "across its end");
    expect(mayGrantExtent(alice, 1, 0, RIGHT_READ, 0xffffffffffffff00, 0x200)).toBe(-Errno.EACCES, "an extent that wraps around");
    expect(mayGrantExtent(alice, 1, 0, RIGHT_READ, 60 << 10, 8 << 10)).toBe(-Errno.EEXIST);
    expect(lastLog()).toBe("control message refused: the extent at 61440 of 8192 bytes of disk 0 overlaps one that s0.r1.test, a service of another owner, holds");
  });

  // Last: it empties the routing table around one route.
  it("refuses a route's next hop though the slots below it were freed (the walk goes to routeHigh, not routeCount)", () => {
    let via = addr("fd00:1::ff:fe00:99");
    let v = routeFind(RouteKind.STATIC, addr("fd00:98::"), 48, 0, via);
    expect(v >= 0).toBe(true, "the route via fd00:1::ff:fe00:99");
    for (let i = 0; i < routeHigh; i++) if (i != v && routeUsed(i)) routeDelete(i);
    expect(routeCount).toBe(1);
    expect(v >= routeCount).toBe(true, "the route lies past routeCount");
    expect(claim("fd00:1::ff:fe00:99")).toBe(-Errno.EACCES);
    expect(lastLog()).toBe("control message refused: fd00:1::ff:fe00:99 is the next hop of the route to fd00:98::/48");
  });
});
