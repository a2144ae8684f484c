// kernel/boot.ts through k_boot (kernel/main.ts): a hand-built manifest (abi/manifest.ts)
// boots and fills the tables; each malformed record refuses the boot with -EBADMSG and one
// log line naming the record (index, type) and field at fault. A kernel boots once, so the
// refusals run first, each with ids and addresses the good manifest does not use (a
// refused boot is not undone: see boot-retry.spec.ts).
import { Errno } from "../../abi/errno";
import { Buf, NicKind } from "../../abi/kernel";
import { CapKind, RIGHT_SEND, RIGHT_RECV, RIGHT_READ, RIGHT_WRITE, RIGHT_DERIVE } from "../../abi/caps";
import { RouteKind } from "../../abi/status";
import { BOOT_SIZE } from "../../kernel/param";
import { k_boot, k_buf } from "../../kernel/main";
import { booted, role } from "../../kernel/boot";
import { nicValid, nicMtu } from "../../kernel/net/iface";
import { lookup, ownRoute, routeKind, routeNic, routeSvc, nextHop } from "../../kernel/net/route";
import { svcByName } from "../../kernel/svc/registry";
import { capFind, resolve, capRights, capExtOff, capExtLen } from "../../kernel/svc/caps";
import { addr, firstDiff, put } from "./frames";
import { mfStart, mfEnd, mfRecord, mfNode, mfNic, mfPrefix, mfRoute, mfService, mfSvcAddr, mfDisk,
  mfCapDisk, mfUser, mfUserPrefix } from "./manifest";
import { logCount, lastLog } from "./mock";

const M: usize = memory.data(4096, 16);

/** Boot from the first len bytes at M (all of the manifest just built if len is -1). */
function boot(len: i32 = -1): i32 {
  if (len < 0) len = mfEnd();
  memory.copy(<usize>k_buf(Buf.BOOT), M, <usize>len);
  return k_boot(len, 1000);
}

/** Boot is refused with -EBADMSG and one log line blaming `at` ("record 1 (type 2), mtu"). */
function refused(at: string, len: i32 = -1): void {
  let logs = logCount();
  expect(boot(len)).toBe(-Errno.EBADMSG);
  expect(logCount()).toBe(logs + 1);
  let line = lastLog();
  let a = line.indexOf("refused: ") + 9;
  expect(line.substring(a, line.indexOf(": ", a))).toBe(at);
}

describe("k_boot refuses", () => {
  it("a length over the boot buffer with -EINVAL", () => {
    expect(k_boot(BOOT_SIZE + 1, 0)).toBe(-Errno.EINVAL);
    expect(k_boot(-1, 0)).toBe(-Errno.EINVAL);
  });
  it("a manifest shorter than its header", () => {
    mfStart(M);
    refused("header, header", 7);
  });
  it("a bad magic", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    put(M, "50 52 53 42");                   // "PRSB"
    refused("header, magic");
  });
  it("an unknown version", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    put(M + 4, "03 00");                     // version 3: past MF_VERSION 2
    refused("header, version");
  });
  it("a record whose body runs past the end", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    mfNic(7, 1500, "02:00:00:00:00:07");
    refused("record 1 (type 2), length", mfEnd() - 4);
  });
  it("a record count larger than the records present", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    let n = mfEnd();
    put(M + 6, "02 00");
    refused("record 1 (type 1), header", n);
  });
  it("bytes after the last record", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    refused("header, length", mfEnd() + 4);
  });
  it("an unknown record type", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    mfRecord(200, 4);
    refused("record 1 (type 200), type");
  });
  it("a manifest without a NODE record", () => {
    mfStart(M);
    refused("header, node");
  });
  it("a NODE name that is not a valid domain", () => {
    mfStart(M);
    mfNode(0, "N1.test");
    refused("record 0 (type 1), name");
  });
  it("an MTU below 1280 or above 9000", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    mfNic(7, 1279, "02:00:00:00:00:07");
    refused("record 1 (type 2), mtu");
    mfStart(M);
    mfNode(0, "n1.test");
    mfNic(7, 9001, "02:00:00:00:00:07");
    refused("record 1 (type 2), mtu");
    expect(nicValid(7)).toBe(false);
  });
  it("a group MAC for a NIC", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    mfNic(7, 1500, "03:00:00:00:00:07");
    refused("record 1 (type 2), mac");
    expect(nicValid(7)).toBe(false);
  });
  it("a NIC kind above VIRTIO (VIRTIO itself boots on metal: tests/metal)", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    mfNic(7, 1500, "02:00:00:00:00:07");
    store<u8>(M + mfEnd() - 10 + 1, <u8>(NicKind.VIRTIO + 1));  // the kind byte of the last record
    refused("record 1 (type 2), kind");
    expect(nicValid(7)).toBe(false);
  });
  it("a PREFIX on a NIC that does not exist", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    mfPrefix(6, 64, "fd00:6::");
    refused("record 1 (type 3), nic");
  });
  it("an address already owned by a service", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    mfService(9, "dup.n1.test");
    mfSvcAddr(9, "fd00:9::1");
    mfSvcAddr(9, "fd00:9::1");
    refused("record 3 (type 6), address");
  });
  it("a disk extent that ends past the disk, or starts past it", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    mfDisk(5, 4096);
    mfService(11, "disk.n1.test");
    mfCapDisk(11, 5, RIGHT_READ, 4000, 97);
    refused("record 3 (type 8), extent");
    mfStart(M);
    mfNode(0, "n1.test");
    mfDisk(6, 4096);
    mfService(12, "disk2.n1.test");
    mfCapDisk(12, 6, RIGHT_READ, 4097, 0);
    refused("record 3 (type 8), extent");
  });
  it("a disk extent of length 2^64 - 1 that would wrap around", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    mfDisk(7, 4096);
    mfService(13, "disk3.n1.test");
    mfCapDisk(13, 7, RIGHT_READ, 1, 0xffffffffffffffff);
    refused("record 3 (type 8), extent");
  });
  it("a USER key of small order (anyone could sign as it) or that is not a point", () => {
    // The identity (order 1), a point of order 8 (libsodium's blocklist), and y = 2^255 - 1 > p.
    let keys = ["01" + "00".repeat(31), "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
      "ff".repeat(31) + "7f"];
    for (let i = 0; i < keys.length; i++) {
      mfStart(M);
      mfNode(0, "n.test");
      mfUser(keys[i], "eve", "e.sabz.city");
      refused("record 1 (type 14), key");
    }
  });

  it("a USER_PREFIX that shares addresses with another user's", () => {
    mfStart(M);
    mfNode(0, "n.test");
    mfUser("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "alice", "a.sabz.city");
    mfUser("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "bob", "b.sabz.city");  // RFC 8032 test 2
    mfUserPrefix("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", 64, "fd00:9::");
    mfUserPrefix("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", 120, "fd00:9::100");
    refused("record 4 (type 16), prefix");
  });

  it("has not booted after any refusal", () => {
    expect(booted).toBe(false);
  });
});

describe("k_boot with a good manifest", () => {
  it("boots and returns 0", () => {
    mfStart(M);
    mfNode(2, "r1.test");
    mfUser("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "alice", "a.r1.test"); // RFC 8032 §7.1 test 1
    mfNic(0, 1500, "02:00:00:00:00:01");
    mfPrefix(0, 64, "fd00:1::");
    mfRoute(0, 0, "::", "fe80::1");
    mfDisk(0, 4096);
    mfService(0, "echo.r1.test");
    mfSvcAddr(0, "fd00:1::7");
    mfCapDisk(0, 0, RIGHT_READ | RIGHT_WRITE | RIGHT_DERIVE, 0, 4096);
    expect(boot()).toBe(0);
    expect(booted).toBe(true);
    expect(role).toBe(2);
  });
  it("adds the NIC, its link-local and prefix addresses as the node's own", () => {
    expect(nicValid(0)).toBe(true);
    expect(nicMtu[0]).toBe(1500);
    expect(routeKind(ownRoute(addr("fe80::ff:fe00:1")))).toBe(RouteKind.LOCAL);
    expect(routeKind(ownRoute(addr("fd00:1::ff:fe00:1")))).toBe(RouteKind.LOCAL);
    expect(routeKind(lookup(addr("fd00:1::99")))).toBe(RouteKind.CONNECTED);
  });
  it("routes everything else through the default route's gateway", () => {
    let d = addr("2001:db8::1");
    let r = lookup(d);
    expect(r).toBeGreaterThanOrEqual(0);
    expect(routeKind(r)).toBe(RouteKind.STATIC);
    expect(routeNic(r)).toBe(0);
    expect(firstDiff(nextHop(r, d), addr("fe80::1"), 16)).toBe(-1);
  });
  it("registers the service, routes its address to it and grants ADDR send|recv|derive", () => {
    let name = addr("::");
    put(name, "65 63 68 6f 2e 72 31 2e 74 65 73 74");  // "echo.r1.test"
    expect(svcByName(name, 12)).toBe(0);
    let r = ownRoute(addr("fd00:1::7"));
    expect(r).toBeGreaterThanOrEqual(0);
    expect(routeKind(r)).toBe(RouteKind.SERVICE);
    expect(routeSvc(r)).toBe(0);
    let s = resolve(0, capFind(0, CapKind.ADDR, 0));
    expect(s).toBeGreaterThanOrEqual(0);
    expect(capRights(0, s)).toBe(RIGHT_SEND | RIGHT_RECV | RIGHT_DERIVE);
  });
  it("grants the disk extent that fills the whole disk", () => {
    let s = resolve(0, capFind(0, CapKind.DISK, 0));
    expect(s).toBeGreaterThanOrEqual(0);
    expect(capRights(0, s)).toBe(RIGHT_READ | RIGHT_WRITE | RIGHT_DERIVE);
    expect(capExtOff(0, s)).toBe(0);
    expect(capExtLen(0, s)).toBe(4096);
  });
  it("refuses a second boot with -EINVAL", () => {
    expect(boot()).toBe(-Errno.EINVAL);
  });
});
