// IPv6 addresses as 16 bytes in memory (RFC 4291): compare, copy, prefix match, and the
// address classes the kernel must recognise. Also the MAC-derived forms (EUI-64, link-
// local, solicited-node multicast and its Ethernet group). No text parsing: the kernel
// only ever sees binary addresses; hosts and the manifest compiler do the text.
// AssemblyScript over raw memory; used by the kernel and the service SDK alike.
import { MAC_IPV6_GROUP, MAC_LOCAL } from "./layout/ethernet";

// @ts-ignore: decorator
@inline export function addrEq(a: usize, b: usize): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8);
}

// @ts-ignore: decorator
@inline export function addrCopy(dst: usize, src: usize): void {
  store<u64>(dst, load<u64>(src));
  store<u64>(dst, load<u64>(src, 8), 8);
}

/** Do the first len bits of a and p agree? len 0..128. */
export function prefixMatch(a: usize, p: usize, len: i32): bool {
  if (len <= 0) return true;
  let ah = bswap<u64>(load<u64>(a));
  let ph = bswap<u64>(load<u64>(p));
  if (len <= 64) {
    let m = ~(<u64>0) << <u64>(64 - len);
    return (ah & m) == (ph & m);
  }
  if (ah != ph) return false;
  let m = ~(<u64>0) << <u64>(128 - len);
  return (bswap<u64>(load<u64>(a, 8)) & m) == (bswap<u64>(load<u64>(p, 8)) & m);
}

export function isMulticast(a: usize): bool { return load<u8>(a) == 0xff; }
export function isLinkLocal(a: usize): bool {  // fe80::/10
  return load<u8>(a) == 0xfe && (load<u8>(a, 1) & 0xc0) == 0x80;
}
export function isUnspecified(a: usize): bool { return load<u64>(a) == 0 && load<u64>(a, 8) == 0; }
export function isLoopback(a: usize): bool {   // ::1
  return load<u64>(a) == 0 && bswap<u64>(load<u64>(a, 8)) == 1;
}
/** ::ffff:0:0/96, an IPv4 address mapped into IPv6 (RFC 4291 §2.5.5.2): a socket API
 *  form that must never appear in a packet. */
export function isV4Mapped(a: usize): bool {
  return load<u64>(a) == 0 && load<u32>(a, 8) == 0xffff0000;
}
/** ff02::1 all-nodes */
export function isAllNodes(a: usize): bool {
  return bswap<u64>(load<u64>(a)) == 0xff02000000000000 && bswap<u64>(load<u64>(a, 8)) == 1;
}
/** ff02::2 all-routers */
export function isAllRouters(a: usize): bool {
  return bswap<u64>(load<u64>(a)) == 0xff02000000000000 && bswap<u64>(load<u64>(a, 8)) == 2;
}
/** A solicited-node group: ff02::1:ff00:0/104 (RFC 4291 §2.7.1) */
export function isSolicitedNode(a: usize): bool {
  return bswap<u64>(load<u64>(a)) == 0xff02000000000000 &&
    (bswap<u64>(load<u64>(a, 8)) & 0xffffffffff000000) == 0x00000001ff000000;
}
/** Is a the solicited-node group of target? */
export function isSolicitedFor(a: usize, target: usize): bool {
  return isSolicitedNode(a) && load<u8>(a, 13) == load<u8>(target, 13) &&
    load<u16>(a, 14) == load<u16>(target, 14);
}

/** dst = ff02::1:ff + low 24 bits of target */
export function solicitedNode(dst: usize, target: usize): void {
  store<u64>(dst, bswap<u64>(0xff02000000000000));
  store<u64>(dst, bswap<u64>(0x00000001ff000000), 8);
  store<u8>(dst, load<u8>(target, 13), 13);
  store<u16>(dst, load<u16>(target, 14), 14);
}

/** Ethernet group for an IPv6 multicast address: 33:33 + its low 32 bits (RFC 2464 §7). */
export function multicastMac(dst: usize, group: usize): void {
  store<u16>(dst, bswap<u16>(<u16>MAC_IPV6_GROUP));
  store<u32>(dst, load<u32>(group, 12), 2);
}

/** Modified EUI-64 interface identifier of a 48-bit MAC (RFC 4291 App. A) into dst[8..16). */
export function eui64(dst: usize, mac: usize): void {
  store<u8>(dst, load<u8>(mac) ^ <u8>MAC_LOCAL, 8);
  store<u8>(dst, load<u8>(mac, 1), 9);
  store<u8>(dst, load<u8>(mac, 2), 10);
  store<u8>(dst, 0xff, 11);
  store<u8>(dst, 0xfe, 12);
  store<u8>(dst, load<u8>(mac, 3), 13);
  store<u8>(dst, load<u8>(mac, 4), 14);
  store<u8>(dst, load<u8>(mac, 5), 15);
}

/** fe80::/64 + EUI-64 of mac */
export function linkLocal(dst: usize, mac: usize): void {
  store<u64>(dst, bswap<u64>(0xfe80000000000000));
  eui64(dst, mac);
}

export function macEq(a: usize, b: usize): bool {
  return load<u32>(a) == load<u32>(b) && load<u16>(a, 4) == load<u16>(b, 4);
}
export function macCopy(dst: usize, src: usize): void {
  store<u32>(dst, load<u32>(src));
  store<u16>(dst, load<u16>(src, 4), 4);
}
