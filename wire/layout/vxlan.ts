// VXLAN (RFC 7348 §5): the 8-byte header a VXLAN NIC puts before each Ethernet frame in a
// UDP datagram. Layout only, valid AssemblyScript and TypeScript: the Node host's and the
// wasmtime image's VXLAN NICs (hosts/node/nic/vxlan.ts, hosts/wasi/vxlan.ts) share it.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |R|R|R|R|I|R|R|R|            Reserved                           |   0
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                VXLAN Network Identifier (VNI) |   Reserved    |   4
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+   8

export const VXLAN_FLAGS = 0;
export const VXLAN_VNI = 4;             // 24 bits, big-endian
export const VXLAN_HDR = 8;
export const VXLAN_FLAG_I = 0x08;       // a valid VNI follows
export const VXLAN_PORT = 4789;         // IANA
