// Every capacity of the kernel, in one place. All tables are fixed-size and allocated
// once when the module starts; nothing here grows at run time. The capacities a service, a
// host or the loader can see are defined in abi/limits.ts and only named here, so the
// manifest loader's limits (loader/manifest/limits.ts, the same constants) never exceed
// them; what follows them is the kernel's own.
import { RS_DEFAULT_FIRST_MS, RS_DEFAULT_MAX_MS } from "../abi/manifest";
import { ETH_HDR } from "../abi/kernel";
import { NIC_MAX, SVC_MAX, DISK_MAX, ADDR_PER_SVC, PREFIX_MAX, ROUTE_STATIC_MAX, CAP_SLOTS,
  USER_MAX, USER_PREFIX_MAX, USER_DISK_MAX, MTU_MIN, MTU_MAX, FRAME_MAX, LOCAL_MTU, SVC_RXQ,
  SVC_POOL_SHARE, FUEL_PER_CALL, LOG_LINE, SVC_LOG_MAX, CPU_SHARE_MAX, CPU_PERIOD_MS, CPU_PERIOD_FUEL, BOOT_SIZE,
  STATUS_SIZE, IDGEN_RETRIES, CERT_ISSUED_MAX, CERT_LIFETIME_S, CERT_CHAIN_MAX, TRUST_MAX, NODE_CERT_MAX,
  PUBLISHER_MAX, SIG_SECTION_MAX, SIG_TRIES_MAX } from "../abi/limits";

export { ETH_HDR, NIC_MAX, SVC_MAX, DISK_MAX, ADDR_PER_SVC, PREFIX_MAX, CAP_SLOTS, USER_MAX,
  USER_PREFIX_MAX, USER_DISK_MAX, MTU_MIN, MTU_MAX, FRAME_MAX, LOCAL_MTU, SVC_RXQ,
  SVC_POOL_SHARE, FUEL_PER_CALL, LOG_LINE, SVC_LOG_MAX, CPU_SHARE_MAX, CPU_PERIOD_MS, CPU_PERIOD_FUEL, BOOT_SIZE,
  STATUS_SIZE, IDGEN_RETRIES, CERT_ISSUED_MAX, CERT_LIFETIME_S, CERT_CHAIN_MAX, TRUST_MAX, NODE_CERT_MAX,
  PUBLISHER_MAX, SIG_SECTION_MAX, SIG_TRIES_MAX };

// The host side of RFC 4861 and RFC 4862 (the client role, issue #20; net/routers.ts, net/slaac.ts).
export const LEARNED_MAX: i32 = 16;      // prefixes learned from RAs over all NICs; more are ignored
export const ROUTER_MAX: i32 = 8;        // default routers remembered over all NICs; more are ignored
export const REDIRECT_MAX: i32 = 16;     // redirected destinations (host routes); the oldest makes room
export const ADDRCONF_MAX: i32 = NIC_MAX + PREFIX_MAX + SVC_MAX * ADDR_PER_SVC + LEARNED_MAX; // addresses
                                         // with DAD or lifetimes: link-locals, node's, services', learned
export const MAX_RTR_SOLICITATION_DELAY_MS: i64 = 1000; // RFC 4861 §10 host constants
export const RTR_SOLICITATION_INTERVAL_MS: i64 = 4000;
export const MAX_RTR_SOLICITATIONS: i32 = 3;
export const TWO_HOURS_MS: i64 = 7200000; // RFC 4862 §5.5.3(e): a valid lifetime an RA cannot shorten below
export const MAX_REACHABLE_TIME_MS: u32 = 3600000; // RFC 4861 §10: a larger advertised one is ignored
export const RETRANS_MIN_MS: u32 = 10;     // an advertised RetransTimer is kept within these (Linux's
export const RETRANS_MAX_MS: u32 = 10000;  // floor; a ceiling so no RA stalls DAD and ND for days)

// Route entries: every static route, connected prefix and service address a manifest may
// give, and the node's own addresses (a link-local per NIC, one in each prefix, and a
// router's Subnet-Router anycast address in each prefix) ...
export const ROUTE_MANIFEST_MAX: i32 = ROUTE_STATIC_MAX + PREFIX_MAX + SVC_MAX * ADDR_PER_SVC + NIC_MAX + 2 * PREFIX_MAX;
// ... and, in room of their own, what the client role learns from the link (issue #20): an
// on-link route and a node address per learned prefix, one default route, the redirects.
export const ROUTE_LEARNED_MAX: i32 = 2 * LEARNED_MAX + 1 + REDIRECT_MAX;
export const ROUTE_MAX: i32 = ROUTE_MANIFEST_MAX + ROUTE_LEARNED_MAX;

export const NEIGH_MAX: i32 = 16384;     // neighbor cache entries over all NICs (a power of two:
                                         // hashidx.ts); when full, the least recently used
                                         // settled entry is reclaimed (net/nd.ts)
export const NEIGH_INCOMPLETE_MAX: i32 = 64; // entries being resolved at once (RFC 6583 §7.1): a scan
                                         // of a /64 gets no more, and never takes settled entries
export const NEIGH_INCOMPLETE_FWD: i32 = 48; // ... of which forwarded packets may start this many:
                                         // the rest stay for the node's and its services' own

export const PKT_SLOTS: i32 = 512;       // packet buffers in the pool
export const PKT_SIZE: i32 = 9216;       // bytes per buffer: headroom + largest frame
export const HEADROOM: i32 = 64;         // room before the IPv6 header for link headers
export const GSO_SLOTS: i32 = 9;         // buffers for TCP super-frames (net/gso.ts), after the pool's; one
                                         // of them is always Buf.GSO, where the host writes the next one
export const GSO_STRIDE: i32 = 8;        // ... each the room of this many ordinary buffers (72 KiB), so that
                                         // a buffer's address stays POOL + index × PKT_SIZE
export const POOL_INDEXES: i32 = PKT_SLOTS + GSO_SLOTS * GSO_STRIDE; // buffer indexes below this

export const NIC_TXQ: i32 = 256;         // frames queued per egress class of a NIC before drops
export const CLASS_MAX: i32 = 2 + SVC_MAX; // egress classes per NIC: kernel, forwarded, one per service
export const POOL_RESERVE: i32 = 128;    // buffers services together may never take: receiving
                                         // and the kernel's own packets always find one
export const EXT_MAX: i32 = 8;           // extension headers walked before giving up

export const ICMP_ERR_PER_S: i32 = 100;  // RFC 4443 §2.4(f): ICMPv6 errors per second
export const ICMP_ERR_BURST: i32 = 20;   // ... with this burst
export const ICMP_ERR_QUOTE: i32 = 1232; // invoking bytes quoted: 1280 - 40 - 8

export const ND_RETRANS_MS: i64 = 1000;  // RFC 4861 §10 RETRANS_TIMER
export const ND_MAX_MCAST: i32 = 3;      // RFC 4861 §10 MAX_MULTICAST_SOLICIT
export const ND_REACHABLE_MS: i64 = 30000; // RFC 4861 §10 REACHABLE_TIME

export const RESTART_BACKOFF_MS: i64 = RS_DEFAULT_FIRST_MS;  // first restart delay after a fault (abi/manifest.ts)
export const RESTART_BACKOFF_MAX_MS: i64 = RS_DEFAULT_MAX_MS; // the delay doubles up to this
// The control plane's budget of signature checks (spec/control.md, "A busy node"): one
// check is about 2 ms under Node. A message pays at its source /64; unless it comes from the
// /64 its key last signed from, also at its key and at the whole node's cap.
export const CTL_VERIFY_PER_S: i32 = 20; // checks per second for the node, at most ~4 % of a core ...
export const CTL_VERIFY_BURST: i32 = 20; // ... with this burst
export const CTL_KEY_PER_S: i32 = 10;    // per claimed user key
export const CTL_KEY_BURST: i32 = 10;
export const CTL_SRC_PER_S: i32 = 5;     // per source /64
export const CTL_SRC_BURST: i32 = 5;
export const CTL_SRC_SLOTS: i32 = 32;    // source /64s remembered; the least recently seen makes room
export const CTL_COOKIE_MS: i64 = 120000; // a cookie secret's life; the previous one is honoured too
// A PUT's chunks are not signed, and anyone on the path who sees a transfer id may send
// chunks that ask to be answered (abi/control.ts CK_ANSWER): each sealed answer costs ~2 ms.
export const CHUNK_ANSWER_PER_S: i32 = 100; // chunk answers sealed per second over the node ...
export const CHUNK_ANSWER_BURST: i32 = 100; // ... with this burst; over it a chunk is written, not answered
// Address certificates the node issues (issue #15, kernel/cert/issue.ts; CERT_ISSUED_MAX and
// CERT_LIFETIME_S are abi/limits.ts's).
export const CERT_SKEW_S: i64 = 60;      // a certificate starts this long before it is signed: clocks differ
export const CERT_RENEW_MIN_S: i64 = 60; // a service's certificate is renewed at half its life, but never
                                         // sooner than this after it starts (a short-lived parent's)
export const CERT_HOST_MAX: i32 = CERT_ISSUED_MAX - SVC_MAX * ADDR_PER_SVC; // hosts' certificates: the rest
                                         // of the table stays free for every service address
// Block signals (issue #15, spec/control.md "Block signals").
export const HOLDER_MAX: i32 = 1024;     // keys (not users) with a sequence number, a quota and filters
export const BLOCK_SKEW_MS: i64 = 120000; // a relayed BLOCK's time may differ this much from the node's clock
export const RELAY_PER_S: i32 = 10;      // relayed requests checked per second, over the node ...
export const RELAY_BURST: i32 = 10;      // ... with this burst: a relay carries no cookie
export const RELAY_OUT_MAX: i32 = 8;     // sources' routers one BLOCK is passed on to
export const FILTER_EXPIRE_PER_POLL: i32 = 4096; // block filters one poll takes out; more wait for the next
export const LENGTHS_PER_DST: i32 = 8;   // source prefix lengths the filters of one destination may use:
                                         // a packet to it costs a probe per length (net/filter.ts)

// Router advertisements, RFC 4861 §10 (router constants), checked against the RFC text.
export const MAX_INITIAL_RTR_ADVERT_INTERVAL_MS: i64 = 16000;
export const MAX_INITIAL_RTR_ADVERTISEMENTS: i32 = 3;
export const MIN_DELAY_BETWEEN_RAS_MS: i64 = 3000;
export const MAX_RA_DELAY_TIME_MS: i64 = 500;
export const MAX_FINAL_RTR_ADVERTISEMENTS: i32 = 3;
// The final RAs a stopping router sends per advertising NIC (§6.2.5: "one or more (but not
// more than MAX_FINAL_RTR_ADVERTISEMENTS)"), MIN_DELAY_BETWEEN_RAS apart as every multicast
// RA must be (§6.2.6). Two: the second covers a lost first, and a stop takes 3 s (6 s when
// an RA had just gone out); a third would keep every stop waiting 3 s more.
export const FINAL_RTR_ADVERTISEMENTS: i32 = 2;
// Neighbor unreachability detection, RFC 4861 §10 (node constants).
export const ND_MAX_UNICAST: i32 = 3;          // MAX_UNICAST_SOLICIT
export const ND_DELAY_FIRST_PROBE_MS: i64 = 5000; // DELAY_FIRST_PROBE_TIME

// CPU grants (issue #5): time is cut into periods of CPU_PERIOD_MS; in each, the node runs
// at most CPU_PERIOD_FUEL units of fuel (both in abi/limits.ts, which the views read to
// compare a service's use with its grant), shared by the services' grants: a service under
// its min runs first, one at its max waits for the next period.

export const MODULE_CHUNK: i32 = 4096;   // bytes of a module read from the host at a time when its
                                         // signature is checked (svc/modsig.ts)
