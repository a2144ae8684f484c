// Test-only: builds the few frames the node tests send (ICMPv6 Echo Request, UDP, Neighbor
// Advertisement) with correct checksums, and a traffic peer for one end of a virtual link
// that answers the kernel's Neighbor Solicitations and keeps everything else.
// Deliberately not a packet library: the layout constants of wire/layout, no options, no validation.
// Used by tests/hosts/node.test.ts.
import { VirtualEnd } from "../../hosts/node/nic/virtual";

import { ETHERTYPE_IPV6 as ETH_IPV6, ETH_HDR as ETH } from "../../wire/layout/ethernet";
import { NH_UDP, NH_ICMPV6, IP_HDR as IP6 } from "../../wire/layout/ipv6";
import { ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY, ICMP_NS, ICMP_NA } from "../../wire/layout/icmpv6";
import { sendFrame } from "../../hosts/node/nic/nic";

export { ETH_IPV6, NH_UDP, NH_ICMPV6, ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY, ICMP_NS, ICMP_NA };

/** The RFC 8200 section 8.1 checksum over the pseudo-header and the upper-layer packet. */
function checksum(src: Uint8Array, dst: Uint8Array, nh: number, upper: Buffer): number {
  const pseudo = Buffer.alloc(8);
  pseudo.writeUInt32BE(upper.length, 0);
  pseudo[7] = nh;
  let sum = 0;
  for (const part of [src, dst, pseudo, upper]) {
    for (let i = 0; i < part.length; i += 2) sum += (part[i] << 8) | (part[i + 1] ?? 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An Ethernet frame carrying one IPv6 packet; the checksum at `ckAt` of `upper` is filled in. */
export function ipv6Frame(dstMac: Uint8Array, srcMac: Uint8Array, src: Uint8Array, dst: Uint8Array,
  nh: number, upper: Buffer, ckAt: number, hopLimit = 64): Buffer {
  upper.writeUInt16BE(0, ckAt);
  upper.writeUInt16BE(checksum(src, dst, nh, upper), ckAt);
  const head = Buffer.alloc(ETH + IP6);
  head.set(dstMac, 0);
  head.set(srcMac, 6);
  head.writeUInt16BE(ETH_IPV6, 12);
  head[ETH] = 0x60;
  head.writeUInt16BE(upper.length, ETH + 4);
  head[ETH + 6] = nh;
  head[ETH + 7] = hopLimit;
  head.set(src, ETH + 8);
  head.set(dst, ETH + 24);
  return Buffer.concat([head, upper]);
}

export function echoRequest(id: number, seq: number, data: string): Buffer {
  const icmp = Buffer.alloc(8 + data.length);
  icmp[0] = ICMP_ECHO_REQUEST;
  icmp.writeUInt16BE(id, 4);
  icmp.writeUInt16BE(seq, 6);
  icmp.write(data, 8);
  return icmp;
}

export function udpDatagram(srcPort: number, dstPort: number, data: string): Buffer {
  const udp = Buffer.alloc(8 + data.length);
  udp.writeUInt16BE(srcPort, 0);
  udp.writeUInt16BE(dstPort, 2);
  udp.writeUInt16BE(udp.length, 4);
  udp.write(data, 8);
  return udp;
}

/** A host on the other end of a virtual link: answers Neighbor Solicitations for its own
 *  address (RFC 4861 section 4.4, solicited and override set) and keeps every other frame. */
export class Peer {
  readonly received: Buffer[] = [];

  constructor(readonly end: VirtualEnd, readonly mac: Uint8Array, readonly addr: Uint8Array) {
    end.onFrame = (f) => this.frame(Buffer.from(f));
  }

  send(dstMac: Uint8Array, dst: Uint8Array, nh: number, upper: Buffer, ckAt: number): number {
    return sendFrame(this.end, ipv6Frame(dstMac, this.mac, this.addr, dst, nh, upper, ckAt));
  }

  /** ICMPv6 messages of one type received so far (the ICMPv6 part). */
  icmp(type: number): Buffer[] {
    return this.received.filter((f) => f[ETH + 6] === NH_ICMPV6 && f[ETH + IP6] === type).map((f) => f.subarray(ETH + IP6));
  }

  private frame(f: Buffer): void {
    this.received.push(f);
    const icmp = f.subarray(ETH + IP6);
    if (f[ETH + 6] !== NH_ICMPV6 || icmp[0] !== ICMP_NS || !icmp.subarray(8, 24).equals(this.addr)) return;
    const na = Buffer.alloc(32);
    na[0] = ICMP_NA;
    na[4] = 0x60;
    na.set(this.addr, 8);
    na[24] = 2;                        // target link-layer address option, 8 bytes
    na[25] = 1;
    na.set(this.mac, 26);
    sendFrame(this.end, ipv6Frame(f.subarray(6, 12), this.mac, this.addr, f.subarray(ETH + 8, ETH + 24), NH_ICMPV6, na, 2, 255));
  }
}
