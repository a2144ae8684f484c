// kv's on-disk format, version 2 (spec/services.md), read back byte by byte: CRC-32C
// against RFC 3720's vectors, the header and record layouts, a PUT that writes a new
// record before freeing the old one, two records of one key (the higher sequence wins),
// DEL's tombstone, sequences across a restart, a table recycled through its tombstones,
// a header torn while formatting, and the stores it refuses and never writes (version 1,
// foreign bytes).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { kv, SLOT, crc32c, fnv1a, records } from "./harness";

test("the test's CRC-32C matches RFC 3720 B.4 and the usual check value", () => {
  const inc = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
  assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  assert.equal(crc32c(inc), 0x46dd794e);
  assert.equal(crc32c(Buffer.from(inc).reverse()), 0x113fdb5c);
  assert.equal(crc32c(Buffer.from("123456789")), 0xe3069283);
});

test("a zero extent gets a version 2 header: magic, version, flags, slot size, count, generation, CRC-32C", () => {
  const disk = Buffer.alloc(64 * SLOT);
  kv([disk]);
  const h = disk.subarray(0, SLOT);
  assert.equal(h.toString("latin1", 0, 4), "PKVS");
  assert.equal(h.readUInt16LE(4), 2);
  assert.equal(h.readUInt16LE(6), 0);
  assert.equal(h.readUInt32LE(8), SLOT);
  assert.equal(h.readUInt32LE(12), 64);
  assert.equal(h.readBigUInt64LE(16), 1n);
  assert.ok(h.subarray(24, 1020).every((x) => x === 0));
  assert.equal(h.readUInt32LE(1020), crc32c(h.subarray(0, 1020)));
  assert.ok(disk.subarray(SLOT).every((x) => x === 0), "only the header is written");
});

test("a record: state, lengths, FNV-1a of the key, sequence, key, value, CRC-32C", () => {
  const disk = Buffer.alloc(2 * SLOT);   // one data slot: the record lands in slot 1
  const k = kv([disk]);
  assert.equal(k.ask("PUT a b"), "OK");
  const s = disk.subarray(SLOT, 2 * SLOT);
  assert.equal(s[0], 1);
  assert.equal(s[1], 1);
  assert.equal(s.readUInt16LE(2), 1);
  assert.equal(s.readUInt32LE(4), 0xe40c292c);    // FNV-1a("a")
  assert.equal(s.readUInt32LE(4), fnv1a(Buffer.from("a")));
  assert.equal(s.readBigUInt64LE(8), 1n);
  assert.equal(s.toString("latin1", 16, 17), "a");
  assert.equal(s.toString("latin1", 80, 81), "b");
  assert.ok(s.subarray(81, 1020).every((x) => x === 0));
  assert.equal(s.readUInt32LE(1020), crc32c(s.subarray(0, 1020)));
  assert.equal(k.ask("PUT a c"), "ERR full", "a PUT needs a free slot besides the key's own record");
  assert.equal(k.ask("GET a"), "VALUE b");
});

test("a PUT writes the new record in another slot, then frees the old one", () => {
  const disk = Buffer.alloc(8 * SLOT);
  const k = kv([disk]);
  assert.equal(k.ask("PUT city tehran"), "OK");
  const [first] = records(disk);
  assert.equal(k.ask("PUT city shiraz"), "OK");
  const now = records(disk);
  const live = now.filter((r) => r.state === 1);
  assert.deepEqual(live.map((r) => [r.key, r.value, r.seq]), [["city", "shiraz", 2n]]);
  assert.notEqual(live[0].slot, first.slot);
  const freed = now.find((r) => r.slot === first.slot)!;
  assert.deepEqual([freed.state, freed.key, freed.seq], [2, "", 0n], "the old slot is a free tombstone");
});

test("two whole records of one key: the higher sequence wins wherever it lies, the other is freed", () => {
  const disk = Buffer.alloc(8 * SLOT);
  const k = kv([disk]);
  assert.equal(k.ask("PUT k old"), "OK");
  const old = Buffer.from(disk.subarray(records(disk)[0].slot * SLOT, (records(disk)[0].slot + 1) * SLOT));
  assert.equal(k.ask("PUT k new"), "OK");
  const newer = records(disk).find((r) => r.state === 1)!;
  // A crash between writing the new record and freeing the old leaves both: put the old
  // one back, in the slot before the new one's and in the one after.
  for (const at of [(newer.slot - 2 + 7) % 7 + 1, newer.slot % 7 + 1]) {
    old.copy(disk, at * SLOT);
    const b = kv([disk]);
    assert.equal(b.ask("GET k"), "VALUE new", `old record in slot ${at}`);
    assert.deepEqual(records(disk).filter((r) => r.state === 1).map((r) => r.value), ["new"], "the older was freed");
  }
});

test("DEL turns the key's record into a tombstone with the key and a new sequence", () => {
  const disk = Buffer.alloc(8 * SLOT);
  const k = kv([disk]);
  assert.equal(k.ask("PUT k v"), "OK");
  const slot = records(disk)[0].slot;
  assert.equal(k.ask("DEL k"), "OK");
  const t = records(disk).find((r) => r.slot === slot)!;
  assert.deepEqual([t.state, t.key, t.value, t.seq], [2, "k", "", 2n]);
  assert.equal(k.ask("GET k"), "NOT_FOUND");
  assert.equal(k.ask("DEL k"), "NOT_FOUND");
});

test("sequences continue above the table's highest after a restart", () => {
  const disk = Buffer.alloc(16 * SLOT);
  const a = kv([disk]);
  for (let i = 0; i < 5; i++) assert.equal(a.ask(`PUT k${i} v`), "OK");
  assert.equal(a.ask("DEL k4"), "OK");   // sequence 6, on a tombstone
  const b = kv([disk]);
  assert.equal(b.ask("PUT z v"), "OK");
  assert.equal(records(disk).find((r) => r.key === "z")!.seq, 7n);
});

test("a table recycles its tombstones: 200 PUT/DEL rounds on 3 data slots never fill it", () => {
  const disk = Buffer.alloc(4 * SLOT);
  const k = kv([disk]);
  assert.equal(k.ask("PUT keep me"), "OK");
  for (let i = 0; i < 200; i++) {
    assert.equal(k.ask(`PUT t${i % 7} ${i}`), "OK", `round ${i}`);
    assert.equal(k.ask(`GET t${i % 7}`), `VALUE ${i}`);
    assert.equal(k.ask(`DEL t${i % 7}`), "OK");
  }
  assert.equal(k.ask("GET keep"), "VALUE me");
  assert.equal(k.ask("GET t3"), "NOT_FOUND");
});

test("a header torn while formatting is formatted again, and records behind it stay", () => {
  for (const half of ["first", "second"]) {
    const disk = Buffer.alloc(16 * SLOT);
    const a = kv([disk]);
    assert.equal(a.ask("PUT k v"), "OK");
    const h = Buffer.from(disk.subarray(0, SLOT));
    disk.fill(0, 0, SLOT);
    if (half === "first") h.copy(disk, 0, 0, 512); else h.copy(disk, 512, 512, SLOT);
    const b = kv([disk]);
    assert.equal(b.ask("GET k"), "VALUE v", `only the ${half} half of the header was on disk`);
    assert.ok(disk.subarray(0, SLOT).equals(h), "the header is whole again");
  }
});

test("a version 1 store is refused with its own error and never written", () => {
  const disk = Buffer.alloc(8 * SLOT);
  disk.write("PKVS", 0, "latin1");
  disk.writeUInt16LE(1, 4);
  disk.writeUInt32LE(SLOT, 8);
  disk.writeUInt32LE(8, 12);
  disk.fill(0x41, SLOT, 2 * SLOT);      // a v1 record, as far as kv 2 is concerned
  const copy = Buffer.from(disk);
  const k = kv([disk]);
  assert.equal(k.ask("GET a"), "ERR disk holds kv format 1: kv 2 never writes it");
  assert.equal(k.ask("PUT a b"), "ERR disk holds kv format 1: kv 2 never writes it");
  assert.ok(disk.equals(copy));
});

test("a foreign extent, and a header whose CRC-32C is wrong but not torn, are refused and never written", () => {
  const foreign = Buffer.alloc(8 * SLOT, 0x5a);
  const a = Buffer.from(foreign);
  assert.equal(kv([foreign]).ask("PUT a b"), "ERR bad disk format");
  assert.ok(foreign.equals(a));
  const mbr = Buffer.alloc(8 * SLOT);
  mbr[0] = 0xeb; mbr[510] = 0x55; mbr[511] = 0xaa;
  const b = Buffer.from(mbr);
  assert.equal(kv([mbr]).ask("STATUS"), "ERR bad disk format");
  assert.ok(mbr.equals(b));
});
