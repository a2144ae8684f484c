// A fake world for the wasmtime image's WASI shim (build/wasm/shim.wasm) under Node: the
// shim's memory, a fake kernel (persia_kernel.*) over its own byte array, fake glue
// (persia_glue.*) copying between the two and serving a configuration blob, and fake WASI
// 0.2 functions with the lowered signatures of abi/wasi.ts, working on the shim's memory
// (lists through its cabi_realloc) with in-memory UDP sockets, files and a clock that moves
// only when poll would block (to the earliest timer or scheduled event): deterministic.
// Misuse a real wasmtime would trap on (send beyond check-send, writes over 4096 bytes,
// a pollable used after drop) throws, and so does an open-at that could truncate a file. Does not run the real kernel or wasmtime.
// Used by tests/hosts/wasi_shim.test.ts.
import * as fs from "fs";
import * as path from "path";
import { ABI_VERSION, Buf, REC_NIC, REC_LEN, REC_HDR, RX_BATCH_SIZE, recSize } from "../../abi/kernel";
import { WASI_IMPORTS, wasiModule } from "../../abi/wasi";
import { parseModule } from "../../loader/wasm/parse";
import { parseAddr } from "../../loader/ip6";

export const SHIM_WASM = path.resolve(__dirname, "../../../../build/wasm/shim.wasm");
export const KMEM_SIZE = 1 << 20;
export const K_RX = 0x1000, K_RX_SIZE = 9014, K_BOOT = 0x10000, K_STATUS = 0x20000, K_BUF_SIZE = 65536;
export const K_RX_BATCH = 0x30000;   // RX_BATCH_SIZE bytes of Buf.RX_BATCH records (abi/kernel.ts REC_*)
const NS = 1_000_000n;
/** The wall clock when the world's clock starts: 2024-12-05 00:00:00 UTC, in ns. */
export const WALL_START_NS = 1_733_356_800n * 1_000_000_000n;
const OPEN_CREATE = 1, OPEN_EXCLUSIVE = 4;     // open-flags bits
const FS_EXIST = 7, FS_NO_ENTRY = 20;          // filesystem error-code cases

export interface Datagram { data: Uint8Array; address: string; port: number }
export interface Socket {
  local?: { address: string; port: number };
  remote?: string;          // what stream() was given: "none", or an address
  inbox: Datagram[];        // waiting to be received
  sent: Datagram[];
  blocked: boolean;         // check-send permits nothing
  permitted: number;        // what the last check-send allowed
  checkSends: number;
}
type Res =
  | { kind: "timer"; at: bigint } | { kind: "in"; s: Socket } | { kind: "out"; s: Socket }
  | { kind: "socket"; s: Socket } | { kind: "dir"; name: string } | { kind: "file"; dir: string; name: string }
  | { kind: "stream"; out: "stdout" | "stderr" } | { kind: "network" } | { kind: "error" };

export interface WorldOptions {
  config: Uint8Array;
  args?: string[];
  /** Preopened directories by name, and the files each holds (by path inside it). */
  dirs?: Record<string, Record<string, Uint8Array>>;
  /** A socket error-code number that create / bind / finish-bind / stream returns. */
  socketError?: { step: "create" | "bind" | "finish" | "stream"; code: number };
  /** The kernel's k_poll: the next deadline (ms) or -1n. */
  onPoll?: (now: bigint, w: World) => bigint | void;
  /** The kernel's k_stop: when to call it again (ms) or -1n (the default: done). */
  onStop?: (now: bigint, w: World) => bigint | void;
  bootResult?: number;
  status?: Uint8Array;
  /** At most this many bytes per descriptor read or write call (exercises the loops). */
  ioChunk?: number;
  /** A filesystem error-code number that open-at returns: when opening a file that
   *  exists, or when creating a missing one (no such directory, no permission). */
  fsError?: { step: "open" | "create"; code: number };
}

export class World {
  readonly memory: WebAssembly.Memory;
  readonly kmem = new Uint8Array(KMEM_SIZE);
  stdout = "";
  stderr = "";
  clock = 7_000_000_000n;   // ns; not 0, so the shim must subtract its start
  readonly start = this.clock;
  readonly sockets: Socket[] = [];
  readonly boots: { manifest: Uint8Array; now: bigint }[] = [];
  readonly rx: { nic: number; frame: Uint8Array; now: bigint }[] = [];
  readonly rxBatches: number[] = [];   // each k_rx_batch's count
  readonly polls: bigint[] = [];
  readonly stops: bigint[] = [];
  readonly epochs: bigint[] = [];
  readonly captureCalls: { mask: number; nic: number; svc: number }[] = [];
  readonly files: Record<string, Record<string, Uint8Array>>;
  syncs = 0;
  importCalls = 0;
  live = new Set<number>();   // pollables not dropped
  exports!: Record<string, Function>;
  private readonly res = new Map<number, Res>();
  private nextHandle = 1;
  private events: { at: bigint; fn: () => void }[] = [];
  private randomState = 0x0102030405060708n;

  constructor(private readonly o: WorldOptions) {
    this.files = o.dirs ?? {};
    const bytes = fs.readFileSync(SHIM_WASM);
    this.memory = new WebAssembly.Memory({ initial: memoryImportMin(bytes) });
    const module = new WebAssembly.Module(bytes);
    const counted = (fns: Record<string, Function>) => Object.fromEntries(Object.entries(fns).map(([name, fn]) =>
      [name, (...args: unknown[]) => { this.importCalls++; return fn(...args); }]));
    const imports: WebAssembly.Imports = { env: { memory: this.memory }, persia_kernel: counted(this.kernel()), persia_glue: counted(this.glue()) };
    const wasi = counted(this.wasi());
    for (const f of WASI_IMPORTS) {
      const m = (imports[wasiModule(f)] ??= {});
      m[f.name] = wasi[f.as] ?? (() => { throw new Error(`the fake has no ${f.as}`); });
    }
    this.exports = new WebAssembly.Instance(module, imports).exports as unknown as Record<string, Function>;
  }

  run(): number { return this.exports.run() as number; }

  /** Runs fn when the clock reaches `ms` after the start. */
  at(ms: number, fn: () => void): void { this.events.push({ at: this.start + BigInt(ms) * NS, fn }); }

  nowMs(): number { return Number((this.clock - this.start) / NS); }

  private get view(): DataView { return new DataView(this.memory.buffer); }
  private get bytes(): Uint8Array { return new Uint8Array(this.memory.buffer); }

  private handle(r: Res): number { this.res.set(this.nextHandle, r); return this.nextHandle++; }

  private get(h: number): Res {
    const r = this.res.get(h);
    if (r === undefined) throw new Error(`handle ${h} is not live`);
    return r;
  }

  private alloc(align: number, size: number): number { return this.exports.cabi_realloc(0, 0, align, size) as number; }

  private putBytes(b: Uint8Array): number { const p = this.alloc(1, b.length); this.bytes.set(b, p); return p; }

  private text(ptr: number, len: number): string { return Buffer.from(this.bytes.subarray(ptr, ptr + len)).toString("utf8"); }

  private kernel(): Record<string, Function> {
    const o = this.o;
    return {
      k_abi: () => ABI_VERSION,
      k_buf: (w: number) => (w === Buf.RX ? K_RX : w === Buf.BOOT ? K_BOOT : w === Buf.STATUS ? K_STATUS : w === Buf.RX_BATCH ? K_RX_BATCH : 0),
      k_buf_size: (w: number) => (w === Buf.RX ? K_RX_SIZE : w === Buf.BOOT || w === Buf.STATUS ? K_BUF_SIZE : w === Buf.RX_BATCH ? RX_BATCH_SIZE : 0),
      k_boot: (len: number, now: bigint) => {
        this.boots.push({ manifest: this.kmem.slice(K_BOOT, K_BOOT + len), now });
        return o.bootResult ?? 0;
      },
      k_rx: (nic: number, len: number, now: bigint) => { this.rx.push({ nic, frame: this.kmem.slice(K_RX, K_RX + len), now }); },
      k_rx_batch: (count: number, now: bigint) => {   // each record becomes one rx entry, as k_rx's
        this.rxBatches.push(count);
        let at = K_RX_BATCH;
        for (let i = 0; i < count; i++) {
          const nic = this.kmem[at + REC_NIC] | this.kmem[at + REC_NIC + 1] << 8;
          const len = this.kmem[at + REC_LEN] | this.kmem[at + REC_LEN + 1] << 8;
          this.rx.push({ nic, frame: this.kmem.slice(at + REC_HDR, at + REC_HDR + len), now });
          at += recSize(len);
        }
        return count;
      },
      k_poll: (now: bigint) => {
        this.polls.push(now);
        return o.onPoll?.(now, this) ?? -1n;
      },
      k_stop: (now: bigint) => {
        this.stops.push(now);
        return o.onStop?.(now, this) ?? -1n;
      },
      k_capture: (mask: number, nic: number, svc: number) => { this.captureCalls.push({ mask, nic, svc }); return 0; },
      k_epoch: (ms: bigint) => { this.epochs.push(ms); },
      k_status: () => {
        const s = o.status ?? new Uint8Array(0);
        this.kmem.set(s, K_STATUS);
        return s.length;
      },
    };
  }

  private glue(): Record<string, Function> {
    const fits = (p: number, n: number, size: number) => (p >>> 0) + (n >>> 0) <= size;
    return {
      k_write: (kdst: number, src: number, len: number) => {
        if (!fits(kdst, len, KMEM_SIZE) || !fits(src, len, this.memory.buffer.byteLength)) return -8;
        this.kmem.set(this.bytes.subarray(src >>> 0, (src >>> 0) + (len >>> 0)), kdst >>> 0);
        return 0;
      },
      k_read: (dst: number, ksrc: number, len: number) => {
        if (!fits(dst, len, this.memory.buffer.byteLength) || !fits(ksrc, len, KMEM_SIZE)) return -8;
        this.bytes.set(this.kmem.subarray(ksrc >>> 0, (ksrc >>> 0) + (len >>> 0)), dst >>> 0);
        return 0;
      },
      config_size: () => this.o.config.length,
      config_copy: (dst: number) => { this.bytes.set(this.o.config, dst); },
      svc_pages: () => 0,
      svc_fault: () => 0,
    };
  }

  /** Runs scheduled events that are due. */
  private due(): void {
    const now = this.events.filter((e) => e.at <= this.clock);
    this.events = this.events.filter((e) => e.at > this.clock);
    for (const e of now) e.fn();
  }

  private ready(h: number): boolean {
    const r = this.get(h);
    if (r.kind === "timer") return this.clock >= r.at;
    if (r.kind === "in") return r.s.inbox.length > 0;
    if (r.kind === "out") return !r.s.blocked;
    throw new Error(`handle ${h} is not a pollable`);
  }

  private poll(ptr: number, n: number, ret: number): void {
    if (n === 0) throw new Error("poll of an empty list traps in wasmtime");
    const hs = Array.from({ length: n }, (_, i) => this.view.getInt32(ptr + 4 * i, true));
    for (let turns = 0; ; turns++) {
      this.due();
      const ready = hs.map((h, i) => (this.ready(h) ? i : -1)).filter((i) => i >= 0);
      if (ready.length > 0) {
        const list = this.alloc(4, 4 * ready.length);
        ready.forEach((r, i) => this.view.setUint32(list + 4 * i, r, true));
        this.view.setInt32(ret, list, true);
        this.view.setInt32(ret + 4, ready.length, true);
        return;
      }
      const times = [...hs.map((h) => this.get(h)).flatMap((r) => (r.kind === "timer" ? [r.at] : [])), ...this.events.map((e) => e.at)];
      if (times.length === 0 || turns > 100) throw new Error("poll would block forever");
      this.clock = times.reduce((a, b) => (a < b ? a : b));
    }
  }

  private socketStep(step: string, ret: number, errAt: number): boolean {
    const e = this.o.socketError;
    if (e?.step !== step) return false;
    this.view.setUint8(ret, 1);
    this.view.setUint8(ret + errAt, e.code);
    return true;
  }

  /** Eight address groups as text, uncompressed: "fd00:99:0:0:0:0:0:1". */
  private addressArgs(a: number[]): string { return a.slice(0, 8).map((g) => g.toString(16)).join(":"); }

  private wasi(): Record<string, Function> {
    const stdout = this.handle({ kind: "stream", out: "stdout" });
    const stderr = this.handle({ kind: "stream", out: "stderr" });
    const chunk = this.o.ioChunk ?? Infinity;
    return {
      poll: (ptr: number, n: number, ret: number) => this.poll(ptr, n, ret),
      pollable_drop: (h: number) => { this.get(h); this.res.delete(h); this.live.delete(h); },
      error_drop: (h: number) => { this.res.delete(h); },
      get_stdout: () => stdout,
      get_stderr: () => stderr,
      stream_write: (h: number, ptr: number, len: number, ret: number) => {
        if (len > 4096) throw new Error(`blocking-write-and-flush of ${len} bytes traps (at most 4096)`);
        const r = this.get(h);
        if (r.kind !== "stream") throw new Error("not an output stream");
        if (r.out === "stdout") this.stdout += this.text(ptr, len); else this.stderr += this.text(ptr, len);
        this.view.setUint8(ret, 0);
      },
      get_arguments: (ret: number) => {
        const args = ["node.wasm", ...(this.o.args ?? [])].map((a) => Buffer.from(a, "utf8"));
        const list = this.alloc(4, 8 * args.length);
        args.forEach((a, i) => {
          const p = this.putBytes(a);
          this.view.setInt32(list + 8 * i, p, true);
          this.view.setInt32(list + 8 * i + 4, a.length, true);
        });
        this.view.setInt32(ret, list, true);
        this.view.setInt32(ret + 4, args.length, true);
      },
      clock_now: () => this.clock,
      wall_now: (ret: number) => {
        const ns = WALL_START_NS + (this.clock - this.start);
        this.view.setBigUint64(ret, ns / 1_000_000_000n, true);
        this.view.setUint32(ret + 8, Number(ns % 1_000_000_000n), true);
      },
      clock_subscribe: (ns: bigint) => {
        const h = this.handle({ kind: "timer", at: this.clock + ns });
        this.live.add(h);
        return h;
      },
      random_u64: () => {
        this.randomState = (this.randomState * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
        return BigInt.asIntN(64, this.randomState);
      },
      instance_network: () => this.handle({ kind: "network" }),
      udp_create: (family: number, ret: number) => {
        if (family !== 1) throw new Error("the shim must ask for IPv6");
        if (this.socketStep("create", ret, 4)) return;
        const s: Socket = { inbox: [], sent: [], blocked: false, permitted: 0, checkSends: 0 };
        this.sockets.push(s);
        this.view.setUint8(ret, 0);
        this.view.setInt32(ret + 4, this.handle({ kind: "socket", s }), true);
      },
      udp_start_bind: (self: number, net: number, c: number, port: number, _flow: number, ...rest: number[]) => {
        const ret = rest[9];
        const r = this.get(self);
        if (r.kind !== "socket" || this.get(net).kind !== "network" || c !== 1) throw new Error("bad start-bind");
        if (this.socketStep("bind", ret, 1)) return;
        r.s.local = { address: this.addressArgs(rest), port };
        this.view.setUint8(ret, 0);
      },
      udp_finish_bind: (self: number, ret: number) => {
        if (this.get(self).kind !== "socket") throw new Error("bad finish-bind");
        if (this.socketStep("finish", ret, 1)) return;
        this.view.setUint8(ret, 0);
      },
      udp_stream: (self: number, some: number, ...rest: number[]) => {
        const ret = rest[12];
        const r = this.get(self);
        if (r.kind !== "socket") throw new Error("bad stream");
        if (this.socketStep("stream", ret, 4)) return;
        r.s.remote = some === 0 ? "none" : this.addressArgs(rest.slice(3));
        this.view.setUint8(ret, 0);
        this.view.setInt32(ret + 4, this.handle({ kind: "in", s: r.s }), true);
        this.view.setInt32(ret + 8, this.handle({ kind: "out", s: r.s }), true);
      },
      udp_in_subscribe: (h: number) => this.handle(this.get(h)),
      udp_out_subscribe: (h: number) => this.handle(this.get(h)),
      udp_receive: (h: number, max: bigint, ret: number) => {
        const r = this.get(h);
        if (r.kind !== "in") throw new Error("receive on something else");
        const got = r.s.inbox.splice(0, Number(max));
        const list = this.alloc(4, 40 * got.length);
        got.forEach((d, i) => {
          const p = this.putBytes(d.data);
          const e = list + 40 * i;
          this.view.setInt32(e, p, true);
          this.view.setInt32(e + 4, d.data.length, true);
          this.view.setUint8(e + 8, 1);
          this.view.setUint16(e + 12, d.port, true);
          const groups = parseAddr(d.address);   // the remote's address (ipv6-socket-address at e + 8 + 4 + 8)
          for (let g = 0; g < 8; g++) this.view.setUint16(e + 20 + 2 * g, (groups[2 * g] << 8) | groups[2 * g + 1], true);
        });
        this.view.setUint8(ret, 0);
        this.view.setInt32(ret + 4, list, true);
        this.view.setInt32(ret + 8, got.length, true);
      },
      udp_check_send: (h: number, ret: number) => {
        const r = this.get(h);
        if (r.kind !== "out") throw new Error("check-send on something else");
        r.s.checkSends++;
        r.s.permitted = r.s.blocked ? 0 : 16;
        this.view.setUint8(ret, 0);
        this.view.setBigUint64(ret + 8, BigInt(r.s.permitted), true);
      },
      udp_send: (h: number, ptr: number, count: number, ret: number) => {
        const r = this.get(h);
        if (r.kind !== "out") throw new Error("send on something else");
        if (count > r.s.permitted) throw new Error(`send of ${count} datagrams after check-send permitted ${r.s.permitted}: wasmtime traps`);
        for (let i = 0; i < count; i++) {
          const e = ptr + 44 * i;
          const p = this.view.getInt32(e, true), n = this.view.getInt32(e + 4, true);
          if (this.view.getUint8(e + 8) !== 1 || this.view.getUint8(e + 12) !== 1) throw new Error("an unconnected stream needs an IPv6 remote per datagram");
          const groups = Array.from({ length: 8 }, (_, g) => this.view.getUint16(e + 24 + 2 * g, true));
          r.s.sent.push({ data: this.bytes.slice(p, p + n), address: this.addressArgs(groups), port: this.view.getUint16(e + 16, true) });
        }
        r.s.permitted = 0;
        this.view.setUint8(ret, 0);
        this.view.setBigUint64(ret + 8, BigInt(count), true);
      },
      get_directories: (ret: number) => {
        const names = Object.keys(this.files);
        const list = this.alloc(4, 12 * names.length);
        names.forEach((name, i) => {
          const b = Buffer.from(name, "utf8");
          this.view.setInt32(list + 12 * i, this.handle({ kind: "dir", name }), true);
          this.view.setInt32(list + 12 * i + 4, this.putBytes(b), true);
          this.view.setInt32(list + 12 * i + 8, b.length, true);
        });
        this.view.setInt32(ret, list, true);
        this.view.setInt32(ret + 4, names.length, true);
      },
      open_at: (dir: number, pathFlags: number, ptr: number, len: number, openFlags: number, flags: number, ret: number) => {
        const d = this.get(dir);
        const create = openFlags === (OPEN_CREATE | OPEN_EXCLUSIVE);
        if (d.kind !== "dir" || (openFlags !== 0 && !create) || flags !== 3 || (pathFlags & ~1) !== 0) throw new Error("bad open-at");
        const name = this.text(ptr, len);
        const exists = this.files[d.name][name] !== undefined;
        const scripted = this.o.fsError?.step === (create ? "create" : "open") ? this.o.fsError.code : undefined;
        const error = create ? (exists ? FS_EXIST : scripted) : (exists ? scripted : FS_NO_ENTRY);
        if (error !== undefined) {
          this.view.setUint8(ret, 1);
          this.view.setUint8(ret + 4, error);
          return;
        }
        if (create) this.files[d.name][name] = new Uint8Array(0);
        this.view.setUint8(ret, 0);
        this.view.setInt32(ret + 4, this.handle({ kind: "file", dir: d.name, name }), true);
      },
      fd_read: (h: number, len: bigint, off: bigint, ret: number) => {
        const content = this.file(h);
        const at = Number(off);
        const data = content.slice(at, at + Math.min(Number(len), chunk));
        this.view.setUint8(ret, 0);
        this.view.setInt32(ret + 4, this.putBytes(data), true);
        this.view.setInt32(ret + 8, data.length, true);
        this.view.setUint8(ret + 12, at + data.length >= content.length ? 1 : 0);
      },
      fd_write: (h: number, ptr: number, len: number, off: bigint, ret: number) => {
        const n = Math.min(len, chunk);
        this.file(h, Number(off) + n).set(this.bytes.subarray(ptr, ptr + n), Number(off));
        this.view.setUint8(ret, 0);
        this.view.setBigUint64(ret + 8, BigInt(n), true);
      },
      fd_sync: (h: number, ret: number) => {
        this.file(h);
        this.syncs++;
        this.view.setUint8(ret, 0);
      },
    };
  }

  /** The content of an open file, first grown to `size` bytes if it is shorter. */
  private file(h: number, size = 0): Uint8Array {
    const r = this.get(h);
    if (r.kind !== "file") throw new Error("not a file descriptor");
    const dir = this.files[r.dir];
    if (dir[r.name].length < size) {
      const grown = new Uint8Array(size);
      grown.set(dir[r.name]);
      dir[r.name] = grown;
    }
    return dir[r.name];
  }
}

/** The initial pages of a module's imported memory. */
export function memoryImportMin(bytes: Uint8Array): number {
  const mem = parseModule(bytes).imports.find((i) => i.desc.kind === "memory");
  if (mem?.desc.kind !== "memory") throw new Error("the module imports no memory");
  return mem.desc.limits.min;
}
