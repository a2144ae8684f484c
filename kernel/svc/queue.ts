// Each service's bounded receive queue of packet buffers. The kernel delivers into it
// (from a NIC or from another service) and the service pulls with the recv syscall;
// a service that is down or full loses the packet with a counted drop, never the node.
import { SVC_MAX, SVC_RXQ } from "../param";
import { Drop } from "../../abi/drop";
import { Errno } from "../../abi/errno";
import { SvcState } from "../../abi/kernel";
import { CapturePoint, CAPTURE_NONE } from "../../abi/capture";
import { dropPacket } from "../stats";
import { pktFree, pktData, pktLen } from "../pool";
import { capturing, capture } from "../capture";
import { svcState, svcRx } from "./registry";
import { markReady } from "./ready";

const ring = new StaticArray<u16>(SVC_MAX * SVC_RXQ);
const head = new StaticArray<i32>(SVC_MAX);
const count = new StaticArray<i32>(SVC_MAX);
/** A packet arrived since the service's last persia_event: the scheduler must run soon. */
export const svcWoken = new StaticArray<bool>(SVC_MAX);

export function queueDepth(svc: i32): i32 { return unchecked(count[svc]); }

/** Queue pkt, which came in on nic (CAPTURE_NONE: from a service or the kernel), for svc. Consumes
 *  pkt. Returns 0, or for a counted drop the error a sending service gets: -EHOSTUNREACH
 *  (the service is down), -ENOSPC (its queue is full). */
export function svcDeliver(svc: i32, pkt: i32, nic: i32): i32 {
  if (<u32>svc >= <u32>SVC_MAX || unchecked(svcState[svc]) != SvcState.RUNNING) {
    dropPacket(Drop.SVC_DOWN, pkt, nic, svc); pktFree(pkt); return -Errno.EHOSTUNREACH;
  }
  let c = unchecked(count[svc]);
  if (c >= SVC_RXQ) { dropPacket(Drop.SVC_QUEUE_FULL, pkt, nic, svc); pktFree(pkt); return -Errno.ENOSPC; }
  if (capturing != 0) capture(CapturePoint.DELIVER, nic, svc, CAPTURE_NONE, pktData(pkt), pktLen(pkt));
  unchecked(ring[svc * SVC_RXQ + (unchecked(head[svc]) + c) % SVC_RXQ] = <u16>pkt);
  unchecked(count[svc] = c + 1);
  unchecked(svcRx[svc]++);
  unchecked(svcWoken[svc] = true);
  markReady(svc);
  return 0;
}

/** The packet at the head of svc's queue, or -1. */
export function queuePeek(svc: i32): i32 {
  if (unchecked(count[svc]) == 0) return -1;
  return <i32>unchecked(ring[svc * SVC_RXQ + unchecked(head[svc])]);
}

/** The i-th queued packet of svc (0: the head), or -1. */
export function queueAt(svc: i32, i: i32): i32 {
  if (<u32>i >= <u32>unchecked(count[svc])) return -1;
  return <i32>unchecked(ring[svc * SVC_RXQ + (unchecked(head[svc]) + i) % SVC_RXQ]);
}

/** Remove the head packet (the caller frees it). */
export function queuePop(svc: i32): void {
  unchecked(head[svc] = (unchecked(head[svc]) + 1) % SVC_RXQ);
  unchecked(count[svc]--);
}

/** Free everything queued for svc (it failed for good). */
export function queueFlush(svc: i32): void {
  while (unchecked(count[svc]) > 0) {
    let pkt = queuePeek(svc);
    queuePop(svc);
    dropPacket(Drop.SVC_DOWN, pkt, CAPTURE_NONE, svc);
    pktFree(pkt);
  }
}
