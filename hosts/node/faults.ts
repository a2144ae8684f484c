// How an exception raised by a service's code becomes a Fault number (abi/kernel.ts) and a
// line for the log. Also the error classes that cross a service's frames: the trap a
// service raises through env.abort, the unwinding when its fuel runs out, and a kernel
// failure inside a syscall, which must not be mistaken for the service's fault.
// Does not decide what happens next (restart, backoff): the kernel does.
// Used by services.ts.
import { Fault } from "../../abi/kernel";

/** AssemblyScript's abort(message, file, line, column), called by a service. */
export class ServiceAbort extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ServiceAbort";
  }
}

/** Thrown by persia.fuel_exhausted, the import the loader's fuel metering calls when the
 *  service's fuel for this call is gone: it unwinds the service's frames like a trap. */
export class FuelExhausted extends Error {
  constructor() {
    super("fuel exhausted");
    this.name = "FuelExhausted";
  }
}

/** The kernel itself failed while serving a syscall. svc_call rethrows it: a broken kernel
 *  invariant stops the node instead of being blamed on a service. */
export class KernelTrap extends Error {
  constructor(cause: unknown) {
    super(`the kernel failed inside a syscall: ${describeError(cause)}`, { cause });
    this.name = "KernelTrap";
  }
}

export function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

const STACK_EXHAUSTED = /maximum call stack size exceeded/i;
const MEMORY_LIMIT = /(out of memory|allocation too large|memory\.grow|maximum memory size)/i;

/** What the memory looked like when the exception was caught; see classifyFault. */
export interface MemoryState {
  pages: number;
  initialPages: number;
  maxPages: number;
}

/** Maps an exception from a service to a Fault. AssemblyScript's allocators end a failed
 *  memory.grow with `unreachable`, so a trap raised after the memory has grown to its RAM
 *  max is reported as MEMORY; a service whose memory starts at its max is reported as TRAP. */
export function classifyFault(e: unknown, mem: MemoryState): Fault {
  if (e instanceof FuelExhausted) return Fault.FUEL;
  if (e instanceof RangeError && STACK_EXHAUSTED.test(e.message)) return Fault.STACK;
  if (e instanceof Error && MEMORY_LIMIT.test(e.message)) return Fault.MEMORY;
  if (e instanceof WebAssembly.RuntimeError) {
    const grewToMax = mem.pages >= mem.maxPages && mem.maxPages > mem.initialPages;
    return grewToMax ? Fault.MEMORY : Fault.TRAP;
  }
  return Fault.TRAP;
}

/** A character that would end or steer a console line. */
const CONTROL = /[\x00-\x1f\x7f]/g;

/** Longest abort message or file name read from a service's memory. */
const ABORT_TEXT_MAX = 512;

/** Reads an AssemblyScript string (UTF-16LE, byte length in the u32 before it) from a
 *  service's memory; null if the pointer is 0 or the string is out of bounds. Control
 *  characters (below U+0020, and U+007F) become '?', as the kernel's log syscall does
 *  (kernel/svc/syscall.ts log): the text is printed inside a host line, and a newline in it
 *  would let a service print lines that speak for the host or the kernel. */
export function readAsString(bytes: Uint8Array, ptr: number): string | null {
  ptr >>>= 0;
  if (ptr < 4 || ptr > bytes.length) return null;
  const len = (bytes[ptr - 4] | bytes[ptr - 3] << 8 | bytes[ptr - 2] << 16 | bytes[ptr - 1] << 24) >>> 0;
  const end = ptr + Math.min(len, ABORT_TEXT_MAX);
  if (end > bytes.length || (end - ptr) % 2 !== 0) return null;
  return Buffer.from(bytes.buffer, bytes.byteOffset + ptr, end - ptr).toString("utf16le").replace(CONTROL, "?");
}

/** The text of an abort call: "message at file:line:column". */
export function abortText(bytes: Uint8Array, msg: number, file: number, line: number, col: number): string {
  const text = readAsString(bytes, msg) ?? "abort";
  const where = readAsString(bytes, file);
  return where === null ? text : `${text} at ${where}:${line >>> 0}:${col >>> 0}`;
}
