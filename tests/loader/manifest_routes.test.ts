// routes: written as a table (loader/manifest/routes.ts, spec/manifest.md "routes"): the
// same routes as the list form, byte for byte in the boot manifest; every problem at its
// own line, with the path the list form would give; lines that are not routes said so, and
// the lines after them keeping their indexes; only a literal block taken. And the list
// form's words, now checked in a plain loop instead of zod (schema.ts leafList), unchanged.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { compileManifest, parseManifest } from "../../loader/manifest";
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

test("a line that is not a route is said to be one, and the lines after it keep their indexes", () => {
  const errors = errorsOf(manifest("routes: |",
    "  ::/0 via fe80::1 dev wan0",          // 6: ip route's word
    "  2001:db8::/32 nic lan0 nic wan0",    // 7
    "  2001:db8:1::/48 via",                // 8
    "  via fe80::1 nic lan0",               // 9
    "  2001:db8:2::/48 nic lan9",           // 10: well-formed, a NIC that is not there
  ));
  assert.deepEqual(errors.map((e) => `${e.line} ${e.path}: ${e.message}`), [
    '6 routes[0]: "::/0 via fe80::1 dev wan0" is not a route: "dev" is not a keyword of a route (via, nic); ' +
      "write <prefix> [via <address>] nic <name>, e.g. 2001:db8::/32 via fe80::1 nic wan0",
    '7 routes[1]: "2001:db8::/32 nic lan0 nic wan0" is not a route: nic is given twice; ' +
      "write <prefix> [via <address>] nic <name>, e.g. 2001:db8::/32 via fe80::1 nic wan0",
    '8 routes[2]: "2001:db8:1::/48 via" is not a route: via has no value; ' +
      "write <prefix> [via <address>] nic <name>, e.g. 2001:db8::/32 via fe80::1 nic wan0",
    '9 routes[3]: "via fe80::1 nic lan0" is not a route: it starts with a keyword, not the prefix; ' +
      "write <prefix> [via <address>] nic <name>, e.g. 2001:db8::/32 via fe80::1 nic wan0",
    '10 routes[4].nic: "lan9" is not the name of a NIC; the NICs are lan0, wan0',
  ]);
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

test("the list form says what it said before the plain loop took zod's place", () => {
  one(manifest("routes: 5"), 5, "routes", "expected a list, found 5");
  one(manifest("routes:", "  - 5"), 6, "routes[0]", "expected a mapping of keys to values, found 5");
  one(manifest("routes:", "  -"), 6, "routes[0]", "expected a mapping of keys to values, found an empty value");
  one(manifest("routes:", '  - { to: "::/0", nic: lan0, metric: 5 }'), 6, "routes[0].metric",
    "is not a known key; the keys allowed here are to, via, nic");
  one(manifest("routes:", '  - { to: "::/0", nic: lan0, constructor: 1 }'), 6, "routes[0].constructor",
    "is not a known key; the keys allowed here are to, via, nic");
  one(manifest("routes:", "  - { nic: lan0 }"), 6, "routes[0].to", /^is required/);
  one(manifest("routes:"), 5, "routes", "expected a list, found an empty value");
  assert.equal(parseManifest(manifest(), "node.yaml", "/srv").routes.length, 0);
});
