// The router appliance on metal (issue #12): a metal node with role router and two virtio
// NICs (one found by PCI place, one by MAC), each on a TAP in a network namespace of its
// own, and an uplink NIC whose default route makes it a default router. The Linux hosts configure themselves from its router advertisements (rdisc6 shows
// prefix and MTU), reach each other through it with the hop limit one lower, and a packet
// too big for the smaller-MTU side gets Packet Too Big with that MTU — what the Node
// host's tests/e2e/router.test.ts checks, here with no Linux under the router.
// Needs root, iproute2, ping, ndisc6/rdisc6, and what qemu.ts needs.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { MTL_KERNEL_LINE } from "../../abi/metal";
import { missing, sh, skipOrFail, slaacAddress } from "../e2e/linux";
import { metalImageOf, metalOrSkip, RunningQemu, tempDir } from "./qemu";
import { adoptTap, dropHost, inNs, makeTap, TapHost } from "./tap";

const skip = skipOrFail(missing(["ip", "ping", "rdisc6"])) || metalOrSkip();
const TAG = (process.pid % 900) + 100;
const A = { ns: `mra${TAG}`, dev: `mta${TAG}`, prefix: `fd00:a:${TAG}::`, mac: "02:00:5a:b2:1a:01" };
const B = { ns: `mrb${TAG}`, dev: `mtb${TAG}`, prefix: `fd00:b:${TAG}::`, mac: "02:00:5a:b2:1b:01" };
const UP = `mtu${TAG}`;   // the uplink's TAP: only there, so that the node has a default route and advertises one
const ECHO = `${A.prefix}7`;

const MANIFEST = `
node: { name: mr${TAG}.sabz.city, role: router }
nics:
  - { name: lana, kind: virtio, virtio: { pci: 0 }, mac: "${A.mac}", mtu: 1500, prefixes: ["${A.prefix}/64"] }
  - { name: lanb, kind: virtio, mac: "${B.mac}", mtu: 1400, prefixes: ["${B.prefix}/64"] }
  - { name: up, kind: virtio, virtio: { pci: 2 }, mac: "02:00:5a:b2:1c:01", ra: false }
routes:
  - { to: "::/0", via: "fe80::1", nic: up }
services:
  - { domain: echo.sabz.city, module: build/wasm/services/echo.wasm, addresses: ["${ECHO}"], ram: { min: 64KiB, max: 1MiB } }
`;

/** The host's SLAAC address in its prefix, once duplicate address detection is done. */
const slaac = (h: typeof A, ms = 30000) => slaacAddress(h, ms);

describe("the metal router appliance between two Linux hosts", { skip, timeout: 180000 }, () => {
  let dir = "", qemu: RunningQemu | null = null;
  const hosts: TapHost[] = [];
  let addrB = "";

  before(async () => {
    dir = tempDir("router");
    const elf = path.join(dir, "router.elf");
    const image = await metalImageOf(MANIFEST, elf);
    for (const d of [A.dev, B.dev, UP]) makeTap(d);
    qemu = new RunningQemu(image, elf, { taps: { lana: A.dev, lanb: B.dev, up: UP }, append: "status-every=1000", seconds: 150 });
    await qemu.line(new RegExp(`^${MTL_KERNEL_LINE}`), 30000);
    for (const h of [A, B]) hosts.push(adoptTap(h.dev, h.ns, [], { acceptRa: true }));
    await slaac(A);
    addrB = await slaac(B);
  });
  after(async () => {
    await qemu?.kill();
    for (const h of [A, B]) dropHost(h);
    sh(`ip link del ${UP}`, { allowFail: true });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("rdisc6 shows each side's prefix, MTU and router lifetime", async () => {
    const a = (await inNs(A.ns, `rdisc6 -1 -r 3 -w 4000 ${A.dev}`)).out;
    assert.match(a, new RegExp(`Prefix +: ${A.prefix}/64`), a);
    assert.match(a, /MTU +: +1500 bytes/, a);
    assert.match(a, /Router lifetime +: +1800 \(0x00000708\) seconds/, a);
    const b = (await inNs(B.ns, `rdisc6 -1 -r 3 -w 4000 ${B.dev}`)).out;
    assert.match(b, new RegExp(`Prefix +: ${B.prefix}/64`), b);
    assert.match(b, /MTU +: +1400 bytes/, b);
  });

  it("both hosts ping the service; A pings B through the router, the hop limit one lower", async () => {
    for (const h of [A, B]) {
      const out = (await inNs(h.ns, `ping -6 -c 3 -i 0.2 -W 2 ${ECHO}`)).out;
      assert.match(out, /3 packets transmitted, 3 received/, `${h.ns}\n${out}`);
    }
    const out = (await inNs(A.ns, `ping -6 -c 3 -i 0.2 -W 2 ${addrB}`)).out;
    assert.match(out, /3 packets transmitted, 3 received/, out);
    assert.match(out, /ttl=63/, `B answers with hop limit 64; it arrives with 63\n${out}`);
  });

  it("a packet too big for the 1400-byte side gets Packet Too Big with that MTU", async () => {
    const out = (await inNs(A.ns, `ping -6 -c 2 -i 0.5 -W 2 -M do -s 1452 ${addrB}`)).out;
    assert.match(out, /Packet too big: mtu=1400|mtu=1400/, out);
  });
});
