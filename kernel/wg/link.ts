// A WIREGUARD NIC's datagrams, both ways (sealing is seal.ts's). In: a frame (endpoint header + WireGuard message)
// is a handshake message (answered here), a cookie reply, or transport data, which is
// opened, checked against the replay window and the peer's allowed sources (cryptokey
// routing), and handed back to net/input.ts as an IPv6 packet. Out: a packet goes to the
// peer whose allowed ranges hold its destination (wgOut, from nd.ts linkOut), waits there
// while a handshake completes, and is sealed when the egress queue sends it (wgFrame).
// Every datagram the node sends leaves through the NIC's egress queue.
import { Drop } from "../../abi/drop";
import * as L from "../../wire/layout/wireguard";
import { WG_EP_HDR, WG_TAG } from "../../wire/layout/wireguard";
import { IP_SRC, IP_DST, IP_PLEN, IP_HDR } from "../../wire/ipv6";
import { now, earliest } from "../clock";
import { drop, dropSent } from "../stats";
import { pktAlloc, pktFree, pktData, pktLen, pktSetLen } from "../pool";
import { txPush } from "../net/egress";
import { aeadOpen } from "../crypto/aead";
import { REJECT_AFTER_MESSAGES, STAGED_MAX, STAGED_NODE_MAX, REKEY_TIMEOUT, MAX_TIMER_HANDSHAKES, REJECT_AFTER_TIME } from "./proto";
import * as S from "./state";
import { WG_PEER_MAX } from "../../abi/limits";
import { replayCheck } from "./replay";
import { initiationCreate, initiationConsume, responseConsume, responseCreate, refused } from "./noise";
import { mac1Ok, mac2Ok, underLoad, sourceAllows, cookieReply, cookieConsume, macsAdd } from "./cookie";
import * as T from "./timers";
import { pktPeer, RAW } from "./seal";

const NONCE: usize = memory.data(12, 8);

/** Where the inner packet of the last wgRx starts (its length is what wgRx returned). */
export let inner: usize = 0;

// ——— In ———

/** A frame of len bytes at f from nic. Returns the length of the IPv6 packet it carried (at
 *  inner), for the caller to receive, or 0: it was a handshake, a keepalive, or dropped. */
export function wgRx(nic: i32, f: usize, len: i32): i32 {
  let m = f + WG_EP_HDR, n = len - WG_EP_HDR;
  if (n < 4) { drop(Drop.WG_MALFORMED); return 0; }
  let type = load<u32>(m);
  if (type == L.WG_TRANSPORT) return transport(nic, f, m, n);
  if (type == L.WG_INITIATION) { handshake(nic, f, m, n, L.WGI_SIZE); return 0; }
  if (type == L.WG_RESPONSE) { handshake(nic, f, m, n, L.WGR_SIZE); return 0; }
  if (type == L.WG_COOKIE) {
    if (n != L.WGC_SIZE) drop(Drop.WG_MALFORMED);
    else if (cookieConsume(nic, m) < 0) drop(Drop.WG_HANDSHAKE);
    return 0;
  }
  drop(Drop.WG_MALFORMED);
  return 0;
}

function handshake(nic: i32, f: usize, m: usize, n: i32, size: i32): void {
  if (n != size) { drop(Drop.WG_MALFORMED); return; }
  if (!mac1Ok(nic, m, size)) { drop(Drop.WG_MAC); return; }
  // A response to no initiation of ours costs nothing more (an index lookup).
  if (size == L.WGR_SIZE && !responseWanted(nic, m)) { drop(Drop.WG_HANDSHAKE); return; }
  if (underLoad()) {
    if (!mac2Ok(m, size, f)) {
      let c = pktAlloc();
      if (c >= 0) {
        let q = pktData(c);
        memory.copy(q - WG_EP_HDR, f, WG_EP_HDR);
        cookieReply(nic, m, size, f, q);
        pushRaw(nic, c, L.WGC_SIZE);
      }
      drop(Drop.WG_MAC);
      return;
    }
    if (!sourceAllows(f)) { drop(Drop.WG_HANDSHAKE); return; }
  }
  if (size == L.WGI_SIZE) {
    let p = initiationConsume(nic, m);
    if (p < 0) { drop(refused); return; }
    memory.copy(S.peerEp(p), f, WG_EP_HDR);   // roaming: answer where it came from
    let r = pktAlloc();
    if (r < 0) { drop(Drop.POOL_EMPTY); return; }
    let q = pktData(r);
    memory.copy(q - WG_EP_HDR, S.peerEp(p), WG_EP_HDR);
    responseCreate(p, q);
    macsAdd(p, q, L.WGR_SIZE);
    pushRaw(nic, r, L.WGR_SIZE);
    T.traversal(p); T.anyReceived(p); T.anySent(p); T.sessionDerived(p);
    return;
  }
  let p = responseConsume(nic, m);
  if (p < 0) { drop(refused); return; }
  memory.copy(S.peerEp(p), f, WG_EP_HDR);
  T.sessionDerived(p); T.handshakeComplete(p);
  T.traversal(p); T.anyReceived(p);
  if (!sendStaged(p)) keepalive(p);
}

/** Does the response at m answer an initiation of ours on nic that is still waiting? */
function responseWanted(nic: i32, m: usize): bool {
  let p = S.indexOwner(load<u32>(m + L.WGR_RECEIVER)) - S.KP_MAX;
  return p >= 0 && unchecked(S.hsState[p]) == <u8>S.Hs.INIT_SENT && <i32>unchecked(S.peerNic[p]) == nic;
}

function transport(nic: i32, f: usize, m: usize, n: i32): i32 {
  if (n < L.WGT_MIN) { drop(Drop.WG_MALFORMED); return 0; }
  let k = S.indexOwner(load<u32>(m + L.WGT_RECEIVER));
  if (k < 0 || k >= S.KP_MAX) { drop(Drop.WG_KEY); return 0; }
  let p = S.kpPeer(k);
  if (<i32>unchecked(S.peerNic[p]) != nic || now - unchecked(S.kpCreated[k]) >= T.REJECT_MS) { drop(Drop.WG_KEY); return 0; }
  let counter = load<u64>(m + L.WGT_COUNTER);
  store<u32>(NONCE, 0);
  store<u64>(NONCE + 4, counter);
  let c = m + L.WGT_DATA;
  if (!aeadOpen(c, S.kpRecv(k), NONCE, c, n - L.WGT_DATA, 0, 0)) { drop(Drop.WG_AUTH); return 0; }
  if (!replayCheck(k, counter, REJECT_AFTER_MESSAGES)) { drop(Drop.WG_REPLAY); return 0; }
  // Authentic: it counts, moves the endpoint, and may confirm a session.
  memory.copy(S.peerEp(p), f, WG_EP_HDR);
  unchecked(S.rxBytes[p] += <u64>n);
  unchecked(S.rxPackets[p]++);
  T.anyReceived(p); T.traversal(p);
  if (k == unchecked(S.kpNext[p])) {
    let old = unchecked(S.kpPrev[p]);
    if (old >= 0) S.kpClear(old);
    unchecked(S.kpPrev[p] = unchecked(S.kpCur[p]));
    unchecked(S.kpCur[p] = k);
    unchecked(S.kpNext[p] = -1);
    T.handshakeComplete(p);
    sendStaged(p);
  }
  if (T.rekeyReceiving(p)) handshakeStart(p, false);
  let plain = n - L.WGT_MIN;
  if (plain == 0) return 0;                 // a keepalive
  T.dataReceived(p);
  // The inner packet: IPv6, its length from its header (the rest is padding), and a source
  // the peer is allowed.
  if (plain < IP_HDR) { drop(Drop.IP_SHORT); return 0; }
  let v = load<u8>(c) >> 4;
  if (v != 6) { drop(v == 4 ? Drop.ETHERTYPE_IPV4 : Drop.IP_VERSION); return 0; }
  let total = IP_HDR + <i32>bswap<u16>(load<u16>(c + IP_PLEN));
  if (total > plain) { drop(Drop.IP_LENGTH); return 0; }
  if (S.peerFor(nic, c + IP_SRC) != p) { drop(Drop.WG_SRC); return 0; }
  inner = c;
  return total;
}

// ——— Out ———

/** Send pkt (an IPv6 packet) on WireGuard NIC nic: to the peer its destination belongs to.
 *  Consumes pkt. */
export function wgOut(nic: i32, pkt: i32): void {
  let p = S.peerFor(nic, pktData(pkt) + IP_DST);
  if (p < 0) { dropSent(Drop.WG_NO_PEER, pkt, nic); pktFree(pkt); return; }
  if (T.usable(p)) {
    unchecked(pktPeer[pkt] = <i8>p);
    txPush(nic, pkt);
    if (T.rekeySending(p)) handshakeStart(p, false);
    return;
  }
  stage(p, pkt);
  handshakeStart(p, false);
}

/** Queue the finished datagram of n bytes in buffer pkt (its endpoint header in front). */
export function pushRaw(nic: i32, pkt: i32, n: i32): void {
  pktSetLen(pkt, n);
  unchecked(pktPeer[pkt] = RAW);
  txPush(nic, pkt);
}

/** An empty transport message to peer p. */
export function keepalive(p: i32): void {
  let pkt = pktAlloc();
  if (pkt < 0) { drop(Drop.POOL_EMPTY); return; }
  pktSetLen(pkt, 0);
  unchecked(pktPeer[pkt] = <i8>p);
  txPush(<i32>unchecked(S.peerNic[p]), pkt);
}

// ——— Packets waiting for a session ———
const staged = new StaticArray<i16>(WG_PEER_MAX * STAGED_MAX);
const stagedHead = new StaticArray<i32>(WG_PEER_MAX);
const stagedCount = new StaticArray<i32>(WG_PEER_MAX);

let stagedAll = 0;         // over all peers, at most STAGED_NODE_MAX

function stage(p: i32, pkt: i32): void {
  let c = unchecked(stagedCount[p]), h = unchecked(stagedHead[p]);
  if (c == 0 && stagedAll >= STAGED_NODE_MAX) {   // the node's share is taken
    dropSent(Drop.WG_NO_SESSION, pkt, <i32>unchecked(S.peerNic[p]));
    pktFree(pkt);
    return;
  }
  if (c == STAGED_MAX || stagedAll >= STAGED_NODE_MAX) {   // the oldest makes room, as wireguard-go's staged queue
    let old = <i32>unchecked(staged[p * STAGED_MAX + h]);
    dropSent(Drop.WG_NO_SESSION, old, <i32>unchecked(S.peerNic[p]));
    pktFree(old);
    h = (h + 1) % STAGED_MAX; c--; stagedAll--;
    unchecked(stagedHead[p] = h);
  }
  unchecked(staged[p * STAGED_MAX + (h + c) % STAGED_MAX] = <i16>pkt);
  unchecked(stagedCount[p] = c + 1);
  stagedAll++;
}

/** Send peer p's staged packets if it has a session; whether any were sent. */
export function sendStaged(p: i32): bool {
  let c = unchecked(stagedCount[p]);
  if (c == 0 || !T.usable(p)) return false;
  let nic = <i32>unchecked(S.peerNic[p]);
  for (let i = 0; i < c; i++) {
    let pkt = <i32>unchecked(staged[p * STAGED_MAX + (unchecked(stagedHead[p]) + i) % STAGED_MAX]);
    unchecked(pktPeer[pkt] = <i8>p);
    txPush(nic, pkt);
  }
  stagedAll -= c;
  unchecked(stagedCount[p] = 0); unchecked(stagedHead[p] = 0);
  if (T.rekeySending(p)) handshakeStart(p, false);
  return true;
}

/** Drop peer p's staged packets: its handshake did not complete. */
export function flushStaged(p: i32): void {
  let nic = <i32>unchecked(S.peerNic[p]);
  for (let i = 0; i < unchecked(stagedCount[p]); i++) {
    let pkt = <i32>unchecked(staged[p * STAGED_MAX + (unchecked(stagedHead[p]) + i) % STAGED_MAX]);
    dropSent(Drop.WG_NO_SESSION, pkt, nic);
    pktFree(pkt);
  }
  stagedAll -= unchecked(stagedCount[p]);
  unchecked(stagedCount[p] = 0); unchecked(stagedHead[p] = 0);
}

// ——— Handshakes and timers ———

/** Send peer p an initiation: at once, unless one went less than REKEY_TIMEOUT ago and
 *  this is no retry. Without an endpoint nothing is sent, but the retries still run out. */
export function handshakeStart(p: i32, retry: bool): void {
  if (!retry) {
    let last = unchecked(T.lastInitSent[p]);
    if (last >= 0 && now - last < REKEY_TIMEOUT) return;
    unchecked(T.attempts[p] = 0);
  }
  let nic = <i32>unchecked(S.peerNic[p]);
  if (S.peerHasEp(p)) {
    let pkt = pktAlloc();
    if (pkt >= 0) {
      let q = pktData(pkt);
      memory.copy(q - WG_EP_HDR, S.peerEp(p), WG_EP_HDR);
      initiationCreate(p, q);
      macsAdd(p, q, L.WGI_SIZE);
      pushRaw(nic, pkt, L.WGI_SIZE);
      T.traversal(p); T.anySent(p);
    } else drop(Drop.POOL_EMPTY);
  }
  T.handshakeInitiated(p);
}

/** Fire the WireGuard timers that are due; the next deadline, or -1. */
export function wgTimers(): i64 {
  let next: i64 = -1;
  for (let p = 0; p < S.peerHigh; p++) {
    if (!unchecked(S.peerPresent[p])) continue;
    if (due(unchecked(T.tRetransmit[p]))) {
      unchecked(T.tRetransmit[p] = -1);
      if (unchecked(T.attempts[p]) > MAX_TIMER_HANDSHAKES) {   // give up after 20 initiations, as wireguard-go
        unchecked(T.tKeepalive[p] = -1);
        flushStaged(p);
        S.hsClear(p);
        if (unchecked(T.tZeroKeys[p]) < 0) unchecked(T.tZeroKeys[p] = now + REJECT_AFTER_TIME * 3);
      } else {
        unchecked(T.attempts[p]++);
        handshakeStart(p, true);
      }
    }
    if (due(unchecked(T.tKeepalive[p]))) { T.keepaliveFired(p); if (T.usable(p)) keepalive(p); }
    if (due(unchecked(T.tNewHandshake[p]))) { unchecked(T.tNewHandshake[p] = -1); handshakeStart(p, false); }
    if (due(unchecked(T.tZeroKeys[p]))) T.zeroKeys(p);
    if (due(unchecked(T.tPersistent[p]))) { unchecked(T.tPersistent[p] = -1); send(p); }
    next = earliest(next, unchecked(T.tRetransmit[p]));
    next = earliest(next, unchecked(T.tKeepalive[p]));
    next = earliest(next, unchecked(T.tNewHandshake[p]));
    next = earliest(next, unchecked(T.tZeroKeys[p]));
    next = earliest(next, unchecked(T.tPersistent[p]));
  }
  return next;
}

/** A keepalive to peer p: through the session, or a handshake first. */
function send(p: i32): void {
  if (T.usable(p)) { keepalive(p); if (T.rekeySending(p)) handshakeStart(p, false); }
  else handshakeStart(p, false);
}

// @ts-ignore: decorator
@inline function due(t: i64): bool { return t >= 0 && t <= now; }
