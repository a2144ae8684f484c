// kv.sabz.city (services/kv/main.ts and store.ts) against a fake kernel with a Buffer as
// its disk extent: the text protocol, durability across a restart, probing and tombstones
// on a tiny extent, and refusal of what is not its own disk format. The on-disk layout,
// crashes and the mirror are tests/kv/.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Guest } from "./guest";
import { udp, udpText, checksumOk } from "./packets";

const WASM = "build/wasm/services/kv.wasm";
const KV = "2001:db8::70";
const KV_HEX = "20010db8000000000000000000000070";
const CLIENT = "2001:db8::1";
const SLOT = 1024;

function kv(disk?: Buffer, flushLog?: number[]): Guest {
  const g: Guest = new Guest(WASM, {
    addrs: [KV_HEX], disk,
    send: () => { flushLog?.push(g.flushes); return 0; },
  });
  return g;
}

/** Send one request; return the reply's text. */
function ask(g: Guest, request: string | Buffer, port = 7070): string {
  const before = g.sent.length;
  g.deliver(udp(CLIENT, KV, 40000, port, request));
  assert.equal(g.sent.length, before + 1, `no reply to ${request}`);
  const r = g.sent[g.sent.length - 1];
  assert.ok(checksumOk(r), "reply checksum");
  return udpText(r);
}

test("a PUT is answered OK from kv's address to the client's port (literal bytes)", () => {
  const g = kv(Buffer.alloc(64 * SLOT));
  g.deliver(
    "600000000019114020010db800000000000000000000000120010db8000000000000000000000070" +
    "9c401b9e0019fff850555420636f6c6f757220677265656e0a");
  assert.deepEqual(g.sent.map((p) => p.toString("hex")), [
    "60000000000a114020010db800000000000000000000007020010db8000000000000000000000001" +
    "1b9e9c40000a9ccd4f4b"]);
});

test("PUT, GET, DEL, GET", () => {
  const g = kv(Buffer.alloc(64 * SLOT));
  assert.equal(ask(g, "PUT colour green"), "OK");
  assert.equal(ask(g, "GET colour"), "VALUE green");
  assert.equal(ask(g, "DEL colour"), "OK");
  assert.equal(ask(g, "GET colour"), "NOT_FOUND");
  assert.equal(ask(g, "DEL colour"), "NOT_FOUND");
});

test("a PUT overwrites, values keep their spaces, line ends are trimmed", () => {
  const g = kv(Buffer.alloc(64 * SLOT));
  assert.equal(ask(g, "PUT k one\n"), "OK");
  assert.equal(ask(g, "PUT k two words \r\n"), "OK");
  assert.equal(ask(g, "GET k\n"), "VALUE two words ");
  assert.equal(ask(g, "PUT e "), "OK");
  assert.equal(ask(g, "GET e"), "VALUE ");
});

test("data survives a restart of the service", () => {
  const disk = Buffer.alloc(64 * SLOT);
  const a = kv(disk);
  assert.equal(ask(a, "PUT city tehran"), "OK");
  assert.equal(ask(a, "PUT gone soon"), "OK");
  assert.equal(ask(a, "DEL gone"), "OK");
  const b = kv(disk);
  assert.equal(ask(b, "GET city"), "VALUE tehran");
  assert.equal(ask(b, "GET gone"), "NOT_FOUND");
});

test("every PUT and DEL is flushed before its OK is sent", () => {
  const flushed: number[] = [];
  const g = kv(Buffer.alloc(64 * SLOT), flushed);
  const start = g.flushes;                    // formatting the fresh extent flushed once
  ask(g, "PUT a 1");
  ask(g, "DEL a");
  assert.deepEqual(flushed, [start + 1, start + 2]);
});

test("probing and tombstones on a full table", () => {
  const g = kv(Buffer.alloc(4 * SLOT));   // three data slots
  for (const k of ["a", "b", "c"]) assert.equal(ask(g, `PUT ${k} ${k}${k}`), "OK");
  assert.equal(ask(g, "PUT d dd"), "ERR full");
  assert.equal(ask(g, "GET d"), "NOT_FOUND");
  assert.equal(ask(g, "DEL b"), "OK");
  for (const k of ["a", "c"]) assert.equal(ask(g, `GET ${k}`), `VALUE ${k}${k}`);
  assert.equal(ask(g, "PUT d dd"), "OK");
  for (const k of ["a", "c", "d"]) assert.equal(ask(g, `GET ${k}`), `VALUE ${k}${k}`);
});

test("a torn slot (check mismatch) reads as absent and is reused", () => {
  const disk = Buffer.alloc(2 * SLOT);
  const g = kv(disk);
  assert.equal(ask(g, "PUT a b"), "OK");
  disk[SLOT + 72] ^= 0xff;
  assert.equal(ask(g, "GET a"), "NOT_FOUND");
  assert.equal(ask(g, "PUT a c"), "OK");
  assert.equal(ask(g, "GET a"), "VALUE c");
});

test("requests it refuses, and the limits on keys and values", () => {
  const g = kv(Buffer.alloc(64 * SLOT));
  const key64 = "k".repeat(64), value900 = "v".repeat(900);
  const cases: [string, string][] = [
    ["GET", "ERR bad request"], ["GET ", "ERR bad key"], ["FOO x", "ERR bad request"],
    ["PUT k", "ERR bad request"], ["GET a b", "ERR bad request"], ["get a", "ERR bad request"],
    ["", "ERR bad request"], [`GET ${key64}k`, "ERR bad key"], ["GET a\tb", "ERR bad key"],
    [`PUT k ${value900}v`, "ERR value too long"],
    [`PUT ${key64} ${value900}`, "OK"], [`GET ${key64}`, `VALUE ${value900}`],
  ];
  for (const [req, want] of cases) assert.equal(ask(g, req), want, req);
});

test("no disk capability: every request gets ERR no disk", () => {
  const g = kv();
  assert.equal(ask(g, "GET a"), "ERR no disk");
  assert.equal(ask(g, "PUT a b"), "ERR no disk");
});

test("an extent too small for a header and one slot", () => {
  assert.equal(ask(kv(Buffer.alloc(SLOT)), "GET a"), "ERR disk too small");
});

test("an extent with a foreign header is refused and never written", () => {
  const disk = Buffer.alloc(8 * SLOT, 0x5a);
  const copy = Buffer.from(disk);
  const g = kv(disk);
  assert.equal(ask(g, "PUT a b"), "ERR bad disk format");
  assert.ok(disk.equals(copy));
});

test("datagrams to other ports get no answer", () => {
  const g = kv(Buffer.alloc(64 * SLOT));
  g.deliver(udp(CLIENT, KV, 40000, 7071, "GET a"));
  assert.equal(g.sent.length, 0);
});
