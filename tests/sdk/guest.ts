// A fake kernel for one service module, for tests that run a service without the real
// kernel: it builds the module's "persia" imports from abi/contract.ts (so a syscall
// missing from the contract cannot be faked), queues literal packets for recv, captures
// what the service sends and logs, and backs the DISK syscalls with Buffers (one per
// extent; a test can fail a disk's calls or watch its writes through `fault`). It does no
// routing and checks no capability rights; tests that need two services wire them by hand.
// Used by tests/sdk/*.test.ts.
import * as fs from "fs";
import * as path from "path";
import { REC_HDR, REC_LEN, recSize } from "../../abi/kernel";
import { SYSCALLS, SYSCALL_MODULE } from "../../abi/contract";
import { Errno } from "../../abi/errno";
import { CapKind, RIGHT_READ, RIGHT_WRITE } from "../../abi/caps";
import { CAPINFO_EXT_LEN, CAPINFO_KIND, CAPINFO_OBJECT, CAPINFO_RIGHTS, CAPINFO_SIZE } from "../../abi/syscalls";

export const ROOT = path.resolve(__dirname, "../../../..");
const DISK_HANDLE = 3;

export interface GuestOptions {
  addrs?: string[];                         // the service's own addresses, as hex
  names?: Record<string, string>;           // domain → address hex, for resolve
  disk?: Buffer;                            // the DISK extent, shared across restarts
  disks?: Buffer[];                         // several DISK extents (disk is disks[0])
  diskIds?: number[];                       // the disk each extent lies on (default: its index)
  /** Called before each disk call; a negative number fails the call with it. A write's
   *  bytes are given, so a test can record them (or cut them short: return a count). */
  fault?: (disk: number, op: "read" | "write" | "flush", off: number, data?: Buffer) => number | undefined;
  now?: () => number;                       // kernel time in ms
  send?: (pkt: Buffer) => number;           // what send returns (0 by default)
  /** More syscalls (or replacements), e.g. a USB device model's; given the guest's memory. */
  syscalls?: (memory: WebAssembly.Memory) => Record<string, Function>;
}

export class Guest {
  readonly memory = new WebAssembly.Memory({ initial: 1, maximum: 16 });
  readonly queue: Buffer[] = [];
  readonly sent: Buffer[] = [];
  readonly logs: string[] = [];
  readonly timers: number[] = [];
  flushes = 0;
  private exports: Record<string, Function>;

  constructor(wasm: string, readonly opts: GuestOptions = {}) {
    const file = path.join(ROOT, wasm);
    if (!fs.existsSync(file)) throw new Error(`${wasm} is missing: compile it with asc first`);
    const module = new WebAssembly.Module(fs.readFileSync(file));
    const persia: Record<string, Function> = {};
    for (const s of SYSCALLS) persia[s.name] = () => { throw new Error(`unexpected syscall ${s.name}`); };
    Object.assign(persia, this.syscalls(), opts.syscalls?.(this.memory));
    const env = { memory: this.memory, abort: () => { throw new Error("abort"); } };
    const instance = new WebAssembly.Instance(module, { [SYSCALL_MODULE]: persia, env } as WebAssembly.Imports);
    this.exports = instance.exports as Record<string, Function>;
    this.exports.persia_init?.();
  }

  /** Queue packets (hex or bytes) and run persia_event once. */
  deliver(...pkts: (string | Buffer)[]): void {
    for (const p of pkts) this.queue.push(typeof p === "string" ? Buffer.from(p, "hex") : p);
    this.exports.persia_event();
  }

  event(): void { this.exports.persia_event(); }

  private bytes(ptr: number, len: number): Buffer {
    return Buffer.from(new Uint8Array(this.memory.buffer, ptr, len));
  }
  private put(ptr: number, data: Uint8Array): void {
    new Uint8Array(this.memory.buffer, ptr, data.length).set(data);
  }
  private get disks(): Buffer[] {
    return this.opts.disks ?? (this.opts.disk ? [this.opts.disk] : []);
  }
  private disk(h: number): Buffer | undefined { return this.disks[h - DISK_HANDLE]; }
  private extent(h: number, lo: number, hi: number, len: number): number | null {
    const off = (hi >>> 0) * 2 ** 32 + (lo >>> 0);
    const d = this.disk(h);
    if (!d) return null;
    return off + len <= d.length ? off : null;
  }

  private syscalls(): Record<string, Function> {
    const o = this.opts;
    return {
      recv: (ptr: number, cap: number) => {
        const p = this.queue[0];
        if (!p) return -Errno.EAGAIN;
        if (p.length > cap) return -Errno.EMSGSIZE;   // as the kernel: it stays queued
        this.queue.shift();
        this.put(ptr, p);
        return p.length;
      },
      send: (ptr: number, len: number) => {
        const p = this.bytes(ptr, len);
        this.sent.push(p);
        return o.send ? o.send(p) : 0;
      },
      // The batched pair, as the kernel lays out their records (abi/kernel.ts REC_*).
      recv_many: (ptr: number, cap: number) => {
        let off = 0, n = 0;
        while (this.queue[0] && recSize(this.queue[0].length) <= cap - off) {
          const p = this.queue.shift()!;
          const rec = Buffer.alloc(recSize(p.length));
          rec.writeUInt16LE(p.length, REC_LEN);
          rec.set(p, REC_HDR);
          this.put(ptr + off, rec);
          off += rec.length; n++;
        }
        if (n > 0) return n;
        return this.queue[0] ? -Errno.EMSGSIZE : -Errno.EAGAIN;
      },
      send_many: (ptr: number, len: number) => {
        const all = this.bytes(ptr, len);
        let off = 0, n = 0;
        while (off + REC_HDR <= len) {
          const plen = all.readUInt16LE(off + REC_LEN);
          if (plen === 0 || off + REC_HDR + plen > len) return -Errno.EINVAL;
          const p = Buffer.from(all.subarray(off + REC_HDR, off + REC_HDR + plen));
          this.sent.push(p);
          if (o.send) o.send(p);
          off += recSize(plen); n++;
        }
        return n;
      },
      addr: (i: number, ptr: number) => {
        const a = o.addrs?.[i];
        if (a === undefined) return -Errno.ENOENT;
        this.put(ptr, Buffer.from(a, "hex"));
        return 0;
      },
      resolve: (name: number, len: number, out: number) => {
        const a = o.names?.[this.bytes(name, len).toString("utf8")];
        if (a === undefined) return -Errno.ENOENT;
        this.put(out, Buffer.from(a, "hex"));
        return 0;
      },
      log: (ptr: number, len: number) => { this.logs.push(this.bytes(ptr, len).toString("utf8")); return 0; },
      clock: (ptr: number) => {
        new DataView(this.memory.buffer).setBigInt64(ptr, BigInt(o.now ? o.now() : 0), true);
        return 0;
      },
      timer: (ms: number) => { this.timers.push(ms); return 0; },
      cap_find: (kind: number, index: number) =>
        kind === CapKind.DISK && index >= 0 && index < this.disks.length ? DISK_HANDLE + index : -Errno.ENOENT,
      cap_info: (h: number, ptr: number) => {
        const d = this.disk(h);
        if (!d) return -Errno.EBADF;
        const v = new DataView(this.memory.buffer, ptr, CAPINFO_SIZE);
        v.setUint8(CAPINFO_KIND, CapKind.DISK);
        v.setUint8(CAPINFO_RIGHTS, RIGHT_READ | RIGHT_WRITE);
        v.setUint16(CAPINFO_OBJECT, o.diskIds?.[h - DISK_HANDLE] ?? h - DISK_HANDLE, true);
        v.setBigUint64(CAPINFO_EXT_LEN, BigInt(d.length), true);
        return 0;
      },
      disk_read: (h: number, lo: number, hi: number, ptr: number, len: number) => {
        const off = this.extent(h, lo, hi, len);
        if (off === null) return -Errno.ERANGE;
        const f = o.fault?.(h - DISK_HANDLE, "read", off);
        if (f !== undefined && f < 0) return f;
        this.put(ptr, this.disk(h)!.subarray(off, off + len));
        return len;
      },
      disk_write: (h: number, lo: number, hi: number, ptr: number, len: number) => {
        const off = this.extent(h, lo, hi, len);
        if (off === null) return -Errno.ERANGE;
        const data = this.bytes(ptr, len);
        const f = o.fault?.(h - DISK_HANDLE, "write", off, data);
        if (f !== undefined && f < 0) return f;
        const n = f === undefined ? len : Math.min(f, len);
        data.subarray(0, n).copy(this.disk(h)!, off);
        return n;
      },
      disk_flush: (h: number) => {
        if (!this.disk(h)) return -Errno.EBADF;
        const f = o.fault?.(h - DISK_HANDLE, "flush", 0);
        if (f !== undefined && f < 0) return f;
        this.flushes++;
        return 0;
      },
    };
  }
}
