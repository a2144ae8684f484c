// Is a frame the node sent well formed? An independent check (no kernel code): Ethernet II
// from the NIC's own MAC with the IPv6 ethertype, a multicast destination MAC that is the
// IPv6 group's (RFC 2464 §7), version 6, a payload length that is exactly the frame's,
// within the MTU, a unicast source that is never :: or ::1, a destination that is never ::.
// A packet the kernel made (its source is one of the node's own addresses) must also have
// a sound extension-header chain, right ICMPv6 and UDP checksums and lengths, hop limit 255
// on neighbor discovery, and no more than 1280 bytes when it is an ICMPv6 error. A packet
// the node forwarded, or a service sent, keeps its sender's upper layer: the node routes
// it and never changes it (DESIGN.md).
// Used by tests/fuzz/*.test.ts.
import * as P from "../../cli/peer/packets";

const NH_HOPOPT = 0, NH_ROUTING = 43, NH_DSTOPT = 60, NH_AH = 51;

export interface Origin { mac: Uint8Array; mtu: number; own: (addr: Uint8Array) => boolean }

/** Why the frame is malformed, or null. */
export function malformed(f: Uint8Array, o: Origin): string | null {
  if (f.length < 14 + 40) return `a ${f.length}-byte frame, shorter than Ethernet + IPv6`;
  if (!P.equalBytes(f.subarray(6, 12), o.mac)) return "the source MAC is not the NIC's";
  if (((f[12] << 8) | f[13]) !== P.ETH_IPV6) return "not the IPv6 ethertype";
  const ip = f.subarray(14);
  if (ip[0] >> 4 !== 6) return "IP version is not 6";
  const plen = (ip[4] << 8) | ip[5];
  if (40 + plen !== ip.length) return `payload length ${plen} for ${ip.length - 40} bytes`;
  if (ip.length > o.mtu) return `${ip.length} bytes on a ${o.mtu}-byte MTU`;
  if (ip[7] === 0) return "hop limit 0";
  const src = ip.subarray(8, 24), dst = ip.subarray(24, 40);
  if (src[0] === 0xff) return "a multicast source";
  if (src.every((b) => b === 0) || dst.every((b) => b === 0)) return "the unspecified address as source or destination";
  if (src.subarray(0, 15).every((b) => b === 0) && src[15] === 1) return "the loopback address as source";
  if (dst[0] === 0xff && !P.equalBytes(f.subarray(0, 6), Uint8Array.from([0x33, 0x33, ...dst.subarray(12)]))) {
    return "a multicast destination in a frame to another MAC";
  }
  return o.own(src) ? upperLayer(ip) : null;
}

/** The checks of a packet the node made itself. */
function upperLayer(ip: Uint8Array): string | null {
  let next = ip[6], off = 40;
  for (let n = 0; next === NH_HOPOPT || next === NH_ROUTING || next === NH_DSTOPT || next === NH_AH; n++) {
    if (n > 8 || off + 8 > ip.length) return "a broken extension-header chain";
    const len = next === NH_AH ? (ip[off + 1] + 2) * 4 : (ip[off + 1] + 1) * 8;
    next = ip[off];
    off += len;
  }
  if (off > ip.length) return "an extension header runs past the packet";
  const m = ip.subarray(off), src = ip.subarray(8, 24), dst = ip.subarray(24, 40);
  if (next === P.NH_ICMPV6) {
    if (m.length < 4) return "an ICMPv6 message shorter than its header";
    if (P.l4Checksum(src, dst, P.NH_ICMPV6, m) !== 0) return `ICMPv6 type ${m[0]} with a wrong checksum`;
    if (m[0] >= 133 && m[0] <= 137 && ip[7] !== 255) return `neighbor discovery type ${m[0]} with hop limit ${ip[7]}`;
    if (m[0] < 128 && ip.length > 1280) return `an ICMPv6 error of ${ip.length} bytes, over 1280`;
  } else if (next === P.NH_UDP) {
    if (m.length < 8 || ((m[4] << 8) | m[5]) !== m.length) return "a UDP length that is not the datagram's";
    if (((m[6] << 8) | m[7]) === 0 || P.l4Checksum(src, dst, P.NH_UDP, m) !== 0) return "a UDP datagram with a wrong checksum";
  }
  return null;
}
