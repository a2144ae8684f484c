// IPv6 address, prefix and MAC utilities shared by every TypeScript host and the loader:
// parse text (RFC 4291 section 2.2) into 16 bytes, format bytes as RFC 5952 canonical text,
// prefixes `addr/len`, containment, EUI-64 interface ids and link-local addresses from MACs.
// Deliberately not here: IPv4 in any form (dotted IPv4-mapped text is refused, and mapped
// addresses are printed in hex, not RFC 5952 section 5's dotted form), zone ids, and
// anything about routing. Every parse error is an AddressError whose message says what
// text was wrong and how to write it. Called by loader/manifest, hosts/node and the CLI.

import { quote } from "./quote";

export const IP6_BYTES = 16;
export const MAC_BYTES = 6;

export class AddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AddressError";
  }
}

/** An IPv6 prefix: the first `len` bits of `addr` matter, the rest are zero. */
export interface Prefix {
  addr: Uint8Array;
  len: number;
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseGroups(text: string, part: string): number[] {
  if (part === "") return [];
  return part.split(":").map((g) => {
    if (g.includes(".")) {
      throw new AddressError(`${quote(text)} uses the dotted IPv4 form; PersiaOS is IPv6 only, so ` +
        `write those 32 bits as two hex groups (e.g. ::ffff:c000:201), or use a native IPv6 address`);
    }
    if (!HEX_GROUP.test(g)) {
      const why = g === "" ? "has an empty group (a lone ':' where '::' or a group belongs)"
        : `has the group ${quote(g)}, which is not 1 to 4 hex digits`;
      throw new AddressError(`${quote(text)} is not an IPv6 address: it ${why}`);
    }
    return parseInt(g, 16);
  });
}

const GROUPS = new Int32Array(8);   // scanAddr's groups, in the order written

/** parseAddr's common case in one pass over the text, with no regular expression, split or
 *  array made: 1 to 4 hex digits a group, ":" between, at most one "::". null for anything
 *  else (a dot, a zone, another character, a wrong count), which parseAddr then reads the
 *  long way, for the message that says what is wrong. A table of 100,000 routes has 200,000
 *  addresses: 160-210 ms the long way, 25-40 ms this way (spec/performance.md "A large route
 *  table in the manifest"). */
function scanAddr(text: string): Uint8Array | null {
  const n = text.length, COLON = 58;
  if (n === 0 || n > 39) return null;                      // 8 groups of 4 and 7 colons at most
  let i = 0, count = 0, gap = -1;                          // gap: how many groups come before "::"
  if (text.charCodeAt(0) === COLON) {
    if (n < 2 || text.charCodeAt(1) !== COLON) return null;
    gap = 0;
    i = 2;
  }
  while (i < n) {
    let v = 0, digits = 0;
    for (; i < n && digits <= 4; i++, digits++) {
      const c = text.charCodeAt(i);
      const h = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (h < 0) break;
      v = (v << 4) | h;
    }
    if (digits === 0 || digits > 4 || count === 8) return null;
    GROUPS[count++] = v;
    if (i === n) break;
    if (text.charCodeAt(i++) !== COLON) return null;
    if (i === n) return null;                              // a lone ":" at the end
    if (text.charCodeAt(i) === COLON) {
      if (gap >= 0) return null;
      gap = count;
      i++;
    }
  }
  if (gap < 0 ? count !== 8 : count > 7) return null;
  const out = new Uint8Array(IP6_BYTES);
  const head = gap < 0 ? count : gap;
  for (let k = 0; k < count; k++) {
    const at = k < head ? k : 8 - count + k;               // the groups after "::" end the address
    out[2 * at] = GROUPS[k] >> 8;
    out[2 * at + 1] = GROUPS[k] & 0xff;
  }
  return out;
}

/** Parses RFC 4291 text ("fd00::1", "2001:db8:0:0:0:0:0:1") into 16 bytes. */
export function parseAddr(text: string): Uint8Array {
  const fast = scanAddr(text);
  if (fast !== null) return fast;
  if (text.includes("%")) {
    throw new AddressError(`${quote(text)} has a zone id (%...); write the address alone and name ` +
      `the NIC in its own field`);
  }
  if (text === "") throw new AddressError("the IPv6 address is empty; write one such as fd00::1");
  const halves = text.split("::");
  if (halves.length > 2) {
    throw new AddressError(`${quote(text)} has "::" more than once; it may stand for one run of zeros only`);
  }
  const head = parseGroups(text, halves[0]);
  const tail = halves.length === 2 ? parseGroups(text, halves[1]) : [];
  const groups = head.length + tail.length;
  if (halves.length === 1 && groups !== 8) {
    throw new AddressError(`${quote(text)} has ${groups} groups; an IPv6 address has 8, or fewer with "::"`);
  }
  if (halves.length === 2 && groups > 7) {
    throw new AddressError(`${quote(text)} has ${groups} groups besides "::"; with "::" at most 7 are allowed`);
  }
  const out = new Uint8Array(IP6_BYTES);
  head.forEach((g, i) => { out[2 * i] = g >> 8; out[2 * i + 1] = g & 0xff; });
  tail.forEach((g, i) => {
    const at = 8 - tail.length + i;
    out[2 * at] = g >> 8;
    out[2 * at + 1] = g & 0xff;
  });
  return out;
}

/** Formats 16 bytes as RFC 5952 text: lower case, no leading zeros, "::" for the longest
 *  run of two or more zero groups (the first such run on a tie). */
export function formatAddr(addr: Uint8Array): string {
  if (addr.length !== IP6_BYTES) throw new AddressError(`an IPv6 address is 16 bytes, not ${addr.length}`);
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((addr[2 * i] << 8) | addr[2 * i + 1]);
  let bestAt = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  if (bestAt < 0) return hex(g);
  return `${hex(g.slice(0, bestAt))}::${hex(g.slice(bestAt + bestLen))}`;
}

/** Parses "fd00:5ab2:1::/64". `len` must be 0..128 and the bits after it zero. */
export function parsePrefix(text: string): Prefix {
  const slash = text.indexOf("/");
  if (slash < 0) {
    throw new AddressError(`${quote(text)} is not a prefix; write an address, "/" and a length, e.g. fd00:1::/64`);
  }
  const addr = parseAddr(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lenText) || Number(lenText) > 128) {
    throw new AddressError(`${quote(text)} has prefix length ${quote(lenText)}; write a whole number from 0 to 128`);
  }
  const len = Number(lenText);
  const masked = maskPrefix(addr, len);
  if (!equalBytes(masked, addr)) {
    throw new AddressError(`${quote(text)} has host bits set after the first ${len} bits; ` +
      `the prefix is ${formatPrefix({ addr: masked, len })}`);
  }
  return { addr, len };
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddr(p.addr)}/${p.len}`;
}

/** A copy of `addr` with every bit after the first `len` cleared. */
export function maskPrefix(addr: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(IP6_BYTES);
  for (let i = 0; i < IP6_BYTES; i++) {
    const bits = Math.max(0, Math.min(8, len - 8 * i));
    out[i] = addr[i] & ((0xff00 >> bits) & 0xff);
  }
  return out;
}

/** True when the first `p.len` bits of `addr` equal the prefix. */
export function prefixContains(p: Prefix, addr: Uint8Array): boolean {
  return equalBytes(maskPrefix(addr, p.len), maskPrefix(p.addr, p.len));
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const isUnspecified = (a: Uint8Array) => a.every((b) => b === 0);
export const isLoopback = (a: Uint8Array) => a.subarray(0, 15).every((b) => b === 0) && a[15] === 1;
export const isMulticast = (a: Uint8Array) => a[0] === 0xff;
export const isLinkLocal = (a: Uint8Array) => a[0] === 0xfe && (a[1] & 0xc0) === 0x80;
export const isIpv4Mapped = (a: Uint8Array) =>
  a.subarray(0, 10).every((b) => b === 0) && a[10] === 0xff && a[11] === 0xff;

/** Parses "02:00:5a:b2:00:01" (hex digits in either case) into 6 bytes. */
export function parseMac(text: string): Uint8Array {
  const parts = text.split(":");
  if (parts.length !== MAC_BYTES || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) {
    throw new AddressError(`${quote(text)} is not a MAC address; write six two-digit hex bytes ` +
      `separated by ":", e.g. 02:00:5a:b2:00:01`);
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function formatMac(mac: Uint8Array): string {
  if (mac.length !== MAC_BYTES) throw new AddressError(`a MAC address is 6 bytes, not ${mac.length}`);
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join(":");
}

/** The modified EUI-64 interface id of a MAC (RFC 4291 appendix A): ff:fe in the middle,
 *  universal/local bit inverted. */
export function eui64FromMac(mac: Uint8Array): Uint8Array {
  if (mac.length !== MAC_BYTES) throw new AddressError(`a MAC address is 6 bytes, not ${mac.length}`);
  return Uint8Array.of(mac[0] ^ 0x02, mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]);
}

/** The first 64 bits of `prefix` plus the MAC's EUI-64 interface id: the address a node
 *  takes on a /64 (kernel/net/iface.ts prefixAdd does the same), e.g. where `persia ctl`
 *  reaches it. */
export function addressFromMac(prefix: Uint8Array, mac: Uint8Array): Uint8Array {
  const out = new Uint8Array(IP6_BYTES);
  out.set(prefix.subarray(0, 8), 0);
  out.set(eui64FromMac(mac), 8);
  return out;
}

/** fe80::/64 plus the MAC's EUI-64 interface id. */
export function linkLocalFromMac(mac: Uint8Array): Uint8Array {
  return addressFromMac(Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0), mac);
}
