// Power cuts, replayed (issue #16: "after each restart every acknowledged key has its last
// acknowledged value, and the store opens without manual repair; torn writes are never
// returned as data"). A seeded run of PUTs and DELs records every disk write kv makes and
// when each OK came; then, for every point in that write sequence, a fresh kv opens the
// disk as it was after that many writes, alone and with the next write torn (only its
// first or only its second 512-byte half landed), and every key must read as its last
// acknowledged value, or the value of the one request that was cut. The mirror's run also
// fails copy 1 for a while (degraded, then resynced while requests go on), and each cut
// is reopened with both copies and with copy 0 alone.
// The recorder also records each disk's flushes: a write not yet flushed when the power
// goes may be lost or land out of order, so at every cut the disks are also reopened with
// every unflushed write dropped, with each one dropped alone, and with them landed in
// reverse order. A kv that answered OK before its flush fails here.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { seeded } from "../seeded";
import { kv, SLOT } from "./harness";
import { Errno } from "../../abi/errno";

/** A disk write, or (data null) a flush of that disk: what came before it on that disk is durable. */
interface Write { disk: number; off: number; data: Buffer | null }
interface Op { key: string; value: string | null; ackAt: number }   // value null: DEL

const KEYS = 6;

/** Run n random requests on fresh extents; record the writes and each OK's place among them. */
function run(disks: number, n: number, rnd: ReturnType<typeof seeded>,
  failCopy1?: [number, number]): { writes: Write[]; ops: Op[]; size: number; failedAt: number } {
  const size = 12 * SLOT;   // 11 data slots for 6 keys: long probe paths, tombstones reused
  const writes: Write[] = [];
  let failing = false, failedAt = -1;
  const k = kv(Array.from({ length: disks }, () => Buffer.alloc(size)), {
    fault: (disk, op, off, data) => {
      if (failing && disk === 1) return -Errno.EIO;
      if (op === "write") writes.push({ disk, off, data: Buffer.from(data!) });
      if (op === "flush") writes.push({ disk, off: 0, data: null });
      return undefined;
    },
  });
  const ops: Op[] = [];
  for (let i = 0; i < n; i++) {
    if (failCopy1 && i === failCopy1[0]) { failing = true; failedAt = writes.length; }
    if (failCopy1 && i === failCopy1[1]) failing = false;
    if (failCopy1 && i > failCopy1[1]) k.wait(1000);   // timer: resync steps between requests
    const key = `k${rnd.int(KEYS)}`;
    const del = rnd.int(4) === 0;
    const value = del ? null : `v${i}-${"x".repeat(rnd.int(40))}`;
    const r = k.ask(del ? `DEL ${key}` : `PUT ${key} ${value}`);
    if (r === "NOT_FOUND" && del) continue;
    assert.equal(r, "OK", `request ${i} during the recorded run`);
    ops.push({ key, value, ackAt: writes.length });
  }
  if (failCopy1) assert.match(k.ask("STATUS"), /^STATUS mirror: both in sync/, "the run ends resynced");
  return { writes, ops, size, failedAt };
}

/** What each key may read after a cut after `cut` whole writes: its last acknowledged
 *  value, or also the cut request's value for its key. */
function allowed(ops: Op[], cut: number): Map<string, Set<string | null>> {
  const m = new Map<string, Set<string | null>>();
  for (let i = 0; i < KEYS; i++) m.set(`k${i}`, new Set([null]));
  for (const op of ops) {
    if (op.ackAt <= cut) { m.set(op.key, new Set([op.value])); continue; }
    m.get(op.key)!.add(op.value);   // the request in flight: either outcome
    break;
  }
  return m;
}

function check(disks: Buffer[], ops: Op[], cut: number, what: string): void {
  const k = kv(disks);
  const want = allowed(ops, cut);
  for (const [key, ok] of want) {
    const r = k.ask(`GET ${key}`);
    const got = r === "NOT_FOUND" ? null : r.startsWith("VALUE ") ? r.slice(6) : `(${r})`;
    assert.ok(ok.has(got), `${what}: GET ${key} gave ${r}; allowed: ${[...ok].join(" | ")}`);
  }
  assert.equal(k.ask("PUT after cut"), "OK", `${what}: the store takes writes after reopening`);
  assert.equal(k.ask("GET after"), "VALUE cut", what);
  // No older record of a key may hide behind the one a lookup finds: delete every key,
  // let other keys take the freed slots, and none may come back.
  for (const key of want.keys()) k.ask(`DEL ${key}`);
  for (let i = 0; i < 6; i++) k.ask(`PUT filler${i} x`);
  for (const key of want.keys()) assert.equal(k.ask(`GET ${key}`), "NOT_FOUND", `${what}: ${key} came back after its DEL`);
}

/** Every cut point, whole and torn both ways, and with the unflushed writes dropped or
 *  reordered; reopen each with the given copies. */
function replay(writes: Write[], ops: Op[], size: number, copies: number,
  views: [string, (d: Buffer[], cut: number) => Buffer[] | null][]): number {
  let reopened = 0;
  const disks = Array.from({ length: copies }, () => Buffer.alloc(size));
  const durable = Array.from({ length: copies }, () => Buffer.alloc(size));   // flushed writes only
  let pending: Write[] = [];                                                   // written, not yet flushed
  const landed = (order: Write[]): Buffer[] => {
    const t = durable.map((d) => Buffer.from(d));
    for (const w of order) w.data!.copy(t[w.disk], w.off);
    return t;
  };
  for (let cut = 0; cut <= writes.length; cut++) {
    const next = writes[cut];
    const tears: [string, Buffer[]][] = [["whole", disks]];
    if (pending.length > 0) {
      tears.push([`every unflushed write (${pending.length}) lost`, landed([])]);
      if (pending.length > 1) {
        pending.forEach((w, j) => tears.push([`unflushed write ${j} of ${pending.length} lost`, landed(pending.filter((_, i) => i !== j))]));
        tears.push([`unflushed writes landed in reverse order`, landed([...pending].reverse())]);
      }
    }
    if (next && next.data === null) {
      for (const w of pending.filter((p) => p.disk === next.disk)) w.data!.copy(durable[w.disk], w.off);
      pending = pending.filter((p) => p.disk !== next.disk);
    }
    if (next && next.data !== null) {
      for (const [name, a, b] of [["first half", 0, 512], ["second half", 512, SLOT]] as const) {
        const t = disks.map((d) => Buffer.from(d));
        next.data!.copy(t[next.disk], next.off + a, a, b);
        tears.push([`${name} of write ${cut} torn`, t]);
      }
    }
    for (const [tear, image] of tears) {
      for (const [name, view] of views) {
        const v = view(image.map((d) => Buffer.from(d)), cut);
        if (!v) continue;
        check(v, ops, cut, `after ${cut} of ${writes.length} writes, ${tear}, ${name}`);
        reopened++;
      }
    }
    if (next && next.data !== null) { next.data.copy(disks[next.disk], next.off); pending.push(next); }
  }
  return reopened;
}

test("single copy: a cut at every write, whole or torn, keeps every acknowledged value", () => {
  const rnd = seeded("kv power cut, single copy", "KV_SEED");
  const { writes, ops, size } = run(1, 80, rnd);
  const n = replay(writes, ops, size, 1, [["one copy", (d) => d]]);
  assert.ok(n >= 3 * writes.filter((w) => w.data !== null).length, `${n} reopenings`);
  assert.ok(writes.filter((w) => w.data !== null).length > ops.length, `${writes.length} writes recorded for ${ops.length} requests`);
  assert.ok(writes.some((w) => w.data === null), "flushes were recorded");
});

test("mirror: a cut at every write, through a failure of copy 1 and its resync, keeps every acknowledged value", () => {
  const rnd = seeded("kv power cut, mirror", "KV_SEED");
  const { writes, ops, size, failedAt } = run(2, 70, rnd, [20, 35]);
  const n = replay(writes, ops, size, 2, [
    ["both copies", (d) => d],
    ["copy 0 alone", (d) => [d[0]]],
    // Before the failure copy 1 holds every acknowledged write too.
    ["copy 1 alone", (d, cut) => cut <= failedAt ? [d[1]] : null],
  ]);
  assert.ok(writes.some((w) => w.disk === 1 && w.off === 0 && w.data !== null && w.data.readUInt16LE(6) === 1), "the run resynced copy 1");
  assert.ok(writes.some((w, i) => w.data !== null && writes[i + 1]?.data !== null && writes[i + 1]?.disk === w.disk),
    "a resync step wrote several slots before its flush (the reorderings were tried)");
  assert.ok(n > 5 * writes.filter((w) => w.data !== null).length, `${n} reopenings`);
});
