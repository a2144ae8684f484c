// routes: written as a table (loader/manifest/routes.ts, spec/manifest.md "routes"): the
// same routes as the list form, byte for byte in the boot manifest; every problem at its
// own line, with the path the list form would give; lines that are not routes said so, and
// the lines after them keeping their indexes; only a literal block taken. And the list
// form's words, now checked in a plain loop instead of zod (schema.ts leafList), unchanged.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { ManifestError, compileManifest, parseManifest } from "../../loader/manifest";
import { MAX_ROUTES } from "../../loader/manifest/limits";
import { errorsOf, one } from "./refused";

const HEAD = [
  "node: { name: demo.sabz.city, role: router }",                              // 1
  "nics:",                                                                      // 2
  '  - { name: lan0, kind: virtual, prefixes: ["fd00:1::/64"] }',               // 3
  '  - { name: wan0, kind: virtual, prefixes: ["fd00:2::/64"], ra: false }',    // 4
];
const TAIL = ["services: []"];

/** The manifest with `routes` lines from line 5 on. */
const manifest = (...routes: string[]) => [...HEAD, ...routes, ...TAIL].join("\n") + "\n";

const LIST = manifest(
  "routes:",
  '  - { to: "::/0", via: "fe80::1", nic: wan0 }',
  '  - { to: "2001:db8::/32", nic: lan0 }',
  '  - { to: "2001:db8:1::/48", via: "fd00:2::9", nic: wan0 }',
  '  - { to: "fd00:99::1/128", via: "fe80::2", nic: lan0 }',
);
const TABLE = manifest(
  "routes: |   # prefix, next hop, NIC",
  "  # the default route first",
  "  ::/0              via fe80::1      nic wan0",
  "",
  "  2001:db8::/32                      nic lan0",
  "  2001:db8:1::/48\tvia fd00:2::9\tnic wan0   # tabs between words",
  "  fd00:99::1/128    nic lan0 via fe80::2",
);

test("a table gives the list's routes and the same boot manifest, byte for byte", () => {
  const list = parseManifest(LIST, "node.yaml", "/srv"), table = parseManifest(TABLE, "node.yaml", "/srv");
  assert.equal(table.routes.length, 4);
  assert.deepEqual(table.routes, list.routes);
  assert.deepEqual(compileManifest(table).boot, compileManifest(list).boot);
});

test("a table's value problems are at their own line, with the list form's path and words", () => {
  one(manifest("routes: |", "  ::/0 nic wan0", "  fd00::1/64 nic lan0"), 7, "routes[1].to", /has host bits set after the first 64 bits/);
  one(manifest("routes: |", "  ::/0 via ff02::1 nic wan0"), 6, "routes[0].via", /is not a unicast neighbor/);
  one(manifest("routes: |", "  # none yet", "", "  ::/0 via fe80::1 nic lan9"), 8, "routes[0].nic",
    '"lan9" is not the name of a NIC; the NICs are lan0, wan0');
  one(manifest("routes: |", "  ::/0 via fe80::1"), 6, "routes[0].nic", /^is required; write text such as lan0/);
});

test("a line that is not a route is said to be one, the form to write once, and the lines after it keep their indexes", () => {
  const errors = errorsOf(manifest("routes: |",
    "  ::/0 via fe80::1 dev wan0",          // 6: ip route's word
    "  2001:db8::/32 nic lan0 nic wan0",    // 7
    "  2001:db8:1::/48 via",                // 8
    "  via fe80::1 nic lan0",               // 9
    "  2001:db8:2::/48 nic lan9",           // 10: well-formed, a NIC that is not there
    "  2001:db8:3::/48 via: fe80::1 nic lan0", // 11
    "  2001:db8:4::/48 bogus lan0",         // 12
    "  services: []",                       // 13: a key indented into the table
  ));
  assert.deepEqual(errors.map((e) => `${e.line} ${e.path}: ${e.message}`), [
    '6 routes[0]: "::/0 via fe80::1 dev wan0" is not a route: "dev" is ip route\'s word; write nic; ' +
      "write <prefix> [via <address>] nic <name>, e.g. 2001:db8::/32 via fe80::1 nic wan0",
    '7 routes[1]: "2001:db8::/32 nic lan0 nic wan0" is not a route: nic is given twice',
    '8 routes[2]: "2001:db8:1::/48 via" is not a route: via has no value',
    '9 routes[3]: "via fe80::1 nic lan0" is not a route: it starts with a keyword, not the prefix',
    '10 routes[4].nic: "lan9" is not the name of a NIC; the NICs are lan0, wan0',
    '11 routes[5]: "2001:db8:3::/48 via: fe80::1 nic lan0" is not a route: write via without a colon',
    '12 routes[6]: "2001:db8:4::/48 bogus lan0" is not a route: "bogus" is not a keyword of a route (via, nic)',
    '13 routes[7]: "services: []" is not a route: "services:" reads as a YAML key; the keys after the table go back to the indentation of `routes:`',
  ]);
  const more = errorsOf(manifest("routes: |",
    "  - ::/0 nic wan0",                    // 6: the list form's dash
    "  to: ::/0 nic: wan0",                 // 7: its keys
    "  ::/0\u00a0nic wan0",                 // 8: a no-break space between words
    "  ::/0 nic wan0\r# a lone CR",         // 9
  ));
  assert.deepEqual(more.map((e) => `${e.line} ${e.path}: ${e.message.replace(/; write <prefix>.*/, "")}`), [
    '6 routes[0]: "- ::/0 nic wan0" is not a route: a table line has no "-" (the list form\'s); write the route alone',
    '7 routes[1]: "to: ::/0 nic: wan0" is not a route: a table line has no keys (the list form\'s)',
    '8 routes[2]: "::/0\u00a0nic wan0" is not a route: it has the white space U+00A0 after "::/0"; part the words with spaces or tabs',
    '9 routes[3]: "::/0 nic wan0\\r# a lone CR" is not a route: it has the white space U+000D after "::/0 nic wan0"; part the words with spaces or tabs',
  ]);
});

test("a comment runs to the end of its line, whatever is in it", () => {
  // "." stops at U+2028: /#.*$/ then failed at every "#" after the first and tried the
  // next, seconds on this line, and did not cut the comment at all.
  const rows = errorsOf(manifest("routes: |", `  ::/0 nic wan0 ${" #".repeat(40_000)}\u2028`, "  ::/0 nic lan9"));
  assert.deepEqual(rows.map((e) => `${e.line} ${e.path}`), ["7 routes[1].nic"]);
  assert.equal(parseManifest(manifest("routes: |", "  ::/0 nic wan0 # a\u2028b"), "node.yaml", "/srv").routes.length, 1);
});

test("a table behind an alias is read from where its lines are", () => {
  const text = ["x-table: &t |", "  ::/0 nic wan0", "  fd00::/8 nic lan9", ...HEAD, "routes: *t", ...TAIL].join("\n") + "\n";
  assert.deepEqual(errorsOf(text).map((e) => `${e.line} ${e.path}`).filter((l) => l.includes("routes")), ["3 routes[1].nic"]);
});

test("the NICs a refusal lists are the ones with valid names, so an overlong one is not repeated", () => {
  const text = manifest("routes: |", ...Array.from({ length: 100 }, () => "  ::/0 nic lan9"))
    .replace('  - { name: wan0, kind: virtual, prefixes: ["fd00:2::/64"], ra: false }', `  - { name: ${"l".repeat(100_000)}, kind: virtual, ra: false }`);
  const errors = errorsOf(text);
  for (const e of errors) assert.ok(e.message.length < 400, `${e.line} ${e.path}: ${e.message.length} characters`);
  assert.equal(errors.filter((e) => e.message === '"lan9" is not the name of a NIC; the NICs are lan0').length, 100);
});

test("a # starts a comment only where a word starts: inside a word it is part of the word", () => {
  assert.equal(parseManifest(manifest("routes: |", "  ::/0 nic wan0 # the default", "  #::/1 nic wan0", "  \t# indented"), "node.yaml", "/srv").routes.length, 1);
  one(manifest("routes: |", "  fd00:9::/32#x nic wan0"), 6, "routes[0].to", /^"fd00:9::\/32#x"/);
});

test("a person reads the first 50 problems; the error holds every one", () => {
  const rows = Array.from({ length: 60 }, (_, i) => `  2001:db8:${i.toString(16)}::/48 dev lan0`);
  let err: ManifestError | undefined;
  try {
    parseManifest(manifest("routes: |", ...rows), "node.yaml", "/srv");
  } catch (e) {
    err = e as ManifestError;
  }
  assert.ok(err instanceof ManifestError);
  assert.equal(err.errors.length, 60);
  const lines = err.message.split("\n");
  assert.equal(lines.length, 1 + 50 + 1);
  assert.equal(lines[51], "  ... and 10 more problems (the next at line 56), not shown");
});

test("a long line that is not a route is quoted in part", () => {
  const long = `2001:db8::/32 nic lan0 ${"x".repeat(10_000)}`;
  one(manifest("routes: |", `  ${long}`), 6, "routes[0]", `"${long.slice(0, 77)}..." is not a route: "${"x".repeat(77)}..." is not a keyword of a route (via, nic); ` +
    "write <prefix> [via <address>] nic <name>, e.g. 2001:db8::/32 via fe80::1 nic wan0");
});

test("only a literal block is a table: folded or quoted text would move or join its lines", () => {
  for (const routes of [["routes: >", "  ::/0 via fe80::1 nic wan0"], ['routes: "::/0 via fe80::1 nic wan0"'], ["routes: ::/0 nic wan0"]]) {
    one(manifest(...routes), 5, "routes", /^is text but not a literal block; write the table as `routes: \|`/);
  }
  assert.equal(parseManifest(manifest("routes: |", "  # nothing yet"), "node.yaml", "/srv").routes.length, 0);
  assert.equal(parseManifest(manifest("routes: |-", "  ::/0 nic wan0"), "node.yaml", "/srv").routes.length, 1);
});

test("a table holds at most MAX_ROUTES routes", () => {
  const rows = Array.from({ length: MAX_ROUTES + 1 }, (_, i) => `  2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::/64 nic lan0`);
  one(manifest("routes: |", ...rows), 5, "routes", `has too many routes; at most ${MAX_ROUTES} are allowed (loader/manifest/limits.ts)`);
  assert.equal(parseManifest(manifest("routes: |", ...rows.slice(1)), "node.yaml", "/srv").routes.length, MAX_ROUTES);
});

/** Broken routes lists, each with what the loader said of it while zod checked the list (at
 *  d286fa6, before leafList): the same words, at the same lines and paths, must come now. One
 *  line less: "LAN" was also said not to be the name of a NIC, after being said to be no
 *  valid name (raw.ts references now leaves that to the schema). */
const AS_ZOD_SAID: [string[], string[]][] = [
  [["routes: 5"],
    ["5 routes: expected a list, found 5"]],
  [["routes: {}"],
    ["5 routes: expected a list, found a mapping"]],
  [["routes: [5]"],
    ["5 routes[0]: expected a mapping of keys to values, found 5"]],
  [["routes: [null]"],
    ["5 routes[0]: expected a mapping of keys to values, found an empty value"]],
  [["routes:","  - 5"],
    ["6 routes[0]: expected a mapping of keys to values, found 5"]],
  [["routes:","  - [1]"],
    ["6 routes[0]: expected a mapping of keys to values, found a list"]],
  [["routes:","  - ~"],
    ["6 routes[0]: expected a mapping of keys to values, found an empty value"]],
  [["routes:","  - { to: \"::/0\", nic: lan0, metric: 5, x: 1 }"],
    ["6 routes[0].metric: is not a known key; the keys allowed here are to, via, nic","6 routes[0].x: is not a known key; the keys allowed here are to, via, nic"]],
  [["routes:","  - { to: \"::/0\", nic: lan0, __proto__: 1 }"],
    ["6 routes[0].__proto__: is not a known key; the keys allowed here are to, via, nic"]],
  [["routes:","  - { to: \"::/0\", nic: lan0, constructor: 1, toString: 2 }"],
    ["6 routes[0].constructor: is not a known key; the keys allowed here are to, via, nic","6 routes[0].toString: is not a known key; the keys allowed here are to, via, nic"]],
  [["routes:","  - { nic: lan0 }"],
    ["6 routes[0].to: is required; write text such as fd00:5ab2:1::/64"]],
  [["routes:","  - { to: \"::/0\" }"],
    ["6 routes[0].nic: is required; write text such as lan0"]],
  [["routes:","  - { to: 5, via: 7, nic: 9 }"],
    ["6 routes[0].nic: 9 is not text; write text such as lan0","6 routes[0].to: 5 is not text; write text such as fd00:5ab2:1::/64","6 routes[0].via: 7 is not text; write text such as fd00:5ab2:1::7"]],
  [["routes:","  - { to: \"::/0\", via: null, nic: lan0 }"],
    ["6 routes[0].via: an empty value is not text; write text such as fd00:5ab2:1::7"]],
  [["routes:","  - {}"],
    ["6 routes[0].nic: is required; write text such as lan0","6 routes[0].to: is required; write text such as fd00:5ab2:1::/64"]],
  [["routes:","  - { to: \"::/0\", nic: lan9 }","  - { to: \"fd00::/8\", via: \"ff02::1\", nic: LAN }"],
    ["6 routes[0].nic: \"lan9\" is not the name of a NIC; the NICs are lan0, wan0","7 routes[1].nic: \"LAN\" is not a valid NIC name; use 1 to 15 characters: a lower-case letter, then lower-case letters, digits or \"-\", e.g. lan0","7 routes[1].via: \"ff02::1\" is not a unicast neighbor; via is the address of the next router on the NIC's link"]],
  [["routes:","  - to: fd00::1/64","    via: [1]","    nic: { a: 1 }","    x: 1"],
    ["6 routes[0].to: \"fd00::1/64\" has host bits set after the first 64 bits; the prefix is fd00::/64","7 routes[0].via: a list is not text; write text such as fd00:5ab2:1::7","8 routes[0].nic: a mapping is not text; write text such as lan0","9 routes[0].x: is not a known key; the keys allowed here are to, via, nic"]],
  [["routes:","  - { to: \"::/0\", nic: lan0 }","  - 5","  - { to: \"2001:db8::/32\", via: \"fe80::1\", nic: wan0 }"],
    ["7 routes[1]: expected a mapping of keys to values, found 5"]],
];

test("the list form says what it said while zod checked it", () => {
  for (const [routes, said] of AS_ZOD_SAID) {
    assert.deepEqual(errorsOf(manifest(...routes)).map((e) => `${e.line} ${e.path}: ${e.message}`), said, routes.join("\n"));
  }
  one(manifest("routes:", "  - { nic: lan0 }"), 6, "routes[0].to", /^is required/);
  assert.equal(parseManifest(manifest(), "node.yaml", "/srv").routes.length, 0);
});

test("an entry a YAML tag made into something else is no mapping, and is called what it is", () => {
  one(manifest("routes:", "  - !!set { a, b }"), 6, "routes[0]", "expected a mapping of keys to values, found a set (!!set)");
  one(manifest("routes:", "  - !!omap [ to: a ]"), 6, "routes[0]", "expected a mapping of keys to values, found an ordered mapping (!!omap)");
  one(manifest("routes:", "  - !!timestamp 2001-12-14"), 6, "routes[0]", "expected a mapping of keys to values, found a date (!!timestamp)");
  one(manifest("routes:", "  - !!binary aGVsbG8="), 6, "routes[0]", "expected a mapping of keys to values, found binary data (!!binary)");
  one(manifest("routes:", "  - [ ::/0, lan0 ]"), 6, "routes[0]", "expected a mapping of keys to values, found a list");
});

test("a long value is quoted in part: a NIC name, a prefix, a domain name", () => {
  const long = (routes: string[]) => {
    const errors = errorsOf(manifest(...routes));
    assert.ok(errors.length > 0);
    for (const e of errors) assert.ok(e.message.length < 400, `${e.path}: ${e.message.length} characters`);
    return errors;
  };
  assert.match(long(["routes: |", `  ::/0 nic ${"n".repeat(10_000)}`])[0].message, new RegExp(`^"${"n".repeat(77)}\\.\\.\\." is not a valid NIC name`));
  assert.match(long(["routes: |", `  ${"f".repeat(10_000)}/64 nic lan0`])[0].message, new RegExp(`^"${"f".repeat(77)}\\.\\.\\."`));
  assert.match(long(["routes:", `  - { to: "::/0", nic: lan0, via: "${"1:".repeat(5_000)}" }`])[0].message, /^"(1:){38}1\.\.\."/);
  const errors = errorsOf(manifest("routes: []").replace("demo.sabz.city", `${"A".repeat(10_000)}.city`));
  assert.equal(errors.length, 1);
  assert.ok(errors[0].message.length < 400, `node.name: ${errors[0].message.length} characters`);
});
