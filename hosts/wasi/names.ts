// Names for numbers the shim prints: WASI error codes (as their WIT case names, the words
// wasmtime's documentation uses), abi/errno.ts codes and kernel log levels.
// String literals live in static memory, so these allocate nothing and can run in the
// event loop. Does not decide what an error means (disk.ts and nic.ts do).
// Used by out-of-the-ordinary paths: bind and open failures, I/O errors, kernel logs.
import { Errno } from "../../abi/errno";
import { LogLevel } from "../../abi/kernel";
import { FaultReason } from "../../abi/image";

/** wasi:sockets/network error-code, in WIT order. */
export function socketErrorName(code: i32): string {
  switch (code) {
    case 0: return "unknown";
    case 1: return "access-denied";
    case 2: return "not-supported";
    case 3: return "invalid-argument";
    case 4: return "out-of-memory";
    case 5: return "timeout";
    case 6: return "concurrency-conflict";
    case 7: return "not-in-progress";
    case 8: return "would-block";
    case 9: return "invalid-state";
    case 10: return "new-socket-limit";
    case 11: return "address-not-bindable";
    case 12: return "address-in-use";
    case 13: return "remote-unreachable";
    case 14: return "connection-refused";
    case 15: return "connection-reset";
    case 16: return "connection-aborted";
    case 17: return "datagram-too-large";
    case 18: return "name-unresolvable";
    case 19: return "temporary-resolver-failure";
    case 20: return "permanent-resolver-failure";
  }
  return "error-code " + code.toString();
}

/** wasi:filesystem/types error-code, in WIT order. */
export function fsErrorName(code: i32): string {
  switch (code) {
    case 0: return "access";
    case 1: return "would-block";
    case 2: return "already";
    case 3: return "bad-descriptor";
    case 4: return "busy";
    case 5: return "deadlock";
    case 6: return "quota";
    case 7: return "exist";
    case 8: return "file-too-large";
    case 9: return "illegal-byte-sequence";
    case 10: return "in-progress";
    case 11: return "interrupted";
    case 12: return "invalid";
    case 13: return "io";
    case 14: return "is-directory";
    case 15: return "loop";
    case 16: return "too-many-links";
    case 17: return "message-size";
    case 18: return "name-too-long";
    case 19: return "no-device";
    case 20: return "no-entry";
    case 21: return "no-lock";
    case 22: return "insufficient-memory";
    case 23: return "insufficient-space";
    case 24: return "not-directory";
    case 25: return "not-empty";
    case 26: return "not-recoverable";
    case 27: return "unsupported";
    case 28: return "no-tty";
    case 29: return "no-such-device";
    case 30: return "overflow";
    case 31: return "not-permitted";
    case 32: return "pipe";
    case 33: return "read-only";
    case 34: return "invalid-seek";
    case 35: return "text-file-busy";
    case 36: return "cross-device";
  }
  return "error-code " + code.toString();
}

/** An abi/errno.ts code by its name, as abi/describe.ts errnoText prints it. */
export function errnoName(e: i32): string {
  switch (e) {
    case Errno.OK: return "OK";
    case Errno.EPERM: return "EPERM";
    case Errno.ENOENT: return "ENOENT";
    case Errno.EBADF: return "EBADF";
    case Errno.EINVAL: return "EINVAL";
    case Errno.EAGAIN: return "EAGAIN";
    case Errno.EMSGSIZE: return "EMSGSIZE";
    case Errno.ENOSPC: return "ENOSPC";
    case Errno.EFAULT: return "EFAULT";
    case Errno.EHOSTUNREACH: return "EHOSTUNREACH";
    case Errno.EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case Errno.ERANGE: return "ERANGE";
    case Errno.EIO: return "EIO";
    case Errno.ENOSYS: return "ENOSYS";
    case Errno.EBADMSG: return "EBADMSG (a record of the boot manifest is malformed)";
    case Errno.EEXIST: return "EEXIST";
    case Errno.ENODEV: return "ENODEV";
  }
  return "E?" + e.toString();
}

/** A LogLevel lowercased, as hosts/node/node.ts defaultLog prints it. */
export function levelName(level: i32): string {
  switch (level) {
    case LogLevel.ERROR: return "error";
    case LogLevel.WARN: return "warn";
    case LogLevel.INFO: return "info";
    case LogLevel.DEBUG: return "debug";
  }
  return level.toString();
}

/** What a FaultReason (abi/image.ts) means, as the log says it. */
export function faultReasonText(reason: i32): string {
  switch (reason) {
    case FaultReason.UNREACHABLE: return "unreachable executed";
    case FaultReason.OOB: return "memory access out of bounds";
    case FaultReason.DIV_ZERO: return "integer divide by zero";
    case FaultReason.INT_OVERFLOW: return "integer overflow (INT_MIN / -1)";
    case FaultReason.CONVERSION: return "invalid conversion of a float to an integer";
    case FaultReason.INDIRECT: return "call_indirect to an empty slot, past the table, or a function signature mismatch";
    case FaultReason.STACK: return "its stack budget is spent (call stack exhausted)";
    case FaultReason.ABORT: return "it called abort()";
    case FaultReason.FUEL: return "it used its fuel budget in one call (a runaway loop)";
  }
  return "fault reason " + reason.toString();
}
