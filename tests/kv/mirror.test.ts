// kv's mirror (RAID-1, spec/services.md "The mirror") on two Buffers under the fake kernel:
// writes reach both copies; a corrupted block on either copy is read right and repaired
// (on read for copy 0, by the scrub for copy 1); a copy returning EIO is dropped and kv
// keeps serving (degraded, generation raised); a stale copy that comes back, and a blank
// replacement, are rebuilt while requests go on; a copy cut mid-resync is never trusted; a
// foreign disk is left alone; with both copies failing requests get ERR io.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Errno } from "../../abi/errno";
import { kv, Kv, SLOT, crc32c, records } from "./harness";

const SIZE = 512 * SLOT;   // 8 resync steps of 64 slots

function slotOf(disk: Buffer, key: string): number {
  return records(disk).find((r) => r.key === key && r.state === 1)!.slot;
}

/** Tick until STATUS matches, at most n times; returns the STATUS lines seen. */
function until(k: Kv, re: RegExp, n = 200): string[] {
  const seen: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = k.ask("STATUS");
    if (seen[seen.length - 1] !== s) seen.push(s);
    if (re.test(s)) return seen;
    k.wait(1000);
  }
  assert.fail(`STATUS never matched ${re}: ${seen.join(" → ")}`);
}

function gen(disk: Buffer): bigint { return disk.readBigUInt64LE(16); }

test("writes reach both copies: the two extents are byte-identical, STATUS says both in sync", () => {
  const d = [Buffer.alloc(SIZE), Buffer.alloc(SIZE)];
  const k = kv(d);
  for (let i = 0; i < 30; i++) assert.equal(k.ask(`PUT k${i} ${i}`), "OK");
  assert.equal(k.ask("DEL k3"), "OK");
  assert.equal(k.ask("PUT k4 again"), "OK");
  assert.ok(d[0].equals(d[1]));
  assert.equal(k.ask("STATUS"), "STATUS mirror: both in sync; generation 1; repaired 0");
  assert.deepEqual(k.g.timers, [1000], "a mirror sets its timer for the scrub");
  const one = kv([Buffer.alloc(SIZE)]);
  assert.equal(one.ask("STATUS"), "STATUS single copy; generation 1; repaired 0");
  assert.deepEqual(one.g.timers, [], "a single copy has no background work and sets no timer");
  assert.doesNotMatch(k.g.logs.join("\n"), /both copies are on disk/);
  const same = kv([Buffer.alloc(SIZE), Buffer.alloc(SIZE)], { diskIds: [3, 3] });
  assert.match(same.g.logs.join("\n"), /kv: mirror: both copies are on disk 3: a failure of that disk loses both/);
});

test("a corrupted block on copy 0 is read from copy 1 and repaired", () => {
  const d = [Buffer.alloc(SIZE), Buffer.alloc(SIZE)];
  const k = kv(d);
  assert.equal(k.ask("PUT city tehran"), "OK");
  const s = slotOf(d[0], "city");
  d[0].fill(0xee, s * SLOT + 100, s * SLOT + 300);
  assert.equal(k.ask("GET city"), "VALUE tehran");
  assert.ok(d[0].equals(d[1]), "copy 0 was rewritten from copy 1");
  assert.match(k.g.logs.join("\n"), new RegExp(`slot ${s} of copy 0 was wrong: repaired`));
  assert.match(k.ask("STATUS"), /both in sync; generation 1; repaired 1$/);
});

test("a corrupted block on copy 1 is found by the scrub and repaired; on both copies it is never data", () => {
  const d = [Buffer.alloc(SIZE), Buffer.alloc(SIZE)];
  const k = kv(d);
  assert.equal(k.ask("PUT a 1"), "OK");
  assert.equal(k.ask("PUT b 2"), "OK");
  const s = slotOf(d[1], "a");
  d[1][s * SLOT + 80] ^= 0x01;                       // "1" → "0": a plausible wrong value
  assert.equal(k.ask("GET a"), "VALUE 1");
  until(k, /repaired 1$/, 40);                       // 16 slots a second: 511 slots in 32 s
  assert.ok(d[0].equals(d[1]));
  const t = slotOf(d[0], "b");
  d[0][t * SLOT + 80] ^= 1;
  d[1][t * SLOT + 81] ^= 1;
  assert.equal(k.ask("GET b"), "NOT_FOUND", "torn on both copies: absent, never returned");
  assert.equal(k.ask("PUT b 3"), "OK");
  assert.equal(k.ask("GET b"), "VALUE 3");
});

for (const bad of [0, 1]) {
  test(`copy ${bad} returning EIO: degraded, still serving; it comes back stale and is resynced while serving`, () => {
    const d = [Buffer.alloc(SIZE), Buffer.alloc(SIZE)];
    let failing = false;
    const k = kv(d, { fault: (disk) => (failing && disk === bad ? -Errno.EIO : undefined) });
    for (let i = 0; i < 20; i++) assert.equal(k.ask(`PUT k${i} old${i}`), "OK");
    failing = true;
    assert.equal(k.ask("PUT k1 new1"), "OK", "acknowledged on the good copy alone");
    assert.equal(k.ask("STATUS"), `STATUS mirror: copy ${bad} failed; generation 2; repaired 0`);
    assert.equal(gen(d[1 - bad]), 2n, "the survivor's header generation went up");
    assert.equal(gen(d[bad]), 1n);
    assert.match(k.g.logs.join("\n"), new RegExp(`copy ${bad} failed: degraded`));
    for (let i = 20; i < 40; i++) assert.equal(k.ask(`PUT k${i} deg${i}`), "OK");
    assert.equal(k.ask("DEL k2"), "OK");
    k.wait(1000);
    assert.match(k.ask("STATUS"), /failed/, "still failing: no resync");
    failing = false;
    k.wait(1000);
    // The resync runs in steps; requests are served between them and reach both copies.
    const seen: string[] = [];
    for (let i = 0; i < 30 && !/both in sync/.test(seen[seen.length - 1] ?? ""); i++) {
      assert.equal(k.ask(`PUT during${i} x${i}`), "OK");
      assert.equal(k.ask("GET k1"), "VALUE new1");
      seen.push(k.ask("STATUS"));
      k.wait(10);
    }
    assert.ok(seen.some((s) => new RegExp(`copy ${bad} resync [1-9]\\d?%`).test(s)), seen.join(" → "));
    assert.match(seen[seen.length - 1], /mirror: both in sync; generation 2/);
    assert.ok(d[0].equals(d[1]), "the copies are identical after the resync");
    assert.equal(k.ask("GET k2"), "NOT_FOUND");
    assert.equal(k.ask("GET k30"), "VALUE deg30");
    // Each copy alone now holds everything.
    for (const one of d) assert.equal(kv([Buffer.from(one)]).ask("GET k1"), "VALUE new1");
  });
}

test("a copy that was out while the other took writes is stale at the next start, in either order", () => {
  const d = [Buffer.alloc(SIZE), Buffer.alloc(SIZE)];
  let failing = false;
  const k = kv(d, { fault: (disk) => (failing && disk === 1 ? -Errno.EIO : undefined) });
  assert.equal(k.ask("PUT k before"), "OK");
  failing = true;
  assert.equal(k.ask("PUT k after"), "OK");
  for (const order of [[d[0], d[1]], [d[1], d[0]]]) {
    const disks = order.map((x) => Buffer.from(x));
    const b = kv(disks);
    const stale = order[0] === d[1] ? 0 : 1;
    assert.equal(b.ask("GET k"), "VALUE after", "the higher generation is trusted");
    assert.match(b.ask("STATUS"), new RegExp(`copy ${stale} (stale|resync \\d+%)`));
    until(b, /both in sync/);
    assert.ok(disks[0].equals(disks[1]));
  }
});

test("a blank replacement disk is rebuilt; one cut mid-resync is never trusted and is rebuilt again", () => {
  const d0 = Buffer.alloc(SIZE);
  const a = kv([d0]);
  for (let i = 0; i < 50; i++) assert.equal(a.ask(`PUT k${i} v${i}`), "OK");
  const blank = Buffer.alloc(SIZE);
  const b = kv([d0, blank]);
  assert.match(b.ask("STATUS"), /copy 1 (stale|resync 0%)/);
  assert.equal(b.ask("GET k7"), "VALUE v7");
  b.wait(1000);
  b.wait(10);
  assert.match(b.ask("STATUS"), /copy 1 resync \d+%/);
  assert.equal(blank.readUInt16LE(6), 1, "the copy being rebuilt says so in its header");
  // Restart now: the half-copied disk alone is refused, and beside the good one it is rebuilt.
  assert.equal(kv([Buffer.from(blank)]).ask("GET k7"), "ERR bad disk format");
  const c = kv([d0, blank]);
  assert.match(c.ask("STATUS"), /copy 1 (stale|resync 0%)/, "restarted from the beginning");
  until(c, /both in sync/);
  assert.ok(d0.equals(blank));
  assert.equal(kv([blank]).ask("GET k49"), "VALUE v49");
});

test("a replacement that holds foreign bytes is left alone and never written", () => {
  const d0 = Buffer.alloc(SIZE);
  assert.equal(kv([d0]).ask("PUT k v"), "OK");
  const foreign = Buffer.alloc(SIZE, 0x77);
  const k = kv([d0, foreign]);
  assert.equal(k.ask("PUT j w"), "OK");
  for (let i = 0; i < 3; i++) k.wait(1000);
  assert.match(k.ask("STATUS"), /^STATUS mirror: copy 1 left alone; generation 2/);
  assert.ok(foreign.equals(Buffer.alloc(SIZE, 0x77)));
  assert.equal(k.ask("GET k"), "VALUE v");
});

test("both copies failing: ERR io, and the service goes on once one reads again", () => {
  const d = [Buffer.alloc(SIZE), Buffer.alloc(SIZE)];
  let failing = [false, false];
  const k = kv(d, { fault: (disk) => (failing[disk] ? -Errno.EIO : undefined) });
  assert.equal(k.ask("PUT k v"), "OK");
  failing = [true, true];
  assert.equal(k.ask("GET k"), "ERR io");
  assert.equal(k.ask("PUT k w"), "ERR io");
  failing = [false, true];
  assert.equal(k.ask("GET k"), "VALUE v");
  assert.equal(k.ask("PUT k w"), "OK");
  assert.equal(k.ask("GET k"), "VALUE w");
  assert.match(k.ask("STATUS"), /copy 1 failed; generation 2/);
  const again = kv(d.map((x) => Buffer.from(x)));   // both readable at the next start
  assert.equal(again.ask("GET k"), "VALUE w", "the copy that missed the PUT is not trusted");
});

test("the generation goes up once per degradation, not at every start while degraded; a resync clears the mark", () => {
  const d = [Buffer.alloc(SIZE), Buffer.alloc(SIZE)];
  const dead = { fault: (disk: number) => (disk === 1 ? -Errno.EIO : undefined) };
  assert.equal(kv(d, dead).ask("GET k"), "ERR io", "a blank set is not formatted while a copy cannot be read");
  assert.equal(kv(d).ask("PUT k 0"), "OK");
  const a = kv(d, dead);
  assert.equal(a.ask("PUT k 1"), "OK");
  assert.match(a.ask("STATUS"), /copy 1 failed; generation 2/);
  assert.equal(d[0].readUInt16LE(6), 2, "copy 0's header says it went on alone");
  for (let i = 0; i < 3; i++) {
    const b = kv(d, dead);
    assert.match(b.ask("STATUS"), /copy 1 failed; generation 2/, `start ${i + 2} while copy 1 is unreadable`);
    assert.equal(b.ask(`PUT k ${i + 2}`), "OK");
  }
  const c = kv(d);
  until(c, /both in sync; generation 2/);
  assert.equal(d[0].readUInt16LE(6), 0, "copy 0's degraded mark is cleared");
  assert.ok(d[0].equals(d[1]));
  // The next failure raises the generation again.
  const e = kv(d, { fault: (disk: number) => (disk === 0 ? -Errno.EIO : undefined) });
  assert.equal(e.ask("GET k"), "VALUE 4");
  assert.match(e.ask("STATUS"), /copy 0 failed; generation 3/);
  // A crash between the two header writes that end a resync leaves a mark on a copy in
  // sync: the next start clears it.
  const f = [Buffer.alloc(SIZE), Buffer.alloc(SIZE)];
  kv(f).ask("PUT x y");
  const h = Buffer.from(f[1].subarray(0, SLOT));
  h.writeUInt16LE(2, 6);
  h.writeUInt32LE(crc32c(h.subarray(0, 1020)), 1020);
  h.copy(f[1]);
  assert.match(kv(f).ask("STATUS"), /both in sync; generation 1/);
  assert.equal(f[1].readUInt16LE(6), 0);
});

test("a zeroed block on copy 0 never beats the sealed record on copy 1: read, scrub and opening all keep it and repair copy 0", () => {
  for (const how of ["read", "scrub", "open"]) {
    const d = [Buffer.alloc(SIZE), Buffer.alloc(SIZE)];
    const k = kv(d);
    assert.equal(k.ask("PUT city tehran"), "OK");
    const s = slotOf(d[0], "city");
    const good = Buffer.from(d[1].subarray(s * SLOT, (s + 1) * SLOT));
    d[0].fill(0, s * SLOT, (s + 1) * SLOT);            // copy 0's block reads back as zeros
    const b = how === "open" ? kv(d) : k;
    if (how === "scrub") until(b, /repaired 1/);
    assert.equal(b.ask("GET city"), "VALUE tehran", `${how}: the sealed record on copy 1 wins`);
    assert.ok(d[1].subarray(s * SLOT, (s + 1) * SLOT).equals(good), `${how}: copy 1 untouched`);
    assert.ok(d[0].subarray(s * SLOT, (s + 1) * SLOT).equals(good), `${how}: copy 0 repaired`);
    assert.match(b.ask("STATUS"), /both in sync; generation 1; repaired 1$/);
  }
});

test("two sealed records that differ: the higher sequence wins on either copy (a free slot's tombstone has its own)", () => {
  for (const older of [0, 1]) {
    const d = [Buffer.alloc(SIZE), Buffer.alloc(SIZE)];
    const k = kv(d);
    assert.equal(k.ask("PUT k old"), "OK");
    const s = slotOf(d[0], "k");
    const old = Buffer.from(d[0].subarray(s * SLOT, (s + 1) * SLOT));
    assert.equal(k.ask("PUT k new"), "OK");    // slot s is now a free tombstone with a higher sequence
    assert.equal(records(d[0]).find((r) => r.slot === s)!.state, 2);
    old.copy(d[older], s * SLOT);              // one copy missed the freeing
    const b = kv(d);
    assert.equal(b.ask("GET k"), "VALUE new", `copy ${older} held the old record`);
    assert.ok(d[0].equals(d[1]), "opening made the copies agree on the newer");
  }
});

test("copies that each went on alone at the same generation are refused, never merged; detaching one serves the other", () => {
  // The review's sequence: alternate failures across restarts.
  const d = [Buffer.alloc(SIZE), Buffer.alloc(SIZE)];
  let f = [false, false];
  const a = kv(d, { fault: (disk) => (f[disk] ? -Errno.EIO : undefined) });
  assert.equal(a.ask("PUT k one"), "OK");
  f = [false, true];                                   // disk 1 fails: copy 0 goes on alone
  assert.equal(a.ask("PUT k two"), "OK");
  const g = [true, false];                             // restart: disk 0 out, the stale disk 1 back
  const b = kv(d, { fault: (disk) => (g[disk] ? -Errno.EIO : undefined) });
  assert.equal(b.ask("GET k"), "VALUE one", "copy 1 serves what it has (spec: known limits)");
  assert.equal(b.ask("PUT k three"), "OK");
  assert.equal(gen(d[0]), gen(d[1]), "both at the same generation, each alone");
  const before = d.map((x) => Buffer.from(x));
  const c = kv(d);
  for (const req of ["GET k", "PUT k four", "DEL k"]) assert.match(c.ask(req), /^ERR diverged/, req);
  const said = c.g.logs.filter((l) => /DIVERGED/.test(l));
  assert.equal(said.length, 1, `one log line, not one per request: ${c.g.logs.join(" | ")}`);
  assert.match(said[0], /copy 1 \(generation 2\) and copy 0 \(generation 2\) each went on alone.*Detach the copy/);
  for (let i = 0; i < 5; i++) c.wait(1000);
  assert.ok(d[0].equals(before[0]) && d[1].equals(before[1]), "neither copy was written");
  assert.deepEqual(records(d[0]).filter((r) => r.state === 1).map((r) => r.value), ["two"]);
  assert.deepEqual(records(d[1]).filter((r) => r.state === 1).map((r) => r.value), ["three"]);
  // The operator gives copy 0 up: kv serves copy 1's writes and rebuilds copy 0 when it is back.
  const h = [true, false];
  const e = kv(d, { fault: (disk) => (h[disk] ? -Errno.EIO : undefined) });
  assert.equal(e.ask("GET k"), "VALUE three");
  // And a later start with both back is still refused: copy 1 stays degraded, copy 0 alone too.
  assert.match(kv(d).ask("GET k"), /^ERR diverged/);
});

test("a copy that went on alone past the other's degradation is refused even at a lower generation, and when it comes back while serving", () => {
  const d = [Buffer.alloc(SIZE), Buffer.alloc(SIZE)];
  let f = [false, false];
  const a = kv(d, { fault: (disk) => (f[disk] ? -Errno.EIO : undefined) });
  assert.equal(a.ask("PUT k one"), "OK");
  f = [true, false];                                   // copy 1 alone: generation 2
  assert.equal(a.ask("PUT k two"), "OK");
  const g = [false, true];                             // restart: copy 0 alone from generation 1 too
  const b = kv(d, { fault: (disk) => (g[disk] ? -Errno.EIO : undefined) });
  assert.equal(b.ask("PUT k three"), "OK");
  g[1] = false;                                        // copy 1 reads again while b serves
  for (let i = 0; i < 3; i++) b.wait(1000);
  assert.match(b.ask("GET k"), /^ERR diverged/, "a returning copy that went alone is not rebuilt over");
  assert.deepEqual(records(d[1]).filter((r) => r.state === 1).map((r) => r.value), ["two"]);
});

test("a torn header beside a blank replacement: the torn copy's table is kept and the blank one rebuilt from it, never both formatted", () => {
  const d0 = Buffer.alloc(SIZE);
  const a = kv([d0, Buffer.alloc(SIZE)]);
  for (let i = 0; i < 20; i++) assert.equal(a.ask(`PUT k${i} v${i}`), "OK");
  d0.fill(0, 512, SLOT);                              // its header's second half never landed
  const blank = Buffer.alloc(SIZE);
  const b = kv([d0, blank]);
  assert.match(b.g.logs.join("\n"), /header of copy 0 was torn .*records kept/);
  for (let i = 0; i < 20; i++) assert.equal(b.ask(`GET k${i}`), `VALUE v${i}`);
  until(b, /both in sync/);
  assert.ok(d0.equals(blank), "the blank copy was rebuilt from the torn one");
  for (let i = 0; i < 20; i++) assert.equal(kv([blank]).ask(`GET k${i}`), `VALUE v${i}`, "copy 1 alone holds every record");
});
