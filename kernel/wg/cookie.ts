// WireGuard's DoS defence (the whitepaper §5.3 and §5.4.7, wireguard-go's device/cookie.go):
// mac1 on every handshake message (keyed by the receiver's public key, so only someone who
// knows it makes the node do Diffie-Hellman work), and, when the node is under load, mac2:
// a cookie the node gave the sender's address, which proves the sender receives there.
// Under load, a handshake message without a valid mac2 gets a cookie reply, never DH work.
import * as L from "../../wire/layout/wireguard";
import { WG_KEY, WG_MAC, WG_EP_HDR } from "../../wire/layout/wireguard";
import { now } from "../clock";
import { xaeadSeal, xaeadOpen } from "../crypto/aead";
import { ctEq } from "../crypto/ct";
import { host_random } from "../../abi/gen/host";
import { mac, COOKIE_REFRESH_TIME, HANDSHAKES_PER_S, HANDSHAKE_BURST, UNDER_LOAD_AFTER_TIME, SOURCE_MAX, SOURCE_PER_S,
  SOURCE_BURST } from "./proto";
import { isV4Mapped } from "../../wire/addr";
import * as S from "./state";

const SECRET: usize = memory.data(WG_KEY, 8);   // R_m: the cookie secret, new every 2 minutes
let secretTime: i64 = I64.MIN_VALUE;
const TAU: usize = memory.data(WG_MAC, 8);
const MAC: usize = memory.data(WG_MAC, 8);
const EP_BYTES: i32 = 18;                       // a source's address and port, as cookies bind them

/** Write mac1 and mac2 of a handshake message of size bytes at m, to peer p. */
export function macsAdd(p: i32, m: usize, size: i32): void {
  let m1 = m + <usize>(size - 2 * WG_MAC);
  mac(m1, S.peerMac1(p), WG_KEY, m, size - 2 * WG_MAC);
  memory.copy(S.peerLastMac1(p), m1, WG_MAC);
  let t = unchecked(S.cookieTime[p]);
  if (t >= 0 && now - t < COOKIE_REFRESH_TIME) mac(m1 + WG_MAC, S.peerCookie(p), WG_MAC, m, size - WG_MAC);
  else memory.fill(m1 + WG_MAC, 0, WG_MAC);
}

/** Is mac1 of the handshake message at m right for nic's public key? */
export function mac1Ok(nic: i32, m: usize, size: i32): bool {
  mac(MAC, S.ifMac1(nic), WG_KEY, m, size - 2 * WG_MAC);
  return ctEq(MAC, m + <usize>(size - 2 * WG_MAC), WG_MAC);
}

/** The cookie of the source at ep (an endpoint header) into TAU. */
function cookieFor(ep: usize): void {
  if (secretTime == I64.MIN_VALUE || now - secretTime >= COOKIE_REFRESH_TIME) {
    host_random(<i32>SECRET, WG_KEY);
    secretTime = now;
  }
  mac(TAU, SECRET, WG_KEY, ep, EP_BYTES);
}

/** Is mac2 of the message at m the one the cookie of ep gives? */
export function mac2Ok(m: usize, size: i32, ep: usize): bool {
  cookieFor(ep);
  mac(MAC, TAU, WG_MAC, m, size - WG_MAC);
  return ctEq(MAC, m + <usize>(size - WG_MAC), WG_MAC);
}

/** Write at out the cookie reply (WGC_SIZE bytes) to the handshake message at m, for the
 *  source at ep, sealed with nic's cookie key. */
export function cookieReply(nic: i32, m: usize, size: i32, ep: usize, out: usize): void {
  cookieFor(ep);
  store<u32>(out, L.WG_COOKIE);
  store<u32>(out + L.WGC_RECEIVER, load<u32>(m + L.WGI_SENDER));   // the sender's index, in either message
  host_random(<i32>(out + L.WGC_NONCE), L.WGC_NONCE_LEN);
  xaeadSeal(out + L.WGC_COOKIE, S.ifCookie(nic), out + L.WGC_NONCE, TAU, WG_MAC, m + <usize>(size - 2 * WG_MAC), WG_MAC);
}

/** Take a cookie reply at m on nic: the peer it is for, or -1 (no handshake message of ours
 *  it answers, or it does not open). */
export function cookieConsume(nic: i32, m: usize): i32 {
  let owner = S.indexOwner(load<u32>(m + L.WGC_RECEIVER));
  if (owner < 0) return -1;
  let p = owner >= S.KP_MAX ? owner - S.KP_MAX : S.kpPeer(owner);
  if (<i32>unchecked(S.peerNic[p]) != nic) return -1;
  if (!xaeadOpen(MAC, S.peerCookieKey(p), m + L.WGC_NONCE, m + L.WGC_COOKIE, WG_MAC + L.WG_TAG, S.peerLastMac1(p), WG_MAC)) return -1;
  memory.copy(S.peerCookie(p), MAC, WG_MAC);
  unchecked(S.cookieTime[p] = now);
  return p;
}

// ——— Load, and each source's share of the handshakes under load ———
// The node counts every handshake message that passed mac1 in a token bucket (the load
// measure, like wireguard-go's handshake queue): past half of it the node is under load,
// and stays so for a second. It never drops for the node as a whole — one sender could
// then starve every peer. Under load, a message with a valid mac2 (its source proved it
// receives there) is limited per source instead: its /64 (an IPv4 peer: its address), 20 a
// second with a burst of 5, as wireguard-go's ratelimiter. SOURCE_MAX sources are kept; the
// one heard from longest ago makes room.
const UNIT: i64 = 1000;                  // one handshake, in the buckets' units
let tokens: i64 = <i64>HANDSHAKE_BURST * UNIT;
let filled: i64 = 0;
let loadUntil: i64 = -1;

const srcKey = new StaticArray<u64>(SOURCE_MAX * 2);
const srcTokens = new StaticArray<i64>(SOURCE_MAX);
const srcFilled = new StaticArray<i64>(SOURCE_MAX);
const srcUsed = new StaticArray<bool>(SOURCE_MAX);

/** Count one handshake message that passed mac1; is the node under load? */
export function underLoad(): bool {
  let dt = now - filled;
  if (dt > 0) { filled = now; tokens = min(<i64>HANDSHAKE_BURST * UNIT, tokens + dt * <i64>HANDSHAKES_PER_S); }
  tokens = max<i64>(0, tokens - UNIT);
  if (tokens < <i64>HANDSHAKE_BURST * UNIT / 2) loadUntil = now + UNDER_LOAD_AFTER_TIME;
  return loadUntil >= 0 && now < loadUntil;
}

/** Under load: may the source at ep (an endpoint header) have one more handshake now? */
export function sourceAllows(ep: usize): bool {
  let a = load<u64>(ep), b = isV4Mapped(ep) ? load<u64>(ep, 8) : 0;   // a /64, or an IPv4 address
  let slot = -1, oldest = -1;
  for (let i = 0; i < SOURCE_MAX; i++) {
    if (!unchecked(srcUsed[i])) { if (oldest < 0 || unchecked(srcUsed[oldest])) oldest = i; continue; }
    if (unchecked(srcKey[2 * i]) == a && unchecked(srcKey[2 * i + 1]) == b) { slot = i; break; }
    if (oldest < 0 || (unchecked(srcUsed[oldest]) && unchecked(srcFilled[i]) < unchecked(srcFilled[oldest]))) oldest = i;
  }
  if (slot < 0) {
    slot = oldest;
    unchecked(srcUsed[slot] = true);
    unchecked(srcKey[2 * slot] = a); unchecked(srcKey[2 * slot + 1] = b);
    unchecked(srcTokens[slot] = <i64>SOURCE_BURST * UNIT);
    unchecked(srcFilled[slot] = now);
  }
  let dt = now - unchecked(srcFilled[slot]);
  let t = unchecked(srcTokens[slot]);
  if (dt > 0) { t = min(<i64>SOURCE_BURST * UNIT, t + dt * <i64>SOURCE_PER_S); unchecked(srcFilled[slot] = now); }
  if (t < UNIT) { unchecked(srcTokens[slot] = t); return false; }
  unchecked(srcTokens[slot] = t - UNIT);
  return true;
}

/** A fresh measure and no sources (boot). */
export function loadReset(): void {
  tokens = <i64>HANDSHAKE_BURST * UNIT; filled = now; loadUntil = -1; secretTime = I64.MIN_VALUE;
  for (let i = 0; i < SOURCE_MAX; i++) unchecked(srcUsed[i] = false);
}

// The endpoint header's address and port are what a cookie binds.
assert(WG_EP_HDR >= EP_BYTES);
