// What the node's owner gives users to hand out (users[].addresses and users[].disks;
// loader/manifest/delegations.ts, spec/control.md): a delegation that would give away the
// node's special ranges, a network beyond a route, a whole connected LAN, or what another
// user or a manifest service holds is refused at its line; a good one becomes USER_PREFIX
// and USER_DISK records that round-trip through the boot bytes.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { RIGHT_READ, RIGHT_WRITE } from "../../abi/caps";
import { compileManifest, decodeBootManifest, encodeBootManifest, parseManifest } from "../../loader/manifest";
import { formatAddr } from "../../loader/ip6";
import { keyFromSeed, publicKeyText } from "../../loader/control/message";
import { ROOT } from "../../hosts/node/paths";
import { errorsOf, one } from "./refused";

const ALICE = publicKeyText(keyFromSeed(new Uint8Array(32).fill(7)).publicKey);
const BOB = publicKeyText(keyFromSeed(new Uint8Array(32).fill(8)).publicKey);

/** A node whose users: section is `users` (line 11 is the first user's line). */
function node(users: string, services = "[]"): string {
  return `node: { name: n.sabz.city, role: router }
nics:
  - { name: lan0, kind: virtual, prefixes: ["fd00:1::/64"] }
routes:
  - { to: "fd00:99::/48", via: "fe80::1", nic: lan0 }
  - { to: "::/0", via: "fe80::1", nic: lan0 }
disks:
  - { name: data, path: d.img, size: 1MiB }
services: ${services}
users:
${users}`;
}
const alice = (fields: string) => `  - { name: alice, key: "${ALICE}", domains: [a.sabz.city], ${fields} }`;
const bob = (fields: string) => `  - { name: bob, key: "${BOB}", domains: [b.sabz.city], ${fields} }`;

test("delegations become USER_PREFIX and USER_DISK records in the user's key, and round-trip", () => {
  const m = parseManifest(node(alice(`addresses: ["fd00:1::a0/124", "fd00:1::b1", "fd00:77::/64"], ` +
    `disks: [{ device: data, offset: 64KiB, length: 64KiB, rights: [read] }, { device: data, length: 32KiB, rights: [read, write] }]`)),
  "node.yaml", ROOT);
  const { boot } = compileManifest(m);
  const d = decodeBootManifest(boot);
  assert.deepEqual(d.userPrefixes.map((p) => [publicKeyText(p.key), `${formatAddr(p.prefix)}/${p.len}`]),
    [[ALICE, "fd00:1::a0/124"], [ALICE, "fd00:1::b1/128"], [ALICE, "fd00:77::/64"]]);
  assert.deepEqual(d.userDisks.map((x) => [x.disk, x.rights, x.offset, x.length]),
    [[0, RIGHT_READ, 65536n, 65536n], [0, RIGHT_READ | RIGHT_WRITE, 0n, 32768n]]);
  assert.deepEqual(encodeBootManifest(d), boot, "decode then encode gives the same bytes");
});

test("a user without delegations may be given nothing, and a manifest says so without them", () => {
  const d = decodeBootManifest(compileManifest(parseManifest(node(alice("addresses: []")), "node.yaml", ROOT)).boot);
  assert.deepEqual([d.userPrefixes, d.userDisks], [[], []]);
});

test("a delegated prefix may not cover the special ranges, nor be ::/0", () => {
  one(node(alice(`addresses: ["::/0"]`)), 11, "users[0].addresses[0]", /would give the user every address/);
  one(node(alice(`addresses: ["fe80::/64"]`)), 11, "users[0].addresses[0]", /covers link-local addresses/);
  one(node(alice(`addresses: ["ff02::/16"]`)), 11, "users[0].addresses[0]", /covers multicast addresses/);
  one(node(alice(`addresses: ["::1"]`)), 11, "users[0].addresses[0]", /covers the loopback address/);
  one(node(alice(`addresses: ["::ffff:0:0/104"]`)), 11, "users[0].addresses[0]", /covers IPv4-mapped addresses/);
  one(node(alice(`addresses: ["::/8"]`)), 11, "users[0].addresses[0]", /covers the unspecified address/);
  one(node(alice(`addresses: ["fd00:1::/64x"]`)), 11, "users[0].addresses[0]", /prefix length/);
});

test("a delegated prefix may not overlap a static route, nor contain a whole connected prefix", () => {
  one(node(alice(`addresses: ["fd00:99:0:1::/64"]`)), 11, "users[0].addresses[0]",
    "fd00:99:0:1::/64 overlaps routes[0] (fd00:99::/48): those addresses are reached through another router, not this node");
  const wide = errorsOf(node(alice(`addresses: ["fd00::/16"]`))).map((e) => e.message);
  assert.equal(wide.length, 2, "both problems of one wide prefix");
  assert.match(wide[0], /^fd00::\/16 overlaps routes\[0\]/);
  assert.match(wide[1], /^fd00::\/16 contains all of lan0's connected prefix/);
  one(node(alice(`addresses: ["fd00:1::/60"]`)), 11, "users[0].addresses[0]",
    "fd00:1::/60 contains all of lan0's connected prefix fd00:1::/64; give that prefix, or a part of it, by name, so that no host on the link is given away by accident");
});

test("an address is given to one user; a disk byte too", () => {
  one(node(`${alice(`addresses: ["fd00:1::a0/124"]`)}\n${bob(`addresses: ["fd00:1::a8"]`)}`), 12, "users[1].addresses[0]",
    "fd00:1::a8/128 overlaps fd00:1::a0/124, given to alice: an address is given to one user");
  one(node(`${alice(`disks: [{ device: data, length: 64KiB, rights: [read] }]`)}\n${bob(`disks: [{ device: data, offset: 32KiB, length: 64KiB, rights: [read] }]`)}`),
    12, "users[1].disks[0]", `shares bytes of disk "data" with an extent given to alice: a byte is given to one user`);
});

test("a disk delegation names a disk, lies inside it, and does not share a manifest service's bytes unless the service is the user's", () => {
  one(node(alice(`disks: [{ device: nope, length: 64KiB, rights: [read] }]`)), 11, "users[0].disks[0].device", /"nope" is not the name of a disk/);
  one(node(alice(`disks: [{ device: data, offset: 1MiB, length: 1, rights: [read] }]`)), 11, "users[0].disks[0].length", /ends past the end of disk "data"/);
  const svc = (domain: string) => `\n  - { domain: ${domain}, module: m.wasm, addresses: ["fd00:1::7"], ram: { min: 64KiB, max: 64KiB }, ` +
    `disk: [{ device: data, offset: 0, length: 128KiB, rights: [read, write] }] }`;
  one(node(alice(`disks: [{ device: data, offset: 64KiB, length: 128KiB, rights: [read] }]`), svc("kv.sabz.city")), 12, "users[0].disks[0]",
    `shares bytes of disk "data" with services[0].disk[0] of kv.sabz.city, which is not under alice's domains`);
  parseManifest(node(alice(`disks: [{ device: data, offset: 64KiB, length: 128KiB, rights: [read] }]`), svc("kv.a.sabz.city")), "node.yaml", ROOT);
});
