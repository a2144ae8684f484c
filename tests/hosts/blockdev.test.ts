// "A file or a real block device behaves the same" (issue #5): kv.sabz.city keeps its data
// on a disk extent; the same PUTs through the node, once with the disk a plain file and
// once a Linux loop device over another file, must leave the two images identical byte for
// byte, and the data readable after a restart of the node. Needs root for losetup.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { parseManifest } from "../../loader/manifest";
import { parseAddr, parseMac } from "../../loader/ip6";
import { launch } from "../../hosts/node/launch";
import { ROOT } from "../../hosts/node/paths";
import { Peer } from "../../cli/peer/peer";
import * as P from "../../cli/peer/packets";
import { Status } from "../../loader/status/decode";

const root = typeof process.getuid === "function" && process.getuid() === 0;
const hasLosetup = spawnSync("sh", ["-c", "command -v losetup"]).status === 0;
const why = !root ? "needs root (losetup)" : !hasLosetup ? "losetup is missing (util-linux)" : null;
if (why && process.env.CI === "true") throw new Error(`block-device test cannot run under CI: ${why}`);
if (why) console.log(`# skipped: ${why}`);

const SIZE = 1 << 20;
const KV = parseAddr("fd00:5ab2:1::8");
const ME = parseAddr("fd00:5ab2:1::100");
const enc = new TextEncoder(), dec = new TextDecoder();

async function withKv(disk: string, work: (ask: (req: string) => Promise<string>) => Promise<void>,
  check?: (s: Status) => void): Promise<void> {
  const yaml = `
node: { name: disk.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"] }
disks:
  - { name: data, path: ${disk}, size: 1MiB }
services:
  - { domain: kv.sabz.city, module: ${path.join(ROOT, "build/wasm/services/kv.wasm")}, addresses: ["fd00:5ab2:1::8"],
      ram: { min: 64KiB, max: 1MiB }, disk: [{ device: data, length: 1MiB, rights: [read, write] }] }
`;
  const r = await launch(parseManifest(yaml, "disk.yaml", ROOT), { log: () => {} });
  const peer = new Peer(r.peers.get(0)!, parseMac("02:00:00:00:00:99"), ME);
  try {
    const mac = await peer.resolve(KV);
    assert.ok(mac, "kv answers neighbor discovery");
    let port = 41000;
    await work(async (req) => {
      const p = port++;
      peer.sendIp(mac!, P.udp(ME, KV, p, 7070, enc.encode(req)));
      const a = await peer.expect((x) => x.dport === p && x.sport === 7070, 2000);
      return a ? dec.decode(a.data) : "(no reply)";
    });
    check?.(r.node.status());
  } finally {
    peer.close();
    r.node.stop();
  }
}

async function session(disk: string): Promise<void> {
  await withKv(disk, async (ask) => {
    for (let i = 0; i < 20; i++) assert.equal(await ask(`PUT key${i} value-${i}-${"x".repeat(i * 10)}`), "OK");
    assert.equal(await ask("DEL key3"), "OK");
  }, (st) => assert.deepEqual(st.grants[0].disks, [{ disk: 0, rights: 4 | 8 | 16, offset: 0, length: 1 << 20 }],
    "status shows kv's disk grant: the whole 1 MiB, read, write, derive"));
  await withKv(disk, async (ask) => {
    assert.equal(await ask("GET key7"), `VALUE value-7-${"x".repeat(70)}`, "data survives a restart of the node");
    assert.equal(await ask("GET key3"), "NOT_FOUND");
  });
}

test("kv's extent ends up byte-identical on a file and on a loop block device", { skip: why ?? false, timeout: 60000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-disk-"));
  const file = path.join(dir, "file.img"), backing = path.join(dir, "backing.img");
  fs.writeFileSync(file, Buffer.alloc(SIZE));
  fs.writeFileSync(backing, Buffer.alloc(SIZE));
  const loop = spawnSync("losetup", ["-f", "--show", backing], { encoding: "utf8" });
  assert.equal(loop.status, 0, `losetup: ${loop.stderr}`);
  const dev = loop.stdout.trim();
  try {
    await session(file);
    await session(dev);
  } finally {
    spawnSync("losetup", ["-d", dev]);
  }
  const a = fs.readFileSync(file), b = fs.readFileSync(backing);
  assert.equal(a.subarray(0, 4).toString("latin1"), "PKVS", "kv formatted the extent");
  assert.ok(a.equals(b), "the file and the block device hold the same bytes");
  fs.rmSync(dir, { recursive: true, force: true });
});
