// Thin wrappers over the generated syscall declarations (abi/gen/persia.ts) where the raw
// form is awkward in AssemblyScript: logging a string, reading the clock as an i64,
// resolving a domain given as a string, finding a disk extent and addressing it with a
// 64-bit offset. Each returns what the syscall returned (negative -Errno on failure);
// none allocates. Syscalls that are already convenient are used directly from
// abi/gen/persia.ts. Used by services.
import { CapKind } from "../../abi/caps";
import { Errno } from "../../abi/errno";
import { CAPINFO_EXT_LEN, CAPINFO_SIZE } from "../../abi/syscalls";
import { NAME_MAX } from "../../abi/manifest";
import {
  sys_clock, sys_resolve, sys_cap_find, sys_cap_info, sys_disk_read, sys_disk_write,
} from "../../abi/gen/persia";
import * as line from "./log";
import * as text from "./text";

const CLOCK = memory.data(8);
const NAME = memory.data(NAME_MAX);
const CAPINFO = memory.data(CAPINFO_SIZE);

/** Log one line. */
export function log(s: string): i32 {
  line.begin(s);
  return line.emit();
}

/** The kernel's time in ms, or a negative -Errno. */
export function clockMs(): i64 {
  let r = sys_clock(<i32>CLOCK);
  return r < 0 ? <i64>r : load<i64>(CLOCK);
}

/** Write the first address of the service named by the domain s into out (16 bytes). */
export function resolve(s: string, out: usize): i32 {
  let n = text.utf8(NAME, NAME_MAX, s);
  return sys_resolve(<i32>NAME, n, <i32>out);
}

/** Handle of the service's first disk extent, or -Errno (ENOENT: none granted). */
export function firstDisk(): i32 {
  return sys_cap_find(CapKind.DISK, 0);
}

/** Length in bytes of the disk extent behind handle, or a negative -Errno. */
export function diskLength(handle: i32): i64 {
  let r = sys_cap_info(handle, <i32>CAPINFO);
  if (r < 0) return <i64>r;
  if (load<u8>(CAPINFO) != CapKind.DISK) return -Errno.EBADF;
  return load<i64>(CAPINFO + CAPINFO_EXT_LEN);
}

/** Read len bytes at byte offset off of the extent into p: bytes read, or -Errno. */
export function diskRead(handle: i32, off: u64, p: usize, len: i32): i32 {
  return sys_disk_read(handle, <i32>off, <i32>(off >> 32), <i32>p, len);
}

/** Write len bytes from p at byte offset off of the extent: bytes written, or -Errno. */
export function diskWrite(handle: i32, off: u64, p: usize, len: i32): i32 {
  return sys_disk_write(handle, <i32>off, <i32>(off >> 32), <i32>p, len);
}
