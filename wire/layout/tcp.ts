// TCP (RFC 9293 §3.1): only where its ports are. The node has no transport layer; a block
// filter (kernel/net/filter.ts) names a destination port, which TCP and UDP (layout/udp.ts)
// keep at the same offset. Layout only, valid AssemblyScript and TypeScript.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |          Source Port          |       Destination Port        |   0
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                        Sequence Number                        |   4
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  ... (acknowledgment, offset and flags, window, checksum, options)

export const TCP_SRC_PORT = 0;
export const TCP_DST_PORT = 2;
/** The bytes a packet must carry for its ports to be read. */
export const TCP_PORTS = 4;
