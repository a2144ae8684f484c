// The IPv6 fixed header (RFC 8200 §3) and its Next Header numbers (IANA protocol numbers).
// Layout only, valid AssemblyScript and TypeScript: the kernel and the SDK read it through
// wire/ipv6.ts, the hosts' peers and the tests' frame builders directly.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |Version| Traffic Class |           Flow Label                  |   0
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |         Payload Length        |  Next Header  |   Hop Limit   |   4
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                     Source Address (16 bytes)                 |   8
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                  Destination Address (16 bytes)               |  24
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  40

export const IP_VERSION = 0;       // high 4 bits of the first byte
export const IP_PLEN = 4;
export const IP_NEXT = 6;
export const IP_HOPS = 7;
export const IP_SRC = 8;
export const IP_DST = 24;
export const IP_HDR = 40;
export const ADDR_LEN = 16;

/** The first 32 bits of every header the node writes: version 6, class 0, flow label 0. */
export const IP_FIRST_WORD = 0x60000000;
/** Hop limit of what the node and its services originate (RFC 8200 §3 leaves it to them). */
export const HOP_LIMIT = 64;

export const NH_HOPOPT = 0;
export const NH_TCP = 6;
export const NH_UDP = 17;
export const NH_ROUTING = 43;
export const NH_FRAGMENT = 44;
export const NH_ESP = 50;
export const NH_AH = 51;
export const NH_ICMPV6 = 58;
export const NH_NONE = 59;
export const NH_DSTOPT = 60;
