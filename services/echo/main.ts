// echo.sabz.city: answers UDP datagrams to port 7 (RFC 862) with the same data, and ICMPv6
// Echo Requests (RFC 4443 §4.1, as every service built on the SDK does), each reply
// turned around in place in the receive batch and sent from there (batch.reply: no copy):
// from the address the request was sent to, back to the sender, hop limit 64, the ICMPv6
// checksum updated for the changed type (RFC 1624), the UDP one recomputed. Packets that
// are malformed, carry a wrong checksum, are not for one of its own addresses, or are
// anything else are ignored and counted (ingress). It moves packets a batch at a time
// (sdk/batch.ts: one recv_many and one send_many per batch, issue #17), keeps no state
// between packets and ignores a failed send (the kernel counts refusals). Loaded by the
// kernel like any service.
import { icmpv6, ingress, ipv6, udp } from "../sdk/index";
import * as batch from "../sdk/batch";

/** The UDP Echo Protocol's port (RFC 862). */
const ECHO_PORT: u32 = 7;

/** The reply to the accepted packet at p, built in place: its length, or 0. */
function answer(p: usize, proto: i32): i32 {
  if (proto == <i32>ipv6.NH_UDP && udp.dstPort(p) == ECHO_PORT) return udp.turnAround(p);
  if (proto == <i32>ipv6.NH_ICMPV6) return icmpv6.echoReply(p);
  return 0;
}

export function persia_event(): void {
  while (batch.fill() > 0) {
    for (let n = batch.next(); n >= 0; n = batch.next()) {
      let proto = ingress.acceptAt(batch.at, n);
      if (proto < 0) continue;
      let len = answer(batch.at, proto);
      if (len > 0) batch.reply(len);
    }
    batch.flush();
    if (batch.drained()) break;   // the queue is empty: no recv_many only to hear EAGAIN
  }
}
