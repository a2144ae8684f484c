// The receive path, one step per call: Ethernet → IPv6 header → extension headers →
// destination. Every malformed or unwanted frame is counted by reason and dropped; a
// frame never causes a trap. Called by k_rx with a frame the host wrote into Buf.RX.
//
//   rx(nic, len) → ethernet checks → copy into a pool buffer → ipv6.check → ipv6.walk
//     → martian addresses (never on a link) dropped
//     → multicast group of ours, or ND?  → output.deliver → local.localInput (ND, echo)
//     → unicast: a block filter's? (filter.ts) → dropped, BLOCKED
//     → unicast                   → output.output(FORWARD): service queue, kernel, or NIC
// Nothing here sends: an ICMPv6 error is built by icmpv6.ts and sent by output.answer.
import { Drop } from "../../abi/drop";
import { FRAME_MAX } from "../param";
import { drop, dropFrame, dropPacket } from "../stats";
import { CapturePoint, CAPTURE_NONE } from "../../abi/capture";
import { capturing, capture } from "../capture";
import { pktAlloc, pktTakeGso, pktFree, pktData, pktLen, pktSetLen, pktSetClass } from "../pool";
import { gsoSegments, gsoSegment, gsoWireBytes } from "./gso";
import { CLASS_FORWARD } from "./egress";
import { macEq, isLinkLocal, isMulticast, isAllNodes, isAllRouters, isSolicitedNode, isUnspecified, isLoopback, isV4Mapped } from "../../wire/addr";
import { IP_SRC, IP_DST, IP_HDR, NH_ICMPV6 } from "../../wire/ipv6";
import { ETH_HDR, ETH_SRC, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ethType, ethIsGroup } from "../../wire/ethernet";
import { ICMP_PARAM, ICMP_RS, ICMP_REDIRECT, ICMP_NS, ICMP_MLD_REPORT, ICMP_MLD2_REPORT, icmpType } from "../../wire/icmpv6";
import { Chain, check, walk, ipTotal, routingProblem } from "./ipv6";
import { nicValid, nicMac, nicMtu, nicKind, rxFrames, rxBytes } from "./iface";
import { wgRx, inner as wgInner } from "../wg/link";
import { nodeRole } from "./nd";
import { isOwn } from "./route";
import { icmpError } from "./icmpv6";
import { output, answer, deliver, Origin } from "./output";
import { filterActive, filterMatch } from "./filter";
import { Role, NicKind } from "../../abi/kernel";

/** The extension-header chain of the packet being received, filled by walk() in ipv6In
 *  and passed to the checks after it. */
const RX_CHAIN = new Chain();

export function rx(nic: i32, f: usize, len: i32): void {
  if (!nicValid(nic)) return;
  unchecked(rxFrames[nic]++);
  unchecked(rxBytes[nic] += <u64>len);
  if (unchecked(nicKind[nic]) == <u8>NicKind.WIREGUARD) { sealed(nic, f, len); return; }
  if (capturing != 0) capture(CapturePoint.RX, nic, CAPTURE_NONE, CAPTURE_NONE, f, len);
  if (len < ETH_HDR) { dropFrame(Drop.FRAME_SHORT, nic, f, len); return; }
  if (len > unchecked(nicMtu[nic]) + ETH_HDR || len > FRAME_MAX) { dropFrame(Drop.FRAME_OVERSIZE, nic, f, len); return; }
  let type = ethType(f);
  if (type == ETHERTYPE_IPV4) { dropFrame(Drop.ETHERTYPE_IPV4, nic, f, len); return; }
  if (type != ETHERTYPE_IPV6) { dropFrame(Drop.ETHERTYPE_OTHER, nic, f, len); return; }
  let groupFrame = ethIsGroup(f);
  if (!groupFrame && !macEq(f, nicMac(nic))) { dropFrame(Drop.NOT_OUR_MAC, nic, f, len); return; }
  let n = len - ETH_HDR;
  let r = check(f + ETH_HDR, n);
  if (r >= 0) { dropFrame(<Drop>r, nic, f, len); return; }
  let pkt = pktAlloc();
  if (pkt < 0) { dropFrame(Drop.POOL_EMPTY, nic, f, len); return; }
  let ipLen = ipTotal(f + ETH_HDR);
  memory.copy(pktData(pkt), f + ETH_HDR, <usize>ipLen);
  pktSetLen(pkt, ipLen);
  pktSetClass(pkt, CLASS_FORWARD);
  ipv6In(pkt, nic, groupFrame, f + ETH_SRC);
}

/** A TCP super-frame the host handed over whole (k_rx_gso; net/gso.ts) at f, which is Buf.GSO:
 *  checked as one, then taken whole where it lies (pool.ts pktTakeGso) and on the forwarding
 *  way, where output.ts sends it whole or cuts it. One the kernel does not take is counted and dropped (GSO_BAD). Where it
 *  cannot go whole — to the link's groups, to a link-local address, not to this NIC's MAC, or
 *  with every super-frame buffer taken — it is cut here, and each segment is received as a
 *  frame of its own (rx), as if the host had cut it: nothing is lost to the shortcut. */
export function rxGso(nic: i32, f: usize, len: i32, gso: i32): void {
  if (!nicValid(nic)) return;
  let segs = gsoSegments(f, len, gso, unchecked(nicMtu[nic]));
  if (segs < 0 || unchecked(nicKind[nic]) == <u8>NicKind.WIREGUARD) {
    unchecked(rxFrames[nic]++);
    unchecked(rxBytes[nic] += <u64>len);
    dropFrame(Drop.GSO_BAD, nic, f, len);
    return;
  }
  let p = f + ETH_HDR;
  let n = len - ETH_HDR;
  let pkt = -1;
  if (!ethIsGroup(f) && macEq(f, nicMac(nic)) && !isMulticast(p + IP_DST) && !isLinkLocal(p + IP_DST)) pkt = pktTakeGso(gso);
  if (pkt < 0) {
    for (let k = 0; k < segs; k++) {
      memory.copy(CUT, f, <usize>ETH_HDR);
      rx(nic, CUT, ETH_HDR + gsoSegment(p, n, gso, k, CUT + ETH_HDR));
    }
    return;
  }
  unchecked(rxFrames[nic] += <u64>segs);
  unchecked(rxBytes[nic] += gsoWireBytes(p, n, gso, ETH_HDR));
  if (capturing != 0) capture(CapturePoint.RX, nic, CAPTURE_NONE, CAPTURE_NONE, f, len);
  let r = check(p, n);
  if (r >= 0) { dropFrame(<Drop>r, nic, f, len); pktFree(pkt); return; }
  pktSetLen(pkt, n);                                   // pktData(pkt) is p: no copy
  pktSetClass(pkt, CLASS_FORWARD);
  ipv6In(pkt, nic, false, f + ETH_SRC);
}
/** One segment's frame, cut from a super-frame for rx. */
const CUT: usize = memory.data(FRAME_MAX, 16);

/** A WireGuard NIC's datagram: what wg/link.ts opens of it goes the IPv6 way, from no MAC. */
function sealed(nic: i32, f: usize, len: i32): void {
  let n = wgRx(nic, f, len);
  if (n == 0) return;
  let p = wgInner;
  if (capturing != 0) capture(CapturePoint.RX, nic, CAPTURE_NONE, CAPTURE_NONE, p, n);   // the packet inside
  let r = check(p, n);
  if (r >= 0) { drop(<Drop>r); return; }
  let pkt = pktAlloc();
  if (pkt < 0) { drop(Drop.POOL_EMPTY); return; }
  memory.copy(pktData(pkt), p, <usize>n);
  pktSetLen(pkt, n);
  pktSetClass(pkt, CLASS_FORWARD);
  ipv6In(pkt, nic, false, 0);
}

/** Is the walked packet at p (chain c) an ICMPv6 router or neighbor discovery message
 *  (133..137)? */
function isNd(p: usize, c: Chain): bool {
  if (c.proto != NH_ICMPV6 || c.off >= ipTotal(p)) return false;
  let t = <i32>icmpType(p + <usize>c.off);
  return t >= ICMP_RS && t <= ICMP_REDIRECT;
}

/** May a node with no address yet send the walked packet at p from :: (RFC 4861 §4.1 and
 *  §7.2.2 router and neighbor solicitations, RFC 4862 DAD, RFC 3810 §5.2.13 MLD reports),
 *  to a group? Its own checks (nd.ts, ra.ts) then apply. */
function fromNoAddress(p: usize, c: Chain): bool {
  if (c.proto != NH_ICMPV6 || c.off >= ipTotal(p) || !isMulticast(p + IP_DST)) return false;
  let t = <i32>icmpType(p + <usize>c.off);
  return t == ICMP_RS || t == ICMP_NS || t == ICMP_MLD_REPORT || t == ICMP_MLD2_REPORT;
}

/** Addresses that may never be on a link (RFC 4291 §2.5.2, §2.5.3, §2.5.5.2; RFC 6890
 *  "Forwardable: False"): loopback either way, IPv4-mapped either way, :: as a destination,
 *  and :: as a source except for what a node sends before it has an address. */
function martian(p: usize, c: Chain): bool {
  let src = p + IP_SRC, dst = p + IP_DST;
  // Each of these forms starts with 64 zero bits: an ordinary packet is done with two loads.
  if (load<u64>(src) != 0 && load<u64>(dst) != 0) return false;
  if (isLoopback(src) || isLoopback(dst) || isV4Mapped(src) || isV4Mapped(dst) || isUnspecified(dst)) return true;
  return isUnspecified(src) && !fromNoAddress(p, c);
}

/** pkt came in on nic in a frame to a group address (groupFrame) or not, from srcMac (0:
 *  a layer-3 link, WireGuard's, which carries no multicast and no neighbor discovery). */
function ipv6In(pkt: i32, nic: i32, groupFrame: bool, srcMac: usize): void {
  let p = pktData(pkt);
  let c = RX_CHAIN;
  let r = walk(p, c);
  if (r == Drop.PARAM_PROBLEM) {
    let e = icmpError(pkt, ICMP_PARAM, c.code, c.ptr, nic);
    dropPacket(Drop.PARAM_PROBLEM, pkt, nic, CAPTURE_NONE); pktFree(pkt); answer(e, nic); return;
  }
  if (r >= 0) { dropPacket(<Drop>r, pkt, nic, CAPTURE_NONE); pktFree(pkt); return; }
  // Nothing on a link speaks for the node's own addresses or its services': a service must
  // be able to trust a local peer's address, and the node never hears itself.
  if (martian(p, c) || isOwn(p + IP_SRC)) { dropPacket(Drop.MARTIAN, pkt, nic, CAPTURE_NONE); pktFree(pkt); return; }
  let dst = p + IP_DST;
  if (srcMac == 0 && (isMulticast(dst) || isNd(p, c))) {
    dropPacket(isMulticast(dst) ? Drop.MULTICAST : Drop.ND_INVALID, pkt, nic, CAPTURE_NONE); pktFree(pkt); return;
  }
  if (isMulticast(dst)) {
    if (isAllNodes(dst) || (isAllRouters(dst) && nodeRole == Role.ROUTER) || isSolicitedNode(dst)) {
      deliver(pkt, nic, srcMac);   // a solicited-node group is checked against the target there
      return;
    }
    dropPacket(Drop.MULTICAST, pkt, nic, CAPTURE_NONE); pktFree(pkt); return;
  }
  // A unicast packet sent to a link-layer group is not ours to forward (RFC 1812 §5.3.4).
  if (groupFrame) { dropPacket(Drop.MULTICAST, pkt, nic, CAPTURE_NONE); pktFree(pkt); return; }
  // Neighbor discovery is the kernel's, whoever the address belongs to: a unicast probe of
  // a service's address is answered by the kernel, never queued for the service, and ND
  // (hop limit 255, link scope) is never forwarded.
  if (isNd(p, c)) { deliver(pkt, nic, srcMac); return; }
  // Block filters (issue #15): after neighbor discovery, before anything routes, queues or
  // answers the packet, whichever link it came from (rx's and sealed()'s both pass here).
  if (filterActive != 0 && filterMatch(p, pktLen(pkt))) {
    dropPacket(Drop.BLOCKED, pkt, nic, CAPTURE_NONE); pktFree(pkt); return;
  }
  // Cheap tests first: most packets have no extension header at all (walk() found the
  // upper layer right after the fixed header), so no routing header to look for.
  if (c.off != IP_HDR && routingProblem(p, c) >= 0 && isOwn(dst)) {
    let e = icmpError(pkt, ICMP_PARAM, c.code, c.ptr, nic);
    dropPacket(Drop.PARAM_PROBLEM, pkt, nic, CAPTURE_NONE); pktFree(pkt); answer(e, nic); return;
  }
  output(pkt, Origin.FORWARD, nic);
}
