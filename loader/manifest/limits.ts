// Every bound the manifest loader enforces, in one place, each with its reason. A manifest
// that passes these always compiles to a boot manifest the kernel can hold, provided the
// kernel's own capacities (kernel/param.ts) are at least the MAX_ values here; spec/manifest.md
// says so too. Deliberately only numbers: the checks that use them are in
// loader/manifest/schema.ts and loader/manifest/check.ts.

export const MAX_NICS = 16;                   // NICs per node (NIC ids are u8 in the boot manifest)
export const MAX_PREFIXES_PER_NIC = 8;        // connected prefixes on one NIC
export const MAX_PREFIXES = 64;               // connected prefixes over all NICs
export const MAX_ROUTES = 256;                // static routes per node
export const MAX_DISKS = 8;                   // disks per node
export const MAX_SERVICES = 16;               // services per node (service ids are u8)
export const MAX_ADDRS_PER_SERVICE = 8;       // addresses one service owns
export const MAX_DISK_GRANTS_PER_SERVICE = 8; // disk extents granted to one service

export const MTU_MIN = 1280;                  // RFC 8200 section 5: every IPv6 link carries 1280
export const MTU_MAX = 9000;                  // jumbo frames; the kernel's RX buffer is sized for this
export const MTU_DEFAULT = 1500;              // Ethernet

export const RESTART_LIMIT_MAX = 1000;        // restarts before a service stays FAILED (u16 on the wire)
export const RESTART_LIMIT_DEFAULT = 5;

export const VNI_MAX = 0xffffff;              // RFC 7348: the VXLAN network identifier is 24 bits
export const PORT_MAX = 65535;                // UDP port

export const WASM_PAGE = 65536;               // bytes in one Wasm page; RAM is granted in pages
export const WASM_MAX_PAGES = 65536;          // a 32-bit Wasm memory holds at most 4 GiB

export const NAME_PATTERN = /^[a-z][a-z0-9-]{0,14}$/; // NIC and disk names (fit a Linux ifname)
export const TAP_DEVICE_PATTERN = /^[A-Za-z0-9_.-]{1,15}$/; // Linux interface names (IFNAMSIZ 16)
export const DOMAIN_LABEL_MAX = 63;           // RFC 1035 section 2.3.4
export const DOMAIN_MIN_LABELS = 2;           // "echo.sabz.city", never a bare "echo"
