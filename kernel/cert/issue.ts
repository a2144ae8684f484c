// The certificates a router issues (issue #15; DESIGN.md "every IP has a public key
// issued by the /64 router"): one table of CERT_ISSUED_MAX, each entry one address (/128)
// certified to a key and signed with the node's key, valid from CERT_SKEW_S before it is
// signed for CERT_LIFETIME_S — or less, to stay inside the NODE_CERT above it, so the
// chain the node shows holds. A service's address is certified to its owner's key
// (cert/services.ts) and renewed at half its life by the poll (certTimers); a host's
// address to the key that asked (certIssueHost, first come, first served), which the host
// renews by asking again, and is forgotten when it expires. Without a wall clock an entry
// waits, unsigned, until k_epoch gives one. Hosts' entries stop at CERT_HOST_MAX, so every
// service address always finds room. Does not check who may ask: kernel/ctl/ does.
import { Errno } from "../../abi/errno";
import { CertOrigin, SCT_NO_SVC } from "../../abi/status";
import * as C from "../../wire/layout/cert";
import { addrEq, addrCopy, prefixMatch } from "../../wire/addr";
import { CERT_ISSUED_MAX, CERT_LIFETIME_S, CERT_SKEW_S, CERT_RENEW_MIN_S, CERT_HOST_MAX } from "../param";
import { epoch, now } from "../clock";
import { isOwn } from "../net/route";
import { ed25519KeyUsable } from "../crypto/ed25519";
import { ed25519Sign } from "../crypto/ed25519_sign";
import * as S from "./state";
import { certLen, certNotBefore, certNotAfter, certPrefix, certHolder, certIssuer } from "./check";

export const FREE: u8 = 0;
export const WAITING: u8 = 1;     // filled in, to be signed once the node has a wall clock
export const ISSUED: u8 = 2;      // signed

const TABLE: usize = memory.data(CERT_ISSUED_MAX * C.CERT_BYTES, 8);
export const issuedState = new StaticArray<u8>(CERT_ISSUED_MAX);
export const issuedOrigin = new StaticArray<u8>(CERT_ISSUED_MAX);   // CertOrigin.SERVICE or HOST
export const issuedSvc = new StaticArray<u16>(CERT_ISSUED_MAX);     // a SERVICE entry's service id
export let issuedHigh: i32 = 0;   // highest entry in use + 1
let hosts: i32 = 0;               // HOST entries in use
let waiting: i32 = 0;             // WAITING entries
let due: i64 = -1;                // kernel ms of the next renewal or expiry; -1: none known

/** Entry i's certificate (CERT_BYTES). */
export function issued(i: i32): usize { return TABLE + <usize>(i * C.CERT_BYTES); }

function noteDue(ms: i64): void {
  let t = max(ms, now);
  due = due < 0 ? t : min(due, t);
}

/** The entry that certifies addr, or -1. */
function find(addr: usize): i32 {
  for (let i = 0; i < issuedHigh; i++) {
    if (unchecked(issuedState[i]) != FREE && addrEq(certPrefix(issued(i)), addr)) return i;
  }
  return -1;
}

function release(i: i32): void {
  if (unchecked(issuedState[i]) == WAITING) waiting--;
  if (unchecked(issuedOrigin[i]) == <u8>CertOrigin.HOST) hosts--;
  unchecked(issuedState[i] = FREE);
  memory.fill(issued(i), 0, C.CERT_BYTES);
  while (issuedHigh > 0 && unchecked(issuedState[issuedHigh - 1]) == FREE) issuedHigh--;
}

/** A free entry filled with addr, holder and who it is for, waiting to be signed; -1 if
 *  the table is full (or, for a host, the hosts' part of it). */
function take(addr: usize, holder: usize, origin: CertOrigin, svc: i32): i32 {
  if (origin == CertOrigin.HOST && hosts >= CERT_HOST_MAX) return -1;
  let i = 0;
  while (i < CERT_ISSUED_MAX && unchecked(issuedState[i]) != FREE) i++;
  if (i == CERT_ISSUED_MAX) return -1;
  if (i >= issuedHigh) issuedHigh = i + 1;
  if (origin == CertOrigin.HOST) hosts++;
  let c = issued(i);
  addrCopy(certPrefix(c), addr);
  memory.copy(certHolder(c), holder, S.KEY);
  unchecked(issuedState[i] = WAITING);
  unchecked(issuedOrigin[i] = <u8>origin);
  unchecked(issuedSvc[i] = <u16>svc);
  waiting++;
  return i;
}

/** The NODE_CERT the node shows above a certificate of addr: one of its key, holding
 *  addr, valid at t; 0 if none. */
function parentFor(addr: usize, t: i64): usize {
  for (let j = 0; j < S.nodeCertCount; j++) {
    let p = S.nodeCert(j);
    if (S.keyEq(certHolder(p), S.NODE_PK) && prefixMatch(addr, certPrefix(p), certLen(p)) &&
        certNotBefore(p) <= t && t < certNotAfter(p)) return p;
  }
  return 0;
}

/** When entry i wants attention, in kernel ms: a service's renewal, a host's expiry. */
function deadline(i: i32): i64 {
  let c = issued(i);
  let nb = certNotBefore(c), na = certNotAfter(c);
  let at = unchecked(issuedOrigin[i]) == <u8>CertOrigin.HOST ? na : max(nb + (na - nb) / 2, nb + CERT_RENEW_MIN_S);
  return at * 1000 - epoch;
}

/** Date entry i at Unix time t, sign it with the node's key, and note its deadline. */
function sign(i: i32, t: i64): void {
  let c = issued(i);
  let nb = max(t - CERT_SKEW_S, 0), na = t + <i64>CERT_LIFETIME_S;
  let p = parentFor(certPrefix(c), t);
  if (p != 0) { nb = max(nb, certNotBefore(p)); na = min(na, certNotAfter(p)); }
  store<u32>(c + C.CERT_MAGIC_OFF, C.CERT_MAGIC);
  store<u8>(c + C.CERT_VERSION_OFF, <u8>C.CERT_VERSION);
  store<u8>(c + C.CERT_LEN, 128);
  store<u16>(c + C.CERT_FLAGS, 0);                    // no flags, and byte 7
  store<u64>(c + C.CERT_NOT_BEFORE, <u64>nb);
  store<u64>(c + C.CERT_NOT_AFTER, <u64>na);
  memory.copy(certIssuer(c), S.NODE_PK, S.KEY);
  ed25519Sign(c + C.CERT_SIG, c, C.CERT_SIG, S.SEED, S.NODE_PK);
  if (unchecked(issuedState[i]) == WAITING) waiting--;
  unchecked(issuedState[i] = ISSUED);
  noteDue(deadline(i));
}

/** Certify service svc's address addr to holder (its owner's key, or the node's). A
 *  host's entry for the address gives way: the node's configuration decides whose it is.
 *  The entry's index, or -EACCES (not a router with a key), -ENOSPC. */
export function certIssueService(svc: i32, addr: usize, holder: usize): i32 {
  if (!S.router || !S.hasKey) return -Errno.EACCES;
  let i = find(addr);
  if (i >= 0) release(i);
  i = take(addr, holder, CertOrigin.SERVICE, svc);
  if (i < 0) return -Errno.ENOSPC;
  let t = S.wallSeconds();
  if (t > 0) sign(i, t);
  return i;
}

/** Issue (or renew) a certificate of addr/128 to key (a host that asked, CertOrigin.HOST).
 *  The caller has checked the address is on one of the node's links. -EACCES no node key
 *  or not a router, -ESTALE no wall clock, -EINVAL a key anyone could sign as, -EEXIST the
 *  address is certified to another key and not expired (first come, first served), or it
 *  is a node or service address, -ENOSPC table full. Returns the issued entry's index. */
export function certIssueHost(addr: usize, key: usize): i32 {
  if (!S.router || !S.hasKey) return -Errno.EACCES;
  let t = S.wallSeconds();
  if (t == 0) return -Errno.ESTALE;
  if (!ed25519KeyUsable(key)) return -Errno.EINVAL;
  if (isOwn(addr)) return -Errno.EEXIST;
  let i = find(addr);
  if (i >= 0) {
    let c = issued(i);
    if (unchecked(issuedOrigin[i]) != <u8>CertOrigin.HOST) return -Errno.EEXIST;
    if (!S.keyEq(certHolder(c), key) && t < certNotAfter(c)) return -Errno.EEXIST;
    release(i);
  }
  i = take(addr, key, CertOrigin.HOST, SCT_NO_SVC);
  if (i < 0 && sweepHosts(t) > 0) i = take(addr, key, CertOrigin.HOST, SCT_NO_SVC);
  if (i < 0) return -Errno.ENOSPC;
  sign(i, t);
  return i;
}

/** Forget the hosts' certificates expired at t (the poll does too, later); how many. */
function sweepHosts(t: i64): i32 {
  let n = 0;
  for (let i = 0; i < issuedHigh; i++) {
    if (unchecked(issuedState[i]) == ISSUED && unchecked(issuedOrigin[i]) == <u8>CertOrigin.HOST && t >= certNotAfter(issued(i))) {
      release(i);
      n++;
    }
  }
  return n;
}

/** Forget the certificates of service svc's addresses (it is unloaded, or refused). */
export function certForgetService(svc: i32): void {
  for (let i = 0; i < issuedHigh; i++) {
    if (unchecked(issuedState[i]) != FREE && unchecked(issuedOrigin[i]) == <u8>CertOrigin.SERVICE &&
        <i32>unchecked(issuedSvc[i]) == svc) release(i);
  }
}

/** From the poll: sign what waited for the wall clock, renew services' certificates at
 *  half their life (or when the clock went back before their start), forget hosts'
 *  expired ones. The next deadline in kernel ms, or -1. */
export function certTimers(): i64 {
  if (!S.router || !S.hasKey) return -1;
  let t = S.wallSeconds();
  if (t == 0) return -1;
  if (waiting == 0 && due >= 0 && now < due) return due;
  due = -1;
  for (let i = 0; i < issuedHigh; i++) {
    let st = unchecked(issuedState[i]);
    if (st == FREE) continue;
    let c = issued(i);
    if (st == WAITING) sign(i, t);
    else if (unchecked(issuedOrigin[i]) == <u8>CertOrigin.HOST && t >= certNotAfter(c)) release(i);
    else if (unchecked(issuedOrigin[i]) == <u8>CertOrigin.SERVICE && (deadline(i) <= now || t < certNotBefore(c))) sign(i, t);
    else noteDue(deadline(i));
  }
  return due;
}

/** The host stepped the wall clock (k_epoch): every deadline moves; look again now. */
export function certClock(): void {
  due = -1;
  certTimers();
}

/** Write the chain the node can show for addr: its issued certificate for it, then the
 *  NODE_CERT certificates above it, each held by the issuer of the one before and holding
 *  addr (leaf first, at most max). Returns how many (0: none issued). */
export function certChainFor(addr: usize, out: usize, max: i32): i32 {
  let i = find(addr);
  if (max < 1 || i < 0 || unchecked(issuedState[i]) != ISSUED) return 0;
  let t = S.wallSeconds();
  if (t > 0 && t >= certNotAfter(issued(i))) return 0;
  memory.copy(out, issued(i), C.CERT_BYTES);
  let n = 1;
  let signer = S.NODE_PK;
  for (let steps = 0; n < max && steps < S.nodeCertCount; steps++) {
    let next: usize = 0;
    for (let j = 0; j < S.nodeCertCount && next == 0; j++) {
      let p = S.nodeCert(j);
      if (S.keyEq(certHolder(p), signer) && prefixMatch(addr, certPrefix(p), certLen(p)) &&
          (t == 0 || (certNotBefore(p) <= t && t < certNotAfter(p)))) next = p;
    }
    if (next == 0) break;
    memory.copy(out + <usize>(n * C.CERT_BYTES), next, C.CERT_BYTES);
    signer = certIssuer(next);
    n++;
  }
  return n;
}

/** The node's public key, or 0 without one. */
export function certNodeKey(): usize { return S.hasKey ? S.NODE_PK : 0; }

/** Forget every issued certificate (a refused boot). */
export function issuedReset(): void {
  memory.fill(TABLE, 0, CERT_ISSUED_MAX * C.CERT_BYTES);
  for (let i = 0; i < CERT_ISSUED_MAX; i++) unchecked(issuedState[i] = FREE);
  issuedHigh = 0; hosts = 0; waiting = 0; due = -1;
}
