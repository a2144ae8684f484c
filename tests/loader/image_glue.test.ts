// The image's glue (loader/image/glue.ts) as `persia image` generates it: which slot a
// svc_load gets (the module's SHA-256, the kernel's free mask, a slot already holding a
// service, RAM over the slot's ceiling, an unknown module, a malformed request),
// svc_unload, svc_ram, and what svc_start and svc_pages make of a slot's state. The glue
// needs multi-memory and exception handling, which Node 20 does not run, so each test runs
// it under the real wasmtime: preloaded next to the generated memory module, a fake kernel
// whose memory holds the svc_load requests (abi/control.ts SL_*), fake services exporting
// what the containment adds, and a driver that makes the calls and writes every result to
// stdout. Composing a whole image with store slots is tests/loader/image.test.ts.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Errno } from "../../abi/errno";
import { Entry, Fault } from "../../abi/kernel";
import { FaultReason } from "../../abi/image";
import { assemble, GlueService, glueText, hubText, loadBinaryen, memText, tagText } from "../../loader/image/glue";
import { wasmtimeOrSkip } from "../e2e/wasmtime";
import { svcLoadRequest } from "../hosts/service_fixture";
import { SL_FREE, SL_NAME } from "../../abi/control";

const wt = wasmtimeOrSkip();

const hash = (x: number) => Uint8Array.from({ length: 32 }, (_, i) => (x * 31 + i * 7) & 0xff);
const A = hash(1), B = hash(2), C = hash(3), UNKNOWN = hash(4), D = hash(5);

// Slot 0: a boot service of module A. Slots 1 and 2: a store entry of module B, 2 MiB.
// Slot 3: a store entry of module C with 1 MiB of RAM whose module declares 4 pages at most.
const SLOTS: GlueService[] = [
  { id: 0, hasInit: false, minPages: 1, maxPages: 16, ceilingPages: 16, hash: A, boot: true },
  { id: 1, hasInit: true, minPages: 1, maxPages: 32, ceilingPages: 32, hash: B, boot: false },
  { id: 2, hasInit: true, minPages: 1, maxPages: 32, ceilingPages: 32, hash: B, boot: false },
  { id: 3, hasInit: false, minPages: 2, maxPages: 4, ceilingPages: 16, hash: C, boot: false },
  { id: 40, hasInit: false, minPages: 1, maxPages: 8, ceilingPages: 8, hash: D, boot: false },
];
// Two groups, each its own glue behind the hub, as an image of more than IMG_GLUE_SLOTS
// slots has them (loader/image/glue.ts slotGroups, hubText): module B has a slot in each.
const GROUPS = [SLOTS.slice(0, 2), SLOTS.slice(2)];
const ALL = 0xffff;

/** A svc_load request as the kernel writes it. */
function request(module: Uint8Array, free: number, ramPages: number, name = "x.a.sabz.city", free40 = false): Uint8Array {
  const r = svcLoadRequest(module, free, ramPages, name);
  if (free40) r[SL_FREE + 5] |= 1;   // id 40: byte 40/8, bit 40%8
  return r;
}

/** One call of the driver: svc_load of request `req` (an index into the requests, or an
 *  explicit pointer and length), or a glue export on a service id, or the persia_ram_max
 *  the glue left in service svc. */
type Call =
  | { load: number } | { loadAt: [ptr: number, len: number] }
  | { unload: number } | { ram: [svc: number, pages: number] } | { start: number } | { pages: number } | { ramMax: number }
  | { event: number } | { fuelUsed: number } | { stopAtStart: number };

const REQ = 256;   // each request's place in the fake kernel's memory: index * REQ

const bytesText = (b: Uint8Array) => [...b].map((x) => `\\${x.toString(16).padStart(2, "0")}`).join("");

/** The driver: makes the calls in order, storing each result, then writes them to stdout. */
function driverText(requests: Uint8Array[], calls: Call[]): string {
  const body = calls.map((c, n) => {
    let value: string;
    if ("load" in c) value = `(call $load (i32.const ${c.load * REQ}) (i32.const ${requests[c.load].length}))`;
    else if ("loadAt" in c) value = `(call $load (i32.const ${c.loadAt[0]}) (i32.const ${c.loadAt[1]}))`;
    else if ("unload" in c) value = `(block (result i32) (call $unload (i32.const ${c.unload})) (i32.const 0))`;
    else if ("ram" in c) value = `(call $ram (i32.const ${c.ram[0]}) (i32.const ${c.ram[1]}))`;
    else if ("start" in c) value = `(call $start (i32.const ${c.start}))`;
    else if ("pages" in c) value = `(call $pages (i32.const ${c.pages}))`;
    else if ("fuelUsed" in c) value = `(i32.wrap_i64 (call $fuelUsed (i32.const ${c.fuelUsed})))`;
    else if ("stopAtStart" in c) value = `(block (result i32) (global.set $sas (i32.const ${c.stopAtStart})) (i32.const 0))`;
    else if ("event" in c) value = `(call $call (i32.const ${c.event}) (i32.const ${Entry.EVENT}) (i64.const 1000000))`;
    else value = `(global.get $ramMax${c.ramMax})`;
    return `(i32.store (i32.const ${16 + 4 * n}) ${value})`;
  });
  return `(module
    (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
    (import "glue" "svc_load" (func $load (param i32 i32) (result i32)))
    (import "glue" "svc_unload" (func $unload (param i32)))
    (import "glue" "svc_ram" (func $ram (param i32 i32) (result i32)))
    (import "glue" "svc_start" (func $start (param i32) (result i32)))
    (import "glue" "svc_pages" (func $pages (param i32) (result i32)))
    (import "glue" "svc_call" (func $call (param i32 i32 i64) (result i32)))
    (import "glue" "svc_stop" (func $stop (param i32)))
    (import "glue" "svc_fuel_used" (func $fuelUsed (param i32) (result i64)))
    (import "cb" "t" (table $cb 1 funcref))
    (elem declare func $stop)
    ${SLOTS.map((s) => `(import "s${s.id}" "persia_ram_max" (global $ramMax${s.id} (mut i32)))`).join("\n")}
    (import "s0" "stop_at_start" (global $sas (mut i32)))
    (memory (export "memory") 1)
    (func (export "_start")
      (table.set $cb (i32.const 0) (ref.func $stop))
      ${body.join("\n")}
      (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const ${4 * calls.length}))
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`;
}

/** What the containment adds to a service, and nothing else. */
const SERVICE = `(module (global (export "persia_fuel") (mut i64) (i64.const 0)) (global (export "persia_stack") (mut i32) (i32.const 0))
  (global (export "persia_ram_max") (mut i32) (i32.const 65536))
  (func (export "persia_reset")) (func (export "persia_event")) (func (export "persia_init")))`;

/** Slot 0's service: its event asks the kernel (through "cb", which the driver points at the
 *  glue's svc_stop) to stop it, as a control message it sends from inside its call can,
 *  then faults in that same call (the containment's fault tag), having used 5 units of fuel.
 *  While its stop_at_start is 1 (the driver sets it), its start (reset) function asks the
 *  same, then faults if stop_at_start is 2. */
const STOPS_ITSELF = `(module (import "tag" "fault" (tag $fault (param i32))) (import "cb" "stop" (func $stop (param i32)))
  (global (export "persia_fuel") (mut i64) (i64.const 0)) (global (export "persia_stack") (mut i32) (i32.const 0))
  (global (export "persia_ram_max") (mut i32) (i32.const 65536)) (global $sas (export "stop_at_start") (mut i32) (i32.const 0))
  (func (export "persia_reset") (if (global.get $sas) (then (call $stop (i32.const 0))))
    (if (i32.eq (global.get $sas) (i32.const 2)) (then (throw $fault (i32.const ${FaultReason.UNREACHABLE})))))
  (func (export "persia_init"))
  (func (export "persia_event") (global.set 0 (i64.sub (global.get 0) (i64.const 5))) (call $stop (i32.const 0)) (throw $fault (i32.const ${FaultReason.UNREACHABLE}))))`;
/** Calls the function the driver put in its table: the kernel's side of a stop. */
const CALLBACK = `(module (type $v (func (param i32))) (table (export "t") 1 funcref)
  (func (export "stop") (param i32) (call_indirect (type $v) (local.get 0) (i32.const 0))))`;

/** Runs `calls` against a fresh glue over SLOTS; the results, one i32 per call. */
async function run(requests: Uint8Array[], calls: Call[]): Promise<number[]> {
  const b = await loadBinaryen();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-glue-"));
  try {
    const file = (name: string, text: string) => {
      const f = path.join(dir, `${name}.wasm`);
      fs.writeFileSync(f, assemble(b, text, name));
      return f;
    };
    const kernel = `(module (memory (export "memory") 1) ${requests.map((r, i) => `(data (i32.const ${i * REQ}) "${bytesText(r)}")`).join(" ")})`;
    const names = { fuel: "persia_fuel", stack: "persia_stack", ramMax: "persia_ram_max", reset: "persia_reset", event: "persia_event", init: "persia_init" };
    const preload = [
      ["mem", file("mem", memText(1, SLOTS))], ["k", file("k", kernel)], ["tag", file("tag", tagText())],
      ["shim", file("shim", `(module (func (export "fault_note") (param i32 i32)))`)], ["cb", file("cb", CALLBACK)],
      ...SLOTS.map((s) => [`s${s.id}`, file(`s${s.id}`, s.id === 0 ? STOPS_ITSELF : SERVICE)]),
      ...GROUPS.map((g, k) => [`g${k}`, file(`g${k}`, glueText(g, names))]),
      ["glue", file("glue", hubText(GROUPS.map((g) => g.map((x) => x.id)), new Uint8Array(4)))],
    ].flatMap(([name, f]) => ["--preload", `${name}=${f}`]);
    const r = spawnSync(wt.file, ["run", "-W", "exceptions=y", ...preload, file("driver", driverText(requests, calls))], { encoding: "buffer" });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(r.stdout.length, 4 * calls.length, "one result per call");
    return Array.from({ length: calls.length }, (_, i) => r.stdout.readInt32LE(4 * i));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const E = (e: Errno) => -e;

test("svc_load gives the lowest slot of the module named by SHA-256 that the kernel's mask says is free and that holds no service", { skip: wt.skip }, async () => {
  const requests = [request(B, ALL, 32), request(B, ALL & ~0b10, 32), request(B, 0b10, 32), request(B, 0, 32)];
  const got = await run(requests, [
    { load: 0 }, { load: 0 }, { load: 0 },           // 1, then 2, then both busy
    { unload: 1 }, { load: 1 },                       // 1 is free here but not in the mask
    { load: 2 },                                      // only bit 1: slot 1 again
    { unload: 2 }, { load: 3 },                       // an empty mask
    { load: 0 },
  ]);
  assert.deepEqual(got, [1, 2, E(Errno.ENOSPC), 0, E(Errno.ENOSPC), 1, 0, E(Errno.ENOSPC), 2]);
});

test("svc_load: an unknown module is ENOENT; a boot service's slot can be loaded again once it is unloaded", { skip: wt.skip }, async () => {
  const got = await run([request(UNKNOWN, ALL, 1), request(A, ALL, 16), request(A, ALL, 17)], [
    { load: 0 }, { load: 1 }, { unload: 0 }, { load: 2 }, { load: 1 }, { start: 0 }, { ramMax: 0 },
  ]);
  assert.deepEqual(got, [E(Errno.ENOENT), E(Errno.ENOSPC), 0, E(Errno.ENOSPC), 0, Fault.NONE, 16]);
});

test("svc_load: RAM over the slot's ceiling is ENOSPC, under the module's initial memory EINVAL; otherwise the limit is the RAM max, or the module's own maximum if lower", { skip: wt.skip }, async () => {
  const got = await run([request(B, ALL, 33), request(B, ALL, 5), request(C, ALL, 17), request(C, ALL, 10), request(C, ALL, 1)], [
    { load: 0 }, { load: 1 }, { start: 1 }, { ramMax: 1 },
    { load: 2 }, { load: 4 }, { load: 3 }, { start: 3 }, { ramMax: 3 },
  ]);
  assert.deepEqual(got, [E(Errno.ENOSPC), 1, Fault.NONE, 5, E(Errno.ENOSPC), E(Errno.EINVAL), 3, Fault.NONE, 4]);
});

test("svc_load reads the kernel's free bitmap past id 31 and asks every group in id order: slot 40 is only taken when bit 40 is set", { skip: wt.skip }, async () => {
  const got = await run([request(D, ALL, 4), request(D, ALL, 4, "x.a.sabz.city", true), request(UNKNOWN, ALL, 4, "x.a.sabz.city", true)], [
    { load: 0 }, { start: 40 }, { pages: 40 }, { load: 1 }, { load: 1 }, { load: 2 }, { start: 40 }, { pages: 40 }, { ramMax: 40 },
    { unload: 40 }, { load: 0 }, { load: 1 },
  ]);
  assert.deepEqual(got, [E(Errno.ENOSPC), Fault.BAD_MODULE, 0, 40, E(Errno.ENOSPC), E(Errno.ENOENT), Fault.NONE, 1, 4, 0, E(Errno.ENOSPC), 40]);
});

test("svc_ram sets the limit for the next start; over the ceiling, for an empty slot or an unknown id it is ENOSPC; under the module's initial memory EINVAL", { skip: wt.skip }, async () => {
  const got = await run([request(C, ALL, 3)], [
    { ram: [0, 8] }, { start: 0 }, { ramMax: 0 },
    { ram: [0, 17] }, { ram: [3, 2] }, { ram: [9, 1] },
    { load: 0 }, { start: 3 }, { ramMax: 3 }, { ram: [3, 2] }, { ramMax: 3 }, { start: 3 }, { ramMax: 3 },
    { ram: [3, 1] }, { start: 3 },
  ]);
  assert.deepEqual(got, [0, Fault.NONE, 8, E(Errno.ENOSPC), E(Errno.ENOSPC), E(Errno.ENOSPC),
    3, Fault.NONE, 3, 0, 3, Fault.NONE, 2, E(Errno.EINVAL), Fault.NONE]);
});

test("an empty store slot does not start (BAD_MODULE) and holds no memory in svc_pages; after svc_unload the same", { skip: wt.skip }, async () => {
  const got = await run([request(C, ALL, 4)], [
    { start: 3 }, { pages: 3 }, { pages: 0 }, { load: 0 }, { start: 3 }, { pages: 3 },
    { unload: 3 }, { start: 3 }, { pages: 3 }, { unload: 12 },
  ]);
  assert.deepEqual(got, [Fault.BAD_MODULE, 0, 1, 3, Fault.NONE, 2, 0, Fault.BAD_MODULE, 0, 0]);
});

test("svc_load refuses a request shorter than its header, longer or shorter than its name, or outside kernel memory (EINVAL)", { skip: wt.skip }, async () => {
  const good = request(B, ALL, 1);
  const got = await run([good], [
    { loadAt: [0, SL_NAME - 1] }, { loadAt: [0, good.length + 1] }, { loadAt: [0, good.length - 1] },
    { loadAt: [65536 - 8, good.length] }, { loadAt: [-1, good.length] }, { load: 0 },
  ]);
  assert.deepEqual(got, [E(Errno.EINVAL), E(Errno.EINVAL), E(Errno.EINVAL), E(Errno.EINVAL), E(Errno.EINVAL), 1]);
});

test("svc_start of a service the kernel stopped from inside its start function leaves it not running, and a fault it then ends with is nobody's", { skip: wt.skip }, async () => {
  // As a GRANT's restart or an UNLOAD a control message sent from the start function makes:
  // the instance the start made is not the service's, so svc_call finds nothing running
  // (TRAP) until the kernel starts it again.
  const got = await run([], [
    { stopAtStart: 1 }, { start: 0 }, { event: 0 },
    { stopAtStart: 2 }, { start: 0 }, { event: 0 },
    { stopAtStart: 0 }, { start: 0 }, { fuelUsed: 0 },
  ]);
  assert.deepEqual(got, [0, Fault.NONE, Fault.TRAP, 0, Fault.NONE, Fault.TRAP, 0, Fault.NONE, 0]);
});

test("svc_call of a service the kernel stopped (or unloaded) from inside that call reports no fault for it", { skip: wt.skip }, async () => {
  // The kernel stops a service from inside its call when the service sends it a control
  // message that UNLOADs it or changes its RAM (kernel/ctl/ops.ts). A fault the call then
  // ends with belongs to an instance that is gone: reported, the kernel would count it
  // against the id it just freed and bring that id back as a nameless service.
  const got = await run([], [{ start: 0 }, { event: 0 }, { fuelUsed: 0 }, { event: 0 }, { start: 0 }]);
  assert.deepEqual(got, [Fault.NONE, Fault.NONE, 0, Fault.TRAP, Fault.NONE], "no fault, no fuel to charge; not running after it");
});
