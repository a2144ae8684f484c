// IPv6 extension headers (RFC 8200 §4): the two bytes every one of them starts with, the
// options of Hop-by-Hop and Destination Options headers (§4.2), the Routing (§4.4) and
// Fragment (§4.5) headers, and the Authentication Header's length (RFC 4302 §2.2). Layout
// only, valid AssemblyScript and TypeScript; wire/ipv6.ts measures a header's length.
//
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  Next Header  |  Hdr Ext Len  |  Options, or Routing Type and  |   0
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  Segments Left, or ...         |
//   |   (Hdr Ext Len + 1) × 8 bytes in all; for AH (Len + 2) × 4     |   4
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
//   an option (§4.2):  | Option Type | Opt Data Len | Option Data ...
//   Routing (§4.4):    | Next Header | Hdr Ext Len | Routing Type | Segments Left | ...
//   Fragment (§4.5):   | Next Header | Reserved | Fragment Offset |Res|M| Identification |

export const EXT_NEXT = 0;
export const EXT_LEN = 1;
/** The smallest extension header, and the unit Hdr Ext Len counts in (beyond the first). */
export const EXT_UNIT = 8;
/** The Authentication Header counts 4-byte units, less two (RFC 4302 §2.2). */
export const AH_UNIT = 4;

export const OPT_TYPE = 0;
export const OPT_LEN = 1;
export const OPT_DATA = 2;
export const OPT_PAD1 = 0;
export const OPT_PADN = 1;
export const OPT_ROUTER_ALERT = 5;      // RFC 2711
/** The two high bits of an option type say what to do with an unknown one (§4.2). */
export const OPT_ACTION_SHIFT = 6;

export const RH_TYPE = 2;
export const RH_SEGMENTS_LEFT = 3;

export const FH_OFFSET = 2;             // 13-bit offset, 2 reserved bits, M flag
export const FH_ID = 4;
export const FH_LEN = 8;
