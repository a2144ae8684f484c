// Kernel log lines without allocation: a line is built in a static buffer from string
// literals, integers and names, then handed to the host's log import. Used at boot, on
// service faults, on refused manifests and on control messages — never per packet.
import { LOG_LINE } from "./param";
import { LogLevel } from "../abi/kernel";
import { host_log } from "../abi/gen/host";

const LINE: usize = memory.data(LOG_LINE);
let pos: i32 = 0;
let lastLen: i32 = 0;     // the length of the line logEnd last handed over (still in LINE)

/** The last line logged: a control message's reply quotes why it was refused. Valid until
 *  the next logStart. */
export function lastLine(): usize { return LINE; }
export function lastLineLen(): i32 { return lastLen; }

export function logStart(): void { pos = 0; }

export function logStr(s: string): void {
  let room = LOG_LINE - pos;
  if (room <= 0) return;
  let n = String.UTF8.byteLength(s);
  if (n > room) return;
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, LINE + <usize>pos);
  pos += n;
}

export function logBytes(p: usize, n: i32): void {
  if (n > LOG_LINE - pos) n = LOG_LINE - pos;
  if (n <= 0) return;
  memory.copy(LINE + <usize>pos, p, <usize>n);
  pos += n;
}

export function logInt(v: i64): void {
  if (v < 0) { logStr("-"); v = -v; }
  let digits = 1;
  for (let t = v; t >= 10; t /= 10) digits++;
  if (pos + digits > LOG_LINE) return;
  for (let i = digits - 1; i >= 0; i--) {
    store<u8>(LINE + <usize>(pos + i), <u8>(48 + <i32>(v % 10)));
    v /= 10;
  }
  pos += digits;
}

/** The n bytes at p in base64 (RFC 4648 §4, padded): keys as the manifest spells them. */
export function logBase64(p: usize, n: i32): void {
  for (let i = 0; i < n; i += 3) {
    let b0 = <u32>load<u8>(p + <usize>i);
    let b1 = i + 1 < n ? <u32>load<u8>(p + <usize>(i + 1)) : 0;
    let b2 = i + 2 < n ? <u32>load<u8>(p + <usize>(i + 2)) : 0;
    let v = b0 << 16 | b1 << 8 | b2;
    logChar(b64(v >> 18));
    logChar(b64((v >> 12) & 63));
    logChar(i + 1 < n ? b64((v >> 6) & 63) : 61);
    logChar(i + 2 < n ? b64(v & 63) : 61);
  }
}

function b64(c: u32): u32 {
  return c < 26 ? 65 + c : c < 52 ? 97 + c - 26 : c < 62 ? 48 + c - 52 : c == 62 ? 43 : 47;
}

/** One byte of text (ASCII); dropped when the line is full. */
function logChar(c: u32): void {
  if (pos >= LOG_LINE) return;
  store<u8>(LINE + <usize>pos, <u8>c);
  pos++;
}

/** The 16-byte IPv6 address at p in RFC 5952 text: lower-case hex groups without leading
 *  zeros, the longest run of two or more zero groups (the first on a tie) as "::". */
export function logAddr(p: usize): void {
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && load<u16>(p + <usize>(2 * j)) == 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j > i ? j : i + 1;
  }
  for (let i = 0; i < 8; i++) {
    if (i == best) { if (i == 0) logChar(0x3a); logChar(0x3a); i += bestLen - 1; continue; }
    let g = (<u32>load<u8>(p + <usize>(2 * i)) << 8) | <u32>load<u8>(p + <usize>(2 * i + 1));
    for (let shift = 12, lead = true; shift >= 0; shift -= 4) {
      let d = (g >> <u32>shift) & 0xf;
      if (lead && d == 0 && shift > 0) continue;
      lead = false;
      logChar(d < 10 ? 0x30 + d : 0x57 + d);
    }
    if (i < 7) logChar(0x3a);
  }
}

/** n bytes at p as lower-case hex (a module's SHA-256, a transfer id). */
export function logHex(p: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    let b = <u32>load<u8>(p + <usize>i);
    let hi = b >> 4, lo = b & 0xf;
    logChar(hi < 10 ? 0x30 + hi : 0x57 + hi);
    logChar(lo < 10 ? 0x30 + lo : 0x57 + lo);
  }
}

/** End the line without handing it to the host: a reply quotes it (lastLine), but it is too
 *  frequent for the node's log (a PUT's chunk acknowledgements). */
export function logKeep(): void {
  lastLen = pos;
  pos = 0;
}

export function logEnd(level: LogLevel): void {
  host_log(<i32>level, <i32>LINE, pos);
  lastLen = pos;
  pos = 0;
}

/** One whole line made of a literal. */
export function klog(level: LogLevel, s: string): void {
  logStart(); logStr(s); logEnd(level);
}
