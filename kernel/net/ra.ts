// Router advertisements (RFC 4861 §6), the router side: unsolicited RAs from each
// advertising NIC at random intervals in [MinRtrAdvInterval, MaxRtrAdvInterval] (the first
// MAX_INITIAL_RTR_ADVERTISEMENTS at most MAX_INITIAL_RTR_ADVERT_INTERVAL apart), solicited
// RAs after a random delay up to MAX_RA_DELAY_TIME but never closer than
// MIN_DELAY_BETWEEN_RAS to the last one (§6.2.6). Each RA carries the NIC's MAC, its MTU and
// its connected prefixes (L always, A for /64s). Router lifetime is 0 while the node has no
// default route (it cannot be anyone's default router). Only in the router role.
// When the node stops (raStop, from k_stop), each advertising NIC ceases to advertise
// (§6.2.5): FINAL_RTR_ADVERTISEMENTS final RAs with router lifetime 0 and the prefixes as
// before, the first as soon as §6.2.6's MIN_DELAY_BETWEEN_RAS allows, then nothing more; a
// solicitation meanwhile is answered by the next final RA.
// Router solicitations and other routers' advertisements are validated (§6.1) here too;
// what a host learns from an advertisement is routers.ts's.
import * as M from "../../abi/manifest";
import { Drop } from "../../abi/drop";
import { NIC_MAX, MAX_INITIAL_RTR_ADVERT_INTERVAL_MS, MAX_INITIAL_RTR_ADVERTISEMENTS,
  MIN_DELAY_BETWEEN_RAS_MS, MAX_RA_DELAY_TIME_MS, FINAL_RTR_ADVERTISEMENTS } from "../param";
import { drop, dropParsed } from "../stats";
import { now } from "../clock";
import { between } from "../rand";
import { pktAlloc, pktData, pktSetLen } from "../pool";
import { le16, le32 } from "../../wire/bytes";
import { isLinkLocal, isUnspecified } from "../../wire/addr";
import { IP_HDR, NH_ICMPV6, ipHops, ipSrc, ipEmit } from "../../wire/ipv6";
import { icmpCode, icmpSeal } from "../../wire/icmpv6";
import { ND_HOP_LIMIT, RS_OPTIONS, RA_OPTIONS, NDOPT_SLLA, PI_LEN, PI_ON_LINK, PI_AUTONOMOUS, raEmit, llaOption,
  mtuOption, prefixOption, ndFindOption } from "../../wire/nd";
import { nicMac, nicMtu, nicLinkLocal, prefixCount, prefixNic, prefixLen, prefixAddr } from "./iface";
import { hasDefaultRoute } from "./route";
import { linkOut, learnFrom } from "./nd";
import { raLearn } from "./routers";

const ALL_NODES: usize = memory.data<u8>([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

const on = new StaticArray<bool>(NIC_MAX);
const flags = new StaticArray<u8>(NIC_MAX);
const hopLimit = new StaticArray<u8>(NIC_MAX);
const minMs = new StaticArray<i64>(NIC_MAX);
const maxMs = new StaticArray<i64>(NIC_MAX);
const lifetime = new StaticArray<u16>(NIC_MAX);
const reachable = new StaticArray<u32>(NIC_MAX);
const retrans = new StaticArray<u32>(NIC_MAX);
const valid = new StaticArray<u32>(NIC_MAX);
const preferred = new StaticArray<u32>(NIC_MAX);
const nextUnsolicited = new StaticArray<i64>(NIC_MAX);
const solicitedAt = new StaticArray<i64>(NIC_MAX);   // 0: none pending
const lastSent = new StaticArray<i64>(NIC_MAX);
const initialSent = new StaticArray<i32>(NIC_MAX);
const finalsLeft = new StaticArray<i32>(NIC_MAX);  // once stopping: final RAs still to send
export const raSent = new StaticArray<u64>(NIC_MAX);
let stopping = false;

/** Read an RA record (already length-checked by boot.ts). */
export function raConfigure(nic: i32, b: usize): void {
  unchecked(on[nic] = true);
  unchecked(flags[nic] = load<u8>(b + M.RA_FLAGS) & <u8>(M.RA_MANAGED | M.RA_OTHER));
  unchecked(hopLimit[nic] = load<u8>(b + M.RA_HOP_LIMIT));
  unchecked(minMs[nic] = <i64>le16(b + M.RA_MIN_INTERVAL) * 1000);
  unchecked(maxMs[nic] = <i64>le16(b + M.RA_MAX_INTERVAL) * 1000);
  unchecked(lifetime[nic] = <u16>le16(b + M.RA_LIFETIME));
  unchecked(reachable[nic] = le32(b + M.RA_REACHABLE));
  unchecked(retrans[nic] = le32(b + M.RA_RETRANS));
  unchecked(valid[nic] = le32(b + M.RA_VALID));
  unchecked(preferred[nic] = le32(b + M.RA_PREFERRED));
  unchecked(nextUnsolicited[nic] = now);       // the first RA goes out at the first poll
}

export function raEnabled(nic: i32): bool { return unchecked(on[nic]); }

/** Build and send one RA on nic to all nodes. */
function send(nic: i32): void {
  let pkt = pktAlloc();
  if (pkt < 0) { drop(Drop.POOL_EMPTY); return; }
  let p = pktData(pkt);
  let m = p + IP_HDR;
  let mtu = unchecked(nicMtu[nic]);
  let life: u16 = !stopping && hasDefaultRoute() ? unchecked(lifetime[nic]) : 0;
  raEmit(m, unchecked(hopLimit[nic]), unchecked(flags[nic]), life,
    unchecked(reachable[nic]), unchecked(retrans[nic]));
  let o = llaOption(m + RA_OPTIONS, NDOPT_SLLA, nicMac(nic));
  o = mtuOption(o, <u32>mtu);
  for (let i = 0; i < prefixCount; i++) {
    if (prefixNic(i) != nic || <i32>(o - p) + PI_LEN > mtu) continue;
    let l = prefixLen(i);
    let pf = PI_ON_LINK | (l == 64 ? PI_AUTONOMOUS : 0);  // L, and A for a /64 (RFC 4862)
    o = prefixOption(o, prefixAddr(i), l, pf, unchecked(valid[nic]), unchecked(preferred[nic]));
  }
  let len = <i32>(o - m);
  ipEmit(p, len, NH_ICMPV6, ND_HOP_LIMIT, nicLinkLocal(nic), ALL_NODES);
  icmpSeal(p, len);
  pktSetLen(pkt, IP_HDR + len);
  unchecked(lastSent[nic] = now);
  unchecked(raSent[nic]++);
  linkOut(nic, ALL_NODES, pkt);
  schedule(nic);
}

/** After every multicast RA, solicited or not, the next unsolicited one is drawn anew
 *  (§6.2.4) and any pending solicited one is answered by this one. */
function schedule(nic: i32): void {
  unchecked(solicitedAt[nic] = 0);
  if (stopping) {
    let left = unchecked(finalsLeft[nic]) - 1;
    unchecked(finalsLeft[nic] = left);
    if (left == 0) unchecked(on[nic] = false);   // no longer an advertising interface
    unchecked(nextUnsolicited[nic] = now + MIN_DELAY_BETWEEN_RAS_MS);
    return;
  }
  let wait = between(unchecked(minMs[nic]), unchecked(maxMs[nic]));
  if (unchecked(initialSent[nic]) < MAX_INITIAL_RTR_ADVERTISEMENTS) {
    unchecked(initialSent[nic]++);
    if (wait > MAX_INITIAL_RTR_ADVERT_INTERVAL_MS) wait = MAX_INITIAL_RTR_ADVERT_INTERVAL_MS;
  }
  unchecked(nextUnsolicited[nic] = now + wait);
}

/** Send what is due; returns the next time anything is due, or -1. */
export function raTimers(nicCount: i32): i64 {
  let next: i64 = -1;
  for (let n = 0; n < nicCount; n++) {
    if (!unchecked(on[n])) continue;
    let s = unchecked(solicitedAt[n]);
    if ((s != 0 && s <= now) || unchecked(nextUnsolicited[n]) <= now) send(n);
    if (!unchecked(on[n])) continue;             // that was its last final RA
    s = unchecked(solicitedAt[n]);
    let due = unchecked(nextUnsolicited[n]);
    if (s != 0 && s < due) due = s;
    if (next < 0 || due < next) next = due;
  }
  return next;
}

/** A Router Solicitation (checksum verified) on nic: validate (§6.1.1), learn the
 *  sender's MAC, and schedule a solicited RA (§6.2.6). */
export function rsInput(nic: i32, p: usize, off: i32, len: i32): void {
  let m = p + off;
  if (ipHops(p) != ND_HOP_LIMIT || icmpCode(m) != 0 || len < RS_OPTIONS) { dropParsed(Drop.ND_INVALID, nic, p); return; }
  let sll = ndFindOption(m, len, RS_OPTIONS, NDOPT_SLLA);
  if (sll < 0 || (sll > 0 && isUnspecified(ipSrc(p)))) { dropParsed(Drop.ND_INVALID, nic, p); return; }
  if (sll > 0) learnFrom(nic, ipSrc(p), <usize>sll);
  if (!unchecked(on[nic])) return;
  let delay = between(0, MAX_RA_DELAY_TIME_MS);
  let t = now + delay;
  // §6.2.6: within MIN_DELAY_BETWEEN_RAS of the last multicast RA, answer that long after
  // it, plus the same random delay.
  let last = unchecked(lastSent[nic]);
  if (unchecked(raSent[nic]) > 0 && now - last < MIN_DELAY_BETWEEN_RAS_MS) t = last + MIN_DELAY_BETWEEN_RAS_MS + delay;
  let pending = unchecked(solicitedAt[nic]);
  if (pending != 0 && pending <= t) return;
  if (t >= unchecked(nextUnsolicited[nic])) return;     // the next unsolicited RA comes first
  unchecked(solicitedAt[nic] = t);
}

/** Another router's advertisement: validate (§6.1.2), then learn from it if the NIC takes
 *  configuration from the link (routers.ts); otherwise it changes nothing. */
export function raInput(nic: i32, p: usize, off: i32, len: i32): void {
  let m = p + off;
  if (!isLinkLocal(ipSrc(p)) || ipHops(p) != ND_HOP_LIMIT || icmpCode(m) != 0 || len < RA_OPTIONS ||
      ndFindOption(m, len, RA_OPTIONS, NDOPT_SLLA) < 0) {
    dropParsed(Drop.ND_INVALID, nic, p);
    return;
  }
  raLearn(nic, p, m, len);
}

/** The node stops: from now on every advertising NIC sends only its final RAs (§6.2.5),
 *  the first as soon as MIN_DELAY_BETWEEN_RAS after its last multicast RA allows (§6.2.6).
 *  A second call changes nothing. raTimers sends them; raStopping says when all went out. */
export function raStop(nicCount: i32): void {
  if (stopping) return;
  stopping = true;
  for (let n = 0; n < nicCount; n++) {
    if (!unchecked(on[n])) continue;
    unchecked(finalsLeft[n] = FINAL_RTR_ADVERTISEMENTS);
    unchecked(solicitedAt[n] = 0);
    let at = now;
    let last = unchecked(lastSent[n]) + MIN_DELAY_BETWEEN_RAS_MS;
    if (unchecked(raSent[n]) > 0 && last > at) at = last;
    unchecked(nextUnsolicited[n] = at);
  }
}

/** True while a stopping node still has final RAs to send on some NIC. */
export function raStopping(nicCount: i32): bool {
  if (!stopping) return false;
  for (let n = 0; n < nicCount; n++) if (unchecked(on[n])) return true;
  return false;
}

/** Stop advertising on every NIC (a refused boot). */
export function raReset(): void {
  stopping = false;
  for (let n = 0; n < NIC_MAX; n++) { unchecked(on[n] = false); unchecked(solicitedAt[n] = 0); }
}
