// The WASI shim of a wasmtime image (spec/image.md): the core module that runs a node under
// the stock wasmtime CLI. `run` (lifted as wasi:cli/run) reads the image's configuration
// and the command line, opens the disks and NICs, boots the kernel and runs the event
// loop; the kernel's host imports log, random, nic_send, disk_* and capture are exported
// from here (abi/contract.ts SHIM_EXPORTS, SHIM_HOST_IMPORTS), each a call into the file
// that owns it.
// Nothing runs at instantiation: the image instantiates the shim before every import it
// needs is wired, so all work starts in run().
// Does not implement svc_* (the generated glue does) or touch kernel memory directly.
// Built by cli/build.ts with asconfig.json target "shim"; composed by loader/image.
import { k_abi, k_buf, k_buf_size, k_boot, k_epoch, glue_k_write, errnoName, faultReasonText } from "../../abi/gen/shim";
import { ABI_VERSION, Buf } from "../../abi/kernel";
import { Errno } from "../../abi/errno";
import { cabiRealloc } from "./arena";
import { helpOnly, parseArgs, captureOn } from "./args";
import { loadConfig, namePtr, nameLen, bootPtr, bootLen, nicCount, diskCount } from "./config";
import { openDisks, diskRead, diskWrite, diskFlush } from "./disk";
import { hostLog, hostRandom, kernelAbort } from "./host";
import { clockStart, epochMs, nowMs, runLoop } from "./loop";
import { openNics } from "./nic";
import { begin, end, hostLine, note, put, putBytes, putU64, stderr, fail } from "./out";
import { nicSend } from "./vxlan";
import { benchCount, benchMode, runBench } from "./bench";
import { captureStart, captureLine } from "./capture";

/** Boots the node and runs it: 0 when --for has passed and it stopped (loop.ts), 1 after
 *  printing why it cannot run. */
export function run(): i32 {
  clockStart();
  if (!loadConfig()) return 1;
  if (!parseArgs()) return helpOnly ? 0 : 1;
  if (k_abi() != ABI_VERSION) {
    note("the kernel in this image speaks ABI " + k_abi().toString() + ", this shim ABI " + ABI_VERSION.toString() +
      ": build the image again with one persia");
    return 1;
  }
  if (benchMode) return openDisks() && boot() ? runBench() : 1;
  if (!openDisks() || !openNics() || !boot()) return 1;
  if (captureOn) captureStart();
  return runLoop();
}

function boot(): bool {
  let room = k_buf_size(Buf.BOOT);
  if (bootLen > room) {
    note("the boot manifest has " + bootLen.toString() + " bytes; the kernel's boot buffer holds " + room.toString());
    return false;
  }
  if (glue_k_write(k_buf(Buf.BOOT), <i32>bootPtr(), bootLen) != 0) fail("the kernel's boot buffer lies outside its memory");
  k_epoch(epochMs());   // the wall clock at kernel time 0 (WireGuard's timestamps)
  let r = k_boot(bootLen, nowMs());
  if (r < 0) {
    note("the kernel refused to boot from the image's manifest: " + errnoName(-r) + " (its log above says why)");
    return false;
  }
  begin(stderr());
  put("persia: node ");
  putBytes(namePtr(), nameLen);
  put(" is running under wasmtime: ");
  putU64(nicCount); put(" NIC(s), ");
  putU64(diskCount); put(" disk(s)");
  end();
  return true;
}

/** The canonical ABI's allocator, for the lists WASI returns (arena.ts). */
export function cabi_realloc(old: i32, oldSize: i32, align: i32, newSize: i32): i32 {
  return <i32>cabiRealloc(<usize>old, <usize>oldSize, <usize>align, <usize>newSize);
}

/** The kernel's env.abort. */
export function kernel_abort(msg: i32, file: i32, line: i32, col: i32): void {
  kernelAbort(msg, file, line, col);
}

/** The glue stopped a service: log why, as the Node host logs the trap it caught. */
export function fault_note(svc: i32, reason: i32): void {
  hostLine("warn", "service " + svc.toString() + " stopped: " + faultReasonText(reason));
}

// ——— the kernel's host imports (abi/contract.ts HOST_IMPORTS) ———

export function log(level: i32, ptr: i32, len: i32): void {
  hostLog(level, ptr, len);
}

export function random(ptr: i32, len: i32): void {
  hostRandom(ptr, len);
}

export function nic_send(nic: i32, ptr: i32, len: i32): i32 {
  if (benchMode) return benchCount();
  return nicSend(nic, ptr, len);
}

/** No NIC of the image is a TAP, the one kind the kernel sends super-frames to (spec/image.md):
 *  never called by a kernel that keeps the contract; refused if it is. */
export function nic_send_gso(nic: i32, ptr: i32, len: i32, gso: i32): i32 {
  return -Errno.ENOTSUP;
}

export function disk_read(disk: i32, off: i64, ptr: i32, len: i32): i32 {
  return diskRead(disk, off, ptr, len);
}

export function disk_write(disk: i32, off: i64, ptr: i32, len: i32): i32 {
  return diskWrite(disk, off, ptr, len);
}

export function disk_flush(disk: i32): i32 {
  return diskFlush(disk);
}

/** The wasmtime image has no USB: WASI gives no device access, and `persia image` refuses a
 *  manifest that names a USB device, so the kernel never submits a transfer here. */
export function usb_submit(dev: i32, xfer: i32, ep: i32, kind: i32, setup: i64, ptr: i32, len: i32, timeout: i32): i32 {
  return -Errno.ENODEV;
}

export function usb_cancel(dev: i32, xfer: i32): void {}

export function capture(point: i32, nic: i32, svc: i32, reason: i32, ptr: i32, len: i32): void {
  captureLine(point, nic, svc, reason, ptr, len);
}
