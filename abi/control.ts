// Control messages: the only way to change a running node (spec/control.md). A user whose
// ed25519 key the boot manifest lists (USER records) sends one UDP datagram to a node
// address on CTL_PORT; the kernel checks it, verifies the signature, refuses replays, acts
// on it and answers with one datagram. Little-endian, like the boot manifest. Valid
// AssemblyScript and TypeScript: the kernel, the hosts and `persia ctl` share it.
//
//   request  0 u32 magic "PCTL"   4 u8 version   5 u8 op (Op)   6 u16 pad (zero bytes at the end)
//            8 u64 epoch (the node's, from HELLO)   16 u64 seq (> the user's last)
//            24 key[32] (the user's ed25519 public key)
//            56 cookie[16] (from a reply to this source address; zeros in a first HELLO)
//            72 body (by op) ...   then `pad` zero bytes (the message is at least CTL_REQ_MIN:
//            room for a sealed answer)   last 64 bytes: signature over everything before them
//   HELLO is the 72-byte header and a 16-byte nonce of the client's, unsigned, epoch and seq 0.
//
//   reply    0 u32 magic "PCTR"   4 u8 version   5 u8 op   6 i16 clear (0: sealed; -EAGAIN or
//            -ESTALE: a refusal in clear that says only what anyone may know, and ends here)
//            8 u64 epoch   16 cookie[16] (for the address the request came from)
//            32 enc[32] (HPKE's ephemeral key)   64 the HPKE ciphertext of the sealed part
//   sealed   0 i16 result (0 or -Errno)   2 u8 0
//            3 u8 certificates after the text (CERT, CERTS; else 0)   4 u16 text length
//            6 u16 service id (LOAD: the slot it got; else RP_NO_SVC)
//            8 u64 seq (the request's; for HELLO the key's last accepted)   16 node key[32]
//            48 text (UTF-8, for a person), then that many certificates (wire/layout/cert.ts),
//            then zeros (before authentication: the answer is as long as the request), then
//            64 bytes: the node's ed25519 signature over SHA-256(the request, whole) ‖ the
//            reply's bytes 0..64 ‖ the sealed part before the signature
//   Sealed: HPKE (RFC 9180) mode_base, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
//   ChaCha20-Poly1305, to the X25519 form of the request's key (libsodium's
//   crypto_sign_ed25519_pk_to_curve25519), info SEAL_INFO, aad the reply's bytes 0..64.

import { SVC_MAX } from "./limits";

export const CTL_PORT = 4791;             // UDP port of the control plane on every node address
export const CTL_MAGIC = 0x4c544350;      // "PCTL" read as u32 LE
export const CTL_REPLY_MAGIC = 0x52544350; // "PCTR"
export const CTL_VERSION = 4;               // 2: a cookie in every request and reply; 3: sealed answers;
                                          // 4: the sealed answer's service id is u16 (SVC_MAX 1024, issue #17)

export enum Op {
  HELLO = 0,    // unsigned: the node's epoch and cookie in clear, the key's last sequence number sealed
  LOAD = 1,     // start a service from a module in the node's store, with its grants
  UNLOAD = 2,   // stop a service and free everything it held
  GRANT = 3,    // replace a running service's RAM, CPU, net and restart grants; add disk extents
  REVOKE = 4,   // take a disk extent (and everything derived from it) from a service
  // Issue #15: address certificates and block signals (spec/control.md). These are signed
  // by a key that holds (or asks for) an address, not by a manifest user.
  CERT = 5,     // certify the request's source address to its key (a host on the router's link)
  CERTS = 6,    // unsigned: the certificate chain the node issued for an address
  BLOCK = 7,    // the holder of an address's certificate: drop traffic from sources to it
  UNBLOCK = 8,  // the holder: remove such filters
  RELAY = 9,    // unsigned, router to router: a BLOCK or UNBLOCK passed toward its sources
  // Issue #14: modules delivered over the network (spec/control.md "Module transfer (PUT)").
  PUT = 10,     // a user: begin (or resume) sending a module for one of its domains to the store
  CHUNK = 11,   // unsigned: one chunk of a PUT's module, authenticated by its transfer id and cookie
}

export const CTL_MAGIC_OFF = 0;
export const CTL_VERSION_OFF = 4;
export const CTL_OP = 5;
export const CTL_PAD = 6;
export const CTL_EPOCH = 8;
export const CTL_SEQ = 16;
export const CTL_KEY = 24;
export const CTL_COOKIE = 56;
export const COOKIE_BYTES = 16;
export const CTL_HEADER = 72;
export const CTL_SIG = 64;                 // signature bytes at the end
export const CTL_MAX = 1232;               // 1280 - 40 (IPv6) - 8 (UDP): fits every link
export const CTL_REQ_MIN = 320;            // shortest request (padding included): a sealed refusal fits
export const HELLO_NONCE = 16;             // HELLO's body: the client's nonce, so no old answer fits it

// Bodies. Records are boot manifest records (abi/manifest.ts: type u8, 0 u8, length u16,
// body); their service-id byte is ignored and set by the kernel to the service acted on.
//   LOAD    module SHA-256[32], then records: one SERVICE, its SVC_ADDRs, and any of
//           CAP_DISK, NET, CPU, RESTART
//   UNLOAD  name length u8, domain name
//   GRANT   name length u8, domain name, then records: any of RAM, CPU, NET, RESTART,
//           CAP_DISK. A RAM, CPU or NET record replaces that grant; CAP_DISK adds an extent
//   REVOKE  name length u8, domain name, disk u8, 0 u8[7], offset u64, length u64
export const LOAD_HASH = 0;
export const LOAD_RECORDS = 32;
export const RV_DISK = 0;
export const RV_OFFSET = 8;
export const RV_LENGTH = 16;
export const RV_SIZE = 24;

// CERTS: the address[16] whose chain is asked for. The reply carries it (or ENOENT) and is
// never longer than the request: `persia ctl` pads it to CTL_MAX.
export const CS_ADDR = 0;
export const CS_SIZE = 16;

// BLOCK and UNBLOCK, signed by the key of the leaf of the chain, which certifies dst:
//   dst[16], protocol u8 (0: any), certificates in the chain u8, destination port u16 (0:
//   any; only with protocol 6, 17 or 58: UDP/TCP port, ICMPv6 type << 8), seconds u32
//   (BLOCK: how long the filters last, 1..BLOCK_SECONDS_MAX; UNBLOCK: 0), time u64 (Unix ms
//   on the signer's clock: a relayed request must be fresh), the chain (CERT_BYTES each,
//   leaf first), then sources to the end: prefix[16], length u8 each (1..BLOCK_SOURCES_MAX)
export const BL_DST = 0;
export const BL_PROTO = 16;
export const BL_CERTS = 17;
export const BL_PORT = 18;
export const BL_SECONDS = 20;
export const BL_TIME = 24;
export const BL_CHAIN = 32;
export const BL_SOURCE = 17;              // bytes per source: prefix[16], length u8
export const BL_SOURCE_LEN = 16;

// RELAY (unsigned; epoch, seq and cookie zero; key: the relaying router's node key, for
// logs): where the source's router answers, then the BLOCK or UNBLOCK exactly as it came,
// header to signature, which must be at most BLOCK_MAX bytes.
//   reply-to address[16], reply-to port u16, hops u8 (routers passed), 0 u8, request ...
export const RL_REPLY_ADDR = 0;
export const RL_REPLY_PORT = 16;
export const RL_HOPS = 18;
export const RL_REQUEST = 20;
/** The longest BLOCK or UNBLOCK: with the relay's header in front it still fits CTL_MAX. */
export const BLOCK_MAX = CTL_MAX - CTL_HEADER - RL_REQUEST;

export const RP_CLEAR = 6;                 // i16: 0 sealed, or the refusal in clear
export const RP_EPOCH = 8;
export const RP_COOKIE = 16;
export const RP_ENC = 32;
export const RP_SEALED = 64;               // the ciphertext; the bytes before it are the aad
export const RP_CLEAR_SIZE = 32;           // a refusal in clear: magic to cookie
export const SEAL_TAG = 16;                // ChaCha20-Poly1305's tag after the ciphertext
export const SP_RESULT = 0;
export const SP_SVC = 6;
export const SP_CERTS = 3;
export const SP_TEXT_LEN = 4;
export const SP_SEQ = 8;
export const SP_NODE = 16;
export const SP_TEXT = 48;
export const SP_SIG = 64;                  // the node's signature, the sealed part's last bytes
/** Bytes of a sealed answer besides its text and certificates. */
export const SEAL_OVERHEAD = RP_SEALED + SP_TEXT + SP_SIG + SEAL_TAG;
export const SEAL_INFO = "PersiaOS control answer v3";   // HPKE's info
export const RP_NO_SVC = 0xffff;

// PUT (signed by a user): module SHA-256[32], size u32 (bytes, 1..MODULE_MAX of abi/limits.ts), name length
// u8, the domain the module is for (one of the user's). The answer's text names the transfer
// (PUT_ID_BYTES of the host's randomness, in hex) and what the node holds (PUT_HAVE_TEXT), or
// says the store holds the module already.
export const PT_HASH = 0;
export const PT_SIZE = 32;
export const PT_NAME_LEN = 36;
export const PT_NAME = 37;
export const PUT_ID_BYTES = 16;
// mod_stage's answers (abi/contract.ts) besides -Errno.
export const MS_STAGED = 0;                // a fresh staging area
export const MS_HELD = 1;                  // the store holds the module already

// CHUNK (unsigned; the header's key is the user's, epoch this boot's, cookie the source
// address's, seq the chunk's index, echoed by the answer): transfer id[16], index u32,
// data length u16, flags u8 (CK_ANSWER; other bits 0), 0 u8, data, then any padding (the
// answer is never longer than the request, so a short last chunk is padded to make room
// for it). The node writes every valid chunk but answers only those flagged CK_ANSWER (a
// sealed answer costs it two X25519 and a signature), and only while the node's budget of
// chunk answers lasts (kernel/param.ts CHUNK_ANSWER_PER_S). Each answer acknowledges
// every chunk held so far, in its text (PUT_HAVE_TEXT):
//   "have <H> of <T> chunks; all before <B>; from <B>: <16 hex digits>", e.g.
//   "have 5 of 9 chunks; all before 3; from 3: 0000000000000006",
// where the 16 hex digits are a u64, bit i set when chunk B + i is held (B = T: all). The
// answer to the chunk that completes the module says whether the node stored it, and why not.
export const CK_ID = 0;
export const CK_INDEX = 16;
export const CK_LEN = 20;
export const CK_FLAGS = 22;
export const CK_DATA = 24;
export const CK_ANSWER = 1;                // flag: answer this chunk (sealed) with what is held
export const PUT_HAVE_TEXT = "have ";

// The svc_load request the kernel writes for its host (abi/contract.ts svc_load):
//   module SHA-256[32], free ids: SVC_MAX bits (bit i, byte i/8 bit i%8 - the u32 at SL_FREE
//   holds ids 0..31 as before ABI 11 - : service id i is free), RAM max pages u32,
//   name length u8, domain name
export const SL_HASH = 0;
export const SL_FREE = 32;
export const SL_FREE_BYTES = SVC_MAX / 8;
export const SL_RAM_MAX = SL_FREE + SL_FREE_BYTES;
export const SL_NAME_LEN = SL_RAM_MAX + 4;
export const SL_NAME = SL_NAME_LEN + 1;
