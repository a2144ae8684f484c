// Boot: read the binary boot manifest (abi/manifest.ts) the host wrote into Buf.BOOT and
// fill the kernel's tables — NICs and the node's addresses, routes, disks, services,
// their addresses and capabilities, users, the node's identity key, trusted keys and
// certificates (cert/boot.ts) — then admit the services' mins (svc/admit.ts) and certify
// the services' addresses (cert/services.ts).
// Every length and value is checked before use; a bad record refuses the whole boot with a
// log line naming the record and field. Control messages (ctl/ops.ts) apply a service's
// records through the same functions (applyRecord).
import { Errno } from "../abi/errno";
import { LogLevel, Role, NicKind } from "../abi/kernel";
import { RouteKind } from "../abi/status";
import { CapKind, RIGHT_SEND, RIGHT_RECV, RIGHT_DERIVE, RIGHT_READ, RIGHT_WRITE } from "../abi/caps";
import * as M from "../abi/manifest";
import { NIC_MAX, SVC_MAX, DISK_MAX, MTU_MIN, MTU_MAX, CPU_SHARE_MAX } from "./param";
import { RA_MAX_INTERVAL_MIN, RA_MAX_INTERVAL_MAX, RA_MIN_INTERVAL_MIN, RA_LIFETIME_MAX } from "../abi/limits";
import { le16, le32, le64 } from "../wire/bytes";
import { logStart, logStr, logInt, logEnd, klog } from "./log";
import { isMulticast, isLinkLocal, isUnspecified, isLoopback, isV4Mapped } from "../wire/addr";
import { nicAdd, nicValid, nicLinkLocal, prefixAdd, prefixNodeAddr, ifaceReset } from "./net/iface";
import { routeAdd, routeAddService, routeReset, ownRoute, routeKind } from "./net/route";
import { ndInit } from "./net/nd";
import { raConfigure, raEnabled, raReset } from "./net/ra";
import { setClassRates, setLinkRate, egressReset, CLASS_FORWARD, CLASS_SERVICE } from "./net/egress";
import { seed } from "./rand";
import { validDomain, svcAdd, svcValid, svcByName, svcAddAddr, svcByAddr, svcCount, registryReset } from "./svc/registry";
import { capGrant, capSetSecret, capsReset } from "./svc/caps";
import { cpuGrant, cpuReset } from "./svc/cpu";
import { schedBoot, schedBackoff, schedReset } from "./svc/sched";
import { admit, ramBudget, setRamBudget } from "./svc/admit";
import { userAdd, usersReset, setEpoch, userForName } from "./ctl/users";
import { holdersReset } from "./ctl/holders";
import { delegatePrefix, delegateExtent, delegationsReset } from "./ctl/delegations";
import { putQuota, putReset } from "./ctl/put";
import { svcRamMin, svcRamMax, svcOwner, svcName, svcNameLen } from "./svc/registry";
import { host_random } from "../abi/gen/host";
import { ed25519KeyUsable } from "./crypto/ed25519";
import { acConfigure, acPrefixAdded, acServiceAddress, acReset } from "./net/slaac";
import { acWantLearned, acceptRa } from "./net/autoconf";
import { rsStart, routersReset, learning } from "./net/routers";
import { wgIface, wgPeer, wgAllowed, wgCheck, wgUnboot, badField, badWhy } from "./wg/boot";
import { filtersReset } from "./net/filter";
import * as CB from "./cert/boot";
import { certifyServices } from "./cert/services";
import { publisherAdd, publishersReset } from "./svc/publishers";
import { modulesBoot, modulesBooted } from "./svc/modules";
import { usbReset, usbDeclare, usbDeclared, usbGrant, usbHolder } from "./svc/usb";
import { USB_MAX } from "../abi/limits";

export let booted = false;
export let role: Role = Role.SERVER;
const diskBytes = new StaticArray<u64>(DISK_MAX);
const diskPresent = new StaticArray<bool>(DISK_MAX);
const RANDOM: usize = memory.data(SVC_MAX * 4 + 4 + 8, 8); // capability secrets, the PRNG seed, the epoch

let recIndex = 0;
let recType = 0;
let fromControl = false;
let autoconfSeen: u32 = 0; // NICs with an AUTOCONF record   // applyRecord: a control message's records, not the boot manifest's

function bad(field: string, why: string): i32 {
  logStart();
  logStr(fromControl ? "control message refused" : "boot manifest refused");
  if (recIndex < 0) logStr(": header, ");
  else {
    logStr(": record ");
    logInt(recIndex);
    logStr(" (type ");
    logInt(recType);
    logStr("), ");
  }
  logStr(field);
  logStr(": ");
  logStr(why);
  logEnd(LogLevel.ERROR);
  return -Errno.EBADMSG;
}

/** Boot from the manifest. A refused manifest leaves nothing behind: every table its
 *  records touched is emptied again, so the host may boot a corrected manifest on the same
 *  instance. After a successful boot, k_boot is refused (a kernel boots once). */
export function boot(p: usize, len: i32): i32 {
  if (booted) {
    klog(LogLevel.ERROR, "k_boot called again: this kernel has booted; load a fresh instance to boot another manifest");
    return -Errno.EINVAL;
  }
  let r = parse(p, len);
  if (r < 0) unboot();
  return r;
}

/** Empty every table a boot fills. */
function unboot(): void {
  ifaceReset();
  routeReset();
  registryReset();
  capsReset();
  raReset();
  egressReset();
  cpuReset();
  schedReset();
  for (let d = 0; d < DISK_MAX; d++) { unchecked(diskPresent[d] = false); unchecked(diskBytes[d] = 0); }
  usersReset();
  holdersReset();
  delegationsReset();
  putReset();
  acReset();
  routersReset();
  wgUnboot();
  CB.certUnboot();
  publishersReset();
  usbReset();
  autoconfSeen = 0;
  setRamBudget(-1);
  role = Role.SERVER;
  ndInit(Role.SERVER);
}

function parse(p: usize, len: i32): i32 {
  schedReset();
  usbReset();
  cpuReset();
  recIndex = -1; recType = 0;
  if (len < M.MF_HEADER) return bad("header", "shorter than 8 bytes");
  if (le32(p) != M.MF_MAGIC) return bad("magic", "not a PersiaOS boot manifest");
  if (le16(p + 4) != M.MF_VERSION) return bad("version", "unsupported manifest version");
  let count = <i32>le16(p + 6);
  let off = M.MF_HEADER;
  let sawNode = false;
  ndInit(Role.SERVER);
  for (recIndex = 0; recIndex < count; recIndex++) {
    if (off + M.MF_REC_HEADER > len) return bad("header", "record runs past the end");
    recType = <i32>load<u8>(p + off);
    let blen = <i32>le16(p + off + 2);
    let b = p + off + M.MF_REC_HEADER;
    if (off + M.MF_REC_HEADER + blen > len) return bad("length", "body runs past the end");
    let r = record(recType, b, blen);
    if (r < 0) return r;
    if (recType == M.Rec.NODE) sawNode = true;
    off += M.MF_REC_HEADER + blen;
  }
  recIndex = -1;
  if (off != len) return bad("length", "bytes after the last record");
  if (!sawNode) return bad("node", "no NODE record");
  if (wgCheck() < 0) return bad(badField, badWhy);
  if (modulesBoot() < 0) return -Errno.EACCES;
  if (admit(LogLevel.ERROR) < 0) return -Errno.EDQUOT;
  host_random(<i32>RANDOM, SVC_MAX * 4 + 4 + 8);
  for (let s = 0; s < SVC_MAX; s++) capSetSecret(s, load<u32>(RANDOM + <usize>(s * 4)));
  seed(load<u32>(RANDOM + <usize>(SVC_MAX * 4)));
  setEpoch(load<u64>(RANDOM + <usize>(SVC_MAX * 4 + 4)));
  filtersReset();
  for (let s = 0; s < svcCount; s++) {
    if (!svcValid(s)) continue;
    unchecked(svcOwner[s] = <i8>userForName(svcName(s), <i32>unchecked(svcNameLen[s])));
    schedBoot(s);
  }
  CB.certStart(role == Role.ROUTER);
  CB.identityStart();
  certifyServices();
  modulesBooted();
  booted = true;
  return 0;
}

function record(type: i32, b: usize, n: i32): i32 {
  switch (type) {
    case M.Rec.NODE: return node(b, n);
    case M.Rec.NIC: return nic(b, n);
    case M.Rec.PREFIX: return prefix(b, n);
    case M.Rec.ROUTE: return route(b, n);
    case M.Rec.DISK: return disk(b, n);
    case M.Rec.SERVICE: return service(b, n);
    case M.Rec.SVC_ADDR: return svcAddr(b, n);
    case M.Rec.CAP_DISK: return capDisk(b, n);
    case M.Rec.RA: return ra(b, n);
    case M.Rec.NET: return net(b, n);
    case M.Rec.CPU: return cpu(b, n);
    case M.Rec.RESTART: return restart(b, n);
    case M.Rec.BUDGET: return budget(b, n);
    case M.Rec.USER: return user(b, n);
    case M.Rec.RAM: return fromControl ? ram(b, n) : bad("type", "a RAM record is only for a GRANT control message");
    case M.Rec.USER_PREFIX: return userPrefix(b, n);
    case M.Rec.USER_DISK: return userDisk(b, n);
    case M.Rec.USER_STORE: return userStore(b, n);
    case M.Rec.AUTOCONF: return autoconf(b, n);
    case M.Rec.SVC_LEARNED: return svcLearned(b, n);
    case M.Rec.WG: return wgIface(b, n) < 0 ? bad(badField, badWhy) : 0;
    case M.Rec.WG_PEER: return wgPeer(b, n) < 0 ? bad(badField, badWhy) : 0;
    case M.Rec.WG_ALLOWED: return wgAllowed(b, n) < 0 ? bad(badField, badWhy) : 0;
    case M.Rec.NODE_KEY: return CB.nodeKey(b, n) < 0 ? bad(CB.badField, CB.badWhy) : 0;
    case M.Rec.TRUST: return CB.trust(b, n) < 0 ? bad(CB.badField, CB.badWhy) : 0;
    case M.Rec.NODE_CERT: return CB.nodeCert(b, n) < 0 ? bad(CB.badField, CB.badWhy) : 0;
    case M.Rec.USB: return fromControl ? bad("type", "a USB record is only for the boot manifest") : usb(b, n);
    case M.Rec.CAP_USB: return fromControl ? bad("type", "a CAP_USB record is only for the boot manifest") : capUsb(b, n);
    case M.Rec.PUBLISHER: return fromControl ? bad("type", "a PUBLISHER record is only for the boot manifest") : publisher(b, n);
  }
  return bad("type", "unknown record type");
}

/** One record of a control message (ctl/ops.ts), whose caller chose the allowed types and
 *  set the service id in it. A refusal is logged as the control message's, naming the
 *  record by its position in the message. */
export function applyRecord(index: i32, type: i32, b: usize, n: i32): i32 {
  fromControl = true;
  recIndex = index; recType = type;
  let r = record(type, b, n);
  fromControl = false;
  return r;
}

/** PUBLISHER: a key trusted to sign modules for a domain (svc/publishers.ts). */
function publisher(b: usize, n: i32): i32 {
  if (n < M.PB_DOMAIN) return bad("length", "PUBLISHER record shorter than 36 bytes");
  let dl = <i32>load<u8>(b + M.PB_DOMAIN_LEN);
  if (load<u8>(b + M.PB_DOMAIN_LEN + 1) != 0 || load<u16>(b + M.PB_DOMAIN_LEN + 2) != 0) return bad("reserved", "bytes 33 to 35 are not 0");
  if (n != M.PB_DOMAIN + dl) return bad("length", "PUBLISHER record length does not match its domain's");
  if (!validDomain(b + M.PB_DOMAIN, dl)) return bad("domain", "not a valid domain name");
  if (!ed25519KeyUsable(b + M.PB_KEY)) {
    return bad("key", "not a usable ed25519 public key: it does not decode, or it has small order, so anyone could sign as it");
  }
  if (!publisherAdd(b + M.PB_KEY, b + M.PB_DOMAIN, dl)) return bad("key", "more PUBLISHER records than the kernel's PUBLISHER_MAX");
  return 0;
}

function budget(b: usize, n: i32): i32 {
  if (n != M.BG_SIZE) return bad("length", "BUDGET record is not 4 bytes");
  if (ramBudget >= 0) return bad("budget", "given twice");
  setRamBudget(<i64>le32(b + M.BG_RAM));
  return 0;
}

function user(b: usize, n: i32): i32 {
  if (n < M.US_TEXT) return bad("length", "USER record too short");
  let ul = <i32>load<u8>(b + M.US_USER_LEN), dl = <i32>load<u8>(b + M.US_DOMAIN_LEN);
  if (M.US_TEXT + ul + dl != n) return bad("name", "lengths disagree with the record");
  if (ul == 0 || ul > M.USER_NAME_MAX) return bad("user", "name empty or longer than 32 bytes");
  let d = b + M.US_TEXT + ul;
  if (!validDomain(d, dl)) return bad("domain", "not a valid lower-case domain name");
  if (!ed25519KeyUsable(b + M.US_KEY)) {
    return bad("key", "not a usable ed25519 public key: it does not decode, or it has small order, so anyone could sign as this user");
  }
  if (userAdd(b + M.US_KEY, b + M.US_TEXT, ul, d, dl) < 0) return bad("user", "more USER records than the kernel's USER_MAX");
  return 0;
}

function userPrefix(b: usize, n: i32): i32 {
  if (n != M.UP_SIZE) return bad("length", "USER_PREFIX record is not 52 bytes");
  let l = <i32>load<u8>(b + M.UP_LEN);
  if (l < 1 || l > 128) return bad("length", "prefix length outside 1..128");
  let r = delegatePrefix(b + M.UP_KEY, b + M.UP_PREFIX, l);
  if (r == -1) return bad("key", "no USER record has this key (USER records come first)");
  if (r == -3) return bad("prefix", "shares addresses with a prefix delegated to another user");
  if (r < 0) return bad("prefix", "more USER_PREFIX records than the kernel's USER_PREFIX_MAX");
  return 0;
}

function userStore(b: usize, n: i32): i32 {
  if (n != M.UT_SIZE) return bad("length", "USER_STORE record is not 36 bytes");
  if (putQuota(b + M.UT_KEY, le32(b + M.UT_BYTES)) < 0) return bad("key", "no USER record has this key (USER records come first)");
  return 0;
}

function userDisk(b: usize, n: i32): i32 {
  if (n != M.UD_SIZE) return bad("length", "USER_DISK record is not 52 bytes");
  let d = <i32>load<u8>(b + M.UD_DISK);
  let rights = <i32>load<u8>(b + M.UD_RIGHTS);
  if (d >= DISK_MAX || !unchecked(diskPresent[d])) return bad("disk", "no such disk (DISK records come first)");
  if (rights == 0 || (rights & ~(RIGHT_READ | RIGHT_WRITE)) != 0) return bad("rights", "read, write or both");
  let off = le64(b + M.UD_OFFSET), l = le64(b + M.UD_LENGTH);
  let size = unchecked(diskBytes[d]);
  if (l == 0 || off > size || l > size - off) return bad("extent", "empty, or outside the disk");
  let r = delegateExtent(b + M.UD_KEY, d, rights, off, l);
  if (r == -1) return bad("key", "no USER record has this key (USER records come first)");
  if (r < 0) return bad("disk", "more USER_DISK records than the kernel's USER_DISK_MAX");
  return 0;
}

function autoconf(b: usize, n: i32): i32 {
  if (n != M.AC_SIZE) return bad("length", "AUTOCONF record is not 20 bytes");
  let id = <i32>load<u8>(b + M.AC_NIC);
  let flags = <i32>load<u8>(b + M.AC_FLAGS), dad = <i32>load<u8>(b + M.AC_DAD);
  if (!nicValid(id)) return bad("nic", "no such NIC (NIC records come first)");
  if ((autoconfSeen & (1 << id)) != 0) return bad("nic", "two AUTOCONF records for one NIC");
  if ((flags & ~M.AC_ACCEPT_RA) != 0) return bad("flags", "unknown flags");
  if (dad > M.AC_DAD_MAX) return bad("dad", "more than 10 transmits");
  let accept = (flags & M.AC_ACCEPT_RA) != 0;
  if (accept && role == Role.ROUTER) return bad("flags", "a router takes no configuration from other routers' advertisements");
  if (accept && raEnabled(id)) return bad("nic", "advertises (RA record) and takes configuration from advertisements");
  autoconfSeen |= 1 << id;
  acConfigure(id, accept, dad, b + M.AC_SECRET);
  if (accept) rsStart(id);
  return 0;
}

function svcLearned(b: usize, n: i32): i32 {
  if (n != M.SL_SIZE) return bad("length", "SVC_LEARNED record is not 4 bytes");
  let s = <i32>load<u16>(b + M.SL_SVC), id = <i32>load<u8>(b + M.SL_NIC);
  if (!svcValid(s)) return bad("service", "no such service (SERVICE records come first)");
  if (!nicValid(id) || !unchecked(acceptRa[id])) {
    return bad("nic", "takes no configuration from router advertisements (its AUTOCONF record, with accept, comes first)");
  }
  acWantLearned(s, id);
  return 0;
}

function ram(b: usize, n: i32): i32 {
  if (n != M.RM_SIZE) return bad("length", "RAM record is not 12 bytes");
  let s = <i32>load<u16>(b + M.RM_SVC);
  if (!svcValid(s)) return bad("service", "no such service");
  let min = le32(b + M.RM_MIN), max = le32(b + M.RM_MAX);
  if (max == 0 || min > max) return bad("ram", "min over max, or max 0");
  unchecked(svcRamMin[s] = min);
  unchecked(svcRamMax[s] = max);
  return 0;
}

function node(b: usize, n: i32): i32 {
  if (n < M.NODE_NAME) return bad("length", "NODE record too short");
  let r = <i32>load<u8>(b + M.NODE_ROLE);
  if (r > Role.ROUTER) return bad("role", "not server, client or router");
  let nl = <i32>load<u8>(b + M.NODE_NAME_LEN);
  if (M.NODE_NAME + nl != n) return bad("name", "length disagrees with the record");
  if (!validDomain(b + M.NODE_NAME, nl)) return bad("name", "not a valid lower-case domain name");
  if (r == Role.ROUTER && learning) return bad("role", "a router takes no configuration from other routers' advertisements (AUTOCONF)");
  role = <Role>r;
  ndInit(role);
  return 0;
}

function nic(b: usize, n: i32): i32 {
  if (n != M.NIC_SIZE) return bad("length", "NIC record is not 10 bytes");
  let id = <i32>load<u8>(b + M.NIC_ID);
  if (id >= NIC_MAX) return bad("id", "NIC id beyond the kernel's NIC_MAX");
  if (nicValid(id)) return bad("id", "NIC id given twice");
  let kind = <i32>load<u8>(b + M.NIC_KIND);
  if (kind > NicKind.VIRTIO) return bad("kind", "unknown NIC kind");
  let mtu = <i32>le16(b + M.NIC_MTU);
  if (mtu < MTU_MIN || mtu > MTU_MAX) return bad("mtu", "outside 1280..9000");
  if ((load<u8>(b + M.NIC_MAC) & 1) != 0) return bad("mac", "a group address, not a station's");
  nicAdd(id, <u8>kind, mtu, b + M.NIC_MAC);
  if (routeAdd(RouteKind.LOCAL, nicLinkLocal(id), 128, id, 0, 0) < 0) return bad("nic", "route table full");
  return 0;
}

const SRA: usize = memory.data(16, 8);

/** out = the first len bits of the address at a, the rest zero. */
function prefixMask(out: usize, a: usize, len: i32): void {
  for (let i = 0; i < 16; i++) {
    let bits = min(8, max(0, len - i * 8));
    store<u8>(out + <usize>i, load<u8>(a + <usize>i) & <u8>(0xff00 >> bits));
  }
}

function prefix(b: usize, n: i32): i32 {
  if (n != M.PFX_SIZE) return bad("length", "PREFIX record is not 18 bytes");
  let id = <i32>load<u8>(b + M.PFX_NIC);
  let l = <i32>load<u8>(b + M.PFX_LEN);
  if (!nicValid(id)) return bad("nic", "no such NIC (NIC records come first)");
  if (l < 1 || l > 128) return bad("length", "prefix length outside 1..128");
  let i = prefixAdd(id, b + M.PFX_ADDR, l);
  if (i < 0) return bad("prefix", "more prefixes than the kernel's PREFIX_MAX");
  if (routeAdd(RouteKind.LOCAL, prefixNodeAddr(i), 128, id, 0, 0) < 0 ||
      routeAdd(RouteKind.CONNECTED, b + M.PFX_ADDR, l, id, 0, 0) < 0) return bad("prefix", "route table full");
  // A router answers at its prefix's Subnet-Router anycast address (RFC 4291 §2.6.1; not on
  // a /127, RFC 6164): block signals are passed on to the router of a source's /64 there.
  if (role == Role.ROUTER && l < 127) {
    prefixMask(SRA, b + M.PFX_ADDR, l);
    if (routeAdd(RouteKind.LOCAL, SRA, 128, id, 0, 0) < 0) return bad("prefix", "route table full");
  }
  acPrefixAdded(id, i);
  return 0;
}

/** A ROUTE record: one or more routes of RT_SIZE bytes (abi/manifest.ts). */
function route(b: usize, n: i32): i32 {
  if (n == 0 || n % M.RT_SIZE != 0) return bad("length", "ROUTE record is not a whole number of 34-byte routes");
  for (let at = 0; at < n; at += M.RT_SIZE) {
    let r = route1(b + <usize>at);
    if (r < 0) return r;
  }
  return 0;
}

function route1(b: usize): i32 {
  let id = <i32>load<u8>(b + M.RT_NIC);
  let l = <i32>load<u8>(b + M.RT_LEN);
  if (!nicValid(id)) return bad("nic", "no such NIC");
  if (l > 128) return bad("length", "prefix length over 128");
  let via = b + M.RT_VIA;
  if (isMulticast(via)) return bad("via", "a multicast gateway");
  if (routeAdd(RouteKind.STATIC, b + M.RT_PREFIX, l, id, 0, isUnspecified(via) ? 0 : via) < 0) {
    return bad("route", "route table full");
  }
  return 0;
}

function disk(b: usize, n: i32): i32 {
  if (n != M.DISK_SIZE) return bad("length", "DISK record is not 12 bytes");
  let id = <i32>load<u8>(b + M.DISK_ID);
  if (id >= DISK_MAX) return bad("id", "disk id beyond the kernel's DISK_MAX");
  if (unchecked(diskPresent[id])) return bad("id", "disk id given twice");
  unchecked(diskPresent[id] = true);
  unchecked(diskBytes[id] = le64(b + M.DISK_BYTES));
  return 0;
}

function service(b: usize, n: i32): i32 {
  if (n < M.SVC_NAME) return bad("length", "SERVICE record too short");
  let id = <i32>load<u16>(b + M.SVC_ID);
  if (id >= SVC_MAX) return bad("id", "service id beyond the kernel's SVC_MAX");
  if (svcValid(id)) return bad("id", "service id given twice");
  let nl = <i32>load<u8>(b + M.SVC_NAME_LEN);
  if (M.SVC_NAME + nl != n) return bad("name", "length disagrees with the record");
  if (!validDomain(b + M.SVC_NAME, nl)) return bad("name", "not a valid lower-case domain name");
  if (svcByName(b + M.SVC_NAME, nl) >= 0) return bad("name", "two services with one domain");
  let ramMin = le32(b + M.SVC_RAM_MIN), ramMax = le32(b + M.SVC_RAM_MAX);
  if (ramMax == 0 || ramMin > ramMax) return bad("ram", "min over max, or max 0");
  svcAdd(id, b + M.SVC_NAME, nl, ramMin, ramMax, <u16>le16(b + M.SVC_RESTARTS));
  return 0;
}

function svcAddr(b: usize, n: i32): i32 {
  if (n != M.SA_SIZE) return bad("length", "SVC_ADDR record is not 18 bytes");
  let id = <i32>load<u16>(b + M.SA_SVC);
  let a = b + M.SA_ADDR;
  if (!svcValid(id)) return bad("service", "no such service (SERVICE records come first)");
  if (isMulticast(a) || isLinkLocal(a) || isUnspecified(a) || isLoopback(a) || isV4Mapped(a)) {
    return bad("address", "multicast, link-local, unspecified, loopback or IPv4-mapped");
  }
  if (svcByAddr(a) >= 0) return bad("address", "already owned by a service");
  let own = ownRoute(a);
  if (own >= 0 && routeKind(own) == RouteKind.LOCAL) return bad("address", "one of the node's own addresses");
  let i = svcAddAddr(id, a);
  if (i < 0) return bad("address", "more addresses than the kernel's ADDR_PER_SVC");
  if (routeAddService(a, id, i) < 0) return bad("address", "route table full");
  if (capGrant(id, CapKind.ADDR, RIGHT_SEND | RIGHT_RECV | RIGHT_DERIVE, i, 0, 0) < 0) {
    return bad("address", "capability table full");
  }
  acServiceAddress(id, i);
  return 0;
}

function ra(b: usize, n: i32): i32 {
  if (n != M.RA_SIZE) return bad("length", "RA record is not 28 bytes");
  let id = <i32>load<u8>(b + M.RA_NIC);
  if (!nicValid(id)) return bad("nic", "no such NIC (NIC records come first)");
  if (raEnabled(id)) return bad("nic", "two RA records for one NIC");
  let min = <i32>le16(b + M.RA_MIN_INTERVAL), max = <i32>le16(b + M.RA_MAX_INTERVAL);
  // RFC 4861 §6.2.1: MaxRtrAdvInterval 4..1800 s, MinRtrAdvInterval 3..0.75 × Max.
  if (max < RA_MAX_INTERVAL_MIN || max > RA_MAX_INTERVAL_MAX) return bad("max interval", "outside 4..1800 s");
  if (min < RA_MIN_INTERVAL_MIN || min * 4 > max * 3) return bad("min interval", "outside 3 s..0.75 × max");
  let life = <i32>le16(b + M.RA_LIFETIME);
  if (life != 0 && (life < max || life > RA_LIFETIME_MAX)) return bad("lifetime", "neither 0 nor max interval..9000 s");
  if (le32(b + M.RA_PREFERRED) > le32(b + M.RA_VALID)) return bad("preferred", "longer than the valid lifetime");
  raConfigure(id, b);
  return 0;
}

function net(b: usize, n: i32): i32 {
  if (n != M.NET_SIZE) return bad("length", "NET record is not 20 bytes");
  let id = <i32>load<u8>(b + M.NET_NIC);
  let s = <i32>load<u16>(b + M.NET_SVC);
  let min = le64(b + M.NET_MIN), max = le64(b + M.NET_MAX);
  if (!nicValid(id)) return bad("nic", "no such NIC (NIC records come first)");
  if (max != 0 && min > max) return bad("min", "more than max");
  if (s == M.NET_LINK) { setLinkRate(id, max); return 0; }
  if (s == M.NET_FORWARD) { setClassRates(id, CLASS_FORWARD, min, max); return 0; }
  if (!svcValid(s)) return bad("service", "no such service (SERVICE records come first)");
  setClassRates(id, CLASS_SERVICE + s, min, max);
  return 0;
}

function cpu(b: usize, n: i32): i32 {
  if (n != M.CPU_SIZE) return bad("length", "CPU record is not 6 bytes");
  let s = <i32>load<u16>(b + M.CPU_SVC);
  let min = <i32>le16(b + M.CPU_MIN), max = <i32>le16(b + M.CPU_MAX);
  if (!svcValid(s)) return bad("service", "no such service (SERVICE records come first)");
  if (max > CPU_SHARE_MAX || min > (max == 0 ? CPU_SHARE_MAX : max)) return bad("min", "over max, or a share over 1000 permille");
  cpuGrant(s, min, max);
  return 0;
}

function restart(b: usize, n: i32): i32 {
  if (n != M.RS_SIZE) return bad("length", "RESTART record is not 12 bytes");
  let s = <i32>load<u16>(b + M.RS_SVC);
  let first = <i64>le32(b + M.RS_FIRST), max = <i64>le32(b + M.RS_MAX);
  if (!svcValid(s)) return bad("service", "no such service (SERVICE records come first)");
  if (first == 0 || max < first) return bad("backoff", "first delay 0, or longer than the longest");
  schedBackoff(s, first, max);
  return 0;
}

function capDisk(b: usize, n: i32): i32 {
  if (n != M.CD_SIZE) return bad("length", "CAP_DISK record is not 20 bytes");
  let id = <i32>load<u16>(b + M.CD_SVC);
  let d = <i32>load<u8>(b + M.CD_DISK);
  let rights = <i32>load<u8>(b + M.CD_RIGHTS);
  if (!svcValid(id)) return bad("service", "no such service");
  if (d >= DISK_MAX || !unchecked(diskPresent[d])) return bad("disk", "no such disk");
  if ((rights & ~(RIGHT_READ | RIGHT_WRITE | RIGHT_DERIVE)) != 0) return bad("rights", "only read, write, derive");
  let off = le64(b + M.CD_OFFSET), l = le64(b + M.CD_LENGTH);
  let size = unchecked(diskBytes[d]);
  if (off > size || l > size - off) return bad("extent", "outside the disk");
  if (capGrant(id, CapKind.DISK, rights, d, off, l) < 0) return bad("disk", "capability table full");
  return 0;
}

/** USB: a device the host provides (kernel/svc/usb.ts). */
function usb(b: usize, n: i32): i32 {
  if (n != M.USB_SIZE) return bad("length", "USB record is not 4 bytes");
  let id = <i32>load<u8>(b + M.USB_ID);
  if (load<u8>(b + 1) != 0 || load<u16>(b + 2) != 0) return bad("reserved", "bytes 1 to 3 are not 0");
  if (id >= USB_MAX) return bad("id", "USB device id beyond USB_MAX");
  if (usbDeclared(id)) return bad("id", "USB device id given twice");
  usbDeclare(id);
  return 0;
}

/** CAP_USB: a USB device granted whole to a service; at most one service holds a device. */
function capUsb(b: usize, n: i32): i32 {
  if (n != M.CU_SIZE) return bad("length", "CAP_USB record is not 4 bytes");
  let id = <i32>load<u16>(b + M.CU_SVC);
  let d = <i32>load<u8>(b + M.CU_USB);
  let rights = <i32>load<u8>(b + M.CU_RIGHTS);
  if (!svcValid(id)) return bad("service", "no such service (SERVICE records come first)");
  if (!usbDeclared(d)) return bad("usb", "no such USB device (USB records come first)");
  if ((rights & ~(RIGHT_READ | RIGHT_WRITE | RIGHT_DERIVE)) != 0) return bad("rights", "only read, write, derive");
  if ((rights & (RIGHT_READ | RIGHT_WRITE)) == 0) return bad("rights", "neither read nor write");
  if (usbHolder(d) >= 0) return bad("usb", "the device is granted to another service already (or twice)");
  let slot = capGrant(id, CapKind.USB, rights, d, 0, 0);
  if (slot < 0) return bad("usb", "capability table full");
  usbGrant(d, id, slot);
  return 0;
}
