// Packets addressed to the node itself (its link-local and own global addresses, and the
// multicast groups it listens to): the kernel answers ICMPv6 echo and neighbor
// discovery, and UDP to the control port is a control message (ctl/control.ts); anything
// else gets port unreachable. Services' addresses never come here —
// their packets go to the service. Destination Options for the node are acted on here
// (RFC 8200 §4.2). Called by net/output.ts (deliver, and routes to the node's own
// addresses); each packet is parsed here again, so a packet the kernel built itself (an
// answer to one of its own addresses) is never read with the offsets of the packet before
// it. Nothing here sends: the answer (an echo reply, a control reply, an ICMPv6 error) is
// returned, and output.ts sends it.
import { Drop } from "../../abi/drop";
import { dropSent } from "../stats";
import { pktData, pktLen, pktSetLen, pktFree, pktSetClass, NONE } from "../pool";
import { CLASS_KERNEL } from "./egress";
import { addrCopy, isMulticast } from "../../wire/addr";
import { IP_HDR, IP_DST, NH_ICMPV6, NH_UDP, HOP_LIMIT, ipReverse } from "../../wire/ipv6";
import { UDP_HDR, udpDstPort } from "../../wire/udp";
import { ICMP_MIN, ICMP_HDR, ICMP_UNREACH, ICMP_PARAM, ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY, ICMP_NS, ICMP_NA,
  ICMP_RS, ICMP_RA, ICMP_REDIRECT, ICMP_TYPE, icmpType, icmpCode, icmpSeal } from "../../wire/icmpv6";
import { Chain, check, walk, destOptions } from "./ipv6";
import { l4Checksum } from "../../wire/checksum";
import { nicLinkLocal, nicValid } from "./iface";
import { ndInput } from "./nd";
import { rsInput, raInput } from "./ra";
import { redirectInput } from "./routers";
import { icmpError } from "./icmpv6";
import { ctlInput } from "../ctl/control";
import { CTL_PORT } from "../../abi/control";

/** The chain of the packet being delivered to the node, parsed here again. */
const LOCAL_CHAIN = new Chain();

/** A packet for the node, which came in on nic (-1: from a service or the kernel) in a
 *  frame from srcMac (0: not from a link, or not ND, which input.ts hands over directly).
 *  Consumes pkt; returns the node's answer to send, or NONE. */
export function localInput(pkt: i32, nic: i32, srcMac: usize): i32 {
  let p = pktData(pkt);
  let c = LOCAL_CHAIN;
  let r = check(p, pktLen(pkt));
  if (r < 0) r = walk(p, c);
  if (r < 0) r = destOptions(p, c);
  if (r >= 0) {
    let e = r == Drop.PARAM_PROBLEM ? icmpError(pkt, ICMP_PARAM, c.code, c.ptr, nic) : NONE;
    dropSent(<Drop>r, pkt, nic); pktFree(pkt); return e;
  }
  let proto = c.proto, off = c.off;
  if (proto == NH_UDP && pktLen(pkt) - off >= UDP_HDR && !isMulticast(p + IP_DST) &&
      <i32>udpDstPort(p + <usize>off) == CTL_PORT) {
    return ctlInput(pkt, off);
  }
  if (proto != NH_ICMPV6) {
    let e = icmpError(pkt, ICMP_UNREACH, 4, 0, nic);     // no transport layer in the node itself
    dropSent(Drop.NO_ROUTE, pkt, nic);
    pktFree(pkt);
    return e;
  }
  let len = pktLen(pkt) - off;
  if (len < ICMP_MIN) { dropSent(Drop.ICMP_CHECKSUM, pkt, nic); pktFree(pkt); return NONE; }
  if (l4Checksum(p, off, len, NH_ICMPV6) != 0) { dropSent(Drop.ICMP_CHECKSUM, pkt, nic); pktFree(pkt); return NONE; }
  let type = icmpType(p + off);
  if (type == ICMP_NS || type == ICMP_NA) {
    if (nicValid(nic)) ndInput(nic, p, off, len, srcMac);
    pktFree(pkt);
    return NONE;
  }
  if (type == ICMP_RS || type == ICMP_RA) {
    if (nicValid(nic)) {
      if (type == ICMP_RS) rsInput(nic, p, off, len);
      else raInput(nic, p, off, len);
    }
    pktFree(pkt);
    return NONE;
  }
  if (type == ICMP_REDIRECT) {
    if (nicValid(nic)) redirectInput(nic, p, off, len);
    pktFree(pkt);
    return NONE;
  }
  if (type == ICMP_ECHO_REQUEST && icmpCode(p + off) == 0 && len >= ICMP_HDR) {
    return echoReply(pkt, nic, off, len);
  }
  // Other informational messages (MLD, ...) need no answer; errors addressed
  // to the node are noted and consumed.
  pktFree(pkt);
  return NONE;
}

/** Turn an echo request, whose ICMPv6 message of len bytes is at off, into its reply in
 *  place (RFC 4443 §4.2) and return it; the extension headers are left out of the reply. */
function echoReply(pkt: i32, nic: i32, off: i32, len: i32): i32 {
  let p = pktData(pkt);
  pktSetClass(pkt, CLASS_KERNEL);
  if (off != IP_HDR) memory.copy(p + IP_HDR, p + off, <usize>len);
  let dst = p + IP_DST;
  // Reply from the address that was pinged; a multicast ping is answered from link-local.
  if (isMulticast(dst)) {
    if (!nicValid(nic)) { dropSent(Drop.MULTICAST, pkt, nic); pktFree(pkt); return NONE; }
    addrCopy(dst, nicLinkLocal(nic));
  }
  ipReverse(p, len, NH_ICMPV6, HOP_LIMIT);
  store<u8>(p + IP_HDR + ICMP_TYPE, <u8>ICMP_ECHO_REPLY);
  icmpSeal(p, len);
  pktSetLen(pkt, IP_HDR + len);
  return pkt;
}
