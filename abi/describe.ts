// Person-readable texts for the ABI's numbers: what `persia` prints. TypeScript only;
// the numbers themselves stay in the enum files.
import { Errno } from "./errno";
import { Drop } from "./drop";
import { Fault, SvcState } from "./kernel";
import { FaultReason } from "./image";

export const ERRNO_TEXT: Record<Errno, string> = {
  [Errno.OK]: "success",
  [Errno.EPERM]: "the capability does not grant this right",
  [Errno.ENOENT]: "no such service, address, name or capability",
  [Errno.EBADF]: "not a live capability handle of this service",
  [Errno.EINVAL]: "malformed argument",
  [Errno.EAGAIN]: "not now: try again (nothing to receive yet, or a control message without its address's cookie)",
  [Errno.EMSGSIZE]: "packet larger than the path MTU (PersiaOS never fragments)",
  [Errno.ENOSPC]: "a fixed table or queue is full",
  [Errno.EFAULT]: "pointer or range outside the service's memory",
  [Errno.EHOSTUNREACH]: "no route to the destination",
  [Errno.EADDRNOTAVAIL]: "source address is not one the service owns",
  [Errno.ERANGE]: "offset or length outside the granted extent",
  [Errno.EIO]: "the device reported an I/O error",
  [Errno.ENOSYS]: "no such syscall",
  [Errno.EBADMSG]: "malformed boot manifest record",
  [Errno.EEXIST]: "name or address already taken",
  [Errno.ENODEV]: "no such NIC or disk",
  [Errno.EACCES]: "not signed by a user allowed to act on this domain",
  [Errno.ESTALE]: "an old epoch or sequence number (a replayed control message)",
  [Errno.EDQUOT]: "the mins do not fit what the node has left (admission), or over a user's quota",
  [Errno.ENOTSUP]: "this host cannot do that",
  [Errno.ETIMEDOUT]: "the USB transfer did not finish within its timeout",
  [Errno.EPIPE]: "the USB endpoint stalled",
  [Errno.ECANCELED]: "the USB transfer was cancelled",
  [Errno.EOVERFLOW]: "the USB device sent more than was asked for",
};

export const DROP_TEXT: Record<Drop, string> = {
  [Drop.FRAME_SHORT]: "frame shorter than an Ethernet header",
  [Drop.FRAME_OVERSIZE]: "frame larger than the NIC MTU",
  [Drop.NOT_OUR_MAC]: "unicast frame for another station",
  [Drop.ETHERTYPE_IPV4]: "IPv4 (no IPv4 path, by design)",
  [Drop.ETHERTYPE_OTHER]: "not an IPv6 ethertype",
  [Drop.IP_SHORT]: "shorter than an IPv6 header",
  [Drop.IP_VERSION]: "IP version is not 6",
  [Drop.IP_LENGTH]: "payload length disagrees with the frame",
  [Drop.IP_SRC]: "invalid source address",
  [Drop.EXT_HEADER]: "malformed extension headers",
  [Drop.FRAGMENT]: "fragment (never reassembled)",
  [Drop.HOP_LIMIT]: "hop limit exceeded",
  [Drop.NO_ROUTE]: "no route to destination",
  [Drop.TOO_BIG]: "larger than the outgoing MTU",
  [Drop.ND_INVALID]: "invalid neighbor discovery message",
  [Drop.ICMP_CHECKSUM]: "bad ICMPv6 checksum",
  [Drop.MULTICAST]: "multicast group not joined",
  [Drop.NEIGH_UNRESOLVED]: "next hop not resolved",
  [Drop.SVC_DOWN]: "destination service is down",
  [Drop.SVC_QUEUE_FULL]: "destination service queue full",
  [Drop.TXQ_FULL]: "NIC transmit queue full",
  [Drop.NIC_DOWN]: "NIC send failed",
  [Drop.POOL_EMPTY]: "no free packet buffer",
  [Drop.LINK_LOCAL_FWD]: "link-local address not forwarded",
  [Drop.ICMP_RATE]: "ICMPv6 error rate-limited",
  [Drop.SVC_SRC]: "service used a source address it does not own",
  [Drop.SVC_MALFORMED]: "service sent a malformed packet",
  [Drop.PARAM_PROBLEM]: "header the node cannot process",
  [Drop.CTL_MALFORMED]: "malformed control message",
  [Drop.CTL_RATE]: "control message over the verify rate limit, or chunk answer over its budget",
  [Drop.MARTIAN]: "address that may never be on a link (::1, IPv4-mapped, ::, or the node's own as source)",
  [Drop.SVC_LINK_CONTROL]: "service sent ND, RA, redirect, MLD or hop limit 255 (the kernel's alone)",
  [Drop.ADDR_TENTATIVE]: "to an address not yet cleared by DAD, or a duplicate",
  [Drop.WG_MALFORMED]: "not a WireGuard message (type, length or reserved bytes)",
  [Drop.WG_MAC]: "WireGuard handshake with a wrong mac1, or no valid mac2 under load (a cookie was sent)",
  [Drop.WG_HANDSHAKE]: "WireGuard handshake that does not authenticate, is replayed, or is over the rate",
  [Drop.WG_KEY]: "WireGuard data for no current session (unknown index or expired keys)",
  [Drop.WG_AUTH]: "WireGuard data whose authentication tag is wrong",
  [Drop.WG_REPLAY]: "WireGuard data replayed or behind the replay window",
  [Drop.WG_SRC]: "WireGuard peer sent from an address it is not allowed (cryptokey routing)",
  [Drop.WG_NO_PEER]: "no WireGuard peer is allowed the destination",
  [Drop.WG_NO_SESSION]: "no WireGuard session: the handshake did not complete",
  [Drop.BLOCK_RELAY]: "a relayed block request that did not authenticate (stale, replayed, forged or untrusted)",
  [Drop.BLOCKED]: "matched a block filter (a signed block signal from the address's holder)",
  [Drop.GSO_BAD]: "a super-frame from the host that is no TCP super-frame the kernel takes",
  [Drop.COUNT]: "",
};

export const FAULT_TEXT: Record<Fault, string> = {
  [Fault.NONE]: "none",
  [Fault.TRAP]: "trapped",
  [Fault.STACK]: "call stack exhausted",
  [Fault.MEMORY]: "out of memory (RAM max reached)",
  [Fault.INSTANTIATE]: "could not be instantiated",
  [Fault.BAD_MODULE]: "module refused by the loader",
  [Fault.FUEL]: "ran out of fuel (its CPU budget for one call)",
};

export const STATE_TEXT: Record<SvcState, string> = {
  [SvcState.EMPTY]: "empty",
  [SvcState.RUNNING]: "running",
  [SvcState.RESTARTING]: "restarting",
  [SvcState.FAILED]: "failed",
};

/** Why a contained service stopped in a wasmtime image (loader/instrument/contain.ts). */
export const FAULT_REASON_TEXT: Record<FaultReason, string> = {
  [FaultReason.UNREACHABLE]: "unreachable executed",
  [FaultReason.OOB]: "memory access out of bounds",
  [FaultReason.DIV_ZERO]: "integer divide by zero",
  [FaultReason.INT_OVERFLOW]: "integer overflow (INT_MIN / -1)",
  [FaultReason.CONVERSION]: "invalid conversion of a float to an integer",
  [FaultReason.INDIRECT]: "call_indirect to an empty slot, past the table, or a function signature mismatch",
  [FaultReason.STACK]: "its stack budget is spent (call stack exhausted)",
  [FaultReason.ABORT]: "it called abort()",
  [FaultReason.FUEL]: "it used its fuel budget in one call (a runaway loop)",
};

/** "-6" → "EMSGSIZE (packet larger than …)" */
export function errnoText(code: number): string {
  const e = -code as Errno;
  return `${Errno[e] ?? "E?" + code} (${ERRNO_TEXT[e] ?? "unknown error"})`;
}
