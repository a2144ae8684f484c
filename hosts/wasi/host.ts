// The kernel's small host imports the shim implements: log (a line to stderr, as the Node
// host's defaultLog prints it), random (wasi:random bytes) and the kernel's env.abort
// (kernel_abort: print and stop). Also the shim's own abort (asconfig.json routes the
// AssemblyScript abort here with `use`, so the shim imports no env.abort), and kernelHas,
// the range check before copying a range in pieces.
// Pointers from the kernel are in kernel memory: bytes move only through the glue's
// k_read/k_write, which check bounds. Does not buffer or rate-limit log lines.
// Used by main.ts, which exports log, random and kernel_abort, and by disk.ts.
import { glue_k_read, glue_k_write, wasi_random_u64 } from "../../abi/gen/shim";
import { LogLevel } from "../../abi/kernel";
import { quiet } from "./args";
import { begin, end, put, putCodePoint, putU64, room, stderr, fail } from "./out";
import { levelName } from "./names";
import { STREAM_WRITE_MAX } from "./cabi";

const SCRATCH: usize = memory.data(256, 8);
const ABORT_TEXT_MAX: i32 = 2048;   // bytes of an abort message or file name printed

/** True when [kptr, +len) lies inside kernel memory (pointer and length read unsigned). */
export function kernelHas(kptr: i32, len: i32): bool {
  let end = <u64><u32>kptr + <u64><u32>len;
  if (len == 0) return glue_k_read(<i32>SCRATCH, kptr, 0) == 0;
  if (end > 0xffffffff) return false;
  return glue_k_read(<i32>SCRATCH, <i32>(end - 1), 1) == 0;
}

/** `<level> kernel: <line>` on stderr: INFO and above, WARN and above with --quiet. */
export function hostLog(level: i32, ptr: i32, len: i32): void {
  if (level > (quiet ? LogLevel.WARN : LogLevel.INFO)) return;
  begin(stderr());
  put(levelName(level));
  put(" kernel: ");
  if (!kernelHas(ptr, len)) {
    put("(a log line outside kernel memory: ");
    putU64(<u32>ptr); put("+"); putU64(<u32>len); put(")");
  } else {
    for (let done = 0; done < len;) {
      let n = min(len - done, STREAM_WRITE_MAX);
      glue_k_read(<i32>room(n), ptr + done, n);
      done += n;
    }
  }
  end();
}

/** Fills kernel memory [ptr, +len) with random bytes. A range outside it is a kernel bug. */
export function hostRandom(ptr: i32, len: i32): void {
  if (!kernelHas(ptr, len)) fail("the kernel asked for random bytes at " + (<u32>ptr).toString() + "+" + (<u32>len).toString() + ", outside its memory");
  for (let done = 0; done < len;) {
    let n = min(len - done, 256);
    for (let i = 0; i < n; i += 8) store<i64>(SCRATCH + i, wasi_random_u64());
    glue_k_write(ptr + done, <i32>SCRATCH, n);
    done += n;
  }
}

/** An AssemblyScript string in kernel memory (UTF-16LE, byte length at ptr - 4), as UTF-8. */
function putKernelString(ptr: i32): void {
  if (ptr == 0 || glue_k_read(<i32>SCRATCH, ptr - 4, 4) != 0) { put("(unknown)"); return; }
  let bytes = min(load<i32>(SCRATCH), ABORT_TEXT_MAX) & ~1;
  for (let done = 0; done < bytes;) {
    let n = min(bytes - done, 256);
    if (glue_k_read(<i32>SCRATCH, ptr + done, n) != 0) { put("(outside kernel memory)"); return; }
    for (let i = 0; i < n; i += 2) {
      let c = <u32>load<u16>(SCRATCH + i);
      putCodePoint(c >= 0xd800 && c < 0xe000 ? 0xfffd : c);  // pairs are rare in messages
    }
    done += n;
  }
}

/** The kernel's env.abort(message, file, line, column): a broken kernel invariant. */
export function kernelAbort(msg: i32, file: i32, line: i32, col: i32): void {
  begin(stderr());
  put("persia: the kernel aborted: ");
  putKernelString(msg);
  put(" at ");
  putKernelString(file);
  put(":"); putU64(<u32>line); put(":"); putU64(<u32>col);
  end();
  unreachable();
}

/** The shim's own abort (failed assertion, index out of range): a bug in hosts/wasi. */
export function shimAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  begin(stderr());
  put("persia: the WASI shim aborted: ");
  put(message !== null ? message : "(no message)");
  put(" at ");
  put(fileName !== null ? fileName : "(unknown)");
  put(":"); putU64(line); put(":"); putU64(column);
  end();
  unreachable();
}
