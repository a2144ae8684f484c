// Test service: floods a NIC on command. A UDP datagram to port 9 starting with "flood"
// makes it send, every millisecond from then on, BURST datagrams back to the commander's
// address and port — far more than any link carries. "flood" alone sends 1000-byte
// packets; "flood mix" cycles through sizes from 64 to 1500 bytes. The kernel's egress
// scheduler must hold it to its max rate and keep every other service's min (issue #5).
// It answers pings (through the SDK), so a test can see it is up.
import { sys_send, sys_timer } from "../../../abi/gen/persia";
import { ingress, ipv6, udp } from "../../../services/sdk/index";
import { startsWithAscii } from "../../../services/sdk/bytes";
import { addrCopy } from "../../../wire/addr";

const COMMAND_PORT: u32 = 9;
const BURST: i32 = 64;                  // datagrams per millisecond: 512 Mbit/s offered
const MIX_MIN: i32 = 64, MIX_SPAN: i32 = 1437; // "flood mix": 64..1500-byte packets
const TX = memory.data(1500);
const PEER = memory.data(ipv6.ADDR_LEN);
const ME = memory.data(ipv6.ADDR_LEN);
let peerPort: u32 = 0;
let flooding = false;
let mix = false;
let turn: i32 = 0;

export function persia_event(): void {
  for (let n = ingress.next(); n >= 0; n = ingress.next()) {
    if (ingress.accept(n) != <i32>ipv6.NH_UDP || udp.dstPort(ingress.RX) != COMMAND_PORT) continue;
    if (!startsWithAscii(udp.data(ingress.RX), udp.dataLen(ingress.RX), "flood")) continue;
    addrCopy(PEER, ipv6.src(ingress.RX));
    addrCopy(ME, ipv6.dst(ingress.RX));
    peerPort = udp.srcPort(ingress.RX);
    flooding = true;
    mix = startsWithAscii(udp.data(ingress.RX), udp.dataLen(ingress.RX), "flood mix");
  }
  if (!flooding) return;
  for (let i = 0; i < BURST; i++) {
    udp.begin(TX, ME, PEER, COMMAND_PORT, peerPort);
    let size = mix ? MIX_MIN + (turn++ * 97) % MIX_SPAN : 1000;
    sys_send(<i32>TX, udp.finish(TX, size - udp.DATA));
  }
  sys_timer(1);
}
