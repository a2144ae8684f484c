// The packet buffer pool: PKT_SLOTS fixed buffers in one static region, a free stack,
// and each buffer's packet length. A packet's IPv6 header starts HEADROOM bytes into its
// buffer so a link header can be written in front of it without a copy. Buffers are
// taken on receive or send and returned exactly once: on delivery, transmit, or drop.
// After the PKT_SLOTS ordinary buffers come GSO_SLOTS buffers for TCP super-frames
// (net/gso.ts), each spanning GSO_STRIDE ordinary buffers' room: super-frame buffer k has the
// index PKT_SLOTS + k × GSO_STRIDE, so pktData is the same sum for both kinds, and an index
// at or above PKT_SLOTS is a super-frame's (one compare, no load, on the hot path). One of
// them is always Buf.GSO (gsoRecv): the host writes the next super-frame there, and the kernel
// takes it whole by taking that buffer and making another free one Buf.GSO (pktTakeGso), so a
// super-frame is never copied inside the kernel.
import { PKT_SLOTS, PKT_SIZE, HEADROOM, SVC_MAX, GSO_SLOTS, GSO_STRIDE, POOL_INDEXES } from "./param";
import { EgressClass } from "../abi/status";
import { GSO_FRAME_MAX, GSO_HEADROOM, ETH_HDR } from "../abi/kernel";

// @ts-ignore: a constant condition, folded away
if (GSO_STRIDE * PKT_SIZE < HEADROOM + GSO_FRAME_MAX - ETH_HDR) ERROR("pool.ts: a super-frame buffer (GSO_STRIDE × PKT_SIZE) cannot hold GSO_FRAME_MAX");
// @ts-ignore: a constant condition, folded away
if (HEADROOM - ETH_HDR < GSO_HEADROOM) ERROR("pool.ts: HEADROOM leaves no GSO_HEADROOM before a super-frame's Ethernet header (nic_send_gso)");
const POOL: usize = memory.data(POOL_INDEXES * PKT_SIZE, 64);
const freeStack = new StaticArray<u16>(PKT_SLOTS);
const lens = new StaticArray<i32>(POOL_INDEXES);     // a super-frame's IPv6 packet may pass 65,535 bytes
const classes = new StaticArray<u16>(POOL_INDEXES);  // egress class (net/egress.ts): up to 2 + SVC_MAX
const gsoFree = new StaticArray<u16>(GSO_SLOTS);     // free super-frame buffers' indexes
const gsoSizes = new StaticArray<u16>(GSO_SLOTS);    // each super-frame's segment size (TCP payload bytes)
let gsoTop: i32 = 0;
let gsoRecv: i32 = 0;                                 // the buffer Buf.GSO is now
/** Buffers each service holds (packets it sent that have not left yet). */
export const svcHeld = new StaticArray<i32>(SVC_MAX);
/** Buffers all services hold together. */
export let svcHeldAll: i32 = 0;

// Egress classes: who a packet leaves for (net/egress.ts schedules them).
export const CLASS_KERNEL: i32 = EgressClass.KERNEL;
export const CLASS_FORWARD: i32 = EgressClass.FORWARD;
export const CLASS_SERVICE: i32 = EgressClass.SERVICE;   // + service id
let freeTop: i32 = 0;
/** No packet: what a handler that has nothing to send returns (and pktAlloc, out of buffers). */
export const NONE: i32 = -1;

export function poolInit(): void {
  for (let i = 0; i < PKT_SLOTS; i++) unchecked(freeStack[i] = <u16>(PKT_SLOTS - 1 - i));
  freeTop = PKT_SLOTS;
  for (let k = 0; k < GSO_SLOTS; k++) unchecked(gsoFree[k] = <u16>(PKT_SLOTS + (GSO_SLOTS - 1 - k) * GSO_STRIDE));
  gsoTop = GSO_SLOTS - 1;
  gsoRecv = <i32>unchecked(gsoFree[GSO_SLOTS - 1]);
}

/** Where Buf.GSO is now: the Ethernet header's place in buffer gsoRecv. */
export function gsoRecvAt(): usize { return pktData(gsoRecv) - <usize>ETH_HDR; }

/** The super-frame in Buf.GSO becomes a packet, its segments gso bytes of TCP payload each:
 *  its buffer's index, and a free buffer is Buf.GSO from now on; -1, nothing changed, if
 *  none is free (the caller then cuts the frame into ordinary buffers: net/gso.ts). */
export function pktTakeGso(gso: i32): i32 {
  if (gsoTop == 0) return -1;
  let i = gsoRecv;
  gsoRecv = <i32>unchecked(gsoFree[--gsoTop]);
  unchecked(classes[i] = 0);
  unchecked(gsoSizes[(i - PKT_SLOTS) / GSO_STRIDE] = <u16>gso);
  return i;
}

/** Is buffer i a super-frame's? */
// @ts-ignore: decorator
@inline export function pktIsGso(i: i32): bool { return i >= PKT_SLOTS; }

/** Super-frame buffer i's segment size (TCP payload bytes a segment). */
export function pktGso(i: i32): i32 { return <i32>unchecked(gsoSizes[(i - PKT_SLOTS) / GSO_STRIDE]); }

function gsoRelease(i: i32): void {
  let k = i - PKT_SLOTS;
  // At most GSO_SLOTS - 1 are free (one is always Buf.GSO), and Buf.GSO is never a packet.
  if (<u32>k >= <u32>(GSO_SLOTS * GSO_STRIDE) || k % GSO_STRIDE != 0 || gsoTop >= GSO_SLOTS - 1 || i == gsoRecv) abort("pool: bad free");
  unchecked(classes[i] = 0);
  unchecked(gsoFree[gsoTop++] = <u16>i);
}

/** A free buffer's index, or -1 if the pool is empty. */
export function pktAlloc(): i32 {
  if (freeTop == 0) return -1;
  let i = <i32>unchecked(freeStack[--freeTop]);
  unchecked(classes[i] = 0);                       // the kernel's own, until told otherwise
  return i;
}

export function pktFree(i: i32): void {
  if (<u32>i >= <u32>PKT_SLOTS) { gsoRelease(i); return; }   // only the forwarding path holds one: class FORWARD
  if (freeTop >= PKT_SLOTS) abort("pool: bad free");
  let c = <i32>unchecked(classes[i]);
  if (c >= CLASS_SERVICE) { unchecked(svcHeld[c - CLASS_SERVICE]--); svcHeldAll--; }
  unchecked(classes[i] = 0);
  unchecked(freeStack[freeTop++] = <u16>i);
}

/** Packets service svc sent that are still somewhere (queued for another service) count
 *  as the kernel's from now on: svc is gone (UNLOAD) and its id may be reused. */
export function poolDisown(svc: i32): void {
  for (let i = 0; i < PKT_SLOTS; i++) {
    if (<i32>unchecked(classes[i]) == CLASS_SERVICE + svc) pktSetClass(i, CLASS_KERNEL);
  }
}

/** Address of buffer i's IPv6 packet. */
// @ts-ignore: decorator
@inline export function pktData(i: i32): usize {
  return POOL + <usize>i * <usize>PKT_SIZE + <usize>HEADROOM;
}

// @ts-ignore: decorator
@inline export function pktLen(i: i32): i32 { return unchecked(lens[i]); }
// @ts-ignore: decorator
@inline export function pktSetLen(i: i32, len: i32): void { unchecked(lens[i] = len); }

export function poolFree(): i32 { return freeTop; }
/** Super-frame buffers free (Buf.GSO's aside). */
export function poolGsoFree(): i32 { return gsoTop; }

/** The egress class a packet leaves in (0: the kernel's own; see net/egress.ts). */
// @ts-ignore: decorator
@inline export function pktClass(i: i32): i32 { return <i32>unchecked(classes[i]); }
export function pktSetClass(i: i32, c: i32): void {
  let old = <i32>unchecked(classes[i]);
  if (old >= CLASS_SERVICE) { unchecked(svcHeld[old - CLASS_SERVICE]--); svcHeldAll--; }
  if (c >= CLASS_SERVICE) { unchecked(svcHeld[c - CLASS_SERVICE]++); svcHeldAll++; }
  unchecked(classes[i] = <u16>c);
}
