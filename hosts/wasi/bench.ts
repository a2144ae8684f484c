// The shim's bench mode, for `npm run bench` (tests/bench/wasmtime.ts): instead of opening
// the NICs, feed frames given on the command line straight to the kernel and count what it
// sends instead of sending it, timing the loop with the monotonic clock.
//   --bench-setup <nic>:<hex>   a frame given once before the measurement (repeatable)
//   --bench <nic>:<hex>         the frame measured
//   --bench-count <n>           how many times (after a warm-up of WARMUP frames)
//   --bench-batch 1             hand the frames over BATCH at a time with k_rx_batch (one
//                               copy and one call per batch) instead of one k_rx per frame
// It prints one line on stdout, "bench <frames> <ns> <frames the kernel sent>", and stops.
// The kernel polls every BATCH frames, as the Node host's benchmark does.
// Does not measure the NICs' UDP path (the router benchmark measures real NICs).
import { k_buf, k_buf_size, k_poll, k_rx, k_rx_batch, glue_k_write, wasi_clock_now } from "../../abi/gen/shim";
import { Buf, REC_NIC, REC_LEN, REC_HDR, RX_BATCH_SIZE } from "../../abi/kernel";
import { recSize } from "../../abi/gen/records";
import { FRAME_MAX } from "../../abi/limits";
import { begin, end, put, putU64, stdout } from "./out";

const BATCH = 32;          // frames per k_poll (tests/bench/bench.ts BATCH)
const WARMUP = 2000;       // frames before the clock starts
const SETUP_MAX = 8;
const FRAMES: usize = memory.data((SETUP_MAX + 1) * (FRAME_MAX + 8), 8);  // [nic u32, len u32, bytes] each

const RECS: usize = memory.data(RX_BATCH_SIZE, 8);   // BATCH records of the measured frame

export let benchMode = false;
let batched = false;
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

/** One bench option's value (`which` 1: --bench, 2: --bench-setup, 3: --bench-count,
 *  4: --bench-batch);
 *  false if it is malformed. */
export function benchOption(which: i32, p: usize, n: i32): bool {
  benchMode = true;
  if (which == 1) return parseFrame(SETUP_MAX, p, n);
  if (which == 2) return setups < SETUP_MAX && parseFrame(setups++, p, n);
  if (which == 4) { batched = n == 1 && load<u8>(p) == 49; return batched; }   // "1"
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
  if (equals(p, n, "--bench-batch")) return 4;
  return 0;
}

function feed(k: i32, t: i64): void {
  let slot = frameAt(k);
  let len = load<i32>(slot + 4);
  if (len > k_buf_size(Buf.RX)) return;
  glue_k_write(k_buf(Buf.RX), <i32>(slot + 8), len);
  k_rx(load<i32>(slot), len, t);
}

/** BATCH records of frame slot k in RECS; the bytes they take, or 0 if they do not fit. */
function layOut(k: i32): i32 {
  let slot = frameAt(k);
  let len = load<i32>(slot + 4);
  if (recSize(len) * BATCH > RX_BATCH_SIZE || RX_BATCH_SIZE > k_buf_size(Buf.RX_BATCH)) return 0;
  let off = 0;
  for (let i = 0; i < BATCH; i++) {
    store<u16>(RECS + <usize>off + REC_NIC, <u16>load<u32>(slot));
    store<u16>(RECS + <usize>off + REC_LEN, <u16>len);
    memory.copy(RECS + <usize>off + REC_HDR, slot + 8, <usize>len);
    off += recSize(len);
  }
  return off;
}

/** count frames of the measured slot, BATCH per k_rx_batch (and per k_poll). */
function feedBatched(count: i64, bytes: i32, t: i64): i64 {
  let buf = k_buf(Buf.RX_BATCH);
  for (let i: i64 = 0; i < count; i += BATCH) {
    glue_k_write(buf, <i32>RECS, bytes);
    k_rx_batch(BATCH, t);
    k_poll(t++);
  }
  return t;
}

/** Runs the measurement after boot; returns run()'s result. */
export function runBench(): i32 {
  if (batched) return runBatched();
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

/** runBench with --bench-batch: count is rounded up to whole batches. */
function runBatched(): i32 {
  let t: i64 = 1;
  for (let k = 0; k < setups; k++) feed(k, t);
  k_poll(t++);
  let bytes = layOut(SETUP_MAX);
  if (bytes == 0) return 1;
  t = feedBatched(WARMUP, bytes, t);
  let sent0 = benchSent;
  let n = (count + BATCH - 1) / BATCH * BATCH;
  let t0 = wasi_clock_now();
  feedBatched(n, bytes, t);
  let ns = wasi_clock_now() - t0;
  begin(stdout());
  put("bench "); putU64(<u64>n); put(" "); putU64(<u64>ns); put(" "); putU64(benchSent - sent0);
  end();
  return 0;
}
