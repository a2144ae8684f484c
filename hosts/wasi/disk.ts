// The node's disks as files in directories wasmtime preopened (`--dir <dir>`), and the
// kernel's disk_read, disk_write and disk_flush over them: positional WASI reads and writes
// in chunks of DISK_CHUNK bytes. As hosts/node/disk.ts: past the disk's size (its boot
// manifest DISK record) is -ERANGE, a range outside kernel memory -EFAULT (checked before
// any byte moves), a read past the end of the file returns what there is, and any
// filesystem error is -EIO, reported once per change. The preopen holding a disk is the
// one whose name is the longest whole-directory prefix of its path, else "." for a
// relative path and "/" for an absolute one (pathMatch). A missing file is created at the
// disk's size (sparse), as the Node host creates it; a disk that cannot be opened or
// created stops the run with a line naming the disk, its path and what to do.
// Does not create directories, grow or truncate an existing file, nor check a file's size
// (abi/wasi.ts has no stat). Used by main.ts.
import { wasi_get_directories, wasi_open_at, wasi_fd_read, wasi_fd_write, wasi_fd_sync, glue_k_read, glue_k_write } from "../../abi/gen/shim";
import { Errno } from "../../abi/errno";
import { IMG_DISK_ID, IMG_DISK_PATH, IMG_DISK_PATH_LEN } from "../../abi/image";
import { DISK_MAX } from "../../abi/limits";
import {
  LIST_PTR, LIST_LEN, DIR_HANDLE, DIR_NAME, DIR_SIZE, RES_TAG, TAG_OK, RES_AT4, RES_AT8, RES_ERR_AT1,
  PATH_SYMLINK_FOLLOW, OPEN_NONE, OPEN_CREATE, OPEN_EXCLUSIVE, DESC_READ, DESC_WRITE, FD_READ_DATA, FD_READ_EOF,
  FS_NO_ENTRY, FS_ACCESS, FS_IO,
} from "./cabi";
import { arenaMark, arenaRelease, RET } from "./arena";
import { diskCount, diskRecord, bootDiskSize } from "./config";
import { kernelHas } from "./host";
import { fsErrorName } from "./names";
import { note, hostLine } from "./out";

const DISK_CHUNK: i32 = 65536;      // bytes per read or write call (the arena holds one read)
const CHUNK: usize = memory.data(DISK_CHUNK, 16);
const ZERO: usize = memory.data(8, 8);   // the byte that gives a created file its size

@unmanaged class Disk {
  id: u32;
  fd: i32;          // own<descriptor>
  size: i64;        // bytes, from the boot manifest
  rec: usize;       // the configuration's disk record (for its path)
  lastError: i32;   // op * 256 + error code of the last reported failure, -1 for none
}
const DISKS: usize = memory.data(DISK_MAX * offsetof<Disk>(), 8);
const READ = 0, WRITE = 1, FLUSH = 2;

function disk(index: i32): Disk { return changetype<Disk>(DISKS + <usize>index * offsetof<Disk>()); }

function find(id: i32): Disk | null {
  for (let i = 0; i < diskCount; i++) if (<i32>disk(i).id == id) return disk(i);
  return null;
}

function pathText(rec: usize): string {
  return String.UTF8.decodeUnsafe(rec + IMG_DISK_PATH, <usize>load<u32>(rec + IMG_DISK_PATH_LEN));
}

/** The directory part of a path, as `dirname` prints it. Allocates: for messages only. */
function dirText(path: string): string {
  let slash = path.lastIndexOf("/");
  return slash < 0 ? "." : slash == 0 ? "/" : path.substring(0, slash);
}

const SLASH: u8 = 47, DOT: u8 = 46;
let matchRest = 0;   // pathMatch's result: where the path inside the preopen starts

/** How well a preopen named [name, +nameLen) holds [path, +pathLen): -1 not at all, 0 for
 *  "." (any relative path), 1 for "/" (any absolute path), else the matched length + 1.
 *  Sets matchRest to the offset of the path relative to the preopen. */
function pathMatch(name: usize, nameLen: i32, path: usize, pathLen: i32): i32 {
  while (nameLen > 1 && load<u8>(name + nameLen - 1) == SLASH) nameLen--;
  while (nameLen >= 2 && load<u8>(name) == DOT && load<u8>(name + 1) == SLASH) { name += 2; nameLen -= 2; }
  let p = 0;
  while (pathLen - p >= 2 && load<u8>(path + p) == DOT && load<u8>(path + p + 1) == SLASH) p += 2;
  let absolute = p < pathLen && load<u8>(path + p) == SLASH;
  let score = -1;
  if (nameLen == 0 || (nameLen == 1 && load<u8>(name) == DOT)) {
    if (!absolute) { score = 0; matchRest = p; }
  } else if (nameLen == 1 && load<u8>(name) == SLASH) {
    if (absolute) { score = 1; matchRest = p + 1; }
  } else if (pathLen - p > nameLen && memory.compare(path + p, name, nameLen) == 0 && load<u8>(path + p + nameLen) == SLASH) {
    score = nameLen + 1;
    matchRest = p + nameLen + 1;
  }
  return score >= 0 && matchRest < pathLen ? score : -1;
}

/** Opens every disk of the configuration; false after printing what to change. */
export function openDisks(): bool {
  if (diskCount == 0) return true;
  let mark = arenaMark();
  wasi_get_directories(<i32>RET);
  let ok = openAll();
  arenaRelease(mark);
  return ok;
}

function openAll(): bool {
  let dirs = <usize>load<u32>(RET + LIST_PTR);
  let dirCount = load<i32>(RET + LIST_LEN);
  for (let i = 0; i < diskCount; i++) {
    let rec = diskRecord(i);
    let d = disk(i);
    d.id = load<u32>(rec + IMG_DISK_ID);
    d.rec = rec;
    d.lastError = -1;
    d.size = bootDiskSize(d.id);
    let what = "disk " + d.id.toString() + " (" + pathText(rec) + ")";
    if (d.size < 0) {
      note(what + " is in the image's configuration but its boot manifest has no DISK record for it. Build the image again with `persia image`.");
      return false;
    }
    let path = rec + IMG_DISK_PATH;
    let pathLen = <i32>load<u32>(rec + IMG_DISK_PATH_LEN);
    let best = -1, bestScore = -1, bestRest = 0;
    for (let j = 0; j < dirCount; j++) {
      let e = dirs + <usize>j * DIR_SIZE;
      let score = pathMatch(<usize>load<u32>(e + DIR_NAME + LIST_PTR), load<i32>(e + DIR_NAME + LIST_LEN), path, pathLen);
      if (score > bestScore) { best = j; bestScore = score; bestRest = matchRest; }
    }
    if (best < 0) {
      note(what + ": no directory wasmtime was given holds this path. Pass `--dir " + dirText(pathText(rec)) +
        "` to wasmtime, as the command `persia image` printed does.");
      return false;
    }
    let e = dirs + <usize>best * DIR_SIZE;
    let dir = String.UTF8.decodeUnsafe(<usize>load<u32>(e + DIR_NAME + LIST_PTR), <usize>load<u32>(e + DIR_NAME + LIST_LEN));
    if (!openFile(d, what, load<i32>(e + DIR_HANDLE), dir, path + bestRest, pathLen - bestRest)) return false;
  }
  return true;
}

/** Opens disk d's file [name, +nameLen) in the preopen `dirHandle` for reading and writing,
 *  creating a missing one (create). False after saying what failed and what to do. */
function openFile(d: Disk, what: string, dirHandle: i32, dir: string, name: usize, nameLen: i32): bool {
  wasi_open_at(dirHandle, PATH_SYMLINK_FOLLOW, <i32>name, nameLen, OPEN_NONE, DESC_READ | DESC_WRITE, <i32>RET);
  if (load<u8>(RET + RES_TAG) == TAG_OK) { d.fd = load<i32>(RET + RES_AT4); return true; }
  let code = load<u8>(RET + RES_AT4);
  if (code == FS_NO_ENTRY) return create(d, what, dirHandle, dir, name, nameLen);
  note(what + " cannot be opened for reading and writing in the directory wasmtime calls \"" + dir + "\": " +
    fsErrorName(code) + ". It must be a regular file or a block device that the user running wasmtime may read and " +
    "write (see `ls -l " + pathText(d.rec) + "`).");
  return false;
}

/** Creates disk d's missing file (exclusive: never one that exists) and gives it the disk's
 *  size with a zero written to its last byte, so it is sparse, as the Node host does. */
function create(d: Disk, what: string, dirHandle: i32, dir: string, name: usize, nameLen: i32): bool {
  let path = pathText(d.rec);
  let sizeFix = "(`truncate -s " + d.size.toString() + " " + path + "`)";
  wasi_open_at(dirHandle, PATH_SYMLINK_FOLLOW, <i32>name, nameLen, OPEN_CREATE | OPEN_EXCLUSIVE, DESC_READ | DESC_WRITE, <i32>RET);
  if (load<u8>(RET + RES_TAG) != TAG_OK) {
    let code = load<u8>(RET + RES_AT4);
    note(what + " does not exist and cannot be created in the directory wasmtime calls \"" + dir + "\": " + fsErrorName(code) + ". " +
      (code == FS_NO_ENTRY ? "Its directory is missing: run `mkdir -p " + dirText(path) + "` before wasmtime." :
        code == FS_ACCESS ? "Let the user running wasmtime write to " + dirText(path) + ", or create the disk first " + sizeFix + "." :
          "Create it first " + sizeFix + "."));
    return false;
  }
  d.fd = load<i32>(RET + RES_AT4);
  if (d.size > 0) {
    wasi_fd_write(d.fd, <i32>ZERO, 1, d.size - 1, <i32>RET);
    if (load<u8>(RET + RES_TAG) != TAG_OK) {
      note(what + " did not exist; it was created but cannot be given its size of " + d.size.toString() + " bytes: " +
        fsErrorName(load<u8>(RET + RES_AT8)) + ". Give it its size " + sizeFix + " and start wasmtime again.");
      return false;
    }
  }
  note(what + " did not exist: created it with its size in the manifest, " + d.size.toString() + " bytes (sparse)");
  return true;
}

/** The disk offset, or -ERANGE (outside the disk) or -EFAULT (outside kernel memory). */
function check(d: Disk, off: i64, ptr: i32, len: i32): i64 {
  if (off < 0 || off > d.size || <u64>(d.size - off) < <u64><u32>len) return -Errno.ERANGE;
  if (!kernelHas(ptr, len)) return -Errno.EFAULT;
  return off;
}

function failed(d: Disk, op: i32, code: u8): i32 {
  let key = op * 256 + <i32>code;
  if (key != d.lastError) {
    d.lastError = key;
    hostLine("error", "disk " + d.id.toString() + " (" + pathText(d.rec) + "): " + (op == READ ? "read" : op == WRITE ? "write" : "flush") +
      " failed: " + fsErrorName(code));
  }
  return -Errno.EIO;
}

/** disk_read: [off, +len) of the disk into kernel memory [ptr, +len); bytes read or -Errno. */
export function diskRead(id: i32, off: i64, ptr: i32, len: i32): i32 {
  let d = find(id);
  if (d === null) return -Errno.ENODEV;
  let at = check(d, off, ptr, len);
  if (at < 0) return <i32>at;
  let done = 0;
  let mark = arenaMark();
  while (done < len) {
    wasi_fd_read(d.fd, <i64>min(len - done, DISK_CHUNK), at + done, <i32>RET);
    if (load<u8>(RET + RES_TAG) != TAG_OK) { arenaRelease(mark); return failed(d, READ, load<u8>(RET + RES_AT4)); }
    let data = load<i32>(RET + FD_READ_DATA + LIST_PTR);
    let got = min(load<i32>(RET + FD_READ_DATA + LIST_LEN), len - done);
    let eof = load<u8>(RET + FD_READ_EOF) != 0;
    if (got > 0) glue_k_write(ptr + done, data, got);
    arenaRelease(mark);
    if (got <= 0) break;
    done += got;
    if (eof) break;
  }
  return done;
}

/** disk_write: kernel memory [ptr, +len) to [off, +len) of the disk; bytes written or -Errno. */
export function diskWrite(id: i32, off: i64, ptr: i32, len: i32): i32 {
  let d = find(id);
  if (d === null) return -Errno.ENODEV;
  let at = check(d, off, ptr, len);
  if (at < 0) return <i32>at;
  let done = 0;
  while (done < len) {
    let n = min(len - done, DISK_CHUNK);
    glue_k_read(<i32>CHUNK, ptr + done, n);
    let sent = 0;
    while (sent < n) {
      wasi_fd_write(d.fd, <i32>CHUNK + sent, n - sent, at + done + sent, <i32>RET);
      if (load<u8>(RET + RES_TAG) != TAG_OK) return failed(d, WRITE, load<u8>(RET + RES_AT8));
      let wrote = load<u64>(RET + RES_AT8);
      if (wrote == 0) return failed(d, WRITE, FS_IO);   // a write that makes no progress
      sent += <i32>min(wrote, <u64>(n - sent));
    }
    done += n;
  }
  return done;
}

/** disk_flush: make earlier writes durable (sync-data). 0 or -EIO. */
export function diskFlush(id: i32): i32 {
  let d = find(id);
  if (d === null) return -Errno.ENODEV;
  wasi_fd_sync(d.fd, <i32>RET);
  if (load<u8>(RET + RES_TAG) != TAG_OK) return failed(d, FLUSH, load<u8>(RET + RES_ERR_AT1));
  return 0;
}
