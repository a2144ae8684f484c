// echo.sabz.city: answers UDP datagrams to port 7 (RFC 862) with the same data (ICMPv6
// Echo Requests are answered by the SDK's ingress.accept, as for every service), each reply
// turned around in the receive buffer: from the address the request was sent to, back to the sender, hop limit
// 64, checksum recomputed. Packets that are malformed, carry a wrong checksum, are not
// for one of its own addresses, or are anything else are ignored and counted (ingress).
// It keeps no state between packets and ignores a failed send (the kernel counts
// refusals). Loaded by the kernel like any service.
import { sys_send } from "../../abi/gen/persia";
import { ingress, ipv6, udp } from "../sdk/index";

/** The UDP Echo Protocol's port (RFC 862). */
const ECHO_PORT: u32 = 7;

/** The reply to the accepted packet in ingress.RX, built in place: its length, or 0. */
function answer(proto: i32): i32 {
  if (proto == <i32>ipv6.NH_UDP && udp.dstPort(ingress.RX) == ECHO_PORT) {
    return udp.turnAround(ingress.RX);
  }
  return 0;
}

export function persia_event(): void {
  for (let n = ingress.next(); n >= 0; n = ingress.next()) {
    let proto = ingress.accept(n);
    if (proto < 0) continue;
    let len = answer(proto);
    if (len > 0) sys_send(<i32>ingress.RX, len);
  }
}
