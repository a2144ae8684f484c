// Who may claim what with a signed control message (issue #10 items 1 and 2; spec/control.md,
// "Who may hand out what"; kernel/ctl/authority.ts), on a real node under Node: a LOAD
// gets only addresses from the prefixes the node's owner gave its signer — never another
// host's on the link, one behind a route, the node's own, or one a neighbor is using — and
// a LOAD or GRANT only disk extents inside the signer's, with no more rights, that no
// service of another owner holds. A refused claim leaves nothing: the node neither answers
// neighbor solicitations for the address nor delivers to it. The manifest rules that keep
// delegations apart are in tests/loader/delegations.test.ts.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import { Errno } from "../../abi/errno";
import { formatAddr, parseAddr } from "../../loader/ip6";
import { publicKeyText, keyFromSeed } from "../../loader/control/message";
import * as P from "../../cli/peer/packets";
import { Bench } from "./bench";
import { ALICE, BOB, MAC, NODE, PEER, Ctl, granted, svcYaml, withCtl, knowUser } from "./ctl";

const CAROL = keyFromSeed(new Uint8Array(32).fill(4));
knowUser(CAROL);

function nodeYaml(disk: string): string {
  return `
node: { name: auth.sabz.city, role: router }
nics:
  - { name: lan0, kind: virtual, mac: "${MAC}", prefixes: ["fd00:5ab2:1::/64"], ra: false }
routes:
  - { to: "fd00:99::/48", via: "fe80::1", nic: lan0 }
disks:
  - { name: data, path: ${disk}, size: 1MiB }
services:
  - { domain: echo.sabz.city, module: build/wasm/services/echo.wasm, addresses: ["fd00:5ab2:1::7"], ram: { min: 64KiB, max: 256KiB } }
  - { domain: store.b.sabz.city, module: build/wasm/services/echo.wasm, addresses: ["fd00:5ab2:1::b7"], ram: { min: 64KiB, max: 256KiB },
      disk: [{ device: data, offset: 512KiB, length: 64KiB, rights: [read, write] }] }
users:
  - name: alice
    key: "${publicKeyText(ALICE.publicKey)}"
    domains: [a.sabz.city]
    addresses: ["fd00:5ab2:1::a0/124", "fd00:5ab2:1::100", "fd00:5ab2:1::ff:fe00:0/120", "fd00:77::/64"]
    disks: [{ device: data, offset: 0, length: 256KiB, rights: [read, write] }, { device: data, offset: 256KiB, length: 64KiB, rights: [read] }]
  - name: bob
    key: "${publicKeyText(BOB.publicKey)}"
    domains: [b.sabz.city]
    addresses: ["fd00:5ab2:1::b0/124"]
    disks: [{ device: data, offset: 512KiB, length: 128KiB, rights: [read, write] }]
  - name: carol
    key: "${publicKeyText(CAROL.publicKey)}"
    domains: [c.sabz.city, a.sabz.city]
    addresses: ["fd00:5ab2:1::c0/124"]
    disks: [{ device: data, offset: 640KiB, length: 64KiB, rights: [read, write] }]
store:
  - { module: build/wasm/services/echo.wasm, ram: 1MiB, slots: 4 }
`;
}

/** Does the node answer a neighbor solicitation for addr (from the peer)? */
async function advertised(b: Bench, addr: Uint8Array): Promise<boolean> {
  const peer = b.peer("lan0");
  peer.send(P.ether(P.multicastMac(P.solicitedNode(addr)), peer.mac, P.ETH_IPV6, P.neighborSolicit(PEER, addr, peer.mac)));
  return !!(await b.frame(peer, (p) => p.icmpType === P.ICMP.NA && P.equalBytes(p.data?.subarray(0, 16), addr), 20));
}

/** The LOAD is refused with err, its text matches why, and nothing of it is left behind. */
async function refusedLoad(c: Ctl, b: Bench, domain: string, addr: string, err: Errno, why: RegExp, extra = ""): Promise<void> {
  const before = b.node.status();
  const r = await c.load(ALICE, svcYaml(domain, addr, extra));
  assert.equal(r.result, -err, r.text);
  assert.match(r.text, why);
  const after = b.node.status();
  assert.equal(after.services.length, before.services.length, "no service was left behind");
  assert.equal(after.routes.length, before.routes.length, "no route was added");
}

it("a LOAD gets only addresses from its signer's prefixes: not another host's, one behind a route, the node's own, or one in use", async () => {
  await withCtl(nodeYaml, async (c, b) => {
    await refusedLoad(c, b, "x.a.sabz.city", "fd00:5ab2:1::200", Errno.EACCES,
      /^control message refused: fd00:5ab2:1::200 is not in a prefix the node's owner gave alice \(users\[\]\.addresses/);
    assert.equal(await advertised(b, parseAddr("fd00:5ab2:1::200")), false, "the node does not answer for it");
    await refusedLoad(c, b, "x.a.sabz.city", "fd00:99::5", Errno.EACCES, /fd00:99::5 is not in a prefix the node's owner gave alice/);
    await refusedLoad(c, b, "x.a.sabz.city", formatAddr(NODE), Errno.EACCES, /fd00:5ab2:1::ff:fe00:1 is one of the node's own addresses/);
    await refusedLoad(c, b, "x.a.sabz.city", "fd00:5ab2:1::100", Errno.EEXIST, /fd00:5ab2:1::100 is in use by a neighbor on NIC 0/);
    assert.equal(await b.ping("lan0", parseAddr("fd00:5ab2:1::100")), false, "the peer's address still reaches the peer, not a service");
    const ok = await c.load(ALICE, svcYaml("x.a.sabz.city", "fd00:5ab2:1::a1"));
    assert.equal(ok.result, 0, ok.text);
    assert.ok(await b.until(() => b.service("x.a.sabz.city").state === "RUNNING", 50));
    assert.ok(await advertised(b, parseAddr("fd00:5ab2:1::a1")) && await b.ping("lan0", parseAddr("fd00:5ab2:1::a1")));
    const far = await c.load(ALICE, svcYaml("far.a.sabz.city", "fd00:77::5"));
    assert.equal(far.result, 0, `a delegated prefix that is not on any link: ${far.text}`);
    const bobs = await c.load(ALICE, svcYaml("y.a.sabz.city", "fd00:5ab2:1::b1"));
    assert.match(bobs.text, /fd00:5ab2:1::b1 is not in a prefix the node's owner gave alice/, "bob's prefix is bob's");
  });
});

it("a LOAD with one address of its own and one that is not gets neither", async () => {
  await withCtl(nodeYaml, async (c, b) => {
    const r = await c.load(ALICE, `{ domain: two.a.sabz.city, module: build/wasm/services/echo.wasm, addresses: ["fd00:5ab2:1::a2", "fd00:5ab2:1::200"], ram: { min: 64KiB, max: 256KiB } }`);
    assert.equal(r.result, -Errno.EACCES, r.text);
    assert.equal(await advertised(b, parseAddr("fd00:5ab2:1::a2")), false, "the good address was taken back too");
    assert.equal(await b.ping("lan0", parseAddr("fd00:5ab2:1::a2")), false);
  });
});

it("disk extents: only inside the signer's, with no more rights, and never overlapping another owner's service", async () => {
  await withCtl(nodeYaml, async (c, b) => {
    const disk = (off: string, len: string, rights: string) => `, disk: [{ device: data, offset: ${off}, length: ${len}, rights: [${rights}] }]`;
    let r = await c.load(ALICE, svcYaml("bad.a.sabz.city", "fd00:5ab2:1::a3", disk("512KiB", "64KiB", "read, write")));
    assert.equal(r.result, -Errno.EACCES, "bob's store extent");
    assert.match(r.text, /^control message refused: the extent at 524288 of 65536 bytes of disk 0, with those rights, is not inside one the node's owner gave alice \(users\[\]\.disks/);
    r = await c.load(ALICE, svcYaml("bad.a.sabz.city", "fd00:5ab2:1::a3", disk("256KiB", "4KiB", "read, write")));
    assert.equal(r.result, -Errno.EACCES, "write where alice was given read only");
    r = await c.load(ALICE, svcYaml("bad.a.sabz.city", "fd00:5ab2:1::a3", disk("252KiB", "8KiB", "read")));
    assert.equal(r.result, -Errno.EACCES, "across the end of one delegation into the next");
    r = await c.load(ALICE, svcYaml("g.a.sabz.city", "fd00:5ab2:1::a3", disk("0", "64KiB", "read, write")));
    assert.equal(r.result, 0, r.text);
    r = await c.grant(ALICE, `{ domain: g.a.sabz.city, disk: [{ device: data, offset: 256KiB, length: 4KiB, rights: [read] }] }`);
    assert.equal(r.result, 0, r.text);
    r = await c.grant(ALICE, `{ domain: g.a.sabz.city, disk: [{ device: data, offset: 0, length: 1MiB, rights: [read] }] }`);
    assert.equal(r.result, -Errno.EACCES, "the whole disk");
    assert.equal(granted(b, "g.a.sabz.city").disks.length, 2, "the refused GRANT added nothing");

    // carol controls a.sabz.city too; her own service holds part of her extent, and alice's
    // g.a.sabz.city may not be given bytes of it.
    assert.equal((await c.load(CAROL, svcYaml("c1.c.sabz.city", "fd00:5ab2:1::c1", disk("640KiB", "16KiB", "read, write")))).result, 0);
    r = await c.grant(CAROL, `{ domain: g.a.sabz.city, disk: [{ device: data, offset: 644KiB, length: 4KiB, rights: [read] }] }`);
    assert.equal(r.result, -Errno.EEXIST, r.text);
    assert.match(r.text, /overlaps one that c1\.c\.sabz\.city, a service of another owner, holds/);
    r = await c.grant(CAROL, `{ domain: g.a.sabz.city, disk: [{ device: data, offset: 660KiB, length: 4KiB, rights: [read] }] }`);
    assert.equal(r.result, 0, `bytes of carol's that no other owner holds: ${r.text}`);
    assert.equal(granted(b, "g.a.sabz.city").disks.length, 3);
    assert.ok(await b.ping("lan0", parseAddr("fd00:5ab2:1::7")), "echo answered throughout");
  });
});

it("a manifest service under a user's domain is that user's: the user may share its bytes", async () => {
  await withCtl(nodeYaml, async (c) => {
    const r = await c.load(BOB, svcYaml("s.b.sabz.city", "fd00:5ab2:1::b1", ", disk: [{ device: data, offset: 520KiB, length: 4KiB, rights: [read] }]"));
    assert.equal(r.result, 0, `store.b.sabz.city is under bob's domain, so its bytes are bob's to share: ${r.text}`);
    const echo = await c.grant(BOB, `{ domain: s.b.sabz.city, disk: [{ device: data, offset: 600KiB, length: 4KiB, rights: [read] }] }`);
    assert.equal(echo.result, 0, echo.text);
  });
});
