// The syscalls, behind k_sys(svc, nr, a0..a4). Each handler first checks its arguments
// (ranges, handles, rights) and returns -Errno before touching any state; only then does
// it act. Service memory is reached only through the host's svc_read/svc_write, which
// bounds-check against the service's own memory. Numbers: abi/syscalls.ts.
import { Errno } from "../../abi/errno";
import { Drop } from "../../abi/drop";
import { Sys, CAPINFO_KIND, CAPINFO_RIGHTS, CAPINFO_OBJECT, CAPINFO_EXT_LEN, CAPINFO_SIZE } from "../../abi/syscalls";
import { CapKind, RIGHT_SEND } from "../../abi/caps";
import { LogLevel, REC_NIC, REC_LEN, REC_HDR, SYS_BATCH_SIZE } from "../../abi/kernel";
import { recSize } from "../../abi/gen/records";
import { MTU_MAX, LOG_LINE, SVC_LOG_MAX, SVC_POOL_SHARE, POOL_RESERVE, PKT_SLOTS } from "../param";
import { NAME_MAX } from "../../abi/manifest";
import { CapturePoint, CAPTURE_NONE } from "../../abi/capture";
import { drop, dropPacket } from "../stats";
import { capturing, capture } from "../capture";
import { now } from "../clock";
import { logStart, logStr, logBytes, logEnd } from "../log";
import { pktAlloc, pktFree, pktData, pktLen, pktSetLen, pktSetClass, svcHeld, svcHeldAll } from "../pool";
import { CLASS_SERVICE } from "../net/egress";
import { host_svc_read, host_svc_write } from "../../abi/gen/host";
import { Chain, check, walk, ipTotal } from "../net/ipv6";
import { IP_SRC, NH_ICMPV6, ipHops } from "../../wire/ipv6";
import { icmpType } from "../../wire/icmpv6";
import { ND_HOP_LIMIT } from "../../wire/nd";
import { addrEq } from "../../wire/addr";
import { output, pathMtu, Origin } from "../net/output";
import { svcValid, svcName, svcNameLen, svcAddr, svcAddrCount, svcAddrOk, svcByName, svcTx, svcRefused } from "./registry";
import { queuePeek, queuePop, queueAt } from "./queue";
import { svcTimer, callStale } from "./sched";
import { markReady } from "./ready";
import { capFind, capDerive, capRevoke, resolve, capKind, capRights, capObject,
  capExtLen, capHolds } from "./caps";
import { diskRead, diskWrite, diskFlush } from "./disk";
import { usbDescSys, usbSubmit, usbCancel, usbEvent, usbRevoked } from "./usb";

const SCRATCH: usize = memory.data(LOG_LINE, 8);   // names (NAME_MAX), addresses, records, log lines (SVC_LOG_MAX)
const SEND_CHAIN = new Chain();                      // the chain of the packet being sent
const BATCH: usize = memory.data(SYS_BATCH_SIZE, 8); // recv_many's and send_many's records, one crossing each way

export function sys(svc: i32, nr: i32, a0: i32, a1: i32, a2: i32, a3: i32, a4: i32): i32 {
  if (!svcValid(svc) || callStale(svc)) return -Errno.EPERM;
  switch (nr) {
    case Sys.SEND: return send(svc, a0, a1);
    case Sys.RECV: return recv(svc, a0, a1);
    case Sys.ADDR: return addr(svc, a0, a1);
    case Sys.RESOLVE: return resolveName(svc, a0, a1, a2);
    case Sys.LOG: return log(svc, a0, a1);
    case Sys.CLOCK: return clock(svc, a0);
    case Sys.TIMER: return timer(svc, a0);
    case Sys.CAP_FIND: return capFind(svc, <CapKind>a0, a1);
    case Sys.CAP_INFO: return capInfo(svc, a0, a1);
    case Sys.CAP_DERIVE: return capDerive(svc, a0, a1);
    case Sys.CAP_REVOKE: return revoke(svc, a0);
    case Sys.DISK_READ: return diskRead(svc, a0, <u64><u32>a1 | (<u64><u32>a2 << 32), a3, a4);
    case Sys.DISK_WRITE: return diskWrite(svc, a0, <u64><u32>a1 | (<u64><u32>a2 << 32), a3, a4);
    case Sys.DISK_FLUSH: return diskFlush(svc, a0);
    case Sys.MTU: return mtu(svc, a0);
    case Sys.USB_DESC: return usbDescSys(svc, a0, a1, a2);
    case Sys.USB_SUBMIT: return usbSubmit(svc, a0, a1);
    case Sys.USB_CANCEL: return usbCancel(svc, a0, a1);
    case Sys.USB_EVENT: return usbEvent(svc, a0);
    case Sys.RECV_MANY: return recvMany(svc, a0, a1);
    case Sys.SEND_MANY: return sendMany(svc, a0, a1);
  }
  return -Errno.ENOSYS;
}

function refused(svc: i32, pkt: i32, reason: Drop, err: Errno): i32 {
  dropPacket(reason, pkt, CAPTURE_NONE, svc);
  pktFree(pkt);
  unchecked(svcRefused[svc]++);
  return -err;
}

/** Is src one of svc's addresses, with a live ADDR capability that grants SEND? */
function ownsSource(svc: i32, src: usize): bool {
  let n = <i32>unchecked(svcAddrCount[svc]);
  for (let i = 0; i < n; i++) {
    if (addrEq(svcAddr(svc, i), src)) return svcAddrOk(svc, i) && capHolds(svc, CapKind.ADDR, i, RIGHT_SEND);
  }
  return false;
}

/** Is the walked packet at p (chain c) one of the link's control plane, which only the kernel
 *  speaks: hop limit 255 (what RFC 4861 §7.1 takes as proof that a sender is on-link), or
 *  ICMPv6 MLD (130-132, 143), router and neighbor discovery and redirects (133-137), inverse
 *  ND (141-142), SEND certification paths (148-149) or multicast router discovery (151-153)? */
function linkControl(p: usize, len: i32, c: Chain): bool {
  if (ipHops(p) == ND_HOP_LIMIT) return true;
  if (c.proto != NH_ICMPV6 || c.off >= len) return false;
  let t = <i32>icmpType(p + <usize>c.off);
  return (t >= 130 && t <= 137) || t == 141 || t == 142 || t == 143 || t == 148 || t == 149 || (t >= 151 && t <= 153);
}

function send(svc: i32, ptr: i32, len: i32): i32 {
  if (len <= 0) return -Errno.EINVAL;
  if (len > MTU_MAX) { unchecked(svcRefused[svc]++); drop(Drop.TOO_BIG); return -Errno.EMSGSIZE; }
  let share = poolShare(svc);
  if (share < 0) return share;
  let pkt = pktAlloc();
  if (pkt < 0) { drop(Drop.POOL_EMPTY); return -Errno.ENOSPC; }
  if (host_svc_read(svc, ptr, <i32>pktData(pkt), len) < 0) { pktFree(pkt); return -Errno.EFAULT; }
  return sendPkt(svc, pkt, len);
}

/** May svc take another buffer from the pool? 0, or -Errno (counted). */
function poolShare(svc: i32): i32 {
  // A service that already holds its share of the pool waits for its frames to leave
  // (its egress class is full): it cannot starve receiving or other services.
  if (unchecked(svcHeld[svc]) >= SVC_POOL_SHARE || svcHeldAll >= PKT_SLOTS - POOL_RESERVE) {
    drop(Drop.TXQ_FULL);
    return -Errno.EAGAIN;
  }
  return 0;
}

/** The len bytes svc sent, copied into pkt: check them and route them. Consumes pkt. */
function sendPkt(svc: i32, pkt: i32, len: i32): i32 {
  let p = pktData(pkt);
  if (capturing != 0) capture(CapturePoint.SEND, CAPTURE_NONE, svc, CAPTURE_NONE, p, len);
  // Hop limit 0 could reach no one: the first hop must discard it (RFC 8200 §3).
  if (check(p, len) >= 0 || ipTotal(p) != len || walk(p, SEND_CHAIN) >= 0 || ipHops(p) == 0) {
    return refused(svc, pkt, Drop.SVC_MALFORMED, Errno.EINVAL);
  }
  if (linkControl(p, len, SEND_CHAIN)) return refused(svc, pkt, Drop.SVC_LINK_CONTROL, Errno.EPERM);
  if (!ownsSource(svc, p + IP_SRC)) return refused(svc, pkt, Drop.SVC_SRC, Errno.EADDRNOTAVAIL);
  pktSetLen(pkt, len);
  pktSetClass(pkt, CLASS_SERVICE + svc);
  let r = output(pkt, Origin.SERVICE, -1);
  if (r < 0) unchecked(svcRefused[svc]++);
  else unchecked(svcTx[svc]++);
  return r;
}

function recv(svc: i32, ptr: i32, cap: i32): i32 {
  let pkt = queuePeek(svc);
  if (pkt < 0) return -Errno.EAGAIN;
  let len = pktLen(pkt);
  if (len > cap) return -Errno.EMSGSIZE;        // the packet stays queued
  if (host_svc_write(svc, ptr, <i32>pktData(pkt), len) < 0) return -Errno.EFAULT;
  queuePop(svc);
  pktFree(pkt);
  return len;
}

/** recv_many: the queued packets that fit cap, as records built in BATCH (padding zeroed:
 *  BATCH held other services' packets) and written with one svc_write; only then popped. */
function recvMany(svc: i32, ptr: i32, cap: i32): i32 {
  if (cap < 0) return -Errno.EINVAL;
  let room = min(cap, SYS_BATCH_SIZE);
  let off = 0, n = 0;
  for (let pkt = queueAt(svc, 0); pkt >= 0; pkt = queueAt(svc, ++n)) {
    let len = pktLen(pkt);
    let size = recSize(len);
    if (size > room - off) break;
    let r = BATCH + <usize>off;
    store<u32>(r + size - 4, 0);                 // the padding, if any (before the bytes overwrite the rest)
    store<u16>(r + REC_NIC, 0);
    store<u16>(r + REC_LEN, <u16>len);
    memory.copy(r + REC_HDR, pktData(pkt), <usize>len);
    off += size;
  }
  if (n == 0) return queuePeek(svc) < 0 ? -Errno.EAGAIN : -Errno.EMSGSIZE;
  if (host_svc_write(svc, ptr, <i32>BATCH, off) < 0) return -Errno.EFAULT;
  for (let i = 0; i < n; i++) { pktFree(queuePeek(svc)); queuePop(svc); }
  return n;
}

/** send_many: the records read with one svc_read and checked whole before the first is
 *  sent (decode, then act); then each packet as send() would, from BATCH. */
function sendMany(svc: i32, ptr: i32, len: i32): i32 {
  if (len <= 0 || len > SYS_BATCH_SIZE) return -Errno.EINVAL;
  if (host_svc_read(svc, ptr, <i32>BATCH, len) < 0) return -Errno.EFAULT;
  let off = 0, count = 0;
  while (off < len) {
    if (off > len - REC_HDR) return -Errno.EINVAL;
    let plen = <i32>load<u16>(BATCH + <usize>off + REC_LEN);
    if (plen == 0 || plen > MTU_MAX || plen > len - off - REC_HDR) return -Errno.EINVAL;
    if (load<u16>(BATCH + <usize>off + REC_NIC) != 0) return -Errno.EINVAL;   // reserved: a later ABI may give it a meaning
    off += recSize(plen);
    count++;
  }
  off = 0;
  for (let i = 0; i < count; i++) {
    let plen = <i32>load<u16>(BATCH + <usize>off + REC_LEN);
    let share = poolShare(svc);
    let pkt = share < 0 ? -1 : pktAlloc();
    if (pkt < 0) {
      if (share == 0) drop(Drop.POOL_EMPTY);
      return i > 0 ? i : (share < 0 ? share : -Errno.ENOSPC);
    }
    memory.copy(pktData(pkt), BATCH + <usize>off + REC_HDR, <usize>plen);
    // A refusal is counted there, as for send, and ends the call: each refused packet costs
    // the service a crossing (and its fuel), as send's do, so one call cannot make the
    // kernel check and refuse hundreds of packets for free.
    if (sendPkt(svc, pkt, plen) < 0) return i + 1;
    off += recSize(plen);
  }
  return count;
}

function addr(svc: i32, index: i32, ptr: i32): i32 {
  if (<u32>index >= <u32>unchecked(svcAddrCount[svc])) return -Errno.ENOENT;
  if (!svcAddrOk(svc, index)) return -Errno.EADDRNOTAVAIL;   // under DAD, a duplicate, or expired
  if (host_svc_write(svc, ptr, <i32>svcAddr(svc, index), 16) < 0) return -Errno.EFAULT;
  return 0;
}

function resolveName(svc: i32, name: i32, len: i32, out: i32): i32 {
  if (len <= 0 || len > NAME_MAX) return -Errno.EINVAL;
  if (host_svc_read(svc, name, <i32>SCRATCH, len) < 0) return -Errno.EFAULT;
  let id = svcByName(SCRATCH, len);
  if (id < 0) return -Errno.ENOENT;
  let k = 0, n = <i32>unchecked(svcAddrCount[id]);
  while (k < n && !svcAddrOk(id, k)) k++;                   // its first address in use
  if (k == n) return -Errno.ENOENT;
  if (host_svc_write(svc, out, <i32>svcAddr(id, k), 16) < 0) return -Errno.EFAULT;
  return 0;
}

function log(svc: i32, ptr: i32, len: i32): i32 {
  if (len < 0) return -Errno.EINVAL;
  let n = min(len, SVC_LOG_MAX);
  if (host_svc_read(svc, ptr, <i32>SCRATCH, n) < 0) return -Errno.EFAULT;
  // A control byte would let a service end its line and start one that speaks for the
  // kernel or another domain (a host prints the log as lines), or steer a terminal.
  for (let i = 0; i < n; i++) {
    let b = load<u8>(SCRATCH + <usize>i);
    if (b < 0x20 || b == 0x7f) store<u8>(SCRATCH + <usize>i, 0x3f);   // '?'
  }
  logStart();
  logBytes(svcName(svc), <i32>unchecked(svcNameLen[svc]));
  logStr(": ");
  logBytes(SCRATCH, n);
  logEnd(LogLevel.INFO);
  return 0;
}

function clock(svc: i32, ptr: i32): i32 {
  store<i64>(SCRATCH, now);
  return host_svc_write(svc, ptr, <i32>SCRATCH, 8) < 0 ? -Errno.EFAULT : 0;
}

function timer(svc: i32, ms: i32): i32 {
  if (ms < 0) return -Errno.EINVAL;
  unchecked(svcTimer[svc] = ms == 0 ? 0 : now + <i64>ms);
  markReady(svc);   // the scheduler looks at it while it has a timer (ready.ts)
  return 0;
}

/** cap_revoke, then cancel the USB transfers the revoked handles submitted (svc/usb.ts). */
function revoke(svc: i32, handle: i32): i32 {
  let r = capRevoke(svc, handle);
  if (r == 0) usbRevoked(svc);
  return r;
}

function capInfo(svc: i32, handle: i32, ptr: i32): i32 {
  let slot = resolve(svc, handle);
  if (slot < 0) return slot;
  memory.fill(SCRATCH, 0, CAPINFO_SIZE);
  store<u8>(SCRATCH + CAPINFO_KIND, <u8>capKind(svc, slot));
  store<u8>(SCRATCH + CAPINFO_RIGHTS, <u8>capRights(svc, slot));
  store<u16>(SCRATCH + CAPINFO_OBJECT, <u16>capObject(svc, slot));
  store<u64>(SCRATCH + CAPINFO_EXT_LEN, capExtLen(svc, slot));
  return host_svc_write(svc, ptr, <i32>SCRATCH, CAPINFO_SIZE) < 0 ? -Errno.EFAULT : 0;
}

function mtu(svc: i32, dst: i32): i32 {
  if (host_svc_read(svc, dst, <i32>SCRATCH, 16) < 0) return -Errno.EFAULT;
  return pathMtu(SCRATCH);
}
