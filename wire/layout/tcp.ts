// TCP (RFC 9293 §3.1). The node has no transport layer: a block filter (kernel/net/filter.ts)
// names a destination port, which TCP and UDP (layout/udp.ts) keep at the same offset, and
// the Node host's TAP offloads (hosts/node/nic/offload.ts) cut and merge TCP segments, which
// needs the fixed header's other fields. Layout only, valid AssemblyScript and TypeScript.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |          Source Port          |       Destination Port        |   0
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                        Sequence Number                        |   4
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                    Acknowledgment Number                      |   8
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  Data |       |C|E|U|A|P|R|S|F|                               |
//   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |  12
//   |       |       |R|E|G|K|H|T|N|N|                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |           Checksum            |         Urgent Pointer        |  16
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                    Options (Data Offset x 4 - 20 bytes)       |  20

export const TCP_SRC_PORT = 0;
export const TCP_DST_PORT = 2;
/** The bytes a packet must carry for its ports to be read. */
export const TCP_PORTS = 4;
export const TCP_SEQ = 4;
export const TCP_ACKNUM = 8;
/** Data Offset: the header's length in 32-bit words, in the high 4 bits. */
export const TCP_OFFSET = 12;
export const TCP_FLAGS = 13;
export const TCP_WINDOW = 14;
export const TCP_CHECKSUM = 16;
export const TCP_URGENT = 18;
/** The fixed header, before any option. */
export const TCP_HDR = 20;
export const TCP_FIN = 0x01, TCP_PSH = 0x08, TCP_ACK = 0x10, TCP_CWR = 0x80;
