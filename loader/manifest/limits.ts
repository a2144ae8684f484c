// Every bound the manifest loader enforces, in one place, each with its reason. A bound the
// kernel holds too (a table's size, the MTU range, RA ranges) is abi/limits.ts's constant,
// only named here the loader's way, so a manifest that passes these always compiles to a
// boot manifest the kernel can hold (tests/loader/limits.test.ts boots the largest); the
// rest are the loader's own. Deliberately only numbers: the checks that use them are in
// loader/manifest/schema.ts and loader/manifest/check.ts.
import * as A from "../../abi/limits";
import { AC_DAD_MAX, AC_SECRET, AC_SIZE } from "../../abi/manifest";

export const MAX_NICS = A.NIC_MAX;            // NICs per node (NIC ids are u8 in the boot manifest)
export const MAX_PREFIXES_PER_NIC = A.PREFIX_PER_NIC; // connected prefixes on one NIC
export const MAX_PREFIXES = A.PREFIX_MAX;     // connected prefixes over all NICs
export const MAX_ROUTES = A.ROUTE_STATIC_MAX; // static routes per node
export const MAX_DISKS = A.DISK_MAX;          // disks per node
export const MAX_SERVICES = A.SVC_MAX;        // services per node (service ids are u16 in the boot manifest)
export const MAX_ADDRS_PER_SERVICE = A.ADDR_PER_SVC; // addresses one service owns
export const MAX_DISK_GRANTS_PER_SERVICE = A.DISK_GRANT_PER_SVC; // disk extents granted to one service
export const MAX_USERS = A.USER_MAX;          // (user, domain) pairs
export const MAX_USER_PREFIXES = A.USER_PREFIX_MAX; // prefixes delegated to users, all together
export const MAX_USER_DISKS = A.USER_DISK_MAX; // disk extents delegated to users, all together
export const MAX_TRUSTED = A.TRUST_MAX;       // (key, prefix) pairs of trust:, all together (issue #15)
export const MAX_PUBLISHERS = A.PUBLISHER_MAX; // (key, domain) pairs of domains:, all together (issue #14)
export const MAX_USB = A.USB_MAX;             // USB devices a manifest names (issue #16; ids are their places)
export const USB_SERIAL_MAX = 126;            // iSerialNumber: a string descriptor's bLength (u8) holds 126 UTF-16 units
export const USB_PATH_PORTS_MAX = 7;          // ports in a bus-port path: "the maximum limit for the depth is 7" (libusb_get_port_numbers, USB 3.0)
export const MAX_NODE_CERTS = A.NODE_CERT_MAX; // certificates in node.certs' files, all together
export const STORE_RAM_DEFAULT = 16 * 1024 * 1024; // a store module's RAM ceiling when none is given

export const MTU_MIN = A.MTU_MIN;             // RFC 8200 section 5: every IPv6 link carries 1280
export const MTU_MAX = A.MTU_MAX;             // jumbo frames; the kernel's RX buffer is sized for this
export const MTU_DEFAULT = 1500;              // Ethernet

export const RESTART_LIMIT_MAX = 1000;        // restarts before a service stays FAILED (u16 on the wire)
export const RESTART_LIMIT_DEFAULT = 5;

export const VNI_MAX = 0xffffff;              // RFC 7348: the VXLAN network identifier is 24 bits
export const PORT_MAX = 65535;                // UDP port
export const VIRTIO_PCI_MAX = 255;            // a virtio NIC's place among virtio-net devices in PCI order (virtio.ts)

export const WASM_PAGE = 65536;               // bytes in one Wasm page; RAM is granted in pages
export const WASM_MAX_PAGES = 65536;          // a 32-bit Wasm memory holds at most 4 GiB

export const NAME_PATTERN = /^[a-z][a-z0-9-]{0,14}$/; // NIC and disk names (fit a Linux ifname)
export const TAP_DEVICE_PATTERN = /^[A-Za-z0-9_.-]{1,15}$/; // Linux interface names (IFNAMSIZ 16)
export const DOMAIN_LABEL_MAX = 63;           // RFC 1035 section 2.3.4
export const DOMAIN_MIN_LABELS = 2;           // "echo.sabz.city", never a bare "echo"

// Router advertisements: RFC 4861 §6.2.1's router configuration variables; the ranges are
// abi/limits.ts's, which the kernel checks too (kernel/boot.ts ra()). Intervals and
// lifetimes in seconds, timers in ms.
export const RA_MAX_INTERVAL_MIN = A.RA_MAX_INTERVAL_MIN; // MaxRtrAdvInterval: no less than 4 s
export const RA_MAX_INTERVAL_MAX = A.RA_MAX_INTERVAL_MAX; //   and no more than 1800 s
export const RA_MAX_INTERVAL_DEFAULT = 600;   //   default 600 s
export const RA_MIN_INTERVAL_MIN = A.RA_MIN_INTERVAL_MIN; // MinRtrAdvInterval: no less than 3 s, at most 0.75 × max
export const RA_MIN_INTERVAL_MAX = A.RA_MAX_INTERVAL_MAX * 3 / 4; // 1350 s, its largest possible value
export const RA_LIFETIME_MAX = A.RA_LIFETIME_MAX; // AdvDefaultLifetime: 0, or from max interval to 9000 s
export const RA_LIFETIME_FACTOR = 3;          //   default 3 × MaxRtrAdvInterval
export const HOP_LIMIT_MAX = 255;             // AdvCurHopLimit is 8 bits; 0 means "unspecified"
export const RA_HOP_LIMIT_DEFAULT = 64;       //   default: IANA's default hop limit
export const RA_REACHABLE_MAX = 3600000;      // AdvReachableTime: at most one hour (ms); default 0
export const U32_MAX = 0xffffffff;            // retrans timer and prefix lifetimes are u32 (0xffffffff = infinity)
export const RA_VALID_DEFAULT = 2592000;      // AdvValidLifetime: 30 days
export const RA_PREFERRED_DEFAULT = 604800;   // AdvPreferredLifetime: 7 days

// Network rates (issue #5), in bit/s. Units are SI and decimal: 1 Mbit = 1,000,000 bit.
export const KBIT = 1e3;                      // kbit (also written Kbit)
export const MBIT = 1e6;                      // Mbit
export const GBIT = 1e9;                      // Gbit
export const RATE_MAX = 1e12;                 // 1 Tbit/s: above the fastest Ethernet (800GBASE); a safe integer
export const MAX_NET_PER_SERVICE = MAX_NICS;  // net entries of one service: at most one per NIC
export const CPU_SHARE_MAX = A.CPU_SHARE_MAX;  // a CPU share's min and max, in permille of a period

// The client role (issue #20): RFC 4862's host side.
export const DAD_MAX = AC_DAD_MAX;            // DupAddrDetectTransmits a NIC may ask for (a u8 in AUTOCONF)
export const DAD_DEFAULT = 1;                 // RFC 4862 §5.1: one solicitation, where autoconf is on
export const SECRET_BYTES = AC_SIZE - AC_SECRET; // RFC 7217 secret_key: the AUTOCONF record holds 16 bytes
export const SECRET_FILE_MAX = 4096;          // bytes node.secret may hold: a key, not a device or a pipe
