// Control messages: the only way to change a running node (spec/control.md). A user whose
// ed25519 key the boot manifest lists (USER records) sends one UDP datagram to a node
// address on CTL_PORT; the kernel checks it, verifies the signature, refuses replays, acts
// on it and answers with one datagram. Little-endian, like the boot manifest. Valid
// AssemblyScript and TypeScript: the kernel, the hosts and `persia ctl` share it.
//
//   request  0 u32 magic "PCTL"   4 u8 version   5 u8 op (Op)   6 u16 0
//            8 u64 epoch (the node's, from HELLO)   16 u64 seq (> the user's last)
//            24 key[32] (the user's ed25519 public key)
//            56 cookie[16] (from a reply to this source address; zeros in a HELLO)
//            72 body (by op) ...   last 64 bytes: signature over everything before them
//   HELLO is the 72-byte header (padding may follow), unsigned, epoch and seq 0.
//
//   reply    0 u32 magic "PCTR"   4 u8 version   5 u8 op   6 i16 result (0 or -Errno)
//            8 u64 epoch   16 u64 seq (the request's; for HELLO the user's last accepted)
//            24 u8 service id (LOAD: the slot it got; else 0xff)   25 u8 0   26 u16 text length
//            28 cookie[16] (for the address the request came from; the next request carries it)
//            44 text (UTF-8, for a person: what was done, or what was refused and why)

export const CTL_PORT = 4791;             // UDP port of the control plane on every node address
export const CTL_MAGIC = 0x4c544350;      // "PCTL" read as u32 LE
export const CTL_REPLY_MAGIC = 0x52544350; // "PCTR"
export const CTL_VERSION = 2;               // 2: a cookie in every request and reply

export enum Op {
  HELLO = 0,    // unsigned: the node's epoch and the user's last sequence number
  LOAD = 1,     // start a service from a module in the node's store, with its grants
  UNLOAD = 2,   // stop a service and free everything it held
  GRANT = 3,    // replace a running service's RAM, CPU, net and restart grants; add disk extents
  REVOKE = 4,   // take a disk extent (and everything derived from it) from a service
}

export const CTL_MAGIC_OFF = 0;
export const CTL_VERSION_OFF = 4;
export const CTL_OP = 5;
export const CTL_EPOCH = 8;
export const CTL_SEQ = 16;
export const CTL_KEY = 24;
export const CTL_COOKIE = 56;
export const COOKIE_BYTES = 16;
export const CTL_HEADER = 72;
export const CTL_SIG = 64;                 // signature bytes at the end
export const CTL_MAX = 1232;               // 1280 - 40 (IPv6) - 8 (UDP): fits every link

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

export const RP_RESULT = 6;
export const RP_SVC = 24;
export const RP_TEXT_LEN = 26;
export const RP_COOKIE = 28;
export const RP_TEXT = 44;
export const RP_NO_SVC = 0xff;

// The svc_load request the kernel writes for its host (abi/contract.ts svc_load):
//   module SHA-256[32], free slots u32 (bit i: service id i is free), RAM max pages u32,
//   name length u8, domain name
export const SL_HASH = 0;
export const SL_FREE = 32;
export const SL_RAM_MAX = 36;
export const SL_NAME_LEN = 40;
export const SL_NAME = 41;
