// Names for numbers the shim prints: WASI error codes (as their WIT case names, the words
// wasmtime's documentation uses) and kernel log levels; errno and fault-reason texts are
// generated from abi/describe.ts into abi/gen/shim.ts.
// String literals live in static memory, so these allocate nothing and can run in the
// event loop. Does not decide what an error means (disk.ts and nic.ts do).
// Used by out-of-the-ordinary paths: bind and open failures, I/O errors, kernel logs.
import { LogLevel } from "../../abi/kernel";

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

