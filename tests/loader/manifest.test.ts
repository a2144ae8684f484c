// loader/manifest on valid input: a small manifest compiles to exactly the bytes
// abi/manifest.ts describes (written out by hand here); a larger one gives the expected
// host plan and decodes back to the same records and the same bytes; defaults are filled
// in; paths resolve against the manifest's directory; the examples in spec/manifest.md are
// valid; the largest manifest the limits allow (tests/loader/max_manifest.ts) fits the size
// spec/manifest.md states.
import { NET_FORWARD, NET_LINK } from "../../abi/manifest";
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RIGHT_DERIVE, RIGHT_READ, RIGHT_WRITE } from "../../abi/caps";
import { NicKind, Role } from "../../abi/kernel";
import { formatAddr, formatPrefix, parseAddr, parsePrefix } from "../../loader/ip6";
import {
  bootRecords, compileManifest, decodeBootManifest, defaultMac, encodeBootManifest, limits, loadManifest, parseManifest,
} from "../../loader/manifest";
import { errorsOf } from "./refused";
import { maxManifestBoot } from "./max_manifest";
import { signModule } from "../../loader/modsig/sign";
import { WASM_DIR } from "../../hosts/node/paths";
import { publicKeyOfSeed, signCert } from "../../loader/cert/cert";
import { certLine } from "../../loader/cert/files";
import { CERT_ISSUER } from "../../wire/layout/cert";

const ascii = (s: string) => Array.from(Buffer.from(s, "ascii"));
const u16 = (n: number) => [n & 0xff, n >> 8];
const zeros = (n: number) => new Array<number>(n).fill(0);

const SMALL = `
node:
  name: a.sabz.city
  role: server
nics:
  - name: lan0
    kind: virtual
    mac: "02:00:5a:b2:00:01"
    prefixes: ["fd00::/64"]
services:
  - domain: e.sabz.city
    module: e.wasm
    addresses: ["fd00::7"]
    ram: { min: 1, max: 65537 }
`;

test("a small manifest compiles to exactly the abi/manifest.ts bytes", () => {
  const { boot } = compileManifest(parseManifest(SMALL, "small.yaml", "/srv"));
  const expected = [
    ...ascii("PRSA"), ...u16(2), ...u16(5),                                   // header: magic, version 2, 5 records
    1, 0, ...u16(13), 0, 11, ...ascii("a.sabz.city"),                         // NODE: role server, name
    2, 0, ...u16(10), 0, 0, ...u16(1500), 0x02, 0x00, 0x5a, 0xb2, 0x00, 0x01, // NIC 0: virtual, mtu, mac
    3, 0, ...u16(18), 0, 64, 0xfd, ...zeros(15),                              // PREFIX: nic 0, fd00::/64
    5, 0, ...u16(24), 0, 0, ...u16(5), 1, 0, 0, 0, 2, 0, 0, 0, 11, ...ascii("e.sabz.city"), // SERVICE 0: 5 restarts, 1..2 pages
    6, 0, ...u16(18), 0, 0, 0xfd, ...zeros(14), 0x07,                         // SVC_ADDR: service 0, fd00::7
  ];
  assert.deepEqual(Array.from(boot), expected);
});

const EXAMPLE = `node:
  name: demo.sabz.city
  role: router
nics:
  - name: lan0
    kind: virtual
    mac: "02:00:5a:b2:00:01"
    prefixes: ["fd00:5ab2:1::/64"]
  - name: wan0
    kind: vxlan
    mtu: 1450
    prefixes: ["fd00:5ab2:2::/64", "fd00:5ab2:3::/48"]
    vxlan: { local: "[fd00:99::1]:4789", remote: "[fd00:99::2]:4789", vni: 42 }
    ra: false
  - { name: tap0, kind: tap, mtu: 9000, tap: { device: pt0 }, ra: { max_interval: 60, other: true } }
routes:
  - { to: "::/0", via: "fe80::1", nic: wan0 }
  - { to: "fd00:77::/32", nic: lan0 }
disks:
  - { name: data, path: ./data.img, size: 16MiB }
  - { name: logs, path: /var/persia/logs.img, size: 4096 }
services:
  - domain: echo.sabz.city
    module: ../build/wasm/services/echo.wasm
    addresses: ["fd00:5ab2:1::7"]
    ram: { min: 64KiB, max: 1MiB }
  - domain: kv.sabz.city
    module: kv.wasm
    addresses: ["fd00:5ab2:1::8", "FD00:5AB2:2:0::8"]
    ram: { min: 100000, max: 2 MiB }
    restart: { limit: 0 }
    disk:
      - { device: data, offset: 1MiB, length: 1MiB, rights: [read, write] }
      - { device: logs, length: 4096, rights: [read] }
`;

test("a larger manifest gives the expected host plan", () => {
  const { plan } = compileManifest(parseManifest(EXAMPLE, "node.yaml", "/srv/node"));
  const ra = { minInterval: 198, maxInterval: 600, lifetime: 1800, hopLimit: 64, managed: false, other: false,
    reachableTime: 0, retransTimer: 0, validLifetime: 2592000, preferredLifetime: 604800 };
  assert.deepEqual(plan, {
    node: { name: "demo.sabz.city", role: "router" },
    nics: [
      { id: 0, name: "lan0", kind: "virtual", mac: "02:00:5a:b2:00:01", mtu: 1500, prefixes: ["fd00:5ab2:1::/64"], ra,
        autoconf: false, dad: 0, rate: null, forward: null },
      { id: 1, name: "wan0", kind: "vxlan", mac: "1a:e6:38:c5:04:b5", mtu: 1450,
        prefixes: ["fd00:5ab2:2::/64", "fd00:5ab2:3::/48"],
        vxlan: { local: { address: "fd00:99::1", port: 4789 }, remote: { address: "fd00:99::2", port: 4789 }, vni: 42 }, ra: null,
        autoconf: false, dad: 0, rate: null, forward: null },
      { id: 2, name: "tap0", kind: "tap", mac: "f2:02:88:bd:9d:d2", mtu: 9000, prefixes: [], tap: { device: "pt0" },
        ra: { ...ra, minInterval: 20, maxInterval: 60, lifetime: 180, other: true }, autoconf: false, dad: 0, rate: null, forward: null },
    ],
    services: [
      { id: 0, domain: "echo.sabz.city", modulePath: "/srv/build/wasm/services/echo.wasm", ramMinPages: 1, ramMaxPages: 16,
        addresses: ["fd00:5ab2:1::7"], learned: [], net: [] },
      { id: 1, domain: "kv.sabz.city", modulePath: "/srv/node/kv.wasm", ramMinPages: 2, ramMaxPages: 32,
        addresses: ["fd00:5ab2:1::8", "fd00:5ab2:2::8"], learned: [], net: [] },
    ],
    disks: [
      { id: 0, name: "data", path: "/srv/node/data.img", size: 16777216 },
      { id: 1, name: "logs", path: "/var/persia/logs.img", size: 4096 },
    ],
    usb: [],
    signedModules: false,
    store: [],
    network: null,
    observe: { metrics: null },
  });
});

test("the boot bytes decode to the manifest's records and re-encode byte for byte", () => {
  const m = parseManifest(EXAMPLE, "node.yaml", "/srv/node");
  const { boot } = compileManifest(m);
  const decoded = decodeBootManifest(boot);
  assert.deepEqual(decoded, bootRecords(m));
  assert.deepEqual(encodeBootManifest(decoded), boot);
  assert.deepEqual(decoded.node, { role: Role.ROUTER, name: "demo.sabz.city" });
  assert.deepEqual(decoded.nics.map((n) => [n.id, n.kind, n.mtu]), [[0, NicKind.VIRTUAL, 1500], [1, NicKind.VXLAN, 1450], [2, NicKind.TAP, 9000]]);
  assert.deepEqual(decoded.ras.map((r) => [r.nic, r.flags, r.maxInterval]), [[0, 0, 600], [2, 0x40, 60]]);
  assert.deepEqual(decoded.prefixes, [
    { nic: 0, len: 64, addr: parsePrefix("fd00:5ab2:1::/64").addr },
    { nic: 1, len: 64, addr: parsePrefix("fd00:5ab2:2::/64").addr },
    { nic: 1, len: 48, addr: parsePrefix("fd00:5ab2:3::/48").addr },
  ]);
  assert.deepEqual(decoded.routes, [
    { nic: 1, len: 0, prefix: new Uint8Array(16), via: parseAddr("fe80::1") },
    { nic: 0, len: 32, prefix: parseAddr("fd00:77::"), via: new Uint8Array(16) },
  ]);
  assert.deepEqual(decoded.disks, [{ id: 0, size: 16777216n }, { id: 1, size: 4096n }]);
  assert.deepEqual(decoded.services, [
    { id: 0, restartLimit: 5, ramMinPages: 1, ramMaxPages: 16, name: "echo.sabz.city" },
    { id: 1, restartLimit: 0, ramMinPages: 2, ramMaxPages: 32, name: "kv.sabz.city" },
  ]);
  assert.deepEqual(decoded.svcAddrs, [
    { svc: 0, addr: parseAddr("fd00:5ab2:1::7") }, { svc: 1, addr: parseAddr("fd00:5ab2:1::8") }, { svc: 1, addr: parseAddr("fd00:5ab2:2::8") },
  ]);
  assert.deepEqual(decoded.capDisks, [
    { svc: 1, disk: 0, rights: RIGHT_READ | RIGHT_WRITE | RIGHT_DERIVE, offset: 1048576n, length: 1048576n },
    { svc: 1, disk: 1, rights: RIGHT_READ | RIGHT_DERIVE, offset: 0n, length: 4096n },
  ]);
});

test("a default MAC is locally administered unicast, stable, and differs per NIC and node", () => {
  const a = defaultMac("demo.sabz.city", 1);
  assert.equal(a[0] & 0x03, 0x02);
  assert.deepEqual(defaultMac("demo.sabz.city", 1), a);
  assert.notDeepEqual(defaultMac("demo.sabz.city", 2), a);
  assert.notDeepEqual(defaultMac("other.sabz.city", 1), a);
  assert.deepEqual(parseManifest(EXAMPLE, "node.yaml", "/").nics[1].mac, a);
});

test("loadManifest resolves paths against the manifest's directory", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-manifest-"));
  try {
    fs.mkdirSync(path.join(dir, "conf"));
    const file = path.join(dir, "conf", "node.yaml");
    fs.writeFileSync(file, EXAMPLE);
    const m = loadManifest(file);
    assert.equal(m.file, file);
    assert.equal(m.services[0].module, path.join(dir, "build/wasm/services/echo.wasm"));
    assert.equal(m.disks[0].path, path.join(dir, "conf", "data.img"));
    assert.throws(() => loadManifest(path.join(dir, "missing.yaml")), /missing\.yaml:0: manifest: cannot read the file \(ENOENT\); check the path/);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test("the examples in spec/manifest.md are valid", () => {
  const spec = fs.readFileSync(path.join(__dirname, "../../../../spec/manifest.md"), "utf8");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-spec-"));   // the client example names ./node.secret
  fs.writeFileSync(path.join(dir, "node.secret"), Buffer.alloc(32, 7));
  for (const f of ["edge.key", "peer.psk"]) {                            // the WireGuard example's key files
    fs.writeFileSync(path.join(dir, f), `${Buffer.alloc(32, f.length).toString("base64")}\n`, { mode: 0o600 });
  }
  // The certificates example's seed, and its /64 from the upstream whose key it trusts (RFC 8032 TEST 1's).
  const id = Buffer.alloc(32, 9), upstream = Buffer.from("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "hex");
  fs.writeFileSync(path.join(dir, "edge.id"), `${id.toString("base64")}\n`, { mode: 0o600 });
  const now = BigInt(Math.floor(Date.now() / 1000));
  fs.writeFileSync(path.join(dir, "edge.cert"), `${certLine(signCert({ flags: CERT_ISSUER, len: 64, notBefore: now - 60n,
    notAfter: now + 86400n, prefix: parseAddr("fd00:b::"), holder: publicKeyOfSeed(id), issuer: publicKeyOfSeed(upstream) }, upstream))}\n`);
  // The signed modules example's module, signed by the publisher key it trusts (seed 0x0b).
  fs.writeFileSync(path.join(dir, "echo.signed.wasm"), signModule(fs.readFileSync(path.join(WASM_DIR, "services/echo.wasm")), Buffer.alloc(32, 11)));
  const examples = [...spec.matchAll(/```yaml\n([\s\S]*?)```/g)].map((e) => parseManifest(e[1], "spec/manifest.md", dir));
  fs.rmSync(dir, { recursive: true });
  assert.equal(examples.length, 10, "spec/manifest.md has the full, router, client, rates, virtio, WireGuard, certificates, routes table, USB and signed modules examples");
  const [full, router, client, rates, virtio, wireguard, certs, table, usb, signed] = examples;
  assert.deepEqual(table.routes.map((r) => [formatPrefix(r.to), r.via === null ? null : formatAddr(r.via), r.nic]),
    [["::/0", "fe80::1", "wan0"], ["fd00:77::/32", null, "lan0"]]);
  assert.deepEqual(compileManifest(usb).plan.usb.map((u) => [u.name, u.vendor, u.product, u.serial, u.path]),
    [["stick", 0x46f4, 1, "1-0000:00:04.0-1", null], ["keys", null, null, null, "1-2"]]);
  assert.deepEqual(bootRecords(usb).capUsbs, [{ svc: 0, usb: 0, rights: RIGHT_READ | RIGHT_WRITE | RIGHT_DERIVE }]);
  assert.deepEqual(compileManifest(virtio).plan.nics.map((n) => n.virtio), [{ pci: 0 }, { pci: null }]);
  assert.deepEqual(bootRecords(signed).publishers.map((p) => p.domain), ["sabz.city"]);
  const certRecords = bootRecords(certs);
  assert.deepEqual([certRecords.nodeKey !== null, certRecords.nodeCerts.length, certRecords.trusts.map((t) => t.len)], [true, 1, [16]]);
  assert.deepEqual(bootRecords(wireguard).wgPeers.map((p) => [p.nic, p.peer, p.keepalive, p.port]), [[0, 0, 25, 51820]]);
  assert.deepEqual(client.nics.map((n) => [n.autoconf, n.dad]), [[true, 1]]);
  assert.deepEqual(bootRecords(client).svcLearned, [{ svc: 0, nic: 0 }]);
  assert.notDeepEqual(bootRecords(client).autoconfs[0].secret, new Uint8Array(16));
  assert.deepEqual(full.nics.map((n) => n.kind), ["virtual", "vxlan", "tap"]);
  assert.equal(full.services.length, 2);
  assert.deepEqual(compileManifest(full).plan.observe, { metrics: "[::1]:9464" });
  assert.deepEqual(router.nics.map((n) => n.ra !== null), [true, true, false]);
  assert.equal(bootRecords(router).ras.length, 2);
  assert.deepEqual(bootRecords(rates).nets.map((n) => [n.nic, n.svc, n.min, n.max]), [
    [0, NET_LINK, 0n, 1000000000n], [0, NET_FORWARD, 100000000n, 800000000n], [1, NET_LINK, 0n, 2500000000n],
    [0, 0, 400000000n, 1000000000n], [1, 0, 0n, 50000000n], [0, 1, 500000000n, 0n],
  ]);
});

test("the refusal spec/manifest.md quotes is the one a third service on its rates example gets", () => {
  const spec = fs.readFileSync(path.join(__dirname, "../../../../spec/manifest.md"), "utf8");
  const rates = [...spec.matchAll(/```yaml\n([\s\S]*?)```/g)][3][1];   // full, router, client, rates
  const quoted = /`(node\.yaml:\d+: services\[2\][^`]*)`/.exec(spec);
  assert.ok(quoted, "spec/manifest.md quotes the refusal");
  const third = [
    "  - domain: web.sabz.city", "    module: web.wasm", '    addresses: ["fd00:5ab2:1::9"]',
    "    ram: { min: 64KiB, max: 64KiB }", "    net: [{ nic: lan0, min: 300Mbit }]",
  ].join("\n");
  const issues = errorsOf(rates + third + "\n");
  assert.deepEqual(issues.map((i) => `${i.file}:${i.line}: ${i.path}: ${i.message}`), [quoted[1].replace(/\n/g, " ")]);
});

test("the largest manifest the limits allow compiles to the size spec/manifest.md states (a router: every NIC has an " +
  "RA record, a rate and a forward class; every service a net entry on every NIC; every user pair, delegated prefix " +
  "and delegated extent used; an identity with every certificate and trusted prefix; every USB device granted; with the longest names)", () => {
  const L = limits;
  const boot = maxManifestBoot();
  assert.equal(boot.length, 4466967);
  const decoded = decodeBootManifest(boot);
  assert.equal(decoded.services[0].ramMaxPages, 65536);
  assert.equal(decoded.nets.length, 2 * L.MAX_NICS + L.MAX_SERVICES * L.MAX_NET_PER_SERVICE);
  assert.deepEqual([decoded.usbs.length, decoded.capUsbs.length], [L.MAX_USB, L.MAX_USB]);
});
