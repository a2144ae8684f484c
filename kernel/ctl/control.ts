// The control plane's wire side (spec/control.md, abi/control.ts): a UDP datagram to one of
// the node's own addresses on CTL_PORT. In order: the UDP header and checksum, the message
// header and its padding; a signed message's epoch must be this boot's and every message's
// cookie the one its source address was given (ctl/cookie.ts: it can receive there) —
// refused in clear, at the cost of a hash, since neither says anything of the key. From
// there every answer is sealed to the request's key and signed by the node (ctl/seal.ts),
// so it first pays the budgets (ctl/budget.ts: sealing and verifying cost CPU). HELLO and
// CERTS are answered; a signed message's key must be a user's (or a holder's, for CERT,
// BLOCK, UNBLOCK), its sequence number above the last, its signature good
// (crypto/ed25519.ts); then ctl/ops.ts acts. Answers before authentication are exactly as
// long as the request (no amplification, and users and strangers look alike). Malformed
// datagrams are counted and dropped without an answer. Called by net/local.ts for packets
// to the node itself; the answer is returned, for net/output.ts to send.
import { Drop } from "../../abi/drop";
import { Errno } from "../../abi/errno";
import * as C from "../../abi/control";
import { CAPTURE_NONE } from "../../abi/capture";
import { dropSent } from "../stats";
import { pktData, pktLen, pktSetLen, pktFree, pktSetClass, CLASS_KERNEL, NONE } from "../pool";
import { l4Checksum } from "../../wire/checksum";
import { IP_HDR, IP_SRC, IP_DST, NH_UDP, HOP_LIMIT, ipReverse } from "../../wire/ipv6";
import { UDP_HDR, udpCheck, udpEmit, udpSeal, udpSrcPort, udpDstPort } from "../../wire/udp";
import { lastLine, lastLineLen } from "../log";
import { ed25519Verify } from "../crypto/ed25519";
import { epoch, userByKey, userLastSeq, userAccept } from "./users";
import { holderLastSeq, holderGet, holderAccept } from "./holders";
import { opCert, opCerts, opBlock, opRelay, relayAuthentic, replyCerts, CHAIN } from "./block";
import { CERT_BYTES } from "../../wire/layout/cert";
import { lookup, routeNic, isOwn } from "../net/route";
import { sourceFor } from "../net/source";
import { addrCopy, isLinkLocal, prefixMatch, isMulticast, isUnspecified } from "../../wire/addr";
import { prefixCount, prefixAddr, prefixLen, prefixNodeAddr } from "../net/iface";
import { opLoad, opUnload, opGrant, opRevoke, opSvc } from "./ops";
import { cookieFor, cookieValid } from "./cookie";
import { opPut, chunkTransfer, chunkInput } from "./put";
import { budgetTake, budgetVerified, budgetTakeHolder, budgetTakeRelay, budgetTakeAnswer } from "./budget";
import { sealTo, sealAnswer, PLAIN, nodeKey, NODE_KEY_BYTES } from "./seal";

const TEXT: usize = memory.data(C.CTL_MAX);     // the reply's text while the packet is rewritten
/** Control messages acted on, and refused (with an answer). */
export let ctlAccepted: u64 = 0;
export let ctlRefused: u64 = 0;

/** A datagram to CTL_PORT on one of the node's addresses, its UDP header at off; consumes
 *  pkt. Returns the answer to send (pkt, rewritten), or NONE. */
export function ctlInput(pkt: i32, off: i32): i32 {
  let p = pktData(pkt);
  let len = pktLen(pkt) - off;
  let u = p + <usize>off;
  if (!udpCheck(u, len) ||
      l4Checksum(p, off, len, NH_UDP) != 0) { dropSent(Drop.CTL_MALFORMED, pkt, CAPTURE_NONE); pktFree(pkt); return NONE; }
  let ports = udpSrcPort(u) << 16 | udpDstPort(u);   // the request's source and destination port
  let m = u + UDP_HDR;
  let all = len - UDP_HDR;                            // the datagram, padding included
  if (all < C.CTL_HEADER || all > C.CTL_MAX || load<u32>(m) != C.CTL_MAGIC || load<u8>(m + C.CTL_VERSION_OFF) != C.CTL_VERSION) {
    dropSent(Drop.CTL_MALFORMED, pkt, CAPTURE_NONE); pktFree(pkt); return NONE;
  }
  let op = <i32>load<u8>(m + C.CTL_OP);
  if (op == C.Op.RELAY) return relayInput(pkt, m, all);
  if (op == C.Op.CHUNK) return chunkMessage(pkt, ports, m, all);
  // Padding makes room for a sealed refusal (never longer than the request): zeros after
  // the body, before the signature (signed like the rest). A request shorter than
  // CTL_REQ_MIN, or whose padding runs into its header, is malformed.
  let pad = <i32>load<u16>(m + C.CTL_PAD);
  let signedOp = op != C.Op.HELLO && op != C.Op.CERTS;
  let n = all - (signedOp ? C.CTL_SIG : 0);         // header to signature
  let bn = n - pad - C.CTL_HEADER;                    // the body
  if (all < C.CTL_REQ_MIN || bn < 0) {
    dropSent(Drop.CTL_MALFORMED, pkt, CAPTURE_NONE); pktFree(pkt); return NONE;
  }
  // Refusals in clear: they depend only on public fields and the source address, cost a
  // hash, and tell nothing of the key (so never seal before the cookie is proven).
  let src = p + IP_SRC;
  if (signedOp && load<u64>(m + C.CTL_EPOCH) != epoch) return inClear(pkt, ports, op, Errno.ESTALE);
  if (!cookieValid(src, m + C.CTL_COOKIE)) return inClear(pkt, ports, op, Errno.EAGAIN);
  // From here every answer is sealed to the request's key: a key that is not a usable
  // point cannot be answered. Sealing costs two X25519 and a signature, and even sealTo's
  // decoding of the key a square root and an inversion, so the budgets come first,
  // whatever the answer will be.
  let key = m + C.CTL_KEY;
  let user = userByKey(key);
  if (!(user >= 0 ? budgetTake(src, user) : budgetTakeHolder(src))) { dropSent(Drop.CTL_RATE, pkt, CAPTURE_NONE); pktFree(pkt); return NONE; }
  if (!sealTo(key, m, all)) { dropSent(Drop.CTL_MALFORMED, pkt, CAPTURE_NONE); pktFree(pkt); return NONE; }
  return sealedInput(pkt, ports, op, user, m, n, bn, all);
}

/** A request whose cookie (and, signed, epoch) passed, whose key can be sealed to and which
 *  paid its budgets: m, all bytes, n of them before the signature, its body bn; user is
 *  the key's row or -1. Every answer from here is sealed. */
function sealedInput(pkt: i32, ports: u32, op: i32, user: i32, m: usize, n: i32, bn: i32, all: i32): i32 {
  let src = pktData(pkt) + IP_SRC;
  let key = m + C.CTL_KEY;
  let seq = load<u64>(m + C.CTL_SEQ);
  // CERT, BLOCK and UNBLOCK are signed by a key that holds (or asks for) an address, which
  // need not be a user's; HELLO tells such a key its last number too.
  let holderOp = op == C.Op.CERT || op == C.Op.BLOCK || op == C.Op.UNBLOCK;
  if (op == C.Op.HELLO) {
    let last = holderLastSeq(key);
    if (user >= 0 && userLastSeq(user) > last) last = userLastSeq(user);
    return answer(pkt, ports, op, 0, last, C.RP_NO_SVC, all,
      user < 0 ? "hello; this key is not one of the node's users (it may still send CERT, BLOCK and UNBLOCK)" : "hello; sign with this epoch and a sequence number above this one");
  }
  if (op == C.Op.CERTS) {
    let r = opCerts(m + C.CTL_HEADER, bn);
    let why = r == 0 ? "the certificate chain this node issued for the address" :
      r == -Errno.ENOENT ? "this node issued no certificate for that address" : "a CERTS request carries a 16-byte address";
    return answer(pkt, ports, op, r, seq, C.RP_NO_SVC, all, why, replyCerts);
  }
  if (holderOp) return holderInput(pkt, ports, op, seq, m, bn, all, ((ports >> 16) & 0xffff));
  // The signature first, for every key: refusing a stranger's key, or a user's old sequence
  // number, before it would answer sooner for one than for the other, and the delay would
  // tell anyone whether a key is a user's. (A replay now costs a check, within the budgets.)
  if (!ed25519Verify(m + <usize>n, m, n, key)) return refused(pkt, ports, op, Errno.EACCES, seq, all, "the signature does not verify with the request's key");
  if (user < 0) return refused(pkt, ports, op, Errno.EACCES, seq, all, "the key is not one of the node's users (manifest users:)");
  if (seq <= userLastSeq(user)) return refused(pkt, ports, op, Errno.ESTALE, seq, all, "the sequence number is not above the last one accepted from this user (a replay?)");
  budgetVerified(src, user);
  userAccept(user, seq);
  let b = m + C.CTL_HEADER;
  let r: i32;
  if (op == C.Op.LOAD) r = opLoad(user, b, bn);
  else if (op == C.Op.UNLOAD) r = opUnload(user, b, bn);
  else if (op == C.Op.GRANT) r = opGrant(user, b, bn);
  else if (op == C.Op.REVOKE) r = opRevoke(user, b, bn);
  else if (op == C.Op.PUT) r = opPut(user, b, bn);
  else { ctlRefused++; return answer(pkt, ports, op, -Errno.EINVAL, seq, C.RP_NO_SVC, C.CTL_MAX, "unknown operation", 0, false); }
  if (r < 0) ctlRefused++; else ctlAccepted++;
  let tl = lastLineLen();
  memory.copy(TEXT, lastLine(), <usize>tl);
  return reply(pkt, ports, op, r, seq, op == C.Op.LOAD && r == 0 ? opSvc : C.RP_NO_SVC, C.CTL_MAX, tl);
}

/** CERT, BLOCK or UNBLOCK (m, n bytes; epoch and cookie checked), signed by a key that
 *  holds an address, its budgets paid: the same order as a user's message, with the
 *  holder's sequence number. all: the datagram's length; bn: its body's. */
function holderInput(pkt: i32, ports: u32, op: i32, seq: u64, m: usize, bn: i32, all: i32, srcPort: i32): i32 {
  let p = pktData(pkt);
  let src = p + IP_SRC;
  let key = m + C.CTL_KEY;
  if (seq <= holderLastSeq(key)) return refused(pkt, ports, op, Errno.ESTALE, seq, all, "the sequence number is not above the last one accepted from this key (a replay?)");
  let body = all - C.CTL_SIG;
  if (!ed25519Verify(m + <usize>body, m, body, key)) return refused(pkt, ports, op, Errno.EACCES, seq, all, "the signature does not verify with the request's key");
  let h = holderGet(key);
  if (h < 0) return refused(pkt, ports, op, Errno.ENOSPC, seq, all, "the node holds state for as many keys as it can (HOLDER_MAX), each with filters; try later");
  holderAccept(h, seq);
  let b = m + C.CTL_HEADER;
  let r = op == C.Op.CERT ? opCert(key, src) : opBlock(op, h, m, all, b, bn, src, srcPort);
  if (r < 0) ctlRefused++; else ctlAccepted++;
  let tl = lastLineLen();
  memory.copy(TEXT, lastLine(), <usize>tl);
  return reply(pkt, ports, op, r, seq, C.RP_NO_SVC, C.CTL_MAX, tl, op == C.Op.CERT ? replyCerts : 0);
}

/** A CHUNK of a PUT (put.ts): unsigned, so its epoch and its source's cookie are checked
 *  here as a signed message's are, then it must name a live transfer, whose id only the
 *  PUT's answer told. It is written whether or not it is answered. Only a chunk flagged
 *  CK_ANSWER is answered, while the node's budget of chunk answers lasts: the answer is the
 *  acknowledgement (the request's seq, the chunk's index), sealed and bound to this very
 *  chunk, never longer than it. */
function chunkMessage(pkt: i32, ports: u32, m: usize, n: i32): i32 {
  let seq = load<u64>(m + C.CTL_SEQ);
  if (n < C.CTL_HEADER + C.CK_DATA || (load<u8>(m + C.CTL_HEADER + C.CK_FLAGS) & ~C.CK_ANSWER) != 0) {
    dropSent(Drop.CTL_MALFORMED, pkt, CAPTURE_NONE); pktFree(pkt); return NONE;
  }
  if (load<u64>(m + C.CTL_EPOCH) != epoch) return inClear(pkt, ports, C.Op.CHUNK, Errno.ESTALE);
  let src = pktData(pkt) + IP_SRC;
  if (!cookieValid(src, m + C.CTL_COOKIE)) return inClear(pkt, ports, C.Op.CHUNK, Errno.EAGAIN);
  let t = chunkTransfer(m);
  // Not a live transfer of this key: dropped unanswered (an answer would have to be sealed,
  // which an unknown id must not make the node do).
  if (t < 0) { dropSent(Drop.CTL_MALFORMED, pkt, CAPTURE_NONE); pktFree(pkt); return NONE; }
  let r = chunkInput(t, m, n);
  if ((load<u8>(m + C.CTL_HEADER + C.CK_FLAGS) & C.CK_ANSWER) == 0) { pktFree(pkt); return NONE; }
  // chunkTransfer matched the key to the transfer's owner, a user: sealTo cannot refuse it.
  if (!budgetTakeAnswer() || !sealTo(m + C.CTL_KEY, m, n)) { dropSent(Drop.CTL_RATE, pkt, CAPTURE_NONE); pktFree(pkt); return NONE; }
  let tl = lastLineLen();
  memory.copy(TEXT, lastLine(), <usize>tl);
  return reply(pkt, ports, C.Op.CHUNK, r, seq, C.RP_NO_SVC, n, tl);
}

/** A RELAY: unsigned, from another router, with no cookie; it pays the relay budget. One
 *  that does not authenticate (block.ts) is dropped without an answer: its reply-to address
 *  is not proven. An authenticated one is answered at its reply-to address, the requester. */
function relayInput(pkt: i32, m: usize, n: i32): i32 {
  let p = pktData(pkt);
  if (n < C.CTL_HEADER + C.RL_REQUEST + C.CTL_HEADER + C.CTL_SIG) { dropSent(Drop.CTL_MALFORMED, pkt, CAPTURE_NONE); pktFree(pkt); return NONE; }
  if (!budgetTakeRelay(p + IP_SRC)) { dropSent(Drop.CTL_RATE, pkt, CAPTURE_NONE); pktFree(pkt); return NONE; }
  // The reply-to is not signed: never a group, the unspecified or a link-local address, nor
  // the node's own (the answer would go to its own services or control port). Checked before
  // anything is verified or installed.
  let to0 = m + C.CTL_HEADER + C.RL_REPLY_ADDR;
  if (isMulticast(to0) || isUnspecified(to0) || isLinkLocal(to0) || isOwn(to0)) {
    dropSent(Drop.BLOCK_RELAY, pkt, CAPTURE_NONE); pktFree(pkt); return NONE;
  }
  let r = opRelay(m, n);
  if (!relayAuthentic) { dropSent(Drop.BLOCK_RELAY, pkt, CAPTURE_NONE); pktFree(pkt); return NONE; }
  // The answer is the requester's: sealed to the key that signed the request inside, bound
  // to that request (as the requester sent it to its router), with its op and sequence
  // number; it goes to reply-to, from this router's address toward it, with no cookie.
  let q = m + C.CTL_HEADER + C.RL_REQUEST;
  if (!sealTo(q + C.CTL_KEY, q, n - C.CTL_HEADER - C.RL_REQUEST)) { dropSent(Drop.BLOCK_RELAY, pkt, CAPTURE_NONE); pktFree(pkt); return NONE; }
  if (r < 0) ctlRefused++; else ctlAccepted++;
  let to = m + C.CTL_HEADER + C.RL_REPLY_ADDR;
  let toPort = <u32>load<u16>(m + C.CTL_HEADER + C.RL_REPLY_PORT);
  let route = lookup(to);
  if (route < 0) { dropSent(Drop.NO_ROUTE, pkt, CAPTURE_NONE); pktFree(pkt); return NONE; }
  let tl = lastLineLen();
  memory.copy(TEXT, lastLine(), <usize>tl);
  addrCopy(REPLY_TO, to);
  addrCopy(RELAYED_TO, p + IP_DST);
  let op = <i32>load<u8>(q + C.CTL_OP);
  let seq = load<u64>(q + C.CTL_SEQ);
  pkt = reply(pkt, (toPort << 16) | <u32>C.CTL_PORT, op, r, seq, C.RP_NO_SVC, n, tl, 0, false, false);
  p = pktData(pkt);
  addrCopy(p + IP_DST, REPLY_TO);
  sourceFor(routeNic(route), REPLY_TO, p + IP_SRC);
  // Toward a requester beyond the link, never from a link-local address (a router toward it
  // would drop it): when the NIC toward it has no global address, from the node's address
  // in the prefix whose anycast address the relay came to.
  if (isLinkLocal(p + IP_SRC) && !isLinkLocal(REPLY_TO)) {
    for (let i = 0; i < prefixCount; i++) {
      if (prefixMatch(RELAYED_TO, prefixAddr(i), prefixLen(i))) { addrCopy(p + IP_SRC, prefixNodeAddr(i)); break; }
    }
  }
  udpSeal(p, IP_HDR, pktLen(pkt) - IP_HDR);
  return pkt;
}

const REPLY_TO: usize = memory.data(16, 8);
const RELAYED_TO: usize = memory.data(16, 8);

function refused(pkt: i32, ports: u32, op: i32, err: Errno, seq: u64, limit: i32, why: string): i32 {
  ctlRefused++;
  return answer(pkt, ports, op, -err, seq, C.RP_NO_SVC, limit, why);
}

/** A refusal in clear (EAGAIN: no cookie for this address; ESTALE: not this boot's epoch):
 *  the header to the cookie, nothing sealed, nothing signed. It tells what anyone may ask:
 *  the epoch and the cookie of the address it goes to. */
function inClear(pkt: i32, ports: u32, op: i32, err: Errno): i32 {
  if (op != C.Op.HELLO && op != C.Op.CERTS) ctlRefused++;     // for these, the first answer
  let p = pktData(pkt);
  let m = p + IP_HDR + UDP_HDR;
  cookieFor(p + IP_SRC, m + C.RP_COOKIE);
  header(m, op, -err);
  return turn(pkt, ports, C.RP_CLEAR_SIZE);
}

/** The answer's clear header (bytes 0..16: the cookie is the caller's). */
function header(m: usize, op: i32, clear: i32): void {
  store<u32>(m, C.CTL_REPLY_MAGIC);
  store<u8>(m + C.CTL_VERSION_OFF, C.CTL_VERSION);
  store<u8>(m + C.CTL_OP, <u8>op);
  store<i16>(m + C.RP_CLEAR, <i16>clear);
  store<u64>(m + C.RP_EPOCH, epoch);
}

/** pkt, whose UDP payload is now the n-byte answer, turned around toward the requester. */
function turn(pkt: i32, ports: u32, n: i32): i32 {
  let p = pktData(pkt);
  let ulen = UDP_HDR + n;
  ipReverse(p, ulen, NH_UDP, HOP_LIMIT);
  udpEmit(p + IP_HDR, ports & 0xffff, ports >> 16, ulen);      // from the port it went to, back to its source
  udpSeal(p, IP_HDR, ulen);
  pktSetLen(pkt, IP_HDR + ulen);
  pktSetClass(pkt, CLASS_KERNEL);
  return pkt;
}

function answer(pkt: i32, ports: u32, op: i32, result: i32, seq: u64, svc: i32, limit: i32, text: string, certs: i32 = 0, fill: bool = true): i32 {
  let tl = String.UTF8.byteLength(text);
  String.UTF8.encodeUnsafe(changetype<usize>(text), text.length, TEXT);
  return reply(pkt, ports, op, result, seq, svc, limit, tl, certs, fill);
}

/** Turn pkt into the sealed answer (seal.ts; sealTo was called), at most `limit` bytes of
 *  UDP payload — exactly `limit` when `fill`, so that answers before authentication are
 *  as long as the request whatever they say —, to the request's source port from its
 *  destination port (ports as the request carried them), with the text and then `certs`
 *  certificates from block.ts's CHAIN (only as many as fit the limit whole), and the
 *  cookie of the requester's address unless `cookie` is false (a relay's answer); returns it. */
function reply(pkt: i32, ports: u32, op: i32, result: i32, seq: u64, svc: i32, limit: i32, tl: i32, certs: i32 = 0,
               fill: bool = false, cookie: bool = true): i32 {
  let p = pktData(pkt);
  let m = p + IP_HDR + UDP_HDR;
  let room = max(0, limit - C.SEAL_OVERHEAD);
  certs = min(certs, room / CERT_BYTES);
  tl = min(tl, room - certs * CERT_BYTES);
  let n = fill ? C.SP_TEXT + room : C.SP_TEXT + tl + certs * CERT_BYTES;
  store<i16>(PLAIN + C.SP_RESULT, <i16>result);
  store<u8>(PLAIN + C.SP_RESULT + 2, 0);
  store<u8>(PLAIN + C.SP_CERTS, <u8>certs);
  store<u16>(PLAIN + C.SP_TEXT_LEN, <u16>tl);
  store<u16>(PLAIN + C.SP_SVC, <u16>svc);
  store<u64>(PLAIN + C.SP_SEQ, seq);
  memory.copy(PLAIN + C.SP_NODE, nodeKey(), NODE_KEY_BYTES);
  memory.copy(PLAIN + C.SP_TEXT, TEXT, <usize>tl);
  memory.copy(PLAIN + C.SP_TEXT + <usize>tl, CHAIN, <usize>(certs * CERT_BYTES));
  let used = C.SP_TEXT + tl + certs * CERT_BYTES;
  memory.fill(PLAIN + <usize>used, 0, <usize>(n - used));
  if (cookie) cookieFor(p + IP_SRC, m + C.RP_COOKIE);      // the requester's address, before the turn-around
  else memory.fill(m + C.RP_COOKIE, 0, C.COOKIE_BYTES);
  header(m, op, 0);
  return turn(pkt, ports, sealAnswer(m, n));
}
