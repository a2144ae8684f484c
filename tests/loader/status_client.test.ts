// The client role's status records (issue #20), from CLIENT_SNAPSHOT's literal bytes
// (status_fixture.ts): ADDR, LEARNED and ROUTER decode into addresses, learned prefixes and
// default routers; `persia status` prints them as tables in which a duplicate address
// stands out; the Prometheus metrics give each its value; a short record is an error; a
// node without these records prints none of their tables.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { decodeStatus, formatStatus } from "../../loader/status/decode";
import { metricsText } from "../../loader/status/metrics";
import { CLIENT_SNAPSHOT, SNAPSHOT } from "./status_fixture";

test("ADDR, LEARNED and ROUTER records decode into addresses, learned prefixes and routers", () => {
  const s = decodeStatus(CLIENT_SNAPSHOT);
  assert.equal(s.node?.role, "CLIENT");
  assert.deepEqual(s.addresses, [
    { nic: 0, service: null, state: "PREFERRED", origin: "LINK_LOCAL", preferredLeft: 0xffffffff, validLeft: 0xffffffff,
      dadLeft: 0, dadCounter: 0, address: "fe80::ff:fe00:1" },
    { nic: 0, service: 0, state: "TENTATIVE", origin: "LEARNED", preferredLeft: 3600, validLeft: 7200, dadLeft: 1, dadCounter: 0,
      address: "2001:db8:1::abcd" },
    { nic: 0, service: 0, state: "DUPLICATE", origin: "MANIFEST", preferredLeft: 0xffffffff, validLeft: 0xffffffff,
      dadLeft: 0, dadCounter: 0, address: "fd00:5ab2:1::7" },
  ]);
  assert.deepEqual(s.learned, [{ nic: 0, prefix: "2001:db8:1::/64", length: 64, onLink: true, autonomous: true,
    validLeft: 7200, preferredLeft: 3600 }]);
  assert.deepEqual(s.routers, [
    { nic: 0, address: "fe80::1", chosen: true, lifetimeLeft: 1800, mtu: 1480, reachableMs: 30000, retransMs: 1000 },
    { nic: 0, address: "fe80::2", chosen: false, lifetimeLeft: 600, mtu: 0, reachableMs: 0, retransMs: 0 },
  ]);
  const empty = decodeStatus(SNAPSHOT);
  assert.deepEqual([empty.addresses, empty.learned, empty.routers], [[], [], []]);
});

test("a short ADDR, LEARNED or ROUTER record is an error naming it", () => {
  const first = 8 + 60 + 67;                   // header, NODE, SVC: the first ADDR record's header
  for (const [at, type] of [[first, "ADDR"], [first + 3 * 36, "LEARNED"], [first + 4 * 36, "ROUTER"]] as const) {
    const b = Uint8Array.from(CLIENT_SNAPSHOT);
    b[at + 2] = 31;                            // one byte short; the rest is read as further records
    assert.throws(() => decodeStatus(b), new RegExp(`${type} record has 31 bytes, needs 32`));
  }
});

test("persia status prints addresses, learned prefixes and default routers; a duplicate stands out", () => {
  const s = decodeStatus(CLIENT_SNAPSHOT);
  s.host = { nics: [{ id: 0, name: "lan0", backend: "tap", counters: {} }] };
  const text = formatStatus(s);
  assert.match(text, /\nAddresses\n +ADDRESS +NIC +OWNER +ORIGIN +STATE +PREFERRED LEFT +VALID LEFT +DAD LEFT\n/);
  assert.match(text, /\n +fe80::ff:fe00:1 +lan0 +node +link-local +preferred +infinite +infinite +0\n/);
  assert.match(text, /\n +2001:db8:1::abcd +lan0 +echo\.sabz\.city +learned +tentative +3600 s +7200 s +1\n/);
  assert.match(text, /\n +fd00:5ab2:1::7 +lan0 +echo\.sabz\.city +manifest +DUPLICATE +infinite +infinite +0\n/);
  assert.match(text, /\n {2}DUPLICATE: another host on NIC lan0 holds fd00:5ab2:1::7 \(echo\.sabz\.city's\); it is not used\. /);
  assert.match(text, /\nLearned prefixes\n +PREFIX +NIC +FLAGS +VALID LEFT +PREFERRED LEFT\n +2001:db8:1::\/64 +lan0 +on-link autonomous +7200 s +3600 s\n/);
  assert.match(text, /\nDefault routers\n +ROUTER +NIC +DEFAULT +LIFETIME LEFT +MTU +REACHABLE +RETRANS\n/);
  assert.match(text, /\n +fe80::1 +lan0 +\* +1800 s +1480 +30000 ms +1000 ms\n/);
  assert.match(text, /\n +fe80::2 +lan0 +600 s +- +- +-\n/);
  assert.doesNotMatch(formatStatus(decodeStatus(SNAPSHOT)), /Addresses|Learned prefixes|Default routers/,
    "a node that runs no DAD and learns nothing prints none of these tables");
  assert.doesNotMatch(text, /is stable identifier/, "no learned address had to move on");
  s.addresses[1].dadCounter = 2;
  assert.match(formatStatus(s), /\n {2}2001:db8:1::abcd \(echo\.sabz\.city's\) is stable identifier 2: another host on NIC lan0 held the first 2\.\n/,
    "a learned address whose first identifiers were duplicates says so");
});

test("metrics: each address's state, the learned prefixes' lifetimes, the default routers", async () => {
  const s = decodeStatus(CLIENT_SNAPSHOT);
  const m = (await metricsText(s)).split("\n");
  const has = (line: string) => assert.ok(m.includes(line), `${line}\nnot in:\n${m.filter((l) => /address|learned|router/.test(l)).join("\n")}`);
  has('persia_address_state{nic="0",owner="echo.sabz.city",origin="manifest",address="fd00:5ab2:1::7",state="duplicate"} 1');
  has('persia_address_state{nic="0",owner="echo.sabz.city",origin="manifest",address="fd00:5ab2:1::7",state="preferred"} 0');
  has('persia_address_state{nic="0",owner="node",origin="link_local",address="fe80::ff:fe00:1",state="preferred"} 1');
  has('persia_address_state{nic="0",owner="echo.sabz.city",origin="learned",address="2001:db8:1::abcd",state="tentative"} 1');
  has('persia_learned_prefix_valid_seconds{nic="0",prefix="2001:db8:1::/64"} 7200');
  has('persia_learned_prefix_preferred_seconds{nic="0",prefix="2001:db8:1::/64"} 3600');
  has('persia_default_routers{nic="0"} 2');
  has('persia_default_router_lifetime_seconds{nic="0",router="fe80::1"} 1800');
  has('persia_default_router_chosen{nic="0",router="fe80::1"} 1');
  has('persia_default_router_chosen{nic="0",router="fe80::2"} 0');
  assert.equal(m.filter((l) => l.startsWith("persia_address_state{")).length, 3 * 4, "four states per address");
});
