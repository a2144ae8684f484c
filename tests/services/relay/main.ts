// Test service: sends, as its own, the packets a test hands it, and hands back what the
// node's control plane answers, so that a test can make a service send a signed control
// message from inside its own call (kernel/ctl/ops.ts). A UDP datagram to port 9 whose
// data is "send" or "trap" and then an IPv6 packet: it sends that packet (sys_send) and
// logs "relay: send=<code>"; after "trap" it then executes `unreachable`, a fault in the
// same call. A datagram from port 4791 (CTL_PORT: the node's answer to what it sent) goes,
// data unchanged, to the last commander's address and port. Answers pings as echo does.
// Used by tests/integration/load_ids.test.ts.
import { sys_send } from "../../../abi/gen/persia";
import { ingress, ipv6, log, udp } from "../../../services/sdk/index";
import { startsWithAscii } from "../../../services/sdk/bytes";

const COMMAND_PORT: u32 = 9;
const CTL_PORT: u32 = 4791;
const TX = memory.data(1500);
const PEER = memory.data(ipv6.ADDR_LEN);
let peerPort: u32 = 0;

export function persia_event(): void {
  for (let n = ingress.next(); n >= 0; n = ingress.next()) {
    if (ingress.accept(n) != <i32>ipv6.NH_UDP) continue;
    let rx = ingress.RX;
    let p = udp.data(rx), len = udp.dataLen(rx);
    if (udp.dstPort(rx) == COMMAND_PORT && len > 4 && (startsWithAscii(p, len, "send") || startsWithAscii(p, len, "trap"))) {
      memory.copy(PEER, ipv6.src(rx), ipv6.ADDR_LEN);
      peerPort = udp.srcPort(rx);
      let trap = startsWithAscii(p, len, "trap");
      memory.copy(TX, p + 4, <usize>(len - 4));
      let r = sys_send(<i32>TX, len - 4);
      log.begin("relay: send=");
      log.num(r);
      log.emit();
      if (trap) unreachable();
    } else if (udp.srcPort(rx) == CTL_PORT && peerPort != 0) {
      udp.begin(TX, ipv6.dst(rx), PEER, COMMAND_PORT, peerPort);
      memory.copy(udp.data(TX), p, <usize>len);
      sys_send(<i32>TX, udp.finish(TX, len));
    }
  }
}
