// cli/top_screen.ts: the screen of `persia top` from fixed snapshots, line for line; totals
// before the second snapshot; a node with more NICs, services, classes and drops than the
// screen holds, cut with "… N more" at every size from 20×3 to 200×60, never a line too
// many or a character too wide; a quiet span, whose empty drops take one line; a notice
// that wraps; and the bytes that draw a frame.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { bits, bytes, num, renderTop, TopView, uptime } from "../../cli/top_screen";
import { frameBytes } from "../../cli/top";
import { rates } from "../../loader/status/series";
import type { Status } from "../../loader/status/decode";
import { crowded, small } from "./top_fixture";

function view(older: Status | null, newer: Status | null, more: Partial<TopView> = {}): TopView {
  const r = older && newer ? rates({ wallMs: 0, status: older }, { wallMs: 0, status: newer }) : null;
  return { node: "edge.sabz.city", status: newer, rates: r, intervalSeconds: 1, notice: null, updated: "12:04:05",
    footer: "q quit", ...more };
}

const width = (l: string) => [...l].length;

test("rates per second of kernel time, line for line, in 80×24", () => {
  assert.deepEqual(renderTop(view(small(61_000, 1), small(63_000, 3)), { columns: 80, rows: 24 }), [
    "edge.sabz.city (router)  up 0:01:03  every 1 s  rx 120 tx 100 drops 3 pkt/s",
    "",
    "NIC  KIND   RX PKT/S  RX BYTES/S  TX PKT/S  TX BYTES/S  TX ERR/S",
    "  0  vxlan       120   12.0 kB/s       100   10.0 kB/s         0",
    "",
    "SERVICE         STATE       RX PKT/S  TX PKT/S  FUEL/S    CPU  MIN   MAX",
    "echo.sabz.city  running          100       100   2.00M  0.02%  10%   50%",
    "kv.sabz.city    restarting         0         0   6.00M  0.06%   0%  100%",
    "",
    "NIC  EGRESS CLASS          BIT/S  SHARE          MIN          MAX  DROPS/S",
    "  0  echo.sabz.city  90.0 kbit/s    90%  1.00 Mbit/s  10.0 Mbit/s        1",
    "  0  kernel          10.0 kbit/s    10%            -    unlimited        0",
    "  0  kv.sabz.city              0     0%   500 kbit/s    unlimited        0",
    "",
    "DROPS/S  REASON    MEANING",
    "      3  FRAGMENT  fragment (never reassembled)",
    "q quit                                                          updated 12:04:05",
  ]);
});

test("before a second snapshot: totals since boot, and that rates come next", () => {
  assert.deepEqual(renderTop(view(null, small(63_000, 3)), { columns: 80, rows: 24 }), [
    "edge.sabz.city (router)  up 0:01:03  every 1 s  rx 360 tx 300 drops 10 packets",
    "totals since boot; rates after the next refresh",
    "",
    "NIC  KIND   RX PACKETS  RX BYTES  TX PACKETS  TX BYTES  TX ERRORS",
    "  0  vxlan         360   36.0 kB         300   30.0 kB          0",
    "",
    "SERVICE         STATE       RX PACKETS  TX PACKETS   FUEL  RESTARTS",
    "echo.sabz.city  running            300         300  6.00M         0",
    "kv.sabz.city    restarting           0           0  18.0M         0",
    "",
    "NIC  EGRESS CLASS       SENT          MIN          MAX  DROPS",
    "  0  echo.sabz.city  33.8 kB  1.00 Mbit/s  10.0 Mbit/s      3",
    "  0  kernel          3.75 kB            -    unlimited      0",
    "  0  kv.sabz.city        0 B   500 kbit/s    unlimited      0",
    "",
    "DROPS  REASON          MEANING",
    "    9  FRAGMENT        fragment (never reassembled)",
    "    1  ETHERTYPE_IPV4  IPv4 (no IPv4 path, by design)",
    "q quit                                                          updated 12:04:05",
  ]);
  assert.deepEqual(renderTop(view(null, null, { updated: "" }), { columns: 80, rows: 24 }),
    ["edge.sabz.city  every 1 s  waiting for the first status", "q quit"]);
});

test("a crowded node in 80×24: every section keeps its first rows and says how many more", () => {
  const lines = renderTop(view(crowded(1000, 1), crowded(3000, 3)), { columns: 80, rows: 24 });
  assert.equal(lines.length, 24);
  assert.ok(lines.every((l) => width(l) <= 80), lines.filter((l) => width(l) > 80).join("\n"));
  assert.equal(lines[0], "edge.sabz.city (server)  up 0:00:03  every 1 s  rx 21.0k tx 5400 drops 462 pkt/s");
  assert.equal(lines[23], "q quit                                                          updated 12:04:05");
  assert.deepEqual(lines.filter((l) => l.startsWith("…")), ["… 2 more", "… 12 more", "… 93 more", "… 8 more"]);
  assert.equal(lines[8], "service-number-0.a-rathe…  running         0         0       0     0%   0%  100%", "a long name is cut");
  assert.equal(lines[19], "     77  SVC_LINK_CONTROL  service sent ND, RA, redirect, MLD or hop limit 255 …",
    "the busiest reason first, its meaning cut to fit");
});

test("no size gets a line too many or a character too wide", () => {
  const v = [view(crowded(1000, 1), crowded(3000, 3)), view(null, crowded(3000, 3), { notice: "x ".repeat(100) }),
    view(small(1000, 1), small(2000, 2)), view(null, null)];
  for (const columns of [20, 33, 40, 57, 64, 80, 81, 120, 200]) {
    for (const rows of [3, 5, 8, 12, 17, 24, 25, 60]) {
      for (const [i, each] of v.entries()) {
        const lines = renderTop(each, { columns, rows });
        const at = `view ${i} in ${columns}×${rows}`;
        assert.ok(lines.length <= rows, `${at}: ${lines.length} lines`);
        assert.ok(lines.every((l) => width(l) <= columns), `${at}:\n${lines.join("\n")}`);
        assert.match(lines[0], /^edge\.sabz\./, `${at}: the header comes first`);
        assert.equal(lines[lines.length - 1].startsWith("q quit"), true, `${at}: the footer comes last`);
      }
    }
  }
});

test("a narrow terminal drops the least useful columns and keeps the rates", () => {
  const lines = renderTop(view(crowded(1000, 1), crowded(3000, 3)), { columns: 40, rows: 12 });
  assert.deepEqual(lines, [
    "edge.sabz.city (server)  rx 21.0k tx 54…",
    "NIC  RX PKT/S  TX PKT/S  TX BYTES/S",
    "  0      1000       900   90.0 kB/s",
    "… 5 more",
    "SERVICE             RX PKT/S    CPU",
    "service-number-0.…         0     0%",
    "… 15 more",
    "NIC  EGRESS CLASS            BIT/S",
    "… 96 more",
    "DROPS/S  REASON            MEANING",
    "… 11 more",
    "q quit                  updated 12:04:05",
  ]);
});

test("a notice takes up to two lines, broken at a space", () => {
  const notice = "node not answering since 12:03:59: cannot read the status from /run/persia/edge.sabz.city.sock: " +
    "the socket exists but nothing listens: the node has stopped; start it again";
  const lines = renderTop(view(small(1000, 1), small(2000, 2), { notice }), { columns: 80, rows: 24 });
  assert.deepEqual(lines.slice(1, 3), [
    "node not answering since 12:03:59: cannot read the status from",
    "/run/persia/edge.sabz.city.sock: the socket exists but nothing listens: the nod…",
  ]);
});

test("numbers for a person", () => {
  assert.deepEqual([0, 7, 0.5, 9.96, 123.4, 1234, 1234.5, 21000, 4.56e6, 7e9].map((x) => num(x)),
    ["0", "7", "0.5", "10", "123", "1234", "1.23k", "21.0k", "4.56M", "7.00G"]);
  assert.deepEqual([0, 512, 14100, 1.5e6].map((x) => bytes(x)), ["0 B", "512 B", "14.1 kB", "1.50 MB"]);
  assert.deepEqual([0, 800, 1.2e6].map((x) => bits(x, "-")), ["-", "800 bit/s", "1.20 Mbit/s"]);
  assert.deepEqual([12_345, 3_723_000, 2 * 86_400_000 + 11_045_000].map(uptime), ["0:00:12", "1:02:03", "2d 03:04:05"]);
});

test("a frame is drawn from the top-left corner, each line cleared to its end but a full one", () => {
  assert.equal(frameBytes(["ab", "abcd"], 4, 2), "\x1b[Hab\x1b[K\r\nabcd");
  assert.equal(frameBytes(["ab"], 4, 3), "\x1b[Hab\x1b[K\r\n\x1b[J", "the rows below a shorter frame are cleared");
});

test("a quiet span: every rate 0, and a section with no rows takes one line", () => {
  const lines = renderTop(view(small(61_000, 3), small(63_000, 3), { updated: "" }), { columns: 80, rows: 12 });
  assert.deepEqual(lines, [
    "edge.sabz.city (router)  up 0:01:03  every 1 s  rx 0 tx 0 drops 0 pkt/s",
    "NIC  KIND   RX PKT/S  RX BYTES/S  TX PKT/S  TX BYTES/S  TX ERR/S",
    "  0  vxlan         0       0 B/s         0       0 B/s         0",
    "SERVICE         STATE       RX PKT/S  TX PKT/S  FUEL/S  CPU  MIN   MAX",
    "echo.sabz.city  running            0         0       0   0%  10%   50%",
    "kv.sabz.city    restarting         0         0       0   0%   0%  100%",
    "NIC  EGRESS CLASS    BIT/S  SHARE          MIN          MAX  DROPS/S",
    "  0  kernel              0     0%            -    unlimited        0",
    "  0  echo.sabz.city      0     0%  1.00 Mbit/s  10.0 Mbit/s        0",
    "  0  kv.sabz.city        0     0%   500 kbit/s    unlimited        0",
    "drops: none in the last 2 s",
    "q quit",
  ]);
});

test("a NIC is shown by its manifest name when the host gives it", () => {
  const named = (s: Status): Status => ({ ...s, host: { name: "edge.sabz.city", nics: [{ id: 0, name: "vx0", backend: "vxlan", counters: {} }] } });
  const lines = renderTop(view(named(small(61_000, 1)), named(small(63_000, 3))), { columns: 80, rows: 24 });
  const at = lines.findIndex((l) => /^ *NIC +KIND/.test(l));
  assert.match(lines[at + 1], /^vx0 +vxlan /);
  const totals = renderTop(view(null, named(small(63_000, 3))), { columns: 80, rows: 24 });
  assert.ok(totals.some((l) => /^vx0 +vxlan /.test(l)), totals.join("\n"));
});

test("a client's addresses under DAD and duplicates get a line of their own, wrapped like a notice", () => {
  const s = small(63_000, 3);
  const a = (address: string, state: string) => ({ nic: 0, service: null, state, origin: "LEARNED", preferredLeft: 10,
    validLeft: 20, dadLeft: 0, dadCounter: 0, address });
  s.addresses = [a("fd00:c1::1", "PREFERRED"), a("fd00:c1::2", "TENTATIVE"), a("fd00:1::7", "DUPLICATE")];
  const lines = renderTop(view(null, s), { columns: 60, rows: 24 });
  assert.deepEqual(lines.slice(2, 4), [
    "addresses: 1 preferred, 1 tentative, 1 DUPLICATE; another",
    "host holds fd00:1::7 (persia status)",
  ]);
  s.addresses = [a("fd00:c1::1", "PREFERRED"), a("fd00:c1::3", "DEPRECATED")];
  assert.ok(!renderTop(view(null, s), { columns: 60, rows: 24 }).some((l) => l.startsWith("addresses:")), "all in use: no line");
});
