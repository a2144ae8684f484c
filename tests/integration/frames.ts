// Packets the drop tests need beyond cli/peer/packets.ts: extension-header chains
// (Hop-by-Hop, Destination Options, Routing, Fragment), Neighbor Solicitations with any
// hop limit, source and options, and Ethernet frames with a VLAN tag or ARP. Built from
// the RFC layouts in TypeScript, never with the kernel's own code.
// Used by tests/integration/*.test.ts.
import * as P from "../../cli/peer/packets";

export const NH_HOPOPT = 0;
export const NH_ROUTING = 43;
export const NH_FRAGMENT = 44;
export const NH_DSTOPT = 60;
export const ETH_IPV4 = 0x0800;
export const ETH_ARP = 0x0806;
export const ETH_VLAN = 0x8100;

/** One extension header before the upper layer: its type and its bytes after the
 *  Next Header field (Hdr Ext Len is counted in `body` for options headers). */
export interface Ext { type: number; body: Uint8Array }

/** Options (type, length, data) padded with PadN/Pad1 so that the header is a multiple of
 *  8 bytes (RFC 8200 §4.2): the body of a Hop-by-Hop or Destination Options header. */
export function options(...opts: number[][]): Uint8Array {
  const raw = opts.flat();
  const total = Math.ceil((2 + raw.length) / 8) * 8;
  const pad = total - 2 - raw.length;
  const padding = pad === 0 ? [] : pad === 1 ? [0] : [1, pad - 2, ...new Array(pad - 2).fill(0)];
  return Uint8Array.from([total / 8 - 1, ...raw, ...padding]);
}

/** A type 0 Routing header body (RFC 8200 §4.4, RFC 5095) with one address. */
export function routing(segmentsLeft: number, addr: Uint8Array): Uint8Array {
  return Uint8Array.from([2, 0, segmentsLeft, 0, 0, 0, 0, ...addr]);
}

/** A Fragment header body (RFC 8200 §4.5): offset 0, more fragments set. */
export function fragment(): Uint8Array {
  return Uint8Array.from([0, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78]);
}

/** An IPv6 packet with the given extension headers, then `upper` bytes of protocol `proto`. */
export function chain(src: Uint8Array, dst: Uint8Array, exts: Ext[], proto: number, upper: Uint8Array, hops = 64): Uint8Array {
  const parts: number[] = [];
  exts.forEach((e, i) => parts.push(i + 1 < exts.length ? exts[i + 1].type : proto, ...e.body));
  const payload = Uint8Array.from([...parts, ...upper]);
  return P.ipv6(src, dst, exts.length > 0 ? exts[0].type : proto, payload, hops);
}

/** An ICMPv6 message (no IPv6 header) with its checksum for src → dst. */
export function icmpMessage(src: Uint8Array, dst: Uint8Array, type: number, code: number, word: number, rest: Uint8Array): Uint8Array {
  return P.icmp6(src, dst, type, code, word, rest).slice(40);
}

/** An echo request behind extension headers, checksum correct. */
export function echoBehind(src: Uint8Array, dst: Uint8Array, exts: Ext[], seq: number, hops = 64): Uint8Array {
  const m = icmpMessage(src, dst, P.ICMP.ECHO_REQ, 0, (0x7e57 << 16) | seq, Uint8Array.from([1, 2, 3, 4]));
  return chain(src, dst, exts, P.NH_ICMPV6, m, hops);
}

/** A Neighbor Solicitation with any hop limit and destination; a source link-layer option
 *  when sll is given. */
export function solicit(src: Uint8Array, dst: Uint8Array, target: Uint8Array, hops: number, sll: Uint8Array | null): Uint8Array {
  const rest = new Uint8Array(sll ? 24 : 16);
  rest.set(target, 0);
  if (sll) { rest[16] = 1; rest[17] = 1; rest.set(sll, 18); }
  return P.icmp6(src, dst, P.ICMP.NS, 0, 0, rest, hops);
}

/** A copy of an IPv6 packet whose ICMPv6 checksum (right after the fixed header) is off by one. */
export function badChecksum(pkt: Uint8Array): Uint8Array {
  const c = Uint8Array.from(pkt);
  c[43] ^= 0x01;
  return c;
}

/** A copy with one byte replaced. */
export function patched(b: Uint8Array, at: number, value: number): Uint8Array {
  const c = Uint8Array.from(b);
  c[at] = value;
  return c;
}

/** An Ethernet frame with an 802.1Q tag (VLAN 5) in front of an IPv6 packet. */
export function vlanFrame(dst: Uint8Array, src: Uint8Array, packet: Uint8Array): Uint8Array {
  return P.ether(dst, src, ETH_VLAN, Uint8Array.from([0x00, 0x05, 0x86, 0xdd, ...packet]));
}

/** An ARP request (RFC 826) for an IPv4 address, to the broadcast MAC. */
export function arpRequest(src: Uint8Array): Uint8Array {
  const body = Uint8Array.from([0, 1, 8, 0, 6, 4, 0, 1, ...src, 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 192, 0, 2, 2]);
  return P.ether(new Uint8Array(6).fill(0xff), src, ETH_ARP, body);
}
