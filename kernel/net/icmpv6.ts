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
import { ld8 } from "../../wire/bytes";
import { isMulticast, isUnspecified } from "../../wire/addr";
import { IP_HDR, IP_SRC, IP_DST, NH_ICMPV6, NH_HOPOPT, NH_ROUTING, NH_DSTOPT, NH_AH, HOP_LIMIT, EXT_NEXT,
  EXT_LEN, ipNext, ipEmit, extLen } from "../../wire/ipv6";
import { ICMP_HDR, ICMP_TOO_BIG, ICMP_PARAM, ICMP_REDIRECT, ICMP_INFO_MIN, icmpType, icmpEmit, icmpSeal } from "../../wire/icmpv6";
import { nicValid } from "./iface";
import { sourceFor } from "./source";
import { lookup, routeNic } from "./route";

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
  let next = ipNext(p);
  let off = IP_HDR;
  for (let n = 0; n <= EXT_MAX; n++) {
    if (next == NH_ICMPV6) {
      if (off >= len) return true;            // cannot tell: stay silent
      let t = <i32>icmpType(p + off);
      return t < ICMP_INFO_MIN || t == ICMP_REDIRECT;
    }
    if (next != NH_HOPOPT && next != NH_ROUTING && next != NH_DSTOPT && next != NH_AH) return false;
    if (off + EXT_LEN >= len) return false;
    let hlen = extLen(p, off, next);
    next = ld8(p + off + EXT_NEXT);
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
  ipEmit(p, ICMP_HDR + quote, NH_ICMPV6, HOP_LIMIT, src, src);
  sourceFor(nic, src, p + IP_SRC);
  let m = p + IP_HDR;
  icmpEmit(m, type, code, param);
  memory.copy(m + ICMP_HDR, ip, <usize>quote);   // the invoking packet (RFC 4443 §3)
  icmpSeal(p, ICMP_HDR + quote);
  pktSetLen(pkt, IP_HDR + ICMP_HDR + quote);
  countIcmpError();
  return pkt;
}
