// The client role through the kernel's exports (kernel/net/slaac.ts, routers.ts): the
// AUTOCONF and SVC_LEARNED boot records' checks; DAD (RFC 4862 §5.4) for the link-local,
// the node's manifest address and a service's, byte for byte, and a duplicate found by an
// NA; the router solicitation after the link-local passed (RFC 4861 §6.3.7); an RA's
// prefix, MTU and router taken (§6.3.4) and addresses formed with the RFC 7217 identifiers
// (the expected addresses are literals computed outside the kernel, with Python's hashlib:
// SHA-512(prefix[0..8] ‖ name ‖ counter ‖ 16 zero bytes)); renumbering, hostile RAs,
// the two-hour rule, expiry, redirects, a router that leaves, and a flood of RAs.
import { Errno } from "../../../abi/errno";
import { Drop } from "../../../abi/drop";
import { AddrState, AddrOrigin, RouteKind } from "../../../abi/status";
import { Sys } from "../../../abi/syscalls";
import { k_poll, k_sys } from "../../../kernel/main";
import { nicMtu } from "../../../kernel/net/iface";
import { lookup, routeKind, routeVia, routeNic, routeAdd, routeCount, ownRoute } from "../../../kernel/net/route";
import { addrHigh, acAddr, acState, acNic, acSvc, acOrigin, acCounter } from "../../../kernel/net/slaac";
import { learnedSource, sourceFor } from "../../../kernel/net/source";
import { chosen, routerAddr, learnedNic, routerNic } from "../../../kernel/net/routers";
import { LEARNED_MAX, ROUTER_MAX, ROUTE_LEARNED_MAX, ROUTE_MANIFEST_MAX } from "../../../kernel/param";
import { svcRx } from "../../../kernel/svc/registry";
import { ETH, IP6, put, putAddr, addr, eth, ip6, sealIcmp6, firstDiff, nsFrame, naFrame, echoFrame } from "../frames";
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix, mfService, mfSvcAddr, mfAutoconf, mfSvcLearned, mfRa } from "../manifest";
import { raFull } from "./client_review";
import { rx, bootFrom, sent, sentLen, dropped } from "../drive";
import { frameCount, framesClear, lastLog, svcMemory, svcGet, svcPut } from "../mock";

const MAC_N = "02:00:00:00:00:01";
const MAC_R = "02:00:00:00:00:aa";
const MAC_X = "02:00:00:00:00:bb";
const LL = "fe80::ff:fe00:1";
const NODE1 = "fd00:1::ff:fe00:1";          // the node's EUI-64 address in its manifest prefix
const KV = "fd00:1::7";                      // kv's manifest address, held by another host
const ROUTER = "fe80::aa";
// RFC 7217 identifiers with no secret (Net_Iface: the MAC for the node, the domain for echo).
const NODE_C1 = "fd00:c1::aa1e:99f:4031:1071";
const ECHO_C1 = "fd00:c1::e75e:adb7:e7d1:241b";
const NODE_C2 = "fd00:c2::1516:55f1:4115:b6c8";
const ECHO_C2 = "fd00:c2::ca88:5dd1:ec2:17c4";
const ECHO_C3 = "fd00:c3::b68:9b39:7e57:782b";
const ECHO_C3_1 = "fd00:c3::e31d:2267:c7bc:6b6f"; // DAD_Counter 1, after a duplicate

const M: usize = memory.data(2048, 16);
const F: usize = memory.data(4096, 16);
const E: usize = memory.data(4096, 16);
const T: i64 = 10000;
let t: i64 = T;

function pollAt(at: i64): i32 {
  framesClear();
  t = at;
  k_poll(t);
  return frameCount();
}

/** The entry of the address in text form in slaac.ts's table, or -1. */
function entry(a: string): i32 {
  let p = addr(a);
  for (let i = 0; i < addrHigh; i++) if (acNic(i) >= 0 && firstDiff(acAddr(i), p, 16) < 0) return i;
  return -1;
}
function stateOf(a: string): i32 { let i = entry(a); return i < 0 ? -1 : <i32>acState(i); }

/** Was a DAD NS for target among the frames sent (from ::, to its group, no options)? */
function dadSent(target: string): bool {
  let len = ETH + IP6 + 24;
  let tp = addr(target);
  eth(E, "33:33:ff:00:00:00", MAC_N);
  put(E + 3, "ff");
  memory.copy(E + 3, tp + 13, 3);
  ip6(E + ETH, 24, 58, 255, "::", "ff02::1:ff00:0");
  memory.copy(E + ETH + 24 + 13, tp + 13, 3);
  put(E + ETH + IP6, "87 00 0000 00000000");
  memory.copy(E + ETH + IP6 + 8, tp, 16);
  sealIcmp6(E + ETH);
  for (let i = 0; i < frameCount(); i++) if (sentLen(i) == len && firstDiff(sent(i), E, len) < 0) return true;
  return false;
}

function ra(src: string, life: u32, p1: string, f1: u32, v1: u32, pr1: u32): void {
  rx(0, F, raFull(F, src, 255, life, 0, 0, 0, p1, 64, f1, v1, pr1, "", 0, 0, 0, 0), t);
}

function ping(dst: string, seq: u32): void {
  framesClear();
  rx(0, F, echoFrame(F, MAC_N, MAC_R, 64, "fd00:c1::99", dst, 128, 7, seq, "61"), t);
}

function refused(field: string): void {
  expect(bootFrom(M, mfEnd(), T)).toBe(-Errno.EBADMSG);
  expect(lastLog().includes(field)).toBe(true);
}

describe("the AUTOCONF and SVC_LEARNED records", () => {
  it("refuses taking configuration from RAs in the router role", () => {
    mfStart(M); mfNode(2, "r1.test"); mfNic(0, 1500, MAC_N); mfAutoconf(0, 1, 1, "");
    refused("record 2 (type 18), flags: a router takes no configuration");
  });
  it("refuses a NIC that both advertises and takes advertisements", () => {
    mfStart(M); mfNode(0, "s1.test"); mfNic(0, 1500, MAC_N); mfRa(0, 0, 64, 200, 600, 0, 0, 0, 100, 50); mfAutoconf(0, 1, 1, "");
    refused("record 3 (type 18), nic: advertises");
  });
  it("refuses more than 10 DAD transmits, unknown flags, a second record, a short one", () => {
    mfStart(M); mfNode(1, "c1.test"); mfNic(0, 1500, MAC_N); mfAutoconf(0, 1, 11, "");
    refused("dad: more than 10");
    mfStart(M); mfNode(1, "c1.test"); mfNic(0, 1500, MAC_N); mfAutoconf(0, 3, 1, "");
    refused("flags: unknown");
    mfStart(M); mfNode(1, "c1.test"); mfNic(0, 1500, MAC_N); mfAutoconf(0, 1, 1, ""); mfAutoconf(0, 1, 1, "");
    refused("two AUTOCONF records");
  });
  it("refuses a learned address on a NIC that takes nothing from RAs", () => {
    mfStart(M); mfNode(1, "c1.test"); mfNic(0, 1500, MAC_N); mfAutoconf(0, 0, 1, "");
    mfService(0, "echo.sabz.city"); mfSvcLearned(0, 0);
    refused("record 4 (type 19), nic: takes no configuration");
  });
});

describe("a client node", () => {
  it("boots: NIC 0 takes RAs with one DAD transmit; kv has a manifest address, echo a learned one", () => {
    mfStart(M);
    mfNode(1, "c1.test");
    mfNic(0, 1500, MAC_N);
    mfPrefix(0, 64, "fd00:1::");
    mfAutoconf(0, 1, 1, "");
    mfService(0, "echo.sabz.city");
    mfSvcLearned(0, 0);
    mfService(1, "kv.sabz.city");
    mfSvcAddr(1, KV);
    expect(bootFrom(M, mfEnd(), T)).toBe(0);
    expect(stateOf(LL)).toBe(AddrState.TENTATIVE);
    expect(stateOf(NODE1)).toBe(AddrState.TENTATIVE);
    expect(stateOf(KV)).toBe(AddrState.TENTATIVE);
  });

  it("sends one DAD solicitation for each address within MAX_RTR_SOLICITATION_DELAY, and no RS yet", () => {
    pollAt(T + 1000);
    expect(dadSent(LL)).toBe(true);
    expect(dadSent(NODE1)).toBe(true);
    expect(dadSent(KV)).toBe(true);
    expect(frameCount()).toBe(3);
  });

  it("drops a packet to a tentative address without a word, and kv may not send from it", () => {
    let before = dropped(Drop.ADDR_TENTATIVE);
    ping(KV, 1);
    expect(dropped(Drop.ADDR_TENTATIVE)).toBe(before + 1);
    expect(frameCount()).toBe(0);
    expect(k_sys(1, Sys.ADDR, 0, 0, 0, 0, 0)).toBe(-Errno.EADDRNOTAVAIL);
    let plen = echoFrame(E, MAC_N, MAC_R, 64, KV, "fd00:1::99", 129, 7, 1, "61") - ETH;
    svcMemory(1, 256);
    svcPut(1, 0, E + ETH, plen);
    expect(k_sys(1, Sys.SEND, 0, plen, 0, 0, 0)).toBe(-Errno.EADDRNOTAVAIL);   // nor send from it
    expect(frameCount()).toBe(0);
  });

  it("marks kv's address a duplicate when another host advertises it, and says so", () => {
    rx(0, F, naFrame(F, "33:33:00:00:00:01", MAC_X, KV, "ff02::1", 0x20000000, KV, MAC_X), t);
    expect(stateOf(KV)).toBe(AddrState.DUPLICATE);
    expect(lastLog()).toBe("address fd00:1::7 on NIC 0 (kv.sabz.city) is a duplicate: another host on the link holds it; the node does not use it: give it another address in the manifest");
  });

  it("uses the others after RetransTimer, then solicits routers from its link-local", () => {
    expect(pollAt(T + 2000)).toBe(1);
    expect(stateOf(LL)).toBe(AddrState.PREFERRED);
    expect(stateOf(NODE1)).toBe(AddrState.PREFERRED);
    expect(stateOf(KV)).toBe(AddrState.DUPLICATE);
    eth(E, "33:33:00:00:00:02", MAC_N);
    ip6(E + ETH, 16, 58, 255, LL, "ff02::2");
    put(E + ETH + IP6, "85 00 0000 00000000 01 01");
    put(E + ETH + IP6 + 10, MAC_N);
    sealIcmp6(E + ETH);
    expect(sentLen(0)).toBe(ETH + IP6 + 16);
    expect(firstDiff(sent(0), E, ETH + IP6 + 16)).toBe(-1);
  });

  it("solicits again RTR_SOLICITATION_INTERVAL later while no router answers", () => {
    expect(pollAt(T + 5999)).toBe(0);
    expect(pollAt(T + 6000)).toBe(1);
  });

  it("takes a router's prefix, MTU and lifetime, and checks the addresses it forms", () => {
    rx(0, F, raFull(F, ROUTER, 255, 1800, 20000, 2000, 1400, "fd00:c1::", 64, 0xc0, 7200, 3600, "", 0, 0, 0, 0), t);
    expect(nicMtu[0]).toBe(1400);
    expect(stateOf(NODE_C1)).toBe(AddrState.TENTATIVE);
    expect(stateOf(ECHO_C1)).toBe(AddrState.TENTATIVE);
    expect(chosen).toBeGreaterThanOrEqual(0);
    expect(firstDiff(routerAddr(chosen), addr(ROUTER), 16)).toBe(-1);
    let r = lookup(addr("2001:db8::1"));
    expect(routeKind(r)).toBe(RouteKind.STATIC);
    expect(firstDiff(routeVia(r), addr(ROUTER), 16)).toBe(-1);
    pollAt(t);
    expect(dadSent(NODE_C1)).toBe(true);
    expect(dadSent(ECHO_C1)).toBe(true);
  });

  it("uses the learned addresses after the advertised RetransTimer (2 s), and delivers to echo", () => {
    pollAt(T + 6000 + 1999);
    expect(stateOf(ECHO_C1)).toBe(AddrState.TENTATIVE);
    pollAt(T + 8000);
    expect(stateOf(ECHO_C1)).toBe(AddrState.PREFERRED);
    expect(stateOf(NODE_C1)).toBe(AddrState.PREFERRED);
    let r = svcRx[0];
    ping(ECHO_C1, 2);
    expect(svcRx[0]).toBe(r + 1);
    svcMemory(0, 64);
    expect(k_sys(0, Sys.ADDR, 0, 16, 0, 0, 0)).toBe(0);
    svcGet(0, 16, E, 16);
    expect(firstDiff(E, addr(ECHO_C1), 16)).toBe(-1);
    sourceFor(0, addr("fd00:c1::99"), E);
    expect(firstDiff(E, addr(NODE_C1), 16)).toBe(-1);
    sourceFor(0, addr("2001:db8::1"), E);              // the manifest prefix's address first
    expect(firstDiff(E, addr(NODE1), 16)).toBe(-1);
  });

  it("stops soliciting once a router answered", () => {
    expect(pollAt(T + 10000)).toBe(0);
  });

  it("ignores hostile RAs: hop limit 64, a global source, bad option lengths, a /48 with A", () => {
    let before = dropped(Drop.ND_INVALID);
    rx(0, F, raFull(F, ROUTER, 64, 0, 0, 0, 1280, "fd00:c1::", 64, 0xc0, 0, 0, "", 0, 0, 0, 0), t);
    rx(0, F, raFull(F, "fd00:c1::66", 255, 0, 0, 0, 1280, "fd00:c1::", 64, 0xc0, 0, 0, "", 0, 0, 0, 0), t);
    let n = raFull(F, ROUTER, 255, 0, 0, 0, 1280, "fd00:c1::", 64, 0xc0, 0, 0, "", 0, 0, 0, 0);
    store<u8>(F + ETH + IP6 + 17, 0);                     // the link-layer option's length: 0
    sealIcmp6(F + ETH);
    rx(0, F, n, t);
    expect(dropped(Drop.ND_INVALID)).toBe(before + 3);
    rx(0, F, raFull(F, ROUTER, 255, 1800, 0, 0, 0, "fd00:99::", 48, 0xc0, 7200, 3600, "", 0, 0, 0, 0), t);
    expect(nicMtu[0]).toBe(1400);
    expect(stateOf(ECHO_C1)).toBe(AddrState.PREFERRED);
    expect(entry("fd00:99::b68:9b39:7e57:782b")).toBe(-1);
    for (let i = 0; i < addrHigh; i++) if (acNic(i) >= 0) expect(load<u16>(acAddr(i), 2)).not.toBe(0x9900);
  });

  it("keeps its router and prefix when a stranger advertises lifetimes of 0", () => {
    rx(0, F, raFull(F, "fe80::bb", 255, 0, 0, 0, 0, "fd00:c1::", 64, 0xc0, 0, 0, "", 0, 0, 0, 0), t);
    expect(firstDiff(routerAddr(chosen), addr(ROUTER), 16)).toBe(-1);
    expect(routeKind(lookup(addr("fd00:c1::99")))).toBe(RouteKind.CONNECTED);
    expect(stateOf(ECHO_C1)).toBe(AddrState.PREFERRED);
  });

  it("renumbers: the old prefix's addresses deprecated, new ones formed and preferred as source", () => {
    rx(0, F, raFull(F, ROUTER, 255, 1800, 0, 0, 0, "fd00:c1::", 64, 0xc0, 7200, 0, "fd00:c2::", 64, 0xc0, 0xffffffff, 0xffffffff), t);
    expect(stateOf(ECHO_C1)).toBe(AddrState.DEPRECATED);
    expect(stateOf(ECHO_C2)).toBe(AddrState.TENTATIVE);
    pollAt(t);
    pollAt(t + 2000);
    expect(stateOf(ECHO_C2)).toBe(AddrState.PREFERRED);
    expect(stateOf(NODE_C2)).toBe(AddrState.PREFERRED);
    expect(firstDiff(learnedSource(0, addr("2001:db8::1")), addr(NODE_C2), 16)).toBe(-1);
    sourceFor(0, addr("fd00:c1::99"), E);              // deprecated: not for new traffic, even in its /64
    expect(firstDiff(E, addr(NODE_C2), 16)).toBe(-1);
    let r = svcRx[0];
    ping(ECHO_C1, 3);                                      // a deprecated address still receives
    expect(svcRx[0]).toBe(r + 1);
  });

  it("keeps what is left of a valid lifetime under two hours when an RA says 0 (RFC 4862 §5.5.3 e)", () => {
    rx(0, F, raFull(F, ROUTER, 255, 1800, 0, 0, 0, "fd00:c1::", 64, 0x40, 0, 0, "", 0, 0, 0, 0), t);
    expect(stateOf(ECHO_C1)).toBe(AddrState.DEPRECATED);
    pollAt(T + 10000 + 7199000);                           // the renumbering RA at T + 10 s gave 7200 s
    expect(stateOf(ECHO_C1)).toBe(AddrState.DEPRECATED);
  });

  it("lets addresses expire with their valid lifetime", () => {
    pollAt(T + 10000 + 7200000);
    expect(entry(ECHO_C1)).toBe(-1);
    expect(entry(NODE_C1)).toBe(-1);
    expect(stateOf(ECHO_C2)).toBe(AddrState.PREFERRED);
  });
});

describe("a duplicate learned address", () => {
  it("takes the next stable identifier (RFC 7217 §6)", () => {
    rx(0, F, raFull(F, ROUTER, 255, 1800, 0, 0, 0, "fd00:c3::", 64, 0xc0, 7200, 3600, "", 0, 0, 0, 0), t);
    expect(stateOf(ECHO_C3)).toBe(AddrState.TENTATIVE);
    rx(0, F, naFrame(F, "33:33:00:00:00:01", MAC_X, ECHO_C3, "ff02::1", 0x20000000, ECHO_C3, MAC_X), t);
    expect(stateOf(ECHO_C3)).toBe(-1);
    expect(stateOf(ECHO_C3_1)).toBe(AddrState.TENTATIVE);
    expect(acCounter(entry(ECHO_C3_1))).toBe(1);
    pollAt(t);
    expect(dadSent(ECHO_C3_1)).toBe(true);
    pollAt(t + 2000);
    expect(stateOf(ECHO_C3_1)).toBe(AddrState.PREFERRED);
  });
});

describe("redirects and a leaving router", () => {
  it("takes a redirect from the current first hop, and refuses one from anyone else", () => {
    let before = dropped(Drop.ND_INVALID);
    rx(0, F, redirectFrame("fe80::bb", "fe80::cc", "2001:db8::5"), t);
    expect(dropped(Drop.ND_INVALID)).toBe(before + 1);
    rx(0, F, redirectFrame(ROUTER, "fe80::cc", "2001:db8::5"), t);
    let r = lookup(addr("2001:db8::5"));
    expect(firstDiff(routeVia(r), addr("fe80::cc"), 16)).toBe(-1);
    expect(routeNic(r)).toBe(0);
    expect(firstDiff(routeVia(lookup(addr("2001:db8::6"))), addr(ROUTER), 16)).toBe(-1);
  });

  it("drops the router, its default route and its redirects at once when it advertises lifetime 0", () => {
    rx(0, F, raFull(F, ROUTER, 255, 0, 0, 0, 0, "", 0, 0, 0, 0, "", 0, 0, 0, 0), t);
    expect(chosen).toBe(-1);
    expect(lookup(addr("2001:db8::1"))).toBe(-1);
    expect(lookup(addr("2001:db8::5"))).toBe(-1);
  });
});

/** A Redirect (RFC 4861 §4.5) from src to the node's link-local: dest is better reached
 *  through target. */
function redirectFrame(src: string, target: string, dest: string): i32 {
  eth(F, MAC_N, MAC_R);
  let m = F + ETH + IP6;
  put(m, "89 00 0000 00000000");
  putAddr(m + 8, target);
  putAddr(m + 24, dest);
  ip6(F + ETH, 40, 58, 255, src, LL);
  sealIcmp6(F + ETH);
  return ETH + IP6 + 40;
}

describe("a flood of RAs", () => {
  it("learns at most LEARNED_MAX prefixes and ROUTER_MAX routers, and the route table keeps room for a LOAD", () => {
    let routes = routeCount;
    for (let k = 0; k < 40; k++) {
      let src = "fe80::1:" + k.toString(16);
      let pfx = "fd00:f" + k.toString(16) + "::";
      rx(0, F, raFull(F, src, 255, 1800, 0, 0, 0, pfx, 64, 0xc0, 7200, 3600, "", 0, 0, 0, 0), t);
    }
    let prefixes = 0, routers = 0;
    for (let i = 0; i < LEARNED_MAX; i++) if (learnedNic(i) >= 0) prefixes++;
    for (let i = 0; i < ROUTER_MAX; i++) if (routerNic(i) >= 0) routers++;
    expect(prefixes).toBe(LEARNED_MAX);
    expect(routers).toBe(ROUTER_MAX);
    expect(routeCount - routes).toBeLessThanOrEqual(ROUTE_LEARNED_MAX);
    expect(routeAdd(RouteKind.STATIC, addr("2001:db8:77::"), 48, 0, 0, 0)).toBeGreaterThanOrEqual(0);
  });

  it("still installs what it learns when the manifest's part of the route table is full", () => {
    let p = addr("2001:db8::");
    let added = 0;
    for (let k = 0; k <= ROUTE_MANIFEST_MAX; k++) {
      store<u32>(p + 4, bswap<u32>(<u32>k));
      if (routeAdd(RouteKind.STATIC, p, 64, 0, 0, 0) < 0) break;
      added++;
    }
    expect(added).toBeGreaterThan(0);
    expect(added).toBeLessThan(ROUTE_MANIFEST_MAX + 1, "the manifest's part filled up");
    pollAt(t);
    pollAt(t + 2000);
    let learned = 0;
    for (let i = 0; i < addrHigh; i++) {
      if (acNic(i) < 0 || acSvc(i) >= 0 || acOrigin(i) != AddrOrigin.LEARNED || acState(i) != AddrState.PREFERRED) continue;
      learned++;
      expect(ownRoute(acAddr(i))).toBeGreaterThanOrEqual(0);
    }
    expect(learned).toBeGreaterThanOrEqual(LEARNED_MAX - 2);
  });
});
