// Building and reading Ethernet/IPv6/ICMPv6/UDP packets in TypeScript, for the in-process
// traffic peer (the demo and the integration tests). It shares the layout constants of
// wire/layout/ (offsets, lengths, type numbers: written once, under their RFC diagrams) but
// none of the kernel's code, on purpose: a test that builds its packets with the kernel's
// functions proves nothing (the kernel's unit tests check the layout itself against literal
// bytes). Addresses are 16-byte Uint8Arrays (loader/ip6.ts parses text).
import { ETH_DST, ETH_SRC, ETH_TYPE, ETH_HDR, MAC_LEN, ETHERTYPE_IPV6 } from "../../wire/layout/ethernet";
import { IP_PLEN, IP_NEXT, IP_HOPS, IP_SRC, IP_DST, IP_HDR, ADDR_LEN, IP_FIRST_WORD, HOP_LIMIT,
  NH_UDP, NH_ICMPV6 } from "../../wire/layout/ipv6";
import * as I from "../../wire/layout/icmpv6";
import { ND_HOP_LIMIT, ND_TARGET, ND_OPTIONS, NDOPT_TYPE, NDOPT_LEN, NDOPT_SLLA, NDOPT_TLLA, LLA_MAC, LLA_LEN,
  NA_SOLICITED, NA_OVERRIDE } from "../../wire/layout/nd";
import { UDP_SRC_PORT, UDP_DST_PORT, UDP_LENGTH, UDP_CHECKSUM, UDP_HDR, UDP_CHECKSUM_ZERO } from "../../wire/layout/udp";

export const ETH_IPV6 = ETHERTYPE_IPV6;
export { NH_UDP, NH_ICMPV6 };
export const ICMP = { UNREACH: I.ICMP_UNREACH, TOO_BIG: I.ICMP_TOO_BIG, TIME: I.ICMP_TIME, PARAM: I.ICMP_PARAM,
  ECHO_REQ: I.ICMP_ECHO_REQUEST, ECHO_REP: I.ICMP_ECHO_REPLY, NS: I.ICMP_NS, NA: I.ICMP_NA };
/** Where an NS's or NA's target and options start in the message's `rest` (after ICMP_HDR). */
export const ND_REST_TARGET = ND_TARGET - I.ICMP_HDR;
export const ND_REST_OPTIONS = ND_OPTIONS - I.ICMP_HDR;

function sum16(b: Uint8Array, acc: number): number {
  for (let i = 0; i + 1 < b.length; i += 2) acc += (b[i] << 8) | b[i + 1];
  if (b.length & 1) acc += b[b.length - 1] << 8;
  return acc;
}

/** RFC 1071 checksum of an upper-layer message with the IPv6 pseudo-header. */
export function l4Checksum(src: Uint8Array, dst: Uint8Array, proto: number, msg: Uint8Array): number {
  let acc = sum16(src, 0);
  acc = sum16(dst, acc);
  acc += (msg.length >>> 16) + (msg.length & 0xffff) + proto;
  acc = sum16(msg, acc);
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return ~acc & 0xffff;
}

export function ipv6(src: Uint8Array, dst: Uint8Array, next: number, payload: Uint8Array, hops = HOP_LIMIT): Uint8Array {
  const p = new Uint8Array(IP_HDR + payload.length);
  const v = new DataView(p.buffer);
  v.setUint32(0, IP_FIRST_WORD);
  v.setUint16(IP_PLEN, payload.length);
  p[IP_NEXT] = next;
  p[IP_HOPS] = hops;
  p.set(src, IP_SRC);
  p.set(dst, IP_DST);
  p.set(payload, IP_HDR);
  return p;
}

/** An ICMPv6 message (type, code, 4-byte body word, rest) with its checksum. */
export function icmp6(src: Uint8Array, dst: Uint8Array, type: number, code: number, word: number,
  rest: Uint8Array, hops = HOP_LIMIT): Uint8Array {
  const m = new Uint8Array(I.ICMP_HDR + rest.length);
  const v = new DataView(m.buffer);
  m[I.ICMP_TYPE] = type; m[I.ICMP_CODE] = code;
  v.setUint32(I.ICMP_WORD, word >>> 0);
  m.set(rest, I.ICMP_HDR);
  v.setUint16(I.ICMP_CHECKSUM, l4Checksum(src, dst, NH_ICMPV6, m));
  return ipv6(src, dst, NH_ICMPV6, m, hops);
}

export function echoRequest(src: Uint8Array, dst: Uint8Array, id: number, seq: number, data: Uint8Array): Uint8Array {
  return icmp6(src, dst, ICMP.ECHO_REQ, 0, ((id & 0xffff) << 16) | (seq & 0xffff), data);
}

export function udp(src: Uint8Array, dst: Uint8Array, sport: number, dport: number, data: Uint8Array): Uint8Array {
  const m = new Uint8Array(UDP_HDR + data.length);
  const v = new DataView(m.buffer);
  v.setUint16(UDP_SRC_PORT, sport); v.setUint16(UDP_DST_PORT, dport); v.setUint16(UDP_LENGTH, m.length);
  m.set(data, UDP_HDR);
  const c = l4Checksum(src, dst, NH_UDP, m);
  v.setUint16(UDP_CHECKSUM, c === 0 ? UDP_CHECKSUM_ZERO : c);
  return ipv6(src, dst, NH_UDP, m);
}

export function solicitedNode(target: Uint8Array): Uint8Array {
  const g = new Uint8Array(ADDR_LEN);
  g.set([0xff, 0x02], 0); g[11] = 1; g[12] = 0xff;
  g.set(target.subarray(13), 13);
  return g;
}

export function multicastMac(group: Uint8Array): Uint8Array {
  return Uint8Array.from([0x33, 0x33, ...group.subarray(12)]);
}

/** The `rest` of an NS or NA: the target, then one link-layer address option of optType. */
export function ndRest(target: Uint8Array, optType: number, mac: Uint8Array): Uint8Array {
  const rest = new Uint8Array(ND_REST_OPTIONS + LLA_LEN);
  rest.set(target, ND_REST_TARGET);
  const o = ND_REST_OPTIONS;
  rest[o + NDOPT_TYPE] = optType; rest[o + NDOPT_LEN] = LLA_LEN / 8; rest.set(mac, o + LLA_MAC);
  return rest;
}

/** The target address of an NS's or NA's `rest` (Parsed.data), if it is long enough. */
export function ndTarget(rest: Uint8Array | undefined): Uint8Array | undefined {
  return rest && rest.length >= ND_REST_TARGET + ADDR_LEN ? rest.subarray(ND_REST_TARGET, ND_REST_TARGET + ADDR_LEN) : undefined;
}

/** Neighbor Solicitation for target with a source link-layer address option. */
export function neighborSolicit(src: Uint8Array, target: Uint8Array, mac: Uint8Array): Uint8Array {
  return icmp6(src, solicitedNode(target), ICMP.NS, 0, 0, ndRest(target, NDOPT_SLLA, mac), ND_HOP_LIMIT);
}

/** Solicited, overriding Neighbor Advertisement of target, from it to dst, with a target
 *  link-layer address option: a host's answer to a solicitation (RFC 4861 §7.2.4). */
export function neighborAdvert(target: Uint8Array, dst: Uint8Array, mac: Uint8Array): Uint8Array {
  return icmp6(target, dst, ICMP.NA, 0, NA_SOLICITED | NA_OVERRIDE, ndRest(target, NDOPT_TLLA, mac), ND_HOP_LIMIT);
}

export function ether(dst: Uint8Array, src: Uint8Array, type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(ETH_HDR + payload.length);
  f.set(dst, ETH_DST); f.set(src, ETH_SRC);
  f[ETH_TYPE] = type >> 8; f[ETH_TYPE + 1] = type & 0xff;
  f.set(payload, ETH_HDR);
  return f;
}

/** What a received frame holds, as far as the peer cares. */
export interface Parsed {
  dstMac: Uint8Array; srcMac: Uint8Array; type: number;
  ip?: Uint8Array; src?: Uint8Array; dst?: Uint8Array; next?: number; hops?: number;
  icmpType?: number; icmpCode?: number; icmpWord?: number; checksumOk?: boolean;
  sport?: number; dport?: number; data?: Uint8Array;
}

export function parse(f: Uint8Array): Parsed {
  const r: Parsed = { dstMac: f.subarray(ETH_DST, ETH_DST + MAC_LEN), srcMac: f.subarray(ETH_SRC, ETH_SRC + MAC_LEN),
    type: (f[ETH_TYPE] << 8) | f[ETH_TYPE + 1] };
  if (r.type !== ETH_IPV6 || f.length < ETH_HDR + IP_HDR) return r;
  const ip = f.subarray(ETH_HDR);
  const v = new DataView(ip.buffer, ip.byteOffset, ip.byteLength);
  const plen = v.getUint16(IP_PLEN);
  r.ip = ip.subarray(0, IP_HDR + plen);
  r.src = ip.subarray(IP_SRC, IP_SRC + ADDR_LEN); r.dst = ip.subarray(IP_DST, IP_DST + ADDR_LEN);
  r.next = ip[IP_NEXT]; r.hops = ip[IP_HOPS];
  const m = ip.subarray(IP_HDR, IP_HDR + plen);
  if (r.next === NH_ICMPV6 && m.length >= I.ICMP_HDR) {
    r.icmpType = m[I.ICMP_TYPE]; r.icmpCode = m[I.ICMP_CODE]; r.icmpWord = v.getUint32(IP_HDR + I.ICMP_WORD);
    r.checksumOk = l4Checksum(r.src, r.dst, NH_ICMPV6, m) === 0;
    r.data = m.subarray(I.ICMP_HDR);
  } else if (r.next === NH_UDP && m.length >= UDP_HDR) {
    r.sport = v.getUint16(IP_HDR + UDP_SRC_PORT); r.dport = v.getUint16(IP_HDR + UDP_DST_PORT);
    r.checksumOk = l4Checksum(r.src, r.dst, NH_UDP, m) === 0;
    r.data = m.subarray(UDP_HDR);
  }
  return r;
}

export function equalBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return !!a && a.length === b.length && a.every((x, i) => x === b[i]);
}
