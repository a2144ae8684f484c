// What an authenticated control message does (spec/control.md): LOAD a service from the
// node's store with its grants, UNLOAD one, GRANT new limits to one, REVOKE a disk extent.
// Each checks before it changes anything it cannot undo: the records' framing and types
// first, then the user's right to the domain; then it applies the records through boot.ts
// (the same checks as at boot) and admits the result (svc/admit.ts); a refusal undoes
// everything and leaves the node as it was. Each ends with one log line — what was done,
// or why not — which the reply quotes (log.ts lastLine). Called by ctl/control.ts only.
import { Errno } from "../../abi/errno";
import { LogLevel, SvcState } from "../../abi/kernel";
import * as M from "../../abi/manifest";
import * as C from "../../abi/control";
import { SVC_MAX, CAP_SLOTS, NIC_MAX, CPU_SHARE_MAX } from "../param";
import { le16, le32, le64 } from "../../wire/bytes";
import { logStart, logStr, logBytes, logEnd } from "../log";
import { applyRecord } from "../boot";
import { admit } from "../svc/admit";
import { validDomain, svcValid, svcFirstFree, svcByName, svcState, svcRamMin, svcRamMax, svcRemove, svcOwner } from "../svc/registry";
import { usbForget } from "../svc/usb";
import { capSetSecret, capsClear, capKind, capFindExtent, capFreeTree } from "../svc/caps";
import { cpuGrant, cpuMinPermille, cpuMaxPermille, cpuUsed } from "../svc/cpu";
import { schedBoot, schedForget, schedRestartNow, schedBackoff, backoffFirstMs, backoffMaxMs } from "../svc/sched";
import { queueFlush, svcWoken } from "../svc/queue";
import { classForget, setClassRates, classMinBits, classMaxBits, CLASS_SERVICE } from "../net/egress";
import { routeRemoveService } from "../net/route";
import { acForgetService } from "../net/slaac";
import { nicCount } from "../net/iface";
import { poolDisown } from "../pool";
import { CapKind } from "../../abi/caps";
import { userMay, userName, userNameLen } from "./users";
import { userOf } from "./delegations";
import { mayClaimAddress, mayGrantExtent } from "./authority";
import { certifyService } from "../cert/services";
import { modulesSigned, moduleCheck } from "../svc/modules";
import { host_svc_load, host_svc_unload, host_svc_ram, host_svc_stop, host_random } from "../../abi/gen/host";

/** The service a LOAD created (the reply carries it), or RP_NO_SVC. */
export let opSvc: i32 = C.RP_NO_SVC;

const REQ: usize = memory.data(C.SL_NAME + M.NAME_MAX, 8);   // the svc_load request
const SECRET: usize = memory.data(4, 4);
// A GRANT's undo: the service's grants before it, and which capability slots were in use.
const netMin = new StaticArray<u64>(NIC_MAX);
const netMax = new StaticArray<u64>(NIC_MAX);
const capUsed = new StaticArray<bool>(CAP_SLOTS);

// Records each op accepts, as bits of Rec numbers.
const LOAD_TYPES: u32 = 1 << M.Rec.SVC_ADDR | 1 << M.Rec.CAP_DISK | 1 << M.Rec.NET | 1 << M.Rec.CPU | 1 << M.Rec.RESTART;
const GRANT_TYPES: u32 = 1 << M.Rec.RAM | 1 << M.Rec.CAP_DISK | 1 << M.Rec.NET | 1 << M.Rec.CPU | 1 << M.Rec.RESTART;

function say(level: LogLevel, u: i32, what: string, name: usize, n: i32, tail: string): void {
  logStart();
  logStr("control: ");
  logBytes(userName(u), userNameLen(u));
  logStr(what);
  logBytes(name, n);
  logStr(tail);
  logEnd(level);
}

function refuse(err: Errno, why: string): i32 {
  logStart();
  logStr("control message refused: ");
  logStr(why);
  logEnd(LogLevel.WARN);
  return -err;
}

/** The offset of the u16 in a record's body that names its service. */
function svcField(type: i32): i32 { return type == M.Rec.NET ? M.NET_SVC : 0; }

/** Check the framing of the records in [p, p+n): each header and body inside, each type one
 *  of `allowed`, each body long enough to hold its service byte. */
function frame(p: usize, n: i32, allowed: u32): i32 {
  let off = 0, i = 0;
  while (off < n) {
    if (off + M.MF_REC_HEADER > n) return refuse(Errno.EBADMSG, "a record header runs past the end");
    let type = <i32>load<u8>(p + off);
    let blen = <i32>le16(p + off + 2);
    if (off + M.MF_REC_HEADER + blen > n) return refuse(Errno.EBADMSG, "a record body runs past the end");
    if (type >= 32 || ((allowed >> <u32>type) & 1) == 0) return refuse(Errno.EBADMSG, "a record of a type this operation does not take");
    if (blen < svcField(type) + 2) return refuse(Errno.EBADMSG, "a record too short to name its service");
    off += M.MF_REC_HEADER + blen;
    i++;
  }
  return i;
}

/** May user u make the grant of the record of `type` at b (blen bytes) to service svc: an
 *  address or a disk extent must be one the node's owner delegated to u (authority.ts).
 *  A record of the wrong length is left to applyRecord, which refuses it. */
function authorized(u: i32, svc: i32, type: i32, b: usize, blen: i32): i32 {
  if (type == M.Rec.SVC_ADDR && blen == M.SA_SIZE) return mayClaimAddress(u, b + M.SA_ADDR);
  if (type == M.Rec.CAP_DISK && blen == M.CD_SIZE) {
    return mayGrantExtent(u, svc, <i32>load<u8>(b + M.CD_DISK), <i32>load<u8>(b + M.CD_RIGHTS),
      le64(b + M.CD_OFFSET), le64(b + M.CD_LENGTH));
  }
  return 0;
}

/** Apply the records in [p, p+n) (framed already) from user u to service svc, whose id
 *  each record's service byte is set to first, numbering them from `first`. */
function apply(u: i32, p: usize, n: i32, svc: i32, first: i32): i32 {
  let off = 0, i = first;
  while (off < n) {
    let type = <i32>load<u8>(p + off);
    let blen = <i32>le16(p + off + 2);
    let b = p + off + M.MF_REC_HEADER;
    store<u16>(b + svcField(type), <u16>svc);
    let r = authorized(u, svc, type, b, blen);
    if (r >= 0) r = applyRecord(i++, type, b, blen);
    if (r < 0) return r;
    off += M.MF_REC_HEADER + blen;
  }
  return 0;
}

/** Free everything the kernel holds for svc and tell the host to forget its module. */
function forget(svc: i32): void {
  host_svc_stop(svc);
  usbForget(svc);
  queueFlush(svc);
  unchecked(svcWoken[svc] = false);
  classForget(nicCount, CLASS_SERVICE + svc);
  poolDisown(svc);
  routeRemoveService(svc);
  acForgetService(svc);
  capsClear(svc);
  cpuGrant(svc, 0, CPU_SHARE_MAX);
  // The next service LOADed into this id starts with none of this one's fuel: counted
  // against it, it would be owed less than its CPU min (or be over a small max) until the
  // period ends. With min 0 nothing is owed for the id either way; the node's total for the
  // period (cpu.ts usedAll) keeps what was really used.
  unchecked(cpuUsed[svc] = 0);
  schedForget(svc);
  svcRemove(svc);
  host_svc_unload(svc);
}

/** A name (length u8, then the name) at the start of a body; its length, or -1. */
function nameAt(body: usize, n: i32): i32 {
  if (n < 1) return -1;
  let nl = <i32>load<u8>(body);
  if (1 + nl > n || !validDomain(body + 1, nl)) return -1;
  return nl;
}

export function opLoad(u: i32, body: usize, n: i32): i32 {
  opSvc = C.RP_NO_SVC;
  let recs = body + C.LOAD_RECORDS, rn = n - C.LOAD_RECORDS;
  if (rn < M.MF_REC_HEADER || load<u8>(recs) != M.Rec.SERVICE) return refuse(Errno.EBADMSG, "a LOAD's first record is not a SERVICE record");
  let sb = recs + M.MF_REC_HEADER, sl = <i32>le16(recs + 2);
  if (M.MF_REC_HEADER + sl > rn || sl < M.SVC_NAME) return refuse(Errno.EBADMSG, "the SERVICE record runs past the end");
  let nl = <i32>load<u8>(sb + M.SVC_NAME_LEN);
  let name = sb + M.SVC_NAME;
  if (M.SVC_NAME + nl != sl || !validDomain(name, nl)) return refuse(Errno.EBADMSG, "the SERVICE record's name is not a valid domain name");
  if (!userMay(u, name, nl)) { say(LogLevel.WARN, u, " may not load ", name, nl, ": not under any of the user's domains"); return -Errno.EACCES; }
  if (svcByName(name, nl) >= 0) { say(LogLevel.WARN, u, " tried to load ", name, nl, ", which is loaded already; UNLOAD it first"); return -Errno.EEXIST; }
  let rest = recs + M.MF_REC_HEADER + sl, restLen = rn - M.MF_REC_HEADER - sl;
  let r = frame(rest, restLen, LOAD_TYPES);
  if (r < 0) return r;
  let free = svcFirstFree();
  memory.copy(REQ + C.SL_HASH, body + C.LOAD_HASH, 32);
  for (let s = 0; s < SVC_MAX; s += 8) {
    let bits: u32 = 0;
    for (let k = 0; k < 8; k++) if (!svcValid(s + k)) bits |= 1 << <u32>k;
    store<u8>(REQ + C.SL_FREE + <usize>(s >> 3), <u8>bits);
  }
  store<u32>(REQ + C.SL_RAM_MAX, le32(sb + M.SVC_RAM_MAX));
  store<u8>(REQ + C.SL_NAME_LEN, <u8>nl);
  memory.copy(REQ + C.SL_NAME, name, <usize>nl);
  let id = free < 0 ? -Errno.ENOSPC : host_svc_load(<i32>REQ, C.SL_NAME + nl);
  if (id == -Errno.ENOENT) { say(LogLevel.WARN, u, " asked for a module that is not in the node's store (manifest store:), for ", name, nl, ""); return id; }
  if (id == -Errno.EINVAL) { say(LogLevel.WARN, u, " cannot load ", name, nl, ": its ram.max is below the module's initial memory"); return id; }
  if (id < 0) { say(LogLevel.WARN, u, " cannot load ", name, nl, ": no free slot for its module, or its ram.max is over the store entry's ram"); return -Errno.ENOSPC; }
  if (id >= SVC_MAX || svcValid(id)) abort("host svc_load returned a service id that was not free");
  if (modulesSigned()) {
    let why = moduleCheck(id, body + C.LOAD_HASH, name, nl);
    if (why !== null) {
      host_svc_unload(id);
      logStart();
      logStr("control: ");
      logBytes(userName(u), userNameLen(u));
      logStr(" cannot load ");
      logBytes(name, nl);
      logStr(": its module is not signed for it by a key of the manifest's domains: ");
      logStr(why as string);
      logEnd(LogLevel.WARN);
      return -Errno.EACCES;
    }
  }
  store<u16>(sb + M.SVC_ID, <u16>id);
  r = applyRecord(0, M.Rec.SERVICE, sb, sl);
  if (r >= 0) unchecked(svcOwner[id] = <i8>userOf(u));
  if (r >= 0) r = apply(u, rest, restLen, id, 1);
  if (r >= 0) r = admit(LogLevel.WARN);
  if (r < 0) { if (svcValid(id)) forget(id); else host_svc_unload(id); return r; }
  host_random(<i32>SECRET, 4);
  capSetSecret(id, load<u32>(SECRET));
  schedBoot(id);
  certifyService(id);
  opSvc = id;
  say(LogLevel.INFO, u, " loaded ", name, nl, "");
  return 0;
}

/** The service a body names (after its length byte) that user u may act on, or -Errno
 *  after logging why not. */
function target(u: i32, body: usize, n: i32, what: string): i32 {
  let nl = nameAt(body, n);
  if (nl < 0) return refuse(Errno.EBADMSG, "the service name is not a valid domain name");
  let id = svcByName(body + 1, nl);
  if (!userMay(u, body + 1, nl)) { say(LogLevel.WARN, u, what, body + 1, nl, ": not under any of the user's domains"); return -Errno.EACCES; }
  if (id < 0) { say(LogLevel.WARN, u, what, body + 1, nl, ": no such service on this node"); return -Errno.ENOENT; }
  return id;
}

export function opUnload(u: i32, body: usize, n: i32): i32 {
  let id = target(u, body, n, " may not unload ");
  if (id < 0) return id;
  if (1 + <i32>load<u8>(body) != n) return refuse(Errno.EBADMSG, "bytes after the service name");
  forget(id);
  say(LogLevel.INFO, u, " unloaded ", body + 1, <i32>load<u8>(body), "");
  return 0;
}

export function opGrant(u: i32, body: usize, n: i32): i32 {
  let id = target(u, body, n, " may not grant to ");
  if (id < 0) return id;
  let nl = <i32>load<u8>(body);
  let recs = body + 1 + nl, rn = n - 1 - nl;
  let r = frame(recs, rn, GRANT_TYPES);
  if (r < 0) return r;
  // What to restore if the grant is refused.
  let ramMin = unchecked(svcRamMin[id]), ramMax = unchecked(svcRamMax[id]);
  let cpuMin = cpuMinPermille(id), cpuMax = cpuMaxPermille(id);
  let bFirst = backoffFirstMs(id), bMax = backoffMaxMs(id);
  for (let k = 0; k < nicCount; k++) {
    unchecked(netMin[k] = classMinBits(k, CLASS_SERVICE + id));
    unchecked(netMax[k] = classMaxBits(k, CLASS_SERVICE + id));
  }
  for (let s = 0; s < CAP_SLOTS; s++) unchecked(capUsed[s] = capKind(id, s) != CapKind.NONE);
  r = apply(u, recs, rn, id, 0);
  if (r >= 0) r = admit(LogLevel.WARN);
  let newMax = unchecked(svcRamMax[id]);
  let hr = r >= 0 && newMax != ramMax ? host_svc_ram(id, <i32>newMax) : 0;
  if (hr == -Errno.EINVAL) r = refuse(Errno.EINVAL, "ram.max is below the module's initial memory");
  else if (hr < 0) r = refuse(Errno.ENOSPC, "the host cannot give the service that much RAM (its store entry's ram, or its image slot, is smaller)");
  if (r < 0) {
    unchecked(svcRamMin[id] = ramMin); unchecked(svcRamMax[id] = ramMax);
    cpuGrant(id, cpuMin, cpuMax);
    schedBackoff(id, bFirst, bMax);
    for (let k = 0; k < nicCount; k++) setClassRates(k, CLASS_SERVICE + id, unchecked(netMin[k]), unchecked(netMax[k]));
    for (let s = 0; s < CAP_SLOTS; s++) if (!unchecked(capUsed[s])) capFreeTree(id, s);
    return r;
  }
  let st = <i32>unchecked(svcState[id]);
  let restart = newMax != ramMax && st != SvcState.FAILED;
  if (restart) schedRestartNow(id);
  say(LogLevel.INFO, u, " granted new limits to ", body + 1, nl, restart ? "; its RAM max changed, so it restarts now" : "");
  return 0;
}

export function opRevoke(u: i32, body: usize, n: i32): i32 {
  let id = target(u, body, n, " may not revoke from ");
  if (id < 0) return id;
  let nl = <i32>load<u8>(body);
  let b = body + 1 + nl;
  if (n - 1 - nl != C.RV_SIZE) return refuse(Errno.EBADMSG, "a REVOKE names a disk, an offset and a length: 24 bytes after the name");
  let slot = capFindExtent(id, <i32>load<u8>(b + C.RV_DISK), le64(b + C.RV_OFFSET), le64(b + C.RV_LENGTH));
  if (slot < 0) { say(LogLevel.WARN, u, " asked to revoke an extent that was never granted to ", body + 1, nl, ""); return -Errno.ENOENT; }
  capFreeTree(id, slot);
  say(LogLevel.INFO, u, " revoked a disk extent from ", body + 1, nl, "");
  return 0;
}
