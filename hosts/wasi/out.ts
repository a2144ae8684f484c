// Lines to stdout and stderr through wasi:io/streams, assembled without allocating in one
// fixed buffer: begin a line, put text (AssemblyScript strings, UTF-8 bytes, numbers),
// end it. A full buffer is written out in the middle of a line, so a line of any length
// works; blocking-write-and-flush takes at most STREAM_WRITE_MAX bytes per call.
// Also the shim's ways to stop: `note` for a message to the person running the node,
// `hostLine` for the host's own log lines (as the Node host prints them), `fail` for a
// broken shim invariant (print, then trap). One line at a time: nothing between begin
// and end may print. A failed write is ignored: there is nowhere else to report it.
// Used by every shim file that prints.
import { wasi_get_stdout, wasi_get_stderr, wasi_stream_write, wasi_error_drop } from "../../abi/gen/shim";
import { RES_TAG, TAG_OK, STREAM_ERR_CASE, STREAM_ERR_HANDLE, STREAM_LAST_FAILED, STREAM_WRITE_MAX, RET_SIZE } from "./cabi";

const BUF: usize = memory.data(STREAM_WRITE_MAX, 8);
const OUT_RET: usize = memory.data(RET_SIZE, 8);   // its own return area: prints may come between a call and its result
let used: i32 = 0;
let target: i32 = -1;       // the output-stream of the line being assembled
let stdoutHandle: i32 = -1;
let stderrHandle: i32 = -1;

export function stdout(): i32 {
  if (stdoutHandle < 0) stdoutHandle = wasi_get_stdout();
  return stdoutHandle;
}

export function stderr(): i32 {
  if (stderrHandle < 0) stderrHandle = wasi_get_stderr();
  return stderrHandle;
}

/** Writes [ptr, +len) to a stream in calls of at most STREAM_WRITE_MAX bytes. */
function writeAll(stream: i32, ptr: usize, len: i32): bool {
  let done = 0;
  while (done < len) {
    let n = min(len - done, STREAM_WRITE_MAX);
    wasi_stream_write(stream, <i32>(ptr + done), n, <i32>OUT_RET);
    if (load<u8>(OUT_RET + RES_TAG) != TAG_OK) {
      if (load<u8>(OUT_RET + STREAM_ERR_CASE) == STREAM_LAST_FAILED) wasi_error_drop(load<i32>(OUT_RET + STREAM_ERR_HANDLE));
      return false;
    }
    done += n;
  }
  return true;
}

function flush(): void {
  if (used > 0) writeAll(target, BUF, used);
  used = 0;
}

/** Room for n more bytes in the buffer (n <= STREAM_WRITE_MAX); writes out what is there if needed. */
export function room(n: i32): usize {
  if (used + n > STREAM_WRITE_MAX) flush();
  let at = BUF + used;
  used += n;
  return at;
}

export function begin(stream: i32): void {
  flush();
  target = stream;
}

export function putByte(b: u8): void {
  store<u8>(room(1), b);
}

/** UTF-16 to UTF-8; an unpaired surrogate becomes U+FFFD. */
export function put(s: string): void {
  let n = s.length;
  for (let i = 0; i < n; i++) {
    let c = <u32>s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
      let d = <u32>s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; }
    }
    if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
    putCodePoint(c);
  }
}

export function putCodePoint(c: u32): void {
  if (c < 0x80) { putByte(<u8>c); return; }
  if (c < 0x800) { putByte(<u8>(0xc0 | c >> 6)); }
  else {
    if (c < 0x10000) putByte(<u8>(0xe0 | c >> 12));
    else { putByte(<u8>(0xf0 | c >> 18)); putByte(<u8>(0x80 | (c >> 12) & 0x3f)); }
    putByte(<u8>(0x80 | (c >> 6) & 0x3f));
  }
  putByte(<u8>(0x80 | c & 0x3f));
}

/** Bytes of the shim's memory, as they are (UTF-8 text). */
export function putBytes(ptr: usize, len: i32): void {
  let done = 0;
  while (done < len) {
    let n = min(len - done, STREAM_WRITE_MAX);
    memory.copy(room(n), ptr + done, n);
    done += n;
  }
}

/** A non-negative decimal number. */
export function putU64(v: u64): void {
  let digits = 1;
  for (let x = v; x >= 10; x /= 10) digits++;
  let at = room(digits);
  for (let i = digits - 1; i >= 0; i--) { store<u8>(at + i, <u8>(48 + v % 10)); v /= 10; }
}

export function end(): void {
  putByte(10);
  flush();
}

/** One line to stderr for the person running the node: "persia: <message>". */
export function note(message: string): void {
  begin(stderr());
  put("persia: ");
  put(message);
  end();
}

/** One line of the host's own log, as the Node host prints it: "warn host: <message>". */
export function hostLine(level: string, message: string): void {
  begin(stderr());
  put(level);
  put(" host: ");
  put(message);
  end();
}

/** A broken shim invariant: say so and stop the node (a trap ends wasmtime's run). */
export function fail(why: string): void {
  note("the WASI shim stopped: " + why);
  unreachable();
}
