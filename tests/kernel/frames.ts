// Literal frames for the kernel's tests: Ethernet II, IPv6 (RFC 8200 §3), UDP and the
// ICMPv6 messages the kernel answers, written field by field into a test's buffer from
// addresses in RFC 4291 text and MACs and payloads in hex. The checksum is computed here,
// byte by byte over a pseudo-header built out in full (RFC 8200 §8.1, RFC 1071), and never
// with the kernel's code, so an expectation cannot share a bug with what it checks.
// Used by tests/kernel/**/*.spec.ts; nothing here knows the kernel (the header lengths and
// protocol numbers are wire/layout's; the specs' expected bytes stay literal).

import { ETH_HDR } from "../../wire/layout/ethernet";
import { IP_HDR, NH_ICMPV6, NH_UDP } from "../../wire/layout/ipv6";

export const ETH: i32 = ETH_HDR;
export const IP6: i32 = IP_HDR;
export const ICMPV6: u32 = NH_ICMPV6;
export const UDP: u32 = NH_UDP;

const SUM_BUF: usize = memory.data(16384, 16);

export function be16(p: usize, v: u32): void {
  store<u8>(p, <u8>(v >> 8));
  store<u8>(p + 1, <u8>v);
}
export function be32(p: usize, v: u32): void {
  be16(p, v >> 16);
  be16(p + 2, v & 0xffff);
}
export function rd16(p: usize): u32 { return (<u32>load<u8>(p) << 8) | <u32>load<u8>(p + 1); }
export function rd32(p: usize): u32 { return (rd16(p) << 16) | rd16(p + 2); }

function hexDigit(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** Write the bytes spelled in hex at p ("02:00:00:00:00:aa", "8000 1234"; any
 *  non-hex character separates nothing and is skipped). Returns the byte count. */
export function put(p: usize, hex: string): i32 {
  let n = 0, hi = -1;
  for (let i = 0; i < hex.length; i++) {
    let d = hexDigit(hex.charCodeAt(i));
    if (d < 0) continue;
    if (hi < 0) { hi = d; continue; }
    store<u8>(p + <usize>n, <u8>((hi << 4) | d));
    n++;
    hi = -1;
  }
  return n;
}

/** Write an IPv6 address given in RFC 4291 §2.2 text ("fd00:1::aa", "ff02::1") at p. */
export function putAddr(p: usize, text: string): void {
  memory.fill(p, 0, 16);
  let gap = text.indexOf("::");
  let head = gap < 0 ? text : text.substring(0, gap);
  let tail = gap < 0 ? "" : text.substring(gap + 2);
  let h = head.length > 0 ? head.split(":") : new Array<string>(0);
  let t = tail.length > 0 ? tail.split(":") : new Array<string>(0);
  for (let i = 0; i < h.length; i++) be16(p + <usize>(2 * i), <u32>I32.parseInt(h[i], 16));
  for (let i = 0; i < t.length; i++) {
    be16(p + <usize>(2 * (8 - t.length + i)), <u32>I32.parseInt(t[i], 16));
  }
}

/** A fresh 16-byte buffer holding an address. */
export function addr(text: string): usize {
  let p = heap.alloc(16);
  putAddr(p, text);
  return p;
}

/** A fresh buffer holding hex bytes. */
export function hexBuf(hex: string): usize {
  let p = heap.alloc(<usize>(hex.length / 2 + 16));
  put(p, hex);
  return p;
}

/** The offset of the first byte where a and b differ in n bytes, or -1. */
/** How many times the 32 bytes at p occur anywhere in memory (p's own copy included): a
 *  secret a primitive was to wipe is found wherever it was left. */
export function copies(p: usize): i32 {
  let end = <usize>memory.size() << 16, first = load<u64>(p), count = 0;
  for (let q: usize = 0; q + 32 <= end; q++) {
    if (load<u64>(q) == first && memory.compare(q, p, 32) == 0) count++;
  }
  return count;
}

export function firstDiff(a: usize, b: usize, n: i32): i32 {
  for (let i = 0; i < n; i++) if (load<u8>(a + <usize>i) != load<u8>(b + <usize>i)) return i;
  return -1;
}

/** RFC 1071 over the pseudo-header of the IPv6 packet at ip and its upper-layer message
 *  at ip+off (len bytes). Over a message with its checksum filled in, a right one gives 0. */
export function upperSum(ip: usize, off: i32, len: i32, next: u32): u32 {
  let b = SUM_BUF;
  memory.copy(b, ip + 8, 32);              // source, destination
  be32(b + 32, <u32>len);                  // upper-layer packet length
  be32(b + 36, next);                      // three zero bytes, next header
  memory.copy(b + 40, ip + <usize>off, <usize>len);
  let n = 40 + len;
  if (n & 1) { store<u8>(b + <usize>n, 0); n++; }
  let s: u32 = 0;
  for (let i = 0; i < n; i += 2) s += rd16(b + <usize>i);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return ~s & 0xffff;
}

/** Ethernet II header for IPv6 (ethertype 0x86dd). */
export function eth(f: usize, dstMac: string, srcMac: string): void {
  put(f, dstMac);
  put(f + 6, srcMac);
  be16(f + 12, 0x86dd);
}

/** IPv6 fixed header: version 6, traffic class 0, flow label 0. */
export function ip6(p: usize, plen: i32, next: u32, hops: u32, src: string, dst: string): void {
  be32(p, 0x60000000);
  be16(p + 4, <u32>plen);
  store<u8>(p + 6, <u8>next);
  store<u8>(p + 7, <u8>hops);
  putAddr(p + 8, src);
  putAddr(p + 24, dst);
}

/** Fill in the checksum of the ICMPv6 message right after the fixed header of p. */
export function sealIcmp6(p: usize): void {
  let len = <i32>rd16(p + 4);
  be16(p + 42, 0);
  be16(p + 42, upperSum(p, IP6, len, ICMPV6));
}

/** Neighbor Solicitation (RFC 4861 §4.3), with a source link-layer address option unless
 *  sll is "". Returns the frame's length. */
export function nsFrame(f: usize, dstMac: string, srcMac: string, hops: u32, src: string, dst: string,
  target: string, sll: string): i32 {
  let plen = sll.length > 0 ? 32 : 24;
  eth(f, dstMac, srcMac);
  let p = f + ETH;
  ip6(p, plen, ICMPV6, hops, src, dst);
  let m = p + IP6;
  put(m, "87 00 0000 00000000");           // type 135, code 0, checksum, reserved
  putAddr(m + 8, target);
  if (sll.length > 0) { put(m + 24, "01 01"); put(m + 26, sll); }
  sealIcmp6(p);
  return ETH + IP6 + plen;
}

/** Neighbor Advertisement (RFC 4861 §4.4) with a target link-layer address option. */
export function naFrame(f: usize, dstMac: string, srcMac: string, src: string, dst: string,
  flags: u32, target: string, tll: string): i32 {
  eth(f, dstMac, srcMac);
  let p = f + ETH;
  ip6(p, 32, ICMPV6, 255, src, dst);
  let m = p + IP6;
  put(m, "88 00 0000");                    // type 136, code 0, checksum
  be32(m + 4, flags);
  putAddr(m + 8, target);
  put(m + 24, "02 01");
  put(m + 26, tll);
  sealIcmp6(p);
  return ETH + IP6 + 32;
}

/** ICMPv6 echo request or reply (RFC 4443 §4): type, code 0, identifier, sequence, data. */
export function echoFrame(f: usize, dstMac: string, srcMac: string, hops: u32, src: string, dst: string,
  type: u32, id: u32, seq: u32, data: string): i32 {
  eth(f, dstMac, srcMac);
  let p = f + ETH;
  let m = p + IP6;
  store<u8>(m, <u8>type);
  store<u8>(m + 1, 0);
  be16(m + 4, id);
  be16(m + 6, seq);
  let plen = 8 + put(m + 8, data);
  ip6(p, plen, ICMPV6, hops, src, dst);
  sealIcmp6(p);
  return ETH + IP6 + plen;
}

/** UDP datagram (RFC 768) from port 40000 to 7 with n payload bytes 0, 1, 2, ... */
export function udpFrame(f: usize, dstMac: string, srcMac: string, hops: u32, src: string, dst: string,
  n: i32): i32 {
  eth(f, dstMac, srcMac);
  let p = f + ETH;
  ip6(p, 8 + n, UDP, hops, src, dst);
  let u = p + IP6;
  be16(u, 40000);
  be16(u + 2, 7);
  be16(u + 4, <u32>(8 + n));
  be16(u + 6, 0);
  for (let i = 0; i < n; i++) store<u8>(u + 8 + <usize>i, <u8>i);
  let c = upperSum(p, IP6, 8 + n, UDP);
  be16(u + 6, c == 0 ? 0xffff : c);
  return ETH + IP6 + 8 + n;
}
