// A NIC's `ra:` settings (loader/manifest/ra.ts): a router's NICs compile to RA records with
// RFC 4861 §6.2.1's defaults, written out here byte by byte; given values and flags land in
// the right bytes; `ra: false` and other roles give no record; each bad value is reported
// at its line and field path with what is allowed; the RA record decodes back and re-encodes
// to the same bytes, and a damaged one is refused.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { errorsOf, bootRefusal, one } from "./refused";
import {
  bootRecords, compileManifest, decodeBootManifest, encodeBootManifest, minIntervalDefault,
  parseManifest,
} from "../../loader/manifest";

const ascii = (s: string) => Array.from(Buffer.from(s, "ascii"));
const u16 = (n: number) => [n & 0xff, (n >> 8) & 0xff];
const u32 = (n: number) => [...u16(n & 0xffff), ...u16(n >>> 16)];

/** A node with one NIC, lan0 (MAC 02:00:00:00:00:01); `ra` lines start at line 8. */
function block(role: string, ...ra: string[]): string {
  return [
    "node:",                                   // 1
    "  name: r.sabz.city",                     // 2
    `  role: ${role}`,                         // 3
    "nics:",                                   // 4
    "  - name: lan0",                          // 5
    "    kind: virtual",                       // 6
    '    mac: "02:00:00:00:00:01"',            // 7
    ...ra,                                     // 8...
    "services: []",
  ].join("\n") + "\n";
}

const HEADER = (count: number) => [...ascii("PRSA"), ...u16(2), ...u16(count)];
const NODE = [1, 0, ...u16(13), 2, 11, ...ascii("r.sabz.city")];                  // role router
const NIC = [2, 0, ...u16(10), 0, 0, ...u16(1500), 0x02, 0, 0, 0, 0, 0x01];        // NIC 0, virtual



const boot = (text: string) => Array.from(compileManifest(parseManifest(text, "node.yaml", "/srv")).boot);

test("a router's NIC without ra compiles to an RA record with RFC 4861's defaults", () => {
  assert.deepEqual(boot(block("router")), [
    ...HEADER(3), ...NODE, ...NIC,
    9, 0, ...u16(28),                          // RA, 28 bytes
    0, 0, 64, 0,                               // NIC 0, no M/O flags, cur hop limit 64
    ...u16(198), ...u16(600), ...u16(1800), 0, 0, // min 0.33 × 600, max 600, lifetime 3 × 600 (s)
    ...u32(0), ...u32(0),                      // reachable time, retrans timer: unspecified
    ...u32(2592000), ...u32(604800),           // prefix valid 30 days, preferred 7 days
  ]);
  assert.deepEqual(boot(block("router", "    ra: {}")), boot(block("router")));
});

test("given settings land in their bytes, and the defaults follow max_interval", () => {
  const text = block("router", "    ra:", "      max_interval: 8", "      managed: true", "      other: true",
    "      hop_limit: 0", "      reachable_time: 3600000", "      retrans_timer: 1000", "      valid_lifetime: 3600");
  assert.deepEqual(boot(text).slice(-32), [
    9, 0, ...u16(28), 0, 0xc0, 0, 0,           // flags M | O, hop limit 0
    ...u16(6), ...u16(8), ...u16(24), 0, 0,    // min 0.75 × 8, max 8, lifetime 3 × 8
    ...u32(3600000), ...u32(1000), ...u32(3600), ...u32(3600), // preferred cut to the valid lifetime
  ]);
  const plan = compileManifest(parseManifest(text, "node.yaml", "/srv")).plan;
  assert.deepEqual(plan.nics[0].ra, {
    minInterval: 6, maxInterval: 8, lifetime: 24, hopLimit: 0, managed: true, other: true, reachableTime: 3600000,
    retransTimer: 1000, validLifetime: 3600, preferredLifetime: 3600,
  });
});

test("MinRtrAdvInterval defaults to 0.33 × max from 9 s, else 0.75 × max (erratum 3154), in whole seconds", () => {
  assert.deepEqual([4, 5, 6, 7, 8, 9, 10, 600, 1800].map(minIntervalDefault), [3, 3, 4, 5, 6, 3, 4, 198, 594]);
  for (let max = 4; max <= 1800; max++) {
    const min = minIntervalDefault(max);
    assert.ok(min >= 3 && min * 4 <= max * 3, `max ${max} gives min ${min}, which the kernel would refuse`);
  }
});

test("ra: false gives no RA record, and neither does a role other than router", () => {
  assert.deepEqual(boot(block("router", "    ra: false")), [...HEADER(2), ...NODE, ...NIC]);
  const m = parseManifest(block("server"), "node.yaml", "/srv");
  assert.equal(m.nics[0].ra, null);
  assert.deepEqual(bootRecords(m).ras, []);
  assert.equal(compileManifest(m).plan.nics[0].ra, null);
  assert.deepEqual(bootRecords(parseManifest(block("client", "    ra: false"), "node.yaml", "/srv")).ras, []);
});

test("ra as a mapping on a server or client is refused", () => {
  one(block("server", "    ra: { max_interval: 60 }"), 8, "nics[0].ra",
    "node.role is server: only a router advertises; set node.role: router or remove ra");
  one(block("client", "    ra: {}"), 8, "nics[0].ra", "node.role is client: only a router advertises; set node.role: router or remove ra");
});

test("each bad value names its line, its path and what is allowed", () => {
  const ra = (...lines: string[]) => block("router", "    ra:", ...lines);   // line 9 is the first setting
  one(block("router", "    ra: true"), 8, "nics[0].ra",
    "true is not allowed; write false (this NIC does not advertise) or a mapping of RA settings, e.g. { max_interval: 600 }");
  one(block("router", "    ra: [1]"), 8, "nics[0].ra", /^a list is not allowed; write false/);
  one(ra("      min_interval: 500"), 9, "nics[0].ra.min_interval", "500 is more than 0.75 × max_interval (600 by default → at most 450)");
  one(ra("      max_interval: 601", "      min_interval: 451"), 10, "nics[0].ra.min_interval",
    "451 is more than 0.75 × max_interval (601 → at most 450)");
  one(ra("      min_interval: 2"), 9, "nics[0].ra.min_interval", "2 is not allowed; min_interval, in seconds, is a whole number from 3 to 1350");
  one(ra("      max_interval: 3"), 9, "nics[0].ra.max_interval", "3 is not allowed; max_interval, in seconds, is a whole number from 4 to 1800");
  one(ra("      max_interval: 1801"), 9, "nics[0].ra.max_interval", /^1801 is not allowed; .* from 4 to 1800$/);
  one(ra("      max_interval: 1.5"), 9, "nics[0].ra.max_interval", /^1\.5 is not allowed/);
  one(ra("      lifetime: 9001"), 9, "nics[0].ra.lifetime", "9001 is not allowed; lifetime, in seconds, is a whole number from 0 to 9000");
  one(ra("      max_interval: 100", "      lifetime: 99"), 10, "nics[0].ra.lifetime",
    "99 is less than max_interval (100); the router lifetime is 0 (not a default router) or from max_interval to 9000 seconds");
  one(ra("      hop_limit: 256"), 9, "nics[0].ra.hop_limit", "256 is not allowed; hop_limit is a whole number from 0 to 255");
  one(ra("      managed: yes"), 9, "nics[0].ra.managed", '"yes" is not true or false; managed is true or false');
  one(ra("      other: 1"), 9, "nics[0].ra.other", "1 is not true or false; other is true or false");
  one(ra("      reachable_time: 3600001"), 9, "nics[0].ra.reachable_time",
    "3600001 is not allowed; reachable_time, in milliseconds, is a whole number from 0 to 3600000");
  one(ra("      retrans_timer: -1"), 9, "nics[0].ra.retrans_timer", /^-1 is not allowed; .* from 0 to 4294967295$/);
  one(ra("      valid_lifetime: 4294967296"), 9, "nics[0].ra.valid_lifetime", /^4294967296 is not allowed; .* from 0 to 4294967295$/);
  one(ra("      preferred_lifetime: 2592001"), 9, "nics[0].ra.preferred_lifetime",
    "2592001 is more than valid_lifetime (2592000 by default); an address stays valid at least as long as it is preferred");
  one(ra("      valid_lifetime: 60", "      preferred_lifetime: 61"), 10, "nics[0].ra.preferred_lifetime", /^61 is more than valid_lifetime \(60\)/);
  one(ra("      interval: 60"), 9, "nics[0].ra.interval", "is not a known key; the keys allowed here are min_interval, " +
    "max_interval, lifetime, hop_limit, managed, other, reachable_time, retrans_timer, valid_lifetime, preferred_lifetime");
});

test("the edges of each range are accepted", () => {
  const ok = (...lines: string[]) => parseManifest(block("router", "    ra:", ...lines), "node.yaml", "/srv").nics[0].ra;
  assert.equal(ok("      max_interval: 4", "      min_interval: 3", "      lifetime: 4")?.lifetime, 4);
  assert.equal(ok("      max_interval: 1800", "      min_interval: 1350", "      lifetime: 9000")?.minInterval, 1350);
  assert.equal(ok("      lifetime: 0")?.lifetime, 0);
  assert.equal(ok("      valid_lifetime: 4294967295", "      preferred_lifetime: 4294967295")?.validLifetime, 0xffffffff);
  assert.equal(ok("      max_interval: 4")?.minInterval, 3);
});

test("a broken max_interval is reported once, not again through the rules that use it", () => {
  const errors = errorsOf(block("router", "    ra: { max_interval: 2000, min_interval: 1000, lifetime: 10 }"));
  assert.deepEqual(errors.map((e) => e.path), ["nics[0].ra.max_interval"]);
});

test("RA records decode back and re-encode to the same bytes; NIC records still come first", () => {
  const text = [
    "node: { name: r.sabz.city, role: router }",
    "nics:",
    '  - { name: lan0, kind: virtual, prefixes: ["fd00:1::/64"], ra: { managed: true, max_interval: 30 } }',
    "  - { name: wan0, kind: virtual, ra: false }",
    '  - { name: lan1, kind: virtual, prefixes: ["fd00:2::/64"] }',
    "routes:",
    '  - { to: "::/0", via: "fe80::1", nic: wan0 }',
    "services: []",
  ].join("\n");
  const m = parseManifest(text, "node.yaml", "/srv");
  const bytes = compileManifest(m).boot;
  const decoded = decodeBootManifest(bytes);
  assert.deepEqual(decoded, bootRecords(m));
  assert.deepEqual(encodeBootManifest(decoded), bytes);
  assert.deepEqual(decoded.ras.map((r) => [r.nic, r.flags, r.minInterval, r.maxInterval, r.lifetime]), [[0, 0x80, 10, 30, 90], [2, 0, 198, 600, 1800]]);
  const types: number[] = [];
  for (let at = 8; at < bytes.length; at += 4 + (bytes[at + 2] | (bytes[at + 3] << 8))) types.push(bytes[at]);
  assert.deepEqual(types, [1, 2, 2, 2, 9, 9, 3, 3, 4]);
});

test("a damaged RA record is refused with its byte", () => {
  const ra = Array.from(compileManifest(parseManifest(block("router"), "node.yaml", "/srv")).boot).slice(-32);
  const refusal = bootRefusal;
  assert.equal(refusal([...HEADER(3), ...NODE, ...NIC, 9, 0, ...u16(27), ...ra.slice(4, 31)]), "at byte 39: record 2 (RA) is 27 bytes, not 28");
  for (const reserved of [3, 10, 11]) {
    const bad = [...ra];
    bad[4 + reserved] = 1;
    assert.equal(refusal([...HEADER(3), ...NODE, ...NIC, ...bad]), `at byte ${43 + reserved}: record 2 (RA) has a non-zero reserved byte`);
  }
});
