// The TAP's checksums in Wasm SIMD (hosts/node/nic/csum/main.ts, built by `npm run build` to
// build/wasm/csum.wasm). offload.ts's sum16 hands a run of bytes to it when the bytes lie in a
// Wasm memory registered here: the kernel's (every frame the kernel sends: hosts/node/kernel.ts
// registers it) or a TAP's own buffers (tap.ts makes them with checksumBuffer). Anything else
// is summed by sum16's JavaScript loop, which gives the same sums (tests/hosts/tap_offload).
//
// Measured (spec/performance.md, "TAP TCP"): 1,448 bytes in 70 ns against 328 ns, 64 bytes in
// 44 ns against 71 ns. With a TCP segment summed twice on its way through the node (once as it
// is split out of the super-frame Linux hands over, once before it is merged into the one the
// node hands back), the loop was a fifth of the node's time under iperf3 TCP.
import * as fs from "fs";
import * as path from "path";
import { WASM_DIR } from "../paths";

/** sum(start, end): the unfolded sum of the little-endian 16-bit words of memory [start, end)
 *  (csum/main.ts), as a double. */
type Sum = (start: number, end: number) => number;

/** PERSIA_TAP_WASM_CSUM=0 sums everything in JavaScript, to measure against (the benchmark). */
const OFF = process.env.PERSIA_TAP_WASM_CSUM === "0";
const FILE = path.join(WASM_DIR, "csum.wasm");
/** The compiled module, or why there is none (then every sum is JavaScript's: never a throw
 *  on the packet path). Tried once, when the first memory is registered. */
let compiled: WebAssembly.Module | string | null = null;
function module(): WebAssembly.Module | string {
  if (compiled === null) {
    try {
      compiled = new WebAssembly.Module(fs.readFileSync(FILE));
    } catch (e) {
      compiled = fs.existsSync(FILE)
        ? `${FILE} does not compile here (Wasm SIMD is needed): ${(e as Error).message}`
        : `${FILE} is missing (npm run build builds it with the rest)`;
    }
  }
  return compiled;
}

/** Why this build's checksums cannot run in Wasm, or null when they can: a TAP NIC says it
 *  once. */
export function checksumsInJs(): string | null {
  const m = module();
  return typeof m === "string" ? m : null;
}

/** The memories registered, held weakly (a kernel's memory goes when its kernel does), and the
 *  instance summing each, made when it is first asked for. */
const registered = new Set<WeakRef<WebAssembly.Memory>>();
const sums = new WeakMap<WebAssembly.Memory, Sum>();
/** What was found for a buffer (null: it is no registered memory's); a memory that grows gets
 *  a new buffer, which is looked up afresh. */
const byBuffer = new WeakMap<ArrayBufferLike, Sum | null>();
/** The last two buffers asked about and their answers: a TCP segment's way through the node
 *  alternates between the TAP's buffer (split) and the kernel's memory (merge). */
let lastBuffer: ArrayBufferLike | null = null, lastSum: Sum | null = null;
let prevBuffer: ArrayBufferLike | null = null, prevSum: Sum | null = null;

/** Frames in `memory` may be summed in Wasm from now on. */
export function checksumMemory(memory: WebAssembly.Memory): void {
  if (typeof module() === "string") return;
  registered.add(new WeakRef(memory));
}

/** A buffer of at least `bytes` bytes whose sums are taken in Wasm: the whole of a Wasm memory
 *  of its own that cannot grow (so the buffer is never detached). */
export function checksumBuffer(bytes: number): ArrayBuffer {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  checksumMemory(memory);
  return memory.buffer;
}

/** The Wasm sum for bytes of `buffer`, or null if it is no registered memory's. */
export function wasmSum(buffer: ArrayBufferLike): Sum | null {
  if (OFF) return null;
  if (buffer === lastBuffer) return lastSum;
  if (buffer === prevBuffer) {
    const sum = prevSum;
    prevBuffer = lastBuffer; prevSum = lastSum;
    lastBuffer = buffer; lastSum = sum;
    return sum;
  }
  let sum = byBuffer.get(buffer);
  if (sum === undefined) {
    sum = null;
    for (const ref of registered) {
      const memory = ref.deref();
      if (memory === undefined) { registered.delete(ref); continue; }
      if (memory.buffer !== buffer) continue;
      sum = sums.get(memory) ?? null;
      if (sum === null) {
        sum = (new WebAssembly.Instance(module() as WebAssembly.Module, { env: { memory } }).exports as { sum: Sum }).sum;
        sums.set(memory, sum);
      }
      break;
    }
    byBuffer.set(buffer, sum);
  }
  prevBuffer = lastBuffer; prevSum = lastSum;
  lastBuffer = buffer; lastSum = sum;
  return sum;
}
