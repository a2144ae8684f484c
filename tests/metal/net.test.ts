// A metal node under QEMU on a TAP whose other end is a Linux host in a network namespace
// (root): ndisc6 resolves a service's address to the node's MAC, ping6 reaches the service
// and the node's link-local and global addresses, a burst of pings larger than one receive
// batch is answered whole, the echo service answers UDP, and
// kv.sabz.city keeps a value on its virtio-blk disk across a reboot of the guest (a second
// QEMU run on the same disk file), whose serial console, with `capture` on its command
// line, `persia capture --from` turns into a pcapng file. Prints the time from starting
// QEMU to the first ping reply. Needs root, iproute2, ping, ndisc6, tshark, python3, and
// what qemu.ts needs.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { ROOT } from "../../hosts/node/paths";
import { addressFromMac, formatAddr, parseAddr, parseMac } from "../../loader/ip6";
import { MetalImage } from "../../loader/metal/image";
import { countMatching, missing, skipOrFail } from "../e2e/linux";
import { waitFor } from "../wait";
import { MTL_KERNEL_LINE } from "../../abi/metal";
import { metalImageOf, metalOrSkip, RunningQemu, tempDir } from "./qemu";
import { adoptTap, dropHost, inNs, makeTap, TapHost, udpOnce } from "./tap";

const skip = skipOrFail(missing(["ip", "ping", "ndisc6", "tshark", "/usr/bin/python3"])) || metalOrSkip();
const TAG = (process.pid % 900) + 100;
const PREFIX = `fd00:d:${TAG}::`;
const MAC = "02:00:5a:b2:0d:01";
const ECHO = `${PREFIX}7`, KV = `${PREFIX}8`, LINUX = `${PREFIX}100`;
const LINK_LOCAL = formatAddr(addressFromMac(parseAddr("fe80::"), parseMac(MAC)));
const GLOBAL = formatAddr(addressFromMac(parseAddr(PREFIX), parseMac(MAC)));

const manifest = (disk: string) => `
node: { name: m${TAG}.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtio, mac: "${MAC}", prefixes: ["${PREFIX}/64"] }
disks:
  - { name: data, path: ${disk}, size: 1MiB }
services:
  - { domain: echo.sabz.city, module: build/wasm/services/echo.wasm, addresses: ["${ECHO}"], ram: { min: 64KiB, max: 1MiB } }
  - { domain: kv.sabz.city, module: build/wasm/services/kv.wasm, addresses: ["${KV}"], ram: { min: 64KiB, max: 1MiB },
      disk: [{ device: data, offset: 0, length: 1MiB, rights: [read, write] }] }
`;

const ping = async (ns: string, addr: string, n = 3) => (await inNs(ns, `ping -6 -c ${n} -i 0.2 -W 2 ${addr}`)).out;

describe("a metal node on a TAP, with a Linux host in a netns", { skip, timeout: 180000 }, () => {
  const dev = `mtp${TAG}`, ns = `mt${TAG}`;
  let dir = "", elf = "", image: MetalImage, qemu: RunningQemu | null = null, host: TapHost;

  before(async () => {
    dir = tempDir("net");
    elf = path.join(dir, "node.elf");
    image = await metalImageOf(manifest(path.join(dir, "kv.img")), elf);
    makeTap(dev);
    const t0 = Date.now();
    qemu = new RunningQemu(image, elf, { taps: { lan0: dev }, append: "status-every=1000", seconds: 150 });
    await qemu.line(new RegExp(`^${MTL_KERNEL_LINE}`), 30000);   // QEMU has opened the TAP
    host = adoptTap(dev, ns, [`${LINUX}/64`]);
    await waitFor(async () => /1 received/.test(await ping(ns, ECHO, 1)), 30000, `a first ping reply from ${ECHO}`, 100);
    console.log(`# metal: boot to first ping reply ${Date.now() - t0} ms (QEMU TCG, from starting QEMU)`);
  });
  after(async () => {
    await qemu?.kill();
    if (host) dropHost(host); else dropHost({ ns, dev });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("ndisc6 resolves a service's address to the NIC's MAC", async () => {
    const out = (await inNs(ns, `ndisc6 -1 -r 3 -w 1000 ${ECHO} ${dev}`)).out;
    assert.match(out, new RegExp(`Target link-layer address: ${MAC}`, "i"), out);
  });

  it("ping6 reaches the service, the node's link-local and its global address", async () => {
    for (const a of [ECHO, `${LINK_LOCAL}%${dev}`, GLOBAL]) assert.match(await ping(ns, a), /3 packets transmitted, 3 received/, a);
  });

  it("a flood of pings with 128 in flight, faster than the guest takes them, is answered whole", async () => {
    // The guest (QEMU TCG) is slower than ping: frames pile up in its receive ring, and each
    // turn hands them to the kernel in one k_rx_batch, handing over early when the next would
    // not fit Buf.RX_BATCH (64 KiB: 44 of these). A record laid out wrong loses the frames
    // after it in its batch.
    const out = (await inNs(ns, `ping -6 -f -l 128 -c 1000 -s 1400 -W 5 ${GLOBAL}`)).out;
    assert.match(out, /1000 packets transmitted, 1000 received/, out);
  });

  it("the echo service answers UDP", async () => {
    assert.equal(await udpOnce(ns, ECHO, 7, "over virtio"), `reply ${ECHO} 7 over virtio`);
  });

  it("kv keeps a value on its virtio-blk disk across a reboot of the guest", async () => {
    assert.equal(await udpOnce(ns, KV, 7070, "PUT colour turquoise"), `reply ${KV} 7070 OK`);
    assert.equal(await udpOnce(ns, KV, 7070, "GET colour"), `reply ${KV} 7070 VALUE turquoise`);
    await qemu!.kill();
    // The TAP stays in the namespace: the second QEMU runs there and opens it by name.
    qemu = new RunningQemu(image, elf, { taps: { lan0: dev }, append: "capture", seconds: 90, prefix: ["ip", "netns", "exec", ns] });
    await qemu.line(new RegExp(`^${MTL_KERNEL_LINE}`), 30000);
    const got = await waitFor(async () => { const r = await udpOnce(ns, KV, 7070, "GET colour"); return r.startsWith("reply") && r; },
      30000, "kv to answer after the reboot", 200);
    assert.equal(got, `reply ${KV} 7070 VALUE turquoise`);
  });

  it("persia capture --from reads the capture lines of the serial console", async () => {
    await qemu!.line(/^capture /, 5000);
    const log = path.join(dir, "serial.log"), yaml = path.join(dir, "node.yaml"), pcap = path.join(dir, "kv.pcapng");
    fs.writeFileSync(log, qemu!.serial);
    fs.writeFileSync(yaml, manifest(path.join(dir, "kv.img")));
    const r = spawnSync(process.execPath, [path.join(ROOT, "build/ts/cli/cli.js"), "capture", "--from", log, "--manifest", yaml,
      "--service", "kv.sabz.city", "-o", pcap], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(countMatching(pcap, `udp.port == 7070 && ipv6.addr == ${KV}`) >= 2, `the GET and its answer are in it\n${r.stdout}`);
  });
});
