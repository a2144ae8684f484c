// Neighbor discovery messages (layout/nd.ts) over raw memory: finding an option in a
// received message (a walk that checks every option's length once), and the builders of
// what the kernel sends: NS and NA with a link-layer address option, the RA header and its
// link-layer, MTU and prefix options. Each builder writes every byte of what it covers; the
// caller seals the checksum (wire/icmpv6.ts icmpSeal). It makes no policy (which messages
// are valid to act on is the kernel's: net/nd.ts, net/ra.ts). AssemblyScript.
import { ld8, st8, st16, st32 } from "./bytes";
import { addrCopy, macCopy } from "./addr";
import { icmpEmit } from "./icmpv6";
import { ICMP_RA, ICMP_RS } from "./layout/icmpv6";
import { NDOPT_TYPE, NDOPT_LEN, NDOPT_UNIT, NDOPT_DATA, ND_TARGET, ND_OPTIONS, LLA_MAC, LLA_LEN, NDOPT_MTU,
  NDOPT_PREFIX, MTUOPT_RESERVED, MTUOPT_MTU, MTUOPT_LEN, PI_PREFIX_LEN, PI_FLAGS, PI_VALID,
  PI_PREFERRED, PI_RESERVED, PI_PREFIX, PI_LEN, RA_CUR_HOP_LIMIT, RA_FLAGS, RA_ROUTER_LIFETIME,
  RA_REACHABLE_TIME, RA_RETRANS_TIMER, RS_OPTIONS, NDOPT_SLLA } from "./layout/nd";
export * from "./layout/nd";

/** The length of an NS or NA with one link-layer address option. */
export const ND_LLA_MSG = ND_OPTIONS + LLA_LEN;

/** The first option of a type among the options at m+start..m+len, at least min bytes
 *  long: its address, 0 if absent, -1 if any option is malformed (a zero length, or one
 *  running past the end, §4.6): every option is checked, whichever is found. */
export function ndOption(m: usize, len: i32, start: i32, type: u32, min: i32): isize {
  let found: isize = 0;
  for (let o = start; o < len;) {
    if (o + NDOPT_DATA > len) return -1;
    let olen = <i32>ld8(m + o + NDOPT_LEN) * NDOPT_UNIT;
    if (olen == 0 || o + olen > len) return -1;
    if (found == 0 && ld8(m + o + NDOPT_TYPE) == type && olen >= min) found = <isize>(m + o);
    o += olen;
  }
  return found;
}

/** The link-layer address option of a type among the options at m+start..m+len: the
 *  address of its MAC (the option + LLA_MAC), 0 if absent, -1 if the options are malformed
 *  (a zero length or running past the end, §4.6). */
export function ndFindOption(m: usize, len: i32, start: i32, type: u32): isize {
  let o = ndOption(m, len, start, type, LLA_LEN);
  return o <= 0 ? o : o + LLA_MAC;
}

/** The option after the one at o (whose length was checked by ndOption). */
export function ndNextOption(o: usize): usize { return o + <usize>(ld8(o + NDOPT_LEN) * NDOPT_UNIT); }

/** Write an option header at o (type, length in units); returns where the next one goes. */
function option(o: usize, type: u32, len: i32): usize {
  st8(o + NDOPT_TYPE, type);
  st8(o + NDOPT_LEN, <u32>(len / NDOPT_UNIT));
  return o + <usize>len;
}

/** A link-layer address option of type (NDOPT_SLLA or NDOPT_TLLA) with mac at o; returns
 *  the end. */
export function llaOption(o: usize, type: u32, mac: usize): usize {
  macCopy(o + LLA_MAC, mac);
  return option(o, type, LLA_LEN);
}

/** An MTU option at o; returns the end. */
export function mtuOption(o: usize, mtu: u32): usize {
  st16(o + MTUOPT_RESERVED, 0);
  st32(o + MTUOPT_MTU, mtu);
  return option(o, NDOPT_MTU, MTUOPT_LEN);
}

/** A prefix information option at o for the prefix (16 bytes) of len bits; returns the end. */
export function prefixOption(o: usize, prefix: usize, len: i32, flags: u32, valid: u32, preferred: u32): usize {
  st8(o + PI_PREFIX_LEN, <u32>len);
  st8(o + PI_FLAGS, flags);
  st32(o + PI_VALID, valid);
  st32(o + PI_PREFERRED, preferred);
  st32(o + PI_RESERVED, 0);
  addrCopy(o + PI_PREFIX, prefix);
  return option(o, NDOPT_PREFIX, PI_LEN);
}

/** An NS (type ICMP_NS, flags 0) or NA (ICMP_NA with its flags) for target at m, with one
 *  link-layer address option of type opt carrying mac: ND_LLA_MSG bytes, checksum 0. */
export function ndEmit(m: usize, type: u32, flags: u32, target: usize, opt: u32, mac: usize): void {
  icmpEmit(m, type, 0, flags);
  addrCopy(m + ND_TARGET, target);
  llaOption(m + ND_OPTIONS, opt, mac);
}

/** A Router Solicitation at m, with a source link-layer address option for mac unless mac
 *  is 0 (sent from ::, RFC 4861 §4.1); returns its length. Checksum 0. */
export function rsEmit(m: usize, mac: usize): i32 {
  icmpEmit(m, ICMP_RS, 0, 0);
  if (mac == 0) return RS_OPTIONS;
  llaOption(m + RS_OPTIONS, NDOPT_SLLA, mac);
  return RS_OPTIONS + LLA_LEN;
}

/** The RA's header at m (options follow at RA_OPTIONS), checksum 0. */
export function raEmit(m: usize, curHopLimit: u32, flags: u32, lifetime: u32, reachable: u32, retrans: u32): void {
  icmpEmit(m, ICMP_RA, 0, 0);
  st8(m + RA_CUR_HOP_LIMIT, curHopLimit);
  st8(m + RA_FLAGS, flags);
  st16(m + RA_ROUTER_LIFETIME, lifetime);
  st32(m + RA_REACHABLE_TIME, reachable);
  st32(m + RA_RETRANS_TIMER, retrans);
}
