// UDP (RFC 768) over IPv6, whose checksum is mandatory (RFC 8200 §8.1): a received 0 is
// invalid and a computed 0 is sent as 0xffff. Layout only, valid AssemblyScript and
// TypeScript; wire/udp.ts reads and builds it.
//
//    0      7 8     15 16    23 24    31
//   +--------+--------+--------+--------+
//   |   Source Port   | Destination Port|   0
//   +--------+--------+--------+--------+
//   |     Length      |    Checksum     |   4
//   +--------+--------+--------+--------+
//   |          data octets ...              8

export const UDP_SRC_PORT = 0;
export const UDP_DST_PORT = 2;
export const UDP_LENGTH = 4;
export const UDP_CHECKSUM = 6;
export const UDP_HDR = 8;
/** What a computed checksum of 0 is sent as (0 on the wire means "none", not allowed). */
export const UDP_CHECKSUM_ZERO = 0xffff;
