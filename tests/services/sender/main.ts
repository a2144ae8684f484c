// Test service: sends what the kernel must refuse, and talks to another service, on
// command. A UDP datagram to port 9 carries the command ("\n" at its end is ignored):
//   spoof        send a datagram whose source is 2001:db8::bad, an address it does not
//                own; logs "sender: spoof send=<code>" (the kernel must say -EADDRNOTAVAIL)
//   big          send a 2000-byte packet, over the node's MTU for traffic between
//                services; logs "sender: big send=<code>" (expect -EMSGSIZE)
//   malformed    send 30 bytes that are not an IPv6 packet; logs "sender: malformed
//                send=<code>" (expect -EINVAL)
//   na           send the commander an unsolicited Neighbor Advertisement (override set, hop
//                limit 255) that claims 2001:db8::bad is at 02:00:00:00:0b:ad, as a cache-
//                poisoning neighbour would; logs "sender: na send=<code>" (expect -EPERM)
//   ra           send all-nodes a Router Advertisement with a lifetime of 1800 s; logs
//                "sender: ra send=<code>" (expect -EPERM)
//   hop255       send the commander a datagram with hop limit 255; logs "sender: hop255
//                send=<code>" (expect -EPERM)
//   hop0         the same with hop limit 0, which could reach no one; logs "sender: hop0
//                send=<code>" (expect -EINVAL)
//   to <domain>  resolve the domain and send a datagram to its port 7; logs the result,
//                and logs "sender: reply from <addr> <data>" for each answer that comes
// Packets go back to the commander's address and port. Used by tests/sdk/ and syscall tests.
import { sys_send, sys_resolve } from "../../../abi/gen/persia";
import { ingress, ipv6, icmpv6, log, text, udp } from "../../../services/sdk/index";
import { st8, st16, st32 } from "../../../services/sdk/bytes";
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
const ALL_NODES = memory.data<u8>([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
const NA: u32 = 136, RA: u32 = 134;   // RFC 4861 §4.4, §4.2

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
  } else if (equalsAscii(p, n, "na")) {
    // Type 136, flags O (override), target, Target Link-Layer Address option (type 2, 1 unit).
    let m = linkMessage(ipv6.src(rx), NA, 32);
    st32(m + 4, 0x20000000);
    memory.copy(m + 8, NOT_OURS, 16);
    st8(m + 24, 2); st8(m + 25, 1); st32(m + 26, 0x02000000); st16(m + 30, 0x0bad);
    result("sender: na send=", sys_send(<i32>TX, seal(32)));
  } else if (equalsAscii(p, n, "ra")) {
    // Type 134: hop limit 64, no flags, router lifetime 1800 s, no timers, no options.
    let m = linkMessage(ALL_NODES, RA, 16);
    st8(m + 4, 64); st16(m + 6, 1800); st32(m + 8, 0); st32(m + 12, 0);
    result("sender: ra send=", sys_send(<i32>TX, seal(16)));
  } else if (equalsAscii(p, n, "hop255") || equalsAscii(p, n, "hop0")) {
    udp.begin(TX, ipv6.dst(rx), ipv6.src(rx), COMMAND_PORT, udp.srcPort(rx));
    let len = udp.finish(TX, fill(5));
    let hops: u32 = n == 6 ? 255 : 0;
    st8(TX + <usize>ipv6.HOPS, hops);
    result(hops == 255 ? "sender: hop255 send=" : "sender: hop0 send=", sys_send(<i32>TX, len));
  } else if (startsWithAscii(p, n, "to ")) {
    to(p + 3, n - 3);
  }
}

/** Start an ND message of `type` and `plen` bytes in TX, from the address the command came
 *  to, to `dst`, with hop limit 255 as RFC 4861 wants it; returns where the message starts. */
function linkMessage(dst: usize, type: u32, plen: i32): usize {
  ipv6.writeHeader(TX, plen, ipv6.NH_ICMPV6, ipv6.dst(ingress.RX), dst);
  st8(TX + <usize>ipv6.HOPS, 255);
  let m = TX + <usize>ipv6.HEADER;
  memory.fill(m, 0, <usize>plen);
  st8(m, type);
  return m;
}

/** Seal TX's ICMPv6 checksum; returns the packet's length (header + plen). */
function seal(plen: i32): i32 {
  icmpv6.seal(TX);
  return ipv6.HEADER + plen;
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
