// ICMPv6 errors the node sends (RFC 4443 §3): destination unreachable, packet too big,
// time exceeded, parameter problem. The rules of §2.4(e) and (f) are applied in one
// place: never about an ICMPv6 error, never about a packet to a multicast group (except
// packet too big and unrecognised options), never to an unspecified or multicast source,
// and at most ICMP_ERR_PER_S per second with a burst of ICMP_ERR_BURST. icmpError builds
// the error and returns it; net/output.ts sends it.
import { Drop } from "../../abi/drop";
import { ICMP_ERR_PER_S, ICMP_ERR_BURST, ICMP_ERR_QUOTE, EXT_MAX } from "../param";
import { drop, countIcmpError } from "../stats";
import { now } from "../clock";
import { pktAlloc, pktData, pktLen, pktSetLen, NONE } from "../pool";
import { ld8 } from "./bytes";
import { isMulticast, isUnspecified } from "./addr";
import { IP_HDR, IP_NEXT, IP_SRC, IP_DST, NH_ICMPV6, NH_HOPOPT, NH_ROUTING, NH_DSTOPT, NH_AH, writeHeader } from "./ipv6";
import { l4Checksum } from "./checksum";
import { sourceFor, nicValid } from "./iface";
import { lookup, routeNic } from "./route";

export const ICMP_UNREACH: u32 = 1;
export const ICMP_TOO_BIG: u32 = 2;
export const ICMP_TIME: u32 = 3;
export const ICMP_PARAM: u32 = 4;
export const ICMP_ECHO_REQUEST: u32 = 128;
export const ICMP_ECHO_REPLY: u32 = 129;

let tokens: i32 = ICMP_ERR_BURST;
let refilled: i64 = 0;

function takeToken(): bool {
  let elapsed = now - refilled;
  if (elapsed > 0) {
    let add = elapsed * <i64>ICMP_ERR_PER_S / 1000;
    if (add > 0) {
      tokens = <i32>min<i64>(<i64>ICMP_ERR_BURST, <i64>tokens + add);
      refilled += add * 1000 / <i64>ICMP_ERR_PER_S;
    }
  }
  if (tokens <= 0) return false;
  tokens--;
  return true;
}

/** Is the packet at p (len bytes) itself an ICMPv6 error or a redirect? */
function isIcmpError(p: usize, len: i32): bool {
  let next = ld8(p + IP_NEXT);
  let off = IP_HDR;
  for (let n = 0; n <= EXT_MAX; n++) {
    if (next == NH_ICMPV6) {
      if (off >= len) return true;            // cannot tell: stay silent
      let t = ld8(p + off);
      return t < 128 || t == 137;
    }
    if (next != NH_HOPOPT && next != NH_ROUTING && next != NH_DSTOPT && next != NH_AH) return false;
    if (off + 2 > len) return false;
    let hlen = next == NH_AH ? (<i32>ld8(p + off + 1) + 2) * 4 : (<i32>ld8(p + off + 1) + 1) * 8;
    next = ld8(p + off);
    off += hlen;
  }
  return false;
}

/** An ICMPv6 error about the packet in buffer inv (which stays the caller's), to send
 *  back to its source from the NIC it came in on (inNic, or -1: the NIC towards its
 *  source); or NONE when the rules above say no. param is the MTU (packet too big) or the
 *  pointer (parameter problem). */
export function icmpError(inv: i32, type: u32, code: u32, param: u32, inNic: i32): i32 {
  let ip = pktData(inv);
  let invLen = pktLen(inv);
  let src = ip + IP_SRC;
  if (isUnspecified(src) || isMulticast(src)) return NONE;
  let multicastOk = type == ICMP_TOO_BIG || (type == ICMP_PARAM && code == 2);
  if (isMulticast(ip + IP_DST) && !multicastOk) return NONE;
  if (isIcmpError(ip, invLen)) return NONE;
  if (!takeToken()) { drop(Drop.ICMP_RATE); return NONE; }
  let pkt = pktAlloc();
  if (pkt < 0) { drop(Drop.POOL_EMPTY); return NONE; }
  let quote = min(invLen, ICMP_ERR_QUOTE);
  let p = pktData(pkt);
  let nic = inNic;
  if (!nicValid(nic)) {
    let r = lookup(src);
    nic = r >= 0 ? routeNic(r) : 0;
  }
  writeHeader(p, 8 + quote, NH_ICMPV6, 64, src, src);
  sourceFor(nic, src, p + IP_SRC);
  let m = p + IP_HDR;
  store<u8>(m, <u8>type);
  store<u8>(m, <u8>code, 1);
  store<u16>(m, 0, 2);
  store<u32>(m, bswap<u32>(param), 4);
  memory.copy(m + 8, ip, <usize>quote);
  store<u16>(m, bswap<u16>(<u16>l4Checksum(p, IP_HDR, 8 + quote, NH_ICMPV6)), 2);
  pktSetLen(pkt, IP_HDR + 8 + quote);
  countIcmpError();
  return pkt;
}
