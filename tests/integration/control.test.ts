// Signed control messages (spec/control.md) against a real node under Node: a user LOADs a
// service from the node's store with grants, GRANTs it new limits, REVOKEs a disk extent
// and UNLOADs it, each answered by the kernel; admission refuses mins that do not fit and
// leaves the node as it was; replays, old epochs, bad signatures, foreign keys and domains
// outside a user's are refused with the reason; malformed datagrams are counted and
// dropped; a flood of signed messages is rate-limited. Messages are signed with tweetnacl
// and sent by the peer on the virtual link; the deterministic clock of bench.ts runs it.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CTL_PORT, Op } from "../../abi/control";
import { Errno } from "../../abi/errno";
import { parseAddr } from "../../loader/ip6";
import { encodeBootManifest } from "../../loader/manifest";
import { KernelInstance } from "../../hosts/node/kernel";
import { hello, signed, publicKeyText } from "../../loader/control/message";
import { loadRequest, unloadBody, revokeBody } from "../../loader/control/request";
import { ROOT, WASM_DIR } from "../../hosts/node/paths";
import * as P from "../../cli/peer/packets";
import { Bench } from "./bench";
import { ALICE, BOB, MALLORY, MAC, NODE, PEER, Ctl, granted, svcYaml, withCtl as withCtlOf } from "./ctl";

function nodeYaml(disk: string): string {
  return `
node: { name: ctl.sabz.city, role: server, ram: 1MiB }
nics:
  - { name: lan0, kind: virtual, mac: "${MAC}", prefixes: ["fd00:5ab2:1::/64"], rate: 100Mbit }
disks:
  - { name: data, path: ${disk}, size: 1MiB }
services:
  - { domain: echo.sabz.city, module: build/wasm/services/echo.wasm, addresses: ["fd00:5ab2:1::7"], ram: { min: 256KiB, max: 512KiB }, cpu: { min: 20% } }
users:
  - name: alice
    key: "${publicKeyText(ALICE.publicKey)}"
    domains: [a.sabz.city]
    addresses: ["fd00:5ab2:1::a0/124", "fd00:5ab2:1::b0/124", "fd00:5ab2:1::c0/124", "fd00:5ab2:1::d0/124"]
    disks: [{ device: data, offset: 0, length: 512KiB, rights: [read, write] }]
  - { name: bob, key: "${publicKeyText(BOB.publicKey)}", domains: [b.sabz.city, c.sabz.city], addresses: ["fd00:5ab2:1::e0/124"] }
store:
  - { module: build/wasm/services/echo.wasm, ram: 1MiB, slots: 2 }
  - { module: build/wasm/services/kv.wasm, ram: 1MiB }
`;
}

const withCtl = (body: (c: Ctl, b: Bench) => Promise<void>) => withCtlOf(nodeYaml, body);
const A1 = parseAddr("fd00:5ab2:1::a1");

it("HELLO gives the node's epoch and the user's last sequence number; a LOAD starts a service from the store that answers", async () => {
  await withCtl(async (c, b) => {
    const first = (await c.raw(hello(ALICE.publicKey)))!;
    assert.deepEqual([first.op, first.result, first.sealed], [Op.HELLO, -Errno.EAGAIN, false], "a first HELLO: the cookie, in clear");
    const h = await c.sealedHello(ALICE);
    assert.deepEqual([h.op, h.result, h.seq, h.sealed], [Op.HELLO, 0, 0n, true]);
    assert.notEqual(h.epoch, 0n, "an epoch from the host's randomness");
    assert.match((await c.sealedHello(MALLORY)).text, /not one of the node's users/);
    assert.equal(await b.ping("lan0", A1), false, "nothing at the address before the LOAD");
    const r = await c.load(ALICE, svcYaml("echo1.a.sabz.city", "fd00:5ab2:1::a1", ", cpu: { min: 10%, max: 50% }, net: [{ nic: lan0, min: 1Mbit, max: 10Mbit }]"));
    assert.equal(r.result, 0, r.text);
    assert.equal(r.svc, 1, "the first store slot, after the one service of the manifest");
    assert.match(r.text, /alice loaded echo1\.a\.sabz\.city/);
    assert.ok(await b.until(() => b.service("echo1.a.sabz.city").state === "RUNNING", 50));
    assert.equal(await b.ping("lan0", A1), true, "the loaded service answers");
    const s = granted(b, "echo1.a.sabz.city");
    assert.deepEqual([s.cpuMinPermille, s.cpuMaxPermille, s.ramMinPages, s.ramMaxPages], [100, 500, 2, 4]);
    assert.equal((await c.sealedHello(ALICE)).seq, 1n, "HELLO now reports alice's last sequence number");
  });
});

it("replays, old epochs, bad signatures, unknown keys and foreign domains are refused, and change nothing", async () => {
  await withCtl(async (c, b) => {
    const body = loadRequest(svcYaml("x.a.sabz.city", "fd00:5ab2:1::a2"), "l.yaml", ROOT, c.manifest).body;
    const { epoch, cookie } = await c.hello();
    const good = signed(Op.LOAD, epoch, 5n, ALICE, body, cookie);
    assert.equal((await c.raw(good))!.result, 0);
    const again = (await c.raw(good))!;
    assert.equal(again.result, -Errno.ESTALE, again.text);
    assert.match(again.text, /not above the last one accepted/);
    assert.equal((await c.raw(signed(Op.UNLOAD, epoch, 5n, ALICE, unloadBody("x.a.sabz.city"), cookie)))!.result, -Errno.ESTALE, "a sequence number used once is spent");
    assert.equal((await c.raw(signed(Op.UNLOAD, epoch ^ 1n, 6n, ALICE, unloadBody("x.a.sabz.city"), cookie)))!.result, -Errno.ESTALE, "another epoch");
    const forged = signed(Op.UNLOAD, epoch, 7n, ALICE, unloadBody("x.a.sabz.city"), cookie);
    forged[forged.length - 1] ^= 1;
    const f = (await c.raw(forged))!;
    assert.deepEqual([f.result, f.text], [-Errno.EACCES, "the signature does not verify with the request's key"]);
    assert.equal((await c.raw(signed(Op.UNLOAD, epoch, 1n, MALLORY, unloadBody("x.a.sabz.city"), cookie)))!.result, -Errno.EACCES, "not a user");
    const bob = await c.send(BOB, Op.UNLOAD, unloadBody("x.a.sabz.city"));
    assert.equal(bob.result, -Errno.EACCES);
    assert.match(bob.text, /bob may not unload x\.a\.sabz\.city: not under any of the user's domains/);
    const bobLoad = await c.load(BOB, svcYaml("a.sabz.city.evil.b.sabz.city", "fd00:5ab2:1::e3"));
    assert.equal(bobLoad.result, 0, "a name under one of bob's domains: " + bobLoad.text);
    assert.equal((await c.load(BOB, svcYaml("b.sabz.city.a.sabz.city", "fd00:5ab2:1::e4"))).result, -Errno.EACCES, "a suffix that is not a whole label");
    const n = b.node.status().node!;
    assert.deepEqual([n.controlAccepted, n.controlRefused], [2, 7], "status counts what the kernel acted on and what it refused");
  });
});

it("admission: RAM, CPU and net mins that do not fit are refused with the numbers, and the node is as before", async () => {
  await withCtl(async (c, b) => {
    const before = b.node.status().services.length;
    const ram = await c.load(ALICE, `{ domain: big.a.sabz.city, module: build/wasm/services/echo.wasm, addresses: ["fd00:5ab2:1::b1"], ram: { min: 896KiB, max: 1MiB } }`);
    assert.equal(ram.result, -Errno.EDQUOT);
    assert.equal(ram.text, "admission refused: ram.min: the node's RAM budget is 1024 KiB; the services' mins add up to 1152 KiB: 128 KiB too much");
    const cpu = await c.load(ALICE, svcYaml("cpu.a.sabz.city", "fd00:5ab2:1::b2", ", cpu: { min: 90% }"));
    assert.equal(cpu.text, "admission refused: cpu.min: the services' CPU mins add up to 1100 permille of the period: 100 more than the whole");
    const net = await c.load(ALICE, svcYaml("net.a.sabz.city", "fd00:5ab2:1::b3", ", net: [{ nic: lan0, min: 101Mbit }]"));
    assert.match(net.text, /net\.min on NIC 0: its line rate is 100000000 bit\/s; the mins add up to 101000000 bit\/s: 1000000 bit\/s too much/);
    assert.equal(b.node.status().services.length, before, "no service was left behind");
    assert.equal(await b.ping("lan0", parseAddr("fd00:5ab2:1::b1")), false, "no route to a refused service's address");
    const ok = await c.load(ALICE, svcYaml("fits.a.sabz.city", "fd00:5ab2:1::b1"));
    assert.equal(ok.result, 0, `the same slot and address are free again: ${ok.text}`);
  });
});

it("the store decides what may load: an unknown module is ENOENT, a full store ENOSPC, RAM over the entry's ENOSPC", async () => {
  await withCtl(async (c) => {
    const unknown = await c.load(ALICE, svcYaml("t.a.sabz.city", "fd00:5ab2:1::c1", "", "build/wasm/tests/trap.wasm"));
    assert.equal(unknown.result, -Errno.ENOENT, unknown.text);
    assert.equal((await c.load(ALICE, svcYaml("e1.a.sabz.city", "fd00:5ab2:1::c2"))).svc, 1);
    assert.equal((await c.load(ALICE, svcYaml("e2.a.sabz.city", "fd00:5ab2:1::c3"))).svc, 2);
    const full = await c.load(ALICE, svcYaml("e3.a.sabz.city", "fd00:5ab2:1::c4"));
    assert.equal(full.result, -Errno.ENOSPC, full.text);
    const kv = await c.load(ALICE, `{ domain: kv.a.sabz.city, module: build/wasm/services/kv.wasm, addresses: ["fd00:5ab2:1::c5"], ram: { min: 64KiB, max: 2MiB } }`);
    assert.equal(kv.result, -Errno.ENOSPC, "2 MiB is over the store entry's 1 MiB");
    assert.equal((await c.send(ALICE, Op.UNLOAD, unloadBody("e1.a.sabz.city"))).result, 0);
    assert.equal((await c.load(ALICE, svcYaml("e3.a.sabz.city", "fd00:5ab2:1::c4"))).svc, 1, "an unloaded slot is free again");
  });
});

it("GRANT replaces limits and restarts a service whose RAM max changed; a refused GRANT changes nothing; UNLOAD frees all", async () => {
  await withCtl(async (c, b) => {
    assert.equal((await c.load(ALICE, svcYaml("g.a.sabz.city", "fd00:5ab2:1::d1", ", disk: [{ device: data, offset: 0, length: 64KiB, rights: [read] }]"))).result, 0);
    assert.ok(await b.until(() => b.service("g.a.sabz.city").state === "RUNNING", 50));
    const g = await c.grant(ALICE, `{ domain: g.a.sabz.city, cpu: { min: 5%, max: 30% }, net: [{ nic: lan0, max: 5Mbit }],
      disk: [{ device: data, offset: 64KiB, length: 64KiB, rights: [read, write] }] }`);
    assert.equal(g.result, 0, g.text);
    let s = granted(b, "g.a.sabz.city");
    assert.deepEqual([s.cpuMinPermille, s.cpuMaxPermille], [50, 300]);
    assert.equal(s.disks.length, 2, "the granted extent was added");
    const over = await c.grant(ALICE, `{ domain: g.a.sabz.city, cpu: { min: 90% }, disk: [{ device: data, offset: 128KiB, length: 64KiB, rights: [read] }] }`);
    assert.equal(over.result, -Errno.EDQUOT, over.text);
    s = granted(b, "g.a.sabz.city");
    assert.deepEqual([s.cpuMinPermille, s.disks.length], [50, 2], "the refused grant left cpu and disks as they were");
    const ram = await c.grant(ALICE, `{ domain: g.a.sabz.city, ram: { min: 64KiB, max: 1MiB } }`);
    assert.match(ram.text, /its RAM max changed, so it restarts now/);
    assert.ok(await b.until(() => b.service("g.a.sabz.city").state === "RUNNING", 50));
    assert.equal(b.node.services.ram(b.service("g.a.sabz.city").id).maxPages, 16, "the new RAM max, in pages");
    assert.equal(b.service("g.a.sabz.city").restarts, 0, "a restart for a grant is not a fault's");
    assert.equal((await c.grant(ALICE, `{ domain: g.a.sabz.city, ram: { min: 64KiB, max: 2MiB } }`)).result, -Errno.ENOSPC, "over the store entry's RAM");
    const rv = await c.send(ALICE, Op.REVOKE, revokeBody("g.a.sabz.city", 0, 0n, 64n << 10n));
    assert.equal(rv.result, 0, rv.text);
    assert.equal(granted(b, "g.a.sabz.city").disks.length, 1);
    assert.equal((await c.send(ALICE, Op.REVOKE, revokeBody("g.a.sabz.city", 0, 0n, 64n << 10n))).result, -Errno.ENOENT, "revoked already");
    assert.equal(await b.ping("lan0", parseAddr("fd00:5ab2:1::d1")), true);
    assert.equal((await c.send(ALICE, Op.UNLOAD, unloadBody("g.a.sabz.city"))).result, 0);
    assert.equal(b.node.status().services.some((x) => x.name === "g.a.sabz.city"), false, "gone from status");
    assert.equal(await b.ping("lan0", parseAddr("fd00:5ab2:1::d1")), false, "its address is gone");
    assert.equal(await b.ping("lan0", parseAddr("fd00:5ab2:1::7")), true, "echo answered throughout");
  });
});

it("malformed control datagrams are counted and dropped; signed messages over the verify rate are dropped too", async () => {
  await withCtl(async (c, b) => {
    const before = b.drops();
    const { epoch, cookie } = await c.hello();
    const short = signed(Op.UNLOAD, epoch, 1n, ALICE, unloadBody("x.a.sabz.city"), cookie).subarray(0, 40);
    assert.equal(await c.raw(short, 10), null);
    const badMagic = hello(ALICE.publicKey); badMagic[0] ^= 0xff;
    assert.equal(await c.raw(badMagic, 10), null);
    const signedShort = hello(ALICE.publicKey, undefined, 100); signedShort[5] = Op.UNLOAD;
    assert.equal(await c.raw(signedShort, 10), null, "a signed op shorter than header + signature");
    // A well-formed HELLO in a datagram whose UDP checksum is wrong, or zero (RFC 8200 §8.1:
    // mandatory over IPv6), is not answered.
    const peer0 = b.peer("lan0");
    for (const bad of [(d: Uint8Array) => { d[46] ^= 0x01; }, (d: Uint8Array) => { d[46] = 0; d[47] = 0; }]) {
      const dgram = P.udp(PEER, NODE, 42001, CTL_PORT, hello(ALICE.publicKey));
      bad(dgram);
      peer0.sendIp(b.nodeMac("lan0"), dgram);
      assert.equal(await b.frame(peer0, (f) => f.sport === CTL_PORT && f.dport === 42001, 10), null, "no answer to a bad UDP checksum");
    }
    await b.dropped(before, { CTL_MALFORMED: 5 });
    const flood = Array.from({ length: 30 }, (_, i) => signed(Op.UNLOAD, epoch, BigInt(100 + i), ALICE, unloadBody("none.a.sabz.city"), cookie));
    const peer = b.peer("lan0");
    const before2 = b.drops();
    for (const m of flood) peer.sendIp(b.nodeMac("lan0"), P.udp(PEER, NODE, 42000, CTL_PORT, m));
    await b.deliver();
    // The first is checked from the /64's budget and, verified, makes the peer alice's own
    // address, whose bucket (burst CTL_SRC_BURST, 5) pays the next five.
    await b.dropped(before2, { CTL_RATE: 30 - 1 - 5 });
  });
});

it("the kernel admits at boot too: a hand-built boot manifest whose RAM mins exceed its budget does not boot", async () => {
  const logs: string[] = [];
  let k: KernelInstance | null = null;
  const host = {
    log: (_l: number, p: number, n: number) => { logs.push(new TextDecoder().decode(k!.bytes.subarray(p, p + n))); },
    random: () => {}, nic_send: () => 0, nic_send_gso: () => -20, svc_start: () => 0, svc_stop: () => {}, svc_load: () => -2, svc_unload: () => {}, module_read: () => -2,
    svc_ram: () => 0, svc_call: () => 0, svc_fuel_used: () => 0n, svc_read: () => -8, svc_write: () => -8,
    disk_read: () => -12, disk_write: () => -12, disk_flush: () => 0, usb_submit: () => -16, usb_cancel: () => {}, capture: () => {},
    mod_stage: () => -20, mod_write: () => -20, mod_read: () => -20, mod_commit: () => -20, mod_abort: () => {},
  };
  k = new KernelInstance(fs.readFileSync(path.join(WASM_DIR, "kernel.wasm")), host);
  const boot = encodeBootManifest({ node: { role: 0, name: "a.sabz.city" }, budget: 3, nics: [], ras: [], prefixes: [], routes: [], disks: [],
    services: [{ id: 0, restartLimit: 1, ramMinPages: 2, ramMaxPages: 4, name: "s0.sabz.city" }, { id: 1, restartLimit: 1, ramMinPages: 2, ramMaxPages: 4, name: "s1.sabz.city" }],
    svcAddrs: [], capDisks: [] });
  assert.equal(k.boot(boot, 0n), -Errno.EDQUOT);
  assert.deepEqual(logs, ["admission refused: ram.min: the node's RAM budget is 192 KiB; the services' mins add up to 256 KiB: 64 KiB too much"]);
  assert.equal(k.boot(encodeBootManifest({ node: { role: 0, name: "a.sabz.city" }, budget: 4, nics: [], ras: [], prefixes: [], routes: [], disks: [],
    services: [{ id: 0, restartLimit: 1, ramMinPages: 2, ramMaxPages: 4, name: "s0.sabz.city" }], svcAddrs: [], capDisks: [] }), 0n), 0,
    "a refused boot leaves nothing behind: a manifest that fits boots on the same instance");
});
