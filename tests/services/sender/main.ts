// Test service: sends what the kernel must refuse, and talks to another service, on
// command. A UDP datagram to port 9 carries the command ("\n" at its end is ignored):
//   spoof        send a datagram whose source is 2001:db8::bad, an address it does not
//                own; logs "sender: spoof send=<code>" (the kernel must say -EADDRNOTAVAIL)
//   big          send a 2000-byte packet, over the node's MTU for traffic between
//                services; logs "sender: big send=<code>" (expect -EMSGSIZE)
//   malformed    send 30 bytes that are not an IPv6 packet; logs "sender: malformed
//                send=<code>" (expect -EINVAL)
//   to <domain>  resolve the domain and send a datagram to its port 7; logs the result,
//                and logs "sender: reply from <addr> <data>" for each answer that comes
// Packets go back to the commander's address and port. Used by tests/sdk/ and syscall tests.
import { sys_send, sys_resolve } from "../../../abi/gen/persia";
import { ingress, ipv6, log, text, udp } from "../../../services/sdk/index";
import { equalsAscii, startsWithAscii, trimLineEnd } from "../../../services/sdk/bytes";

const COMMAND_PORT: u32 = 9;
const ECHO_PORT: u32 = 7;           // where "to" sends (RFC 862)
const CLIENT_PORT: u32 = 40007;     // "to" sends from here; answers come back to it
const BIG: i32 = 2000;              // packet length for "big"
const HELLO = "hello from sender";

const TX = memory.data(BIG);
const PEER = memory.data(ipv6.ADDR_LEN);
// 2001:db8::bad (RFC 3849 documentation prefix): never a service's own address.
const NOT_OURS = memory.data<u8>([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b, 0xad]);

export function persia_event(): void {
  for (let n = ingress.next(); n >= 0; n = ingress.next()) {
    if (ingress.accept(n) != <i32>ipv6.NH_UDP) continue;
    let port = udp.dstPort(ingress.RX);
    if (port == COMMAND_PORT) command();
    else if (port == CLIENT_PORT && udp.srcPort(ingress.RX) == ECHO_PORT) reply();
  }
}

function command(): void {
  let p = udp.data(ingress.RX);
  let n = trimLineEnd(p, udp.dataLen(ingress.RX));
  let rx = ingress.RX;
  if (equalsAscii(p, n, "spoof")) {
    udp.begin(TX, NOT_OURS, ipv6.src(rx), COMMAND_PORT, udp.srcPort(rx));
    result("sender: spoof send=", sys_send(<i32>TX, udp.finish(TX, fill(5))));
  } else if (equalsAscii(p, n, "big")) {
    udp.begin(TX, ipv6.dst(rx), ipv6.src(rx), COMMAND_PORT, udp.srcPort(rx));
    result("sender: big send=", sys_send(<i32>TX, udp.finish(TX, fill(BIG - udp.DATA))));
  } else if (equalsAscii(p, n, "malformed")) {
    result("sender: malformed send=", sys_send(<i32>TX, 30));
  } else if (startsWithAscii(p, n, "to ")) {
    to(p + 3, n - 3);
  }
}

/** Fill n bytes of TX's datagram data with 'x'; returns n. */
function fill(n: i32): i32 {
  memory.fill(udp.data(TX), 0x78, <usize>n);
  return n;
}

/** Resolve the domain of n bytes at name and send HELLO to its port 7. */
function to(name: usize, n: i32): void {
  let r = sys_resolve(<i32>name, n, <i32>PEER);
  if (r >= 0) {
    udp.begin(TX, ipv6.dst(ingress.RX), PEER, CLIENT_PORT, ECHO_PORT);
    let m = text.utf8(udp.data(TX), BIG - udp.DATA, HELLO);
    r = sys_send(<i32>TX, udp.finish(TX, m));
  }
  log.begin("sender: to ");
  log.bytes(name, n);
  log.str(r >= 0 ? " send=" : " failed=");
  log.num(r);
  log.emit();
}

function reply(): void {
  log.begin("sender: reply from ");
  log.addr(ipv6.src(ingress.RX));
  log.str(" ");
  log.bytes(udp.data(ingress.RX), udp.dataLen(ingress.RX));
  log.emit();
}

function result(what: string, code: i32): void {
  log.begin(what);
  log.num(code);
  log.emit();
}
