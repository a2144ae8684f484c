// The node's source address for a packet it originates (an NS, an ICMPv6 error, an echo
// reply from the node): among its manifest addresses on the NIC and those it learned there
// (slaac.ts), never one under DAD, a duplicate or, given a choice, a deprecated one (RFC
// 4862 §5.4, §5.5.4), ranked as RFC 6724 §5 ranks global sources. Called by nd.ts and
// icmpv6.ts.
import { AddrState, AddrOrigin } from "../../abi/status";
import { addrCopy, isLinkLocal, prefixMatch } from "../../wire/addr";
import { nicLinkLocal, prefixCount, prefixNic, prefixAddr, prefixLen, prefixNodeAddr } from "./iface";
import { addrHigh, acAddr, acNic, acSvc, acState, acOrigin, preferredSource } from "./slaac";

/** The node's learned address on nic best for dst as RFC 6724 §5 ranks sources among
 *  global ones: not deprecated (rule 3), then the longest common prefix with dst (rule 8);
 *  0 if it has none in use. */
export function learnedSource(nic: i32, dst: usize): usize {
  let best = -1, bestScore = -1;
  for (let i = 0; i < addrHigh; i++) {
    if (acNic(i) != nic || acSvc(i) >= 0) continue;
    let st = acState(i);
    if (acOrigin(i) != AddrOrigin.LEARNED || (st != AddrState.PREFERRED && st != AddrState.DEPRECATED)) continue;
    let score = sourceScore(acAddr(i), st == AddrState.PREFERRED, dst);
    if (score > bestScore) { best = i; bestScore = score; }
  }
  return best < 0 ? 0 : acAddr(best);
}

/** RFC 6724 rules 3 and 8 as one number: 256 for an address not deprecated, plus the
 *  length of the prefix it shares with dst. */
export function sourceScore(a: usize, preferred: bool, dst: usize): i32 {
  let hi = bswap<u64>(load<u64>(a)) ^ bswap<u64>(load<u64>(dst));
  let bits = hi != 0 ? <i32>clz(hi) : 64 + <i32>clz(bswap<u64>(load<u64>(a, 8)) ^ bswap<u64>(load<u64>(dst, 8)));
  return (preferred ? 256 : 0) + bits;
}

/** Choose the node's source address for a packet it originates on nic towards dst:
 *  link-local for a link-local destination, else the node's address in a prefix of that
 *  NIC containing dst, else the better (RFC 6724 rules 3 and 8) of its address in the
 *  NIC's first prefix and its best learned one, else link-local. Writes 16 bytes to out. */
export function sourceFor(nic: i32, dst: usize, out: usize): void {
  if (!isLinkLocal(dst)) {
    let first = -1;
    for (let i = 0; i < prefixCount; i++) {
      if (prefixNic(i) != nic || !preferredSource(prefixNodeAddr(i))) continue;
      if (prefixMatch(dst, prefixAddr(i), prefixLen(i))) { addrCopy(out, prefixNodeAddr(i)); return; }
      if (first < 0) first = i;
    }
    let l = learnedSource(nic, dst);
    if (l != 0 && (first < 0 || sourceScore(l, preferredSource(l), dst) > sourceScore(prefixNodeAddr(first), true, dst))) {
      addrCopy(out, l);
      return;
    }
    if (first >= 0) { addrCopy(out, prefixNodeAddr(first)); return; }
  }
  addrCopy(out, nicLinkLocal(nic));
}

