// ICMPv6 (RFC 4443): the message header, echo (§4) and error (§3) bodies, message types and
// the codes the node sends. Neighbor discovery's messages are in layout/nd.ts. Layout only,
// valid AssemblyScript and TypeScript.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     Type      |     Code      |          Checksum             |   0
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  echo: Identifier, Sequence Number; errors: unused, MTU or    |   4
//   |  Pointer (§3.2, §3.4)                                         |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  echo: Data ...   errors: as much of the invoking packet as fits  8

export const ICMP_TYPE = 0;
export const ICMP_CODE = 1;
export const ICMP_CHECKSUM = 2;
/** The 32 bits after the checksum: MTU, pointer, or echo identifier and sequence. */
export const ICMP_WORD = 4;
/** Type, code and checksum: the least a message has. */
export const ICMP_MIN = 4;
/** Type, code, checksum and the word: an error's or an echo's header. */
export const ICMP_HDR = 8;

export const ECHO_ID = 4;
export const ECHO_SEQ = 6;
export const ECHO_DATA = 8;

// Types (§2.1): errors are below 128.
export const ICMP_UNREACH = 1;
export const ICMP_TOO_BIG = 2;
export const ICMP_TIME = 3;
export const ICMP_PARAM = 4;
export const ICMP_ECHO_REQUEST = 128;
export const ICMP_ECHO_REPLY = 129;
export const ICMP_MLD_REPORT = 131;     // RFC 2710 §3
export const ICMP_RS = 133;             // RFC 4861 §4
export const ICMP_RA = 134;
export const ICMP_NS = 135;
export const ICMP_NA = 136;
export const ICMP_REDIRECT = 137;
export const ICMP_MLD2_REPORT = 143;    // RFC 3810 §5.2
/** The first informational type; lower ones are errors. */
export const ICMP_INFO_MIN = 128;
