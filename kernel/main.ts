// kernel.wasm's entry points: the whole surface a host sees (abi/contract.ts,
// KERNEL_EXPORTS). Each export only checks its arguments and calls into the module that
// does the work. The kernel is an event machine: it never blocks, and knows the time
// only from k_boot, k_rx, k_poll and k_stop.
import { ABI_VERSION, Buf, Role, REC_NIC, REC_LEN, REC_HDR, RX_BATCH_SIZE, GSO_FRAME_MAX } from "../abi/kernel";
import { recSize } from "../abi/gen/records";
import { Errno } from "../abi/errno";
import { FRAME_MAX, BOOT_SIZE, STATUS_SIZE } from "./param";
import { setNow, setEpoch, now, earliest } from "./clock";
import { poolInit, gsoRecvAt } from "./pool";
import { boot, booted, role } from "./boot";
import { raTimers, raStop, raStopping } from "./net/ra";
import { rx, rxGso } from "./net/input";
import { answer } from "./net/output";
import { outbox, outCount } from "./ctl/block";
import { NONE } from "./pool";
import { txDrain } from "./net/egress";
import { nicCount } from "./net/iface";
import { ndTimers } from "./net/nd";
import { acTimers, addrHigh } from "./net/slaac";
import { routersTimers, learning } from "./net/routers";
import { neighborGaveUp } from "./net/unreach";
import { runServices } from "./svc/sched";
import { sys } from "./svc/syscall";
import { writeStatus, STATUS } from "./status";
import { captureSet } from "./capture";
import { anyWg } from "./wg/state";
import { wgTimers } from "./wg/link";
import { filterActive, filterExpire, filterNext } from "./net/filter";
import { certTimers, certClock } from "./cert/issue";
import { router as certIssuing } from "./cert/state";
import { putExpire } from "./ctl/put";
import { USB_BUF, usbAttach, usbDetach, usbDone } from "./svc/usb";
import { USB_XFER_MAX } from "../abi/limits";
import { drop } from "./stats";
import { Drop } from "../abi/drop";
import { routeMany, routeHint, routeCount } from "./net/route";
import { MANY_MAX } from "./net/lpm";
import { ETH_HDR, ETHERTYPE_IPV6, ethType } from "../wire/ethernet";
import { IP_HDR, IP_DST } from "../wire/ipv6";
import { addrEq } from "../wire/addr";

/** The length of the record at off in Buf.RX_BATCH, or -1 if it would run past the buffer
 *  (its header, or the frame its length gives). */
// @ts-ignore: decorator
@inline function recLen(off: i32): i32 {
  if (off > RX_BATCH_SIZE - REC_HDR) return -1;
  let len = <i32>load<u16>(RX_BATCH + <usize>off + REC_LEN);
  return len > RX_BATCH_SIZE - REC_HDR - off ? -1 : len;
}

const RX: usize = memory.data(FRAME_MAX, 16);
const BOOT: usize = memory.data(BOOT_SIZE, 16);
const RX_BATCH: usize = memory.data(RX_BATCH_SIZE, 16);

poolInit();

export function k_abi(): i32 { return ABI_VERSION; }

export function k_buf(which: i32): i32 {
  if (which == Buf.RX) return <i32>RX;
  if (which == Buf.BOOT) return <i32>BOOT;
  if (which == Buf.STATUS) return <i32>STATUS;
  if (which == Buf.USB) return <i32>USB_BUF;
  if (which == Buf.RX_BATCH) return <i32>RX_BATCH;
  if (which == Buf.GSO) return <i32>gsoRecvAt();   // moves with each super-frame k_rx_gso takes whole
  return 0;
}

export function k_buf_size(which: i32): i32 {
  if (which == Buf.RX) return FRAME_MAX;
  if (which == Buf.BOOT) return BOOT_SIZE;
  if (which == Buf.STATUS) return STATUS_SIZE;
  if (which == Buf.USB) return USB_XFER_MAX;
  if (which == Buf.RX_BATCH) return RX_BATCH_SIZE;
  if (which == Buf.GSO) return GSO_FRAME_MAX;
  return 0;
}

export function k_boot(len: i32, t: i64): i32 {
  if (<u32>len > <u32>BOOT_SIZE) return -Errno.EINVAL;
  setNow(t);
  return boot(BOOT, len);
}

export function k_rx(nic: i32, len: i32, t: i64): void {
  if (!booted || <u32>len > <u32>FRAME_MAX) return;
  setNow(t);
  rx(nic, RX, len);
  if (outCount != 0) sendRelays();   // block signals the frame passed on to sources' routers
}

/** A TCP super-frame of len bytes is in Buf.GSO, its segments gso TCP payload bytes each
 *  (net/gso.ts, spec/abi.md "Super-frames"): forwarded whole or cut, as net/input.ts rxGso.
 *  One taken whole stays where the host wrote it, and Buf.GSO moves to a free buffer. */
export function k_rx_gso(nic: i32, len: i32, gso: i32, t: i64): void {
  if (!booted || <u32>len > <u32>GSO_FRAME_MAX) return;
  setNow(t);
  rxGso(nic, gsoRecvAt(), len, gso);
  if (outCount != 0) sendRelays();
}

/** count frames received by now are in Buf.RX_BATCH as records (abi/kernel.ts REC_*): each
 *  goes the way of k_rx's, in place, with no copy and no crossing between them. A record
 *  that would run past the buffer ends the batch, counted (FRAME_SHORT) once; a frame over
 *  FRAME_MAX is counted (FRAME_OVERSIZE) and skipped. Returns the
 *  frames taken; a host need only check it to learn of a batch it laid out wrong. */
export function k_rx_batch(count: i32, t: i64): i32 {
  if (!booted || count <= 0) return 0;
  setNow(t);
  // Route lookups ahead only while the table holds more than LOOKAHEAD_ROUTES routes: a
  // smaller one stays in the cache, where looking ahead would only cost. Two loops, each
  // compiled for its case, so the other costs the hot path nothing.
  return routeCount > LOOKAHEAD_ROUTES ? rxAhead(count) : rxRecords(count, false);
}

/** k_rx_batch's loop with route lookups ahead. Called through a function of its own (which
 *  the optimizer then inlines) so that the two loops stay two: with rxRecords(count, true)
 *  and rxRecords(count, false) side by side in k_rx_batch, it folded them back into one loop
 *  that tested the case at every frame (25 instructions a packet more). */
function rxAhead(count: i32): i32 { return rxRecords(count, true); }

/** k_rx_batch's loop over the records; ahead: with the routes of each 64 looked up first. */
// @ts-ignore: decorator
@inline function rxRecords(count: i32, ahead: bool): i32 {
  let off = 0;
  let n = 0;
  while (n < count) {
    let len = recLen(off);
    if (len < 0) { drop(Drop.FRAME_SHORT); break; }
    let r = RX_BATCH + <usize>off;
    let j = n & (MANY_MAX - 1);
    if (ahead && j == 0) lookAhead(off, count - n);
    if (len > FRAME_MAX) drop(Drop.FRAME_OVERSIZE);          // what k_rx refuses, counted
    else {
      if (ahead) {
        let i = unchecked(MANY_IDX[j]);
        if (i >= 0) routeHint(i, r + REC_HDR + ETH_HDR + IP_DST);
      }
      rx(<i32>load<u16>(r + REC_NIC), r + REC_HDR, len);
    }
    if (outCount != 0) sendRelays();
    off += recSize(len);
    n++;
  }
  return n;
}

/** The route lookups of the next MANY_MAX records from off (at most left of them), made
 *  together before the first is routed (route.ts routeMany): their cache misses overlap
 *  instead of each frame waiting on its own. MANY_IDX[j] is the lookup of record j (-1:
 *  none). A record that would run past the buffer ends it, as it ends k_rx_batch's loop
 *  (which reads no MANY_IDX past it). */
function lookAhead(off: i32, left: i32): void {
  let m = left < MANY_MAX ? left : MANY_MAX;
  let k = 0;
  let prev: usize = 0;                                 // the last destination looked up
  for (let j = 0; j < m; j++) {
    let len = recLen(off);
    if (len < 0) break;                                // where k_rx_batch's loop ends too
    let f = RX_BATCH + <usize>off + REC_HDR;
    let idx = -1;
    if (len >= ETH_HDR + IP_HDR && ethType(f) == ETHERTYPE_IPV6) {
      let d = f + ETH_HDR + IP_DST;
      if (k > 0 && addrEq(d, prev)) idx = k - 1;       // a flow's next frame: the same lookup
      else {
        store<u32>(DSTS + (<usize>k << 2), <u32>d);
        prev = d;
        idx = k++;
      }
    }
    unchecked(MANY_IDX[j] = idx);
    off += recSize(len);
  }
  routeMany(DSTS, k);
}
const LOOKAHEAD_ROUTES = 4096;
const DSTS: usize = memory.data(MANY_MAX * 4, 4);
const MANY_IDX = new StaticArray<i32>(MANY_MAX);

/** Advance time, run services, drain the NICs. Returns the next deadline (ms) or -1. */
export function k_poll(t: i64): i64 {
  if (!booted) return -1;
  setNow(t);
  return step();
}

/** The node stops: a router sends its final RAs (net/ra.ts raStop). Otherwise a k_poll;
 *  returns when the host should call k_stop again (ms), or -1: the stop is done. */
export function k_stop(t: i64): i64 {
  if (!booted || role != Role.ROUTER) return -1;
  setNow(t);
  raStop(nicCount);
  let next = step();
  return raStopping(nicCount) ? next : -1;
}

/** Send the relays ctl/block.ts built (one load per frame on the hot path when there are none). */
function sendRelays(): void {
  for (let r = outbox(); r != NONE; r = outbox()) answer(r, -1);
}

/** Timers, services and the NICs' queues, at the time set last. The next deadline or -1. */
function step(): i64 {
  if (outCount != 0) sendRelays();   // relays built while a service's message to the node was handled
  let a = earliest(ndTimers(neighborGaveUp), role == Role.ROUTER ? raTimers(nicCount) : -1);
  if (addrHigh > 0) a = earliest(a, acTimers());           // DAD and address lifetimes
  if (learning) a = earliest(a, routersTimers(nicCount));  // the host side of router discovery
  if (anyWg) a = earliest(a, wgTimers());                  // WireGuard's handshakes and keepalives
  if (filterActive != 0) { filterExpire(); a = earliest(a, filterNext()); }   // block filters run out
  if (certIssuing) a = earliest(a, certTimers());          // address certificates: renewals, expiries
  putExpire();                                             // PUT transfers idle too long are forgotten
  txDrain(nicCount);    // what receiving queued goes first, so services find room
  let b = runServices();
  return earliest(earliest(a, b), txDrain(nicCount));
}

export function k_status(): i32 { return writeStatus(); }

export function k_sys(svc: i32, nr: i32, a0: i32, a1: i32, a2: i32, a3: i32, a4: i32): i32 {
  if (!booted) return -Errno.EPERM;
  return sys(svc, nr, a0, a1, a2, a3, a4);
}

/** Report packets at the points of mask (abi/capture.ts) to the host's capture import,
 *  those naming nic and svc (-1: any); mask 0 turns capture off. Allowed before boot. */
export function k_capture(mask: i32, nic: i32, svc: i32): i32 {
  return captureSet(mask, nic, svc);
}

/** The wall clock: the Unix time in ms at kernel time 0. Allowed before boot; after it, a
 *  router issues the certificates that waited for a wall clock, and renews by the new one. */
export function k_epoch(unixMs: i64): void {
  setEpoch(unixMs);
  if (booted) certClock();
}

/** USB device dev (a manifest id) is present, its descriptors in Buf.USB[0, len) (abi/usb.ts);
 *  0, -ENODEV (not in the manifest), -EEXIST (present already: nothing changes), -EBADMSG
 *  (they lie, or it is a hub: the device stays unusable until attached again). Its holder
 *  hears ATTACH (kernel/svc/usb.ts). */
export function k_usb_attach(dev: i32, len: i32, t: i64): i32 {
  if (!booted) return -Errno.ENODEV;
  setNow(t);
  return usbAttach(dev, len);
}

/** USB device dev was unplugged: its transfers in flight complete with -ENODEV. */
export function k_usb_detach(dev: i32, t: i64): void {
  if (!booted) return;
  setNow(t);
  usbDetach(dev);
}

/** A USB transfer the kernel submitted in slot xfer finished; IN data in Buf.USB[0, len). */
export function k_usb_done(dev: i32, xfer: i32, status: i32, len: i32, t: i64): void {
  if (!booted) return;
  setNow(t);
  usbDone(dev, xfer, status, len);
}
