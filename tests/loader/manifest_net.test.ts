// Network rates (loader/manifest/net.ts, issue #5): bit rates parse with SI units and refuse
// anything else; a NIC's rate and forward class and a service's net entries compile to NET
// records, written out here byte by byte, after every other record; the host plan carries
// them; admission refuses mins that do not fit a NIC's rate, naming the NIC and by how much,
// and a max above it; each bad value is reported at its line and path; NET records decode
// back and re-encode to the same bytes, a damaged one is refused, and a hand-built boot
// manifest without nets still encodes.
import { NET_FORWARD, NET_LINK } from "../../abi/manifest";
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { errorsOf, bootRefusal, one } from "./refused";
import {
  BootManifest, bitRate, bootRecords, compileManifest, decodeBootManifest, encodeBootManifest, parseManifest, showRate,
} from "../../loader/manifest";

const ascii = (s: string) => Array.from(Buffer.from(s, "ascii"));
const u16 = (n: number) => [n & 0xff, (n >> 8) & 0xff];
const u64 = (n: number) => Array.from({ length: 8 }, (_, i) => Number((BigInt(n) >> BigInt(8 * i)) & 0xffn));


/** A service on one line, owning fd00::`n`, with `net` as written. */
const svc = (domain: string, n: number, net: string) =>
  `  - { domain: ${domain}, module: s.wasm, addresses: ["fd00::${n}"], ram: { min: 1, max: 1 }, net: ${net} }`;

/** A node with one NIC, lan0, whose extra lines start at line 5; then one line per service. */
function doc(role: string, nic: string[], ...services: string[]): string {
  return [
    `node: { name: r.sabz.city, role: ${role} }`, // 1
    "nics:",                                      // 2
    "  - name: lan0",                             // 3
    "    kind: virtual",                          // 4
    ...nic,                                       // 5...
    services.length > 0 ? "services:" : "services: []",
    ...services,
  ].join("\n") + "\n";
}

test("bit rates: integers are bit/s, kbit/Kbit, Mbit and Gbit are SI, decimals need a unit", () => {
  const ok: [unknown, number][] = [
    ["1Gbit", 1e9], ["100Mbit", 1e8], ["2.5Gbit", 2.5e9], ["800kbit", 8e5], ["800Kbit", 8e5], ["1 Gbit", 1e9],
    [1000000, 1e6], ["1000000", 1e6], [0, 0], ["0.5kbit", 500], ["1.000000001Gbit", 1000000001], ["1000Gbit", 1e12],
  ];
  for (const [v, bits] of ok) assert.equal(bitRate(v), bits, `${v}`);
  const help = "write an integer number of bit/s or a number with kbit, Mbit or Gbit, e.g. 100Mbit or 2.5Gbit";
  const refused: [unknown, string][] = [
    ["1 GB", `"1 GB" is not a bit rate; ${help}`],
    ["-5Mbit", `"-5Mbit" is not a bit rate; ${help}`],
    ["1.5", `"1.5" is not a bit rate; ${help}`],
    [1.5, `1.5 is not a bit rate; ${help}`],
    [-5, `-5 is not a bit rate; ${help}`],
    ["1Gbit/s", `"1Gbit/s" is not a bit rate; ${help}`],
    ["1gbit", `"1gbit" is not a bit rate; ${help}`],
    ["1Tbit", `"1Tbit" is not a bit rate; ${help}`],
    ["1 ", `"1 " is not a bit rate; ${help}`],
    [".5Mbit", `".5Mbit" is not a bit rate; ${help}`],
    [true, `true is not a bit rate; ${help}`],
    [undefined, `is required; ${help}`],
    ["1.0001kbit", `"1.0001kbit" is not a whole number of bit/s; use fewer decimals, e.g. 2.5Gbit`],
    ["1000.5Gbit", `"1000.5Gbit" is more than 1000 Gbit/s, the largest rate allowed (loader/manifest/limits.ts)`],
    [2 ** 53, `9007199254740992 is not a bit rate; ${help}`],
  ];
  for (const [v, message] of refused) assert.throws(() => bitRate(v), { message }, `${v}`);
});

test("rates read back exactly in the largest unit they reach", () => {
  assert.deepEqual([1.2e9, 3e8, 1e9, 1500, 999, 0, 1000000001, 1e12].map(showRate),
    ["1.2 Gbit/s", "300 Mbit/s", "1 Gbit/s", "1.5 kbit/s", "999 bit/s", "0 bit/s", "1.000000001 Gbit/s", "1000 Gbit/s"]);
});

const ROUTER = [
  "node: { name: r.sabz.city, role: router }",
  "nics:",
  '  - { name: lan0, kind: virtual, mac: "02:00:00:00:00:01", ra: false, rate: 1Gbit, forward: { min: 100Mbit, max: 500Mbit } }',
  '  - { name: wan0, kind: virtual, mac: "02:00:00:00:00:02", ra: false }',
  "services:",
  '  - domain: e.sabz.city',
  "    module: e.wasm",
  '    addresses: ["fd00::7"]',
  "    ram: { min: 64KiB, max: 64KiB }",
  "    net:",
  "      - { nic: lan0, min: 10Mbit, max: 50Mbit }",
  "      - { nic: wan0 }",
].join("\n");

test("rates compile to NET records after every other record: link, forward, then each service's", () => {
  const boot = Array.from(compileManifest(parseManifest(ROUTER, "node.yaml", "/srv")).boot);
  assert.deepEqual(boot, [
    ...ascii("PRSA"), ...u16(2), ...u16(9),                                      // header: 9 records
    1, 0, ...u16(13), 2, 11, ...ascii("r.sabz.city"),                            // NODE: router
    2, 0, ...u16(10), 0, 0, ...u16(1500), 0x02, 0, 0, 0, 0, 0x01,                // NIC 0
    2, 0, ...u16(10), 1, 0, ...u16(1500), 0x02, 0, 0, 0, 0, 0x02,                // NIC 1
    5, 0, ...u16(24), 0, 0, ...u16(5), 1, 0, 0, 0, 1, 0, 0, 0, 11, ...ascii("e.sabz.city"), // SERVICE 0
    6, 0, ...u16(18), 0, 0, 0xfd, ...new Array(14).fill(0), 0x07,               // SVC_ADDR fd00::7
    10, 0, ...u16(20), 0, 0, 0xfe, 0xff, ...u64(0), ...u64(1e9),                 // NET lan0 NET_LINK: 1 Gbit/s
    10, 0, ...u16(20), 0, 0, 0xff, 0xff, ...u64(1e8), ...u64(5e8),               // NET lan0 NET_FORWARD: 100..500 Mbit/s
    10, 0, ...u16(20), 0, 0, 0, 0, ...u64(1e7), ...u64(5e7),                     // NET lan0 service 0: 10..50 Mbit/s
    10, 0, ...u16(20), 1, 0, 0, 0, ...u64(0), ...u64(0),                         // NET wan0 service 0: 0, unlimited
  ]);
});

test("the host plan carries each NIC's rate and forward class and each service's classes", () => {
  const { plan } = compileManifest(parseManifest(ROUTER, "node.yaml", "/srv"));
  assert.deepEqual(plan.nics.map((n) => [n.name, n.rate, n.forward]), [
    ["lan0", 1e9, { min: 1e8, max: 5e8 }], ["wan0", null, null],
  ]);
  assert.deepEqual(plan.services[0].net, [{ nic: 0, min: 1e7, max: 5e7 }, { nic: 1, min: 0, max: null }]);
});

test("without rate, forward or net there are no NET records; forward: {} is a class with no limits", () => {
  const m = parseManifest(doc("router", ["    ra: false"]), "node.yaml", "/srv");
  assert.deepEqual(bootRecords(m).nets, []);
  const f = parseManifest(doc("router", ["    ra: false", "    forward: {}"]), "node.yaml", "/srv");
  assert.deepEqual(bootRecords(f).nets, [{ nic: 0, svc: NET_FORWARD, min: 0n, max: 0n }]);
});

test("admission: the mins on a NIC must fit its rate; the refusal names the NIC, the mins and the excess", () => {
  one(doc("server", ["    rate: 1Gbit"],
    svc("echo.sabz.city", 1, "[{ nic: lan0, min: 400Mbit }]"),        // 7
    svc("kv.sabz.city", 2, "[{ nic: lan0, min: 500Mbit }]"),          // 8
    svc("web.sabz.city", 3, "[{ nic: lan0, min: 300Mbit }]")), 9, "services[2].net[0].min",
  "lan0 has 1 Gbit/s; the mins on it add up to 1.2 Gbit/s (echo.sabz.city 400 Mbit/s, kv.sabz.city 500 Mbit/s, " +
    "this 300 Mbit/s): 200 Mbit/s too much");
  one(doc("router", ["    rate: 1Gbit", "    forward: { min: 300Mbit }"],
    svc("echo.sabz.city", 1, "[{ nic: lan0, min: 800Mbit }]")), 8, "services[0].net[0].min",
  "lan0 has 1 Gbit/s; the mins on it add up to 1.1 Gbit/s (forwarding 300 Mbit/s, this 800 Mbit/s): 100 Mbit/s too much");
  one(doc("router", ["    rate: 1Gbit", "    forward: { min: 2Gbit }"]), 6, "nics[0].forward.min",
    "lan0 has 1 Gbit/s; this min is 2 Gbit/s: 1 Gbit/s too much");
});

test("admission: a refused min is left out of the sum, and mins that add up to the rate exactly fit", () => {
  one(doc("server", ["    rate: 1Gbit"],
    svc("a.sabz.city", 1, "[{ nic: lan0, min: 600Mbit }]"),
    svc("b.sabz.city", 2, "[{ nic: lan0, min: 600Mbit }]"),           // 8: refused
    svc("c.sabz.city", 3, "[{ nic: lan0, min: 400Mbit }]")), 8, "services[1].net[0].min",
  "lan0 has 1 Gbit/s; the mins on it add up to 1.2 Gbit/s (a.sabz.city 600 Mbit/s, this 600 Mbit/s): 200 Mbit/s too much");
  const m = parseManifest(doc("router", ["    rate: 1Gbit", "    forward: { min: 0.5Gbit, max: 1Gbit }"],
    svc("a.sabz.city", 1, "[{ nic: lan0, min: 250Mbit, max: 1Gbit }]"),
    svc("b.sabz.city", 2, "[{ nic: lan0, min: 250000000 }]")), "node.yaml", "/srv");
  assert.deepEqual(bootRecords(m).nets.map((n) => n.min), [0n, 500000000n, 250000000n, 250000000n]);
});

test("admission: a min needs the NIC's rate; maxes alone do not", () => {
  one(doc("server", [], svc("echo.sabz.city", 1, "[{ nic: lan0, min: 10Mbit }]")), 3, "nics[0].rate",
    "is needed to admit the net mins on lan0 (echo.sabz.city 10 Mbit/s); give the line rate, e.g. rate: 1Gbit");
  one(doc("router", ["    forward: { min: 1Mbit }"], svc("echo.sabz.city", 1, "[{ nic: lan0, min: 10Mbit }]")), 3, "nics[0].rate",
    "is needed to admit the net mins on lan0 (forwarding 1 Mbit/s, echo.sabz.city 10 Mbit/s); give the line rate, e.g. rate: 1Gbit");
  const m = parseManifest(doc("server", [], svc("echo.sabz.city", 1, "[{ nic: lan0, min: 0, max: 5Gbit }]")), "node.yaml", "/srv");
  assert.deepEqual(bootRecords(m).nets, [{ nic: 0, svc: 0, min: 0n, max: 5000000000n }]);
});

test("a max above the NIC's rate is refused, and so is a min above its own max", () => {
  one(doc("server", ["    rate: 1Gbit"], svc("echo.sabz.city", 1, "[{ nic: lan0, max: 2Gbit }]")), 7, "services[0].net[0].max",
    '"2Gbit" is more than lan0\'s rate (1 Gbit/s); make it at most that, or leave max out');
  one(doc("router", ["    rate: 100Mbit", "    forward:", "      max: 1Gbit"]), 7, "nics[0].forward.max",
    '"1Gbit" is more than lan0\'s rate (100 Mbit/s); make it at most that, or leave max out');
  one(doc("server", ["    rate: 1Gbit"], svc("echo.sabz.city", 1, "[{ nic: lan0, min: 60Mbit, max: 50Mbit }]")), 7, "services[0].net[0].min",
    '"60Mbit" is more than max ("50Mbit"); min must be at most max');
  one(doc("router", ["    rate: 1Gbit", "    forward: { min: 2Mbit, max: 1000000 }"]), 6, "nics[0].forward.min",
    '"2Mbit" is more than max (1000000); min must be at most max');
});

test("net entries name an existing NIC, once per service; forward is for a router", () => {
  one(doc("server", [], svc("echo.sabz.city", 1, "[{ nic: lan9 }]")), 6, "services[0].net[0].nic",
    '"lan9" is not the name of a NIC; the NICs are lan0');
  one(doc("server", [], svc("echo.sabz.city", 1, "[{ nic: lan0 }, { nic: lan0, max: 1Mbit }]")), 6, "services[0].net[1].nic",
    "is already the NIC of services[0].net[0]; a service has at most one net entry per NIC");
  one(doc("server", ["    forward: { max: 1Mbit }"]), 5, "nics[0].forward",
    "node.role is server: only a router forwards; set node.role: router or remove forward");
  const many = `[${Array.from({ length: 17 }, () => "{ nic: lan0 }").join(", ")}]`;
  const errors = errorsOf(doc("server", [], svc("echo.sabz.city", 1, many)));
  assert.equal(errors[0].message, "has too many net entries; at most 16 are allowed (loader/manifest/limits.ts)");
});

test("each bad value names its line, its path and what is allowed", () => {
  const help = "write an integer number of bit/s or a number with kbit, Mbit or Gbit, e.g. 100Mbit or 2.5Gbit";
  one(doc("server", ['    rate: "1 GB"']), 5, "nics[0].rate", `"1 GB" is not a bit rate; ${help}`);
  one(doc("server", ["    rate: 0"]), 5, "nics[0].rate", "is 0; a line rate is at least 1 bit/s, e.g. rate: 1Gbit (leave rate out if unknown)");
  one(doc("server", ["    rate: 1.5"]), 5, "nics[0].rate", `1.5 is not a bit rate; ${help}`);
  one(doc("server", [], svc("echo.sabz.city", 1, "[{ nic: lan0, min: -5Mbit }]")), 6, "services[0].net[0].min",
    `"-5Mbit" is not a bit rate; ${help}`);
  one(doc("server", [], svc("echo.sabz.city", 1, "[{ nic: lan0, max: 0 }]")), 6, "services[0].net[0].max",
    "is 0, which would let nothing through; leave max out for no limit");
  one(doc("server", [], svc("echo.sabz.city", 1, "[{ min: 1Mbit }]")), 6, "services[0].net[0].nic",
    "is required; write text such as lan0");
  one(doc("router", ["    forward: { max: 1Mbit, burst: 2 }"]), 5, "nics[0].forward.burst",
    "is not a known key; the keys allowed here are min, max");
  one(doc("server", [], svc("echo.sabz.city", 1, "[{ nic: lan0, rate: 1Mbit }]")), 6, "services[0].net[0].rate",
    "is not a known key; the keys allowed here are nic, min, max");
});

test("a broken rate is reported once, not again through admission", () => {
  const errors = errorsOf(doc("server", ["    rate: 1GB"], svc("echo.sabz.city", 1, "[{ nic: lan0, min: 2Gbit, max: 3Gbit }]")));
  assert.deepEqual(errors.map((e) => e.path), ["nics[0].rate"]);
});

test("NET records decode back and re-encode to the same bytes", () => {
  const m = parseManifest(ROUTER, "node.yaml", "/srv");
  const bytes = compileManifest(m).boot;
  const decoded = decodeBootManifest(bytes);
  assert.deepEqual(decoded, bootRecords(m));
  assert.deepEqual(encodeBootManifest(decoded), bytes);
  assert.deepEqual(decoded.nets, [
    { nic: 0, svc: NET_LINK, min: 0n, max: 1000000000n }, { nic: 0, svc: NET_FORWARD, min: 100000000n, max: 500000000n },
    { nic: 0, svc: 0, min: 10000000n, max: 50000000n }, { nic: 1, svc: 0, min: 0n, max: 0n },
  ]);
});

test("a damaged NET record is refused with its byte", () => {
  const HEADER = [...ascii("PRSA"), ...u16(2), ...u16(2)];
  const NODE = [1, 0, ...u16(5), 2, 3, ...ascii("a.b")];                  // 9 bytes from byte 8
  const NET = [10, 0, ...u16(20), 0, 0, 0xfe, 0xff, ...u64(0), ...u64(1e9)];
  const refusal = bootRefusal;
  assert.deepEqual(decodeBootManifest(Uint8Array.from([...HEADER, ...NODE, ...NET])).nets, [{ nic: 0, svc: NET_LINK, min: 0n, max: 1000000000n }]);
  assert.equal(refusal([...HEADER, ...NODE, 10, 0, ...u16(19), ...NET.slice(4, 23)]), "at byte 17: record 1 (NET) is 19 bytes, not 20");
  for (const reserved of [1]) {
    const bad = [...NET];
    bad[4 + reserved] = 1;
    assert.equal(refusal([...HEADER, ...NODE, ...bad]), `at byte ${21 + reserved}: record 1 (NET) has a non-zero reserved byte`);
  }
});

test("a hand-built boot manifest without nets encodes with no NET records and decodes with nets: []", () => {
  const m: BootManifest = {
    node: { role: 0, name: "a.b" }, nics: [], ras: [], prefixes: [], routes: [], disks: [], services: [], svcAddrs: [], capDisks: [],
  };
  const bytes = encodeBootManifest(m);
  assert.equal(bytes.length, 8 + 4 + 5);
  assert.deepEqual(decodeBootManifest(bytes), { ...m, nets: [], cpus: [], restarts: [], budget: null, users: [], rams: [], userPrefixes: [], userDisks: [], userStores: [],
    autoconfs: [], svcLearned: [], wgs: [], wgPeers: [], wgAllowed: [], nodeKey: null, trusts: [], nodeCerts: [], publishers: [], usbs: [], capUsbs: [] });
});
