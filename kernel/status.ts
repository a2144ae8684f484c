// The status snapshot: k_status() writes the node's counters and tables into Buf.STATUS in
// the layout of abi/status.ts, for `persia status`, metrics and tests. The two tables that
// may hold more than the buffer (ROUTE_MAX routes, NEIGH_MAX neighbors) go last and share
// what is left, so that neither starves the other. Read-only: it changes nothing, and a
// snapshot too big for the buffer is cut at a record boundary.
import { blockRefused, relaysSent, relaysIn } from "./ctl/block";
import { holderCount } from "./ctl/holders";
import * as S from "../abi/status";
import { Drop } from "../abi/drop";
import { STATUS_SIZE, NIC_MAX, CLASS_MAX, CAP_SLOTS } from "./param";
import { now, NEVER } from "./clock";
import { drops, icmpErrorsSent } from "./stats";
import { poolFree } from "./pool";
import { role } from "./boot";
import { modulesSigned } from "./svc/modules";
import { ctlAccepted, ctlRefused } from "./ctl/control";
import { addrCopy, macCopy } from "../wire/addr";
import { nicPresent, nicKind, nicMtu, nicMac, nicCount, rxFrames, rxBytes, txFrames, txBytes, txErrors } from "./net/iface";
import { txDepth, classDepth, minRate, maxRate, classBytes, classDrops } from "./net/egress";
import { raSent } from "./net/ra";
import { routeCount, routeHigh, routeUsed, routePrefix, routeVia, routeLen, routeKind, routeNic, routeSvc } from "./net/route";
import { neighHigh, neighNic, neighState, neighAddr, neighMac } from "./net/nd";
import { svcCount, svcValid, svcState, svcLastFault, svcRestarts, svcRx, svcTx, svcFaults,
  svcRefused, svcFuel, svcName, svcNameLen, svcRamMin, svcRamMax } from "./svc/registry";
import { queueDepth } from "./svc/queue";
import { cpuMinPermille, cpuMaxPermille, cpuUsed } from "./svc/cpu";
import { capKind, capObject, capRights, capExtOff, capExtLen } from "./svc/caps";
import { CapKind } from "../abi/caps";
import { LEARNED_MAX, ROUTER_MAX } from "./param";
import { addrHigh, acNic, acSvc, acState, acOrigin, acPreferred, acValid, acDadLeft, acCounter, acAddr } from "./net/slaac";
import { learnedNic, learnedLen, learnedFlags, learnedValid, learnedPreferred, learnedPrefix, routerNic, routerUntil,
  routerReachable, routerRetrans, routerAddr, chosen, rtMtu } from "./net/routers";

import * as F from "./net/filter";
import * as U from "./svc/usb";
import { USB_MAX } from "../abi/limits";
import * as W from "./wg/state";
import { WG_KEY, WG_EP_PORT } from "../wire/layout/wireguard";
import { usable } from "./wg/timers";
import * as CS from "./cert/state";
import { issued, issuedHigh, issuedState, issuedOrigin, issuedSvc, ISSUED } from "./cert/issue";
import { certLen, certNotAfter, certPrefix, certHolder, certIssuer } from "./cert/check";

export const STATUS: usize = memory.data(STATUS_SIZE, 8);
let pos = 0;
let records = 0;
let limit = STATUS_SIZE;                           // where records may end: the routes' share of the buffer
const RECORDS_MAX = 0xffff;                        // the header counts records in a u16
let recLimit = RECORDS_MAX;                        // how many records there may be: the routes' share

/** Open a record of body length n; returns its body address, or 0 if it does not fit. */
function rec(type: S.St, n: i32): usize {
  if (records >= recLimit || pos + 4 + n > limit) return 0;
  let r = STATUS + <usize>pos;
  store<u8>(r, <u8>type);
  store<u8>(r, 0, 1);
  store<u16>(r, <u16>n, 2);
  memory.fill(r + 4, 0, <usize>n);
  pos += 4 + n;
  records++;
  return r + 4;
}

export function writeStatus(): i32 {
  pos = 8; records = 0; limit = STATUS_SIZE; recLimit = RECORDS_MAX;
  let b = rec(S.St.NODE, S.SN_SIZE);
  store<i64>(b + S.SN_NOW, now);
  store<u8>(b + S.SN_ROLE, <u8>role);
  store<u16>(b + S.SN_SVCS, <u16>svcCount);
  store<u8>(b + S.SN_NICS, <u8>nicCount);
  store<u8>(b + S.SN_FLAGS, modulesSigned() ? <u8>S.SN_SIGNED_MODULES : 0);
  store<u16>(b + S.SN_ROUTES, <u16>min(routeCount, 0xffff));   // a full table holds more than a u16 counts
  store<u16>(b + S.SN_FREE, <u16>poolFree());
  store<u64>(b + S.SN_ICMP_ERRORS, icmpErrorsSent);
  store<u64>(b + S.SN_CTL_ACCEPTED, ctlAccepted);
  store<u64>(b + S.SN_CTL_REFUSED, ctlRefused);
  let neighs = 0;
  for (let i = 0; i < neighHigh; i++) if (neighNic(i) >= 0) neighs++;
  store<u32>(b + S.SN_ROUTE_COUNT, <u32>routeCount);        // the records below may hold fewer
  store<u32>(b + S.SN_NEIGH_COUNT, <u32>neighs);
  b = rec(S.St.DROPS, 8 * <i32>Drop.COUNT);
  for (let i = 0; i < <i32>Drop.COUNT; i++) store<u64>(b + <usize>(i * 8), unchecked(drops[i]));
  for (let n = 0; n < nicCount && n < NIC_MAX; n++) if (unchecked(nicPresent[n])) nicRecord(n);
  for (let s = 0; s < svcCount; s++) if (svcValid(s)) svcRecord(s);
  for (let n = 0; n < nicCount && n < NIC_MAX; n++) {
    if (!unchecked(nicPresent[n])) continue;
    for (let c = 0; c < CLASS_MAX; c++) classRecord(n, c);
  }
  for (let s = 0; s < svcCount; s++) if (svcValid(s)) grantRecords(s);
  for (let i = 0; i < addrHigh; i++) if (acNic(i) >= 0) addrRecord(i);
  for (let i = 0; i < LEARNED_MAX; i++) if (learnedNic(i) >= 0) learnedRecord(i);
  for (let i = 0; i < ROUTER_MAX; i++) if (routerNic(i) >= 0) routerRecord(i);
  for (let p = 0; p < W.peerHigh; p++) if (unchecked(W.peerPresent[p])) wgPeerRecord(p);
  filterRecords();
  identityRecord();
  for (let i = 0; i < CS.nodeCertCount; i++) certRecord(CS.nodeCert(i), <u8>S.CertOrigin.NODE, <u16>S.SCT_NO_SVC);
  for (let i = 0; i < issuedHigh; i++) {
    if (unchecked(issuedState[i]) == ISSUED) certRecord(issued(i), unchecked(issuedOrigin[i]), unchecked(issuedSvc[i]));
  }
  if (U.usbAny) for (let d = 0; d < USB_MAX; d++) if (U.usbDeclared(d)) usbRecord(d);
  // The two tables that may hold more than the snapshot (ROUTE_MAX routes, NEIGH_MAX
  // neighbors) come last and share what is left, in bytes and in records (the header's u16
  // count): each has at least half of it, and what one does not need the other may use.
  limit = pos + routeShare(STATUS_SIZE - pos, routeCount * (4 + S.SR_SIZE), neighs * (4 + S.SG_SIZE));
  recLimit = records + routeShare(RECORDS_MAX - records, routeCount, neighs);
  for (let i = 0; i < routeHigh; i++) if (routeUsed(i)) routeRecord(i);   // in slot order: see route.ts
  limit = STATUS_SIZE; recLimit = RECORDS_MAX;
  for (let i = 0; i < neighHigh; i++) if (neighNic(i) >= 0) neighRecord(i);
  store<u32>(STATUS, S.ST_MAGIC);
  store<u16>(STATUS, <u16>S.ST_VERSION, 4);
  store<u16>(STATUS, <u16>records, 6);
  return pos;
}

/** Of room bytes, how many the routes (needing routes bytes) may use, leaving the rest to the
 *  neighbors (needing neighs): all they need if both fit, or if the neighbors need less than
 *  half; else at least half. */
export function routeShare(room: i32, routes: i32, neighs: i32): i32 {
  if (routes + neighs <= room) return routes;
  let half = room / 2;
  if (neighs < half) return room - neighs;
  return routes < half ? routes : half;
}

function usbRecord(d: i32): void {
  let b = rec(S.St.USB, S.SU_SIZE);
  if (b == 0) return;
  let h = U.usbHolder(d);
  store<u8>(b + S.SU_ID, <u8>d);
  store<u8>(b + S.SU_FLAGS, U.usbPresent(d) ? <u8>S.SU_PRESENT : 0);
  store<u16>(b + S.SU_HOLDER, h < 0 ? <u16>S.SU_NONE : <u16>h);
  store<u8>(b + S.SU_INFLIGHT, <u8>U.usbInflight(d));
  if (U.usbDescLen(d) > 0) {
    store<u16>(b + S.SU_VENDOR, load<u16>(U.usbDesc(d) + 8));    // idVendor, idProduct (USB 2.0 §9.6.1)
    store<u16>(b + S.SU_PRODUCT, load<u16>(U.usbDesc(d) + 10));
  }
  store<u64>(b + S.SU_TRANSFERS, unchecked(U.usbXfers[d]));
  store<u64>(b + S.SU_ERRORS, unchecked(U.usbErrors[d]));
  store<u64>(b + S.SU_LATE, unchecked(U.usbLate[d]));
  store<u64>(b + S.SU_REFUSED, unchecked(U.usbRefused[d]));
  store<u64>(b + S.SU_COALESCED, unchecked(U.usbCoalesced[d]));
}

function nicRecord(n: i32): void {
  let b = rec(S.St.NIC, S.SI_SIZE);
  if (b == 0) return;
  store<u8>(b + S.SI_ID, <u8>n);
  store<u8>(b + S.SI_KIND, unchecked(nicKind[n]));
  store<u16>(b + S.SI_MTU, <u16>unchecked(nicMtu[n]));
  macCopy(b + S.SI_MAC, nicMac(n));
  store<u16>(b + S.SI_TXQ, <u16>txDepth(n));
  store<u64>(b + S.SI_RX_FRAMES, unchecked(rxFrames[n]));
  store<u64>(b + S.SI_RX_BYTES, unchecked(rxBytes[n]));
  store<u64>(b + S.SI_TX_FRAMES, unchecked(txFrames[n]));
  store<u64>(b + S.SI_TX_BYTES, unchecked(txBytes[n]));
  store<u64>(b + S.SI_TX_ERRORS, unchecked(txErrors[n]));
  store<u64>(b + S.SI_RA_SENT, unchecked(raSent[n]));
}

function svcRecord(s: i32): void {
  let nl = <i32>unchecked(svcNameLen[s]);
  let b = rec(S.St.SVC, S.SS_NAME + nl);
  if (b == 0) return;
  store<u16>(b + S.SS_ID, <u16>s);
  store<u8>(b + S.SS_STATE, unchecked(svcState[s]));
  store<u8>(b + S.SS_FAULT, unchecked(svcLastFault[s]));
  store<u16>(b + S.SS_RESTARTS, unchecked(svcRestarts[s]));
  store<u16>(b + S.SS_QUEUE, <u16>queueDepth(s));
  store<u64>(b + S.SS_RX, unchecked(svcRx[s]));
  store<u64>(b + S.SS_TX, unchecked(svcTx[s]));
  store<u64>(b + S.SS_FAULTS, unchecked(svcFaults[s]));
  store<u64>(b + S.SS_REFUSED, unchecked(svcRefused[s]));
  store<u64>(b + S.SS_FUEL, unchecked(svcFuel[s]));
  store<u8>(b + S.SS_NAME_LEN, <u8>nl);
  memory.copy(b + S.SS_NAME, svcName(s), <usize>nl);
}

function routeRecord(i: i32): void {
  let b = rec(S.St.ROUTE, S.SR_SIZE);
  if (b == 0) return;
  store<u8>(b + S.SR_KIND, <u8>routeKind(i));
  store<u8>(b + S.SR_LEN, <u8>routeLen(i));
  store<u8>(b + S.SR_NIC, <u8>routeNic(i));
  store<u16>(b + S.SR_SVC, <u16>routeSvc(i));
  addrCopy(b + S.SR_PREFIX, routePrefix(i));
  addrCopy(b + S.SR_VIA, routeVia(i));
}

function neighRecord(i: i32): void {
  let b = rec(S.St.NEIGH, S.SG_SIZE);
  if (b == 0) return;
  store<u8>(b + S.SG_NIC, <u8>neighNic(i));
  store<u8>(b + S.SG_STATE, <u8>neighState(i));
  macCopy(b + S.SG_MAC, neighMac(i));
  addrCopy(b + S.SG_ADDR, neighAddr(i));
}

function classRecord(nic: i32, c: i32): void {
  let i = nic * CLASS_MAX + c;
  let min = unchecked(minRate[i]), max = unchecked(maxRate[i]);
  let bytes = unchecked(classBytes[i]), drops = unchecked(classDrops[i]);
  if (min == 0 && max == 0 && bytes == 0 && drops == 0) return;
  let b = rec(S.St.CLASS, S.SC_SIZE);
  if (b == 0) return;
  store<u8>(b + S.SC_NIC, <u8>nic);
  store<u16>(b + S.SC_CLASS, <u16>c);
  store<u16>(b + S.SC_QUEUE, <u16>classDepth(nic, c));
  store<u64>(b + S.SC_MIN, min * 8);
  store<u64>(b + S.SC_MAX, max * 8);
  store<u64>(b + S.SC_BYTES, bytes);
  store<u64>(b + S.SC_DROPS, drops);
}

function grantRecords(s: i32): void {
  let b = rec(S.St.GRANT, S.SGR_SIZE);
  if (b == 0) return;
  store<u16>(b + S.SGR_SVC, <u16>s);
  store<u16>(b + S.SGR_CPU_MIN, <u16>cpuMinPermille(s));
  store<u16>(b + S.SGR_CPU_MAX, <u16>cpuMaxPermille(s));
  store<u64>(b + S.SGR_CPU_USED, <u64>unchecked(cpuUsed[s]));
  store<u32>(b + S.SGR_RAM_MIN, unchecked(svcRamMin[s]));
  store<u32>(b + S.SGR_RAM_MAX, unchecked(svcRamMax[s]));
  for (let slot = 0; slot < CAP_SLOTS; slot++) {
    if (capKind(s, slot) != CapKind.DISK) continue;
    let d = rec(S.St.DISK_GRANT, S.SDG_SIZE);
    if (d == 0) return;
    store<u16>(d + S.SDG_SVC, <u16>s);
    store<u8>(d + S.SDG_DISK, <u8>capObject(s, slot));
    store<u8>(d + S.SDG_RIGHTS, <u8>capRights(s, slot));
    store<u64>(d + S.SDG_OFFSET, capExtOff(s, slot));
    store<u64>(d + S.SDG_LENGTH, capExtLen(s, slot));
  }
}

/** What is left until t, in whole seconds rounded up; LIFETIME_INFINITE for never. */
function left(t: i64): u32 {
  if (t == NEVER) return <u32>S.LIFETIME_INFINITE;
  if (t <= now) return 0;
  let s = (t - now + 999) / 1000;
  return s >= <i64>S.LIFETIME_INFINITE ? <u32>S.LIFETIME_INFINITE - 1 : <u32>s;
}

function addrRecord(i: i32): void {
  let b = rec(S.St.ADDR, S.SAD_SIZE);
  if (b == 0) return;
  let svc = acSvc(i);
  store<u8>(b + S.SAD_NIC, <u8>acNic(i));
  store<u8>(b + S.SAD_STATE, <u8>acState(i));
  store<u8>(b + S.SAD_ORIGIN, <u8>acOrigin(i));
  store<u16>(b + S.SAD_SVC, <u16>(svc < 0 ? S.SAD_NODE : svc));
  store<u32>(b + S.SAD_PREFERRED, left(acPreferred(i)));
  store<u32>(b + S.SAD_VALID, left(acValid(i)));
  store<u8>(b + S.SAD_DAD_LEFT, <u8>acDadLeft(i));
  store<u8>(b + S.SAD_DAD_COUNTER, <u8>acCounter(i));
  addrCopy(b + S.SAD_ADDR, acAddr(i));
}

function learnedRecord(i: i32): void {
  let b = rec(S.St.LEARNED, S.SLP_SIZE);
  if (b == 0) return;
  store<u8>(b + S.SLP_NIC, <u8>learnedNic(i));
  store<u8>(b + S.SLP_LEN, <u8>learnedLen(i));
  store<u8>(b + S.SLP_FLAGS, <u8>learnedFlags(i));
  store<u32>(b + S.SLP_VALID, left(learnedValid(i)));
  store<u32>(b + S.SLP_PREFERRED, left(learnedPreferred(i)));
  addrCopy(b + S.SLP_PREFIX, learnedPrefix(i));
}

function routerRecord(i: i32): void {
  let b = rec(S.St.ROUTER, S.SRT_SIZE);
  if (b == 0) return;
  let nic = routerNic(i);
  store<u8>(b + S.SRT_NIC, <u8>nic);
  store<u8>(b + S.SRT_CHOSEN, i == chosen ? 1 : 0);
  store<u16>(b + S.SRT_MTU, unchecked(rtMtu[nic]));
  store<u32>(b + S.SRT_LIFETIME, left(routerUntil(i)));
  store<u32>(b + S.SRT_REACHABLE, routerReachable(i));
  store<u32>(b + S.SRT_RETRANS, routerRetrans(i));
  addrCopy(b + S.SRT_ADDR, routerAddr(i));
}

/** A WireGuard peer: never a key but its public one. */
function wgPeerRecord(p: i32): void {
  let b = rec(S.St.WG_PEER, S.SW_SIZE);
  if (b == 0) return;
  store<u8>(b + S.SW_NIC, unchecked(W.peerNic[p]));
  store<u8>(b + S.SW_PEER, <u8>p);
  let state = usable(p) ? S.WgState.UP : (unchecked(W.hsState[p]) == <u8>W.Hs.INIT_SENT ? S.WgState.HANDSHAKE : S.WgState.IDLE);
  store<u8>(b + S.SW_STATE, <u8>state);
  store<u16>(b + S.SW_PORT, bswap<u16>(load<u16>(W.peerEp(p) + WG_EP_PORT)));
  store<u16>(b + S.SW_KEEPALIVE, <u16>unchecked(W.peerKeepalive[p]));
  memory.copy(b + S.SW_KEY, W.peerPub(p), WG_KEY);
  addrCopy(b + S.SW_ENDPOINT, W.peerEp(p));
  store<i64>(b + S.SW_HANDSHAKE, unchecked(W.lastHandshake[p]));
  store<u64>(b + S.SW_RX_BYTES, unchecked(W.rxBytes[p]));
  store<u64>(b + S.SW_RX_PACKETS, unchecked(W.rxPackets[p]));
  store<u64>(b + S.SW_TX_BYTES, unchecked(W.txBytes[p]));
  store<u64>(b + S.SW_TX_PACKETS, unchecked(W.txPackets[p]));
  store<u64>(b + S.SW_HANDSHAKES, unchecked(W.handshakes[p]));
}

/** The block filters' counters, and the first FILTER_STATUS_MAX filters. */
function filterRecords(): void {
  let b = rec(S.St.FILTERS, S.SF_SIZE);
  if (b == 0) return;
  store<u32>(b + S.SF_ACTIVE, <u32>F.filterActive);
  store<u32>(b + S.SF_HOLDERS, <u32>holderCount);
  store<u64>(b + S.SF_INSTALLED, F.filterInstalled);
  store<u64>(b + S.SF_REFRESHED, F.filterRefreshed);
  store<u64>(b + S.SF_EXPIRED, F.filterExpired);
  store<u64>(b + S.SF_REMOVED, F.filterRemoved);
  store<u64>(b + S.SF_REFUSED, blockRefused);
  store<u64>(b + S.SF_RELAYED, relaysSent);
  store<u64>(b + S.SF_RELAYS_IN, relaysIn);
  let n = 0;
  for (let f = 0; f < F.filterSlots() && n < S.FILTER_STATUS_MAX; f++) {
    if (!F.filterLive(f)) continue;
    let r = rec(S.St.FILTER, S.SFL_SIZE);
    if (r == 0) return;
    addrCopy(r + S.SFL_DST, F.filterDst(f));
    addrCopy(r + S.SFL_SRC, F.filterSrc(f));
    store<u8>(r + S.SFL_SRC_LEN, <u8>F.filterSrcLen(f));
    store<u8>(r + S.SFL_PROTO, <u8>F.filterProto(f));
    store<u16>(r + S.SFL_PORT, <u16>F.filterPort(f));
    store<i64>(r + S.SFL_EXPIRES, F.filterExpires(f));
    n++;
  }
}

/** The node's identity: its public key (zeros: none; never the seed) and how many keys it
 *  trusts and certificates of its own it holds. */
function identityRecord(): void {
  let b = rec(S.St.IDENTITY, S.SY_SIZE);
  if (b == 0) return;
  if (CS.hasKey) memory.copy(b + S.SY_KEY, CS.NODE_PK, CS.KEY);
  store<u8>(b + S.SY_TRUST, <u8>CS.trustCount);
  store<u8>(b + S.SY_CERTS, <u8>CS.nodeCertCount);
}

/** A certificate the node issued or holds (at c). */
function certRecord(c: usize, origin: u8, svc: u16): void {
  let b = rec(S.St.CERT, S.SCT_SIZE);
  if (b == 0) return;
  store<u8>(b + S.SCT_ORIGIN, origin);
  store<u8>(b + S.SCT_LEN, <u8>certLen(c));
  store<u16>(b + S.SCT_SVC, svc);
  store<u64>(b + S.SCT_NOT_AFTER, <u64>certNotAfter(c));
  addrCopy(b + S.SCT_PREFIX, certPrefix(c));
  memory.copy(b + S.SCT_HOLDER, certHolder(c), CS.KEY);
  memory.copy(b + S.SCT_ISSUER, certIssuer(c), CS.KEY);
}
