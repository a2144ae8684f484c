// The shim's bench mode, for `npm run bench` (tests/bench/wasmtime.ts): instead of opening
// the NICs, feed frames given on the command line straight to the kernel and count what it
// sends instead of sending it, timing the loop with the monotonic clock.
//   --bench-setup <nic>:<hex>   a frame given once before the measurement (repeatable)
//   --bench <nic>:<hex>         the frame measured
//   --bench-count <n>           how many times (after a warm-up of WARMUP frames)
// It prints one line on stdout, "bench <frames> <ns> <frames the kernel sent>", and stops.
// The kernel polls every BATCH frames, as the Node host's benchmark does.
// Does not measure the NICs' UDP path (the router benchmark measures real NICs).
import { k_buf, k_buf_size, k_poll, k_rx, glue_k_write, wasi_clock_now } from "../../abi/gen/shim";
import { Buf } from "../../abi/kernel";
import { FRAME_MAX } from "../../abi/limits";
import { begin, end, put, putU64, stdout } from "./out";

const BATCH = 32;          // frames per k_poll (tests/bench/bench.ts BATCH)
const WARMUP = 2000;       // frames before the clock starts
const SETUP_MAX = 8;
const FRAMES: usize = memory.data((SETUP_MAX + 1) * (FRAME_MAX + 8), 8);  // [nic u32, len u32, bytes] each

export let benchMode = false;
export let benchSent: u64 = 0;
let setups = 0;
let count: i64 = 100_000;

/** nic_send in bench mode: count the frame, send nothing. */
export function benchCount(): i32 {
  benchSent++;
  return 0;
}

function frameAt(k: i32): usize { return FRAMES + <usize>k * (FRAME_MAX + 8); }

function hexDigit(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** "<nic>:<hex>" into frame slot k; false if it is not that. */
function parseFrame(k: i32, p: usize, n: i32): bool {
  let colon = 0;
  let nic = 0;
  while (colon < n && load<u8>(p + colon) != 58) {
    let d = hexDigit(load<u8>(p + colon));
    if (d < 0 || d > 9) return false;
    nic = nic * 10 + d;
    colon++;
  }
  let digits = n - colon - 1;
  if (colon == 0 || colon >= n || digits <= 0 || (digits & 1) != 0 || digits / 2 > FRAME_MAX) return false;
  let slot = frameAt(k);
  for (let i = 0; i < digits / 2; i++) {
    let hi = hexDigit(load<u8>(p + colon + 1 + 2 * i));
    let lo = hexDigit(load<u8>(p + colon + 2 + 2 * i));
    if (hi < 0 || lo < 0) return false;
    store<u8>(slot + 8 + i, <u8>(hi << 4 | lo));
  }
  store<u32>(slot, nic);
  store<u32>(slot + 4, digits / 2);
  return true;
}

/** One bench option's value (`which` 1: --bench, 2: --bench-setup, 3: --bench-count);
 *  false if it is malformed. */
export function benchOption(which: i32, p: usize, n: i32): bool {
  benchMode = true;
  if (which == 1) return parseFrame(SETUP_MAX, p, n);
  if (which == 2) return setups < SETUP_MAX && parseFrame(setups++, p, n);
  let v: i64 = 0;
  for (let i = 0; i < n; i++) {
    let d = hexDigit(load<u8>(p + i));
    if (d < 0 || d > 9 || v > 1_000_000_000) return false;
    v = v * 10 + d;
  }
  count = v;
  return n > 0 && v > 0;
}

/** 1: --bench, 2: --bench-setup, 3: --bench-count, 0: another name. */
export function benchName(p: usize, n: i32, equals: (p: usize, n: i32, s: string) => bool): i32 {
  if (equals(p, n, "--bench")) return 1;
  if (equals(p, n, "--bench-setup")) return 2;
  if (equals(p, n, "--bench-count")) return 3;
  return 0;
}

function feed(k: i32, t: i64): void {
  let slot = frameAt(k);
  let len = load<i32>(slot + 4);
  if (len > k_buf_size(Buf.RX)) return;
  glue_k_write(k_buf(Buf.RX), <i32>(slot + 8), len);
  k_rx(load<i32>(slot), len, t);
}

/** Runs the measurement after boot; returns run()'s result. */
export function runBench(): i32 {
  let t: i64 = 1;
  for (let k = 0; k < setups; k++) feed(k, t);
  k_poll(t++);
  for (let i = 0; i < WARMUP; i++) {
    feed(SETUP_MAX, t);
    if (i % BATCH == 0) k_poll(t++);
  }
  let sent0 = benchSent;
  let t0 = wasi_clock_now();
  for (let i: i64 = 0; i < count; i++) {
    feed(SETUP_MAX, t);
    if (i % BATCH == BATCH - 1) k_poll(t++);
  }
  k_poll(t++);
  let ns = wasi_clock_now() - t0;
  begin(stdout());
  put("bench "); putU64(<u64>count); put(" "); putU64(<u64>ns); put(" "); putU64(benchSent - sent0);
  end();
  return 0;
}
