// loader/manifest on broken input: each case edits one line of a valid manifest and
// checks the exact line, field path and message of what is reported; then several
// problems at once must all be reported, in line order, in one ManifestError.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { ManifestError, compileManifest, defaultMac, parseManifest } from "../../loader/manifest";
import { addressFromMac, formatAddr, parseAddr } from "../../loader/ip6";
import { one } from "./refused";

const BASE = [
  "node:",                                                                      // 1
  "  name: demo.sabz.city",                                                     // 2
  "  role: server",                                                             // 3
  "nics:",                                                                      // 4
  "  - name: lan0",                                                             // 5
  "    kind: virtual",                                                          // 6
  '    prefixes: ["fd00:5ab2:1::/64"]',                                         // 7
  "routes:",                                                                    // 8
  '  - { to: "::/0", via: "fd00:5ab2:1::1", nic: lan0 }',                       // 9
  "disks:",                                                                     // 10
  "  - { name: data, path: ./data.img, size: 16MiB }",                          // 11
  "services:",                                                                  // 12
  "  - domain: echo.sabz.city",                                                 // 13
  "    module: echo.wasm",                                                      // 14
  '    addresses: ["fd00:5ab2:1::7"]',                                          // 15
  "    ram: { min: 64KiB, max: 1MiB }",                                         // 16
  "    disk: [{ device: data, offset: 0, length: 1MiB, rights: [read, write] }]", // 17
];

/** BASE with lines `from`..`to` (1-based, inclusive) replaced by `lines`. */
function splice(from: number, to: number, ...lines: string[]): string {
  return [...BASE.slice(0, from - 1), ...lines, ...BASE.slice(to)].join("\n") + "\n";
}

/** BASE with line `n` replaced by `lines` (none = deleted). */
function edit(n: number, ...lines: string[]): string {
  return splice(n, n, ...lines);
}



test("the base manifest is valid", () => {
  assert.equal(parseManifest(edit(99), "node.yaml", "/srv").services.length, 1);
});

test("a size that is not one names the line, the field and how to write it", () => {
  one(edit(16, '    ram: { min: 64KiB, max: "2 MB" }'), 16, "services[0].ram.max",
    '"2 MB" is not a size; write an integer number of bytes or a number with KiB, MiB or GiB, e.g. 2MiB');
  one(edit(16, "    ram: { min: 1.5, max: 1MiB }"), 16, "services[0].ram.min", /^1\.5 is not a size/);
  one(edit(16, "    ram: { min: 64KiB, max: 8GiB }"), 16, "services[0].ram.max", /RAM is at most 4GiB/);
  one(edit(16, "    ram: { min: 0, max: 0 }"), 16, "services[0].ram.max", "is 0; a service needs at least one 64KiB page");
  one(edit(16, "    ram: { min: 2MiB, max: 1MiB }"), 16, "services[0].ram.min", '"2MiB" is more than ram.max ("1MiB"); min must be at most max');
  one(edit(16, "    ram: { max: 1MiB }"), 16, "services[0].ram.min", /^is required; write an integer number of bytes/);
});

test("domain names follow RFC 1035 and say what to change", () => {
  one(edit(2, "  name: Demo.sabz.city"), 2, "node.name", '"Demo.sabz.city" has upper-case letters; use lower case: demo.sabz.city');
  one(edit(2, "  name: demo"), 2, "node.name", /has one label; a domain name needs at least 2/);
  one(edit(2, "  name: demo.sabz.city."), 2, "node.name", /ends with a dot; write it without the trailing dot/);
  one(edit(2, "  name: demo..city"), 2, "node.name", /has an empty label/);
  one(edit(2, "  name: -demo.sabz.city"), 2, "node.name", /starts or ends with "-"/);
  one(edit(2, "  name: de_mo.sabz.city"), 2, "node.name", /labels use only lower-case letters, digits and "-"/);
  one(edit(2, `  name: ${"a".repeat(64)}.city`), 2, "node.name", /of 64 characters; a label has at most 63/);
  one(edit(2, `  name: ${Array(64).fill("abc").join(".")}`), 2, "node.name", /is 255 characters long; a domain name has at most 253/);
  one(edit(13, "  - domain: 42"), 13, "services[0].domain", "42 is not text; write text such as echo.sabz.city");
});

test("enumerations list what is allowed", () => {
  one(edit(3, "  role: gateway"), 3, "node.role", '"gateway" is not a node role; write one of server, client, router');
  one(edit(6, "    kind: wifi"), 6, "nics[0].kind", '"wifi" is not a NIC kind; write one of virtual, vxlan, tap, wireguard, virtio');
  one(edit(17, "    disk: [{ device: data, length: 1MiB, rights: [read, exec] }]"), 17, "services[0].disk[0].rights",
    '"exec" is not a disk right; write one of read, write');
  one(edit(17, "    disk: [{ device: data, length: 1MiB, rights: [read, read] }]"), 17, "services[0].disk[0].rights",
    /lists "read" twice/);
});

test("NIC fields", () => {
  one(edit(6, "    kind: virtual", "    mtu: 1200"), 7, "nics[0].mtu", "1200 is not allowed; mtu is a whole number from 1280 to 9000");
  one(edit(6, "    kind: virtual", '    mac: "03:00:5a:b2:00:01"'), 7, "nics[0].mac", /is a multicast MAC/);
  one(edit(6, "    kind: virtual", "    mac: 02:00:5a:b2:00"), 7, "nics[0].mac", /is not a MAC address/);
  one(edit(7, '    prefixes: ["fd00:5ab2:1::1/64"]'), 7, "nics[0].prefixes[0]",
    '"fd00:5ab2:1::1/64" has host bits set after the first 64 bits; the prefix is fd00:5ab2:1::/64');
  one(edit(7, '    prefixes: ["::/0"]'), 7, "nics[0].prefixes[0]", /has length 0; a connected prefix is 1 to 128 bits/);
  one(edit(7, '    prefixes: ["fd00:5ab2:1::/64"]', "  - { name: LAN1, kind: virtual }"), 8, "nics[1].name",
    '"LAN1" is not a valid NIC name; use 1 to 15 characters: a lower-case letter, then lower-case letters, digits or "-", e.g. lan0');
  one(edit(6, "    kind: virtual", "    colour: blue"), 7, "nics[0].colour",
    "is not a known key; the keys allowed here are name, kind, mac, mtu, prefixes, vxlan, tap, virtio, wireguard, peers, ra, rate, forward, autoconf, dad");
});

test("tap's udp_gro is true or false, off by default, and reaches the host plan only when on", () => {
  const tap = (t: string) => edit(6, "    kind: tap", `    tap: ${t}`);
  one(tap("{ device: pt0, udp_gro: yes }"), 7, "nics[0].tap.udp_gro", '"yes" is not true or false; udp_gro is true or false');
  one(tap("{ device: pt0, udp_gro: 1 }"), 7, "nics[0].tap.udp_gro", /^1 is not true or false/);
  const plan = (t: string) => compileManifest(parseManifest(tap(t), "node.yaml", "/srv")).plan.nics[0].tap;
  assert.deepEqual(plan("{ device: pt0, udp_gro: true }"), { device: "pt0", udpGro: true });
  assert.deepEqual(plan("{ device: pt0, udp_gro: false }"), { device: "pt0" });
  assert.deepEqual(plan("{ device: pt0 }"), { device: "pt0" });
});

test("vxlan and tap settings are required exactly when the kind needs them", () => {
  one(edit(6, "    kind: vxlan"), 5, "nics[0].vxlan", "is required because kind is vxlan; see spec/manifest.md for its fields");
  one(edit(6, "    kind: virtual", "    tap: { device: pt0 }"), 7, "nics[0].tap", "is only allowed when kind is tap, and this NIC's kind is virtual");
  const vx = (v: string) => edit(6, "    kind: vxlan", `    vxlan: ${v}`);
  one(vx('{ local: "[fd00:99::1]:4789", remote: "fd00:99::2:4789", vni: 42 }'), 7, "nics[0].vxlan.remote",
    '"fd00:99::2:4789" is not an endpoint; write [address]:port, e.g. [fd00:99::1]:4789');
  one(vx('{ local: "[fd00:99::1]:0", remote: "[fd00:99::2]:4789", vni: 42 }'), 7, "nics[0].vxlan.local", /has port 0; a port is 1 to 65535/);
  one(vx('{ local: "[fd00:99::1]:4789", remote: "[fd00:99::2]:4789", vni: 16777216 }'), 7, "nics[0].vxlan.vni",
    "16777216 is not allowed; vni is a whole number from 0 to 16777215");
  one(vx('{ local: "[fd00:99::1]:4789", remote: "[fd00:99::2]:4789" }'), 7, "nics[0].vxlan.vni", /^is required; vni is a whole number/);
});

test("names must be unique and references must exist", () => {
  one(edit(7, '    prefixes: ["fd00:5ab2:1::/64"]', "  - { name: lan0, kind: virtual }"), 8, "nics[1].name",
    "is already the name of nics[0]; NIC names must be unique");
  one(edit(7, '    prefixes: ["fd00:5ab2:1::/64"]', '  - { name: lan1, kind: virtual, prefixes: ["fd00:5ab2:1::/64"] }'), 8,
    "nics[1].prefixes[0]", "is already connected on nics[0]; a prefix belongs to one NIC, once");
  one(edit(9, '  - { to: "::/0", nic: lan9 }'), 9, "routes[0].nic", '"lan9" is not the name of a NIC; the NICs are lan0');
  one(edit(11, "  - { name: data, path: ./data.img, size: 16MiB }", "  - { name: data, path: ./b.img, size: 1 }"), 12,
    "disks[1].name", "is already the name of disks[0]; disk names must be unique");
  one(edit(11, "  - { name: data, path: ./data.img, size: 16MiB }", "  - { name: more, path: data.img, size: 1 }"), 12,
    "disks[1].path", "is already the file of disks[0]; two disks may not share a file");
  one(edit(17, "    disk: [{ device: nope, length: 1MiB, rights: [read] }]"), 17, "services[0].disk[0].device",
    '"nope" is not the name of a disk; the disks are data');
  one(edit(17, "    disk: [{ device: data, offset: 16MiB, length: 1, rights: [read] }]"), 17, "services[0].disk[0].length",
    'the extent from 16MiB to 16777217 bytes ends past the end of disk "data" (16MiB); make offset + length at most 16777216 bytes');
});

test("routes", () => {
  one(edit(9, '  - { to: "::/0", via: "ff02::1", nic: lan0 }'), 9, "routes[0].via", /is not a unicast neighbor/);
  one(edit(9, '  - { to: "::/0", via: "::", nic: lan0 }'), 9, "routes[0].via", /leave via out for an on-link route/);
  one(edit(9, '  - { to: "fd00::1/64", nic: lan0 }'), 9, "routes[0].to", /has host bits set after the first 64 bits/);
  one(edit(9, '  - { to: "fe80::1%lan0/64", nic: lan0 }'), 9, "routes[0].to", /has a zone id/);
});

test("service addresses: routable unicast, at least one, at most 8, never shared", () => {
  one(edit(15, '    addresses: ["fe80::7"]'), 15, "services[0].addresses[0]", /"fe80::7" is a link-local address; a service owns routable unicast addresses/);
  one(edit(15, '    addresses: ["ff02::1"]'), 15, "services[0].addresses[0]", /is a multicast address/);
  one(edit(15, '    addresses: ["::1"]'), 15, "services[0].addresses[0]", /is a loopback address/);
  one(edit(15, '    addresses: ["::ffff:c000:201"]'), 15, "services[0].addresses[0]", /is an IPv4-mapped address/);
  one(edit(15, '    addresses: ["192.0.2.1"]'), 15, "services[0].addresses[0]", /dotted IPv4 form; PersiaOS is IPv6 only/);
  one(edit(15, "    addresses: []"), 15, "services[0].addresses", 'needs at least one address, e.g. ["fd00:5ab2:1::7"] or [{ learned: lan0 }]');
  one(edit(15, `    addresses: [${Array.from({ length: 9 }, (_, i) => `"fd00::${i + 1}"`).join(", ")}]`), 15, "services[0].addresses",
    "has too many addresses; at most 8 are allowed (loader/manifest/limits.ts)");
  one(edit(15, '    addresses: ["fd00::7", "FD00:0::7"]'), 15, "services[0].addresses[1]",
    "is already an address of services[0]; an address belongs to one service, once");
  // The node's own address on lan0: the prefix and the EUI-64 of the MAC the loader derives from the node name.
  const own = formatAddr(addressFromMac(parseAddr("fd00:5ab2:1::"), defaultMac("demo.sabz.city", 0)));
  one(edit(15, `    addresses: ["${own}"]`), 15, "services[0].addresses[0]", `${own} is the node's own address on lan0; give the service another one`);
  const long = [...BASE];
  long[6] = '    prefixes: ["fd00:5ab2:1::/120"]';   // longer than /64: the node takes the first address, low bit set
  long[14] = '    addresses: ["fd00:5ab2:1::1"]';
  one(long.join("\n") + "\n", 15, "services[0].addresses[0]", "fd00:5ab2:1::1 is the node's own address on lan0; give the service another one");
});

test("missing, unknown and mistyped keys", () => {
  one(edit(14), 13, "services[0].module", "is required; write text such as ../build/wasm/services/echo.wasm");
  one(edit(3), 1, "node.role", "is required; write one of server, client, router");
  const noNics = splice(4, 9, "nics: lan0");
  one(noNics, 4, "nics", 'expected a list, found "lan0"');
  one(edit(13, "  - domain: echo.sabz.city", "    restart: { limit: 1001 }"), 14, "services[0].restart.limit",
    "1001 is not allowed; restart limit is a whole number from 0 to 1000");
  one(edit(99, "extra: 1"), 18, "extra", "is not a known key; the keys allowed here are node, nics, routes, disks, usb, services, users, store, observe, trust, domains");
  one("", 1, "manifest", "the file is empty; a manifest needs at least node, nics and services");
});

test("observe.metrics is an address to listen on, and observe has no other key", () => {
  const plan = (yaml: string) => compileManifest(parseManifest(yaml, "node.yaml", "/srv")).plan;
  assert.deepEqual(plan(edit(99, "observe: { metrics: \"[::1]:9464\" }")).observe, { metrics: "[::1]:9464" });
  assert.deepEqual(plan(edit(99, "observe: { metrics: \":0\" }")).observe, { metrics: ":0" });
  assert.deepEqual(plan(edit(99)).observe, { metrics: null }, "none unless named");
  one(edit(99, "observe: { metrics: \"[::1]\" }"), 18, "observe.metrics",
    '"[::1]" is not an address to listen on; write it as [::1]:9464, 127.0.0.1:9464 or :9464');
  one(edit(99, "observe: { metrics: 9464x }"), 18, "observe.metrics", /is not an address to listen on/);
  one(edit(99, "observe: { dashbord: true }"), 18, "observe.dashbord", /the keys allowed here are metrics/);
});

test("YAML syntax errors report their line", () => {
  one(edit(9, '  - { to: "::/0", nic: lan0'), 10, "manifest", /^YAML syntax: .*; fix the YAML at this line$/);
  one(edit(2, "  name: demo.sabz.city", "  name: other.sabz.city"), 3, "manifest", "YAML syntax: Map keys must be unique; fix the YAML at this line");
});

test("every problem is reported at once, in line order, in one readable message", () => {
  const text = [
    "node:", "  name: Demo.sabz.city", "  role: gateway",                       // 1-3
    "nics:", "  - name: lan0", "    kind: vxlan", "    mtu: 100",               // 4-7
    "routes:", '  - { to: "::/0", nic: lan9 }',                                 // 8-9
    "services:", "  - domain: echo.sabz.city", "    module: e.wasm",            // 10-12
    '    addresses: ["fd00::7"]', '    ram: { min: 64KiB, max: "2 MB" }',       // 13-14
    "  - domain: echo.sabz.city", "    module: e.wasm",                         // 15-16
    '    addresses: ["fd00::7"]', "    ram: { min: 2MiB, max: 1MiB }",          // 17-18
    "    speed: 9",                                                             // 19
  ].join("\n");
  let err: ManifestError | undefined;
  try {
    parseManifest(text, "node.yaml", "/srv");
  } catch (e) {
    err = e as ManifestError;
  }
  assert.ok(err instanceof ManifestError);
  assert.deepEqual(err.errors.map((e) => `${e.line} ${e.path}`), [
    "2 node.name", "3 node.role", "5 nics[0].vxlan", "7 nics[0].mtu", "9 routes[0].nic",
    "14 services[0].ram.max", "15 services[1].domain", "17 services[1].addresses[0]", "18 services[1].ram.min",
    "19 services[1].speed",
  ]);
  const lines = err.message.split("\n");
  assert.equal(lines[0], "manifest node.yaml was refused (10 problems); fix them and load it again. Fields are described in spec/manifest.md.");
  assert.equal(lines[6], '  node.yaml:14: services[0].ram.max: "2 MB" is not a size; write an integer number of bytes or a number with KiB, MiB or GiB, e.g. 2MiB');
  assert.equal(lines.length, 11);
});

test("an alias without its anchor, or aliases that expand too far, are YAML errors at their line, not a crash", () => {
  one(edit(9, "  - *nowhere"), 9, "manifest",
    "YAML syntax: Unresolved alias (the anchor must be set before the alias): nowhere; put the anchor (&name) on a value before the alias (*name) that repeats it");
  const laughs = ["x0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]",
    ...Array.from({ length: 8 }, (_, i) => `x${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(", ")}]`)];
  one(edit(99, ...laughs), 19, "manifest",
    "YAML syntax: Excessive alias count indicates a resource exhaustion attack; write the values out instead of nesting aliases of aliases");
});
