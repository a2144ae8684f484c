// The control plane's wire side (spec/control.md, abi/control.ts): a UDP datagram to one of
// the node's own addresses on CTL_PORT. In order: the UDP header and checksum, the message
// header; HELLO is answered at once; a signed message's key must be a user's, its epoch
// this boot's, its cookie the one its source address was given (ctl/cookie.ts: it can
// receive there), its sequence number above the user's last, it must find a token in the
// budgets it pays (ctl/budget.ts: verifying costs CPU) and its signature must be good
// (crypto/ed25519.ts); then ctl/ops.ts acts. The answer goes back to the sender from the
// address it wrote to, with the sender's cookie. Malformed datagrams are counted and
// dropped without an answer; a refused one is answered with why, never longer than the
// request unless it was authenticated, so a forged source gains no amplification.
// Called by net/local.ts for packets to the node itself; the answer is returned, for
// net/output.ts to send.
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
import { budgetTake, budgetVerified, budgetTakeHolder, budgetTakeRelay } from "./budget";

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
  let n = len - UDP_HDR;
  if (n < C.CTL_HEADER || n > C.CTL_MAX || load<u32>(m) != C.CTL_MAGIC || load<u8>(m + C.CTL_VERSION_OFF) != C.CTL_VERSION) {
    dropSent(Drop.CTL_MALFORMED, pkt, CAPTURE_NONE); pktFree(pkt); return NONE;
  }
  let op = <i32>load<u8>(m + C.CTL_OP);
  let seq = load<u64>(m + C.CTL_SEQ);
  let user = userByKey(m + C.CTL_KEY);
  // CERT, BLOCK and UNBLOCK are signed by a key that holds (or asks for) an address, which
  // need not be a user's; HELLO tells such a key its last number too.
  let holderOp = op == C.Op.CERT || op == C.Op.BLOCK || op == C.Op.UNBLOCK;
  if (op == C.Op.HELLO) {
    let last = holderLastSeq(m + C.CTL_KEY);
    if (user >= 0 && userLastSeq(user) > last) last = userLastSeq(user);
    return answer(pkt, ports, op, 0, last, C.RP_NO_SVC, n,
      user < 0 ? "hello; this key is not one of the node's users (it may still send CERT, BLOCK and UNBLOCK)" : "hello; sign with this epoch and a sequence number above this one");
  }
  if (op == C.Op.CERTS) {
    let r = opCerts(m + C.CTL_HEADER, n - C.CTL_HEADER);
    let why = r == 0 ? "the certificate chain this node issued for the address" :
      r == -Errno.ENOENT ? "this node issued no certificate for that address" : "a CERTS request carries a 16-byte address";
    return answer(pkt, ports, op, r, seq, C.RP_NO_SVC, n, why, replyCerts);
  }
  if (op == C.Op.RELAY) return relayInput(pkt, m, n);
  if (op == C.Op.CHUNK) return chunkMessage(pkt, ports, m, n);
  if (n < C.CTL_HEADER + C.CTL_SIG) { dropSent(Drop.CTL_MALFORMED, pkt, CAPTURE_NONE); pktFree(pkt); return NONE; }
  if (user < 0 && !holderOp) return refused(pkt, ports, op, Errno.EACCES, seq, n, "the key is not one of the node's users (manifest users:)");
  if (load<u64>(m + C.CTL_EPOCH) != epoch) return refused(pkt, ports, op, Errno.ESTALE, seq, n, "not this boot's epoch; ask the node with HELLO and sign again");
  let src = p + IP_SRC;
  if (!cookieValid(src, m + C.CTL_COOKIE)) {
    return refused(pkt, ports, op, Errno.EAGAIN, seq, n, "no cookie for this address, or an old one: sign again with the cookie of this reply");
  }
  // A number that is not above the last (which HELLO tells anyone) is refused before the
  // signature is checked: a replay costs the node nothing.
  if (holderOp) return holderInput(pkt, ports, op, seq, m, n, ((ports >> 16) & 0xffff));
  if (seq <= userLastSeq(user)) return refused(pkt, ports, op, Errno.ESTALE, seq, n, "the sequence number is not above the last one accepted from this user (a replay?)");
  if (!budgetTake(src, user)) { dropSent(Drop.CTL_RATE, pkt, CAPTURE_NONE); pktFree(pkt); return NONE; }
  let body = n - C.CTL_SIG;
  if (!ed25519Verify(m + <usize>body, m, body, m + C.CTL_KEY)) return refused(pkt, ports, op, Errno.EACCES, seq, n, "the signature does not verify with the user's key");
  budgetVerified(src, user);
  userAccept(user, seq);
  let b = m + C.CTL_HEADER, bn = body - C.CTL_HEADER;
  let r: i32;
  if (op == C.Op.LOAD) r = opLoad(user, b, bn);
  else if (op == C.Op.UNLOAD) r = opUnload(user, b, bn);
  else if (op == C.Op.GRANT) r = opGrant(user, b, bn);
  else if (op == C.Op.REVOKE) r = opRevoke(user, b, bn);
  else if (op == C.Op.PUT) r = opPut(user, b, bn);
  else return refused(pkt, ports, op, Errno.EINVAL, seq, n, "unknown operation");
  if (r < 0) ctlRefused++; else ctlAccepted++;
  let tl = lastLineLen();
  memory.copy(TEXT, lastLine(), <usize>tl);
  return reply(pkt, ports, op, r, seq, op == C.Op.LOAD && r == 0 ? opSvc : C.RP_NO_SVC, C.CTL_MAX, tl);
}

/** CERT, BLOCK or UNBLOCK (m, n bytes; epoch and cookie checked), signed by a key that
 *  holds an address: the same order as a user's message, with the holder's sequence number
 *  and the budgets of a key that is not a user's. */
function holderInput(pkt: i32, ports: u32, op: i32, seq: u64, m: usize, n: i32, srcPort: i32): i32 {
  let p = pktData(pkt);
  let src = p + IP_SRC;
  let key = m + C.CTL_KEY;
  if (seq <= holderLastSeq(key)) return refused(pkt, ports, op, Errno.ESTALE, seq, n, "the sequence number is not above the last one accepted from this key (a replay?)");
  if (!budgetTakeHolder(src)) { dropSent(Drop.CTL_RATE, pkt, CAPTURE_NONE); pktFree(pkt); return NONE; }
  let body = n - C.CTL_SIG;
  if (!ed25519Verify(m + <usize>body, m, body, key)) return refused(pkt, ports, op, Errno.EACCES, seq, n, "the signature does not verify with the request's key");
  let h = holderGet(key);
  if (h < 0) return refused(pkt, ports, op, Errno.ENOSPC, seq, n, "the node holds state for as many keys as it can (HOLDER_MAX), each with filters; try later");
  holderAccept(h, seq);
  let b = m + C.CTL_HEADER, bn = body - C.CTL_HEADER;
  let r = op == C.Op.CERT ? opCert(key, src) : opBlock(op, h, m, n, b, bn, src, srcPort);
  if (r < 0) ctlRefused++; else ctlAccepted++;
  let tl = lastLineLen();
  memory.copy(TEXT, lastLine(), <usize>tl);
  return reply(pkt, ports, op, r, seq, C.RP_NO_SVC, C.CTL_MAX, tl, op == C.Op.CERT ? replyCerts : 0);
}

/** A CHUNK of a PUT (put.ts): unsigned, so its epoch and its source's cookie are checked
 *  here as a signed message's are, then it must name a live transfer, whose id only the
 *  PUT's answer told. Its answer is the acknowledgement (the request's seq, the chunk's
 *  index), never longer than the chunk. */
function chunkMessage(pkt: i32, ports: u32, m: usize, n: i32): i32 {
  let seq = load<u64>(m + C.CTL_SEQ);
  if (n < C.CTL_HEADER + C.CK_DATA) { dropSent(Drop.CTL_MALFORMED, pkt, CAPTURE_NONE); pktFree(pkt); return NONE; }
  if (load<u64>(m + C.CTL_EPOCH) != epoch) return refused(pkt, ports, C.Op.CHUNK, Errno.ESTALE, seq, n, "not this boot's epoch: the node restarted and forgot the transfer; PUT again");
  if (!cookieValid(pktData(pkt) + IP_SRC, m + C.CTL_COOKIE)) {
    return refused(pkt, ports, C.Op.CHUNK, Errno.EAGAIN, seq, n, "no cookie for this address, or an old one: send again with the cookie of this reply");
  }
  let t = chunkTransfer(m);
  if (t < 0) return refused(pkt, ports, C.Op.CHUNK, Errno.ENOENT, seq, n, "no transfer with this id and key: it ended and was forgotten, or idled out; PUT again to resume");
  let r = chunkInput(t, m, n);
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
  if (r < 0) ctlRefused++; else ctlAccepted++;
  let q = m + C.CTL_HEADER + C.RL_REQUEST;
  let to = m + C.CTL_HEADER + C.RL_REPLY_ADDR;
  let toPort = <u32>load<u16>(m + C.CTL_HEADER + C.RL_REPLY_PORT);
  let route = lookup(to);
  if (route < 0) { dropSent(Drop.NO_ROUTE, pkt, CAPTURE_NONE); pktFree(pkt); return NONE; }
  let tl = lastLineLen();
  memory.copy(TEXT, lastLine(), <usize>tl);
  // The answer is the requester's: its op and sequence number; it goes to reply-to, from
  // this router's address toward it.
  addrCopy(REPLY_TO, to);
  addrCopy(RELAYED_TO, p + IP_DST);
  let op = <i32>load<u8>(q + C.CTL_OP);
  let seq = load<u64>(q + C.CTL_SEQ);
  pkt = reply(pkt, (toPort << 16) | <u32>C.CTL_PORT, op, r, seq, C.RP_NO_SVC, n, tl, 0);
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
  memory.fill(p + IP_HDR + UDP_HDR + C.RP_COOKIE, 0, C.COOKIE_BYTES);
  udpSeal(p, IP_HDR, pktLen(pkt) - IP_HDR);
  return pkt;
}

const REPLY_TO: usize = memory.data(16, 8);
const RELAYED_TO: usize = memory.data(16, 8);

function refused(pkt: i32, ports: u32, op: i32, err: Errno, seq: u64, limit: i32, why: string): i32 {
  ctlRefused++;
  return answer(pkt, ports, op, -err, seq, C.RP_NO_SVC, limit, why);
}

function answer(pkt: i32, ports: u32, op: i32, result: i32, seq: u64, svc: i32, limit: i32, text: string, certs: i32 = 0): i32 {
  let tl = String.UTF8.byteLength(text);
  String.UTF8.encodeUnsafe(changetype<usize>(text), text.length, TEXT);
  return reply(pkt, ports, op, result, seq, svc, limit, tl, certs);
}

/** Turn pkt into the answer, at most `limit` bytes of UDP payload, to the request's source
 *  port from its destination port (ports as the request carried them), with the text and
 *  then `certs` certificates from block.ts's CHAIN (only as many as fit the limit whole);
 *  returns it. */
function reply(pkt: i32, ports: u32, op: i32, result: i32, seq: u64, svc: i32, limit: i32, tl: i32, certs: i32 = 0): i32 {
  let p = pktData(pkt);
  let u = p + IP_HDR;
  certs = min(certs, max(0, limit - C.RP_TEXT) / CERT_BYTES);
  tl = min(tl, max(0, limit - C.RP_TEXT - certs * CERT_BYTES));
  let n = C.RP_TEXT + tl + certs * CERT_BYTES;
  let m = u + UDP_HDR;
  cookieFor(p + IP_SRC, m + C.RP_COOKIE);      // the requester's address, before the turn-around
  store<u32>(m, C.CTL_REPLY_MAGIC);
  store<u8>(m + C.CTL_VERSION_OFF, C.CTL_VERSION);
  store<u8>(m + C.CTL_OP, <u8>op);
  store<i16>(m + C.RP_RESULT, <i16>result);
  store<u64>(m + C.CTL_EPOCH, epoch);
  store<u64>(m + C.CTL_SEQ, seq);
  store<u8>(m + C.RP_SVC, <u8>svc);
  store<u8>(m + C.RP_CERTS, <u8>certs);
  store<u16>(m + C.RP_TEXT_LEN, <u16>tl);
  memory.copy(m + C.RP_TEXT, TEXT, <usize>tl);
  memory.copy(m + C.RP_TEXT + <usize>tl, CHAIN, <usize>(certs * CERT_BYTES));
  let ulen = UDP_HDR + n;
  ipReverse(p, ulen, NH_UDP, HOP_LIMIT);
  udpEmit(u, ports & 0xffff, ports >> 16, ulen);      // from the port it went to, back to its source
  udpSeal(p, IP_HDR, ulen);
  pktSetLen(pkt, IP_HDR + ulen);
  pktSetClass(pkt, CLASS_KERNEL);
  return pkt;
}
