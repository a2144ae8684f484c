// The small node the rights specs (rights.spec.ts, handles.spec.ts) run in, and the one
// question they ask after every refused call: did anything happen? A server with NIC 0
// (fd00:1::/64), neighbor A on the link, service 0 with addresses fd00:1::a0 (index 0)
// and fd00:1::a1 (index 1) and a READ-only extent [EXT_OFF, +EXT_LEN) of disk 0, service 1
// with fd00:1::b0 and the extent [0, 4096) with every disk right. The mock host gives both
// services a memory and disk 0 its bytes (tests/kernel/mock-host.mjs). mark() records the
// world; nothingHappened() checks that the disk's bytes, the host's disk calls, both
// services' memories and capability tables, their queues and transmit counts and the
// packet pool are as marked and that the NIC sends nothing.
import { Errno } from "../../../abi/errno";
import { Sys } from "../../../abi/syscalls";
import { CapKind, RIGHT_READ, RIGHT_WRITE, RIGHT_DERIVE } from "../../../abi/caps";
import { Drop } from "../../../abi/drop";
import { CAP_SLOTS } from "../../../kernel/param";
import { k_sys, k_poll } from "../../../kernel/main";
import { capKind, capRights, capObject, capExtOff, capExtLen, capFind } from "../../../kernel/svc/caps";
import { queueDepth } from "../../../kernel/svc/queue";
import { svcTx, svcRefused } from "../../../kernel/svc/registry";
import { poolFree } from "../../../kernel/pool";
import { ETH, firstDiff, nsFrame, udpFrame } from "../frames";
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix, mfService, mfSvcAddr, mfDisk, mfCapDisk } from "../manifest";
import { rx, bootFrom, dropped, sent, sentLen } from "../drive";
import { frameCount, framesClear, svcMemory, svcPut, svcGet, mockDisk, diskPut, diskGet, diskCalls } from "../mock";

export const T: i64 = 1000;               // the kernel's clock stays here
export const SVC_MEM: i32 = 4096;         // each service's memory
export const DISK_SIZE: i32 = 16384;
export const EXT_OFF: u64 = 4096;         // service 0's extent of disk 0
export const EXT_LEN: u64 = 8192;
export const BUF: usize = 256;            // in a service's memory: disk data,
export const RXB: usize = 512;            // what recv and cap_info write,
export const PKT: usize = 2048;           // a packet to send
export const MAC_N = "02:00:00:00:00:01";
const MAC_A = "02:00:00:00:00:aa";
export const A_GL = "fd00:1::aa";
export const SVC_A0 = "fd00:1::a0";
export const SVC_A1 = "fd00:1::a1";
export const SVC_B0 = "fd00:1::b0";

const SNAP: i32 = CAP_SLOTS * 24 + 3 * CAP_SLOTS * 4;   // one capability table, as snapshot() writes it
const M: usize = memory.data(1024, 16);
const F: usize = memory.data(2048, 16);                 // a frame
const P: usize = memory.data(2048, 16);                 // the packet packet() built
const TMP: usize = memory.data(DISK_SIZE, 16);
const SVC_VIEW: usize = memory.data(SVC_MEM, 16);
const DISK_VIEW: usize = memory.data(DISK_SIZE, 16);
const DISK_REF: usize = memory.data(DISK_SIZE, 16);
const MEM_REF: usize = memory.data(2 * SVC_MEM, 16);
const TAB_REF: usize = memory.data(2 * SNAP, 16);
const TAB_NOW: usize = memory.data(SNAP, 16);
let calls = 0, free = 0, svcDown: u64 = 0;
const queued = new StaticArray<i32>(2);
const sentCount = new StaticArray<u64>(2);
const refusedCount = new StaticArray<u64>(2);

/** Boot the node; disk 0 holds the bytes i * 7 + 3; neighbor A is known. */
export function bootWorld(): i32 {
  svcMemory(0, SVC_MEM);
  svcMemory(1, SVC_MEM);
  mockDisk(0, DISK_SIZE);
  for (let i = 0; i < DISK_SIZE; i++) store<u8>(TMP + <usize>i, <u8>(i * 7 + 3));
  diskPut(0, 0, TMP, DISK_SIZE);
  mfStart(M);
  mfNode(0, "n1.test");
  mfNic(0, 1500, MAC_N);
  mfPrefix(0, 64, "fd00:1::");
  mfService(0, "a.n1.test");
  mfSvcAddr(0, SVC_A0);
  mfSvcAddr(0, SVC_A1);
  mfService(1, "b.n1.test");
  mfSvcAddr(1, SVC_B0);
  mfDisk(0, <u64>DISK_SIZE);
  mfCapDisk(0, 0, RIGHT_READ, EXT_OFF, EXT_LEN);
  mfCapDisk(1, 0, RIGHT_READ | RIGHT_WRITE | RIGHT_DERIVE, 0, 4096);
  let r = bootFrom(M, mfEnd(), T);
  // A solicits the node's fd00:1::ff:fe00:1, so the node knows A's MAC.
  rx(0, F, nsFrame(F, "33:33:ff:00:00:01", MAC_A, 255, A_GL, "ff02::1:ff00:1", "fd00:1::ff:fe00:1", MAC_A), T);
  k_poll(T);
  framesClear();
  return r;
}

/** Every slot of svc's table (kind, rights, object, extent) and the handles capFind gives. */
function snapshot(svc: i32, p: usize): void {
  memory.fill(p, 0, SNAP);
  for (let s = 0; s < CAP_SLOTS; s++) {
    let q = p + <usize>(s * 24);
    store<u8>(q, <u8>capKind(svc, s));
    store<u8>(q + 1, <u8>capRights(svc, s));
    store<u16>(q + 2, <u16>capObject(svc, s));
    store<u64>(q + 8, capExtOff(svc, s));
    store<u64>(q + 16, capExtLen(svc, s));
  }
  let q = p + <usize>(CAP_SLOTS * 24);
  for (let k = 1; k <= 3; k++) {
    for (let i = 0; i < CAP_SLOTS; i++) { store<i32>(q, capFind(svc, <CapKind>k, i)); q += 4; }
  }
}

export function mark(): void {
  framesClear();
  diskGet(0, 0, DISK_REF, DISK_SIZE);
  calls = diskCalls();
  free = poolFree();
  svcDown = dropped(Drop.SVC_DOWN);
  for (let s = 0; s < 2; s++) {
    svcGet(s, 0, MEM_REF + <usize>(s * SVC_MEM), SVC_MEM);
    snapshot(s, TAB_REF + <usize>(s * SNAP));
    queued[s] = queueDepth(s);
    sentCount[s] = svcTx[s];
    refusedCount[s] = svcRefused[s];
  }
}

export function nothingHappened(msg: string): void {
  k_poll(T);
  expect(frameCount()).toBe(0, msg + ": a frame was sent");
  expect(diskCalls()).toBe(calls, msg + ": the host was asked to do disk I/O");
  expect(firstDiff(diskAt(0, DISK_SIZE), DISK_REF, DISK_SIZE)).toBe(-1, msg + ": the disk changed");
  expect(poolFree()).toBe(free, msg + ": a packet buffer is held");
  for (let s = 0; s < 2; s++) {
    expect(firstDiff(svcAt(s, 0, SVC_MEM), MEM_REF + <usize>(s * SVC_MEM), SVC_MEM)).toBe(-1, msg + ": a service's memory changed");
    snapshot(s, TAB_NOW);
    expect(firstDiff(TAB_NOW, TAB_REF + <usize>(s * SNAP), SNAP)).toBe(-1, msg + ": a capability table changed");
    expect(queueDepth(s)).toBe(queued[s], msg + ": a service's queue changed");
    expect(svcTx[s]).toBe(sentCount[s], msg + ": a service's sent count changed");
  }
}

/** The refusal of a send by svc was counted against it. */
export function refusalCounted(svc: i32, msg: string): void {
  expect(svcRefused[svc]).toBe(refusedCount[svc] + 1, msg + ": the refusal was not counted");
}

/** len bytes of the disk at off, copied out (valid until the next diskAt). */
export function diskAt(off: u64, len: i32): usize { diskGet(0, <i32>off, DISK_VIEW, len); return DISK_VIEW; }

/** len bytes of svc's memory at `at`, copied out (valid until the next svcAt). */
export function svcAt(svc: i32, at: usize, len: i32): usize { svcGet(svc, <i32>at, SVC_VIEW, len); return SVC_VIEW; }

/** len bytes of value at `at` in svc's memory. */
export function fill(svc: i32, at: usize, value: u8, len: i32): void {
  memory.fill(TMP, value, len);
  svcPut(svc, <i32>at, TMP, len);
}

/** A UDP packet from src to dst with 8 bytes of data, placed at PKT in svc's memory; its length. */
export function packet(svc: i32, src: string, dst: string): i32 {
  let len = udpFrame(F, MAC_N, MAC_A, 64, src, dst, 8) - ETH;
  memory.copy(P, F + ETH, len);
  svcPut(svc, <i32>PKT, P, len);
  return len;
}

/** The last packet() is the len bytes at p. */
export function isPacket(p: usize, len: i32): bool { return firstDiff(p, P, len) == -1; }

/** svc sends the packet at PKT; want is the result. A refusal changes nothing. */
export function sendFrom(svc: i32, len: i32, want: i32, msg: string): void {
  mark();
  expect(k_sys(svc, Sys.SEND, <i32>PKT, len, 0, 0, 0)).toBe(want, msg);
  if (want >= 0) return;
  refusalCounted(svc, msg);
  nothingHappened(msg);
}

/** Neighbor A sends a UDP packet to dst, an address of service 0, over NIC 0: queued for
 *  service 0 if ok, else dropped as SVC_DOWN with nothing else changed. */
export function deliverFromWire(ok: bool, dst: string, msg: string): void {
  let len = udpFrame(F, MAC_N, MAC_A, 64, A_GL, dst, 8);
  memory.copy(P, F + ETH, len - ETH);
  mark();
  rx(0, F, len, T);
  if (ok) {
    expect(queueDepth(0)).toBe(queued[0] + 1, msg);
    recvInto(0, len - ETH, msg);
    return;
  }
  expect(dropped(Drop.SVC_DOWN)).toBe(svcDown + 1, msg + ": not dropped as SVC_DOWN");
  nothingHappened(msg);
}

/** svc calls recv into RXB; want is the result, and a packet must be the last packet(). */
export function recvInto(svc: i32, want: i32, msg: string): void {
  expect(k_sys(svc, Sys.RECV, <i32>RXB, 1024, 0, 0, 0)).toBe(want, msg);
  if (want > 0) expect(isPacket(svcAt(svc, RXB, want), want)).toBe(true, msg + ": another packet");
}

/** Service 0 sends from src to neighbor A: sent on NIC 0 as it was if ok, else refused
 *  with -EADDRNOTAVAIL. */
export function trySend(ok: bool, src: string, msg: string): void {
  let len = packet(0, src, A_GL);
  sendFrom(0, len, ok ? 0 : -Errno.EADDRNOTAVAIL, msg);
  if (!ok) return;
  k_poll(T);
  expect(frameCount()).toBe(1, msg + ": not sent");
  expect(sentLen(0)).toBe(ETH + len, msg);
  expect(isPacket(sent(0) + ETH, len)).toBe(true, msg + ": another packet was sent");
}

/** Service 1, then neighbor A, sends to dst, an address of service 0: queued for service
 *  0 if ok, else refused (-EHOSTUNREACH to service 1) and dropped. */
export function tryDeliver(ok: bool, dst: string, msg: string): void {
  let len = packet(1, SVC_B0, dst);
  sendFrom(1, len, ok ? 0 : -Errno.EHOSTUNREACH, msg + ", from a service");
  expect(queueDepth(0)).toBe(ok ? 1 : 0, msg);
  recvInto(0, ok ? len : -Errno.EAGAIN, msg + ", from a service");
  deliverFromWire(ok, dst, msg + ", from the wire");
}
