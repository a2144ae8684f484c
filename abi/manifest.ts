// The binary boot manifest: what `persia build`/`persia run` compile a YAML manifest
// into, and the only configuration the kernel reads (it parses no YAML).
// Little-endian. Header, then records; each record is type, length, body. The kernel
// checks every length before it reads a field. Valid AssemblyScript and TypeScript.
// Layout and field meanings: spec/manifest.md.
//
//   header  0 u32 magic "PRSA"   4 u16 version   6 u16 record count
//   record  0 u8 type            1 u8 0          2 u16 body length   4 body...

export const MF_MAGIC = 0x41535250; // "PRSA" read as u32 LE
export const MF_VERSION = 2;       // 2: service ids are u16 (SVC_MAX 1024, issue #17)
export const MF_HEADER = 8;
export const MF_REC_HEADER = 4;

export enum Rec {
  NODE = 1,      // role, name
  NIC = 2,       // a network interface
  PREFIX = 3,    // a connected prefix on a NIC
  ROUTE = 4,     // a static route (prefix length 0 = default route)
  SERVICE = 5,   // a service slot: id, RAM grant, restart limit, domain name
  SVC_ADDR = 6,  // an address owned by a service (grants ADDR send|recv|derive)
  DISK = 7,      // a disk the host provides
  CAP_DISK = 8,  // a disk extent granted to a service
  RA = 9,        // router advertisements on a NIC (router role)
  NET = 10,      // an egress class on a NIC: min and max rates (issue #5)
  CPU = 11,      // a service's CPU grant: min and max share of each period (issue #5)
  RESTART = 12,  // a service's restart backoff (issue #5)
  BUDGET = 13,   // the node's RAM budget, against which services' RAM mins are admitted
  USER = 14,     // a user who may send control messages for a domain (spec/control.md)
  RAM = 15,      // a service's RAM grant; only in a control message's GRANT (abi/control.ts)
  USER_PREFIX = 16, // addresses a user may give the services it loads (spec/control.md)
  USER_DISK = 17,   // a disk extent a user may grant the services it loads or grants to
  AUTOCONF = 18,    // a NIC that takes its configuration from router advertisements, and its DAD (issue #20)
  SVC_LEARNED = 19, // a service address formed in each prefix learned on a NIC (issue #20)
  WG = 20,          // a WIREGUARD NIC's static private key (issue #13)
  WG_PEER = 21,     // a WireGuard peer of a WIREGUARD NIC
  WG_ALLOWED = 22,  // an address range a WireGuard peer may use (cryptokey routing)
  NODE_KEY = 23,    // the node's ed25519 identity key: it signs the certificates it issues (issue #15)
  TRUST = 24,       // an ed25519 key the node trusts to certify addresses in a prefix (issue #15)
  NODE_CERT = 25,   // a certificate of the node's key from an upstream router (issue #15)
  PUBLISHER = 26,   // an ed25519 key the node trusts to sign modules for a domain (issue #14)
  USER_STORE = 27,  // the bytes of modules a user may PUT into the node's store (issue #14)
  USB = 28,         // a USB device the host provides (issue #16); the host matches it
  CAP_USB = 29,     // a USB device granted to a service (issue #16)
}

// NODE: role u8, name length u8, name bytes
export const NODE_ROLE = 0;
export const NODE_NAME_LEN = 1;
export const NODE_NAME = 2;
export const NAME_MAX = 253;      // RFC 1035 limit on a domain name's text form

// NIC: id u8, kind u8 (NicKind), mtu u16, mac[6]
export const NIC_ID = 0;
export const NIC_KIND = 1;
export const NIC_MTU = 2;
export const NIC_MAC = 4;
export const NIC_SIZE = 10;

// PREFIX: nic u8, length u8, address[16]
export const PFX_NIC = 0;
export const PFX_LEN = 1;
export const PFX_ADDR = 2;
export const PFX_SIZE = 18;

// ROUTE: nic u8, length u8, prefix[16], via[16] (:: = destination is on-link); a record
// holds 1 to RT_PER_RECORD routes back to back (its length a multiple of RT_SIZE), so that
// ROUTE_STATIC_MAX routes fit the header's u16 record count
export const RT_NIC = 0;
export const RT_LEN = 1;
export const RT_PREFIX = 2;
export const RT_VIA = 18;
export const RT_SIZE = 34;
export const RT_PER_RECORD = 1927;  // the most whole routes in a record's u16 length: 65535 / 34

// SERVICE: id u16, restart limit u16, RAM min pages u32, RAM max pages u32,
//          name length u8, name bytes (a validated domain name)
export const SVC_ID = 0;
export const SVC_RESTARTS = 2;
export const SVC_RAM_MIN = 4;
export const SVC_RAM_MAX = 8;
export const SVC_NAME_LEN = 12;
export const SVC_NAME = 13;

// SVC_ADDR: service id u16, address[16]
export const SA_SVC = 0;
export const SA_ADDR = 2;
export const SA_SIZE = 18;

// DISK: id u8, 0 u8, 0 u16, size in bytes u64
export const DISK_ID = 0;
export const DISK_BYTES = 4;
export const DISK_SIZE = 12;

// CAP_DISK: service u16, disk u8, rights u8, offset u64, length u64
export const CD_SVC = 0;
export const CD_DISK = 2;
export const CD_RIGHTS = 3;
export const CD_OFFSET = 4;
export const CD_LENGTH = 12;
export const CD_SIZE = 20;

// USB (record 28): a USB device the host provides, matched by the host (by vendor:product,
// serial or bus path: the manifest's usb entry; the kernel never sees how).
//   id u8, 0 u8, 0 u16
export const USB_ID = 0;
export const USB_SIZE = 4;

// CAP_USB (record 29): a USB device granted whole to a service; at most one service holds a
// device. rights: RIGHT_READ (IN transfers) and/or RIGHT_WRITE (OUT), plus RIGHT_DERIVE.
//   service u16, usb u8, rights u8
export const CU_SVC = 0;
export const CU_USB = 2;
export const CU_RIGHTS = 3;
export const CU_SIZE = 4;

// RA (record 9): router advertisements on a NIC (RFC 4861 §6.2.1 variables). Only in the
// router role; a NIC without an RA record does not advertise.
//   nic u8, flags u8 (RA_MANAGED | RA_OTHER), cur hop limit u8, 0 u8,
//   min interval u16 s, max interval u16 s, router lifetime u16 s, 0 u16,
//   reachable time u32 ms, retrans timer u32 ms,
//   prefix valid lifetime u32 s, prefix preferred lifetime u32 s
export const RA_NIC = 0;
export const RA_FLAGS = 1;
export const RA_HOP_LIMIT = 2;
export const RA_MIN_INTERVAL = 4;
export const RA_MAX_INTERVAL = 6;
export const RA_LIFETIME = 8;
export const RA_REACHABLE = 12;
export const RA_RETRANS = 16;
export const RA_VALID = 20;
export const RA_PREFERRED = 24;
export const RA_SIZE = 28;
export const RA_MANAGED = 0x80;  // M: addresses from DHCPv6
export const RA_OTHER = 0x40;    // O: other configuration from DHCPv6

// NET (record 10): an egress class on a NIC, in bit/s (issue #5). svc is a service id, or
// NET_FORWARD for the class of forwarded traffic, or NET_LINK for the NIC's own line rate
// (then only max counts; 0 = unlimited). A service without a NET record on a NIC may send
// there with min 0 and max unlimited.
//   nic u8, 0 u8, svc u16, min u64 bit/s, max u64 bit/s (0 = unlimited)
export const NET_NIC = 0;
export const NET_SVC = 2;
export const NET_MIN = 4;
export const NET_MAX = 12;
export const NET_SIZE = 20;
export const NET_FORWARD = 0xffff;
export const NET_LINK = 0xfffe;

// CPU (record 11): a service's CPU grant, as shares of each scheduling period (kernel/
// param.ts CPU_PERIOD_MS, whose capacity is CPU_PERIOD_FUEL units of fuel) in permille.
// A service without one has min 0 and max 1000 (all of it).
//   svc u16, min permille u16, max permille u16
export const CPU_SVC = 0;
export const CPU_MIN = 2;
export const CPU_MAX = 4;
export const CPU_SIZE = 6;

// RESTART (record 12): a service's restart backoff (issue #5). Without one the kernel waits
// RESTART_BACKOFF_MS after the first fault, doubling up to RESTART_BACKOFF_MAX_MS.
//   svc u16, 0 u16, first delay ms u32, longest delay ms u32
export const RS_SVC = 0;
export const RS_FIRST = 4;
export const RS_MAX = 8;
export const RS_SIZE = 12;
export const RS_DEFAULT_FIRST_MS = 100;    // the default first restart delay
export const RS_DEFAULT_MAX_MS = 10000;    // the default longest restart delay

// BUDGET (record 13): the node's RAM budget. Without one, RAM mins are not admitted.
//   RAM budget in pages of 64 KiB u32
export const BG_RAM = 0;
export const BG_SIZE = 4;

// USER (record 14): a user's ed25519 public key and one domain the user controls: the
// domain itself and every name under it (spec/control.md). A user with several domains
// has one record per domain. The user's name is for log lines and replies.
//   key[32], user name length u8, domain length u8, user name, domain
export const US_KEY = 0;
export const US_USER_LEN = 32;
export const US_DOMAIN_LEN = 33;
export const US_TEXT = 34;
export const USER_NAME_MAX = 32;

// USER_STORE (record 27): the most bytes of modules the user with this key may have PUT into
// the node's store (spec/control.md "Module transfer (PUT)"); without one, the user may PUT
// nothing. The key must be a USER record's, which comes first.
//   key[32], bytes u32
export const UT_KEY = 0;
export const UT_BYTES = 32;
export const UT_SIZE = 36;

// RAM (record 15): a service's RAM grant, in a GRANT control message only (at boot the
// SERVICE record carries it).
//   svc u16, 0 u16, min pages u32, max pages u32
export const RM_SVC = 0;
export const RM_MIN = 4;
export const RM_MAX = 8;
export const RM_SIZE = 12;

// USER_PREFIX (record 16): a prefix (a single address is a /128) that the user with this
// key may give the services it loads: the node owner's delegation (spec/control.md). The
// key must be a USER record's, which comes first.
//   key[32], prefix length u8 (1..128), 0 u8, 0 u16, prefix[16]
export const UP_KEY = 0;
export const UP_LEN = 32;
export const UP_PREFIX = 36;
export const UP_SIZE = 52;

// USER_DISK (record 17): an extent of a disk that the user with this key may grant, with at
// most these rights (RIGHT_READ | RIGHT_WRITE of abi/caps.ts). The DISK record comes first.
//   key[32], disk u8, rights u8, 0 u16, offset u64, length u64
export const UD_KEY = 0;
export const UD_DISK = 32;
export const UD_RIGHTS = 33;
export const UD_OFFSET = 36;
export const UD_LENGTH = 44;
export const UD_SIZE = 52;

// AUTOCONF (record 18): the host side of RFC 4861 and RFC 4862 on a NIC (spec/manifest.md,
// "The client role"). With AC_ACCEPT_RA the node solicits routers at start, takes prefixes,
// MTU, reachable time and retrans timer from their advertisements, keeps a default router
// list and forms addresses (its own and its services') in the autonomous /64s; never in the
// router role. dad is DupAddrDetectTransmits (RFC 4862 §5.1): the solicitations sent for each
// of the NIC's addresses (link-local, manifest-given, learned) before it is used; 0 uses
// them at once. A NIC without this record takes no configuration and runs no DAD. secret is
// RFC 7217's secret_key for the interface identifiers of learned addresses (all zero: none
// was given, and the identifiers follow from public names alone).
//   nic u8, flags u8 (AC_*), dad transmits u8, 0 u8, secret_key[16]
export const AC_NIC = 0;
export const AC_FLAGS = 1;
export const AC_DAD = 2;
export const AC_SECRET = 4;
export const AC_SIZE = 20;
export const AC_ACCEPT_RA = 1;   // take configuration from router advertisements
export const AC_DAD_MAX = 10;    // the most DAD transmits a NIC may ask for

// SVC_LEARNED (record 19): service svc owns an address in each autonomous prefix learned on
// NIC nic (RFC 4862 §5.5.3), with the RFC 7217 interface identifier of its domain; each is
// checked by DAD before use and counts against ADDR_PER_SVC. The NIC has an AUTOCONF
// record with AC_ACCEPT_RA, which comes first. Only at boot.
//   svc u16, nic u8, 0 u8
export const SL_SVC = 0;
export const SL_NIC = 2;
export const SL_SIZE = 4;

// WG (record 20): the static private key of a NIC of kind WIREGUARD (X25519, RFC 7748, as
// `wg genkey` writes it, decoded). The NIC record comes first; a WIREGUARD NIC has exactly
// one WG record. The kernel never logs it or writes it into status (spec/security.md).
//   nic u8, 0 u8, 0 u16, private key[32]
export const WG_NIC = 0;
export const WG_PRIVATE = 4;
export const WG_SIZE = 36;

// WG_PEER (record 21): a peer of a WIREGUARD NIC, numbered peer (0..WG_PEER_MAX-1, unique
// in the node). psk is the preshared key (all zero: none, as in WireGuard); endpoint is
// where to send first (:: and port 0: none, wait for the peer to start); keepalive is the
// persistent keepalive interval in s (0: off). Endpoint port is little-endian here.
//   nic u8, peer u8, keepalive u16 s, public key[32], preshared key[32],
//   endpoint address[16], endpoint port u16, 0 u16
export const WP_NIC = 0;
export const WP_PEER = 1;
export const WP_KEEPALIVE = 2;
export const WP_PUBLIC = 4;
export const WP_PSK = 36;
export const WP_ENDPOINT = 68;
export const WP_PORT = 84;
export const WP_SIZE = 88;

// WG_ALLOWED (record 22): an address range of peer's (its WG_PEER record comes first): a
// packet from the peer must have its source in one of them, and a packet to an address in
// one goes to that peer (the longest prefix over all peers of the NIC wins).
//   peer u8, length u8 (0..128), 0 u16, prefix[16]
export const WA_PEER = 0;
export const WA_LEN = 1;
export const WA_PREFIX = 4;
export const WA_SIZE = 20;

// NODE_KEY (record 23): the node's ed25519 identity key, the 32-byte seed of RFC 8032 §5.1.5
// as `persia key new` writes it. At most one. With it a router certifies its services' and
// its hosts' addresses (spec/control.md, "Address certificates"). The kernel never logs it
// or writes it into status; status has its public key.
//   seed[32]
export const NK_SEED = 0;
export const NK_SIZE = 32;

// TRUST (record 24): a key whose certificates the node accepts for addresses inside prefix
// (the end of a chain, spec/security.md). The node's own key is trusted for its connected
// prefixes and its services' addresses without a record.
//   public key[32], prefix[16], length u8, 0 u8[3]
export const TR_KEY = 0;
export const TR_PREFIX = 32;
export const TR_LEN = 48;
export const TR_SIZE = 52;

// NODE_CERT (record 25): a certificate (wire/layout/cert.ts, CERT_BYTES) whose holder is
// the node's key: an upstream router delegating a prefix to this one, which the node sends
// above the certificates it issues inside that prefix. The kernel checks its signature and
// holder at boot.
//   certificate[CERT_BYTES]

// PUBLISHER (record 26): an ed25519 key the node trusts to sign service modules for a domain
// and every name under it (spec/security.md, "Signed modules"). One record per (key,
// domain) pair of the manifest's domains:. With at least one, every module the node runs
// must carry a signature by such a key for its service's domain, checked by the kernel at
// boot and at every LOAD; with none, no module is checked (and the node says so).
//   key[32], domain length u8, 0 u8[3], domain
export const PB_KEY = 0;
export const PB_DOMAIN_LEN = 32;
export const PB_DOMAIN = 36;
