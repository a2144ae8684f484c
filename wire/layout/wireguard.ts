// WireGuard (the whitepaper, "WireGuard: Next Generation Kernel Network Tunnel", §5.4, and
// wireguard-go's device/noise-protocol.go): the four messages a sealed link carries in UDP
// datagrams, and the endpoint header a WIREGUARD NIC puts before each datagram between the
// kernel and its host. Layout only, valid AssemblyScript and TypeScript: the kernel
// (kernel/wg/), the hosts' WireGuard NICs and the tests' peers share it. All integers in
// the messages are little-endian, as WireGuard sends them; the endpoint's port is the one
// big-endian field (network order, as in a sockaddr).
//
// A WIREGUARD NIC's frame, in k_rx (from the host) and nic_send (to the host):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                                                               |   0
//   +   the peer's UDP address (16 bytes; an IPv4 peer as           +
//   |   ::ffff:a.b.c.d): the datagram's source in k_rx, its         |
//   +   destination in nic_send                                     +
//   |                                                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     the peer's UDP port       |            0                  |  16
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |   the UDP payload: one WireGuard message ...                     20

export const WG_EP_ADDR = 0;
export const WG_EP_PORT = 16;           // big-endian
export const WG_EP_HDR = 20;
export const WG_PORT = 51820;           // the port WireGuard listens on by default

// Message types (the first byte; the next three are zero).
export const WG_INITIATION = 1;
export const WG_RESPONSE = 2;
export const WG_COOKIE = 3;
export const WG_TRANSPORT = 4;

export const WG_KEY = 32;               // X25519 keys, hashes, chaining keys, symmetric keys
export const WG_TAG = 16;               // a Poly1305 tag
export const WG_MAC = 16;               // mac1, mac2, a cookie (keyed BLAKE2s-128)
export const WG_TIMESTAMP = 12;         // TAI64N

// Handshake initiation: type 0 u8[3], sender u32, ephemeral[32], static (sealed) [32+16],
// timestamp (sealed) [12+16], mac1[16], mac2[16]
export const WGI_SENDER = 4;
export const WGI_EPHEMERAL = 8;
export const WGI_STATIC = 40;
export const WGI_TIMESTAMP = 88;
export const WGI_MAC1 = 116;
export const WGI_MAC2 = 132;
export const WGI_SIZE = 148;

// Handshake response: type, sender u32, receiver u32, ephemeral[32], empty (sealed) [0+16],
// mac1[16], mac2[16]
export const WGR_SENDER = 4;
export const WGR_RECEIVER = 8;
export const WGR_EPHEMERAL = 12;
export const WGR_EMPTY = 44;
export const WGR_MAC1 = 60;
export const WGR_MAC2 = 76;
export const WGR_SIZE = 92;

// Cookie reply: type, receiver u32, nonce[24], cookie (sealed, XChaCha20-Poly1305) [16+16]
export const WGC_RECEIVER = 4;
export const WGC_NONCE = 8;
export const WGC_NONCE_LEN = 24;
export const WGC_COOKIE = 32;
export const WGC_SIZE = 64;

// Transport data: type, receiver u32, counter u64, the packet (sealed), padded with zeros
// to a multiple of 16 bytes, + tag. An empty packet is a keepalive.
export const WGT_RECEIVER = 4;
export const WGT_COUNTER = 8;
export const WGT_DATA = 16;
export const WGT_MIN = WGT_DATA + WG_TAG;   // 32: a keepalive
export const WG_PAD = 16;                   // the packet is padded to a multiple of this

/** What a transport message adds around a packet at most: the header, the padding and the
 *  tag. A WIREGUARD NIC's MTU leaves room for it and the endpoint header in a frame. */
export const WG_OVERHEAD = WGT_DATA + WG_PAD - 1 + WG_TAG;
