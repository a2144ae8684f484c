// A disk the kernel reads and writes by byte offset, backed by a regular file or a block
// device. Opening creates a missing file at the configured size (sparse) and refuses an
// existing one that is smaller; it never truncates. Reads and writes go straight between
// the file and kernel memory (positional fs.readSync/fs.writeSync, no copies) and are
// bounds-checked against the configured size and the memory view.
// Does not check extents or rights (the kernel grants and checks extents) and has no cache.
// Used by node.ts for the disk_read, disk_write and disk_flush host imports.
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
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  const sysfs = `/sys/dev/block/${major}:${minor}/size`;
  try {
    return BigInt(fs.readFileSync(sysfs, "utf8").trim()) * 512n;
  } catch (e) {
    throw new Error(`cannot tell the size of block device ${path}: reading ${sysfs} failed (${errorText(e)})`);
  }
}

function openOrCreate(o: DiskOptions): { fd: number; created: boolean } {
  const where = `disk ${o.id}: ${o.path}`;
  try {
    return { fd: fs.openSync(o.path, "r+"), created: false };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new Error(`${where} cannot be opened for reading and writing: ${errorText(e)}`);
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

export class DiskFile {
  readonly id: number;
  readonly path: string;
  readonly size: bigint;
  /** True if open() created the file. */
  readonly created: boolean;
  /** Told about I/O errors, once per change of message. */
  onError: ((message: string) => void) | null = null;
  private readonly sizeBytes: number;
  private fd: number;
  private lastError = "";

  private constructor(o: DiskOptions, fd: number, created: boolean) {
    this.id = o.id;
    this.path = o.path;
    this.size = o.size;
    this.sizeBytes = Number(o.size);
    this.fd = fd;
    this.created = created;
  }

  /** Opens (or creates) the backing file or device. Throws with a message saying what to
   *  change if it cannot be used. */
  static open(o: DiskOptions): DiskFile {
    if (o.size < 0n || o.size > OFFSET_MAX) throw new RangeError(`disk ${o.id}: size ${o.size} is out of range`);
    const { fd, created } = openOrCreate(o);
    try {
      const st = fs.fstatSync(fd, { bigint: true });
      if (!st.isFile() && !st.isBlockDevice()) throw new Error(`disk ${o.id}: ${o.path} is neither a regular file nor a block device`);
      const actual = st.isBlockDevice() ? blockDeviceBytes(st.rdev, o.path) : st.size;
      if (actual < o.size) {
        throw new Error(`disk ${o.id}: ${o.path} holds ${actual} bytes, but the boot manifest gives this disk ${o.size}. ` +
          `PersiaOS never grows or truncates an existing disk: enlarge it (for a file: truncate -s ${o.size} ${o.path}) ` +
          `or configure a size of at most ${actual}.`);
      }
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    return new DiskFile(o, fd, created);
  }

  /** Reads [off, +len) of the disk into memory[ptr, +len). Bytes read, or -Errno. */
  read(off: bigint, memory: Uint8Array, ptr: number, len: number): number {
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

  /** Makes earlier writes durable (fsync). 0 or -Errno.EIO. */
  flush(): number {
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

  /** The disk offset as a number, or -ERANGE (outside the disk) or -EFAULT (outside memory). */
  private check(off: bigint, memory: Uint8Array, ptr: number, len: number): number {
    if (off < 0n || off > OFFSET_MAX) return -Errno.ERANGE;
    const at = Number(off);
    if (at + (len >>> 0) > this.sizeBytes) return -Errno.ERANGE;
    if (!inRange(ptr, len, memory.length)) return -Errno.EFAULT;
    if (this.fd < 0) return -Errno.EIO;
    return at;
  }

  private failed(op: string, e: unknown): number {
    const message = `disk ${this.id} (${this.path}): ${op} failed: ${errorText(e)}`;
    if (message !== this.lastError) {
      this.lastError = message;
      this.onError?.(message);
    }
    return -Errno.EIO;
  }
}
