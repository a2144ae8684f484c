// Helpers of the client role's regression specs (tests/kernel/net/client-*.spec.ts), each
// a scenario a review of issue #20 found, on a kernel of its own (a kernel boots once): a
// client with NIC 0 taking RAs and echo learning addresses; RA frames with one prefix
// option; the slaac.ts table by address.
import { AddrState } from "../../../abi/status";
import { k_poll } from "../../../kernel/main";
import { addrHigh, acAddr, acState, acNic } from "../../../kernel/net/slaac";
import { ETH, IP6, put, putAddr, addr, eth, ip6, sealIcmp6, firstDiff, echoFrame } from "../frames";
import { mfStart, mfEnd, mfNode, mfNic, mfService, mfAutoconf, mfSvcLearned } from "../manifest";
import { rx, bootFrom } from "../drive";
import { frameCount, framesClear } from "../mock";

export const MAC_N = "02:00:00:00:00:01";
export const MAC_R = "02:00:00:00:00:aa";
export const ROUTER = "fe80::aa";
export const STRANGER = "fe80::bb";
export const NODE_C1 = "fd00:c1::aa1e:99f:4031:1071";
export const ECHO_C1 = "fd00:c1::e75e:adb7:e7d1:241b";
export const NODE_C2 = "fd00:c2::1516:55f1:4115:b6c8";
export const ECHO_C2 = "fd00:c2::ca88:5dd1:ec2:17c4";

const M: usize = memory.data(2048, 16);
export const F: usize = memory.data(4096, 16);
export const T: i64 = 10000;
export let t: i64 = T;

export function pollAt(at: i64): i32 { framesClear(); t = at; k_poll(t); return frameCount(); }

export function bootClient(dad: u32): i32 {
  mfStart(M); mfNode(1, "c1.test"); mfNic(0, 1500, MAC_N); mfAutoconf(0, 1, dad, "");
  mfService(0, "echo.sabz.city"); mfSvcLearned(0, 0);
  return bootFrom(M, mfEnd(), T);
}

export function entries(a: string): i32 {
  let p = addr(a), n = 0;
  for (let i = 0; i < addrHigh; i++) if (acNic(i) >= 0 && firstDiff(acAddr(i), p, 16) < 0) n++;
  return n;
}
export function entry(a: string): i32 {
  let p = addr(a);
  for (let i = 0; i < addrHigh; i++) if (acNic(i) >= 0 && firstDiff(acAddr(i), p, 16) < 0) return i;
  return -1;
}
export function lastEntry(a: string): i32 {
  let p = addr(a), k = -1;
  for (let i = 0; i < addrHigh; i++) if (acNic(i) >= 0 && firstDiff(acAddr(i), p, 16) < 0) k = i;
  return k;
}
export function stateOf(a: string): i32 { let i = entry(a); return i < 0 ? -1 : <i32>acState(i); }

/** An RA from src (hop limit hops) with router lifetime life s, reachable/retrans ms, an
 *  MTU option (0: none) and up to two prefix options. Returns the frame's length. */
export function raFull(f: usize, src: string, hops: u32, life: u32, reach: u32, retrans: u32, mtu: u32,
  p1: string, l1: u32, f1: u32, v1: u32, pr1: u32, p2: string, l2: u32, f2: u32, v2: u32, pr2: u32): i32 {
  eth(f, "33:33:00:00:00:01", MAC_R);
  let m = f + ETH + IP6;
  put(m, "86 00 0000 40 00");
  store<u8>(m + 6, <u8>(life >> 8)); store<u8>(m + 7, <u8>life);
  be(m + 8, reach); be(m + 12, retrans);
  let o = m + 16;
  put(o, "01 01"); put(o + 2, MAC_R); o += 8;
  if (mtu != 0) { put(o, "05 01 0000"); be(o + 4, mtu); o += 8; }
  if (p1.length > 0) o = pio(o, p1, l1, f1, v1, pr1);
  if (p2.length > 0) o = pio(o, p2, l2, f2, v2, pr2);
  let len = <i32>(o - m);
  ip6(f + ETH, len, 58, hops, src, "ff02::1");
  sealIcmp6(f + ETH);
  return ETH + IP6 + len;
}
function pio(o: usize, p: string, l: u32, flags: u32, valid: u32, preferred: u32): usize {
  put(o, "03 04");
  store<u8>(o + 2, <u8>l); store<u8>(o + 3, <u8>flags);
  be(o + 4, valid); be(o + 8, preferred); be(o + 12, 0);
  putAddr(o + 16, p);
  return o + 32;
}
function be(p: usize, v: u32): void { store<u32>(p, bswap<u32>(v)); }

/** An RA from src with router lifetime life, reachable/retrans ms and at most one prefix
 *  option, into F. */
export function raFrame(src: string, life: u32, reach: u32, retrans: u32,
  p1: string, l1: u32, f1: u32, v1: u32, pr1: u32): i32 {
  return raFull(F, src, 255, life, reach, retrans, 0, p1, l1, f1, v1, pr1, "", 0, 0, 0, 0);
}

/** An RA from src, router lifetime life, one /64 prefix option. */
export function ra(src: string, life: u32, p1: string, f1: u32, v1: u32, pr1: u32): void {
  rx(0, F, raFrame(src, life, 0, 0, p1, 64, f1, v1, pr1), t);
}
export function raLen(src: string, life: u32, p1: string, plen: u32, f1: u32, v1: u32, pr1: u32): void {
  rx(0, F, raFrame(src, life, 0, 0, p1, plen, f1, v1, pr1), t);
}

export function ping(dst: string, seq: u32): void {
  framesClear();
  rx(0, F, echoFrame(F, MAC_N, MAC_R, 64, "fd00:c1::99", dst, 128, 7, seq, "61"), t);
}
export const PREFERRED = <i32>AddrState.PREFERRED;
