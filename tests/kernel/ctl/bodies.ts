// The bodies of the control messages that kernel specs hand straight to kernel/ctl/ops.ts
// (opLoad, opUnload), signature and header already taken off: a LOAD is 32 bytes of module
// hash (zero: the mock host takes any module) and then manifest records, an UNLOAD the name.
import { mfStart, mfEnd, mfService, mfSvcAddr, mfCpu } from "../manifest";

const REC: usize = memory.data(1024, 16);
/** The body the helpers below build; pass it to opLoad/opUnload. */
export const BODY: usize = memory.data(512, 16);
/** Where a LOAD body's service name starts: after the hash, the SERVICE record's 4-byte
 *  header and its 13 bytes of fields (tests/kernel/manifest.ts mfService). */
export const LOAD_NAME: usize = BODY + 32 + 4 + 13;

/** A LOAD body: a SERVICE with one address and, if cpuMin > 0, a CPU grant (max 1000). */
export function loadBody(name: string, a: string, cpuMin: u32 = 0): i32 {
  mfStart(REC);
  mfService(0, name);
  mfSvcAddr(0, a);
  if (cpuMin > 0) mfCpu(0, cpuMin, 1000);
  let n = mfEnd() - 8;
  memory.fill(BODY, 0, 32);
  memory.copy(BODY + 32, REC + 8, <usize>n);
  return 32 + n;
}

/** An UNLOAD body: the name after its length. */
export function unloadBody(name: string): i32 {
  store<u8>(BODY, <u8>name.length);
  for (let i = 0; i < name.length; i++) store<u8>(BODY + 1 + <usize>i, <u8>name.charCodeAt(i));
  return 1 + name.length;
}
