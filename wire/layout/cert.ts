// An address certificate (issue #15, spec/wire.md "Address certificates"): a router's
// statement, signed with its ed25519 key, that an address — or a prefix it delegates —
// is held by the owner of another ed25519 key until a given time. DESIGN.md: "every IP has
// a public key issued by the /64 router". Layout only, valid AssemblyScript and TypeScript:
// the kernel (kernel/cert/), the loader, `persia cert` and the tests share it.
// Little-endian, like the rest of the node's own formats. 168 bytes, fixed.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                       magic "PCRT"                            |   0
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  version 1    | prefix length |    flags      |       0       |   4
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |        not before: Unix time in seconds, u64                  |   8
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |        not after: Unix time in seconds, u64 (first second     |  16
//   |        at which it is no longer valid)                        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |   the address, or the prefix (bits past its length zero) 16   |  24
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |   holder: the ed25519 public key that holds it, 32            |  40
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |   issuer: the ed25519 public key that signs it, 32            |  72
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |   signature: ed25519 (RFC 8032, pure) by issuer of bytes 0-103|  104
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  168
//
// A prefix length of 128 certifies one address; a shorter one a prefix. Only a certificate
// with CERT_ISSUER may sign certificates below it, each inside its prefix and its validity.
// A chain is sent leaf first; it ends at a certificate whose issuer the verifier trusts
// for the leaf's address (spec/security.md).

export const CERT_MAGIC = 0x54524350;   // "PCRT" read as u32 LE
export const CERT_VERSION = 1;
export const CERT_MAGIC_OFF = 0;
export const CERT_VERSION_OFF = 4;
export const CERT_LEN = 5;
export const CERT_FLAGS = 6;
export const CERT_NOT_BEFORE = 8;
export const CERT_NOT_AFTER = 16;
export const CERT_PREFIX = 24;
export const CERT_HOLDER = 40;
export const CERT_ISSUER_KEY = 72;
export const CERT_SIG = 104;            // the signed bytes are 0..CERT_SIG
export const CERT_BYTES = 168;

/** flags: the holder may certify addresses and prefixes inside this one (a router's prefix). */
export const CERT_ISSUER = 0x01;
