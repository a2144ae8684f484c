// The node's NICs: MAC, MTU, kind, counters, and the node's own addresses on each link
// (a link-local address from the MAC, and one address per connected prefix: the prefix
// plus the MAC's EUI-64 for prefixes up to /64, else the prefix's first address).
// Filled at boot from the manifest; read on every packet. No I/O here. What a client
// learns from routers (prefixes, its addresses in them) is in routers.ts and slaac.ts,
// which also chooses the node's source address (sourceFor); the link's ND times are here.
import { NIC_MAX, PREFIX_MAX, ND_REACHABLE_MS, ND_RETRANS_MS } from "../param";
import { linkLocal, eui64, isLinkLocal, prefixMatch, addrCopy } from "../../wire/addr";
import { MAC_LEN } from "../../wire/layout/ethernet";

const MACS: usize = memory.data(NIC_MAX * 8, 8);
const LINK_LOCALS: usize = memory.data(NIC_MAX * 16, 8);
const PFX: usize = memory.data(PREFIX_MAX * 16, 8);       // connected prefixes
const PFX_ADDRS: usize = memory.data(PREFIX_MAX * 16, 8); // the node's address in each

export const nicPresent = new StaticArray<bool>(NIC_MAX);
export const nicMtu = new StaticArray<i32>(NIC_MAX);
export const nicKind = new StaticArray<u8>(NIC_MAX);
/** A TAP NIC whose host answered nic_send_gso -ENOTSUP: its super-frames are cut from then on
 *  (net/output.ts superStep, net/egress.ts sendSuper). */
export const nicNoGso = new StaticArray<bool>(NIC_MAX);
export const rxFrames = new StaticArray<u64>(NIC_MAX);
export const rxBytes = new StaticArray<u64>(NIC_MAX);
export const txFrames = new StaticArray<u64>(NIC_MAX);
export const txBytes = new StaticArray<u64>(NIC_MAX);
export const txErrors = new StaticArray<u64>(NIC_MAX);
export const nicReachableMs = new StaticArray<i64>(NIC_MAX); // BaseReachableTime (RFC 4861 §6.3.2)
export const nicRetransMs = new StaticArray<i64>(NIC_MAX);   // RetransTimer: ND and DAD solicitations

const pfxLen = new StaticArray<u8>(PREFIX_MAX);
const pfxNic = new StaticArray<u8>(PREFIX_MAX);
export let prefixCount: i32 = 0;
export let nicCount: i32 = 0;   // highest NIC id + 1

// @ts-ignore: decorator
@inline export function nicValid(n: i32): bool {
  return <u32>n < <u32>NIC_MAX && unchecked(nicPresent[n]);
}
// @ts-ignore: decorator
@inline export function nicMac(n: i32): usize { return MACS + <usize>(n * 8); }
// @ts-ignore: decorator
@inline export function nicLinkLocal(n: i32): usize { return LINK_LOCALS + <usize>(n * 16); }
// @ts-ignore: decorator
@inline export function prefixAddr(i: i32): usize { return PFX + <usize>(i * 16); }
// @ts-ignore: decorator
@inline export function prefixNodeAddr(i: i32): usize { return PFX_ADDRS + <usize>(i * 16); }
// @ts-ignore: decorator
@inline export function prefixLen(i: i32): i32 { return <i32>unchecked(pfxLen[i]); }
// @ts-ignore: decorator
@inline export function prefixNic(i: i32): i32 { return <i32>unchecked(pfxNic[i]); }

export function nicAdd(n: i32, kind: u8, mtu: i32, mac: usize): void {
  unchecked(nicPresent[n] = true);
  unchecked(nicMtu[n] = mtu);
  unchecked(nicKind[n] = kind);
  memory.copy(nicMac(n), mac, MAC_LEN);
  linkLocal(nicLinkLocal(n), mac);
  unchecked(nicReachableMs[n] = ND_REACHABLE_MS);
  unchecked(nicRetransMs[n] = ND_RETRANS_MS);
  if (n + 1 > nicCount) nicCount = n + 1;
}

/** A router advertised the link's times (RFC 4861 §6.3.4), in ms: 0 leaves one unchanged. */
export function linkTimes(nic: i32, reachable: u32, retrans: u32): void {
  if (reachable != 0) unchecked(nicReachableMs[nic] = <i64>reachable);
  if (retrans != 0) unchecked(nicRetransMs[nic] = <i64>retrans);
}

/** Add a connected prefix; returns its index, or -1 when the table is full. */
export function prefixAdd(nic: i32, addr: usize, len: i32): i32 {
  if (prefixCount >= PREFIX_MAX) return -1;
  let i = prefixCount++;
  addrCopy(prefixAddr(i), addr);
  unchecked(pfxLen[i] = <u8>len);
  unchecked(pfxNic[i] = <u8>nic);
  let a = prefixNodeAddr(i);
  addrCopy(a, addr);
  if (len <= 64) eui64(a, nicMac(nic));
  else store<u8>(a, load<u8>(a, 15) | 1, 15);
  return i;
}

/** The NIC of the connected prefix that contains addr, or -1. Longest prefix wins. */
export function connectedNic(addr: usize): i32 {
  let best = -1, bestLen = -1;
  for (let i = 0; i < prefixCount; i++) {
    let l = prefixLen(i);
    if (l > bestLen && prefixMatch(addr, prefixAddr(i), l)) { best = prefixNic(i); bestLen = l; }
  }
  return best;
}

/** Forget every NIC and prefix (a refused boot). */
export function ifaceReset(): void {
  for (let n = 0; n < NIC_MAX; n++) unchecked(nicPresent[n] = false);
  prefixCount = 0;
  nicCount = 0;
}
