// The status snapshot the kernel writes into Buf.STATUS on k_status(): the same
// header-and-records shape as the boot manifest (abi/manifest.ts). Hosts decode it for
// `persia status` and metrics. Little-endian. Valid AssemblyScript and TypeScript.
//
//   header  0 u32 magic "PRST"   4 u16 version   6 u16 record count
//   record  0 u8 type            1 u8 0          2 u16 body length   4 body...

export const ST_MAGIC = 0x54535250; // "PRST" read as u32 LE
export const ST_VERSION = 9;        // 2: SVC records carry the fuel counter; 3: NODE the control counters;
                                    // 4: ADDR, LEARNED and ROUTER records (issue #20); 5: WG_PEER (issue #13);
                                    // 6: IDENTITY, CERT, FILTERS and FILTER (issue #15); 7: NODE's flags (issue #14);
                                    // 8: USB (issue #16); 9: service ids are u16 (SVC_MAX 1024), and
                                    //    NODE's u32 route and neighbor counts (issue #17)

export enum St {
  NODE = 1,
  DROPS = 2,
  NIC = 3,
  SVC = 4,
  ROUTE = 5,
  NEIGH = 6,
  CLASS = 7,
  GRANT = 8,
  DISK_GRANT = 9,
  ADDR = 10,       // an address of the node or a service that DAD checks or a prefix gave (issue #20)
  LEARNED = 11,    // a prefix learned from router advertisements (issue #20)
  ROUTER = 12,     // a router on the default router list (issue #20)
  WG_PEER = 13,    // a WireGuard peer of a WIREGUARD NIC (issue #13)
  IDENTITY = 14,   // the node's ed25519 public key (issue #15)
  CERT = 15,       // a certificate the node issued, or one of its own from upstream (issue #15)
  FILTERS = 16,    // the block filters' counters (issue #15)
  FILTER = 17,     // an active block filter, the first FILTER_STATUS_MAX of them (issue #15)
  USB = 18,        // a USB device of the manifest (issue #16)
}

// NODE: now ms i64, role u8, 0 u8, nics u8, flags u8 (SN_*), routes u16 (at most 65,535),
//       free buffers u16, ICMPv6 errors sent u64, control messages acted on u64, refused with
//       an answer u64, services u16 (the highest service id + 1), 0 u16, routes u32, neighbor
//       cache entries u32: the tables' true sizes, of which the ROUTE and NEIGH records that
//       follow may hold only some (the snapshot is cut to fit the buffer), 0 u32
export const SN_NOW = 0;
export const SN_ROLE = 8;
export const SN_SVCS = 40;
export const SN_NICS = 10;
export const SN_FLAGS = 11;
export const SN_SIGNED_MODULES = 1; // flag: the node checks modules' signatures (PUBLISHER records, issue #14)
export const SN_ROUTES = 12;
export const SN_FREE = 14;
export const SN_ICMP_ERRORS = 16;
export const SN_CTL_ACCEPTED = 24;
export const SN_CTL_REFUSED = 32;
export const SN_ROUTE_COUNT = 44;
export const SN_NEIGH_COUNT = 48;
export const SN_SIZE = 56;

// DROPS: one u64 per Drop reason, Drop.COUNT of them

// NIC: id u8, kind u8, mtu u16, mac[6], txq depth u16,
//      rx frames, rx bytes, tx frames, tx bytes, send errors, router advertisements sent
//      (u64 each)
export const SI_ID = 0;
export const SI_KIND = 1;
export const SI_MTU = 2;
export const SI_MAC = 4;
export const SI_TXQ = 10;
export const SI_RX_FRAMES = 12;
export const SI_RX_BYTES = 20;
export const SI_TX_FRAMES = 28;
export const SI_TX_BYTES = 36;
export const SI_TX_ERRORS = 44;
export const SI_RA_SENT = 52;
export const SI_SIZE = 60;

// SVC: id u16, state u8 (SvcState), last fault u8 (Fault), restarts u16,
//      rx queue depth u16, rx packets u64, tx packets u64, faults u64,
//      send refusals u64, fuel units consumed u64, name length u8, name bytes
export const SS_ID = 0;
export const SS_STATE = 2;
export const SS_FAULT = 3;
export const SS_RESTARTS = 4;
export const SS_QUEUE = 6;
export const SS_RX = 8;
export const SS_TX = 16;
export const SS_FAULTS = 24;
export const SS_REFUSED = 32;
export const SS_FUEL = 40;
export const SS_NAME_LEN = 48;
export const SS_NAME = 49;

// ROUTE: kind u8 (RouteKind), length u8, nic u8, 0 u8, prefix[16], via[16], service u16, 0 u16
export const SR_KIND = 0;
export const SR_LEN = 1;
export const SR_NIC = 2;
export const SR_SVC = 36;
export const SR_PREFIX = 4;
export const SR_VIA = 20;
export const SR_SIZE = 40;

export enum RouteKind {
  SERVICE = 0,   // a service's own address (/128): deliver locally
  LOCAL = 1,     // one of the node's own addresses: the kernel answers
  CONNECTED = 2, // a prefix on a NIC's link: resolve the destination itself
  STATIC = 3,    // a static route through a gateway (or on-link if via is ::)
}

// NEIGH: nic u8, state u8, mac[6], address[16]
export const SG_NIC = 0;
export const SG_STATE = 1;
export const SG_MAC = 2;
export const SG_ADDR = 8;
export const SG_SIZE = 24;

export enum NeighState {
  INCOMPLETE = 0,  // address resolution in progress; one packet held
  REACHABLE = 1,   // confirmed within ReachableTime
  STALE = 2,       // not confirmed lately; used, then probed
  DELAY = 3,       // used while STALE; probe after DELAY_FIRST_PROBE_TIME
  PROBE = 4,       // unicast solicitations until confirmed or given up
}

// CLASS: an egress class of a NIC that has rates or has carried traffic (kernel/net/egress.ts).
//   nic u8, 0 u8, queue u16, class u16 (EgressClass.KERNEL, FORWARD, or SERVICE + service id),
//   0 u16, min bit/s u64, max bit/s u64 (0: unlimited), bytes sent u64, frames dropped u64
export const SC_NIC = 0;
export const SC_CLASS = 4;
export const SC_QUEUE = 2;
export const SC_MIN = 8;
export const SC_MAX = 16;
export const SC_BYTES = 24;
export const SC_DROPS = 32;
export const SC_SIZE = 40;

export enum EgressClass {
  KERNEL = 0,    // the kernel's own packets: ND, RAs, ICMPv6 errors
  FORWARD = 1,   // forwarded traffic
  SERVICE = 2,   // + service id
}

// GRANT: what a service was granted and uses of CPU, and its RAM grant (issue #5).
//   svc u16, cpu min permille u16, cpu max permille u16, 0 u16,
//   fuel used this CPU period u64, RAM min pages u32, RAM max pages u32
export const SGR_SVC = 0;
export const SGR_CPU_MIN = 2;
export const SGR_CPU_MAX = 4;
export const SGR_CPU_USED = 8;
export const SGR_RAM_MIN = 16;
export const SGR_RAM_MAX = 20;
export const SGR_SIZE = 24;

// DISK_GRANT: a live DISK capability of a service: its extent and rights (abi/caps.ts).
//   svc u16, disk u8, rights u8, 0 u32, offset u64, length u64
export const SDG_SVC = 0;
export const SDG_DISK = 2;
export const SDG_RIGHTS = 3;
export const SDG_OFFSET = 8;
export const SDG_LENGTH = 16;
export const SDG_SIZE = 24;

// ADDR: an address of the node (svc SAD_NODE) or of a service on a NIC that runs DAD or
// takes configuration from RAs, with its RFC 4862 state and what is left of its lifetimes
// (in seconds; LIFETIME_INFINITE for a manifest-given address).
//   nic u8, state u8 (AddrState), origin u8 (AddrOrigin), 0 u8, preferred left u32 s,
//   valid left u32 s, DAD solicitations still to send u8, DAD counter u8 (RFC 7217), svc u16,
//   address[16]
export const SAD_NIC = 0;
export const SAD_STATE = 1;
export const SAD_ORIGIN = 2;
export const SAD_SVC = 14;
export const SAD_PREFERRED = 4;
export const SAD_VALID = 8;
export const SAD_DAD_LEFT = 12;
export const SAD_DAD_COUNTER = 13;
export const SAD_ADDR = 16;
export const SAD_SIZE = 32;
export const SAD_NODE = 0xffff;
export const LIFETIME_INFINITE = 0xffffffff;  // RFC 4861 §4.6.2: all ones is infinity

export enum AddrState {
  TENTATIVE = 0,   // DAD in progress: not used, packets to it dropped (RFC 4862 §5.4)
  PREFERRED = 1,   // in use
  DEPRECATED = 2,  // preferred lifetime over: answered, but not a source for new traffic (§5.5.4)
  DUPLICATE = 3,   // DAD found another holder: never used (§5.4.5)
}

export enum AddrOrigin {
  LINK_LOCAL = 0,  // the NIC's link-local address (from its MAC)
  MANIFEST = 1,    // given in the manifest
  LEARNED = 2,     // formed in a prefix from a router advertisement (SLAAC)
}

// LEARNED: a prefix on the prefix list of a NIC (RFC 4861 §6.3.4, RFC 4862 §5.5.3).
//   nic u8, length u8, flags u8 (PI_ON_LINK | PI_AUTONOMOUS of wire/layout/nd.ts), 0 u8,
//   valid left u32 s, preferred left u32 s, 0 u32, prefix[16]
export const SLP_NIC = 0;
export const SLP_LEN = 1;
export const SLP_FLAGS = 2;
export const SLP_VALID = 4;
export const SLP_PREFERRED = 8;
export const SLP_PREFIX = 16;
export const SLP_SIZE = 32;

// ROUTER: a router on a NIC's default router list (RFC 4861 §6.3.4, §6.3.6), with what it
// advertised last.
//   nic u8, chosen u8 (1: the default router now), MTU u16 (0: none advertised),
//   lifetime left u32 s, reachable time u32 ms, retrans timer u32 ms, address[16]
export const SRT_NIC = 0;
export const SRT_CHOSEN = 1;
export const SRT_MTU = 2;
export const SRT_LIFETIME = 4;
export const SRT_REACHABLE = 8;
export const SRT_RETRANS = 12;
export const SRT_ADDR = 16;
export const SRT_SIZE = 32;

// WG_PEER: a WireGuard peer. state: WgState. Handshake is the kernel time (ms) of the last
// completed handshake, -1 never. The endpoint is the one packets go to now (the source of
// the last authenticated datagram, or the manifest's): :: and port 0, none yet. The NIC's
// private key is never in status.
//   nic u8, peer u8, state u8, 0 u8, endpoint port u16, keepalive u16 s,
//   public key[32], endpoint[16], last handshake ms i64,
//   rx bytes, rx packets, tx bytes, tx packets, handshakes completed (u64 each)
export const SW_NIC = 0;
export const SW_PEER = 1;
export const SW_STATE = 2;
export const SW_PORT = 4;
export const SW_KEEPALIVE = 6;
export const SW_KEY = 8;
export const SW_ENDPOINT = 40;
export const SW_HANDSHAKE = 56;
export const SW_RX_BYTES = 64;
export const SW_RX_PACKETS = 72;
export const SW_TX_BYTES = 80;
export const SW_TX_PACKETS = 88;
export const SW_HANDSHAKES = 96;
export const SW_SIZE = 104;

export enum WgState {
  IDLE = 0,        // no session, no handshake under way
  HANDSHAKE = 1,   // an initiation was sent; waiting for the response
  UP = 2,          // a session: packets flow
}

// IDENTITY: the node's ed25519 public key (all zero: the manifest gave none), and how many
// TRUST records it holds.
//   public key[32], trusted keys u8, own certificates u8, 0 u16
export const SY_KEY = 0;
export const SY_TRUST = 32;
export const SY_CERTS = 33;
export const SY_SIZE = 36;

// CERT: a certificate the node issued (origin SERVICE or HOST) or holds (NODE). not_after
// is Unix time in seconds. svc: the service whose address it is, or SCT_NO_SVC.
//   origin u8 (CertOrigin), length u8, svc u16, not after u64,
//   address or prefix[16], holder key[32], issuer key[32]
export const SCT_ORIGIN = 0;
export const SCT_LEN = 1;
export const SCT_SVC = 2;
export const SCT_NOT_AFTER = 4;
export const SCT_PREFIX = 12;
export const SCT_HOLDER = 28;
export const SCT_ISSUER = 60;
export const SCT_SIZE = 92;
export const SCT_NO_SVC = 0xffff;

export enum CertOrigin {
  SERVICE = 0,   // issued for a service's address, to its owner's key
  HOST = 1,      // issued to a host on a link that asked (Op.CERT)
  NODE = 2,      // the node's own, from an upstream router (NODE_CERT)
}

// FILTERS: the block filters. Counters since boot (u64 each): installed (new filters),
// refreshed (a BLOCK for a filter already there), expired, removed (UNBLOCK), refused
// (BLOCK or UNBLOCK refused), relays sent toward sources' routers, relays accepted.
//   active u32, holders u32 (keys with state), then the seven counters
export const SF_ACTIVE = 0;
export const SF_HOLDERS = 4;
export const SF_INSTALLED = 8;
export const SF_REFRESHED = 16;
export const SF_EXPIRED = 24;
export const SF_REMOVED = 32;
export const SF_REFUSED = 40;
export const SF_RELAYED = 48;
export const SF_RELAYS_IN = 56;
export const SF_SIZE = 64;

// FILTER: one active filter. Expires is kernel time (ms). The status holds the first
// FILTER_STATUS_MAX; FILTERS counts them all.
//   dst[16], source prefix[16], source length u8, protocol u8, port u16, expires ms i64
export const SFL_DST = 0;
export const SFL_SRC = 16;
export const SFL_SRC_LEN = 32;
export const SFL_PROTO = 33;
export const SFL_PORT = 34;
export const SFL_EXPIRES = 36;
export const SFL_SIZE = 44;
export const FILTER_STATUS_MAX = 64;

// USB: a USB device the manifest names (issue #16, kernel/svc/usb.ts), one record each.
//   id u8, flags u8 (SU_PRESENT), 0 u8,
//   transfers in flight u8 (at the host, or completed and not yet read),
//   vendor u16, product u16 (of the last descriptors the kernel took; 0 before any),
//   transfers completed u64, of which with an error status u64, completions for no
//   transfer in flight u64 (ignored), attaches refused (descriptors that lie) u64,
//   ATTACH/DETACH events dropped from a full queue u64, holder u16 (the service granted it;
//   SU_NONE: none), 0 u16[3]
export const SU_ID = 0;
export const SU_FLAGS = 1;
export const SU_INFLIGHT = 3;
export const SU_VENDOR = 4;
export const SU_PRODUCT = 6;
export const SU_TRANSFERS = 8;
export const SU_ERRORS = 16;
export const SU_LATE = 24;
export const SU_REFUSED = 32;
export const SU_COALESCED = 40;
export const SU_HOLDER = 48;
export const SU_SIZE = 56;
export const SU_PRESENT = 1;     // flag: attached, and its descriptors were taken
export const SU_NONE = 0xffff;    // holder: granted to no service
