// Every limit that a service, a host or the loader can see, defined once. Valid
// AssemblyScript and TypeScript. The kernel's capacities (kernel/param.ts) are these or
// derive from them (ROUTE_MAX); the manifest loader's bounds (loader/manifest/limits.ts) are
// these under the loader's names; services (services/sdk) and hosts size their buffers and
// tables by them; abi/gen.ts writes each into persia_abi.h as PERSIA_<NAME>. No number here
// is repeated elsewhere: tests/abi/limits.test.ts fails on a copy. Not here: capacities only
// the kernel sees (packet pool, egress queues, neighbor cache, rate buckets: kernel/param.ts)
// and bounds only the loader checks (names, rates, RA defaults: loader/manifest/limits.ts).
import { ETH_HDR } from "./kernel";
import { WG_EP_HDR, WG_OVERHEAD } from "../wire/layout/wireguard";

// ——— A node's tables: what a manifest may fill, and the kernel holds ———
export const NIC_MAX = 16;           // NICs per node (NIC ids are 0..NIC_MAX-1, u8 in the boot manifest)
export const SVC_MAX = 1024;         // services per node (service ids are 0..SVC_MAX-1, u16 on the wire; issue #17)
export const DISK_MAX = 8;           // disks the host provides (disk ids are 0..DISK_MAX-1)
export const ADDR_PER_SVC = 8;       // addresses one service owns
export const PREFIX_PER_NIC = 8;     // connected prefixes on one NIC
export const PREFIX_MAX = 64;        // connected prefixes over all NICs
export const ROUTE_STATIC_MAX = 100_000; // static routes per node (a full table: kernel/net/lpm.ts
                                     // finds a route in the same time among 10 or all)
export const DISK_GRANT_PER_SVC = 8; // disk extents granted to one service
export const CAP_SLOTS = 32;         // capabilities per service: its grants, and room to derive
export const USER_MAX = 16;          // USER records (user, domain) a node keeps
export const USER_PREFIX_MAX = 64;   // USER_PREFIX delegations (prefixes users may hand out)
export const USER_DISK_MAX = 32;     // USER_DISK delegations (disk extents users may grant)
export const TRUST_MAX = 16;         // TRUST records: keys the node trusts to certify prefixes
export const NODE_CERT_MAX = 4;      // NODE_CERT records: certificates of the node's own key

// ——— Signed modules (issue #14, spec/security.md "Signed modules") ———
export const PUBLISHER_MAX = 16;     // PUBLISHER records: (publisher key, domain) pairs a node trusts to sign modules
export const SIG_SECTION_MAX = 4096; // bytes of a module's `signature` custom section (its payload) a verifier reads
export const SIG_TRIES_MAX = 16;     // ed25519 checks one module may cost (its signatures × the keys that may have made them)

// ——— Address certificates and block signals (issue #15, spec/control.md) ———
export const CERT_CHAIN_MAX = 4;     // certificates in one chain, leaf first
export const CERT_ISSUED_MAX = SVC_MAX * ADDR_PER_SVC + 256; // certificates a node issues and keeps: one
                                     // per service address, and 256 for hosts that ask
export const CERT_LIFETIME_S = 86400; // how long a certificate the node issues is valid
export const FILTER_MAX = 65536;     // block filters active at once over the node
export const FILTER_PER_HOLDER = 4096; // active filters one key may have installed
export const BLOCK_SECONDS_MAX = 86400; // the longest a block filter lasts
export const BLOCK_SOURCES_MAX = 32; // sources one BLOCK or UNBLOCK names (with a chain of 2, it fits BLOCK_MAX)

// ——— Modules delivered over the network (issue #14, spec/control.md "Module transfer (PUT)") ———
export const MODULE_MAX = 1048576;   // bytes in a module: what the loader validates (loader/wasm/
                                     // limits.ts MODULE_BYTES_MAX) and so what a PUT may send (1 MiB)
export const PUT_MAX = 4;            // transfers in progress at once over the node
export const PUT_CHUNK = 1024;       // module bytes per CHUNK (the last may be shorter); fits CTL_MAX
export const PUT_WINDOW = 64;        // chunks an answer describes past the first missing one: a
                                     // sender keeps at most this many in flight
export const PUT_IDLE_S = 60;        // a transfer that received nothing this long is forgotten
export const PUT_PER_USER = 1;       // of them, in progress at once for one user: one user cannot hold them all
export const STORED_PER_USER = 8;    // modules one user may have PUT (each counted once per user)
export const STORED_MAX = USER_MAX * STORED_PER_USER; // (user, module) pairs the quota accounting keeps:
                                     // every user can reach its own STORED_PER_USER

// ——— Links ———
export const IDGEN_RETRIES = 3;       // RFC 7217 §6: stable identifiers a learned address tries after a duplicate
export const MTU_MIN = 1280;         // RFC 8200 §5: every IPv6 link carries 1280 bytes
export const MTU_MAX = 9000;         // largest NIC MTU a manifest may give (jumbo frames)
export const FRAME_MAX = MTU_MAX + ETH_HDR; // Buf.RX: the longest frame the kernel takes
export const WG_PEER_MAX = 32;       // WireGuard peers per node, over all its WIREGUARD NICs
export const WG_ALLOWED_MAX = 256;   // WG_ALLOWED ranges per node, over all peers
/** The largest MTU of a WIREGUARD NIC: a whole sealed packet with its endpoint header
 *  fits one frame of Buf.RX. */
export const WG_MTU_MAX = FRAME_MAX - WG_EP_HDR - WG_OVERHEAD;
export const LOCAL_MTU = 1500;       // MTU between services on one node (no link)
/** The longest frame a host's NIC reads whole: an Ethernet header and the largest IPv6
 *  packet without a jumbogram (RFC 8200: 40-byte header, 16-bit payload length). A frame
 *  over FRAME_MAX is then counted as too long, never cut to a shorter one. */
export const LINK_FRAME_MAX = ETH_HDR + 40 + 65535;

// ——— USB (issue #16, abi/usb.ts, spec/abi.md "USB") ———
export const USB_MAX = 8;            // USB devices a manifest names (ids 0..USB_MAX-1); each is granted to at most one service
export const USB_INFLIGHT = 8;       // transfers in flight on one device (the kernel's xfer slots)
export const USB_XFER_MAX = 65536;   // bytes in one transfer (Buf.USB holds one completion's IN data)
export const USB_DESC_MAX = 4096;    // bytes of a device's descriptors the kernel keeps (device + configuration)
export const USB_TIMEOUT_MAX_MS = 60000; // the longest timeout a transfer may ask for
export const USB_EVENTQ = 32;        // events queued per device before the oldest ATTACH/DETACH coalesce

// ——— What a service meets ———
export const SVC_RXQ = 64;           // packets queued per service before drops
export const SVC_POOL_SHARE = 64;    // packet buffers one service may hold (sent, not yet gone)
export const FUEL_PER_CALL = 100_000_000; // fuel units one service call may use
                                     // (spec/instrumentation.md): 5-35 ms of a busy loop under
                                     // Node. Issue #5's per-service CPU grants will replace it
export const LOG_LINE = 512;         // bytes in one kernel log line
export const SVC_LOG_MAX = 400;      // bytes of a service's log line the kernel keeps (sys_log);
                                     // with the service's name it fits LOG_LINE
export const CPU_SHARE_MAX = 1000;   // a CPU grant's min and max are permille of a period
export const CPU_PERIOD_MS = 100;    // CPU grants hold per period of this many ms of kernel time
export const CPU_PERIOD_FUEL = 1_000_000_000; // fuel the services may use in one period: the
                                     // node's CPU capacity, of which grants are permille
                                     // (spec/instrumentation.md: 10^8 units are 5-130 ms here)

// ——— Kernel buffers a host fills or reads (k_buf_size) ———
export const BOOT_SIZE = 5_242_880;  // bytes in the boot manifest buffer (Buf.BOOT): 5 MiB, for the
                                     // largest manifest: SVC_MAX services with every name, address,
                                     // grant and net entry, and ROUTE_STATIC_MAX routes packed 34 bytes
                                     // each plus a 4-byte record header per 1,927 (spec/manifest.md)
export const STATUS_SIZE = 4_194_304; // bytes in the status snapshot buffer (Buf.STATUS): room for
                                     // SVC_MAX services' SVC, GRANT, CLASS, ADDR and CERT records (3.1 MB
                                     // for the largest manifest, tests/loader/limits.test.ts); routes and
                                     // neighbours share what is left (kernel/status.ts), and NODE
                                     // carries their true counts

// ——— Router advertisements: RFC 4861 §6.2.1's ranges, which the loader and the kernel check ———
export const RA_MAX_INTERVAL_MIN = 4;    // MaxRtrAdvInterval: no less than 4 s
export const RA_MAX_INTERVAL_MAX = 1800; //   and no more than 1800 s
export const RA_MIN_INTERVAL_MIN = 3;    // MinRtrAdvInterval: no less than 3 s, at most 0.75 × max
export const RA_LIFETIME_MAX = 9000;     // AdvDefaultLifetime: 0, or from max interval to 9000 s
