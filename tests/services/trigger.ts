// What the fault-injection test services (trap, oob, spin) share: they answer ICMPv6 Echo
// Requests as echo does, so a test can see they are up, and up again after a restart,
// and they watch for the trigger: a UDP datagram to port 9 whose data starts with a word
// ("crash" unless the service names another). It decides nothing about how to fault;
// each service does that its own way. Used by tests/services/trap, oob and spin.
import { ingress, ipv6, udp } from "../../services/sdk/index";
import { startsWithAscii } from "../../services/sdk/bytes";

/** The port that takes the trigger (the Discard port, RFC 863). */
const TRIGGER_PORT: u32 = 9;

/** Drain the queue, (ingress.accept answers pings) until the trigger arrives: true if it did (later
 *  packets stay queued), false once the queue is empty. */
export function untilTrigger(word: string = "crash"): bool {
  for (let n = ingress.next(); n >= 0; n = ingress.next()) {
    let proto = ingress.accept(n);
    if (proto == <i32>ipv6.NH_UDP && udp.dstPort(ingress.RX) == TRIGGER_PORT &&
               startsWithAscii(udp.data(ingress.RX), udp.dataLen(ingress.RX), word)) {
      return true;
    }
  }
  return false;
}
