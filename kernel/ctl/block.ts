// Address certificates and block signals on the control port (spec/control.md, issue #15).
// DESIGN.md: "any IP can send a block signal" to its /64 router, which drops the traffic at
// ingress; AITF (Argyraki and Cheriton, "Active Internet Traffic Filtering", USENIX 2005)
// is the model for passing it on toward the sources. Four operations, each checked whole
// before anything changes:
//   CERT     a host certifies its source address to its key (first come, first served; the
//            cookie proved it receives there), kernel/cert/ signs.
//   CERTS    anyone asks for the chain the node issued for an address (unsigned, public).
//   BLOCK    the holder of dst's certificate — the key that signed, checked against a chain
//   UNBLOCK  that ends at a key this node trusts for dst — installs (removes) filters
//            "drop from source S to dst" for at most BLOCK_SECONDS_MAX. Here when dst is
//            inside this router's prefixes (one of its own or its services' addresses, or on
//            one of its links) or S is (this is S's router); a BLOCK for dst here is passed on
//            to the Subnet-Router anycast address (RFC 4291 §2.6.1) of each source /64 that
//            is not, as a RELAY, which that router checks the same way and answers to the
//            requester directly.
//   RELAY    a BLOCK or UNBLOCK another router passed on: its time must be fresh and above
//            the last relayed one of its key, and only sources on this router's links get a
//            filter. Nothing it carries can cut off a third party: every filter drops only
//            traffic to an address whose certificate the signer holds.
// ctl/control.ts has checked epoch, cookie, sequence number, budget and the outer
// signature of CERT, BLOCK and UNBLOCK; this file checks what the body claims. Called by
// ctl/control.ts only; relays go out through outbox() (main.ts sends them).
import { Errno } from "../../abi/errno";
import { LogLevel, Role } from "../../abi/kernel";
import * as C from "../../abi/control";
import { CERT_BYTES, CERT_HOLDER } from "../../wire/layout/cert";
import { CERT_CHAIN_MAX, FILTER_MAX, FILTER_PER_HOLDER, BLOCK_SECONDS_MAX, BLOCK_SOURCES_MAX } from "../../abi/limits";
import { BLOCK_SKEW_MS, RELAY_OUT_MAX, LENGTHS_PER_DST } from "../param";
import { now, epoch as wallEpoch } from "../clock";
import { le16, le32, le64 } from "../../wire/bytes";
import { addrCopy, prefixMatch, isMulticast, isUnspecified, isLinkLocal } from "../../wire/addr";
import { IP_HDR, IP_SRC, NH_UDP, NH_TCP, HOP_LIMIT, ipEmit } from "../../wire/ipv6";
import { UDP_HDR, udpEmit, udpSeal } from "../../wire/udp";
import { pktAlloc, pktData, pktSetLen, pktSetClass, CLASS_KERNEL, NONE } from "../pool";
import { logStart, logStr, logInt, logAddr, logEnd } from "../log";
import { ed25519Verify } from "../crypto/ed25519";
import { isOwn, lookup, routeNic } from "../net/route";
import { connectedNic, prefixCount, prefixAddr, prefixLen } from "../net/iface";
import { nodeRole } from "../net/nd";
import { sourceFor } from "../net/source";
import { filterAdd, filterRemove, filterHolderCount, filterActive, filterLengths, filterExists, filterHasLength } from "../net/filter";
import { certVerifyChain } from "../cert/verify";
import { prefixClean } from "../cert/check";
import { certNotAfter } from "../cert/check";
import { certIssueHost, certChainFor, certNodeKey } from "../cert/issue";
import { holderFind, holderGet, holderLastTime, holderAcceptTime } from "./holders";

/** BLOCK, UNBLOCK and RELAY requests refused; relays sent toward sources' routers; relays
 *  accepted here (status: FILTERS). */
export let blockRefused: u64 = 0;
export let relaysSent: u64 = 0;
export let relaysIn: u64 = 0;
/** Did the last RELAY authenticate (its time fresh and its key's latest, its signature and
 *  chain good)? One that did not gets no answer. */
export let relayAuthentic = false;

/** Certificates the answer carries after its text (CERT, CERTS), in CHAIN. */
export let replyCerts: i32 = 0;
export const CHAIN: usize = memory.data(CERT_CHAIN_MAX * CERT_BYTES, 8);

// Relays built while handling a BLOCK, for main.ts to send (outbox()).
const OUT = new StaticArray<i32>(RELAY_OUT_MAX);
/** Relays waiting in the outbox: main.ts asks only when there are some. */
export let outCount = 0;
const SRA: usize = memory.data(16, 8);
const SEEN: usize = memory.data(BLOCK_SOURCES_MAX * 8, 8);   // source /64s already looked at

function refuse(err: Errno, why: string): i32 {
  blockRefused++;
  logStart();
  logStr("control message refused: ");
  logStr(why);
  logEnd(LogLevel.WARN);
  return -err;
}

/** The node's wall clock in Unix ms, 0 if the host never gave it (k_epoch). */
function wallMs(): i64 { return wallEpoch == 0 ? 0 : wallEpoch + now; }

/** Is dst one of this router's own or its services' addresses, or on one of its links? */
function dstInside(dst: usize): bool { return isOwn(dst) || connectedNic(dst) >= 0; }

/** Does the source prefix s/len lie inside one of this router's connected prefixes? */
function srcInside(s: usize, len: i32): bool {
  for (let i = 0; i < prefixCount; i++) {
    let l = prefixLen(i);
    if (l <= len && prefixMatch(s, prefixAddr(i), l)) return true;
  }
  return false;
}

/** CERT: certify the source address at src to the key at key (its signature verified). */
export function opCert(key: usize, src: usize): i32 {
  replyCerts = 0;
  if (nodeRole != Role.ROUTER) return refuse(Errno.EACCES, "this node is not a router; ask the router of your link");
  if (isLinkLocal(src) || isOwn(src) || connectedNic(src) < 0) {
    return refuse(Errno.EACCES, "the request's source address is not on one of this router's links: send it from the address to certify");
  }
  let r = certIssueHost(src, key);
  if (r < 0) return r;     // certIssueHost said why
  replyCerts = certChainFor(src, CHAIN, CERT_CHAIN_MAX);
  logStart(); logStr("control: certified "); logAddr(src); logStr(" to the request's key"); logEnd(LogLevel.INFO);
  return 0;
}

/** CERTS: the chain for the address in the body (n bytes at b). */
export function opCerts(b: usize, n: i32): i32 {
  replyCerts = 0;
  if (n < C.CS_SIZE) return -Errno.EBADMSG;
  replyCerts = certChainFor(b + C.CS_ADDR, CHAIN, CERT_CHAIN_MAX);
  return replyCerts > 0 ? 0 : -Errno.ENOENT;
}

// The body of the BLOCK or UNBLOCK being handled, once parsed.
let bDst: usize = 0, bProto = 0, bPort = 0, bSeconds: u32 = 0, bCerts = 0, bSources = 0;
let bChain: usize = 0, bSrc: usize = 0;

/** Parse and check a BLOCK or UNBLOCK body: framing, ranges, the chain and that its leaf's
 *  holder is the signer (key). 0 or a refusal. */
function parse(op: i32, key: usize, b: usize, n: i32): i32 {
  if (n < C.BL_CHAIN) return refuse(Errno.EBADMSG, "the body is shorter than a block request's fixed part");
  bDst = b + C.BL_DST;
  bProto = <i32>load<u8>(b + C.BL_PROTO);
  bCerts = <i32>load<u8>(b + C.BL_CERTS);
  bPort = <i32>le16(b + C.BL_PORT);
  bSeconds = le32(b + C.BL_SECONDS);
  bChain = b + C.BL_CHAIN;
  if (bCerts < 1 || bCerts > CERT_CHAIN_MAX) return refuse(Errno.EBADMSG, "a block request carries 1 to 4 certificates (its address's chain, leaf first)");
  let rest = n - C.BL_CHAIN - bCerts * CERT_BYTES;
  if (rest <= 0 || rest % C.BL_SOURCE != 0) return refuse(Errno.EBADMSG, "the sources after the chain are not whole (17 bytes each: prefix, length)");
  bSources = rest / C.BL_SOURCE;
  bSrc = bChain + <usize>(bCerts * CERT_BYTES);
  if (bSources > BLOCK_SOURCES_MAX) return refuse(Errno.EBADMSG, "more sources than one request may name (BLOCK_SOURCES_MAX)");
  if (bPort != 0 && bProto != NH_UDP && bProto != NH_TCP) return refuse(Errno.EINVAL, "a port is only for protocol 6 (TCP) or 17 (UDP)");
  if (op == C.Op.BLOCK && (bSeconds < 1 || bSeconds > <u32>BLOCK_SECONDS_MAX)) return refuse(Errno.EINVAL, "a block lasts 1 s to a day (BLOCK_SECONDS_MAX)");
  if (op == C.Op.UNBLOCK && bSeconds != 0) return refuse(Errno.EINVAL, "an unblock has 0 seconds");
  if (isMulticast(bDst) || isUnspecified(bDst)) return refuse(Errno.EINVAL, "the destination is not a unicast address");
  for (let i = 0; i < bSources; i++) {
    let s = bSrc + <usize>(i * C.BL_SOURCE);
    let l = <i32>load<u8>(s + C.BL_SOURCE_LEN);
    if (l > 128 || !prefixClean(s, l)) return refuse(Errno.EINVAL, "a source prefix is longer than 128 bits or has bits set past its length");
  }
  let r = certVerifyChain(bChain, bCerts, bDst);
  if (r < 0) { blockRefused++; return r; }     // certVerifyChain logged which certificate and why
  if (memory.compare(bChain + CERT_HOLDER, key, 32) != 0) {
    return refuse(Errno.EACCES, "the request is not signed by the key the destination's certificate names");
  }
  return 0;
}

/** BLOCK or UNBLOCK from the holder row h, whose key signed the request m (n bytes, header
 *  to signature, its body at b, bn bytes), from src and srcPort. */
export function opBlock(op: i32, h: i32, m: usize, n: i32, b: usize, bn: i32, src: usize, srcPort: i32): i32 {
  replyCerts = 0;
  if (nodeRole != Role.ROUTER) return refuse(Errno.EACCES, "this node is not a router: block signals go to the router of the address");
  if (n > C.BLOCK_MAX) return refuse(Errno.EMSGSIZE, "the request is too long to be passed on (BLOCK_MAX)");
  let r = parse(op, m + C.CTL_KEY, b, bn);
  if (r < 0) return r;
  let here = dstInside(bDst);
  let local = 0;
  for (let i = 0; i < bSources; i++) {
    let s = bSrc + <usize>(i * C.BL_SOURCE);
    if (here || srcInside(s, <i32>load<u8>(s + C.BL_SOURCE_LEN))) local++;
  }
  if (local == 0) return refuse(Errno.EACCES, "neither the destination nor a source is inside this router's prefixes");
  r = apply(op, h, here);
  if (r < 0) return r;
  let passed = here ? relay(m, n, src, srcPort) : 0;
  say(op, r, passed);
  return 0;
}

/** RELAY: the request inside (m + header + RL_REQUEST), from another router. */
export function opRelay(m: usize, n: i32): i32 {
  replyCerts = 0;
  relayAuthentic = false;
  let q = m + C.CTL_HEADER + C.RL_REQUEST;
  let qn = n - C.CTL_HEADER - C.RL_REQUEST;
  if (nodeRole != Role.ROUTER) return -Errno.EACCES;
  if (qn < C.CTL_HEADER + C.BL_CHAIN + C.CTL_SIG || load<u32>(q) != C.CTL_MAGIC || load<u8>(q + C.CTL_VERSION_OFF) != C.CTL_VERSION) return -Errno.EBADMSG;
  let op = <i32>load<u8>(q + C.CTL_OP);
  if (op != C.Op.BLOCK && op != C.Op.UNBLOCK) return -Errno.EBADMSG;
  if (load<u8>(m + C.CTL_HEADER + C.RL_HOPS) != 1) return -Errno.EBADMSG;   // passed on once, never again
  let t = <i64>le64(q + C.CTL_HEADER + C.BL_TIME);
  let wall = wallMs();
  if (wall == 0) return -Errno.ESTALE;
  if (t < wall - BLOCK_SKEW_MS || t > wall + BLOCK_SKEW_MS || t <= holderLastTime(q + C.CTL_KEY)) return -Errno.ESTALE;
  let body = qn - C.CTL_SIG;
  if (!ed25519Verify(q + <usize>body, q, body, q + C.CTL_KEY)) return -Errno.EACCES;
  let r = parse(op, q + C.CTL_KEY, q + C.CTL_HEADER, body - C.CTL_HEADER);
  if (r < 0) return r;
  relayAuthentic = true;
  let local = 0;
  for (let i = 0; i < bSources; i++) {
    let s = bSrc + <usize>(i * C.BL_SOURCE);
    if (srcInside(s, <i32>load<u8>(s + C.BL_SOURCE_LEN))) local++;
  }
  if (local == 0) return refuse(Errno.EACCES, "no source of the relayed request is on this router's links");
  let h = holderGet(q + C.CTL_KEY);
  if (h < 0) return refuse(Errno.ENOSPC, "every key row holds filters (HOLDER_MAX)");
  holderAcceptTime(h, t);
  r = apply(op, h, false);
  if (r < 0) return r;
  relaysIn++;
  say(op, r, -1);
  return 0;
}

let installed = 0, refreshed = 0, removed = 0;

/** When the parsed BLOCK's filters run out, in kernel ms: after its seconds, but never
 *  after its leaf certificate (whose validity its parents' cover), since the address may be
 *  certified to someone else then. The chain verified, so the wall clock is set and before
 *  the leaf's end; its end is read in ms only when it comes first, so it cannot overflow. */
function expiry(): i64 {
  let want = now + <i64>bSeconds * 1000;
  let end = certNotAfter(bChain);
  if (end > (wallMs() + <i64>bSeconds * 1000) / 1000) return want;
  return min(want, end * 1000 - wallEpoch);
}

/** Install or remove the parsed filters for holder h: every source when dst is inside
 *  (all), else those on this router's links. Checked whole before anything is added: the
 *  holder's quota and the table's room. Returns how many were acted on. */
function apply(op: i32, h: i32, all: bool): i32 {
  let expires = expiry();
  installed = 0; refreshed = 0; removed = 0;
  // The filters this request would add (a filter already there is only refreshed), and the
  // source lengths new to the destination: each length its filters use costs every packet
  // to it a probe.
  let want = 0, fresh = 0;
  let m0: u64 = 0, m1: u64 = 0, m2: u64 = 0;
  for (let i = 0; i < bSources; i++) {
    let s = bSrc + <usize>(i * C.BL_SOURCE);
    let l = <i32>load<u8>(s + C.BL_SOURCE_LEN);
    if (!all && !srcInside(s, l)) continue;
    want++;
    if (op != C.Op.BLOCK || filterExists(bDst, s, l, bProto, bPort)) continue;
    fresh++;
    if (filterHasLength(bDst, l)) continue;
    if (l < 64) m0 |= <u64>1 << <u64>l; else if (l < 128) m1 |= <u64>1 << <u64>(l - 64); else m2 = 1;
  }
  if (op == C.Op.BLOCK) {
    let lengths = <i32>(popcnt(m0) + popcnt(m1) + m2);
    if (filterLengths(bDst) + lengths > LENGTHS_PER_DST) {
      return refuse(Errno.EDQUOT, "the destination's filters would use more source prefix lengths than LENGTHS_PER_DST (8): use fewer different lengths");
    }
    if (filterHolderCount(h) + fresh > FILTER_PER_HOLDER) return refuse(Errno.EDQUOT, "over this key's quota of active filters (FILTER_PER_HOLDER)");
    if (filterActive + fresh > FILTER_MAX) return refuse(Errno.ENOSPC, "the router's filter table is full (FILTER_MAX)");
  }
  for (let i = 0; i < bSources; i++) {
    let s = bSrc + <usize>(i * C.BL_SOURCE);
    let l = <i32>load<u8>(s + C.BL_SOURCE_LEN);
    if (!all && !srcInside(s, l)) continue;
    if (op == C.Op.BLOCK) {
      let r = filterAdd(bDst, s, l, bProto, bPort, expires, h);
      if (r == 0) installed++; else if (r == 1) refreshed++;
    } else if (filterRemove(bDst, s, l, bProto, bPort)) removed++;
  }
  return want;
}

/** Pass the request m (n bytes) from src:srcPort on to the routers of its sources' /64s
 *  that are not on this router's links: one RELAY to each one's Subnet-Router anycast
 *  address, at most RELAY_OUT_MAX. Returns how many were built. */
function relay(m: usize, n: i32, src: usize, srcPort: i32): i32 {
  let count = 0, seen = 0;
  for (let i = 0; i < bSources && outCount < RELAY_OUT_MAX; i++) {
    let s = bSrc + <usize>(i * C.BL_SOURCE);
    let l = <i32>load<u8>(s + C.BL_SOURCE_LEN);
    if (l < 64 || srcInside(s, l) || isLinkLocal(s)) continue;   // a /64's router is known by its anycast address
    let p64 = load<u64>(s);
    let dup = false;
    for (let j = 0; j < seen; j++) if (load<u64>(SEEN + <usize>(j * 8)) == p64) dup = true;
    if (dup) continue;
    if (seen < BLOCK_SOURCES_MAX) store<u64>(SEEN + <usize>(seen++ * 8), p64);
    store<u64>(SRA, p64);
    store<u64>(SRA, 0, 8);
    let route = lookup(SRA);
    if (route < 0) continue;
    let pkt = pktAlloc();
    if (pkt == NONE) break;
    let p = pktData(pkt);
    let plen = UDP_HDR + C.CTL_HEADER + C.RL_REQUEST + n;
    ipEmit(p, plen, NH_UDP, HOP_LIMIT, SRA, SRA);
    sourceFor(routeNic(route), SRA, p + IP_SRC);
    let u = p + IP_HDR;
    let x = u + UDP_HDR;
    memory.fill(x, 0, C.CTL_HEADER + C.RL_REQUEST);
    store<u32>(x, C.CTL_MAGIC);
    store<u8>(x + C.CTL_VERSION_OFF, C.CTL_VERSION);
    store<u8>(x + C.CTL_OP, C.Op.RELAY);
    let nk = certNodeKey();
    if (nk != 0) memory.copy(x + C.CTL_KEY, nk, 32);
    let rl = x + C.CTL_HEADER;
    addrCopy(rl + C.RL_REPLY_ADDR, src);
    store<u16>(rl + C.RL_REPLY_PORT, <u16>srcPort);
    store<u8>(rl + C.RL_HOPS, 1);
    memory.copy(rl + C.RL_REQUEST, m, <usize>n);
    udpEmit(u, C.CTL_PORT, C.CTL_PORT, plen);
    udpSeal(p, IP_HDR, plen);
    pktSetLen(pkt, IP_HDR + plen);
    pktSetClass(pkt, CLASS_KERNEL);
    unchecked(OUT[outCount++] = pkt);
    count++;
    relaysSent++;
  }
  return count;
}

/** The next relay to send, or NONE; main.ts sends each after the frame that caused it. */
export function outbox(): i32 {
  return outCount > 0 ? unchecked(OUT[--outCount]) : NONE;
}

/** The op's log line, which the answer quotes. passed: relays sent, -1 for a relay here. */
function say(op: i32, want: i32, passed: i32): void {
  logStart();
  logStr(passed < 0 ? "control: at the sources' router, " : "control: ");
  if (op == C.Op.BLOCK) {
    logStr("blocked traffic to "); logAddr(bDst);
    logStr(" from "); logInt(bSources); logStr(bSources == 1 ? " source: " : " sources: ");
    logInt(installed); logStr(" filters installed, "); logInt(refreshed); logStr(" refreshed, for ");
    logInt(bSeconds); logStr(" s");
  } else {
    logStr("unblocked traffic to "); logAddr(bDst); logStr(": "); logInt(removed); logStr(" filters removed");
  }
  if (passed > 0) { logStr("; passed on to "); logInt(passed); logStr(passed == 1 ? " source router" : " source routers"); }
  if (want < bSources) { logStr("; "); logInt(bSources - want); logStr(" sources are not on this router's links"); }
  logEnd(LogLevel.INFO);
}
