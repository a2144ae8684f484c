// The kernel's counters. Every dropped packet, wherever it is dropped, goes through
// drop(reason) so that each reason has exactly one counter; `persia status` shows them.
// A drop of bytes the kernel holds goes through dropPacket (or dropSent), dropQueued,
// dropFrame or dropParsed, which count it with drop() and, while capture is on (capture.ts), report those
// bytes with the reason. drop() alone is for what the kernel holds no bytes of: an ICMPv6 error it
// did not build, a buffer it could not take, a send refused before the copy-in.
// Per-NIC and per-service counters live with their tables (net/iface.ts, svc/registry.ts).
import { Drop } from "../abi/drop";
import { CapturePoint, CAPTURE_NONE } from "../abi/capture";
import { ETH_HDR } from "./param";
import { IP_HDR, ipPayloadLen } from "../wire/ipv6";
import { pktData, pktLen, pktClass, pktIsGso, pktGso, CLASS_SERVICE } from "./pool";
import { gsoCount } from "./net/gso";
import { capturing, capture } from "./capture";

export const drops = new StaticArray<u64>(<i32>Drop.COUNT);
export let icmpErrorsSent: u64 = 0;

export function drop(reason: Drop): void {
  unchecked(drops[<i32>reason]++);
}

/** n packets dropped for one reason: the segments of a super-frame (net/gso.ts). */
export function dropSegments(reason: Drop, n: i32): void {
  unchecked(drops[<i32>reason] += <u64>n);
}

/** A drop of the packet in buffer pkt: one, or a super-frame's segments, so that the
 *  counters read as if the segments had come one by one. */
// @ts-ignore: decorator
@inline function dropPkt(reason: Drop, pkt: i32): void {
  if (pktIsGso(pkt)) dropSegments(reason, gsoCount(pktData(pkt), pktLen(pkt), pktGso(pkt)));
  else drop(reason);
}

/** The service that sent the packet in buffer pkt (its egress class), or CAPTURE_NONE. */
export function pktSender(pkt: i32): i32 {
  let c = pktClass(pkt);
  return c >= CLASS_SERVICE ? c - CLASS_SERVICE : CAPTURE_NONE;
}

/** Drop the IPv6 packet in buffer pkt (the caller frees it), which came in on or was to
 *  leave by nic, and was sent by or meant for service svc (CAPTURE_NONE: none of them). */
export function dropPacket(reason: Drop, pkt: i32, nic: i32, svc: i32): void {
  dropPkt(reason, pkt);
  if (capturing != 0) capture(CapturePoint.DROP_PACKET, nic, svc, <i32>reason, pktData(pkt), pktLen(pkt));
}

/** dropPacket for a packet that names its sender in its buffer's class (a service's, or
 *  none): the sender is looked up only while capture is on. */
export function dropSent(reason: Drop, pkt: i32, nic: i32): void {
  dropPkt(reason, pkt);
  if (capturing != 0) capture(CapturePoint.DROP_PACKET, nic, pktSender(pkt), <i32>reason, pktData(pkt), pktLen(pkt));
}

/** Drop the frame in buffer pkt, whose Ethernet header is written (it was queued on nic). */
export function dropQueued(reason: Drop, pkt: i32, nic: i32): void {
  dropPkt(reason, pkt);
  if (capturing != 0) capture(CapturePoint.DROP_FRAME, nic, pktSender(pkt), <i32>reason, pktData(pkt) - ETH_HDR, pktLen(pkt) + ETH_HDR);
}

/** Drop the len-byte Ethernet frame at f, received on nic. */
export function dropFrame(reason: Drop, nic: i32, f: usize, len: i32): void {
  drop(reason);
  if (capturing != 0) capture(CapturePoint.DROP_FRAME, nic, CAPTURE_NONE, <i32>reason, f, len);
}

/** Drop the checked IPv6 packet at p (its length from its header), which a handler reads
 *  in place (neighbor and router discovery), from nic. */
export function dropParsed(reason: Drop, nic: i32, p: usize): void {
  drop(reason);
  if (capturing != 0) capture(CapturePoint.DROP_PACKET, nic, CAPTURE_NONE, <i32>reason, p, IP_HDR + ipPayloadLen(p));
}

export function countIcmpError(): void { icmpErrorsSent++; }
