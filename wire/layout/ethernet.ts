// Ethernet II framing as PersiaOS uses it (IEEE 802.3 with a type field, no FCS, no VLAN
// tag) and IPv6 over it (RFC 2464). Layout only: offsets, lengths and type numbers, valid
// AssemblyScript and TypeScript, read by the kernel (wire/ethernet.ts), the hosts' NICs
// and peers, and the tests' frame builders. No code here (spec/wire.md: where the formats are written).
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                Destination MAC (6 bytes)                      |   0
//   +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                               |                               |   4
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+       Source MAC (6 bytes)    +
//   |                                                               |   8
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |           EtherType           |  payload (the IPv6 packet) ...   12, 14

export const ETH_DST = 0;
export const ETH_SRC = 6;
export const ETH_TYPE = 12;
/** The header: what precedes the IPv6 packet in every frame (abi/kernel.ts re-exports it
 *  for k_rx and nic_send). */
export const ETH_HDR = 14;
export const MAC_LEN = 6;

/** The I/G bit of the destination's first byte: set for a group (multicast) address. */
export const MAC_GROUP = 0x01;
/** The U/L bit, flipped in a modified EUI-64 interface identifier (RFC 4291 App. A). */
export const MAC_LOCAL = 0x02;
/** IPv6 multicast goes to 33:33 + the group's low 32 bits (RFC 2464 §7). */
export const MAC_IPV6_GROUP = 0x3333;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;
