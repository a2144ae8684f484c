// WireGuard's tables: each WIREGUARD NIC's static key, each peer (its keys, endpoint,
// handshake, counters), the allowed ranges (cryptokey routing) and the session keypairs with
// their replay windows. Fixed-size, filled at boot (wg/boot.ts); no I/O here.
//
// Each peer owns three keypair slots (peer * 3 + 0..2); kpPrev, kpCur and kpNext name which
// of them is the previous, current and next session (-1: none), as wireguard-go's keypairs.
import { NIC_MAX } from "../param";
import { WG_PEER_MAX, WG_ALLOWED_MAX } from "../../abi/limits";
import { WG_KEY, WG_MAC, WG_TIMESTAMP, WG_EP_HDR, WG_EP_PORT } from "../../wire/layout/wireguard";
import { prefixMatch } from "../../wire/addr";
import { host_random } from "../../abi/gen/host";

export const KP_MAX: i32 = WG_PEER_MAX * 3;
export const REPLAY_BLOCKS: i32 = 128;   // 64-bit blocks in a replay window: 8,128 counters back

// ——— Interfaces ———
export const wgNic = new StaticArray<bool>(NIC_MAX);
const IF_PRIV: usize = memory.data(NIC_MAX * WG_KEY, 8);
const IF_PUB: usize = memory.data(NIC_MAX * WG_KEY, 8);
const IF_MAC1: usize = memory.data(NIC_MAX * WG_KEY, 8);     // HASH("mac1----" ‖ our public key)
const IF_COOKIE: usize = memory.data(NIC_MAX * WG_KEY, 8);   // HASH("cookie--" ‖ our public key)
const IF_HASH: usize = memory.data(NIC_MAX * WG_KEY, 8);     // HASH(HASH0 ‖ our public key)
export let anyWg = false;

// @ts-ignore: decorator
@inline export function ifPriv(nic: i32): usize { return IF_PRIV + <usize>(nic * WG_KEY); }
// @ts-ignore: decorator
@inline export function ifPub(nic: i32): usize { return IF_PUB + <usize>(nic * WG_KEY); }
// @ts-ignore: decorator
@inline export function ifMac1(nic: i32): usize { return IF_MAC1 + <usize>(nic * WG_KEY); }
// @ts-ignore: decorator
@inline export function ifCookie(nic: i32): usize { return IF_COOKIE + <usize>(nic * WG_KEY); }
// @ts-ignore: decorator
@inline export function ifHash(nic: i32): usize { return IF_HASH + <usize>(nic * WG_KEY); }

export function ifAdd(nic: i32): void { unchecked(wgNic[nic] = true); anyWg = true; }

// ——— Peers ———
export const peerPresent = new StaticArray<bool>(WG_PEER_MAX);
export const peerNic = new StaticArray<u8>(WG_PEER_MAX);
export const peerKeepalive = new StaticArray<i32>(WG_PEER_MAX);   // s, 0: off
export let peerHigh: i32 = 0;                                      // highest peer number + 1
const P_PUB: usize = memory.data(WG_PEER_MAX * WG_KEY, 8);
const P_PSK: usize = memory.data(WG_PEER_MAX * WG_KEY, 8);
const P_SS: usize = memory.data(WG_PEER_MAX * WG_KEY, 8);      // DH(our static, its static), precomputed
const P_MAC1: usize = memory.data(WG_PEER_MAX * WG_KEY, 8);    // HASH("mac1----" ‖ its public key)
const P_COOKIEKEY: usize = memory.data(WG_PEER_MAX * WG_KEY, 8); // HASH("cookie--" ‖ its public key)
const P_INITHASH: usize = memory.data(WG_PEER_MAX * WG_KEY, 8); // HASH(HASH0 ‖ its public key)
const P_EP: usize = memory.data(WG_PEER_MAX * WG_EP_HDR, 8);   // its endpoint, as a frame's header
const P_TS: usize = memory.data(WG_PEER_MAX * WG_TIMESTAMP, 8); // the greatest timestamp it sent
const P_COOKIE: usize = memory.data(WG_PEER_MAX * WG_MAC, 8);  // a cookie it sent us (for mac2)
const P_LASTMAC1: usize = memory.data(WG_PEER_MAX * WG_MAC, 8); // mac1 of our last handshake message to it

// @ts-ignore: decorator
@inline export function peerPub(p: i32): usize { return P_PUB + <usize>(p * WG_KEY); }
// @ts-ignore: decorator
@inline export function peerPsk(p: i32): usize { return P_PSK + <usize>(p * WG_KEY); }
// @ts-ignore: decorator
@inline export function peerSs(p: i32): usize { return P_SS + <usize>(p * WG_KEY); }
// @ts-ignore: decorator
@inline export function peerMac1(p: i32): usize { return P_MAC1 + <usize>(p * WG_KEY); }
// @ts-ignore: decorator
@inline export function peerCookieKey(p: i32): usize { return P_COOKIEKEY + <usize>(p * WG_KEY); }
// @ts-ignore: decorator
@inline export function peerInitHash(p: i32): usize { return P_INITHASH + <usize>(p * WG_KEY); }
// @ts-ignore: decorator
@inline export function peerEp(p: i32): usize { return P_EP + <usize>(p * WG_EP_HDR); }
// @ts-ignore: decorator
@inline export function peerTs(p: i32): usize { return P_TS + <usize>(p * WG_TIMESTAMP); }
// @ts-ignore: decorator
@inline export function peerCookie(p: i32): usize { return P_COOKIE + <usize>(p * WG_MAC); }
// @ts-ignore: decorator
@inline export function peerLastMac1(p: i32): usize { return P_LASTMAC1 + <usize>(p * WG_MAC); }

export const ZERO32: usize = memory.data(WG_KEY, 8);

/** The peer of nic with this public key, or -1. */
export function peerByKey(nic: i32, key: usize): i32 {
  for (let p = 0; p < peerHigh; p++) {
    if (unchecked(peerPresent[p]) && <i32>unchecked(peerNic[p]) == nic && memory.compare(peerPub(p), key, WG_KEY) == 0) return p;
  }
  return -1;
}

/** Has the peer an endpoint to send to (a port)? */
export function peerHasEp(p: i32): bool { return load<u16>(peerEp(p) + WG_EP_PORT) != 0; }

export const cookieTime = new StaticArray<i64>(WG_PEER_MAX);     // when its cookie came; -1 none
export const lastHandshake = new StaticArray<i64>(WG_PEER_MAX);  // ms; -1 never
export const handshakes = new StaticArray<u64>(WG_PEER_MAX);
export const rxBytes = new StaticArray<u64>(WG_PEER_MAX);
export const rxPackets = new StaticArray<u64>(WG_PEER_MAX);
export const txBytes = new StaticArray<u64>(WG_PEER_MAX);
export const txPackets = new StaticArray<u64>(WG_PEER_MAX);
export const lastInitRecv = new StaticArray<i64>(WG_PEER_MAX);   // when we last consumed its initiation; -1 never

// ——— Handshakes: one per peer ———
export enum Hs { NONE = 0, INIT_SENT = 1, INIT_RECEIVED = 2 }
export const hsState = new StaticArray<u8>(WG_PEER_MAX);
export const hsLocal = new StaticArray<u32>(WG_PEER_MAX);   // our index for it
export const hsRemote = new StaticArray<u32>(WG_PEER_MAX);  // the peer's index
const HS_HASH: usize = memory.data(WG_PEER_MAX * WG_KEY, 8);
const HS_CK: usize = memory.data(WG_PEER_MAX * WG_KEY, 8);
const HS_EPRIV: usize = memory.data(WG_PEER_MAX * WG_KEY, 8);   // our ephemeral private key
const HS_EREMOTE: usize = memory.data(WG_PEER_MAX * WG_KEY, 8); // the peer's ephemeral public key
// @ts-ignore: decorator
@inline export function hsHash(p: i32): usize { return HS_HASH + <usize>(p * WG_KEY); }
// @ts-ignore: decorator
@inline export function hsCk(p: i32): usize { return HS_CK + <usize>(p * WG_KEY); }
// @ts-ignore: decorator
@inline export function hsEpriv(p: i32): usize { return HS_EPRIV + <usize>(p * WG_KEY); }
// @ts-ignore: decorator
@inline export function hsEremote(p: i32): usize { return HS_EREMOTE + <usize>(p * WG_KEY); }

/** Forget peer p's handshake and its secrets. */
export function hsClear(p: i32): void {
  unchecked(hsState[p] = <u8>Hs.NONE);
  unchecked(hsLocal[p] = 0);
  memory.fill(hsHash(p), 0, WG_KEY);
  memory.fill(hsCk(p), 0, WG_KEY);
  memory.fill(hsEpriv(p), 0, WG_KEY);
  memory.fill(hsEremote(p), 0, WG_KEY);
}

// ——— Keypairs ———
export const kpUsed = new StaticArray<bool>(KP_MAX);
export const kpLocal = new StaticArray<u32>(KP_MAX);
export const kpRemote = new StaticArray<u32>(KP_MAX);
export const kpCreated = new StaticArray<i64>(KP_MAX);
export const kpSendCount = new StaticArray<u64>(KP_MAX);   // the next counter to send
export const kpInitiator = new StaticArray<bool>(KP_MAX);
export const kpLast = new StaticArray<u64>(KP_MAX);        // the greatest counter received
const KP_SEND: usize = memory.data(KP_MAX * WG_KEY, 8);
const KP_RECV: usize = memory.data(KP_MAX * WG_KEY, 8);
const KP_RING: usize = memory.data(KP_MAX * REPLAY_BLOCKS * 8, 8);
export const kpPrev = new StaticArray<i32>(WG_PEER_MAX);
export const kpCur = new StaticArray<i32>(WG_PEER_MAX);
export const kpNext = new StaticArray<i32>(WG_PEER_MAX);
// @ts-ignore: decorator
@inline export function kpSend(k: i32): usize { return KP_SEND + <usize>(k * WG_KEY); }
// @ts-ignore: decorator
@inline export function kpRecv(k: i32): usize { return KP_RECV + <usize>(k * WG_KEY); }
// @ts-ignore: decorator
@inline export function kpRing(k: i32): usize { return KP_RING + <usize>(k * REPLAY_BLOCKS * 8); }
// @ts-ignore: decorator
@inline export function kpPeer(k: i32): i32 { return k / 3; }

/** The slot of peer p's new session as initiator (wireguard-go's BeginSymmetricSession):
 *  the next session, if any, becomes the previous and the current one goes; else the
 *  current becomes the previous. The new one is current; the old previous is gone. */
export function kpForInitiator(p: i32): i32 {
  let prev = unchecked(kpPrev[p]), cur = unchecked(kpCur[p]), next = unchecked(kpNext[p]);
  let slot: i32;
  if (prev >= 0) kpClear(prev);
  if (next >= 0) {
    if (cur >= 0) kpClear(cur);
    slot = prev >= 0 ? prev : (cur >= 0 ? cur : freeSlot(p, next, -1));
    unchecked(kpPrev[p] = next);
    unchecked(kpNext[p] = -1);
  } else {
    slot = prev >= 0 ? prev : freeSlot(p, cur, -1);
    unchecked(kpPrev[p] = cur);
  }
  unchecked(kpCur[p] = slot);
  return slot;
}

/** The slot of peer p's new session as responder: it becomes the next session (confirmed by
 *  the initiator's first data); the old next and the previous go. */
export function kpForResponder(p: i32): i32 {
  let prev = unchecked(kpPrev[p]), cur = unchecked(kpCur[p]), next = unchecked(kpNext[p]);
  if (prev >= 0) kpClear(prev);
  if (next >= 0) kpClear(next);
  unchecked(kpPrev[p] = -1);
  let slot = next >= 0 ? next : freeSlot(p, cur, -1);
  unchecked(kpNext[p] = slot);
  return slot;
}

/** The first of peer p's three slots that is neither a nor b. */
function freeSlot(p: i32, a: i32, b: i32): i32 {
  for (let k = p * 3; k < p * 3 + 3; k++) if (k != a && k != b) return k;
  return -1;
}

/** Zero keypair k and free it. */
export function kpClear(k: i32): void {
  if (k < 0) return;
  unchecked(kpUsed[k] = false);
  unchecked(kpLocal[k] = 0);
  memory.fill(kpSend(k), 0, WG_KEY);
  memory.fill(kpRecv(k), 0, WG_KEY);
}

/** A fresh local index: random, not 0, used by no keypair or handshake. */
const IDX: usize = memory.data(4, 4);
export function newIndex(): u32 {
  let v: u32 = 0;
  do {
    host_random(<i32>IDX, 4);
    v = load<u32>(IDX);
  } while (v == 0 || indexOwner(v) >= 0);
  return v;
}

/** Who holds local index v: a keypair k (0..KP_MAX-1), a handshake (KP_MAX + peer), or -1. */
export function indexOwner(v: u32): i32 {
  if (v == 0) return -1;
  for (let k = 0; k < KP_MAX; k++) if (unchecked(kpUsed[k]) && unchecked(kpLocal[k]) == v) return k;
  for (let p = 0; p < peerHigh; p++) {
    if (unchecked(hsState[p]) != <u8>Hs.NONE && unchecked(hsLocal[p]) == v) return KP_MAX + p;
  }
  return -1;
}

// ——— Allowed ranges ———
const aPeer = new StaticArray<u8>(WG_ALLOWED_MAX);
const aLen = new StaticArray<u8>(WG_ALLOWED_MAX);
const A_PFX: usize = memory.data(WG_ALLOWED_MAX * 16, 8);
export let allowedCount: i32 = 0;

/** Add a range of peer p's; false when the table is full. */
export function allowedAdd(p: i32, prefix: usize, len: i32): bool {
  if (allowedCount >= WG_ALLOWED_MAX) return false;
  let i = allowedCount++;
  unchecked(aPeer[i] = <u8>p);
  unchecked(aLen[i] = <u8>len);
  memory.copy(A_PFX + <usize>(i * 16), prefix, 16);
  return true;
}

/** Does another range of nic's peers have exactly this prefix and length? */
export function allowedTaken(nic: i32, prefix: usize, len: i32): bool {
  for (let i = 0; i < allowedCount; i++) {
    if (<i32>unchecked(aLen[i]) != len || <i32>unchecked(peerNic[unchecked(aPeer[i])]) != nic) continue;
    if (prefixMatch(prefix, A_PFX + <usize>(i * 16), len)) return true;
  }
  return false;
}

/** The peer of nic whose allowed ranges hold addr, longest prefix first; -1 none. */
export function peerFor(nic: i32, addr: usize): i32 {
  let best = -1, bestLen = -1;
  for (let i = 0; i < allowedCount; i++) {
    let l = <i32>unchecked(aLen[i]);
    if (l <= bestLen) continue;
    let p = <i32>unchecked(aPeer[i]);
    if (<i32>unchecked(peerNic[p]) != nic || !prefixMatch(addr, A_PFX + <usize>(i * 16), l)) continue;
    best = p; bestLen = l;
  }
  return best;
}

/** Forget every interface, peer, range and keypair (a refused boot). */
export function wgReset(): void {
  for (let n = 0; n < NIC_MAX; n++) unchecked(wgNic[n] = false);
  memory.fill(IF_PRIV, 0, NIC_MAX * WG_KEY);
  for (let p = 0; p < WG_PEER_MAX; p++) {
    unchecked(peerPresent[p] = false);
    hsClear(p);
    unchecked(kpPrev[p] = -1); unchecked(kpCur[p] = -1); unchecked(kpNext[p] = -1);
    unchecked(cookieTime[p] = -1); unchecked(lastHandshake[p] = -1); unchecked(lastInitRecv[p] = -1);
  }
  memory.fill(P_PSK, 0, WG_PEER_MAX * WG_KEY);
  memory.fill(P_SS, 0, WG_PEER_MAX * WG_KEY);
  for (let k = 0; k < KP_MAX; k++) kpClear(k);
  allowedCount = 0;
  peerHigh = 0;
  anyWg = false;
}

/** Record peer p as present on nic. */
export function peerAdd(p: i32, nic: i32, keepalive: i32): void {
  unchecked(peerPresent[p] = true);
  unchecked(peerNic[p] = <u8>nic);
  unchecked(peerKeepalive[p] = keepalive);
  if (p + 1 > peerHigh) peerHigh = p + 1;
}

wgReset();
