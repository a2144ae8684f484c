// The wasmtime image's WASI shim (hosts/wasi, build/wasm/shim.wasm) run under Node in a
// fake world (wasi_world.ts): instantiation calls nothing; it reads the image configuration
// and refuses a damaged one; it refuses unknown arguments; it boots the kernel with the
// manifest bytes; received VXLAN datagrams reach k_rx as inner frames and bad or short
// ones are counted, not delivered; nic_send becomes a datagram after check-send, and a
// full queue says ENOSPC; disks read, write and flush through WASI with the Node host's
// errors, a missing disk file is created and one that cannot be opened is named with the
// fix; status lines carry the snapshot in base64; --capture turns capture on and prints
// capture lines on the wall clock; --for stops the loop, through k_stop until it is done
// (bounded at 7 s); log, random and kernel_abort
// reach stderr and kernel memory.
import { MAX_SERVICES as SVC_MAX } from "../../loader/manifest/limits";
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import { SHIM_EXPORTS, SHIM_HOST_IMPORTS } from "../../abi/contract";
import { Errno } from "../../abi/errno";
import {
  IMG_BOOT_LEN, IMG_DISK_ID, IMG_DISK_PATH, IMG_DISK_PATH_LEN, IMG_DISKS, IMG_HEADER, IMG_MAGIC, IMG_NAME_LEN,
  IMG_NIC_ID, IMG_NIC_LOCAL, IMG_NIC_LPORT, IMG_NIC_REMOTE, IMG_NIC_RPORT, IMG_NIC_SIZE, IMG_NIC_VNI, IMG_NICS,
  IMG_HOST_PREFIX, IMG_STATUS_PREFIX, IMG_VERSION, IMG_CAPTURE_PREFIX, IMG_NIC_KIND,
} from "../../abi/image";
import { CAPTURE_ALL, CapturePoint } from "../../abi/capture";
import { parseImageLine } from "../../loader/capture/record";
import { LogLevel, NicKind, RX_BATCH_SIZE, recSize } from "../../abi/kernel";
import { parseAddr } from "../../loader/ip6";
import { K_RX, K_RX_SIZE, SHIM_WASM, WALL_START_NS, World, WorldOptions } from "./wasi_world";
import { EMPTY_FRAME, EXPECTED, shortDatagrams } from "./short_datagrams";

// A boot manifest: "PRSA", version 1, 2 records; NODE (server, "n1"); DISK 0 of 65536 bytes.
const BOOT = Uint8Array.from([
  0x50, 0x52, 0x53, 0x41, 1, 0, 2, 0,
  1, 0, 4, 0, 0, 2, 0x6e, 0x31,
  7, 0, 12, 0, 0, 0, 0, 0, 0x00, 0x00, 0x01, 0x00, 0, 0, 0, 0,
]);
const DISK_BYTES = 65536;
const VNI = 42;

interface Cfg {
  name?: string;
  boot?: Uint8Array;
  nics?: { id: number; vni: number; local: string; lport: number; remote: string; rport: number; kind?: NicKind }[];
  disks?: { id: number; path: string }[];
}
const NIC0 = { id: 0, vni: VNI, local: "fd00:99::1", lport: 4789, remote: "fd00:99::2", rport: 4789 };

/** The configuration blob of abi/image.ts, written by hand from its offsets. */
function config(c: Cfg = {}): Uint8Array {
  const pad = (n: number) => (n + 3) & ~3;
  const name = Buffer.from(c.name ?? "n1.example");
  const boot = c.boot ?? BOOT;
  const nics: NonNullable<Cfg["nics"]> = c.nics ?? [NIC0];
  const disks = (c.disks ?? [{ id: 0, path: "data/disk0.img" }]).map((d) => ({ id: d.id, path: Buffer.from(d.path) }));
  const size = IMG_HEADER + pad(name.length) + pad(boot.length) + nics.length * IMG_NIC_SIZE +
    disks.reduce((n, d) => n + IMG_DISK_PATH + pad(d.path.length), 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, IMG_MAGIC, true);
  v.setUint32(4, IMG_VERSION, true);
  v.setUint32(IMG_BOOT_LEN, boot.length, true);
  v.setUint32(IMG_NICS, nics.length, true);
  v.setUint32(IMG_DISKS, disks.length, true);
  v.setUint32(IMG_NAME_LEN, name.length, true);
  let at = IMG_HEADER;
  out.set(name, at);
  at += pad(name.length);
  out.set(boot, at);
  at += pad(boot.length);
  for (const n of nics) {
    v.setUint32(at + IMG_NIC_ID, n.id, true);
    v.setUint32(at + IMG_NIC_VNI, n.vni, true);
    out.set(parseAddr(n.local), at + IMG_NIC_LOCAL);
    v.setUint32(at + IMG_NIC_LPORT, n.lport, true);
    out.set(parseAddr(n.remote), at + IMG_NIC_REMOTE);
    v.setUint32(at + IMG_NIC_RPORT, n.rport, true);
    v.setUint32(at + IMG_NIC_KIND, n.kind ?? NicKind.VXLAN, true);
    at += IMG_NIC_SIZE;
  }
  for (const d of disks) {
    v.setUint32(at + IMG_DISK_ID, d.id, true);
    v.setUint32(at + IMG_DISK_PATH_LEN, d.path.length, true);
    out.set(d.path, at + IMG_DISK_PATH);
    at += IMG_DISK_PATH + pad(d.path.length);
  }
  return out;
}

function world(o: Partial<WorldOptions> = {}): World {
  return new World({ config: config(), dirs: { ".": { "data/disk0.img": new Uint8Array(DISK_BYTES) } }, ...o });
}

// An Ethernet header (dst 33:33:00:00:00:01, src 02:00:00:00:00:01, IPv6) and 2 bytes.
const FRAME = Uint8Array.from([
  0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x86, 0xdd, 0xab, 0xcd,
]);
// VNI 42: flags 0x08 (I), reserved, VNI 0x00002a, reserved; then the frame.
const DATAGRAM_42 = Uint8Array.from([0x08, 0, 0, 0, 0x00, 0x00, 0x2a, 0, ...FRAME]);
const from = (data: Uint8Array) => ({ data, address: "fd00:99:0:0:0:0:0:2", port: 51000 });

test("the shim exports exactly run, cabi_realloc, kernel_abort and its host imports, and imports no env.abort", () => {
  const m = new WebAssembly.Module(fs.readFileSync(SHIM_WASM));
  const exports = WebAssembly.Module.exports(m).map((e) => e.name).sort();
  assert.deepEqual(exports, [...SHIM_EXPORTS.map((f) => f.name), ...SHIM_HOST_IMPORTS].sort());
  const env = WebAssembly.Module.imports(m).filter((i) => i.module === "env").map((i) => `${i.name}:${i.kind}`);
  assert.deepEqual(env, ["memory:memory"]);
});

test("instantiating the shim calls no import", () => {
  assert.equal(world().importCalls, 0);
});

test("boots with the manifest bytes, binds the local endpoint and says it is running", () => {
  const w = world({ args: ["--for", "0"] });
  assert.equal(w.run(), 0);
  assert.equal(w.boots.length, 1);
  assert.deepEqual([...w.boots[0].manifest], [...BOOT]);
  assert.equal(w.boots[0].now, 0n);
  assert.deepEqual(w.epochs, [WALL_START_NS / 1_000_000n], "k_epoch: the wall clock in ms at kernel time 0, told before k_boot");
  assert.deepEqual(w.sockets[0].local, { address: "fd00:99:0:0:0:0:0:1", port: 4789 });
  assert.equal(w.sockets[0].remote, "none");
  assert.match(w.stderr, /^persia: node n1\.example is running under wasmtime: 1 NIC\(s\), 1 disk\(s\)$/m);
});

test("a damaged configuration is refused with why", () => {
  const good = config();
  const cases: [Uint8Array, RegExp][] = [
    [good.slice(0, 10), /has 10 bytes, fewer than its 24-byte header/],
    [Uint8Array.from([0x58, ...good.subarray(1)]), /does not start with "PIMG"/],
    [Uint8Array.from([...good.subarray(0, 4), IMG_VERSION + 1, 0, 0, 0, ...good.subarray(8)]),
      new RegExp(`version ${IMG_VERSION + 1}, but this shim reads version ${IMG_VERSION}`)],
    [Uint8Array.from([...good, 0, 0, 0, 0]), /4 bytes after its last record/],
    [good.slice(0, good.length - 8), /disk record 0 runs past its end/],
    [config({ nics: [{ ...NIC0, vni: 0x1000000 }] }), /NIC record 0 has VNI 16777216, more than 24 bits/],
    [config({ nics: [{ ...NIC0, kind: NicKind.TAP }] }), /NIC record 0 has kind 2, neither VXLAN nor WIREGUARD/],
  ];
  for (const [blob, why] of cases) {
    const w = world({ config: blob });
    assert.equal(w.run(), 1);
    assert.match(w.stderr, /^persia: the image's configuration is damaged: /);
    assert.match(w.stderr, why);
    assert.equal(w.boots.length, 0);
  }
});

test("unknown or malformed arguments are refused with what is accepted", () => {
  const cases: [string[], RegExp][] = [
    [["--bogus"], /unknown argument "--bogus"; accepted: --for <ms>/],
    [["--for"], /--for needs a number of milliseconds/],
    [["--for", "soon"], /--for takes a whole number of milliseconds, not "soon"/],
    [["--status-every=0"], /--status-every takes a whole number of milliseconds above 0, not "0"/],
  ];
  for (const [args, why] of cases) {
    const w = world({ args });
    assert.equal(w.run(), 1);
    assert.match(w.stderr, why);
    assert.match(w.stderr, /--status-every <ms>.*--quiet/);
  }
  assert.equal(world({ args: ["--for=0", "--quiet"] }).run(), 0);
});

test("a received VXLAN datagram reaches k_rx as its inner frame; bad headers are counted, not delivered", () => {
  const w = world({ args: ["--for", "100"] });
  const tooLong = new Uint8Array(8 + K_RX_SIZE + 1);
  tooLong.set(DATAGRAM_42.subarray(0, 8));
  w.at(10, () => w.sockets[0].inbox.push(
    from(DATAGRAM_42),
    from(DATAGRAM_42.subarray(0, 7)),                                   // short
    from(Uint8Array.from([0xf7, 0xff, 0xff, 0xff, 0, 0, 0x2a, 0xff, ...FRAME])), // no I flag
    from(Uint8Array.from([0x08, 0, 0, 0, 0, 0, 0x2b, 0, ...FRAME])),    // VNI 43
    from(tooLong),
    from(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0x2a, 0xff, ...FRAME])), // reserved bits ignored
  ));
  assert.equal(w.run(), 0);
  assert.deepEqual(w.rx.map((r) => [r.nic, [...r.frame]]), [[0, [...FRAME]], [0, [...FRAME]]]);
  assert.deepEqual(w.rxBatches, [2], "the frames of one receive reach the kernel in one k_rx_batch");
  assert.ok(w.polls.includes(10n), "the kernel is polled after the batch");
  assert.match(w.stderr, /VXLAN NIC 0: received 2 frames, sent 0; dropped 1 short, 1 without the I flag, 1 of another VNI, 1 too long,/);
});

test("a receive of more frames than Buf.RX_BATCH holds reaches the kernel whole and in order, in several k_rx_batch calls", () => {
  const w = world({ args: ["--for", "100"] });
  const big = (i: number) => {           // a largest frame (K_RX_SIZE bytes) numbered i
    const d = new Uint8Array(8 + K_RX_SIZE);
    d.set(DATAGRAM_42.subarray(0, 8));
    d[8 + 20] = i; d[8 + K_RX_SIZE - 1] = i;
    return d;
  };
  w.at(10, () => w.sockets[0].inbox.push(...Array.from({ length: 10 }, (_, i) => from(big(i)))));
  assert.equal(w.run(), 0);
  assert.deepEqual(w.rx.map((r) => [r.frame.length, r.frame[20], r.frame[K_RX_SIZE - 1]]),
    Array.from({ length: 10 }, (_, i) => [K_RX_SIZE, i, i]));
  assert.ok(w.rxBatches.length >= 2 && w.rxBatches.every((n) => n * recSize(K_RX_SIZE) <= RX_BATCH_SIZE),
    `each k_rx_batch within the buffer: ${w.rxBatches.join(", ")}`);
  assert.ok(w.rx.every((r) => r.now === 10n), "one receive, one arrival time");
});

test("a datagram that ends a long wait reaches k_rx with the time it arrived, not the last poll's", () => {
  const w = world({ args: ["--for", "6000"] });
  w.at(5000, () => w.sockets[0].inbox.push(from(DATAGRAM_42)));
  assert.equal(w.run(), 0);
  assert.deepEqual(w.rx.map((r) => r.now), [5000n]);
  assert.ok(!w.polls.some((t) => t > 0n && t < 5000n), "nothing polled the kernel during the wait");
});

test("datagrams shorter than 8 + 14 bytes are counted as drop_short and never reach k_rx", () => {
  const w = world({ args: ["--for", "100"] });
  w.at(10, () => w.sockets[0].inbox.push(...shortDatagrams(VNI).map(from)));
  assert.equal(w.run(), 0);
  assert.deepEqual(w.rx.map((r) => [r.nic, [...r.frame]]), [[0, [...EMPTY_FRAME]]], "only the 22-byte datagram's frame");
  const host = JSON.parse(w.stdout.split("\n").find((l) => l.startsWith(IMG_HOST_PREFIX))!.slice(IMG_HOST_PREFIX.length));
  const c = host.nics[0].counters;
  assert.deepEqual({ drop_short: c.drop_short, rx_frames: c.rx_frames }, EXPECTED.host);
  assert.match(w.stderr, /VXLAN NIC 0: received 1 frames, sent 0; dropped 5 short,/);
});

test("nic_send becomes one VXLAN datagram to the remote after check-send", () => {
  let sent = -1, unknown = 0;
  const w = world({
    args: ["--for", "0"],
    onPoll: (now, w) => {
      if (now !== 0n || sent !== -1) return;
      w.kmem.set(FRAME, 0x30000);
      sent = w.exports.nic_send(0, 0x30000, FRAME.length) as number;
      unknown = w.exports.nic_send(7, 0x30000, FRAME.length) as number;
    },
  });
  assert.equal(w.run(), 0);
  assert.equal(sent, 0);
  assert.equal(unknown, -Errno.ENODEV);
  const s = w.sockets[0];
  assert.ok(s.checkSends >= 1);
  assert.deepEqual(s.sent.map((d) => [[...d.data], d.address, d.port]), [[[...DATAGRAM_42], "fd00:99:0:0:0:0:0:2", 4789]]);
});

test("a full send queue says ENOSPC; the queue goes out when the socket can send again", () => {
  const results: number[] = [];
  const w = world({
    args: ["--for", "50"],
    onPoll: (now, w) => {
      if (now !== 0n || results.length > 0) return;
      w.sockets[0].blocked = true;
      w.kmem.set(FRAME, 0x30000);
      for (let i = 0; i < 65; i++) results.push(w.exports.nic_send(0, 0x30000, FRAME.length) as number);
      w.at(20, () => { w.sockets[0].blocked = false; });
    },
  });
  assert.equal(w.run(), 0);
  assert.deepEqual(results, [...new Array(64).fill(0), -Errno.ENOSPC]);
  assert.equal(w.sockets[0].sent.length, 64);
  assert.match(w.stderr, /sent 64; .* 1 at a full send queue/);
});

test("disk writes, reads and flushes go through WASI in chunks, with the Node host's errors", () => {
  const w = world({ args: ["--for", "0"], ioChunk: 1000 });
  assert.equal(w.run(), 0);
  const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);
  w.kmem.set(data, 0x40000);
  const d = w.exports;
  assert.equal(d.disk_write(0, 4096n, 0x40000, data.length), data.length);
  assert.deepEqual([...w.files["."]["data/disk0.img"].subarray(4096, 4096 + data.length)], [...data]);
  assert.equal(d.disk_read(0, 4096n, 0x50000, data.length), data.length);
  assert.deepEqual([...w.kmem.subarray(0x50000, 0x50000 + data.length)], [...data]);
  assert.equal(d.disk_flush(0), 0);
  assert.equal(w.syncs, 1);
  assert.equal(d.disk_read(0, BigInt(DISK_BYTES - 10), 0x50000, 20), -Errno.ERANGE);
  assert.equal(d.disk_read(0, -1n, 0x50000, 20), -Errno.ERANGE);
  assert.equal(d.disk_write(0, 0n, 0xffff0, 0x100), -Errno.EFAULT, "a kernel range past its memory");
  assert.equal(d.disk_read(9, 0n, 0x50000, 20), -Errno.ENODEV);
  w.files["."]["data/disk0.img"] = w.files["."]["data/disk0.img"].slice(0, 100);
  assert.equal(d.disk_read(0, 90n, 0x50000, 20), 10, "a read past the end of the file returns what there is");
});

test("a disk that no preopen holds stops the run with the --dir that holds it", () => {
  const absolute = world({ dirs: { "/srv": {} }, config: config({ disks: [{ id: 0, path: "/var/persia/disk.img" }] }) });
  assert.equal(absolute.run(), 1);
  assert.match(absolute.stderr, /^persia: disk 0 \(\/var\/persia\/disk\.img\): no directory wasmtime was given holds this path\. Pass `--dir \/var\/persia` to wasmtime/m);
  const relative = world({ dirs: { "/srv": {} }, config: config({ disks: [{ id: 0, path: "disk.img" }] }) });
  assert.equal(relative.run(), 1);
  assert.match(relative.stderr, /disk 0 \(disk\.img\): .*Pass `--dir \.` to wasmtime/);
  const named = world({ args: ["--for", "0"], dirs: { ".": {}, "data/": { "disk0.img": new Uint8Array(10) } } });
  assert.equal(named.run(), 0, "the longest matching preopen wins");
});

test("a missing disk file is created at its size in the manifest, sparse; an existing one is opened as it is", () => {
  const w = world({ args: ["--for", "0"], dirs: { data: {} } });
  assert.equal(w.run(), 0, w.stderr);
  assert.equal(w.files.data["disk0.img"].length, DISK_BYTES);
  assert.ok(w.files.data["disk0.img"].every((b) => b === 0));
  assert.match(w.stderr, /^persia: disk 0 \(data\/disk0\.img\) did not exist: created it with its size in the manifest, 65536 bytes \(sparse\)$/m);
  const existing = world({ args: ["--for", "0"], dirs: { data: { "disk0.img": Uint8Array.of(7, 7) } } });
  assert.equal(existing.run(), 0);
  assert.deepEqual([...existing.files.data["disk0.img"]], [7, 7], "never grown or truncated");
  assert.doesNotMatch(existing.stderr, /created/);
});

test("a disk that cannot be opened or created stops the run naming the disk, its path and the fix", () => {
  const cases: [WorldOptions["fsError"], RegExp][] = [
    [{ step: "create", code: 20 }, /^persia: disk 0 \(data\/disk0\.img\) does not exist and cannot be created in the directory wasmtime calls "data": no-entry\. Its directory is missing: run `mkdir -p data` before wasmtime\.$/m],
    [{ step: "create", code: 0 }, /^persia: disk 0 \(data\/disk0\.img\) does not exist and cannot be created .*: access\. Let the user running wasmtime write to data, or create the disk first \(`truncate -s 65536 data\/disk0\.img`\)\.$/m],
    [{ step: "open", code: 14 }, /^persia: disk 0 \(data\/disk0\.img\) cannot be opened for reading and writing in the directory wasmtime calls "data": is-directory\. .*\(see `ls -l data\/disk0\.img`\)\.$/m],
  ];
  for (const [fsError, why] of cases) {
    const dirs: WorldOptions["dirs"] = { data: fsError!.step === "open" ? { "disk0.img": new Uint8Array(1) } : {} };
    const w = world({ dirs, fsError });
    assert.equal(w.run(), 1);
    assert.match(w.stderr, why);
    assert.equal(w.boots.length, 0, "the kernel never boots");
  }
});

test("a bind WASI refuses stops the run with the error code and advice", () => {
  const denied = world({ socketError: { step: "bind", code: 1 } });
  assert.equal(denied.run(), 1);
  assert.match(denied.stderr, /VXLAN NIC 0: cannot bind \[fd00:99::1\]:4789 \(access-denied\): .*-S inherit-network/);
  const inUse = world({ socketError: { step: "bind", code: 12 } });
  assert.equal(inUse.run(), 1);
  assert.match(inUse.stderr, /\(address-in-use\): \[fd00:99::1\]:4789 is already in use/);
  const notBindable = world({ socketError: { step: "finish", code: 11 } });
  assert.equal(notBindable.run(), 1);
  assert.match(notBindable.stderr, /\(address-not-bindable\): no interface of this machine has that address/);
});

test("status lines carry the kernel's snapshot in base64 after the host's NIC counters, and --for stops the loop with a last one", () => {
  const status = Uint8Array.from({ length: 5000 }, (_, i) => (i * 13 + 5) & 0xff);
  const w = world({ args: ["--status-every", "100", "--for", "350"], status });
  assert.equal(w.run(), 0);
  const counters = { rx_frames: 0, tx_frames: 0, send_errors: 0, drop_short: 0, drop_no_i_flag: 0, drop_other_vni: 0,
    rx_too_long: 0, queue_full: 0, receive_errors: 0 };
  const services = Array.from({ length: SVC_MAX }, (_, id) => ({ id, ram_pages: 0 }));
  const host = `${IMG_HOST_PREFIX}${JSON.stringify({ nics: [{ id: 0, backend: "wasi-vxlan", counters }], services })}\n`;
  const line = `${IMG_STATUS_PREFIX}${Buffer.from(status).toString("base64")}\n`;
  assert.equal(w.stdout, (host + line).repeat(4), "at 100, 200 and 300 ms, and when --for ends");
  assert.equal(w.nowMs(), 350);
  assert.equal(w.polls[w.polls.length - 1], 350n);
  assert.deepEqual(w.stops, [350n], "at --for the node stops: one k_stop, done at once here");
  assert.equal(w.live.size, 0, "every timer pollable was dropped");
  for (const n of [1, 2]) {
    const short = world({ args: ["--for", "0"], status: status.subarray(0, n) });
    short.run();
    assert.equal(short.stdout, `${host}status ${Buffer.from(status.subarray(0, n)).toString("base64")}\n`);
  }
});

test("--capture turns every capture point on after boot and prints a capture line per record, on the wall clock", () => {
  const plain = world({ args: ["--for", "0"] });
  assert.equal(plain.run(), 0);
  assert.deepEqual(plain.captureCalls, [], "off without --capture");
  const frame = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7 + 1) & 0xff);
  const w = world({ args: ["--capture", "--for", "30"] });
  w.at(20, () => {
    w.kmem.set(frame, K_RX);
    w.exports.capture(CapturePoint.DROP_FRAME, 0, -1, 3, K_RX, frame.length);
  });
  assert.equal(w.run(), 0);
  assert.deepEqual(w.captureCalls, [{ mask: CAPTURE_ALL, nic: -1, svc: -1 }]);
  const us = (WALL_START_NS + 20_000_000n) / 1000n;
  const lines = w.stdout.split("\n").filter((l) => l.startsWith(IMG_CAPTURE_PREFIX));
  assert.deepEqual(lines, [`${IMG_CAPTURE_PREFIX}${us} 2 0 -1 3 ${Buffer.from(frame).toString("base64")}`]);
  assert.deepEqual(parseImageLine(lines[0])?.bytes, frame);
});

test("the loop wakes at the kernel's deadline", () => {
  const w = world({ args: ["--for", "1000"], onPoll: (now) => (now < 40n ? 40n : -1n) });
  assert.equal(w.run(), 0);
  assert.deepEqual(w.polls, [0n, 40n, 1000n]);
  assert.deepEqual(w.stops, [1000n]);
});

test("when --for has passed the loop calls k_stop at the deadlines it returns, receiving meanwhile, until -1", () => {
  // A router's stop: final RAs at 1000 and 4000 ms, done after the second.
  const w = world({ args: ["--for", "1000"], onStop: (now) => (now < 4000n ? 4000n : -1n) });
  w.at(2500, () => w.sockets[0].inbox.push(from(DATAGRAM_42)));
  assert.equal(w.run(), 0);
  assert.deepEqual(w.stops, [1000n, 2500n, 4000n], "and after the received batch");
  assert.deepEqual(w.rx.map((r) => r.now), [2500n], "a frame during the stop still reaches the kernel");
  assert.equal(w.nowMs(), 4000);
  assert.match(w.stdout, /^status /m, "the last status line comes when the stop is done");
});

test("a stop the kernel does not finish ends 7 s after --for", () => {
  const w = world({ args: ["--for", "100"], onStop: (now) => now + 1000n });
  assert.equal(w.run(), 0);
  assert.equal(w.nowMs(), 7100);
  assert.deepEqual(w.stops, [100n, 1100n, 2100n, 3100n, 4100n, 5100n, 6100n, 7100n]);
});

test("log lines go to stderr as the Node host prints them; debug never, info not with --quiet", () => {
  const logAll = (w: World) => {
    for (const [level, text] of [[LogLevel.DEBUG, "d"], [LogLevel.INFO, "booted"], [LogLevel.WARN, "w"], [LogLevel.ERROR, "ü"]] as const) {
      const b = Buffer.from(text);
      w.kmem.set(b, 0x30000);
      w.exports.log(level, 0x30000, b.length);
    }
    w.exports.log(LogLevel.ERROR, 0xfffff, 2);
  };
  const w = world();
  logAll(w);
  assert.equal(w.stderr, "info kernel: booted\nwarn kernel: w\nerror kernel: ü\nerror kernel: (a log line outside kernel memory: 1048575+2)\n");
  const q = world({ args: ["--quiet", "--for", "0"] });
  q.run();
  q.stderr = "";
  logAll(q);
  assert.equal(q.stderr, "warn kernel: w\nerror kernel: ü\nerror kernel: (a log line outside kernel memory: 1048575+2)\n");
});

test("random fills kernel memory; kernel_abort prints the kernel's message and traps", () => {
  const w = world();
  w.exports.random(0x30000, 20);
  assert.ok(w.kmem.subarray(0x30000, 0x30014).some((b) => b !== 0));
  assert.ok(w.kmem.subarray(0x30014, 0x30020).every((b) => b === 0), "nothing past the range");
  const str = (at: number, s: string) => {
    const b = Buffer.from(s, "utf16le");
    new DataView(w.kmem.buffer).setUint32(at - 4, b.length, true);
    w.kmem.set(b, at);
  };
  str(0x30100, "boom");
  str(0x30200, "kernel/net/ipv6.ts");
  assert.throws(() => w.exports.kernel_abort(0x30100, 0x30200, 3, 7), WebAssembly.RuntimeError);
  assert.equal(w.stderr, "persia: the kernel aborted: boom at kernel/net/ipv6.ts:3:7\n");
});

test("a kernel that refuses the boot manifest stops the run with the errno", () => {
  const w = world({ bootResult: -Errno.EBADMSG });
  assert.equal(w.run(), 1);
  assert.match(w.stderr, /^persia: the kernel refused to boot from the image's manifest: EBADMSG/m);
  assert.doesNotMatch(w.stderr, /is running/);
});

test("a list larger than the arena stops the shim with a message, after the call returned", () => {
  const w = world({ args: ["x".repeat(1_200_000)] });
  assert.throws(() => w.run(), WebAssembly.RuntimeError);
  assert.match(w.stderr, /^persia: the WASI shim stopped: the arena for lists WASI returns is too small \(\d+ bytes; a list of 1200000 bytes/m);
});
