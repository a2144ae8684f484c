// The egress scheduler: per NIC, one class for the kernel's own packets (neighbor
// discovery, router advertisements, ICMPv6 errors), one for forwarded traffic and one per
// service, each with a bounded queue and the rates the manifest grants (NET records, bit/s):
//   1. kernel packets go first (they are few and keep the link working);
//   2. a backlogged class below its min rate is served next, in turn;
//   3. spare capacity is shared byte-fairly (start-time fair queueing) among classes under
//      their max, up to the NIC's line rate.
// Credits accrue with the kernel clock and are capped at CAP_MS of rate plus one frame, so
// a class back from idle never bursts more than one MTU above its max. A class that had
// frames waiting since the last poll is not charged for the host's lateness: its cap
// stretches to the whole gap (up to CATCHUP_MS), so it catches up on its schedule as
// CAKE's shaper does, whose next-send time is reset only when its queue runs empty. Frames
// have their Ethernet header written already; k_poll drains them to the host's nic_send.
import { NIC_MAX, NIC_TXQ, ETH_HDR, CLASS_MAX, FRAME_MAX } from "../param";
import { Drop } from "../../abi/drop";
import { CapturePoint, CAPTURE_NONE } from "../../abi/capture";
import { dropFrame, dropQueued, pktSender } from "../stats";
import { capturing, capture } from "../capture";
import { now } from "../clock";
import { pktData, pktLen, pktFree, pktClass, pktIsGso, pktGso, CLASS_KERNEL, CLASS_FORWARD } from "../pool";
import { txFrames, txBytes, txErrors, nicMtu, nicKind, nicNoGso } from "./iface";
import { NicKind } from "../../abi/kernel";
import { wgFrame, frameAt, pktPeer, RAW } from "../wg/seal";
import { host_nic_send, host_nic_send_gso } from "../../abi/gen/host";
import { gsoCount, gsoWireBytes, gsoSegment } from "./gso";
import { Errno } from "../../abi/errno";

export { CLASS_KERNEL, CLASS_FORWARD, CLASS_SERVICE } from "../pool";
const N = NIC_MAX * CLASS_MAX;
const CAP_MS: i64 = 2;                       // credit kept: this many ms of rate, plus a frame
const CATCHUP_MS: i64 = 100;                 // a waiting class makes up at most this much of a late poll

const ring = new StaticArray<u16>(N * NIC_TXQ);
const head = new StaticArray<i32>(N);
const count = new StaticArray<i32>(N);
export const minRate = new StaticArray<u64>(N);     // bytes per second; 0: no guarantee
export const maxRate = new StaticArray<u64>(N);     // bytes per second; 0: unlimited
const minBits = new StaticArray<u64>(N);            // the grants as given, in bit/s, for admission
const maxBits = new StaticArray<u64>(N);
const minCredit = new StaticArray<i64>(N);
const maxCredit = new StaticArray<i64>(N);
const spareSent = new StaticArray<u64>(N);         // bytes sent from spare capacity
export const classBytes = new StaticArray<u64>(N);  // bytes sent, per class
export const classDrops = new StaticArray<u64>(N);  // frames dropped at a full queue
const linkRate = new StaticArray<u64>(NIC_MAX);     // bytes per second; 0: unlimited
const linkCredit = new StaticArray<i64>(NIC_MAX);
const refilled = new StaticArray<i64>(NIC_MAX);
const waited = new StaticArray<bool>(N);            // frames were left queued at the last drain
const linkWaited = new StaticArray<bool>(NIC_MAX);  // ... in any class of the NIC
const rrMin = new StaticArray<i32>(NIC_MAX);
const vtime = new StaticArray<u64>(NIC_MAX);        // spare bytes of the last class served
let blocked = false;                                 // a backlog waits for credit
// Which classes of each NIC have frames queued, a bit each, so that choosing the next frame
// costs the backlogged classes, not CLASS_MAX of them (a thousand services: issue #17).
const WORDS: i32 = (CLASS_MAX + 63) >> 6;
const backlog = new StaticArray<u64>(NIC_MAX * WORDS);
// ... and which of those words are not 0, a bit each, so that a NIC with one busy class
// costs one word per frame sent, not WORDS (17 with SVC_MAX 1024) of them.
const busyWords = new StaticArray<u64>(NIC_MAX);
// @ts-ignore: a constant condition, folded away (asc compiles only the branch it takes)
if (WORDS > 64) ERROR("egress.ts: CLASS_MAX needs more than 64 words of backlog bits, more than busyWords holds");
const minClasses = new StaticArray<i32>(NIC_MAX);   // classes of the NIC with a min rate
const minMask = new StaticArray<u64>(NIC_MAX * WORDS); // ... a bit each, walked with the backlog's
// The classes of each NIC with a min or max rate: the only ones whose credits a poll
// refills and caps, so that a poll costs those classes, not CLASS_MAX of them.
const rated = new StaticArray<u16>(NIC_MAX * CLASS_MAX);
const ratedCount = new StaticArray<i32>(NIC_MAX);

// @ts-ignore: decorator
@inline function at(nic: i32, c: i32): i32 { return nic * CLASS_MAX + c; }
// @ts-ignore: decorator
@inline function markBacklog(nic: i32, c: i32): void {
  let w = nic * WORDS + (c >> 6);
  unchecked(backlog[w] = unchecked(backlog[w]) | (<u64>1 << <u64>(c & 63)));
  unchecked(busyWords[nic] = unchecked(busyWords[nic]) | (<u64>1 << <u64>(c >> 6)));
}
// @ts-ignore: decorator
@inline function clearBacklog(nic: i32, c: i32): void {
  let w = nic * WORDS + (c >> 6);
  let bits = unchecked(backlog[w]) & ~(<u64>1 << <u64>(c & 63));
  unchecked(backlog[w] = bits);
  if (bits == 0) unchecked(busyWords[nic] = unchecked(busyWords[nic]) & ~(<u64>1 << <u64>(c >> 6)));
}

export function txDepth(nic: i32): i32 {
  let d = 0;
  for (let c = 0; c < CLASS_MAX; c++) d += unchecked(count[at(nic, c)]);
  return d;
}
export function classDepth(nic: i32, c: i32): i32 { return unchecked(count[at(nic, c)]); }

/** Rates from a NET record, in bit/s (0 max: unlimited). */
export function setClassRates(nic: i32, c: i32, minB: u64, maxB: u64): void {
  let i = at(nic, c);
  let had = unchecked(minRate[i]) > 0, has = minB / 8 > 0;
  if (had != has) {
    unchecked(minClasses[nic] += has ? 1 : -1);
    let w = nic * WORDS + (c >> 6), bit = <u64>1 << <u64>(c & 63);
    unchecked(minMask[w] = has ? unchecked(minMask[w]) | bit : unchecked(minMask[w]) & ~bit);
  }
  let wasRated = had || unchecked(maxRate[i]) > 0, isRated = has || maxB / 8 > 0;
  if (!wasRated && isRated) {
    unchecked(rated[nic * CLASS_MAX + unchecked(ratedCount[nic])] = <u16>c);
    unchecked(ratedCount[nic]++);
    unchecked(waited[i] = unchecked(count[i]) > 0);
  } else if (wasRated && !isRated) {
    unrate(nic, c);
  }
  unchecked(minRate[at(nic, c)] = minB / 8);
  unchecked(maxRate[at(nic, c)] = maxB / 8);
  unchecked(minBits[at(nic, c)] = minB);
  unchecked(maxBits[at(nic, c)] = maxB);
}
/** Class c of nic has no rate any more: out of the rated list, its credits capped as the
 *  poll capped an idle unrated class's (at a frame, cap() of rate 0). */
function unrate(nic: i32, c: i32): void {
  let n = unchecked(ratedCount[nic]);
  for (let k = 0; k < n; k++) {
    if (<i32>unchecked(rated[nic * CLASS_MAX + k]) != c) continue;
    unchecked(rated[nic * CLASS_MAX + k] = unchecked(rated[nic * CLASS_MAX + n - 1]));
    unchecked(ratedCount[nic] = n - 1);
    break;
  }
  let i = at(nic, c);
  let frame = <i64>(unchecked(nicMtu[nic]) + ETH_HDR);
  unchecked(minCredit[i] = min(unchecked(minCredit[i]), frame));
  unchecked(maxCredit[i] = min(unchecked(maxCredit[i]), frame));
}

export function classMinBits(nic: i32, c: i32): u64 { return unchecked(minBits[at(nic, c)]); }
export function classMaxBits(nic: i32, c: i32): u64 { return unchecked(maxBits[at(nic, c)]); }
export function setLinkRate(nic: i32, bits: u64): void { unchecked(linkRate[nic] = bits / 8); }

/** May a TCP super-frame wait whole in nic's forwarding class (output.ts superStep)? Only where
 *  no credit gates it: no line rate on the NIC and no max rate on its forwarding class (both set
 *  at boot only; a min needs a line rate, svc/admit.ts). A credit is checked against the size
 *  of the frame at the head and capped near one MTU-sized frame, so a 64 KiB frame would wait
 *  there, and everything behind it, until a credit that never reaches its size did (below
 *  about 256 Mbit/s, for ever). */
export function superMayQueue(nic: i32): bool {
  return unchecked(linkRate[nic]) == 0 && unchecked(maxRate[at(nic, CLASS_FORWARD)]) == 0;
}
export function getLinkRate(nic: i32): u64 { return unchecked(linkRate[nic]) * 8; }

/** Queue pkt (its Ethernet header written) on nic, in the class pool.ts tagged it with.
 *  Consumes pkt either way. */
export function txPush(nic: i32, pkt: i32): void {
  let k = pktClass(pkt);
  let i = at(nic, k);
  let c = unchecked(count[i]);
  if (c >= NIC_TXQ) { dropQueued(Drop.TXQ_FULL, pkt, nic); unchecked(classDrops[i]++); pktFree(pkt); return; }
  if (c == 0) {
    markBacklog(nic, k);
    if (unchecked(spareSent[i]) < unchecked(vtime[nic])) unchecked(spareSent[i] = unchecked(vtime[nic]));
  }
  unchecked(ring[i * NIC_TXQ + (unchecked(head[i]) + c) % NIC_TXQ] = <u16>pkt);
  unchecked(count[i] = c + 1);
}

function cap(rate: u64, frame: i64, ms: i64): i64 { return <i64>rate * ms / 1000 + frame; }

/** Add dt ms of credit. The cap is CAP_MS of rate plus a frame; for a class that has been
 *  waiting with frames queued the whole time, the gap itself (up to CATCHUP_MS), so a late
 *  poll delays its frames but does not cost it its rate. */
function refill(nic: i32): void {
  let dt = now - unchecked(refilled[nic]);
  if (dt <= 0) return;
  unchecked(refilled[nic] = now);
  let frame = <i64>(unchecked(nicMtu[nic]) + ETH_HDR);
  let late = min(max(dt, CAP_MS), CATCHUP_MS);
  let l = unchecked(linkRate[nic]);
  if (l > 0) {
    let ms = unchecked(linkWaited[nic]) ? late : CAP_MS;
    unchecked(linkCredit[nic] = min(cap(l, frame, ms), unchecked(linkCredit[nic]) + <i64>l * dt / 1000));
  }
  let rc = unchecked(ratedCount[nic]);
  for (let k = 0; k < rc; k++) {
    let i = at(nic, <i32>unchecked(rated[nic * CLASS_MAX + k]));
    let ms = unchecked(waited[i]) ? late : CAP_MS;
    let r = unchecked(minRate[i]);
    if (r > 0) unchecked(minCredit[i] = min(cap(r, frame, ms), unchecked(minCredit[i]) + <i64>r * dt / 1000));
    r = unchecked(maxRate[i]);
    if (r > 0) unchecked(maxCredit[i] = min(cap(r, frame, ms), unchecked(maxCredit[i]) + <i64>r * dt / 1000));
  }
}

/** Remember which classes of nic are left with frames queued, for the next refill. A class
 *  whose queue ran empty keeps at most the idle cap of its credit (CAKE resets its schedule
 *  when the queue runs empty): what it was owed for a late poll is not kept for frames that
 *  come later, even at a second poll in the same millisecond, which refill() does not cap.
 *  The line likewise when every class ran empty. */
function noteWaiting(nic: i32): void {
  let frame = <i64>(unchecked(nicMtu[nic]) + ETH_HDR);
  let any = unchecked(busyWords[nic]) != 0;
  let rc = unchecked(ratedCount[nic]);
  for (let k = 0; k < rc; k++) {                     // only a rated class has credits to cap
    let i = at(nic, <i32>unchecked(rated[nic * CLASS_MAX + k]));
    let w = unchecked(count[i]) > 0;
    unchecked(waited[i] = w);
    if (w) continue;
    // A cap is never under one frame, so a credit within a frame needs no division.
    if (unchecked(minCredit[i]) > frame) unchecked(minCredit[i] = min(unchecked(minCredit[i]), cap(unchecked(minRate[i]), frame, CAP_MS)));
    if (unchecked(maxCredit[i]) > frame) unchecked(maxCredit[i] = min(unchecked(maxCredit[i]), cap(unchecked(maxRate[i]), frame, CAP_MS)));
  }
  unchecked(linkWaited[nic] = any);
  if (!any && unchecked(linkCredit[nic]) > frame) {
    unchecked(linkCredit[nic] = min(unchecked(linkCredit[nic]), cap(unchecked(linkRate[nic]), frame, CAP_MS)));
  }
}

function headSize(i: i32): i32 {
  return pktLen(<i32>unchecked(ring[i * NIC_TXQ + unchecked(head[i])])) + ETH_HDR;
}

function underMax(i: i32, size: i32): bool {
  return unchecked(maxRate[i]) == 0 || unchecked(maxCredit[i]) >= <i64>size;
}
function linkOk(nic: i32, size: i32): bool {
  return unchecked(linkRate[nic]) == 0 || unchecked(linkCredit[nic]) >= <i64>size;
}

/** Hand the head frame of class i to the host and charge the credits it used: the min
 *  credit only for a frame sent as part of the guarantee (asMin), so that what a class gets
 *  from the spare capacity comes on top of its min. */
function sendHead(nic: i32, i: i32, asMin: bool): i32 {
  let h = unchecked(head[i]);
  let pkt = <i32>unchecked(ring[i * NIC_TXQ + h]);
  unchecked(head[i] = (h + 1) % NIC_TXQ);
  let left = unchecked(count[i]) - 1;
  unchecked(count[i] = left);
  if (left == 0) clearBacklog(nic, i - at(nic, 0));
  let len = pktLen(pkt) + ETH_HDR;
  if (asMin) unchecked(minCredit[i] -= <i64>len);
  if (unchecked(maxRate[i]) > 0) unchecked(maxCredit[i] -= <i64>len);
  if (unchecked(linkRate[nic]) > 0) unchecked(linkCredit[nic] -= <i64>len);
  unchecked(classBytes[i] += <u64>len);
  let f = pktData(pkt) - ETH_HDR;
  if (pktIsGso(pkt)) return sendSuper(nic, pkt, f, len);
  if (unchecked(nicKind[nic]) == <u8>NicKind.WIREGUARD) {   // sealed now, with the session of the moment
    if (capturing != 0 && unchecked(pktPeer[pkt]) != RAW) capture(CapturePoint.TX, nic, pktSender(pkt), CAPTURE_NONE, pktData(pkt), pktLen(pkt));
    let n = wgFrame(nic, pkt);
    if (n == 0) { pktFree(pkt); return len; }
    f = frameAt; len = n;
  } else if (capturing != 0) capture(CapturePoint.TX, nic, pktSender(pkt), CAPTURE_NONE, f, len);
  let r = host_nic_send(nic, <i32>f, len);
  if (r < 0) { dropQueued(Drop.NIC_DOWN, pkt, nic); unchecked(txErrors[nic]++); }
  else { unchecked(txFrames[nic]++); unchecked(txBytes[nic] += <u64>len); }
  pktFree(pkt);
  return len;
}

/** sendHead's end for a TCP super-frame (net/gso.ts), which output.ts sends only to a TAP
 *  NIC: whole, counted and captured as its segments would be but as one frame (spec/abi.md
 *  "Super-frames"). A host that answers -ENOTSUP gets this one as its segments, each captured
 *  and counted, and the NIC's later ones are cut before they are queued. */
function sendSuper(nic: i32, pkt: i32, f: usize, len: i32): i32 {
  let p = pktData(pkt);
  let gso = pktGso(pkt);
  let r = unchecked(nicNoGso[nic]) ? -Errno.ENOTSUP : host_nic_send_gso(nic, <i32>f, len, gso);
  if (r == -Errno.ENOTSUP) {
    unchecked(nicNoGso[nic] = true);
    let segs = gsoCount(p, len - ETH_HDR, gso);
    for (let k = 0; k < segs; k++) {
      memory.copy(TX_CUT, f, <usize>ETH_HDR);
      let n = ETH_HDR + gsoSegment(p, len - ETH_HDR, gso, k, TX_CUT + ETH_HDR);
      if (capturing != 0) capture(CapturePoint.TX, nic, pktSender(pkt), CAPTURE_NONE, TX_CUT, n);
      if (host_nic_send(nic, <i32>TX_CUT, n) < 0) { dropFrame(Drop.NIC_DOWN, nic, TX_CUT, n); unchecked(txErrors[nic]++); }
      else { unchecked(txFrames[nic]++); unchecked(txBytes[nic] += <u64>n); }
    }
    pktFree(pkt);
    return len;
  }
  if (capturing != 0) capture(CapturePoint.TX, nic, pktSender(pkt), CAPTURE_NONE, f, len);
  if (r < 0) { dropQueued(Drop.NIC_DOWN, pkt, nic); unchecked(txErrors[nic] += <u64>gsoCount(p, len - ETH_HDR, gso)); }
  else {
    unchecked(txFrames[nic] += <u64>gsoCount(p, len - ETH_HDR, gso));
    unchecked(txBytes[nic] += gsoWireBytes(p, len - ETH_HDR, gso, ETH_HDR));
  }
  pktFree(pkt);
  return len;
}

/** One segment's frame, cut from a super-frame for a host that takes none. */
const TX_CUT: usize = memory.data(FRAME_MAX, 16);

/** One frame from a class still owed its min rate, taking turns: the classes after the
 *  last one served, then those up to it (classes 1 .. CLASS_MAX-1). Walks only the classes
 *  that are both backlogged and have a min rate, a bit each, not CLASS_MAX of them. */
function serveMin(nic: i32): bool {
  if (unchecked(minClasses[nic]) == 0) return false;   // no class of the NIC is owed anything
  let start = unchecked(rrMin[nic]);
  let r = minFrom(nic, start + 1, CLASS_MAX);
  if (r == 0) r = minFrom(nic, 1, start + 1);
  return r > 0;
}

/** serveMin over classes [lo, hi): 1 when a frame went, 0 when none may, -1 when the link
 *  itself has no credit (blocked). */
function minFrom(nic: i32, lo: i32, hi: i32): i32 {
  for (let w = lo >> 6; w < WORDS && (w << 6) < hi; w++) {
    let bits = unchecked(backlog[nic * WORDS + w]) & unchecked(minMask[nic * WORDS + w]);
    if ((w << 6) < lo) bits &= ~((<u64>1 << <u64>(lo & 63)) - 1);
    while (bits != 0) {
      let c = (w << 6) + <i32>ctz(bits);
      bits &= bits - 1;
      if (c >= hi) return 0;
      if (c == 0) continue;                            // the kernel's class goes first anyway
      let i = at(nic, c);
      let size = headSize(i);
      if (unchecked(minCredit[i]) < <i64>size || !underMax(i, size)) continue;
      if (!linkOk(nic, size)) { blocked = true; return -1; }
      sendHead(nic, i, true);
      unchecked(rrMin[nic] = c % (CLASS_MAX - 1));
      return 1;
    }
  }
  return 0;
}

/** One frame of the spare capacity, to the eligible class (backlogged, under its max)
 *  that has had the fewest spare bytes so far — byte-fair sharing that a class limited by
 *  its max cannot lose its share to (start-time fair queueing, with a virtual time per NIC
 *  so a class returning from idle does not claim the past). */
function serveSpare(nic: i32): bool {
  let busy = unchecked(busyWords[nic]);
  if ((busy & (busy - 1)) == 0 && unchecked(ratedCount[nic]) == 0 && unchecked(linkRate[nic]) == 0) {
    // One word busy, no class of the NIC rated and the line unlimited: when one class is
    // backlogged (besides the kernel's, served before), it is the one chosen for each of its
    // frames in turn, so they go in one loop, charged as one at a time would be.
    let w = <i32>ctz(busy);
    let bits = w < WORDS ? unchecked(backlog[nic * WORDS + w]) : 0;
    if (w == 0) bits &= ~(<u64>1 << <u64>CLASS_KERNEL);
    if (bits != 0 && (bits & (bits - 1)) == 0) {
      let i = at(nic, (w << 6) + <i32>ctz(bits));
      do {
        unchecked(vtime[nic] = unchecked(spareSent[i]));
        unchecked(spareSent[i] += <u64>sendHead(nic, i, false));
      } while (unchecked(count[i]) > 0);
      return true;
    }
  }
  let best = -1;
  let least: u64 = U64.MAX_VALUE;
  for (; busy != 0; busy &= busy - 1) {             // the backlogged classes, in class order
    let w = <i32>ctz(busy);
    let bits = unchecked(backlog[nic * WORDS + w]);
    if (w == 0) bits &= ~(<u64>1 << <u64>CLASS_KERNEL);
    while (bits != 0) {
      let i = at(nic, (w << 6) + <i32>ctz(bits));
      bits &= bits - 1;
      // The head frame's size only for a class with a max: reading it costs a look at the
      // packet, once per backlogged class per frame sent (32 classes of one frame each at
      // 1,000 services round-robin: issue #17, EC).
      if (unchecked(maxRate[i]) != 0 && !underMax(i, headSize(i))) { blocked = true; continue; }
      if (unchecked(spareSent[i]) < least) { least = unchecked(spareSent[i]); best = i; }
    }
  }
  if (best < 0) return false;
  if (!linkOk(nic, headSize(best))) { blocked = true; return false; }
  unchecked(vtime[nic] = least);
  unchecked(spareSent[best] += <u64>sendHead(nic, best, false));
  return true;
}

/** Drain what the rates allow on every NIC. Returns the next time the scheduler needs a
 *  poll (a backlog waits for credit: one millisecond on), or -1. */
export function txDrain(nicCount: i32): i64 {
  blocked = false;
  for (let n = 0; n < nicCount; n++) {
    refill(n);
    let k = at(n, CLASS_KERNEL);
    while (unchecked(count[k]) > 0) sendHead(n, k, false);
    if (unchecked(minClasses[n]) == 0) {             // nothing is owed: spare capacity only
      while (serveSpare(n)) {}
    } else {
      while (serveMin(n)) {}
      while (serveSpare(n)) { while (serveMin(n)) {} }
    }
    noteWaiting(n);
  }
  return blocked ? now + 1 : -1;
}

/** Service svc's class on every NIC back to no rates, its queued frames dropped and its
 *  counters zeroed (UNLOAD, or a refused LOAD). */
export function classForget(nicCount: i32, c: i32): void {
  for (let n = 0; n < nicCount; n++) {
    let i = at(n, c);
    while (unchecked(count[i]) > 0) {
      let h = unchecked(head[i]);
      let pkt = <i32>unchecked(ring[i * NIC_TXQ + h]);
      unchecked(head[i] = (h + 1) % NIC_TXQ);
      unchecked(count[i]--);
      dropQueued(Drop.SVC_DOWN, pkt, n);
      pktFree(pkt);
    }
    clearBacklog(n, c);
    setClassRates(n, c, 0, 0);
    unchecked(minCredit[i] = 0); unchecked(maxCredit[i] = 0); unchecked(waited[i] = false);
    unchecked(spareSent[i] = 0); unchecked(classBytes[i] = 0); unchecked(classDrops[i] = 0);
  }
}

/** Forget every rate (a refused boot). */
export function egressReset(): void {
  for (let i = 0; i < N; i++) {
    unchecked(minRate[i] = 0); unchecked(maxRate[i] = 0); unchecked(minBits[i] = 0); unchecked(maxBits[i] = 0);
  }
  for (let n = 0; n < NIC_MAX; n++) { unchecked(linkRate[n] = 0); unchecked(minClasses[n] = 0); unchecked(ratedCount[n] = 0); }
  for (let w = 0; w < NIC_MAX * WORDS; w++) unchecked(minMask[w] = 0);
}
