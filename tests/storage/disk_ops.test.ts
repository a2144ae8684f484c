// The operator's disk operations (spec/hosts.md "Disks"): DiskFile's detach, attach and
// fault, each call's answer in every state, the refusals (a missing, small or shared
// replacement; attaching twice), and the whole way from `persia disk` over the status
// socket to a running node whose kv service loses its disk, gets errors, and gets it back —
// with the node's log lines, the status's disk rows and the socket's 0600 mode.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFile } from "child_process";
import { Errno } from "../../abi/errno";
import { DiskFile } from "../../hosts/node/disk";
import { diskOperation } from "../../hosts/node/disk_ops";
import { parseManifest } from "../../loader/manifest";
import { parseAddr, parseMac } from "../../loader/ip6";
import { launch } from "../../hosts/node/launch";
import { ROOT } from "../../hosts/node/paths";
import { Peer } from "../../cli/peer/peer";
import { missing, sh, skipOrFail } from "../e2e/linux";
import { formatStatus } from "../../loader/status/format";
import * as P from "../../cli/peer/packets";

const SIZE = 64n << 10n;

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "persia-diskops-"));
}

test("detach: every call answers ENODEV until attach; the same file comes back with its data", () => {
  const dir = tempDir();
  const disk = DiskFile.open({ id: 0, path: path.join(dir, "a.img"), size: SIZE });
  const mem = new Uint8Array(16).fill(9);
  assert.equal(disk.write(100n, mem, 0, 16), 16);
  disk.detach();
  assert.equal(disk.state, "detached");
  assert.equal(disk.read(0n, mem, 0, 16), -Errno.ENODEV);
  assert.equal(disk.write(0n, mem, 0, 16), -Errno.ENODEV);
  assert.equal(disk.flush(), -Errno.ENODEV);
  assert.equal(disk.counters.detached_calls, 3);
  assert.equal(disk.read(SIZE, mem, 0, 16), -Errno.ERANGE, "a range outside the disk is still ERANGE");
  assert.throws(() => disk.detach(), /disk 0 is already detached/);
  disk.attach(undefined, () => null);
  assert.equal(disk.state, "attached");
  const back = new Uint8Array(16);
  assert.equal(disk.read(100n, back, 0, 16), 16);
  assert.deepEqual(back, mem);
  assert.throws(() => disk.attach(undefined, () => null), /disk 0 is attached to .*; detach it first/);
  disk.close();
});

test("attach refuses a missing, a smaller, a directory or another disk's file, and stays detached", () => {
  const dir = tempDir();
  const disk = DiskFile.open({ id: 1, path: path.join(dir, "a.img"), size: SIZE });
  disk.detach();
  assert.throws(() => disk.attach(path.join(dir, "none.img"), () => null), /disk 1: .*none\.img does not exist; attach never creates/);
  assert.equal(fs.existsSync(path.join(dir, "none.img")), false);
  fs.writeFileSync(path.join(dir, "small.img"), Buffer.alloc(1000));
  assert.throws(() => disk.attach(path.join(dir, "small.img"), () => null), /holds 1000 bytes, but the boot manifest gives this disk 65536/);
  assert.throws(() => disk.attach(dir, () => null), /neither a regular file nor a block device|cannot be opened/);
  fs.writeFileSync(path.join(dir, "b.img"), Buffer.alloc(Number(SIZE)));
  assert.throws(() => disk.attach(path.join(dir, "b.img"), () => "disk 0 (x)"), /b\.img is \(or lies on, or holds\) the file or device of disk 0 \(x\); a disk never shares bytes/);
  assert.equal(disk.state, "detached");
  assert.equal(disk.counters.attaches, 0);
  disk.attach(path.join(dir, "b.img"), () => null);
  assert.equal(disk.path, path.join(dir, "b.img"));
  disk.close();
});

test("fault error: every call answers EIO and touches nothing; fault off ends it", () => {
  const dir = tempDir();
  const file = path.join(dir, "a.img");
  const disk = DiskFile.open({ id: 0, path: file, size: SIZE });
  const mem = new Uint8Array(8).fill(7);
  disk.fault(true);
  assert.equal(disk.state, "faulty");
  assert.equal(disk.write(0n, mem, 0, 8), -Errno.EIO);
  assert.equal(disk.read(0n, mem, 0, 8), -Errno.EIO);
  assert.equal(disk.flush(), -Errno.EIO);
  assert.equal(disk.counters.io_errors, 3);
  assert.deepEqual([...fs.readFileSync(file).subarray(0, 8)], new Array(8).fill(0), "the failed write did not reach the file");
  disk.fault(false);
  assert.equal(disk.write(0n, mem, 0, 8), 8);
  assert.equal(disk.flush(), 0);
  disk.close();
});

test("a failed fsync is sticky: every later read, write and flush answers EIO until detach and attach", () => {
  const dir = tempDir();
  const file = path.join(dir, "a.img");
  const disk = DiskFile.open({ id: 0, path: file, size: SIZE });
  const errors: string[] = [];
  disk.onError = (m) => errors.push(m);
  const mem = new Uint8Array(8).fill(7);
  assert.equal(disk.write(0n, mem, 0, 8), 8);
  // A real failing fsync: the disk's descriptor closed under it (EBADF) ...
  const fd = (disk as unknown as { fd: number }).fd;
  fs.closeSync(fd);
  assert.equal(disk.flush(), -Errno.EIO);
  // ... then the same number reopened on a healthy file, so only the stickiness fails calls.
  const healthy = fs.openSync(path.join(dir, "healthy.img"), "w+");
  fs.ftruncateSync(healthy, Number(SIZE));
  assert.equal(healthy, fd, "the descriptor number was reused");
  assert.equal(disk.state, "failed");
  assert.equal(disk.read(0n, mem, 0, 8), -Errno.EIO);
  assert.equal(disk.write(0n, mem, 0, 8), -Errno.EIO);
  assert.equal(disk.flush(), -Errno.EIO);
  assert.equal(disk.counters.io_errors, 4);
  assert.equal(errors.length, 1);
  assert.match(errors[0], /^disk 0 \(.*a\.img\): flush failed: .*every read, write and flush of disk 0 now fails with EIO until the operator detaches and attaches it/);
  disk.fault(false);
  assert.equal(disk.read(0n, mem, 0, 8), -Errno.EIO, "fault off does not end it");
  disk.detach();                                  // closes the reused descriptor
  disk.attach(undefined, () => null);
  assert.equal(disk.state, "attached");
  assert.equal(disk.read(0n, mem, 0, 8), 8);
  assert.equal(disk.flush(), 0);
  disk.close();
});

test("attach refuses another disk's file while that disk is detached too, and the node's own files", () => {
  const dir = tempDir();
  const a = DiskFile.open({ id: 0, path: path.join(dir, "a.img"), size: SIZE });
  const b = DiskFile.open({ id: 1, path: path.join(dir, "b.img"), size: SIZE });
  const own = path.join(dir, "node.yaml");
  fs.writeFileSync(own, Buffer.alloc(Number(SIZE)));
  const names = new Map([[0, "a"], [1, "b"]]);
  const op = (line: string) => diskOperation(line, [a, b], names, [own]);
  assert.ok(op("disk b detach").ok);
  assert.ok(op("disk a detach").ok);
  const r = op(`disk a attach ${path.join(dir, "b.img")}`);
  assert.equal(r.ok, false);
  assert.match(r.message, /b\.img is \(or lies on, or holds\) the file or device of disk 1 \(b\), detached; a disk never shares bytes/);
  fs.linkSync(path.join(dir, "b.img"), path.join(dir, "b-alias.img"));   // another name, the same file
  assert.match(op(`disk a attach ${path.join(dir, "b-alias.img")}`).message, /disk 1 \(b\), detached/);
  assert.match(op(`disk a attach ${own}`).message, /the node's own file .*node\.yaml/);
  assert.equal(a.state, "detached");
  assert.ok(op("disk a attach").ok, "its own file again");
  assert.ok(op("disk b attach").ok);
  a.close();
  b.close();
});

const loopWhy = missing(["losetup"]);
test("attach refuses a loop device over another disk's file, and a block device held exclusively (as a mounted one is)", { skip: skipOrFail(loopWhy) }, () => {
  const dir = tempDir();
  const a = DiskFile.open({ id: 0, path: path.join(dir, "a.img"), size: SIZE });
  const b = DiskFile.open({ id: 1, path: path.join(dir, "b.img"), size: SIZE });
  fs.writeFileSync(path.join(dir, "c.img"), Buffer.alloc(Number(SIZE)));
  const loops = [sh(`losetup --find --show ${path.join(dir, "b.img")}`).trim(), sh(`losetup --find --show ${path.join(dir, "c.img")}`).trim()];
  const names = new Map([[0, "a"], [1, "b"]]);
  const op = (line: string) => diskOperation(line, [a, b], names);
  let held = -1;
  try {
    assert.ok(op("disk a detach").ok);
    assert.match(op(`disk a attach ${loops[0]}`).message, /is \(or lies on, or holds\) the file or device of disk 1 \(b\)/, "a loop device is its backing file");
    held = fs.openSync(loops[1], fs.constants.O_RDWR | fs.constants.O_EXCL);
    assert.match(op(`disk a attach ${loops[1]}`).message, /is in use: a filesystem on it is mounted, or another program \(or disk\) holds it exclusively/);
    fs.closeSync(held);
    held = -1;
    assert.ok(op(`disk a attach ${loops[1]}`).ok, "free again");
    assert.throws(() => fs.openSync(loops[1], fs.constants.O_RDWR | fs.constants.O_EXCL), /EBUSY/, "the disk holds it exclusively");
  } finally {
    if (held >= 0) fs.closeSync(held);
    a.close();
    b.close();
    for (const l of loops) sh(`losetup -d ${l}`, { allowFail: true });
  }
});

test("diskOperation parses, finds disks by name or id, and answers every mistake with a sentence", () => {
  const dir = tempDir();
  const a = DiskFile.open({ id: 0, path: path.join(dir, "a.img"), size: SIZE });
  const b = DiskFile.open({ id: 1, path: path.join(dir, "b.img"), size: SIZE });
  const names = new Map([[0, "a"], [1, "b"]]);
  const op = (line: string) => diskOperation(line, [a, b], names);
  assert.match(op("disk c detach").message, /no disk "c"; its disks are a, b/);
  assert.match(op("disk a explode").message, /not a disk operation/);
  assert.match(op("disk a detach now").message, /detach takes no argument/);
  assert.match(op("disk a fault maybe").message, /fault takes "error" .* or "off"; got "maybe"/);
  assert.match(op("disk a attach rel/path").message, /absolute path/);
  const d = op("disk 1 detach");
  assert.deepEqual([d.ok, d.disk, d.state], [true, 1, "detached"]);
  assert.match(d.message, /^disk 1 \(b\) is detached: .*b\.img is closed, and every read, write and flush of it now fails with ENODEV/);
  const shared = op(`disk b attach ${path.join(dir, "a.img")}`);
  assert.equal(shared.ok, false);
  assert.match(shared.message, /a\.img is \(or lies on, or holds\) the file or device of disk 0 \(a\); a disk never shares bytes/);
  assert.equal(op("disk b attach").ok, true);
  assert.equal(op("disk a fault error").state, "faulty");
  assert.equal(op("disk a fault off").state, "attached");
  a.close();
  b.close();
});

const KV = parseAddr("fd00:5ab2:1::8");
const ME = parseAddr("fd00:5ab2:1::100");
const enc = new TextEncoder(), dec = new TextDecoder();

function persiaDisk(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, "build/ts/cli/cli.js"), "disk", ...args], (e, out, err) =>
      resolve({ code: e ? (typeof e.code === "number" ? e.code : 1) : 0, out, err }));
  });
}

test("persia disk over the status socket: kv loses its disk, gets errors, and gets it (or a copy) back", { timeout: 60000 }, async () => {
  const dir = tempDir();
  const file = path.join(dir, "data.img");
  const yaml = `
node: { name: ops.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"] }
disks:
  - { name: data, path: ${file}, size: 1MiB }
services:
  - { domain: kv.sabz.city, module: ${path.join(ROOT, "build/wasm/services/kv.wasm")}, addresses: ["fd00:5ab2:1::8"],
      ram: { min: 64KiB, max: 2MiB }, disk: [{ device: data, length: 1MiB, rights: [read, write] }] }
`;
  const lines: string[] = [];
  const r = await launch(parseManifest(yaml, "ops.yaml", ROOT), { log: (_l, line) => lines.push(line) });
  const sock = path.join(dir, "ops.sabz.city.sock");
  await r.node.statusServer(sock);
  const peer = new Peer(r.peers.get(0)!, parseMac("02:00:00:00:00:99"), ME);
  try {
    assert.equal(fs.statSync(sock).mode & 0o777, 0o600, "the socket that takes disk operations is its owner's and root's only");
    const mac = await peer.resolve(KV);
    assert.ok(mac, "kv answers neighbor discovery");
    let port = 42000;
    const ask = async (req: string): Promise<string> => {
      const p = port++;
      peer.sendIp(mac!, P.udp(ME, KV, p, 7070, enc.encode(req)));
      const a = await peer.expect((x) => x.dport === p && x.sport === 7070, 3000);
      return a ? dec.decode(a.data) : "(no reply)";
    };
    const disk = (...args: string[]) => persiaDisk([...args, "--socket", sock]);
    assert.equal(await ask("PUT k1 before"), "OK");

    const det = await disk("ops.sabz.city", "detach", "data");
    assert.equal(det.code, 0, det.err);
    assert.match(det.out, /^disk 0 \(data\) is detached: .*data\.img is closed/);
    assert.ok(lines.some((l) => /^operator: disk 0 \(data\) is detached/.test(l)), "the node logs the operation");
    assert.match(await ask("PUT k1 during"), /^ERR /, "a PUT with the disk gone is an error for the client");
    assert.equal(r.node.status().host!.disks![0].state, "detached");

    // A replacement: a copy of the file (as a rebuilt disk would be), attached by path.
    const copy = path.join(dir, "copy.img");
    fs.copyFileSync(file, copy);
    const att = await disk("ops.sabz.city", "attach", "data", copy);
    assert.equal(att.code, 0, att.err);
    assert.match(att.out, /^disk 0 \(data\) is attached to .*copy\.img \(1048576 bytes checked\)/);
    assert.equal(await ask("GET k1"), "VALUE before");
    assert.equal(await ask("PUT k2 after"), "OK");
    assert.ok(fs.readFileSync(copy).includes(Buffer.from("after")), "writes reach the replacement");
    assert.ok(!fs.readFileSync(file).includes(Buffer.from("after")), "and not the old file");

    const flt = await disk("ops.sabz.city", "fault", "0", "error");
    assert.equal(flt.code, 0, flt.err);
    assert.match(flt.out, /fails every read, write and flush with EIO/);
    assert.match(await ask("PUT k3 x"), /^ERR /);
    assert.equal((await disk("ops.sabz.city", "fault", "data", "off")).code, 0);
    assert.equal(await ask("PUT k3 y"), "OK");
    const st = r.node.status().host!.disks![0];
    assert.equal(st.state, "attached");
    assert.ok(st.counters.io_errors >= 1 && st.counters.detached_calls >= 1 && st.counters.attaches === 1, JSON.stringify(st));

    assert.match(formatStatus(r.node.status()), /Host disks\n.*DISK +NAME +STATE +PATH +COUNTERS\n.*0 +data +attached +\S*copy\.img +reads=\d+ .*attaches=1/,
      "persia status shows the disk's state, path and counters");
    const bad = await disk("ops.sabz.city", "detach", "nosuch");
    assert.equal(bad.code, 1);
    assert.match(bad.err, /persia: this node has no disk "nosuch"; its disks are data/);
    const twice = await disk("ops.sabz.city", "attach", "data");
    assert.equal(twice.code, 1);
    assert.match(twice.err, /disk 0 is attached to .*copy\.img; detach it first/);
  } finally {
    peer.close();
    r.node.stop();
  }
});
