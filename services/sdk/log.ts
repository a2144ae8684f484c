// One log line, built piece by piece in a static buffer and handed to sys_log: text,
// decimal numbers, IPv6 addresses and raw bytes. begin() starts a line, emit() sends it.
// A line longer than the kernel's log line is cut off, never an error. It keeps no
// history and is not re-entrant (services are single-threaded). Used by services and by
// sys.log for a single string.
import { LOG_LINE } from "../../abi/limits";
import { sys_log } from "../../abi/gen/persia";
import * as text from "./text";

const LINE = memory.data(LOG_LINE);
let len: i32 = 0;

function at(): usize { return LINE + <usize>len; }
function room(): i32 { return LOG_LINE - len; }

/** Start a new line with s. */
export function begin(s: string): void {
  len = 0;
  str(s);
}

export function str(s: string): void { len += text.utf8(at(), room(), s); }
export function num(v: i64): void { len += text.dec(at(), room(), v); }
export function addr(a: usize): void { len += text.addr(at(), room(), a); }
export function bytes(p: usize, n: i32): void { len += text.printable(at(), room(), p, n); }

/** Send the line to the node's log; returns what sys_log returned. */
export function emit(): i32 {
  let r = sys_log(<i32>LINE, len);
  len = 0;
  return r;
}
