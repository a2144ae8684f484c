// Raw storage: a service reads and writes only inside a disk extent it holds a DISK
// capability for, with READ or WRITE rights. Offsets are relative to the extent; the
// kernel adds the extent's start and checks the end before the host touches the device.
// There is no filesystem and no cache in the kernel: every call goes to the host.
import { Errno } from "../../abi/errno";
import { CapKind, RIGHT_READ, RIGHT_WRITE } from "../../abi/caps";
import { host_disk_read, host_disk_write, host_disk_flush, host_svc_read, host_svc_write } from "../../abi/gen/host";
import { capCheck, capObject, capExtOff, capExtLen } from "./caps";

export const DISK_IO_MAX: i32 = 65536;        // bytes in one disk_read or disk_write
const IO: usize = memory.data(DISK_IO_MAX, 16);

/** Check handle, rights and range; -Errno, or the capability's slot. */
function checkIo(svc: i32, handle: i32, need: i32, off: u64, len: i32): i32 {
  let slot = capCheck(svc, handle, CapKind.DISK, need);
  if (slot < 0) return slot;
  if (len < 0 || len > DISK_IO_MAX) return -Errno.EINVAL;
  let ext = capExtLen(svc, slot);
  if (off > ext || <u64>len > ext - off) return -Errno.ERANGE;
  return slot;
}

export function diskRead(svc: i32, handle: i32, off: u64, ptr: i32, len: i32): i32 {
  let slot = checkIo(svc, handle, RIGHT_READ, off, len);
  if (slot < 0) return slot;
  let disk = capObject(svc, slot);
  let r = host_disk_read(disk, <i64>(capExtOff(svc, slot) + off), <i32>IO, len);
  if (r < 0) return -Errno.EIO;
  if (host_svc_write(svc, ptr, <i32>IO, r) < 0) return -Errno.EFAULT;
  return r;
}

export function diskWrite(svc: i32, handle: i32, off: u64, ptr: i32, len: i32): i32 {
  let slot = checkIo(svc, handle, RIGHT_WRITE, off, len);
  if (slot < 0) return slot;
  if (host_svc_read(svc, ptr, <i32>IO, len) < 0) return -Errno.EFAULT;
  let r = host_disk_write(capObject(svc, slot), <i64>(capExtOff(svc, slot) + off), <i32>IO, len);
  return r < 0 ? -Errno.EIO : r;
}

export function diskFlush(svc: i32, handle: i32): i32 {
  let slot = capCheck(svc, handle, CapKind.DISK, RIGHT_WRITE);
  if (slot < 0) return slot;
  return host_disk_flush(capObject(svc, slot)) < 0 ? -Errno.EIO : 0;
}
