// The node's command line under wasmtime (`wasmtime run ... node.wasm --for 5000`): read
// once through wasi:cli/environment get-arguments, the first being the program name.
//   --for <ms>            stop after this many ms of run time (default: run until killed);
//                         a router first sends its final RAs (loop.ts)
//   --status-every <ms>   print a status line to stdout every this many ms
//   --quiet               log only warnings and errors
//   --capture             print every packet the kernel captures as a line (capture.ts)
//   --bench, --bench-setup, --bench-count   the bench mode (bench.ts)
// Either "--for 5000" or "--for=5000". Anything else is refused with what is accepted.
// Does not read environment variables or wasmtime's own options (-S, --dir).
// Used by main.ts; loop.ts and host.ts read the results.
import { wasi_get_arguments } from "../../abi/gen/shim";
import { LIST_PTR, LIST_LEN, LIST_SIZE } from "./cabi";
import { arenaMark, arenaRelease, RET } from "./arena";
import { note } from "./out";
import { benchName, benchOption } from "./bench";

export let forMs: i64 = -1;          // -1: run until killed
export let statusEveryMs: i64 = 0;   // 0: no periodic status lines
export let quiet: bool = false;
export let captureOn: bool = false;  // --capture: capture lines on stdout
export let helpOnly: bool = false;   // --help: the usage was printed, nothing more to do

const USAGE = "accepted: --for <ms> (stop after that long; a router says goodbye first, up to 7 s more), --status-every <ms> (a status line on stdout that often), --quiet (only warnings and errors), --capture (a line on stdout for every packet the kernel receives, sends, delivers or drops)";
const MS_MAX: i64 = 1_000_000_000_000;  // about 31 years: a longer --for is a typo

const SHOWN_MAX = 100;   // bytes of an argument repeated in a message

function text(ptr: usize, len: i32): string {
  if (len > SHOWN_MAX) return String.UTF8.decodeUnsafe(ptr, SHOWN_MAX) + "...";
  return String.UTF8.decodeUnsafe(ptr, <usize>len);
}

/** True when the UTF-8 bytes [ptr, +len) are the ASCII text `s`. */
function equals(ptr: usize, len: i32, s: string): bool {
  if (len != s.length) return false;
  for (let i = 0; i < len; i++) if (<i32>load<u8>(ptr + i) != s.charCodeAt(i)) return false;
  return true;
}

/** A decimal number of ms, or -1. */
function millis(ptr: usize, len: i32): i64 {
  if (len == 0 || len > 13) return -1;
  let v: i64 = 0;
  for (let i = 0; i < len; i++) {
    let c = <i32>load<u8>(ptr + i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v <= MS_MAX ? v : -1;
}

function refuse(why: string): bool {
  note(why + "; " + USAGE);
  return false;
}

/** Reads the arguments into forMs, statusEveryMs, quiet and captureOn; false after printing why not
 *  (or after printing the usage for --help, with helpOnly set). */
export function parseArgs(): bool {
  let mark = arenaMark();
  wasi_get_arguments(<i32>RET);
  let ok = parseList();
  arenaRelease(mark);
  return ok;
}

function parseList(): bool {
  let list = <usize>load<u32>(RET + LIST_PTR);
  let count = load<i32>(RET + LIST_LEN);
  for (let i = 1; i < count; i++) {
    let p = <usize>load<u32>(list + <usize>i * LIST_SIZE + LIST_PTR);
    let n = load<i32>(list + <usize>i * LIST_SIZE + LIST_LEN);
    if (equals(p, n, "--quiet")) { quiet = true; continue; }
    if (equals(p, n, "--capture")) { captureOn = true; continue; }
    if (equals(p, n, "--help") || equals(p, n, "-h")) {
      note("a PersiaOS node under wasmtime; arguments after the image: " + USAGE +
        ". Its NICs, disks and services are those of the manifest it was built from (persia image).");
      helpOnly = true;
      return false;
    }
    // the option's name, and where its value is: after "=", or the next argument
    let eq = 0;
    while (eq < n && load<u8>(p + eq) != 61) eq++;
    let isFor = equals(p, eq, "--for");
    let bench = benchName(p, eq, equals);
    if (!isFor && bench == 0 && !equals(p, eq, "--status-every")) return refuse("unknown argument \"" + text(p, n) + "\"");
    let vp = p + eq + 1;
    let vn = n - eq - 1;
    if (eq == n) {
      if (i + 1 >= count) return refuse(text(p, n) + " needs a number of milliseconds");
      i++;
      vp = <usize>load<u32>(list + <usize>i * LIST_SIZE + LIST_PTR);
      vn = load<i32>(list + <usize>i * LIST_SIZE + LIST_LEN);
    }
    if (bench != 0) {
      if (!benchOption(bench, vp, vn)) return refuse(text(p, eq) + " takes <nic>:<hex frame> (--bench, --bench-setup) or a count, not \"" + text(vp, vn) + "\"");
      continue;
    }
    let ms = millis(vp, vn);
    if (ms < 0 || (!isFor && ms == 0)) {
      return refuse(text(p, eq) + " takes a whole number of milliseconds" + (isFor ? "" : " above 0") + ", not \"" + text(vp, vn) + "\"");
    }
    if (isFor) forMs = ms; else statusEveryMs = ms;
  }
  return true;
}
