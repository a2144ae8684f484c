// A disk the kernel reads and writes by byte offset, backed by a regular file or a block
// device. Opening creates a missing file at the configured size (sparse) and refuses an
// existing one that is smaller; it never truncates. Reads and writes go straight between
// the file and kernel memory (positional fs.readSync/fs.writeSync, no copies) and are
// bounds-checked against the configured size and the memory view.
// The operator's hardware operations (spec/hosts.md "Disks"), as mdadm --fail/--remove/--add
// and dm-error give them on Linux: detach() closes the device and every call then fails with
// -ENODEV; attach() opens the same or another file or device, checked as at start; fault()
// makes every call fail with -EIO while on. The kernel's grants never change. A failed
// fsync is sticky: Linux may drop the dirty pages it could not write and mark them clean,
// so later reads could return old bytes as if nothing failed; every later call of that
// disk fails with -EIO until the operator detaches and attaches it.
// Does not check extents or rights (the kernel grants and checks extents) and has no cache.
// Used by node.ts for the disk_read, disk_write and disk_flush host imports and `persia disk`.
import * as fs from "fs";
import { Errno } from "../../abi/errno";
import { inRange } from "./memview";

export interface DiskOptions {
  /** Disk id in the boot manifest (its DISK record). */
  id: number;
  /** A regular file (created if missing) or a block device. */
  path: string;
  /** The disk's size in bytes, from the boot manifest. */
  size: bigint;
}

/** Largest offset handled as a plain number (2^53 bytes is 8 PiB). */
const OFFSET_MAX = BigInt(Number.MAX_SAFE_INTEGER);

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Linux: a block device's size from /sys/dev/block/MAJOR:MINOR/size, in 512-byte sectors. */
function blockDeviceBytes(rdev: bigint, path: string): bigint {
  const sysfs = `/sys/dev/block/${majorMinor(rdev)}/size`;
  try {
    return BigInt(fs.readFileSync(sysfs, "utf8").trim()) * 512n;
  } catch (e) {
    throw new Error(`cannot tell the size of block device ${path}: reading ${sysfs} failed (${errorText(e)})`);
  }
}

/** A block device's major:minor from its rdev (Linux's encoding). */
function majorMinor(rdev: bigint): string {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/** What a disk is, for telling two disks apart: `own` names the file or device and what it
 *  is an alias of (a loop device's backing file), `parent` the whole disk a partition lies
 *  on. Two disks clash if they share an own name, or one's own name is the other's parent. */
export interface DiskIdentity { own: string[]; parent: string | null }

export function identityOf(st: fs.BigIntStats): DiskIdentity {
  if (!st.isBlockDevice()) return { own: [`file ${st.dev}:${st.ino}`], parent: null };
  const mm = majorMinor(st.rdev);
  const own = [`block ${mm}`];
  let parent: string | null = null;
  const sys = `/sys/dev/block/${mm}`;
  try {   // a loop device is its backing file
    const backing = fs.readFileSync(`${sys}/loop/backing_file`, "utf8").trim();
    const b = fs.statSync(backing, { bigint: true });
    own.push(`file ${b.dev}:${b.ino}`);
  } catch { /* not a loop device, or its file is gone */ }
  try {   // a partition lies on the disk one directory up in sysfs
    if (fs.existsSync(`${sys}/partition`)) parent = `block ${fs.readFileSync(`${fs.realpathSync(sys)}/../dev`, "utf8").trim()}`;
  } catch { /* no parent found: compared by itself only */ }
  return { own, parent };
}

/** Whether two disks' identities name the same bytes (or one contains the other). */
export function clash(a: DiskIdentity, b: DiskIdentity): boolean {
  return a.own.some((x) => b.own.includes(x)) || (a.parent !== null && b.own.includes(a.parent)) ||
    (b.parent !== null && a.own.includes(b.parent));
}

function openOrCreate(o: DiskOptions, create: boolean): { fd: number; created: boolean } {
  const where = `disk ${o.id}: ${o.path}`;
  let block = false;
  try { block = fs.statSync(o.path).isBlockDevice(); } catch { /* missing: below */ }
  try {
    // A block device exclusively (O_EXCL): Linux refuses it while a filesystem on it is
    // mounted or another program holds it so (EBUSY).
    return { fd: fs.openSync(o.path, block ? fs.constants.O_RDWR | fs.constants.O_EXCL : "r+"), created: false };
  } catch (e) {
    if (block && (e as NodeJS.ErrnoException).code === "EBUSY") {
      throw new Error(`${where} is in use: a filesystem on it is mounted, or another program (or disk) holds it exclusively; ` +
        `unmount it or stop that program first (findmnt --source ${o.path}; lsof ${o.path})`);
    }
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new Error(`${where} cannot be opened for reading and writing: ${errorText(e)}`);
    }
    if (!create) {
      throw new Error(`${where} does not exist; attach never creates a disk: give an existing file or block device ` +
        `(for a file: truncate -s ${o.size} ${o.path})`);
    }
  }
  try {
    const fd = fs.openSync(o.path, "wx+");
    fs.ftruncateSync(fd, Number(o.size));
    return { fd, created: true };
  } catch (e) {
    throw new Error(`${where} does not exist and cannot be created: ${errorText(e)}`);
  }
}

/** Opens o.path and checks it is a file or block device of at least o.size bytes. Returns
 *  the fd and what identifies the file (device and inode; a block device's own number). */
function openChecked(o: DiskOptions, create: boolean): { fd: number; created: boolean; identity: string; ident: DiskIdentity } {
  const { fd, created } = openOrCreate(o, create);
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    if (!st.isFile() && !st.isBlockDevice()) throw new Error(`disk ${o.id}: ${o.path} is neither a regular file nor a block device`);
    const actual = st.isBlockDevice() ? blockDeviceBytes(st.rdev, o.path) : st.size;
    if (actual < o.size) {
      throw new Error(`disk ${o.id}: ${o.path} holds ${actual} bytes, but the boot manifest gives this disk ${o.size}. ` +
        `PersiaOS never grows or truncates an existing disk: enlarge it (for a file: truncate -s ${o.size} ${o.path}) ` +
        `or configure a size of at most ${actual}.`);
    }
    const ident = identityOf(st);
    return { fd, created, identity: ident.own[0], ident };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/** Host-side counts of one disk, shown by `persia status` (spec/observe.md). */
export interface DiskCounters {
  reads: number;
  writes: number;
  flushes: number;
  /** Calls answered -EIO: an injected fault or a failed system call. */
  io_errors: number;
  /** Calls answered -ENODEV while detached. */
  detached_calls: number;
  detaches: number;
  attaches: number;
}

export class DiskFile {
  readonly id: number;
  /** The file or device now attached, or the last one while detached. */
  path: string;
  readonly size: bigint;
  /** True if open() created the file. */
  readonly created: boolean;
  /** What identifies the open file (device and inode, or a block device's number); "" while detached. */
  identity: string;
  /** What the disk is or was (kept while detached: its device may come back), for clash(). */
  ident: DiskIdentity;
  /** Told about I/O errors, once per change of message. */
  onError: ((message: string) => void) | null = null;
  readonly counters: DiskCounters = { reads: 0, writes: 0, flushes: 0, io_errors: 0, detached_calls: 0, detaches: 0, attaches: 0 };
  private readonly sizeBytes: number;
  private fd: number;
  private faulty = false;
  /** Why a flush failed: every call fails with -EIO until detach + attach, "" if none did. */
  private broken = "";
  private lastError = "";

  private constructor(o: DiskOptions, fd: number, created: boolean, identity: string, ident: DiskIdentity) {
    this.id = o.id;
    this.path = o.path;
    this.size = o.size;
    this.sizeBytes = Number(o.size);
    this.fd = fd;
    this.created = created;
    this.identity = identity;
    this.ident = ident;
  }

  /** Opens (or creates) the backing file or device. Throws with a message saying what to
   *  change if it cannot be used. */
  static open(o: DiskOptions): DiskFile {
    if (o.size < 0n || o.size > OFFSET_MAX) throw new RangeError(`disk ${o.id}: size ${o.size} is out of range`);
    const { fd, created, identity, ident } = openChecked(o, true);
    return new DiskFile(o, fd, created, identity, ident);
  }

  /** "attached", "detached", "faulty" (attached, with errors injected), or "failed" (a
   *  flush failed: every call fails until detach + attach). */
  get state(): "attached" | "detached" | "faulty" | "failed" {
    return this.fd < 0 ? "detached" : this.broken !== "" ? "failed" : this.faulty ? "faulty" : "attached";
  }

  /** Closes the device, as a failed disk's removal; every call now answers -ENODEV. */
  detach(): void {
    if (this.fd < 0) throw new Error(`disk ${this.id} is already detached (it was ${this.path})`);
    const fd = this.fd;
    this.fd = -1;
    this.identity = "";
    this.counters.detaches++;
    fs.closeSync(fd);
  }

  /** Opens `path` (default: the last one) in place of a detached device, checked as at start
   *  but never created. `inUse(ident)` names another disk (attached or detached) or a file
   *  the node runs from that is the same file or device, or null. Throws a sentence saying
   *  what to do. */
  attach(path: string | undefined, inUse: (ident: DiskIdentity) => string | null): void {
    if (this.fd >= 0) {
      throw new Error(`disk ${this.id} is attached to ${this.path}; detach it first (persia disk <node> detach ${this.id})`);
    }
    const o = { id: this.id, path: path ?? this.path, size: this.size };
    const { fd, identity, ident } = openChecked(o, false);
    const other = inUse(ident);
    if (other !== null) {
      fs.closeSync(fd);
      throw new Error(`disk ${this.id}: ${o.path} is (or lies on, or holds) the file or device of ${other}; ` +
        `a disk never shares bytes with another disk or the node's own files: attach another one`);
    }
    this.fd = fd;
    this.path = o.path;
    this.identity = identity;
    this.ident = ident;
    this.lastError = "";
    this.broken = "";
    this.counters.attaches++;
  }

  /** Injects I/O errors: while on, every read, write and flush answers -EIO. */
  fault(on: boolean): void {
    this.faulty = on;
    this.lastError = "";
  }

  /** Reads [off, +len) of the disk into memory[ptr, +len). Bytes read, or -Errno. */
  read(off: bigint, memory: Uint8Array, ptr: number, len: number): number {
    this.counters.reads++;
    const at = this.check(off, memory, ptr, len);
    if (at < 0) return at;
    ptr >>>= 0;
    len >>>= 0;
    try {
      let done = 0;
      while (done < len) {
        const n = fs.readSync(this.fd, memory, ptr + done, len - done, at + done);
        if (n === 0) break;
        done += n;
      }
      return done;
    } catch (e) {
      return this.failed("read", e);
    }
  }

  /** Writes memory[ptr, +len) to [off, +len) of the disk. Bytes written, or -Errno. */
  write(off: bigint, memory: Uint8Array, ptr: number, len: number): number {
    this.counters.writes++;
    const at = this.check(off, memory, ptr, len);
    if (at < 0) return at;
    ptr >>>= 0;
    len >>>= 0;
    try {
      let done = 0;
      while (done < len) done += fs.writeSync(this.fd, memory, ptr + done, len - done, at + done);
      return done;
    } catch (e) {
      return this.failed("write", e);
    }
  }

  /** Makes earlier writes durable (fsync). 0, -Errno.EIO, or -Errno.ENODEV while detached. */
  flush(): number {
    this.counters.flushes++;
    const down = this.unavailable();
    if (down < 0) return down;
    try {
      fs.fsyncSync(this.fd);
      return 0;
    } catch (e) {
      return this.failed("flush", e);
    }
  }

  close(): void {
    if (this.fd < 0) return;
    fs.closeSync(this.fd);
    this.fd = -1;
  }

  /** The disk offset as a number, or -ERANGE (outside the disk), -EFAULT (outside memory),
   *  -ENODEV (detached) or -EIO (a fault injected). */
  private check(off: bigint, memory: Uint8Array, ptr: number, len: number): number {
    if (off < 0n || off > OFFSET_MAX) return -Errno.ERANGE;
    const at = Number(off);
    if (at + (len >>> 0) > this.sizeBytes) return -Errno.ERANGE;
    if (!inRange(ptr, len, memory.length)) return -Errno.EFAULT;
    const down = this.unavailable();
    return down < 0 ? down : at;
  }

  /** -ENODEV while detached, -EIO while a fault is injected, else 0. */
  private unavailable(): number {
    if (this.fd < 0) {
      this.counters.detached_calls++;
      return -Errno.ENODEV;
    }
    if (this.faulty || this.broken !== "") {
      this.counters.io_errors++;
      return -Errno.EIO;
    }
    return 0;
  }

  private failed(op: string, e: unknown): number {
    this.counters.io_errors++;
    let message = `disk ${this.id} (${this.path}): ${op} failed: ${errorText(e)}`;
    if (op === "flush") {
      // Sticky (see the head): the writes since the last good flush may be lost.
      message += `; writes since the last flush may be lost, so every read, write and flush of disk ${this.id} ` +
        `now fails with EIO until the operator detaches and attaches it (persia disk <node> detach ${this.id}, then attach)`;
      this.broken = message;
    }
    if (message !== this.lastError) {
      this.lastError = message;
      this.onError?.(message);
    }
    return -Errno.EIO;
  }
}
