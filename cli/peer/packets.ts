// Building and reading Ethernet/IPv6/ICMPv6/UDP packets in TypeScript, for the in-process
// traffic peer (the demo and the integration tests). Independent of the kernel's own
// code on purpose: a test that builds its packets with the kernel's functions proves
// nothing. Addresses are 16-byte Uint8Arrays (loader/ip6.ts parses text).

export const ETH_IPV6 = 0x86dd;
export const NH_UDP = 17;
export const NH_ICMPV6 = 58;
export const ICMP = { UNREACH: 1, TOO_BIG: 2, TIME: 3, PARAM: 4, ECHO_REQ: 128, ECHO_REP: 129, NS: 135, NA: 136 };

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

export function ipv6(src: Uint8Array, dst: Uint8Array, next: number, payload: Uint8Array, hops = 64): Uint8Array {
  const p = new Uint8Array(40 + payload.length);
  const v = new DataView(p.buffer);
  v.setUint32(0, 0x60000000);
  v.setUint16(4, payload.length);
  p[6] = next;
  p[7] = hops;
  p.set(src, 8);
  p.set(dst, 24);
  p.set(payload, 40);
  return p;
}

/** An ICMPv6 message (type, code, 4-byte body word, rest) with its checksum. */
export function icmp6(src: Uint8Array, dst: Uint8Array, type: number, code: number, word: number,
  rest: Uint8Array, hops = 64): Uint8Array {
  const m = new Uint8Array(8 + rest.length);
  const v = new DataView(m.buffer);
  m[0] = type; m[1] = code;
  v.setUint32(4, word >>> 0);
  m.set(rest, 8);
  v.setUint16(2, l4Checksum(src, dst, NH_ICMPV6, m));
  return ipv6(src, dst, NH_ICMPV6, m, hops);
}

export function echoRequest(src: Uint8Array, dst: Uint8Array, id: number, seq: number, data: Uint8Array): Uint8Array {
  return icmp6(src, dst, ICMP.ECHO_REQ, 0, ((id & 0xffff) << 16) | (seq & 0xffff), data);
}

export function udp(src: Uint8Array, dst: Uint8Array, sport: number, dport: number, data: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + data.length);
  const v = new DataView(m.buffer);
  v.setUint16(0, sport); v.setUint16(2, dport); v.setUint16(4, m.length);
  m.set(data, 8);
  const c = l4Checksum(src, dst, NH_UDP, m);
  v.setUint16(6, c === 0 ? 0xffff : c);
  return ipv6(src, dst, NH_UDP, m);
}

export function solicitedNode(target: Uint8Array): Uint8Array {
  const g = new Uint8Array(16);
  g.set([0xff, 0x02], 0); g[11] = 1; g[12] = 0xff;
  g.set(target.subarray(13), 13);
  return g;
}

export function multicastMac(group: Uint8Array): Uint8Array {
  return Uint8Array.from([0x33, 0x33, ...group.subarray(12)]);
}

/** Neighbor Solicitation for target with a source link-layer address option. */
export function neighborSolicit(src: Uint8Array, target: Uint8Array, mac: Uint8Array): Uint8Array {
  const rest = new Uint8Array(24);
  rest.set(target, 0);
  rest[16] = 1; rest[17] = 1; rest.set(mac, 18);
  return icmp6(src, solicitedNode(target), ICMP.NS, 0, 0, rest, 255);
}

export function ether(dst: Uint8Array, src: Uint8Array, type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  f.set(dst, 0); f.set(src, 6);
  f[12] = type >> 8; f[13] = type & 0xff;
  f.set(payload, 14);
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
  const r: Parsed = { dstMac: f.subarray(0, 6), srcMac: f.subarray(6, 12), type: (f[12] << 8) | f[13] };
  if (r.type !== ETH_IPV6 || f.length < 54) return r;
  const ip = f.subarray(14);
  const v = new DataView(ip.buffer, ip.byteOffset, ip.byteLength);
  const plen = v.getUint16(4);
  r.ip = ip.subarray(0, 40 + plen);
  r.src = ip.subarray(8, 24); r.dst = ip.subarray(24, 40); r.next = ip[6]; r.hops = ip[7];
  const m = ip.subarray(40, 40 + plen);
  if (r.next === NH_ICMPV6 && m.length >= 8) {
    r.icmpType = m[0]; r.icmpCode = m[1]; r.icmpWord = v.getUint32(44);
    r.checksumOk = l4Checksum(r.src, r.dst, NH_ICMPV6, m) === 0;
    r.data = m.subarray(8);
  } else if (r.next === NH_UDP && m.length >= 8) {
    r.sport = v.getUint16(40); r.dport = v.getUint16(42);
    r.checksumOk = l4Checksum(r.src, r.dst, NH_UDP, m) === 0;
    r.data = m.subarray(8);
  }
  return r;
}

export function equalBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return !!a && a.length === b.length && a.every((x, i) => x === b[i]);
}
