// Neighbor discovery messages (RFC 4861 §4) after the ICMPv6 type, code and checksum, and
// their options (§4.6). Layout only, valid AssemblyScript and TypeScript; wire/nd.ts
// finds options and builds the messages the kernel sends.
//
//   Router Solicitation (§4.1)          Router Advertisement (§4.2)
//    4 Reserved (32)                     4 Cur Hop Limit | M|O| Reserved | Router Lifetime
//    8 Options ...                       8 Reachable Time (32)   12 Retrans Timer (32)
//                                       16 Options ...
//   Neighbor Solicitation (§4.3)        Neighbor Advertisement (§4.4)
//    4 Reserved (32)                     4 |R|S|O| Reserved (29 bits)
//    8 Target Address (16)               8 Target Address (16)
//   24 Options ...                      24 Options ...
//
//   Redirect (§4.5)
//    4 Reserved (32)   8 Target Address (16)   24 Destination Address (16)   40 Options ...
//
//   an option (§4.6):  | Type | Length (in units of 8 bytes, 0 is invalid) | ...
//     link-layer address (§4.6.1): 2 the MAC (6)                          8 bytes
//     prefix information (§4.6.2): 2 Prefix Length  3 |L|A| Reserved1
//                                  4 Valid Lifetime  8 Preferred Lifetime
//                                 12 Reserved2      16 Prefix (16)        32 bytes
//     MTU (§4.6.4):                2 Reserved (16)   4 MTU (32)            8 bytes

/** Every ND message is sent, and must arrive, with this hop limit (§7.1.1, §6.1). */
export const ND_HOP_LIMIT = 255;

export const RS_OPTIONS = 8;

export const RA_CUR_HOP_LIMIT = 4;
export const RA_FLAGS = 5;
export const RA_ROUTER_LIFETIME = 6;
export const RA_REACHABLE_TIME = 8;
export const RA_RETRANS_TIMER = 12;
export const RA_OPTIONS = 16;

export const RD_TARGET = 8;
export const RD_DEST = 24;
export const RD_OPTIONS = 40;           // also the shortest Redirect

export const ND_RESERVED = 4;           // NS: reserved; NA: the flags
export const NA_FLAGS = 4;
export const ND_TARGET = 8;
export const ND_OPTIONS = 24;           // also the shortest NS or NA
export const NA_ROUTER = 0x80000000;
export const NA_SOLICITED = 0x40000000;
export const NA_OVERRIDE = 0x20000000;

export const NDOPT_TYPE = 0;
export const NDOPT_LEN = 1;
export const NDOPT_UNIT = 8;
export const NDOPT_DATA = 2;          // after type and length
export const NDOPT_SLLA = 1;
export const NDOPT_TLLA = 2;
export const NDOPT_PREFIX = 3;
export const NDOPT_REDIRECTED = 4;
export const NDOPT_MTU = 5;

export const LLA_MAC = NDOPT_DATA;
export const LLA_LEN = 8;               // an Ethernet MAC's option

export const PI_PREFIX_LEN = 2;
export const PI_FLAGS = 3;
export const PI_VALID = 4;
export const PI_PREFERRED = 8;
export const PI_RESERVED = 12;
export const PI_PREFIX = 16;
export const PI_LEN = 32;
export const PI_ON_LINK = 0x80;         // L
export const PI_AUTONOMOUS = 0x40;      // A (RFC 4862)

export const MTUOPT_RESERVED = 2;
export const MTUOPT_MTU = 4;
export const MTUOPT_LEN = 8;
