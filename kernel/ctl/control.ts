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
import { IP_HDR, IP_SRC, NH_UDP, HOP_LIMIT, ipReverse } from "../../wire/ipv6";
import { UDP_HDR, udpCheck, udpEmit, udpSeal, udpSrcPort, udpDstPort } from "../../wire/udp";
import { lastLine, lastLineLen } from "../log";
import { ed25519Verify } from "../crypto/ed25519";
import { epoch, userByKey, userLastSeq, userAccept } from "./users";
import { opLoad, opUnload, opGrant, opRevoke, opSvc } from "./ops";
import { cookieFor, cookieValid } from "./cookie";
import { budgetTake, budgetVerified } from "./budget";

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
  if (op == C.Op.HELLO) {
    return answer(pkt, ports, op, 0, user < 0 ? 0 : userLastSeq(user), C.RP_NO_SVC, n,
      user < 0 ? "hello; this key is not one of the node's users" : "hello; sign with this epoch and a sequence number above this one");
  }
  if (n < C.CTL_HEADER + C.CTL_SIG) { dropSent(Drop.CTL_MALFORMED, pkt, CAPTURE_NONE); pktFree(pkt); return NONE; }
  if (user < 0) return refused(pkt, ports, op, Errno.EACCES, seq, n, "the key is not one of the node's users (manifest users:)");
  if (load<u64>(m + C.CTL_EPOCH) != epoch) return refused(pkt, ports, op, Errno.ESTALE, seq, n, "not this boot's epoch; ask the node with HELLO and sign again");
  let src = p + IP_SRC;
  if (!cookieValid(src, m + C.CTL_COOKIE)) {
    return refused(pkt, ports, op, Errno.EAGAIN, seq, n, "no cookie for this address, or an old one: sign again with the cookie of this reply");
  }
  // A number that is not above the last (which HELLO tells anyone) is refused before the
  // signature is checked: a replay costs the node nothing.
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
  else return refused(pkt, ports, op, Errno.EINVAL, seq, n, "unknown operation");
  if (r < 0) ctlRefused++; else ctlAccepted++;
  let tl = lastLineLen();
  memory.copy(TEXT, lastLine(), <usize>tl);
  return reply(pkt, ports, op, r, seq, op == C.Op.LOAD && r == 0 ? opSvc : C.RP_NO_SVC, C.CTL_MAX, tl);
}

function refused(pkt: i32, ports: u32, op: i32, err: Errno, seq: u64, limit: i32, why: string): i32 {
  ctlRefused++;
  return answer(pkt, ports, op, -err, seq, C.RP_NO_SVC, limit, why);
}

function answer(pkt: i32, ports: u32, op: i32, result: i32, seq: u64, svc: i32, limit: i32, text: string): i32 {
  let tl = String.UTF8.byteLength(text);
  String.UTF8.encodeUnsafe(changetype<usize>(text), text.length, TEXT);
  return reply(pkt, ports, op, result, seq, svc, limit, tl);
}

/** Turn pkt into the answer, at most `limit` bytes of UDP payload, to the request's source
 *  port from its destination port (ports as the request carried them); returns it. */
function reply(pkt: i32, ports: u32, op: i32, result: i32, seq: u64, svc: i32, limit: i32, tl: i32): i32 {
  let p = pktData(pkt);
  let u = p + IP_HDR;
  tl = min(tl, max(0, limit - C.RP_TEXT));
  let n = C.RP_TEXT + tl;
  let m = u + UDP_HDR;
  cookieFor(p + IP_SRC, m + C.RP_COOKIE);      // the requester's address, before the turn-around
  store<u32>(m, C.CTL_REPLY_MAGIC);
  store<u8>(m + C.CTL_VERSION_OFF, C.CTL_VERSION);
  store<u8>(m + C.CTL_OP, <u8>op);
  store<i16>(m + C.RP_RESULT, <i16>result);
  store<u64>(m + C.CTL_EPOCH, epoch);
  store<u64>(m + C.CTL_SEQ, seq);
  store<u8>(m + C.RP_SVC, <u8>svc);
  store<u8>(m + C.RP_SVC + 1, 0);
  store<u16>(m + C.RP_TEXT_LEN, <u16>tl);
  memory.copy(m + C.RP_TEXT, TEXT, <usize>tl);
  let ulen = UDP_HDR + n;
  ipReverse(p, ulen, NH_UDP, HOP_LIMIT);
  udpEmit(u, ports & 0xffff, ports >> 16, ulen);      // from the port it went to, back to its source
  udpSeal(p, IP_HDR, ulen);
  pktSetLen(pkt, IP_HDR + ulen);
  pktSetClass(pkt, CLASS_KERNEL);
  return pkt;
}
