// The test services in tests/services/ against a fake kernel: trap and oob fault on
// their trigger (and answer pings until then), sender logs what the kernel's send
// returned for a spoofed source and an oversize packet, talks to echo by name, and
// prints addresses in their RFC 5952 text form.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Errno } from "../../abi/errno";
import { Guest } from "./guest";
import { udp, addr } from "./packets";

const SVC = "20010db8000000000000000000000009";
const ECHO = "20010db8000000000000000000000007";
const PING =
  "6000000000103a4020010db800000000000000000000000120010db8000000000000000000000009" +
  "8000806e123400016162636465666768";   // 2001:db8::1 → 2001:db8::9, id 0x1234 seq 1

for (const [name, message] of [["trap", /unreachable/], ["oob", /out of bounds/]] as const) {
  test(`${name}: answers a ping, then traps on "crash" to port 9`, () => {
    const g = new Guest(`build/wasm/tests/${name}.wasm`, { addrs: [SVC] });
    g.deliver(PING);
    assert.equal(g.sent.length, 1);
    g.queue.push(udp("2001:db8::1", "2001:db8::9", 50000, 9, "crash now"));
    assert.throws(() => g.event(), (e: Error) => e instanceof WebAssembly.RuntimeError && message.test(e.message));
    assert.equal(g.sent.length, 1);
  });

  test(`${name}: "crash" to another port does nothing`, () => {
    const g = new Guest(`build/wasm/tests/${name}.wasm`, { addrs: [SVC] });
    g.deliver(udp("2001:db8::1", "2001:db8::9", 50000, 10, "crash"));
    assert.equal(g.sent.length, 0);
  });
}

/** A sender whose fake kernel refuses what the real one must refuse. */
function sender(): Guest {
  return new Guest("build/wasm/tests/sender.wasm", {
    addrs: [SVC],
    names: { "echo.sabz.city": ECHO },
    send: (p) => {
      if (p.subarray(8, 24).toString("hex") !== SVC) return -Errno.EADDRNOTAVAIL;
      return p.length > 1500 ? -Errno.EMSGSIZE : 0;
    },
  });
}

function command(g: Guest, text: string): void {
  g.deliver(udp("2001:db8::1", "2001:db8::9", 50000, 9, text));
}

test("sender: spoof sends from 2001:db8::bad and logs -EADDRNOTAVAIL", () => {
  const g = sender();
  command(g, "spoof\n");
  assert.equal(g.sent[0].subarray(8, 24).toString("hex"), addr("2001:db8::bad").toString("hex"));
  assert.deepEqual(g.logs, [`sender: spoof send=-${Errno.EADDRNOTAVAIL}`]);
});

test("sender: big sends a 2000-byte packet and logs -EMSGSIZE", () => {
  const g = sender();
  command(g, "big");
  assert.equal(g.sent[0].length, 2000);
  assert.equal(g.sent[0].readUInt16BE(4), 1960);
  assert.deepEqual(g.logs, [`sender: big send=-${Errno.EMSGSIZE}`]);
});

test("sender: to echo.sabz.city reaches echo and logs its reply", () => {
  const g = sender();
  const echo = new Guest("build/wasm/services/echo.wasm", { addrs: [ECHO] });
  command(g, "to echo.sabz.city\n");
  echo.deliver(g.sent[0]);
  g.deliver(echo.sent[0]);
  assert.deepEqual(g.logs, [
    "sender: to echo.sabz.city send=0",
    "sender: reply from 2001:db8::7 hello from sender",
  ]);
});

test("sender: to a name that does not resolve logs the error", () => {
  const g = sender();
  command(g, "to nowhere.sabz.city");
  assert.equal(g.sent.length, 0);
  assert.deepEqual(g.logs, [`sender: to nowhere.sabz.city failed=-${Errno.ENOENT}`]);
});

// RFC 5952 §4: the canonical text of an address, as Python's ipaddress prints it.
const TEXT: [string, string][] = [
  ["20010db8000000000001000000000001", "2001:db8::1:0:0:1"],
  ["20010db8000000010000000000000001", "2001:db8:0:1::1"],
  ["00000000000000000000000000000000", "::"],
  ["00000000000000000000000000000001", "::1"],
  ["fe800000000000000000000000000000", "fe80::"],
  ["20010db8000000010001000100010001", "2001:db8:0:1:1:1:1:1"],
  ["20010db8aaaabbbbccccddddeeeeffff", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"],
  ["00000000000100000000000000000000", "0:0:1::"],
  ["00010000000000020000000000000003", "1:0:0:2::3"],
];

test("sender: reply addresses are logged in RFC 5952 form, data made printable", () => {
  const g = sender();
  for (const [hex] of TEXT) {
    const text = hex.replace(/(.{4})/g, "$1:").slice(0, -1);
    g.deliver(udp(text, "2001:db8::9", 7, 40007, "a\x01b"));
  }
  assert.deepEqual(g.logs, TEXT.map(([, t]) => `sender: reply from ${t} a.b`));
});
