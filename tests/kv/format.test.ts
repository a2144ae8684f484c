// kv's on-disk format, version 2 (spec/services.md), read back byte by byte: CRC-32C
// against RFC 3720's vectors, the header and record layouts, a PUT that writes a new
// record before freeing the old one, two records of one key (the higher sequence wins),
// DEL's tombstone, sequences across a restart, a table recycled through its tombstones,
// a header torn while formatting, and the stores it refuses and never writes (version 1,
// foreign bytes).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Errno } from "../../abi/errno";
import { kv, SLOT, crc32c, fnv1a, records, udpTo } from "./harness";

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
  assert.deepEqual([freed.state, freed.key, freed.seq], [2, "", 3n], "the old slot is a free tombstone with its own sequence, above the new record's");
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

test("a torn header keeps its table's slot count (not the extent's), so every record is still found", () => {
  const disk = Buffer.alloc(16 * SLOT);
  const a = kv([disk]);
  for (let i = 0; i < 10; i++) assert.equal(a.ask(`PUT k${i} v${i}`), "OK");
  const grown = Buffer.concat([disk, Buffer.alloc(48 * SLOT)]);   // the extent was enlarged since
  grown.fill(0, 512, SLOT);                                        // and the header is torn
  const b = kv([grown]);
  for (let i = 0; i < 10; i++) assert.equal(b.ask(`GET k${i}`), `VALUE v${i}`);
  assert.equal(grown.readUInt32LE(12), 16, "the count stayed 16");
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

test("records whose CRC-32C holds but whose lengths or state are out of range are torn: never data, reused", () => {
  const disk = Buffer.alloc(2 * SLOT);   // one data slot, so every key probes it
  const k = kv([disk]);
  assert.equal(k.ask("PUT a b"), "OK");
  const s = disk.subarray(SLOT, 2 * SLOT);
  const good = Buffer.from(s);
  const reseal = () => s.writeUInt32LE(crc32c(s.subarray(0, 1020)), 1020);
  for (const [what, edit] of [
    ["key length 65", () => { s[1] = 65; }],
    ["value length 901", () => { s.writeUInt16LE(901, 2); }],
    ["value length 65535", () => { s.writeUInt16LE(0xffff, 2); }],
    ["state 3", () => { s[0] = 3; }],
    ["a live record with key length 0", () => { s[1] = 0; }],
    ["a tombstone with a value", () => { s[0] = 2; }],
  ] as [string, () => void][]) {
    good.copy(s);
    edit();
    reseal();
    const b = kv([disk]);
    assert.equal(b.ask("GET a"), "NOT_FOUND", what);
    assert.equal(b.ask("PUT a c"), "OK", `${what}: the slot is reused`);
    assert.equal(b.ask("GET a"), "VALUE c", what);
  }
});

test("a lookup stops at the key's record; a PUT of a new key probes to an empty slot", () => {
  const disk = Buffer.alloc(64 * SLOT);
  let reads: number[] = [];
  const k = kv([disk], { fault: (_d, op, off) => { if (op === "read") reads.push(off / SLOT); return undefined; } });
  assert.equal(k.ask("PUT a 1"), "OK");
  const home = records(disk)[0].slot;
  reads = [];
  assert.equal(k.ask("GET a"), "VALUE 1");
  assert.deepEqual(reads, [home], "one read: the record sits in its home slot");
  reads = [];
  assert.equal(k.ask("GET zz"), "NOT_FOUND");
  assert.equal(reads.length, 1, "a miss ends at the first empty slot");
});

test("a PUT whose freeing of the old record fails is OK (the new record wins), and the table is settled before the next request", () => {
  const disk = Buffer.alloc(8 * SLOT);
  let failAt = -1;
  const k = kv([disk], { fault: (_d, op, off) => (op === "write" && off === failAt * SLOT ? -Errno.EIO : undefined) });
  assert.equal(k.ask("PUT k old"), "OK");
  failAt = records(disk)[0].slot;
  assert.equal(k.ask("PUT k new"), "OK");
  assert.equal(records(disk).filter((r) => r.key === "k" && r.state === 1).length, 2, "the old record is still there");
  failAt = -1;
  assert.equal(k.ask("GET k"), "VALUE new");
  assert.deepEqual(records(disk).filter((r) => r.key === "k").map((r) => r.value), ["new"], "settled: one record");
  assert.equal(k.ask("DEL k"), "OK");
  for (let i = 0; i < 12; i++) assert.equal(k.ask(`PUT o${i} x`), i < 7 ? "OK" : "ERR full");
  assert.equal(k.ask("GET k"), "NOT_FOUND", "the deleted key does not come back when its tombstone is reused");
});

test("a large table opens a step of 2048 slots per call, answering ERR opening meanwhile", () => {
  const disk = Buffer.alloc(5000 * SLOT);
  const a = kv([disk]);
  assert.equal(a.ask("PUT k v"), "ERR opening: 81% of the table read; ask again",
    "init, then this request's call, each read 2048 of the 4999 slots");
  a.wait(1);
  assert.equal(a.ask("PUT k v"), "OK");
  let reads = 0;
  const b = kv([disk], { fault: (_d, op) => { if (op === "read") reads++; return undefined; } });
  assert.equal(reads, 1 + 2048, "init: the header, then one step");
  reads = 0;
  const before = b.g.sent.length;
  b.g.deliver(...["GET k", "GET k", "GET k"].map((q, i) => udpTo(q, 41000 + i)));
  assert.equal(b.g.sent.length, before + 3);
  assert.ok(reads <= 2048 + 3, `one call of three requests read ${reads} slots: at most one step`);
  assert.ok(b.g.timers.includes(1), "the timer is set for the next step");
  b.wait(1);
  assert.equal(b.ask("GET k"), "VALUE v");
});

test("a lookup reads at most 512 slots, even on a table with no empty slot", () => {
  const disk = Buffer.alloc(1024 * SLOT);
  const a = kv([disk]);
  assert.equal(a.ask("PUT seed 1"), "OK");
  // Fill every data slot with a live record of its own key, sealed as kv would.
  const rec = disk.subarray(records(disk)[0].slot * SLOT, (records(disk)[0].slot + 1) * SLOT);
  for (let s = 1; s < 1024; s++) {
    const r = Buffer.from(rec);
    r.fill(0, 16, 1020);
    const key = `x${s}`;
    r[1] = key.length;
    r.write(key, 16, "latin1");
    r.writeUInt32LE(fnv1a(Buffer.from(key)), 4);
    r.writeBigUInt64LE(BigInt(s), 8);
    r.writeUInt16LE(0, 2);
    r.writeUInt32LE(crc32c(r.subarray(0, 1020)), 1020);
    r.copy(disk, s * SLOT);
  }
  let reads = 0;
  const b = kv([disk], { fault: (_d, op) => { if (op === "read") reads++; return undefined; } });
  reads = 0;
  assert.equal(b.ask("GET absent"), "NOT_FOUND");
  assert.equal(reads, 512);
  reads = 0;
  assert.equal(b.ask("PUT absent 1"), "ERR full");
  assert.equal(reads, 512);
});
