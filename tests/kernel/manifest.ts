// Hand-built binary boot manifests (abi/manifest.ts, little-endian): header, then records
// of type, 0, body length, body. Every offset and type number is written out here as a
// literal from that layout rather than taken from the kernel's constants, so a test of the
// kernel's parser starts from the bytes a host would send. Used by the boot and
// end-to-end specs: mfStart(p), then one call per record, then mfEnd() for the length.
import { putAddr, put } from "./frames";

let base: usize = 0;
let pos: i32 = 0;
let count: i32 = 0;

function le16(p: usize, v: u32): void { store<u8>(p, <u8>v); store<u8>(p + 1, <u8>(v >> 8)); }
function le32(p: usize, v: u32): void { le16(p, v & 0xffff); le16(p + 2, v >> 16); }
function le64(p: usize, v: u64): void { le32(p, <u32>v); le32(p + 4, <u32>(v >> 32)); }

/** Begin a manifest at p: magic "PRSA", version 2, record count filled in by mfEnd. */
export function mfStart(p: usize): void {
  base = p;
  put(p, "50 52 53 41 0200 0000");
  pos = 8;
  count = 0;
}

/** Open a record; returns its body's address. */
export function mfRecord(type: u32, n: i32): usize {
  let r = base + <usize>pos;
  store<u8>(r, <u8>type);
  store<u8>(r + 1, 0);
  le16(r + 2, <u32>n);
  memory.fill(r + 4, 0, <usize>n);
  pos += 4 + n;
  count++;
  return r + 4;
}

/** Close the manifest; returns its length in bytes. */
export function mfEnd(): i32 {
  le16(base + 6, <u32>count);
  return pos;
}

function putName(p: usize, name: string): void {
  for (let i = 0; i < name.length; i++) store<u8>(p + <usize>i, <u8>name.charCodeAt(i));
}

/** NODE (1): role u8, name length u8, name. */
export function mfNode(role: u32, name: string): void {
  let b = mfRecord(1, 2 + name.length);
  store<u8>(b, <u8>role);
  store<u8>(b + 1, <u8>name.length);
  putName(b + 2, name);
}

/** NIC (2): id u8, kind u8, mtu u16, mac[6]. */
export function mfNic(id: u32, mtu: u32, mac: string, kind: u32 = 0): void {
  let b = mfRecord(2, 10);
  store<u8>(b, <u8>id);
  store<u8>(b + 1, <u8>kind);              // NicKind: VIRTUAL unless told
  le16(b + 2, mtu);
  put(b + 4, mac);
}

/** PREFIX (3): nic u8, length u8, address[16]. */
export function mfPrefix(nic: u32, len: u32, prefix: string): void {
  let b = mfRecord(3, 18);
  store<u8>(b, <u8>nic);
  store<u8>(b + 1, <u8>len);
  putAddr(b + 2, prefix);
}

/** ROUTE (4): nic u8, length u8, prefix[16], via[16]. */
export function mfRoute(nic: u32, len: u32, prefix: string, via: string): void {
  let b = mfRecord(4, 34);
  store<u8>(b, <u8>nic);
  store<u8>(b + 1, <u8>len);
  putAddr(b + 2, prefix);
  putAddr(b + 18, via);
}

/** SERVICE (5): id u16, restart limit u16, RAM min u32, RAM max u32, name length, name. */
export function mfService(id: u32, name: string): void {
  let b = mfRecord(5, 13 + name.length);
  le16(b, id);
  le16(b + 2, 3);
  le32(b + 4, 1);
  le32(b + 8, 16);
  store<u8>(b + 12, <u8>name.length);
  putName(b + 13, name);
}

/** SVC_ADDR (6): service u16, address[16]. */
export function mfSvcAddr(svc: u32, a: string): void {
  let b = mfRecord(6, 18);
  le16(b, svc);
  putAddr(b + 2, a);
}

/** DISK (7): id u8, 0, 0 u16, size u64. */
export function mfDisk(id: u32, size: u64): void {
  let b = mfRecord(7, 12);
  store<u8>(b, <u8>id);
  le64(b + 4, size);
}

/** CAP_DISK (8): service u16, disk u8, rights u8, offset u64, length u64. */
export function mfCapDisk(svc: u32, disk: u32, rights: u32, off: u64, len: u64): void {
  let b = mfRecord(8, 20);
  le16(b, svc);
  store<u8>(b + 2, <u8>disk);
  store<u8>(b + 3, <u8>rights);
  le64(b + 4, off);
  le64(b + 12, len);
}

/** USB (28): id u8, 0, 0 u16. */
export function mfUsb(id: u32): void {
  store<u8>(mfRecord(28, 4), <u8>id);
}

/** CAP_USB (29): service u16, usb u8, rights u8. */
export function mfCapUsb(svc: u32, usb: u32, rights: u32): void {
  let b = mfRecord(29, 4);
  le16(b, svc);
  store<u8>(b + 2, <u8>usb);
  store<u8>(b + 3, <u8>rights);
}

/** RA (9): nic u8, flags u8, cur hop limit u8, 0, min interval u16 s, max interval u16 s,
 *  router lifetime u16 s, 0 u16, reachable u32 ms, retrans u32 ms, valid u32 s,
 *  preferred u32 s. */
export function mfRa(nic: u32, flags: u32, hops: u32, min: u32, max: u32, life: u32,
  reachable: u32, retrans: u32, valid: u32, preferred: u32): void {
  let b = mfRecord(9, 28);
  store<u8>(b, <u8>nic);
  store<u8>(b + 1, <u8>flags);
  store<u8>(b + 2, <u8>hops);
  le16(b + 4, min);
  le16(b + 6, max);
  le16(b + 8, life);
  le32(b + 12, reachable);
  le32(b + 16, retrans);
  le32(b + 20, valid);
  le32(b + 24, preferred);
}

/** USER (14): key[32] (hex), user name length u8, domain length u8, user name, domain. */
export function mfUser(keyHex: string, user: string, domain: string): void {
  let b = mfRecord(14, 34 + user.length + domain.length);
  put(b, keyHex);
  store<u8>(b + 32, <u8>user.length);
  store<u8>(b + 33, <u8>domain.length);
  putName(b + 34, user);
  putName(b + 34 + user.length, domain);
}

/** USER_PREFIX (16): key[32] (hex), prefix length u8, 0, 0 u16, prefix[16]. */
export function mfUserPrefix(keyHex: string, len: u32, prefix: string): void {
  let b = mfRecord(16, 52);
  put(b, keyHex);
  store<u8>(b + 32, <u8>len);
  putAddr(b + 36, prefix);
}

/** USER_DISK (17): key[32] (hex), disk u8, rights u8, 0 u16, offset u64, length u64. */
export function mfUserDisk(keyHex: string, disk: u32, rights: u32, off: u64, len: u64): void {
  let b = mfRecord(17, 52);
  put(b, keyHex);
  store<u8>(b + 32, <u8>disk);
  store<u8>(b + 33, <u8>rights);
  le64(b + 36, off);
  le64(b + 44, len);
}

/** NET (10): nic u8, 0, service u16 (given as 0xff forwarded, 0xfe the line rate: NET_FORWARD, NET_LINK),
 *  min u64 bit/s, max u64 bit/s. */
export function mfNet(nic: u32, svc: u32, min: u64, max: u64): void {
  let b = mfRecord(10, 20);
  store<u8>(b, <u8>nic);
  le16(b + 2, svc == 0xff || svc == 0xfe ? 0xff00 | svc : svc);   // 0xff, 0xfe: NET_FORWARD, NET_LINK
  le64(b + 4, min);
  le64(b + 12, max);
}

/** CPU (11): service u16, min permille u16, max permille u16 (0: all of the period). */
export function mfCpu(svc: u32, min: u32, max: u32): void {
  let b = mfRecord(11, 6);
  le16(b, svc);
  le16(b + 2, min);
  le16(b + 4, max);
}

/** AUTOCONF (18): nic u8, flags u8 (1: take configuration from RAs), DAD transmits u8, 0,
 *  secret_key[16] (hex; "" for zeros). */
export function mfAutoconf(nic: u32, flags: u32, dad: u32, secret: string): void {
  let b = mfRecord(18, 20);
  store<u8>(b, <u8>nic);
  store<u8>(b + 1, <u8>flags);
  store<u8>(b + 2, <u8>dad);
  if (secret.length > 0) put(b + 4, secret);
}

/** SVC_LEARNED (19): service u16, nic u8, 0. */
export function mfSvcLearned(svc: u32, nic: u32): void {
  let b = mfRecord(19, 4);
  le16(b, svc);
  store<u8>(b + 2, <u8>nic);
}

/** NODE_KEY (23): seed[32], copied from seed. */
export function mfNodeKey(seed: usize): void {
  memory.copy(mfRecord(23, 32), seed, 32);
}

/** TRUST (24): key[32] (copied from key), prefix[16], length u8, 0 u8[3]. */
export function mfTrust(key: usize, len: u32, prefix: string): void {
  let b = mfRecord(24, 52);
  memory.copy(b, key, 32);
  putAddr(b + 32, prefix);
  store<u8>(b + 48, <u8>len);
}

/** NODE_CERT (25): a certificate's 168 bytes, copied from c. */
export function mfNodeCert(c: usize): void {
  memory.copy(mfRecord(25, 168), c, 168);
}
