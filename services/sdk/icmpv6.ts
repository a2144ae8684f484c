// ICMPv6 (RFC 4443) for services: message types, the Echo Request/Reply body (§4.1,
// §4.2), turning a request into its reply in place, building a request, and sealing the
// checksum. It does not verify incoming checksums (ingress.accept does) nor send error
// messages (the kernel does). The layout, under its diagram, is wire/layout/icmpv6.ts;
// these are its names for services. Used by echo, probe and the test services.
import { ld8, ld16, st8, st16 } from "./bytes";
import * as ipv6 from "./ipv6";
import * as W from "../../wire/icmpv6";
import { adjust } from "../../wire/checksum";

export const TYPE = W.ICMP_TYPE;
export const CODE = W.ICMP_CODE;
export const CHECKSUM = W.ICMP_CHECKSUM;
export const ECHO_ID = W.ECHO_ID;
export const ECHO_SEQ = W.ECHO_SEQ;
export const ECHO_DATA = W.ECHO_DATA;
/** The least a message has: type, code, checksum. */
export const HEADER = W.ICMP_MIN;

// Message types (RFC 4443 §2.1).
export const DST_UNREACHABLE = W.ICMP_UNREACH;
export const PACKET_TOO_BIG = W.ICMP_TOO_BIG;
export const TIME_EXCEEDED = W.ICMP_TIME;
export const PARAM_PROBLEM = W.ICMP_PARAM;
export const ECHO_REQUEST = W.ICMP_ECHO_REQUEST;
export const ECHO_REPLY = W.ICMP_ECHO_REPLY;

/** Fill in the checksum of the ICMPv6 message that follows the fixed header of p and
 *  runs to the end of its payload. */
export function seal(p: usize): void {
  W.icmpSeal(p, ipv6.payloadLen(p));
}

/** True if the accepted ICMPv6 packet p is an Echo Request or Reply of the given type:
 *  long enough for the identifier and sequence number, code 0. */
export function isEcho(p: usize, type: u32): bool {
  let m = p + <usize>ipv6.HEADER;
  return ipv6.payloadLen(p) >= ECHO_DATA && ld8(m + TYPE) == type && ld8(m + CODE) == 0;
}

export function echoId(p: usize): u32 { return ld16(p + <usize>(ipv6.HEADER + ECHO_ID)); }
export function echoSeq(p: usize): u32 { return ld16(p + <usize>(ipv6.HEADER + ECHO_SEQ)); }
export function echoData(p: usize): usize { return p + <usize>(ipv6.HEADER + ECHO_DATA); }
export function echoDataLen(p: usize): i32 { return ipv6.payloadLen(p) - ECHO_DATA; }

/** Turn the accepted packet p, if it is an Echo Request, into its Echo Reply in place
 *  (same identifier, sequence number and data; RFC 4443 §4.2) and return its length to
 *  send; 0 if p is not an Echo Request. The checksum is updated, not summed again
 *  (RFC 1624 eqn. 3): the reply differs from the request only in its type (the word
 *  type|code goes from 128<<8 to 129<<8) and in the order of its addresses, which leaves
 *  the pseudo-header's sum unchanged; the hop limit is not summed. Over a request whose
 *  checksum was right (accept() checked it) the result equals seal()'s, byte for byte. */
export function echoReply(p: usize): i32 {
  if (!isEcho(p, ECHO_REQUEST)) return 0;
  ipv6.turnAround(p);
  let m = p + <usize>ipv6.HEADER;
  st8(m + TYPE, ECHO_REPLY);
  st16(m + CHECKSUM, adjust(ld16(m + CHECKSUM), ECHO_REQUEST << 8, ECHO_REPLY << 8));
  return ipv6.HEADER + ipv6.payloadLen(p);
}

/** Build an Echo Request from `from` to `to` at p with dataLen bytes of data copied from
 *  data (which must not overlap p's first 48 bytes). Returns the packet's length. */
export function echoRequest(p: usize, from: usize, to: usize, id: u32, seq: u32,
                            data: usize, dataLen: i32): i32 {
  let plen = ECHO_DATA + dataLen;
  ipv6.writeHeader(p, plen, ipv6.NH_ICMPV6, from, to);
  let m = p + <usize>ipv6.HEADER;
  st8(m + TYPE, ECHO_REQUEST);
  st8(m + CODE, 0);
  st16(m + ECHO_ID, id);
  st16(m + ECHO_SEQ, seq);
  memory.copy(m + <usize>ECHO_DATA, data, <usize>dataLen);
  seal(p);
  return ipv6.HEADER + plen;
}
