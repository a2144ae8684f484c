// The duplicate address detection solicitation (RFC 4862 §5.4.2), the one ND message the
// node sends from no address: an NS for the target from ::, to the target's solicited-node
// group, without a link-layer address option. Always multicast, so it needs no neighbor
// entry and goes straight to the NIC's kernel class. Called by slaac.ts only (nd.ts sends
// every other NS; this file keeps slaac.ts from importing nd.ts).
import { Drop } from "../../abi/drop";
import { drop } from "../stats";
import { pktAlloc, pktData, pktSetLen } from "../pool";
import { addrCopy, solicitedNode, multicastMac } from "../../wire/addr";
import { IP_HDR, NH_ICMPV6, ipEmit } from "../../wire/ipv6";
import { ETH_HDR, ETHERTYPE_IPV6, ethEmit } from "../../wire/ethernet";
import { ICMP_NS, icmpEmit, icmpSeal } from "../../wire/icmpv6";
import { ND_HOP_LIMIT, ND_TARGET, ND_OPTIONS } from "../../wire/nd";
import { nicMac } from "./iface";
import { txPush } from "./egress";

const GROUP: usize = memory.data(16, 8);
const GROUP_MAC: usize = memory.data(8, 8);
const UNSPECIFIED: usize = memory.data(16, 8);

/** A duplicate address detection NS for target on nic (RFC 4862 §5.4.2): from ::, to
 *  target's solicited-node group, without a link-layer address option. */
export function sendDadSolicit(nic: i32, target: usize): void {
  let pkt = pktAlloc();
  if (pkt < 0) { drop(Drop.POOL_EMPTY); return; }
  let p = pktData(pkt);
  solicitedNode(GROUP, target);
  ipEmit(p, ND_OPTIONS, NH_ICMPV6, ND_HOP_LIMIT, UNSPECIFIED, GROUP);
  icmpEmit(p + IP_HDR, ICMP_NS, 0, 0);
  addrCopy(p + IP_HDR + ND_TARGET, target);
  icmpSeal(p, ND_OPTIONS);
  pktSetLen(pkt, IP_HDR + ND_OPTIONS);
  multicastMac(GROUP_MAC, GROUP);
  ethEmit(p - ETH_HDR, GROUP_MAC, nicMac(nic), ETHERTYPE_IPV6);
  txPush(nic, pkt);
}

