// Packet capture in a wasmtime image (`--capture`, spec/image.md): the kernel's capture
// import prints each record on stdout as one line (abi/image.ts IMG_CAPTURE_PREFIX):
// "capture <µs since the Unix epoch> <point> <nic> <svc> <reason> <base64 bytes>", which
// `persia capture --from` turns into pcapng. The time is the wall clock read once when
// capture starts plus the monotonic clock since, so records never go back in time.
// The kernel captures every point of every NIC and service; the CLI filters. Stdout is
// written blocking, like every line the shim prints: a capture is for a person debugging
// a node, who reads what it prints. Does not allocate: bytes are copied from kernel
// memory in chunks and encoded into a fixed buffer.
// Used by main.ts (captureStart after boot; the export capture).
import { k_capture, glue_k_read, wasi_clock_now, wasi_wall_now } from "../../abi/gen/shim";
import { CAPTURE_ALL, CAPTURE_NONE } from "../../abi/capture";
import { IMG_CAPTURE_PREFIX } from "../../abi/image";
import { RET } from "./arena";
import { begin, end, put, putByte, putBytes, putU64, stdout, fail } from "./out";
import { base64 } from "./status";

const CHUNK: i32 = 3072;                 // a multiple of 3: no padding inside the line
const RAW: usize = memory.data(CHUNK, 8);
const TEXT: usize = memory.data(CHUNK / 3 * 4, 8);
const WALL_SECONDS = 0;                  // wasi:clocks/wall-clock datetime: u64 seconds,
const WALL_NANOS = 8;                    // u32 nanoseconds

let wallUs: i64 = 0;                     // the wall clock when capture started, in µs
let monoNs: i64 = 0;                     // the monotonic clock then

/** Turns the kernel's capture on for every point (after boot, with --capture). */
export function captureStart(): void {
  wasi_wall_now(<i32>RET);
  wallUs = load<i64>(RET + WALL_SECONDS) * 1_000_000 + <i64>(load<u32>(RET + WALL_NANOS) / 1000);
  monoNs = wasi_clock_now();
  if (k_capture(CAPTURE_ALL, CAPTURE_NONE, CAPTURE_NONE) != 0) fail("the kernel refused to capture every point");
}

/** A decimal number that may be -1 (none). */
function putInt(v: i32): void {
  if (v < 0) { putByte(45); putU64(<u64>(-<i64>v)); } else putU64(<u64>v);
}

/** The kernel's capture import: one line per record. */
export function captureLine(point: i32, nic: i32, svc: i32, reason: i32, ptr: i32, len: i32): void {
  begin(stdout());
  put(IMG_CAPTURE_PREFIX);
  putU64(<u64>(wallUs + (wasi_clock_now() - monoNs) / 1000));
  put(" "); putInt(point);
  put(" "); putInt(nic);
  put(" "); putInt(svc);
  put(" "); putInt(reason);
  put(" ");
  for (let done = 0; done < len;) {
    let n = min(len - done, CHUNK);
    if (glue_k_read(<i32>RAW, ptr + done, n) != 0) fail("the kernel captured bytes outside its memory");
    putBytes(TEXT, base64(RAW, n, TEXT));
    done += n;
  }
  end();
}
