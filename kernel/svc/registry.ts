// The service registry: domain name → service id → its addresses, and each service's
// state and counters. Domain names are validated here (RFC 1035 §2.3.1 labels: letters,
// digits, hyphens; lower case only; labels 1..63 bytes, names up to 253, two labels at
// least). Filled at boot from the manifest and by control messages (LOAD, UNLOAD); no
// service is ever renamed.
import { SVC_MAX, ADDR_PER_SVC } from "../param";
import { SvcState, Fault } from "../../abi/kernel";
import { NAME_MAX } from "../../abi/manifest";
import { addrEq, addrCopy } from "../../wire/addr";
import { certForgetService } from "../cert/issue";

const NAMES: usize = memory.data(SVC_MAX * 256, 8);
const ADDRS: usize = memory.data(SVC_MAX * ADDR_PER_SVC * 16, 8);

export const svcState = new StaticArray<u8>(SVC_MAX);
export const svcNameLen = new StaticArray<u8>(SVC_MAX);
export const svcAddrCount = new StaticArray<u8>(SVC_MAX);
export const svcAddrOff = new StaticArray<u8>(SVC_MAX);   // bit i: the i-th address is not usable now
                                                          // (under DAD, a duplicate, expired: net/slaac.ts)
export const svcRamMin = new StaticArray<u32>(SVC_MAX);   // pages of 64 KiB
export const svcRamMax = new StaticArray<u32>(SVC_MAX);
export const svcRestartLimit = new StaticArray<u16>(SVC_MAX);
export const svcRestarts = new StaticArray<u16>(SVC_MAX);
export const svcLastFault = new StaticArray<u8>(SVC_MAX);
export const svcFaults = new StaticArray<u64>(SVC_MAX);
export const svcRx = new StaticArray<u64>(SVC_MAX);       // packets delivered to it
export const svcTx = new StaticArray<u64>(SVC_MAX);       // packets it sent
export const svcRefused = new StaticArray<u64>(SVC_MAX);  // sends refused with an error
export const svcFuel = new StaticArray<u64>(SVC_MAX);     // fuel units its calls consumed
export const svcOwner = new StaticArray<i8>(SVC_MAX);     // the user (first USER row of its key) whose
                                                          // service it is; -1: the node owner's
export let svcCount: i32 = 0;                             // highest id + 1

// @ts-ignore: decorator
@inline export function svcName(id: i32): usize { return NAMES + <usize>(id * 256); }
// @ts-ignore: decorator
@inline export function svcAddr(id: i32, i: i32): usize {
  return ADDRS + <usize>((id * ADDR_PER_SVC + i) * 16);
}
// @ts-ignore: decorator
@inline export function svcValid(id: i32): bool {
  return <u32>id < <u32>SVC_MAX && unchecked(svcState[id]) != SvcState.EMPTY;
}

/** The lowest service id no service holds, or -1 when all SVC_MAX are taken (a LOAD's slot). */
export function svcFirstFree(): i32 {
  for (let id = 0; id < SVC_MAX; id++) if (unchecked(svcState[id]) == SvcState.EMPTY) return id;
  return -1;
}

/** RFC 1035 preferred name syntax, lower case, no trailing dot, at least two labels. */
export function validDomain(p: usize, n: i32): bool {
  if (n < 3 || n > NAME_MAX) return false;
  let labels = 0, run = 0;
  for (let i = 0; i < n; i++) {
    let c = <u32>load<u8>(p + i);
    if (c == 0x2e) {                                       // '.'
      if (run == 0 || load<u8>(p + i - 1) == 0x2d) return false;
      labels++; run = 0; continue;
    }
    let letter = c >= 0x61 && c <= 0x7a, digit = c >= 0x30 && c <= 0x39;
    if (!letter && !digit && c != 0x2d) return false;
    if (c == 0x2d && run == 0) return false;               // label starts with '-'
    if (++run > 63) return false;
  }
  if (run == 0 || load<u8>(p + n - 1) == 0x2d) return false;
  return labels + 1 >= 2;
}

/** Find a service by domain name; -1 if none. */
export function svcByName(p: usize, n: i32): i32 {
  for (let id = 0; id < svcCount; id++) {
    if (!svcValid(id) || <i32>unchecked(svcNameLen[id]) != n) continue;
    if (memory.compare(svcName(id), p, <usize>n) == 0) return id;
  }
  return -1;
}

/** Register service id. The caller has validated the name and checked the id is free. */
export function svcAdd(id: i32, name: usize, n: i32, ramMin: u32, ramMax: u32, restarts: u16): void {
  memory.copy(svcName(id), name, <usize>n);
  unchecked(svcNameLen[id] = <u8>n);
  unchecked(svcRamMin[id] = ramMin);
  unchecked(svcRamMax[id] = ramMax);
  unchecked(svcRestartLimit[id] = restarts);
  unchecked(svcState[id] = <u8>SvcState.RESTARTING);   // started by the scheduler at boot
  unchecked(svcLastFault[id] = <u8>Fault.NONE);
  unchecked(svcOwner[id] = -1);
  if (id + 1 > svcCount) svcCount = id + 1;
}

/** Give service id one more address; returns its index, or -1 if it has ADDR_PER_SVC. */
export function svcAddAddr(id: i32, addr: usize): i32 {
  let i = <i32>unchecked(svcAddrCount[id]);
  if (i >= ADDR_PER_SVC) return -1;
  addrCopy(svcAddr(id, i), addr);
  unchecked(svcAddrCount[id] = <u8>(i + 1));
  return i;
}

/** Mark service id's index-th address usable (ok) or not: a send from it is refused, and
 *  ADDR and RESOLVE do not give it out. */
export function svcAddrUse(id: i32, index: i32, ok: bool): void {
  let m = <u32>unchecked(svcAddrOff[id]), bit = <u32>1 << <u32>index;
  unchecked(svcAddrOff[id] = <u8>(ok ? m & ~bit : m | bit));
}

/** Is service id's index-th address usable? */
// @ts-ignore: decorator
@inline export function svcAddrOk(id: i32, index: i32): bool {
  return (<u32>unchecked(svcAddrOff[id]) & (1 << <u32>index)) == 0;
}

/** Which service owns addr? -1 if none. */
export function svcByAddr(addr: usize): i32 {
  for (let id = 0; id < svcCount; id++) {
    let n = <i32>unchecked(svcAddrCount[id]);
    for (let i = 0; i < n; i++) if (addrEq(svcAddr(id, i), addr)) return id;
  }
  return -1;
}

/** Forget service id (UNLOAD, a LOAD that was refused, a refused boot): its name, addresses,
 *  grants, counters and the certificates of its addresses. The caller has stopped it and
 *  freed what other tables hold for it. */
export function svcRemove(id: i32): void {
  certForgetService(id);
  unchecked(svcState[id] = <u8>SvcState.EMPTY);
  unchecked(svcAddrCount[id] = 0);
  unchecked(svcAddrOff[id] = 0);
  unchecked(svcNameLen[id] = 0);
  unchecked(svcRamMin[id] = 0);
  unchecked(svcRamMax[id] = 0);
  unchecked(svcRestarts[id] = 0);
  unchecked(svcLastFault[id] = <u8>Fault.NONE);
  unchecked(svcFaults[id] = 0);
  unchecked(svcRx[id] = 0);
  unchecked(svcTx[id] = 0);
  unchecked(svcRefused[id] = 0);
  unchecked(svcFuel[id] = 0);
  unchecked(svcOwner[id] = -1);
  while (svcCount > 0 && unchecked(svcState[svcCount - 1]) == SvcState.EMPTY) svcCount--;
}

/** Forget every service (a refused boot). */
export function registryReset(): void {
  for (let id = 0; id < SVC_MAX; id++) svcRemove(id);
}
