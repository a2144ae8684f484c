// kv's mirror on the real kernel under the Node host, in-process, with two disk files:
// kv is granted an extent on each; a corrupted block in one file is read right and
// repaired; the host's disk 1 is swapped for one whose every call fails with EIO, and kv
// goes on degraded; then disk 1 comes back blank (a replaced disk) and is rebuilt from
// disk 0 while requests are served, leaving the two files identical; then half of a newer
// record is written into one file, as a crash mid-PUT leaves it, and after a restart of
// the node the last acknowledged value is read and the torn slot repaired. Fast: 1 MiB
// disks, about 3 s of timers.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseManifest } from "../../loader/manifest";
import { parseAddr, parseMac } from "../../loader/ip6";
import { launch } from "../../hosts/node/launch";
import { ROOT } from "../../hosts/node/paths";
import { Peer } from "../../cli/peer/peer";
import * as P from "../../cli/peer/packets";
import { Errno } from "../../abi/errno";
import { SLOT, crc32c, records } from "./harness";

const SIZE = 1 << 20;
const KV = parseAddr("fd00:5ab2:1::8");
const ME = parseAddr("fd00:5ab2:1::100");
const enc = new TextEncoder(), dec = new TextDecoder();

type Ask = (req: string) => Promise<string>;
interface DiskLike { read: unknown; write: unknown; flush: unknown }

async function withKv(a: string, b: string,
  work: (ask: Ask, disks: DiskLike[], node: { diskOperation(line: string): { ok: boolean } }) => Promise<void>): Promise<void> {
  const yaml = `
node: { name: mirror.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"] }
disks:
  - { name: a, path: ${a}, size: 1MiB }
  - { name: b, path: ${b}, size: 1MiB }
services:
  - { domain: kv.sabz.city, module: ${path.join(ROOT, "build/wasm/services/kv.wasm")}, addresses: ["fd00:5ab2:1::8"],
      ram: { min: 64KiB, max: 1MiB },
      disk: [{ device: a, length: 1MiB, rights: [read, write] }, { device: b, length: 1MiB, rights: [read, write] }] }
`;
  const r = await launch(parseManifest(yaml, "mirror.yaml", ROOT), { log: () => {} });
  const peer = new Peer(r.peers.get(0)!, parseMac("02:00:00:00:00:99"), ME);
  try {
    const mac = await peer.resolve(KV);
    assert.ok(mac, "kv answers neighbor discovery");
    let port = 41000;
    const ask: Ask = async (req) => {
      const p = port++;
      peer.sendIp(mac!, P.udp(ME, KV, p, 7070, enc.encode(req)));
      const x = await peer.expect((y) => y.dport === p && y.sport === 7070, 2000);
      return x ? dec.decode(x.data) : "(no reply)";
    };
    // The host's disks, to fail one in place (the node keeps them in a private array).
    await work(ask, (r.node as unknown as { disks: DiskLike[] }).disks, r.node);
  } finally {
    peer.close();
    r.node.stop();
  }
}

test("mirror on two disk files: repair, EIO on one disk, a blank replacement rebuilt while serving", { timeout: 60000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-kv-mirror-"));
  const a = path.join(dir, "a.img"), b = path.join(dir, "b.img");
  try {
    await withKv(a, b, async (ask, disks) => {
      for (let i = 0; i < 40; i++) assert.equal(await ask(`PUT k${i} v${i}`), "OK");
      assert.equal(await ask("STATUS"), "STATUS mirror: both in sync; generation 1; repaired 0");
      assert.ok(fs.readFileSync(a).equals(fs.readFileSync(b)), "writes reach both files");

      // A corrupted block in file a: read from b, and a rewritten.
      const s = records(fs.readFileSync(a)).find((x) => x.key === "k7")!.slot;
      const fd = fs.openSync(a, "r+");
      fs.writeSync(fd, Buffer.alloc(100, 0xee), 0, 100, s * SLOT + 200);
      fs.closeSync(fd);
      assert.equal(await ask("GET k7"), "VALUE v7");
      assert.match(await ask("STATUS"), /repaired 1$/);
      assert.ok(fs.readFileSync(a).equals(fs.readFileSync(b)), "file a repaired");

      // Disk 1 fails: every call EIO, as the host reports a failed device.
      const d1 = disks[1];
      const saved = { read: d1.read, write: d1.write, flush: d1.flush };
      d1.read = d1.write = d1.flush = () => -Errno.EIO;
      assert.equal(await ask("PUT k1 changed"), "OK");
      assert.equal(await ask("STATUS"), "STATUS mirror: copy 1 failed; generation 2; repaired 1");
      for (let i = 40; i < 60; i++) assert.equal(await ask(`PUT k${i} v${i}`), "OK");
      assert.equal(await ask("GET k1"), "VALUE changed");

      // Replaced by a blank disk: kv's timer finds it readable and rebuilds it while serving.
      fs.writeFileSync(b, Buffer.alloc(SIZE));
      Object.assign(d1, saved);
      const seen: string[] = [];
      for (let i = 0; i < 100 && !/both in sync/.test(seen[seen.length - 1] ?? ""); i++) {
        assert.equal(await ask(`PUT live${i} x`), "OK");
        assert.equal(await ask("GET k50"), "VALUE v50");
        const st = await ask("STATUS");
        if (seen[seen.length - 1] !== st) seen.push(st);
        await new Promise((res) => setTimeout(res, 50));
      }
      assert.match(seen[seen.length - 1], /^STATUS mirror: both in sync; generation 2/, seen.join(" → "));
      assert.ok(seen.some((x) => /copy 1 resync \d+%/.test(x)), `the resync was seen in steps: ${seen.join(" → ")}`);
      assert.ok(fs.readFileSync(a).equals(fs.readFileSync(b)), "the files are identical after the resync");
    });
    // A PUT of k1 cut by a crash: half of its new record, with the next sequence, landed
    // in file a (written first) in the free slot after k1's record; file b has nothing.
    const img = fs.readFileSync(a);
    const k1 = records(img).find((x) => x.key === "k1" && x.state === 1)!;
    const next = k1.slot % (img.readUInt32LE(12) - 1) + 1;
    assert.ok(img.subarray(next * SLOT, (next + 1) * SLOT).every((x) => x === 0), "the slot after k1's record is empty");
    const torn = Buffer.from(img.subarray(k1.slot * SLOT, (k1.slot + 1) * SLOT));
    torn.writeBigUInt64LE(records(img).reduce((m, x) => (x.seq > m ? x.seq : m), 0n) + 1n, 8);
    torn.write("torn!!!", 80, "latin1");
    torn.writeUInt32LE(crc32c(torn.subarray(0, 1020)), 1020);
    const fa = fs.openSync(a, "r+");
    fs.writeSync(fa, torn, 0, 512, next * SLOT);
    fs.closeSync(fa);
    await withKv(a, b, async (ask) => {
      assert.equal(await ask("GET k1"), "VALUE changed", "data survives a restart of the node; the torn record is never data");
      assert.equal(await ask("GET k59"), "VALUE v59");
      assert.equal(await ask("STATUS"), "STATUS mirror: both in sync; generation 2; repaired 1");
    });
    assert.ok(fs.readFileSync(a).equals(fs.readFileSync(b)), "opening put the torn slot of file a back as file b has it");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("failed flushes on both copies: ERR io, and kv never reopens on them until the operator detaches and attaches the disks", { timeout: 30000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-kv-fsync-"));
  const a = path.join(dir, "a.img"), b = path.join(dir, "b.img");
  // The fs module itself (disk.ts reads fsyncSync from it at each call), not this file's import binding.
  const nodeFs = require("fs") as { fsyncSync: typeof fs.fsyncSync };
  const real = nodeFs.fsyncSync;
  try {
    await withKv(a, b, async (ask, _disks, node) => {
      assert.equal(await ask("PUT k one"), "OK");
      // The next two fsyncs fail, as a disk that lost a write does: copy 0's flush of the
      // PUT, then copy 1's flush of the degraded header.
      let fail = 2;
      nodeFs.fsyncSync = (fd) => {
        if (fail > 0) { fail--; throw Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO" }); }
        real(fd);
      };
      assert.equal(await ask("PUT k two"), "ERR io");
      assert.equal(fail, 0, "both flushes were tried");
      // fsync works again, but the disks stay failed: kv's reopening reads nothing back.
      for (const req of ["GET k", "PUT k three", "GET k"]) assert.equal(await ask(req), "ERR io", req);
      assert.ok(node.diskOperation("disk a detach").ok && node.diskOperation("disk a attach").ok);
      assert.ok(node.diskOperation("disk b detach").ok && node.diskOperation("disk b attach").ok);
      assert.match(await ask("GET k"), /^VALUE (one|two)$/, "served again once the operator attached the disks");
    });
  } finally {
    nodeFs.fsyncSync = real;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
