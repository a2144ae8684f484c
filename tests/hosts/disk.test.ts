// The disk backend over a file: a missing file is created at the configured size, an
// existing one is never truncated and is refused if smaller; reads and writes are
// positional, straight between the file and a memory view, and out-of-range offsets or
// memory ranges are refused with -ERANGE or -EFAULT before any I/O.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Errno } from "../../abi/errno";
import { DiskFile } from "../../hosts/node/disk";

const SIZE = 4096n;

function tempPath(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "persia-disk-")), "disk.img");
}

test("a missing file is created at the configured size, zero-filled", () => {
  const p = tempPath();
  const disk = DiskFile.open({ id: 0, path: p, size: SIZE });
  assert.equal(disk.created, true);
  assert.equal(BigInt(fs.statSync(p).size), SIZE);
  const mem = new Uint8Array(16).fill(7);
  assert.equal(disk.read(SIZE - 16n, mem, 0, 16), 16);
  assert.deepEqual([...mem], new Array(16).fill(0));
  disk.close();
});

test("an existing smaller file is refused with what to do; nothing is changed", () => {
  const p = tempPath();
  fs.writeFileSync(p, Buffer.alloc(1000, 1));
  assert.throws(() => DiskFile.open({ id: 2, path: p, size: SIZE }),
    /disk 2: .* holds 1000 bytes, but the boot manifest gives this disk 4096.*truncate -s 4096/);
  assert.equal(fs.statSync(p).size, 1000);
});

test("an existing larger file is used as is, never truncated", () => {
  const p = tempPath();
  fs.writeFileSync(p, Buffer.alloc(8192, 5));
  const disk = DiskFile.open({ id: 0, path: p, size: SIZE });
  assert.equal(disk.created, false);
  disk.close();
  assert.equal(fs.statSync(p).size, 8192);
});

test("writes and reads are positional, between the file and memory", () => {
  const p = tempPath();
  const disk = DiskFile.open({ id: 0, path: p, size: SIZE });
  const mem = new Uint8Array(64);
  mem.set([1, 2, 3, 4], 10);
  assert.equal(disk.write(1000n, mem, 10, 4), 4);
  assert.equal(disk.flush(), 0);
  assert.deepEqual([...fs.readFileSync(p).subarray(1000, 1004)], [1, 2, 3, 4]);
  assert.equal(disk.read(1001n, mem, 40, 3), 3);
  assert.deepEqual([...mem.subarray(40, 43)], [2, 3, 4]);
  disk.close();
});

test("ranges outside the disk are -ERANGE, outside memory -EFAULT", () => {
  const disk = DiskFile.open({ id: 0, path: tempPath(), size: SIZE });
  const mem = new Uint8Array(64);
  assert.equal(disk.read(SIZE - 4n, mem, 0, 8), -Errno.ERANGE, "ends past the disk");
  assert.equal(disk.write(-1n, mem, 0, 1), -Errno.ERANGE, "negative offset");
  assert.equal(disk.read(1n << 62n, mem, 0, 1), -Errno.ERANGE, "huge offset");
  assert.equal(disk.read(0n, mem, 60, 8), -Errno.EFAULT, "ends past memory");
  assert.equal(disk.read(0n, mem, -1, 1), -Errno.EFAULT, "negative pointer");
  assert.equal(disk.read(0n, mem, 0, -1), -Errno.ERANGE, "negative length is a huge length");
  assert.equal(disk.read(SIZE, mem, 0, 0), 0, "an empty read at the end is fine");
  disk.close();
  assert.equal(disk.read(0n, mem, 0, 1), -Errno.ENODEV, "closed: no device");
});

test("a path that is a directory is refused", () => {
  assert.throws(() => DiskFile.open({ id: 1, path: os.tmpdir(), size: SIZE }), /disk 1: .*(cannot be opened|neither)/);
});
