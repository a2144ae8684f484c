// The binary boot manifest of abi/manifest.ts as a TypeScript value, with its encoder and
// a bounds-checked decoder. The encoder writes records in one fixed order (NODE, BUDGET,
// USERs, NODE_KEY, TRUSTs, NODE_CERTs, PUBLISHERs, NICs, AUTOCONFs, WGs, WG_PEERs, WG_ALLOWEDs, RAs, PREFIXes, ROUTEs, DISKs, USBs, USER_PREFIXes, USER_DISKs, USER_STOREs, SERVICEs,
// SVC_ADDRs, SVC_LEARNEDs, CAP_DISKs, CAP_USBs, NETs, CPUs, RESTARTs, RAMs) so references always point
// backwards and decode-then-encode gives the same bytes. The decoder accepts any order
// and refuses, with the byte offset, anything the kernel would refuse: a short record, a
// non-zero reserved byte, an unknown type, a wrong count, trailing bytes. Deliberately no
// meaning checks (a NIC id that exists, ...): compile.ts only emits valid ones and the
// kernel checks again. Called by compile.ts, `persia status` and tests.
import * as M from "../../abi/manifest";
import { LoaderError } from "../errors";
import { IP6_BYTES, MAC_BYTES } from "../ip6";
import { BootWireguard, WG_FIXED, WG_ZERO, decodeWgRecord, wgRecordList } from "./boot_wg";
import { BootCerts, CERT_FIXED, CERT_ZERO, certRecordList, decodeCertRecord } from "./boot_cert";
import { BootPublishers, PUBLISHER_ZERO, decodePublisherRecord, publisherRecordList } from "./boot_modsig";
import { BootUsbs, USB_FIXED, USB_ZERO, capUsbRecordList, decodeUsbRecord, usbRecordList } from "./boot_usb";

export interface BootNode { role: number; name: string; }
export interface BootNic { id: number; kind: number; mtu: number; mac: Uint8Array; }
/** An RA record: flags are RA_MANAGED | RA_OTHER bits; seconds and milliseconds as in abi/manifest.ts. */
export interface BootRa {
  nic: number; flags: number; hopLimit: number; minInterval: number; maxInterval: number; lifetime: number;
  reachableTime: number; retransTimer: number; validLifetime: number; preferredLifetime: number;
}
export interface BootPrefix { nic: number; len: number; addr: Uint8Array; }
export interface BootRoute { nic: number; len: number; prefix: Uint8Array; via: Uint8Array; }
export interface BootDisk { id: number; size: bigint; }
export interface BootService { id: number; restartLimit: number; ramMinPages: number; ramMaxPages: number; name: string; }
export interface BootSvcAddr { svc: number; addr: Uint8Array; }
export interface BootCapDisk { svc: number; disk: number; rights: number; offset: bigint; length: bigint; }
/** A NET record: svc is a service id, NET_FORWARD or NET_LINK; rates in bit/s, max 0 = unlimited. */
export interface BootNet { nic: number; svc: number; min: bigint; max: bigint; }
/** A USER record: an ed25519 public key (32 bytes), the user's name and one domain it controls. */
export interface BootUser { key: Uint8Array; user: string; domain: string; }
/** A RAM record (GRANT control messages only): a service's RAM min and max in pages. */
export interface BootRam { svc: number; minPages: number; maxPages: number; }
/** A USER_PREFIX record: a prefix the user with this key may give its services' addresses from. */
export interface BootUserPrefix { key: Uint8Array; len: number; prefix: Uint8Array; }
/** An AUTOCONF record: flags are AC_* bits, dad is DupAddrDetectTransmits, secret RFC 7217's 16-byte key. */
export interface BootAutoconf { nic: number; flags: number; dad: number; secret: Uint8Array; }
/** A SVC_LEARNED record: service svc forms an address in each prefix learned on NIC nic. */
export interface BootSvcLearned { svc: number; nic: number; }
/** A USER_DISK record: an extent the user with this key may grant, with at most these rights. */
export interface BootUserDisk { key: Uint8Array; disk: number; rights: number; offset: bigint; length: bigint; }
/** A USER_STORE record: the bytes of modules the user with this key may PUT into the store. */
export interface BootUserStore { key: Uint8Array; bytes: number; }

export interface BootManifest extends BootWireguard, BootCerts, BootPublishers, BootUsbs {
  node: BootNode;
  nics: BootNic[];
  ras: BootRa[];
  prefixes: BootPrefix[];
  routes: BootRoute[];
  disks: BootDisk[];
  services: BootService[];
  svcAddrs: BootSvcAddr[];
  capDisks: BootCapDisk[];
  nets?: BootNet[];        // missing = none, so hand-built manifests need not name it
  cpus?: BootCpu[];        // missing = none
  restarts?: BootRestart[]; // missing = none
  budget?: number | null;  // the node's RAM budget in pages; missing or null = none
  users?: BootUser[];      // missing = none
  userPrefixes?: BootUserPrefix[]; // missing = none
  userDisks?: BootUserDisk[];      // missing = none
  userStores?: BootUserStore[];    // missing = none
  rams?: BootRam[];        // missing = none (a boot manifest never has them; GRANTs do)
  autoconfs?: BootAutoconf[];  // missing = none
  svcLearned?: BootSvcLearned[]; // missing = none (boot only: a LOAD never has them)
}

/** A BootManifest with every list present: what the decoder and compile.ts return. */
/** A CPU record: a service's min and max share of each period, in permille (max 0 = all). */
export interface BootCpu { svc: number; min: number; max: number; }
/** A RESTART record: a service's first and longest restart delay, in ms. */
export interface BootRestart { svc: number; first: number; max: number; }
export type FullBootManifest = BootManifest & {
  nets: BootNet[]; cpus: BootCpu[]; restarts: BootRestart[]; budget: number | null; users: BootUser[]; rams: BootRam[];
  userPrefixes: BootUserPrefix[]; userDisks: BootUserDisk[]; userStores: BootUserStore[]; autoconfs: BootAutoconf[]; svcLearned: BootSvcLearned[];
} & Required<BootWireguard> & Required<BootCerts> & Required<BootPublishers> & Required<BootUsbs>;

const utf8 = new TextEncoder();

/** One record body: `size` bytes, filled by `fill` through a DataView. */
/** The static routes, RT_PER_RECORD to a ROUTE record (abi/manifest.ts). */
function routeRecords(routes: BootRoute[]): [M.Rec, Uint8Array][] {
  const out: [M.Rec, Uint8Array][] = [];
  for (let i = 0; i < routes.length; i += M.RT_PER_RECORD) {
    const part = routes.slice(i, i + M.RT_PER_RECORD);
    out.push([M.Rec.ROUTE, body(part.length * M.RT_SIZE, (v, b) => part.forEach((r, k) => {
      const at = k * M.RT_SIZE;
      v.setUint8(at + M.RT_NIC, r.nic); v.setUint8(at + M.RT_LEN, r.len); b.set(r.prefix, at + M.RT_PREFIX); b.set(r.via, at + M.RT_VIA);
    }))]);
  }
  return out;
}

function body(size: number, fill: (v: DataView, b: Uint8Array) => void): Uint8Array {
  const b = new Uint8Array(size);
  fill(new DataView(b.buffer), b);
  return b;
}

function named(fixed: number, lenAt: number, name: string, fill: (v: DataView) => void): Uint8Array {
  const n = utf8.encode(name);
  if (n.length > M.NAME_MAX) throw new Error(`boot manifest: name "${name}" is longer than ${M.NAME_MAX} bytes`);
  return body(fixed + n.length, (v, b) => { fill(v); v.setUint8(lenAt, n.length); b.set(n, fixed); });
}

function userRecord(u: BootUser): Uint8Array {
  const user = utf8.encode(u.user), domain = utf8.encode(u.domain);
  if (u.key.length !== 32) throw new Error(`boot manifest: user ${u.user}'s key is ${u.key.length} bytes, not 32`);
  if (user.length > M.USER_NAME_MAX || domain.length > M.NAME_MAX) throw new Error(`boot manifest: user ${u.user} or domain ${u.domain} too long`);
  return body(M.US_TEXT + user.length + domain.length, (v, b) => {
    b.set(u.key, M.US_KEY); v.setUint8(M.US_USER_LEN, user.length); v.setUint8(M.US_DOMAIN_LEN, domain.length);
    b.set(user, M.US_TEXT); b.set(domain, M.US_TEXT + user.length);
  });
}

/** The records of `m` in the encoder's order, each as its type and body. A control
 *  message's body (abi/control.ts) uses the same records for one service. */
export function bootRecordList(m: Partial<BootManifest>): [M.Rec, Uint8Array][] {
  return [
    ...(m.node ? [[M.Rec.NODE, named(M.NODE_NAME, M.NODE_NAME_LEN, m.node.name, (v) => v.setUint8(M.NODE_ROLE, m.node!.role))] as [M.Rec, Uint8Array]] : []),
    ...(m.budget != null ? [[M.Rec.BUDGET, body(M.BG_SIZE, (v) => v.setUint32(M.BG_RAM, m.budget!, true))] as [M.Rec, Uint8Array]] : []),
    ...(m.users ?? []).map((u): [M.Rec, Uint8Array] => [M.Rec.USER, userRecord(u)]),
    ...certRecordList(m, body),
    ...publisherRecordList(m, body),
    ...(m.nics ?? []).map((n): [M.Rec, Uint8Array] => [M.Rec.NIC, body(M.NIC_SIZE, (v, b) => {
      v.setUint8(M.NIC_ID, n.id); v.setUint8(M.NIC_KIND, n.kind); v.setUint16(M.NIC_MTU, n.mtu, true); b.set(n.mac, M.NIC_MAC);
    })]),
    ...(m.autoconfs ?? []).map((a): [M.Rec, Uint8Array] => [M.Rec.AUTOCONF, body(M.AC_SIZE, (v, b) => {
      if (a.secret.length !== M.AC_SIZE - M.AC_SECRET) throw new Error(`boot manifest: NIC ${a.nic}'s secret is ${a.secret.length} bytes`);
      v.setUint8(M.AC_NIC, a.nic); v.setUint8(M.AC_FLAGS, a.flags); v.setUint8(M.AC_DAD, a.dad); b.set(a.secret, M.AC_SECRET);
    })]),
    ...wgRecordList(m, body),
    ...(m.ras ?? []).map((a): [M.Rec, Uint8Array] => [M.Rec.RA, body(M.RA_SIZE, (v) => {
      v.setUint8(M.RA_NIC, a.nic); v.setUint8(M.RA_FLAGS, a.flags); v.setUint8(M.RA_HOP_LIMIT, a.hopLimit);
      v.setUint16(M.RA_MIN_INTERVAL, a.minInterval, true); v.setUint16(M.RA_MAX_INTERVAL, a.maxInterval, true);
      v.setUint16(M.RA_LIFETIME, a.lifetime, true); v.setUint32(M.RA_REACHABLE, a.reachableTime, true);
      v.setUint32(M.RA_RETRANS, a.retransTimer, true); v.setUint32(M.RA_VALID, a.validLifetime, true);
      v.setUint32(M.RA_PREFERRED, a.preferredLifetime, true);
    })]),
    ...(m.prefixes ?? []).map((p): [M.Rec, Uint8Array] => [M.Rec.PREFIX, body(M.PFX_SIZE, (v, b) => {
      v.setUint8(M.PFX_NIC, p.nic); v.setUint8(M.PFX_LEN, p.len); b.set(p.addr, M.PFX_ADDR);
    })]),
    ...routeRecords(m.routes ?? []),
    ...(m.disks ?? []).map((d): [M.Rec, Uint8Array] => [M.Rec.DISK, body(M.DISK_SIZE, (v) => {
      v.setUint8(M.DISK_ID, d.id); v.setBigUint64(M.DISK_BYTES, d.size, true);
    })]),
    ...usbRecordList(m, body),
    ...(m.userPrefixes ?? []).map((u): [M.Rec, Uint8Array] => [M.Rec.USER_PREFIX, body(M.UP_SIZE, (v, b) => {
      b.set(u.key, M.UP_KEY); v.setUint8(M.UP_LEN, u.len); b.set(u.prefix, M.UP_PREFIX);
    })]),
    ...(m.userDisks ?? []).map((u): [M.Rec, Uint8Array] => [M.Rec.USER_DISK, body(M.UD_SIZE, (v, b) => {
      b.set(u.key, M.UD_KEY); v.setUint8(M.UD_DISK, u.disk); v.setUint8(M.UD_RIGHTS, u.rights);
      v.setBigUint64(M.UD_OFFSET, u.offset, true); v.setBigUint64(M.UD_LENGTH, u.length, true);
    })]),
    ...(m.userStores ?? []).map((u): [M.Rec, Uint8Array] => [M.Rec.USER_STORE, body(M.UT_SIZE, (v, b) => {
      b.set(u.key, M.UT_KEY); v.setUint32(M.UT_BYTES, u.bytes, true);
    })]),
    ...(m.services ?? []).map((s): [M.Rec, Uint8Array] => [M.Rec.SERVICE, named(M.SVC_NAME, M.SVC_NAME_LEN, s.name, (v) => {
      v.setUint16(M.SVC_ID, s.id, true); v.setUint16(M.SVC_RESTARTS, s.restartLimit, true);
      v.setUint32(M.SVC_RAM_MIN, s.ramMinPages, true); v.setUint32(M.SVC_RAM_MAX, s.ramMaxPages, true);
    })]),
    ...(m.svcAddrs ?? []).map((a): [M.Rec, Uint8Array] => [M.Rec.SVC_ADDR, body(M.SA_SIZE, (v, b) => {
      v.setUint16(M.SA_SVC, a.svc, true); b.set(a.addr, M.SA_ADDR);
    })]),
    ...(m.svcLearned ?? []).map((l): [M.Rec, Uint8Array] => [M.Rec.SVC_LEARNED, body(M.SL_SIZE, (v) => {
      v.setUint16(M.SL_SVC, l.svc, true); v.setUint8(M.SL_NIC, l.nic);
    })]),
    ...(m.capDisks ?? []).map((c): [M.Rec, Uint8Array] => [M.Rec.CAP_DISK, body(M.CD_SIZE, (v) => {
      v.setUint16(M.CD_SVC, c.svc, true); v.setUint8(M.CD_DISK, c.disk); v.setUint8(M.CD_RIGHTS, c.rights);
      v.setBigUint64(M.CD_OFFSET, c.offset, true); v.setBigUint64(M.CD_LENGTH, c.length, true);
    })]),
    ...capUsbRecordList(m, body),
    ...(m.nets ?? []).map((n): [M.Rec, Uint8Array] => [M.Rec.NET, body(M.NET_SIZE, (v) => {
      v.setUint8(M.NET_NIC, n.nic); v.setUint16(M.NET_SVC, n.svc, true);
      v.setBigUint64(M.NET_MIN, n.min, true); v.setBigUint64(M.NET_MAX, n.max, true);
    })]),
    ...(m.cpus ?? []).map((c): [M.Rec, Uint8Array] => [M.Rec.CPU, body(M.CPU_SIZE, (v) => {
      v.setUint16(M.CPU_SVC, c.svc, true); v.setUint16(M.CPU_MIN, c.min, true); v.setUint16(M.CPU_MAX, c.max, true);
    })]),
    ...(m.restarts ?? []).map((r): [M.Rec, Uint8Array] => [M.Rec.RESTART, body(M.RS_SIZE, (v) => {
      v.setUint16(M.RS_SVC, r.svc, true); v.setUint32(M.RS_FIRST, r.first, true); v.setUint32(M.RS_MAX, r.max, true);
    })]),
    ...(m.rams ?? []).map((r): [M.Rec, Uint8Array] => [M.Rec.RAM, body(M.RM_SIZE, (v) => {
      v.setUint16(M.RM_SVC, r.svc, true); v.setUint32(M.RM_MIN, r.minPages, true); v.setUint32(M.RM_MAX, r.maxPages, true);
    })]),
  ];
}

/** Records framed as in the boot manifest (type, 0, length, body), without its header. */
export function frameRecords(recs: [M.Rec, Uint8Array][]): Uint8Array {
  const out = new Uint8Array(recs.reduce((n, [, b]) => n + M.MF_REC_HEADER + b.length, 0));
  const v = new DataView(out.buffer);
  let at = 0;
  for (const [type, b] of recs) {
    v.setUint8(at, type);
    v.setUint16(at + 2, b.length, true);
    out.set(b, at + M.MF_REC_HEADER);
    at += M.MF_REC_HEADER + b.length;
  }
  return out;
}

export function encodeBootManifest(m: BootManifest): Uint8Array {
  const recs = bootRecordList(m);
  const records = frameRecords(recs);
  const out = new Uint8Array(M.MF_HEADER + records.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, M.MF_MAGIC, true);
  v.setUint16(4, M.MF_VERSION, true);
  v.setUint16(6, recs.length, true);
  out.set(records, M.MF_HEADER);
  return out;
}

const FIXED: Partial<Record<M.Rec, number>> = {
  [M.Rec.NIC]: M.NIC_SIZE, [M.Rec.PREFIX]: M.PFX_SIZE, [M.Rec.DISK]: M.DISK_SIZE,
  [M.Rec.SVC_ADDR]: M.SA_SIZE, [M.Rec.CAP_DISK]: M.CD_SIZE, [M.Rec.RA]: M.RA_SIZE, [M.Rec.NET]: M.NET_SIZE,
  [M.Rec.CPU]: M.CPU_SIZE, [M.Rec.RESTART]: M.RS_SIZE, [M.Rec.BUDGET]: M.BG_SIZE, [M.Rec.RAM]: M.RM_SIZE,
  [M.Rec.USER_PREFIX]: M.UP_SIZE, [M.Rec.USER_DISK]: M.UD_SIZE, [M.Rec.USER_STORE]: M.UT_SIZE, [M.Rec.AUTOCONF]: M.AC_SIZE, [M.Rec.SVC_LEARNED]: M.SL_SIZE,
  ...WG_FIXED, ...CERT_FIXED, ...USB_FIXED,
};
// Reserved bytes that must be zero, per record type (the "0" fields of abi/manifest.ts).
const ZERO: Partial<Record<M.Rec, number[]>> = {
  [M.Rec.DISK]: [1, 2, 3], [M.Rec.CAP_DISK]: [],
  [M.Rec.RA]: [3, M.RA_LIFETIME + 2, M.RA_LIFETIME + 3], // the byte after hop limit, the u16 after lifetime
  [M.Rec.NET]: [1],
  [M.Rec.RESTART]: [2, 3], [M.Rec.RAM]: [2, 3],
  [M.Rec.AUTOCONF]: [M.AC_DAD + 1], [M.Rec.SVC_LEARNED]: [M.SL_NIC + 1],
  ...WG_ZERO, ...CERT_ZERO, ...PUBLISHER_ZERO, ...USB_ZERO,
};

type Fail = (at: number, why: string) => never;

/** One record's body `b`, which starts at byte `base`, added to `m`. */
function decodeRecord(m: FullBootManifest, type: M.Rec, b: Uint8Array, base: number, what: string, fail: Fail): void {
  const r = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const fixed = FIXED[type];
  if (fixed !== undefined && b.length !== fixed) fail(base - M.MF_REC_HEADER, `${what} is ${b.length} bytes, not ${fixed}`);
  for (const z of ZERO[type] ?? []) if (b[z] !== 0) fail(base + z, `${what} has a non-zero reserved byte`);
  const name = (lenAt: number, at: number): string => {
    if (b.length < at || b.length !== at + b[lenAt]) {
      fail(base - M.MF_REC_HEADER, `${what} is ${b.length} bytes, which disagrees with its name length`);
    }
    return new TextDecoder().decode(b.subarray(at));
  };
  const addr = (at: number) => b.slice(at, at + IP6_BYTES);
  const u16 = (at: number) => r.getUint16(at, true);
  const u32 = (at: number) => r.getUint32(at, true);
  const u64 = (at: number) => r.getBigUint64(at, true);
  switch (type) {
    case M.Rec.NODE:
      m.node = { role: b[M.NODE_ROLE], name: name(M.NODE_NAME_LEN, M.NODE_NAME) };
      break;
    case M.Rec.NIC:
      m.nics.push({ id: b[M.NIC_ID], kind: b[M.NIC_KIND], mtu: r.getUint16(M.NIC_MTU, true), mac: b.slice(M.NIC_MAC, M.NIC_MAC + MAC_BYTES) });
      break;
    case M.Rec.RA:
      m.ras.push({
        nic: b[M.RA_NIC], flags: b[M.RA_FLAGS], hopLimit: b[M.RA_HOP_LIMIT], minInterval: u16(M.RA_MIN_INTERVAL),
        maxInterval: u16(M.RA_MAX_INTERVAL), lifetime: u16(M.RA_LIFETIME), reachableTime: u32(M.RA_REACHABLE),
        retransTimer: u32(M.RA_RETRANS), validLifetime: u32(M.RA_VALID), preferredLifetime: u32(M.RA_PREFERRED),
      });
      break;
    case M.Rec.PREFIX:
      m.prefixes.push({ nic: b[M.PFX_NIC], len: b[M.PFX_LEN], addr: addr(M.PFX_ADDR) });
      break;
    case M.Rec.ROUTE:
      if (b.length === 0 || b.length % M.RT_SIZE !== 0) fail(base - M.MF_REC_HEADER, `${what} is ${b.length} bytes, not a whole number of ${M.RT_SIZE}-byte routes`);
      for (let at = 0; at < b.length; at += M.RT_SIZE) {
        m.routes.push({ nic: b[at + M.RT_NIC], len: b[at + M.RT_LEN], prefix: addr(at + M.RT_PREFIX), via: addr(at + M.RT_VIA) });
      }
      break;
    case M.Rec.DISK:
      m.disks.push({ id: b[M.DISK_ID], size: u64(M.DISK_BYTES) });
      break;
    case M.Rec.SERVICE:
      m.services.push({
        id: u16(M.SVC_ID), restartLimit: r.getUint16(M.SVC_RESTARTS, true), ramMinPages: r.getUint32(M.SVC_RAM_MIN, true),
        ramMaxPages: r.getUint32(M.SVC_RAM_MAX, true), name: name(M.SVC_NAME_LEN, M.SVC_NAME),
      });
      break;
    case M.Rec.SVC_ADDR:
      m.svcAddrs.push({ svc: u16(M.SA_SVC), addr: addr(M.SA_ADDR) });
      break;
    case M.Rec.CAP_DISK:
      m.capDisks.push({ svc: u16(M.CD_SVC), disk: b[M.CD_DISK], rights: b[M.CD_RIGHTS], offset: u64(M.CD_OFFSET), length: u64(M.CD_LENGTH) });
      break;
    case M.Rec.NET:
      m.nets.push({ nic: b[M.NET_NIC], svc: u16(M.NET_SVC), min: u64(M.NET_MIN), max: u64(M.NET_MAX) });
      break;
    case M.Rec.RESTART:
      m.restarts.push({ svc: u16(M.RS_SVC), first: new DataView(b.buffer, b.byteOffset).getUint32(M.RS_FIRST, true),
        max: new DataView(b.buffer, b.byteOffset).getUint32(M.RS_MAX, true) });
      break;
    case M.Rec.CPU:
      m.cpus.push({ svc: u16(M.CPU_SVC), min: b[M.CPU_MIN] | (b[M.CPU_MIN + 1] << 8), max: b[M.CPU_MAX] | (b[M.CPU_MAX + 1] << 8) });
      break;
    case M.Rec.BUDGET:
      m.budget = u32(M.BG_RAM);
      break;
    case M.Rec.USER: {
      if (b.length < M.US_TEXT || b.length !== M.US_TEXT + b[M.US_USER_LEN] + b[M.US_DOMAIN_LEN]) {
        fail(base - M.MF_REC_HEADER, `${what} is ${b.length} bytes, which disagrees with its name lengths`);
      }
      const text = new TextDecoder();
      const u = M.US_TEXT + b[M.US_USER_LEN];
      m.users.push({ key: b.slice(M.US_KEY, M.US_KEY + 32), user: text.decode(b.subarray(M.US_TEXT, u)), domain: text.decode(b.subarray(u)) });
      break;
    }
    case M.Rec.RAM:
      m.rams.push({ svc: u16(M.RM_SVC), minPages: u32(M.RM_MIN), maxPages: u32(M.RM_MAX) });
      break;
    case M.Rec.USER_PREFIX:
      m.userPrefixes.push({ key: b.slice(M.UP_KEY, M.UP_KEY + 32), len: b[M.UP_LEN], prefix: addr(M.UP_PREFIX) });
      break;
    case M.Rec.USER_DISK:
      m.userDisks.push({ key: b.slice(M.UD_KEY, M.UD_KEY + 32), disk: b[M.UD_DISK], rights: b[M.UD_RIGHTS],
        offset: u64(M.UD_OFFSET), length: u64(M.UD_LENGTH) });
      break;
    case M.Rec.USER_STORE:
      m.userStores.push({ key: b.slice(M.UT_KEY, M.UT_KEY + 32), bytes: u32(M.UT_BYTES) });
      break;
    case M.Rec.AUTOCONF:
      m.autoconfs.push({ nic: b[M.AC_NIC], flags: b[M.AC_FLAGS], dad: b[M.AC_DAD], secret: b.slice(M.AC_SECRET, M.AC_SIZE) });
      break;
    case M.Rec.SVC_LEARNED:
      m.svcLearned.push({ svc: u16(M.SL_SVC), nic: b[M.SL_NIC] });
      break;
    default:
      if (decodeWgRecord(m, type, b) || decodeCertRecord(m, type, b) || decodeUsbRecord(m, type, b)) break;
      if (decodePublisherRecord(m, type, b, (why) => fail(base - M.MF_REC_HEADER, `${what} ${why}`))) break;
      fail(base - M.MF_REC_HEADER, `${what} has type ${type}, which this version does not know`);
  }
}

/** Reads boot manifest bytes back into a BootManifest. Throws LoaderError naming the byte. */
export function decodeBootManifest(bytes: Uint8Array): FullBootManifest {
  const fail: Fail = (at, why) => {
    throw new LoaderError("boot manifest", `at byte ${at}: ${why}`, "Compile it again from its YAML manifest with this version of persia.");
  };
  if (bytes.length < M.MF_HEADER) fail(0, `${bytes.length} bytes is shorter than the ${M.MF_HEADER}-byte header`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== M.MF_MAGIC) fail(0, `the magic number is not "PRSA"`);
  if (v.getUint16(4, true) !== M.MF_VERSION) fail(4, `version ${v.getUint16(4, true)} is not ${M.MF_VERSION}`);
  const count = v.getUint16(6, true);
  const m: FullBootManifest = {
    node: { role: 0, name: "" }, nics: [], ras: [], prefixes: [], routes: [], disks: [], services: [], svcAddrs: [], capDisks: [],
    nets: [], cpus: [], restarts: [], budget: null, users: [], rams: [], userPrefixes: [], userDisks: [], userStores: [],
    autoconfs: [], svcLearned: [], wgs: [], wgPeers: [], wgAllowed: [], nodeKey: null, trusts: [], nodeCerts: [], publishers: [],
    usbs: [], capUsbs: [],
  };
  let nodes = 0;
  let at = M.MF_HEADER;
  for (let i = 0; i < count; i++) {
    if (bytes.length - at < M.MF_REC_HEADER) fail(at, `record ${i} of ${count} is missing`);
    const type = v.getUint8(at) as M.Rec;
    const len = v.getUint16(at + 2, true);
    if (v.getUint8(at + 1) !== 0) fail(at + 1, `record ${i}'s reserved byte is not 0`);
    const base = at + M.MF_REC_HEADER;
    if (bytes.length - base < len) fail(at, `record ${i} declares ${len} bytes but the manifest ends first`);
    const what = M.Rec[type] ? `record ${i} (${M.Rec[type]})` : `record ${i}`;
    decodeRecord(m, type, bytes.subarray(base, base + len), base, what, fail);
    if (type === M.Rec.NODE) nodes++;
    at = base + len;
  }
  if (at !== bytes.length) fail(at, `${bytes.length - at} bytes follow the last of the ${count} records`);
  if (nodes !== 1) fail(M.MF_HEADER, `there are ${nodes} NODE records; a boot manifest has exactly one`);
  return m;
}
