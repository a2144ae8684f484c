// The packet buffer pool: PKT_SLOTS fixed buffers in one static region, a free stack,
// and each buffer's packet length. A packet's IPv6 header starts HEADROOM bytes into its
// buffer so a link header can be written in front of it without a copy. Buffers are
// taken on receive or send and returned exactly once: on delivery, transmit, or drop.
import { PKT_SLOTS, PKT_SIZE, HEADROOM, SVC_MAX } from "./param";
import { EgressClass } from "../abi/status";

const POOL: usize = memory.data(PKT_SLOTS * PKT_SIZE, 64);
const freeStack = new StaticArray<u16>(PKT_SLOTS);
const lens = new StaticArray<u16>(PKT_SLOTS);
const classes = new StaticArray<u16>(PKT_SLOTS);  // egress class (net/egress.ts): up to 2 + SVC_MAX
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
}

/** A free buffer's index, or -1 if the pool is empty. */
export function pktAlloc(): i32 {
  if (freeTop == 0) return -1;
  let i = <i32>unchecked(freeStack[--freeTop]);
  unchecked(classes[i] = 0);                       // the kernel's own, until told otherwise
  return i;
}

export function pktFree(i: i32): void {
  if (<u32>i >= <u32>PKT_SLOTS || freeTop >= PKT_SLOTS) abort("pool: bad free");
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
@inline export function pktLen(i: i32): i32 { return <i32>unchecked(lens[i]); }
// @ts-ignore: decorator
@inline export function pktSetLen(i: i32, len: i32): void { unchecked(lens[i] = <u16>len); }

export function poolFree(): i32 { return freeTop; }

/** The egress class a packet leaves in (0: the kernel's own; see net/egress.ts). */
// @ts-ignore: decorator
@inline export function pktClass(i: i32): i32 { return <i32>unchecked(classes[i]); }
export function pktSetClass(i: i32, c: i32): void {
  let old = <i32>unchecked(classes[i]);
  if (old >= CLASS_SERVICE) { unchecked(svcHeld[old - CLASS_SERVICE]--); svcHeldAll--; }
  if (c >= CLASS_SERVICE) { unchecked(svcHeld[c - CLASS_SERVICE]++); svcHeldAll++; }
  unchecked(classes[i] = <u16>c);
}
