// Why the kernel dropped a packet. Every drop goes through kernel/stats.ts drop(reason),
// which counts it here; `persia status` prints the counters by these names.
// Valid AssemblyScript and TypeScript; Drop.COUNT sizes the counter table.
export enum Drop {
  FRAME_SHORT = 0,       // Ethernet frame shorter than its 14-byte header
  FRAME_OVERSIZE = 1,    // frame longer than the NIC's MTU plus the Ethernet header
  NOT_OUR_MAC = 2,       // unicast frame for another station
  ETHERTYPE_IPV4 = 3,    // IPv4: PersiaOS has no IPv4 path
  ETHERTYPE_OTHER = 4,   // any other ethertype (ARP, VLAN tags, ...)
  IP_SHORT = 5,          // shorter than the 40-byte IPv6 header
  IP_VERSION = 6,        // version field is not 6
  IP_LENGTH = 7,         // payload length disagrees with the frame
  IP_SRC = 8,            // source is multicast, or unspecified where not allowed
  EXT_HEADER = 9,        // an extension header is truncated, misplaced or too many
  FRAGMENT = 10,         // fragments are never reassembled or forwarded
  HOP_LIMIT = 11,        // hop limit reached zero while forwarding
  NO_ROUTE = 12,         // no route to the destination
  TOO_BIG = 13,          // larger than the outgoing MTU
  ND_INVALID = 14,       // neighbor discovery message failed RFC 4861 validity checks
  ICMP_CHECKSUM = 15,    // ICMPv6 checksum wrong
  MULTICAST = 16,        // multicast the node does not subscribe to
  NEIGH_UNRESOLVED = 17, // next hop's link-layer address unknown; one packet is held
  SVC_DOWN = 18,         // destination service is stopped or restarting
  SVC_QUEUE_FULL = 19,   // destination service's receive queue is full
  TXQ_FULL = 20,         // NIC egress queue is full
  NIC_DOWN = 21,         // the host could not send on the NIC
  POOL_EMPTY = 22,       // no free packet buffer
  LINK_LOCAL_FWD = 23,   // link-local source or destination may not be forwarded
  ICMP_RATE = 24,        // ICMPv6 error suppressed by the RFC 4443 rate limit
  SVC_SRC = 25,          // a service sent with a source address it does not own
  SVC_MALFORMED = 26,    // a service sent bytes that are not a valid IPv6 packet (or with hop limit 0)
  PARAM_PROBLEM = 27,    // header field the node cannot process (answered with ICMPv6)
  CTL_MALFORMED = 28,    // a control datagram (abi/control.ts) with a bad checksum, length or header
  CTL_RATE = 29,         // a control message over the node's verify rate, or a chunk's answer over its budget (kernel/param.ts)
  MARTIAN = 30,          // an address that may never be on a link: ::1, ::ffff:0:0/96, :: (but for
                         // address-less ND), or one of the node's own as the source of a packet from outside
  SVC_LINK_CONTROL = 31, // a service sent ND, RA, redirect or MLD, or hop limit 255: the link is the kernel's
  ADDR_TENTATIVE = 32,   // to an address DAD has not yet cleared, or found a duplicate (RFC 4862 §5.4)
  WG_MALFORMED = 33,     // a datagram on a WireGuard NIC that is no WireGuard message (type, length, reserved bytes)
  WG_MAC = 34,           // a handshake message with a wrong mac1, or without a valid mac2 while the node is under load
                         // (then a cookie reply goes back instead of any Diffie-Hellman work)
  WG_HANDSHAKE = 35,     // a handshake message that does not authenticate: unknown peer, failed AEAD, replayed or
                         // old timestamp, a response to no initiation of ours, over the handshake rate
  WG_KEY = 36,           // transport data for no session of ours (unknown receiver index, expired keys)
  WG_AUTH = 37,          // transport data whose Poly1305 tag is wrong (forged, corrupted, wrong key)
  WG_REPLAY = 38,        // transport data with a counter already seen or behind the replay window
  WG_SRC = 39,           // decrypted, but its inner source is not one of the peer's allowed addresses
  WG_NO_PEER = 40,       // to a destination no WireGuard peer of the NIC is allowed (cryptokey routing)
  WG_NO_SESSION = 41,    // waited for a handshake that did not complete (REKEY_ATTEMPT_TIME), or too many did
  BLOCKED = 42,          // matched a filter a block signal installed (issue #15): dropped at ingress
  BLOCK_RELAY = 43,      // a relayed block request that did not authenticate: stale or replayed time, bad
                         // signature, a chain this router does not trust; dropped without an answer
  GSO_BAD = 44,          // a super-frame handed over by k_rx_gso that is not one the kernel takes (spec/abi.md
                         // "Super-frames"): not TCP right after the IPv6 header, lengths that disagree, one segment
                         // only, a segment over the NIC's MTU, more than GSO_SEGS_MAX segments
  COUNT = 45,
}
