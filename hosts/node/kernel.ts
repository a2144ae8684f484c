// One instance of kernel.wasm under Node: checks that the module's imports and exports are
// exactly those of abi/contract.ts, instantiates it with host callbacks, and wraps the
// kernel exports in typed methods that move bytes through the kernel's buffers (Buf).
// Does not implement any host import itself (node.ts wires those) and keeps no state of
// its own beyond cached buffer addresses and a view of the kernel's memory.
// Used by node.ts; tests may drive it directly with mock callbacks.
import { checksumMemory } from "./nic/csum";
import type { GsoTarget } from "./nic/nic";
import { HOST_IMPORTS, HOST_MODULE, KERNEL_EXPORTS, SERVICE_ENV_IMPORTS } from "../../abi/contract";
import { Errno } from "../../abi/errno";
import { Buf, REC_HDR, recSize } from "../../abi/kernel";
import { HostImports, KernelExports as KernelFns } from "../../abi/gen/host_imports";
import { abortText } from "./faults";
import { MemView } from "./memview";

/** The kernel's imports (HostImports, generated from abi/contract.ts HOST_IMPORTS): a host
 *  that lacks one or gives it the wrong parameters or result fails tsc. */
export type { HostImports };

/** k_sys(svc, nr, a0..a4) as the Wasm export itself: no wrapper on the syscall path. */
export type SysFn = KernelFns["k_sys"];

/** What the instance exports: KERNEL_EXPORTS and the kernel's memory. */
type KernelExports = KernelFns & { memory: WebAssembly.Memory };

/** The memory export every kernel has besides the functions in KERNEL_EXPORTS. */
const MEMORY_EXPORT = "memory";

/** AssemblyScript's abort(message, file, line, column): the kernel's assertion path, the
 *  same import a service may have. abi/contract.ts does not list it for the kernel, so it
 *  is the one import accepted besides HOST_IMPORTS, and it is optional. */
const ABORT = SERVICE_ENV_IMPORTS.abort;
const ABORT_IMPORT = `${ABORT.module}.${ABORT.name}`;

/** The kernel called abort(): a broken kernel invariant. The node stops. */
export class KernelAbort extends Error {
  constructor(message: string) {
    super(`the kernel aborted: ${message}`);
    this.name = "KernelAbort";
  }
}

type Shape = Map<string, string>;

function describeDiff(what: string, actual: Shape, expected: Shape, optional: Shape): string[] {
  const lines: string[] = [];
  for (const [name, kind] of expected) {
    const got = actual.get(name);
    if (got === undefined) lines.push(`  missing ${what} ${name} (${kind})`);
    else if (got !== kind) lines.push(`  ${what} ${name} is a ${got}, the contract says ${kind}`);
  }
  for (const [name, kind] of actual) {
    const want = optional.get(name);
    if (want !== undefined && want !== kind) lines.push(`  ${what} ${name} is a ${kind}, it must be a ${want}`);
    else if (want === undefined && !expected.has(name)) lines.push(`  unexpected ${what} ${name} (${kind})`);
  }
  return lines;
}

/** Throws unless the module imports exactly HOST_IMPORTS (and perhaps env.abort) and
 *  exports exactly KERNEL_EXPORTS plus its memory. Checks names and kinds; Node 20 exposes
 *  no function signatures, so a wrong signature shows up as a LinkError or a wrong value. */
export function checkKernelModule(module: WebAssembly.Module): void {
  const exports: Shape = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  const imports: Shape = new Map(WebAssembly.Module.imports(module).map((i) => [`${i.module}.${i.name}`, i.kind]));
  const wantExports: Shape = new Map(KERNEL_EXPORTS.map((f) => [f.name, "function"]));
  wantExports.set(MEMORY_EXPORT, "memory");
  const wantImports: Shape = new Map(HOST_IMPORTS.map((f) => [`${HOST_MODULE}.${f.name}`, "function"]));
  const problems = [
    ...describeDiff("export", exports, wantExports, new Map()),
    ...describeDiff("import", imports, wantImports, new Map([[ABORT_IMPORT, "function"]])),
  ];
  if (problems.length > 0) {
    throw new Error("kernel.wasm does not match abi/contract.ts:\n" + problems.join("\n") +
      "\nRebuild the kernel against this checkout's abi/ (the host and kernel must come from the same contract).");
  }
}

function hostImportObject(host: HostImports, memory: () => Uint8Array | null): WebAssembly.Imports {
  const fns: Record<string, Function> = {};
  for (const f of HOST_IMPORTS) {
    const fn = (host as unknown as Record<string, unknown>)[f.name];
    if (typeof fn !== "function") throw new Error(`host callbacks lack ${f.name} (abi/contract.ts HOST_IMPORTS)`);
    fns[f.name] = fn.bind(host);
  }
  const abort = (msg: number, file: number, line: number, col: number): never => {
    const bytes = memory();
    throw new KernelAbort(bytes === null ? "(during instantiation)" : abortText(bytes, msg, file, line, col));
  };
  return { [HOST_MODULE]: fns, [ABORT.module]: { [ABORT.name]: abort } };
}

export class KernelInstance {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  /** k_sys, the Wasm export itself (services.ts calls it once per syscall). */
  readonly sys: SysFn;
  private readonly view: MemView;
  private readonly k: KernelExports;
  private rxAddr = 0;
  private rxSize = 0;
  private gsoCap = 0;      // Buf.GSO's size (its address moves: rxGso asks for it each time)
  private batchAddr = 0;   // Buf.RX_BATCH, and what rxQueue has put there for the next rxFlush
  private batchSize = 0;
  private batchOff = 0;
  private batchCount = 0;
  private batchNow = 0n;   // the latest arrival time rxQueue was given: the batch's one `now`
  private flushing = false; // k_rx_batch is reading Buf.RX_BATCH: rxQueue must not write there
  private deferred: { nic: number; frame: Uint8Array; now: bigint; gsoSize?: number }[] = []; // frames queued meanwhile

  /** Compiles and checks kernel.wasm, then instantiates it. Throws with a readable message
   *  if the module is not a kernel of this contract. */
  constructor(bytes: Uint8Array, host: HostImports) {
    this.module = new WebAssembly.Module(bytes as BufferSource);
    checkKernelModule(this.module);
    let view: MemView | null = null;
    const instance = new WebAssembly.Instance(this.module, hostImportObject(host, () => view?.bytes ?? null));
    this.k = instance.exports as unknown as KernelExports;
    this.memory = this.k.memory;
    checksumMemory(this.memory);   // the frames it sends a TAP are summed in Wasm (nic/csum.ts)
    this.view = view = new MemView(this.memory);
    this.sys = this.k.k_sys;
    this.cacheRx();
  }

  /** The kernel's memory as bytes; the same object until the memory grows. */
  get bytes(): Uint8Array {
    return this.view.bytes;
  }

  get memView(): MemView {
    return this.view;
  }

  abi(): number {
    return this.k.k_abi();
  }

  buf(which: Buf): number {
    return this.k.k_buf(which) >>> 0;
  }

  bufSize(which: Buf): number {
    return this.k.k_buf_size(which) >>> 0;
  }

  /** k_epoch: the Unix time in ms at kernel time 0 (WireGuard's TAI64N timestamps). */
  epoch(unixMs: bigint): void {
    this.k.k_epoch(unixMs);
  }

  /** Copies the binary boot manifest into Buf.BOOT and boots; 0 or -Errno. */
  boot(manifest: Uint8Array, now: bigint): number {
    const size = this.bufSize(Buf.BOOT);
    if (manifest.length > size) {
      throw new RangeError(`the boot manifest is ${manifest.length} bytes; this kernel's boot buffer holds ${size}`);
    }
    this.bytes.set(manifest, this.buf(Buf.BOOT));
    const result = this.k.k_boot(manifest.length, now);
    this.cacheRx();
    return result;
  }

  /** Hands one frame received at `now` (ms) to the kernel. Returns false, without calling
   *  the kernel, if the frame is longer than Buf.RX; the caller counts it. */
  rx(nic: number, frame: Uint8Array, now: bigint): boolean {
    if (frame.length > this.rxSize) return false;
    this.flushQueued();
    this.view.bytes.set(frame, this.rxAddr);
    this.k.k_rx(nic, frame.length, now);
    return true;
  }

  /** Hands one TCP super-frame received at `now` (ms) to the kernel (k_rx_gso: spec/abi.md
   *  "Super-frames"), after the frames rxQueue queued before it. A listener that calls back
   *  into the node during k_rx_batch gets it queued after that batch, as rxQueue does. */
  rxGso(nic: number, frame: Uint8Array, gsoSize: number, now: bigint): void {
    if (frame.length > this.gsoCap) throw new RangeError(`a super-frame of ${frame.length} bytes is longer than Buf.GSO (${this.gsoCap})`);
    if (this.flushing) {
      this.deferred.push({ nic, frame: Uint8Array.from(frame), now, gsoSize });
      return;
    }
    this.flushQueued();
    this.view.bytes.set(frame, this.k.k_buf(Buf.GSO) >>> 0);   // moves with each one taken whole
    this.k.k_rx_gso(nic, frame.length, gsoSize, now);
  }

  /** Where the next super-frame may be read straight into (nic.ts GsoSink), or null while
   *  k_rx_batch runs (a frame that arrives then is deferred, so it is copied anyway) or a
   *  listener queued a frame during the flush here (it waits for the next flush, as ever).
   *  Hands the kernel what rxQueue queued first, so that no call into the kernel comes
   *  between the read and rxGsoInPlace: Buf.GSO moves only when one is taken whole, and is
   *  never a packet (kernel/pool.ts). */
  gsoTarget(): GsoTarget | null {
    if (this.flushing) return null;
    this.flushQueued();
    if (this.batchCount !== 0) return null;
    const t = this.target;
    t.bytes = this.view.bytes;
    t.at = this.k.k_buf(Buf.GSO) >>> 0;
    t.cap = this.gsoCap;
    return t;
  }
  private readonly target: GsoTarget = { bytes: new Uint8Array(0), at: 0, cap: 0 };

  /** k_rx_gso of a super-frame of len bytes that the host read into Buf.GSO where
   *  gsoTarget() said, with nothing queued since; as rxGso otherwise. */
  rxGsoInPlace(nic: number, len: number, gsoSize: number, now: bigint): void {
    if (this.flushing || this.batchCount !== 0) throw new Error("rxGsoInPlace: frames were queued after gsoTarget(); the super-frame in Buf.GSO would be overtaken");
    if (len > this.gsoCap) throw new RangeError(`a super-frame of ${len} bytes is longer than Buf.GSO (${this.gsoCap})`);
    this.k.k_rx_gso(nic, len, gsoSize, now);
  }

  /** Queues one frame for the next rxFlush, as a record of Buf.RX_BATCH (abi/kernel.ts
   *  REC_*), flushing first when the buffer is full: many frames, one call into the kernel.
   *  Returns false, queueing nothing, if the frame is longer than Buf.RX; the caller counts it. */
  rxQueue(nic: number, frame: Uint8Array, now: bigint): boolean {
    const len = frame.length;
    if (len > this.rxSize) return false;
    if (this.flushing) {   // a listener called back into the node during k_rx_batch
      this.deferred.push({ nic, frame: Uint8Array.from(frame), now });
      return true;
    }
    const size = recSize(len);
    if (this.batchOff + size > this.batchSize) this.rxFlush(this.batchNow);
    const b = this.view.bytes;
    const at = this.batchAddr + this.batchOff;
    b[at] = nic & 0xff; b[at + 1] = nic >>> 8;
    b[at + 2] = len & 0xff; b[at + 3] = len >>> 8;
    b.set(frame, at + REC_HDR);
    this.batchOff += size;
    this.batchCount++;
    if (now > this.batchNow) this.batchNow = now;
    return true;
  }

  /** Hands over what rxQueue queued, before any other call into the kernel: a poll, a stop,
   *  a status read or a capture change sees every frame received before it, in order. The
   *  frames share one arrival time, the latest rxQueue was given (spec/hosts.md). */
  flushQueued(): void {
    if (this.batchCount !== 0) this.rxFlush(this.batchNow);
  }

  /** Hands the frames rxQueue queued, received by `now` (ms), to the kernel in one
   *  k_rx_batch; returns how many it took (all of them, since rxQueue lays them out). */
  rxFlush(now: bigint): number {
    const count = this.batchCount;
    if (count === 0) return 0;
    // Emptied before the call: a listener the kernel reaches during it (a capture or log
    // callback) may call into the node, which flushes first, and must find nothing to hand
    // over again.
    this.batchOff = 0;
    this.batchCount = 0;
    this.flushing = true;
    try {
      return this.rxBatch(count, now);
    } finally {
      this.flushing = false;
      const later = this.deferred;   // queued for the next flush, in the order they came
      this.deferred = [];
      for (const d of later) {
        if (d.gsoSize === undefined) this.rxQueue(d.nic, d.frame, d.now);
        else this.rxGso(d.nic, d.frame, d.gsoSize, d.now);
      }
    }
  }

  /** k_rx_batch itself, for a host that lays out Buf.RX_BATCH's records on its own (and
   *  for tests that lay them out wrong): the frames the kernel took. */
  rxBatch(count: number, now: bigint): number {
    return this.k.k_rx_batch(count, now);
  }

  /** Advances kernel time to `now` (ms); returns the next deadline in ms, or -1n. */
  poll(now: bigint): bigint {
    this.flushQueued();
    return this.k.k_poll(now);
  }

  /** The node stops (k_stop): a router sends its final RAs. Returns when to call it again
   *  (ms), or -1n when the stop is done. */
  stop(now: bigint): bigint {
    this.flushQueued();
    return this.k.k_stop(now);
  }

  /** k_usb_attach: USB device dev is present with these descriptors (device, then active
   *  configuration), copied into Buf.USB; 0 or -Errno (-EBADMSG: they do not parse). */
  usbAttach(dev: number, desc: Uint8Array, now: bigint): number {
    this.flushQueued();
    const size = this.bufSize(Buf.USB);
    if (desc.length > size) return -Errno.EBADMSG;
    this.bytes.set(desc, this.buf(Buf.USB));
    return this.k.k_usb_attach(dev, desc.length, now);
  }

  /** k_usb_detach: USB device dev was unplugged. */
  usbDetach(dev: number, now: bigint): void {
    this.flushQueued();
    this.k.k_usb_detach(dev, now);
  }

  /** k_usb_done: the transfer in slot xfer ended with status (0 or -Errno) after `moved`
   *  bytes; `data`, the IN data (null for OUT), is copied into Buf.USB first. */
  usbDone(dev: number, xfer: number, status: number, moved: number, data: Uint8Array | null, now: bigint): void {
    this.flushQueued();
    if (data !== null && data.length > this.bufSize(Buf.USB)) {   // cannot happen: a transfer is at most USB_XFER_MAX
      this.k.k_usb_done(dev, xfer, -Errno.EOVERFLOW, 0, now);
      return;
    }
    if (data !== null && data.length > 0) this.bytes.set(data, this.buf(Buf.USB));
    this.k.k_usb_done(dev, xfer, status, moved, now);
  }

  /** k_capture: report the points of mask (abi/capture.ts) naming nic and svc (-1: any);
   *  mask 0 turns capture off. 0 or -EINVAL. */
  capture(mask: number, nic: number, svc: number): number {
    this.flushQueued();
    return this.k.k_capture(mask, nic, svc);
  }

  /** A copy of the status snapshot (abi/status.ts layout). */
  status(): Uint8Array {
    this.flushQueued();
    const len = this.k.k_status() >>> 0;
    const size = this.bufSize(Buf.STATUS);
    if (len > size) throw new RangeError(`k_status returned ${len} bytes, more than its ${size}-byte buffer`);
    const at = this.buf(Buf.STATUS);
    return this.bytes.slice(at, at + len);
  }

  private cacheRx(): void {
    this.rxAddr = this.buf(Buf.RX);
    this.rxSize = this.bufSize(Buf.RX);
    this.gsoCap = this.bufSize(Buf.GSO);
    this.batchAddr = this.buf(Buf.RX_BATCH);
    this.batchSize = this.bufSize(Buf.RX_BATCH);
    if (this.batchAddr + this.batchSize > this.bytes.length) {
      throw new RangeError(`the kernel's batch buffer [${this.batchAddr}, +${this.batchSize}) lies outside its memory`);
    }
    if (this.rxAddr + this.rxSize > this.bytes.length) {
      throw new RangeError(`the kernel's receive buffer [${this.rxAddr}, +${this.rxSize}) lies outside its memory`);
    }
  }
}
