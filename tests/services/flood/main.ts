// Test service: floods a NIC on command. A UDP datagram to port 9 starting with "flood"
// makes it send, every millisecond from then on, BURST datagrams of 1000 bytes back to the
// commander's address and port — far more than any link carries. The kernel's egress
// scheduler must hold it to its max rate and keep every other service's min (issue #5).
// It answers pings (through the SDK), so a test can see it is up.
import { sys_send, sys_timer } from "../../../abi/gen/persia";
import { ingress, ipv6, udp } from "../../../services/sdk/index";
import { startsWithAscii } from "../../../services/sdk/bytes";
import { addrCopy } from "../../../kernel/net/addr";

const COMMAND_PORT: u32 = 9;
const BURST: i32 = 64;                  // datagrams per millisecond: 512 Mbit/s offered
const DATA: i32 = 1000 - udp.DATA;      // 1000-byte packets
const TX = memory.data(1000);
const PEER = memory.data(ipv6.ADDR_LEN);
const ME = memory.data(ipv6.ADDR_LEN);
let peerPort: u32 = 0;
let flooding = false;

export function persia_event(): void {
  for (let n = ingress.next(); n >= 0; n = ingress.next()) {
    if (ingress.accept(n) != <i32>ipv6.NH_UDP || udp.dstPort(ingress.RX) != COMMAND_PORT) continue;
    if (!startsWithAscii(udp.data(ingress.RX), udp.dataLen(ingress.RX), "flood")) continue;
    addrCopy(PEER, ipv6.src(ingress.RX));
    addrCopy(ME, ipv6.dst(ingress.RX));
    peerPort = udp.srcPort(ingress.RX);
    flooding = true;
  }
  if (!flooding) return;
  for (let i = 0; i < BURST; i++) {
    udp.begin(TX, ME, PEER, COMMAND_PORT, peerPort);
    sys_send(<i32>TX, udp.finish(TX, DATA));
  }
  sys_timer(1);
}
