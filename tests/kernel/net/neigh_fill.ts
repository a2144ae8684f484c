// What the neighbor-cache specs (neigh.spec.ts, neigh-timers.spec.ts, nd.spec.ts) share: a
// host node (NIC 0, MAC 02:00:00:00:00:01, fd00:1::/64) booted from a manifest, and
// neighbor k — address fd00:1::1:0:k, MAC 02:00:k — written into static buffers so that
// filling the cache with NEIGH_MAX of them allocates nothing.
import { learnFrom } from "../../../kernel/net/nd";
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix } from "../manifest";
import { bootFrom } from "../drive";

export const MAC_N = "02:00:00:00:00:01";
export const NODE = "fd00:1::ff:fe00:1";
const M: usize = memory.data(1024, 16);
const A: usize = memory.data(16, 8);
const MAC: usize = memory.data(8, 8);

/** Boots the host node at time t; returns bootFrom's status (0: booted). */
export function bootHostNode(t: i64): i32 {
  mfStart(M);
  mfNode(0, "n1.test");
  mfNic(0, 1500, MAC_N);
  mfPrefix(0, 64, "fd00:1::");
  return bootFrom(M, mfEnd(), t);
}

/** The address fd00:1::/64 with interface id iid, in a static buffer (the next call reuses it). */
export function onLink(iid: u64): usize {
  store<u64>(A, bswap<u64>(0xfd00000100000000));
  store<u64>(A, bswap<u64>(iid), 8);
  return A;
}

/** Neighbor k: fd00:1::1:0:k (k below 2^32), and its MAC 02:00:k in neighborMac(). */
export function neighbor(k: i32): usize {
  store<u16>(MAC, 0x0002);
  store<u32>(MAC, bswap<u32>(<u32>k), 2);
  return onLink(0x0000000100000000 | <u64><u32>k);
}

/** The MAC of the neighbor the last neighbor(k) wrote. */
export function neighborMac(): usize { return MAC; }

/** Neighbor k learnt on NIC 0 (as from a solicitation's source link-layer option). */
export function learn(k: i32): void { learnFrom(0, neighbor(k), MAC); }
