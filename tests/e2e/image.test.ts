// A PersiaOS image under the real wasmtime CLI, with this test as the VXLAN peer on the
// loopback address (no root needed): echo.sabz.city answers a ping, kv.sabz.city keeps a
// value on a disk file given with --dir, a trapping service is stopped, counted and
// restarted while echo goes on answering, a service calling a syscall through its table
// (stall) is stopped by fuel after the calls one budget pays for, and `--for` ends the run
// with a status line that `persia status --from` shows; datagrams too short for an
// Ethernet frame stop at the host. wasmtime comes from tests/setup.js; under CI=true its
// absence fails this file.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as dgram from "dgram";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { ROOT } from "../../hosts/node/paths";
import { parseAddr, parseMac } from "../../loader/ip6";
import * as P from "../../cli/peer/packets";
import { imageOf, ImagePeer, RunningImage, wasmtimeOrSkip } from "./wasmtime";
import { EXPECTED, shortDatagrams } from "../hosts/short_datagrams";
import { Status } from "../../loader/status/decode";
import { IMPORT_CALL_COST } from "../../loader/instrument/fuel";
import { FUEL_PER_CALL } from "../../abi/limits";

const wt = wasmtimeOrSkip();
const VNI = 77;
const NODE_MAC = parseMac("02:00:00:00:00:01");
const PEER_MAC = parseMac("02:00:00:00:00:99");
const PEER = parseAddr("fd00:5ab2:1::100");
const ECHO = parseAddr("fd00:5ab2:1::7");
const KV = parseAddr("fd00:5ab2:1::8");
const TRAP = parseAddr("fd00:5ab2:1::b");
const STALL = parseAddr("fd00:5ab2:1::a");

function manifest(port: number, disk: string): string {
  const svc = (d: string, f: string, a: string, extra = "") =>
    `  - { domain: ${d}, module: build/wasm/${f}, addresses: ["${a}"], ram: { min: 64KiB, max: 1MiB }${extra} }`;
  return `
node: { name: image.sabz.city, role: server }
nics:
  - { name: vx0, kind: vxlan, mac: "02:00:00:00:00:01", prefixes: ["fd00:5ab2:1::/64"], vxlan: { local: "[::1]:${port}", remote: "[::1]:${port + 1}", vni: ${VNI} } }
disks:
  - { name: data, path: ${disk}, size: 1MiB }
services:
${svc("echo.sabz.city", "services/echo.wasm", "fd00:5ab2:1::7")}
${svc("kv.sabz.city", "services/kv.wasm", "fd00:5ab2:1::8", ", disk: [{ device: data, offset: 0, length: 1MiB, rights: [read, write] }]")}
${svc("trap.sabz.city", "tests/trap.wasm", "fd00:5ab2:1::b")}
${svc("stall.sabz.city", "tests/stall.wasm", "fd00:5ab2:1::a")}
`;
}

/** This test's end of the VXLAN link (wasmtime.ts ImagePeer), on VNI. */
class Peer extends ImagePeer {
  constructor(sock: dgram.Socket, port: number) { super(sock, port, VNI); }
}

const eth = (pkt: Uint8Array) => P.ether(NODE_MAC, PEER_MAC, P.ETH_IPV6, pkt);
const text = (p: P.Parsed) => Buffer.from(p.data ?? []).toString();

describe("an image under wasmtime, with this test as its VXLAN peer", { skip: wt.skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-image-"));
  const disk = path.join(dir, "kv.img");
  const port = 46000 + (process.pid % 1000) * 2;
  let run: RunningImage;
  let peer: Peer;

  before(async () => {
    fs.writeFileSync(disk, new Uint8Array(1 << 20));
    const { flags } = await imageOf(manifest(port, disk), path.join(dir, "node.wasm"));
    const sock = dgram.createSocket({ type: "udp6" });
    await new Promise<void>((r) => sock.bind(port + 1, "::1", r));
    peer = new Peer(sock, port);
    run = new RunningImage(wt.file, flags, path.join(dir, "node.wasm"), ["--status-every", "100"]);
    await run.until(() => run.stderr.includes("is running"), 30000, "the image to boot");
    // Teach the node this peer's MAC (RFC 4861 §7.2.3), so replies need no resolution.
    peer.send(eth(P.neighborSolicit(PEER, ECHO, PEER_MAC)));
  });
  after(async () => {
    await run?.stop();
    peer?.sock.close();
  });

  it("echo.sabz.city answers a ping with an echo reply from its own address", async () => {
    peer.send(eth(P.echoRequest(PEER, ECHO, 0x4242, 1, Buffer.from("over wasmtime"))));
    const reply = await peer.wait((p) => p.icmpType === P.ICMP.ECHO_REP && P.equalBytes(p.src, ECHO));
    assert.ok(reply, `no echo reply\n${run.stderr}`);
    assert.equal(reply.checksumOk, true);
    const nic = (await run.freshStatus()).host?.nics[0];
    assert.equal(nic?.backend, "wasi-vxlan", "the status lines carry the host's NIC counters");
    assert.ok(nic!.counters.rx_frames >= 2 && nic!.counters.tx_frames >= 1, JSON.stringify(nic));
  });

  it("datagrams shorter than 8 + 14 bytes are the host's drop_short; the kernel sees only the 22-byte one", async () => {
    const before = await run.freshStatus();
    for (const d of shortDatagrams(VNI)) peer.sock.send(d, port, "::1");
    let s = await run.freshStatus();
    for (let i = 0; i < 20 && s.nics[0].rxFrames === before.nics[0].rxFrames; i++) s = await run.freshStatus();
    const host = (x: typeof s, c: string) => x.host!.nics[0].counters[c];
    const moved = (r: string) => (s.drops[r] ?? 0) - (before.drops[r] ?? 0);
    assert.deepEqual({ drop_short: host(s, "drop_short") - host(before, "drop_short"), rx_frames: host(s, "rx_frames") - host(before, "rx_frames") },
      EXPECTED.host);
    assert.deepEqual({ FRAME_SHORT: moved("FRAME_SHORT"), IP_SHORT: moved("IP_SHORT"), rxFrames: s.nics[0].rxFrames - before.nics[0].rxFrames },
      EXPECTED.kernel);
  });

  it("kv.sabz.city stores a value on the disk file and reads it back", async () => {
    peer.send(eth(P.udp(PEER, KV, 40001, 7070, Buffer.from("PUT colour turquoise"))));
    assert.ok(await peer.wait((p) => P.equalBytes(p.src, KV) && text(p).startsWith("OK")), `no OK\n${run.stderr}`);
    peer.send(eth(P.udp(PEER, KV, 40001, 7070, Buffer.from("GET colour"))));
    assert.ok(await peer.wait((p) => P.equalBytes(p.src, KV) && text(p) === "VALUE turquoise"), "the value came back");
    assert.ok(fs.readFileSync(disk).includes(Buffer.from("turquoise")), "the value is in the disk file");
  });

  it("a trapping service is stopped with TRAP and restarted; echo answers meanwhile", async () => {
    const before = (await run.freshStatus()).services.find((s) => s.name === "trap.sabz.city")!;
    peer.send(eth(P.udp(PEER, TRAP, 40002, 9, Buffer.from("crash"))));
    peer.send(eth(P.echoRequest(PEER, ECHO, 0x4242, 2, Buffer.from("still there"))));
    assert.ok(await peer.wait((p) => p.icmpType === P.ICMP.ECHO_REP && P.equalBytes(p.src, ECHO) && text(p).includes("still there")));
    let s = await run.freshStatus();
    for (let i = 0; i < 30 && s.services.find((x) => x.name === "trap.sabz.city")!.restarts === before.restarts; i++) s = await run.freshStatus();
    const t = s.services.find((x) => x.name === "trap.sabz.city")!;
    assert.deepEqual([t.lastFault, t.faults - before.faults, t.restarts - before.restarts, t.state], ["TRAP", 1, 1, "RUNNING"]);
    assert.equal(run.exit, null, "wasmtime still runs");
  });

  it("a service calling a syscall through its table is stopped with FUEL after the calls one budget pays for", async () => {
    const stall = (s: Status) => s.services.find((x) => x.name === "stall.sabz.city")!;
    const before = stall(await run.freshStatus());
    peer.send(eth(P.udp(PEER, STALL, 40003, 9, Buffer.from("stall"))));
    peer.send(eth(P.echoRequest(PEER, ECHO, 0x4242, 3, Buffer.from("not stalled"))));
    assert.ok(await peer.wait((p) => p.icmpType === P.ICMP.ECHO_REP && P.equalBytes(p.src, ECHO) && text(p).includes("not stalled")));
    let s = await run.freshStatus();
    for (let i = 0; i < 30 && stall(s).faults === before.faults; i++) s = await run.freshStatus();
    assert.deepEqual([stall(s).lastFault, stall(s).faults - before.faults], ["FUEL", 1]);
    const sends = stall(s).sendRefused - before.sendRefused;
    const most = FUEL_PER_CALL / IMPORT_CALL_COST;
    assert.ok(sends > most * 0.9 && sends <= most, `one budget allowed ${sends} syscalls; at most ${most}`);
  });

  it("--for ends the run with exit 0 and a status line that `persia status --from` shows", async () => {
    const again = new RunningImage(wt.file, (await imageOf(manifest(port + 10, disk), path.join(dir, "b.wasm"))).flags,
      path.join(dir, "b.wasm"), ["--for", "500"]);
    await again.until(() => again.exit !== null, 30000, "the run to end");
    assert.equal(again.exit, 0, again.stderr);
    fs.writeFileSync(path.join(dir, "out.txt"), again.stdout);
    const cli = spawnSync(process.execPath, [path.join(ROOT, "build/ts/cli/cli.js"), "status", "--from", path.join(dir, "out.txt")], { encoding: "utf8" });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /echo\.sabz\.city/);
    assert.match(cli.stdout, /kv\.sabz\.city .* \d+\/1024 KiB/, "each service's memory now and its RAM max, as under Node");
    assert.match(cli.stdout, /Host NIC counters\n.*\n +0 +wasi-vxlan /, "the host's NIC counters");
  });

  it("--help prints what the image accepts and exits 0", async () => {
    const help = new RunningImage(wt.file, ["run", "-W", "exceptions=y", "-S", "inherit-network=y", "--dir", dir], path.join(dir, "b.wasm"), ["--help"]);
    await help.until(() => help.exit !== null, 30000, "the run to end");
    assert.equal(help.exit, 0, help.stderr);
    assert.match(help.stderr, /--for <ms>.*--status-every <ms>.*--quiet/);
  });

  it("an unknown argument is refused with what is accepted", async () => {
    const bad = new RunningImage(wt.file, ["run", "-W", "exceptions=y", "-S", "inherit-network=y", "--dir", dir], path.join(dir, "b.wasm"), ["--fast"]);
    await bad.until(() => bad.exit !== null, 30000, "the run to end");
    assert.equal(bad.exit, 1);
    assert.match(bad.stderr, /--fast/);
    assert.match(bad.stderr, /--for/);
  });
});

const esc = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

it("a disk whose directory is missing, or that no --dir holds, stops the image naming the path and the fix", { skip: wt.skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-image-nodir-"));
  try {
    const disk = path.join(dir, "missing/sub/kv.img");
    const file = path.join(dir, "node.wasm");
    const { flags } = await imageOf(manifest(47000 + (process.pid % 1000) * 2, disk), file);
    assert.deepEqual(flags.slice(-2), ["--dir", path.dirname(disk)], "the image's own --dir is the disk's directory");
    const withDir = async (d: string) => {
      const run = new RunningImage(wt.file, [...flags.slice(0, -2), "--dir", d], file, ["--for", "0"]);
      await run.until(() => run.exit !== null, 30000, "the run to end");
      assert.equal(run.exit, 1, run.stderr);
      return run.stderr;
    };
    assert.match(await withDir(dir), new RegExp(`^persia: disk 0 \\(${esc(disk)}\\) does not exist and cannot be created in the directory ` +
      `wasmtime calls "${esc(dir)}": no-entry\\. Its directory is missing: run \`mkdir -p ${esc(path.dirname(disk))}\` before wasmtime\\.$`, "m"));
    fs.mkdirSync(path.join(dir, "other"));
    assert.match(await withDir(path.join(dir, "other")), new RegExp(`^persia: disk 0 \\(${esc(disk)}\\): no directory wasmtime was given ` +
      `holds this path\\. Pass \`--dir ${esc(path.dirname(disk))}\` to wasmtime`, "m"));
    assert.equal(fs.existsSync(path.join(dir, "missing")), false, "the image made no directory");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const root = typeof process.getuid === "function" && process.getuid() === 0;
const noLoop = wt.skip || (!root ? "needs root (losetup)" : spawnSync("sh", ["-c", "command -v losetup"]).status !== 0 ? "losetup is missing" : false);
if (noLoop && !wt.skip && process.env.CI === "true") throw new Error(`block-device image test cannot run under CI: ${noLoop}`);

/** kv's PUTs through an image whose disk is `disk` (a file or a block device). */
async function kvOnImage(disk: string, dir: string, port: number): Promise<void> {
  const file = path.join(dir, `kv-${port}.wasm`);
  const { flags } = await imageOf(manifest(port, disk), file);
  const sock = dgram.createSocket({ type: "udp6" });
  await new Promise<void>((r) => sock.bind(port + 1, "::1", r));
  const peer = new Peer(sock, port);
  const run = new RunningImage(wt.file, flags, file, []);
  try {
    await run.until(() => run.stderr.includes("is running"), 30000, "the image to boot");
    peer.send(eth(P.neighborSolicit(PEER, KV, PEER_MAC)));
    for (const [i, kv] of ["PUT alpha 1", "PUT beta two", "DEL alpha", "PUT gamma 333"].entries()) {
      peer.send(eth(P.udp(PEER, KV, 41000 + i, 7070, Buffer.from(kv))));
      assert.ok(await peer.wait((p) => p.dport === 41000 + i && text(p) === "OK"), `${kv}: OK\n${run.stderr}`);
    }
  } finally {
    await run.stop();
    sock.close();
  }
}

it("a disk on a loop block device under wasmtime ends byte-identical to a plain file", { skip: noLoop }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-image-blk-"));
  const plain = path.join(dir, "plain.img"), backing = path.join(dir, "backing.img");
  fs.writeFileSync(plain, new Uint8Array(1 << 20));
  fs.writeFileSync(backing, new Uint8Array(1 << 20));
  const loop = spawnSync("losetup", ["-f", "--show", backing], { encoding: "utf8" }).stdout.trim();
  assert.match(loop, /^\/dev\/loop\d+$/, "losetup gave a loop device");
  try {
    const port = 44000 + (process.pid % 500) * 4;
    await kvOnImage(plain, dir, port);
    await kvOnImage(loop, dir, port + 2);
    spawnSync("sync");
    assert.ok(fs.readFileSync(plain).includes(Buffer.from("gamma")), "the file holds the data");
    assert.ok(Buffer.compare(fs.readFileSync(plain), fs.readFileSync(backing)) === 0, "the block device's bytes equal the file's");
  } finally {
    spawnSync("losetup", ["-d", loop]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
