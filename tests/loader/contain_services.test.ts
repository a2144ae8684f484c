// The containment pass (loader/instrument/contain.ts) on whole modules: what it adds to
// the imports and exports; persia_reset restoring the initial memory, data segments and
// globals after the memory was scribbled on and grown, and running the former start
// function (instantiation runs nothing); a data segment that does not fit faults OOB in
// persia_reset; 100,000 data segments; the refusals, each naming what and how to fix; and
// every built service and test service contained and valid, with trap, oob, recurse and
// spin faulting UNREACHABLE, OOB, STACK and FUEL on their trigger, stall stopped by fuel
// after as many sends as one budget pays for, while echo answers as before.
import { REC_HDR, REC_LEN, recSize } from "../../abi/kernel";
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { CONTAIN_EXPORTS, CONTAIN_IMPORTS, FUEL_EXPORTS, SYSCALLS, SYSCALL_MODULE } from "../../abi/contract";
import { Errno } from "../../abi/errno";
import { FaultReason } from "../../abi/image";
import { LoaderError } from "../../loader/errors";
import { extras, loadBinaryen, serviceFeatures } from "../../loader/instrument/binaryen";
import { contain } from "../../loader/instrument/contain";
import { IMPORT_CALL_COST, meterFuel } from "../../loader/instrument/fuel";
import { ROOT } from "../../hosts/node/paths";
import { udp } from "../sdk/packets";
import { Exports, Fault, NAME, containText, faultImports, wat } from "./contain_fixture";
import { dataSegments } from "./code_fixture";
import { FUEL_PER_CALL, MTU_MAX } from "../../abi/limits";   // MTU_MAX: the kernel refuses longer sends



const RESETS = `(module (import "env" "memory" (memory 1 4))
  (global $g (mut i32) (i32.const 42))
  (global $h (mut i64) (i64.const -5))
  (global $k i32 (i32.const 3))
  (global $started (mut i32) (i32.const 0))
  (data (i32.const 16) "first")
  (data (i32.const 65530) "edge!!")
  (data $spare "spare")
  (func $start (global.set $started (i32.add (global.get $started) (i32.const 1))) (i32.store (i32.const 0) (i32.const 0xbeef)))
  (start $start)
  (func (export "persia_event"))
  (func (export "started") (result i32) (global.get $started))
  (func (export "globals") (result i64) (i64.add (i64.extend_i32_u (i32.add (global.get $g) (global.get $k))) (global.get $h)))
  (func (export "spare") (result i32) (memory.init $spare (i32.const 200) (i32.const 0) (i32.const 5)) (i32.load8_u (i32.const 204)))
  (func (export "scribble")
    (global.set $g (i32.const 1)) (global.set $h (i64.const 2)) (data.drop $spare)
    (memory.fill (i32.const 0) (i32.const 0xff) (i32.const 65536))
    (drop (memory.grow (i32.const 1))) (memory.fill (i32.const 65536) (i32.const 0xee) (i32.const 65536))))`;

async function instance(bytes: Uint8Array, memory: WebAssembly.Memory, persia: Record<string, Function> = {}): Promise<Exports> {
  const imports = faultImports();
  Object.assign(imports[SYSCALL_MODULE] ??= {}, persia);
  imports.env = { memory, abort: () => { throw new Fault(FaultReason.ABORT); } };
  return new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), imports).exports as Exports;
}

test("the contained module imports fault, exports persia_reset, persia_stack and persia_ram_max, and has no start or active data", async () => {
  const { bytes, counts } = await containText(RESETS);
  const module = new WebAssembly.Module(bytes as BufferSource);
  const [fault] = CONTAIN_IMPORTS;
  assert.ok(WebAssembly.Module.imports(module).some((i) => i.module === fault.module && i.name === fault.name && i.kind === "function"));
  const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  for (const e of CONTAIN_EXPORTS) assert.equal(exports.get(e.name), "kind" in e ? "global" : "function", e.name);
  const b = await loadBinaryen();
  const m = extras(b).readBinary(bytes, serviceFeatures(b));
  const segments = m as unknown as { getNumDataSegments(): number; getDataSegmentByIndex(i: number): number; getDataSegmentInfo(s: number): { passive: boolean } };
  assert.equal(m.getStart(), 0, "no start function");
  assert.equal(segments.getNumDataSegments(), 3);
  for (let i = 0; i < 3; i++) assert.ok(segments.getDataSegmentInfo(segments.getDataSegmentByIndex(i)).passive, `segment ${i} is passive`);
  assert.ok(m.validate());
  m.dispose();
  assert.equal(counts.segments, 2);
});

test("persia_reset restores globals, zeroes the grown memory, copies the data in and runs the start function once", async () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
  const e = await instance((await containText(RESETS)).bytes, memory);
  const bytes = () => new Uint8Array(memory.buffer);
  assert.equal(e.started(), 0, "instantiating ran nothing");
  assert.ok(bytes().every((x) => x === 0), "and copied no data");
  e.persia_fuel.value = 5n;
  e.persia_reset();
  const initial = Buffer.from(bytes());
  assert.equal(e.started(), 1);
  assert.equal(Buffer.from(bytes().subarray(16, 21)).toString(), "first");
  assert.equal(Buffer.from(bytes().subarray(65530)).toString(), "edge!!");
  assert.equal(new DataView(memory.buffer).getUint32(0, true), 0xbeef, "the start function wrote");
  assert.equal(e.globals(), 40n);
  const fuel = e.persia_fuel.value as bigint;
  assert.ok(fuel > BigInt(FUEL_EXPORTS.fuel.start) - 100n, `the start function ran on the start budget (${fuel} left)`);
  assert.equal(e.spare(), "e".charCodeAt(0));
  e.scribble();
  assert.equal(memory.buffer.byteLength, 131072);
  assert.equal(e.globals(), 6n);
  assert.throws(() => e.spare(), (x) => x instanceof Fault && x.reason === FaultReason.OOB, "the spare segment was dropped");
  e.persia_stack.value = 999;
  e.persia_reset();
  assert.equal(e.started(), 1, "globals back to their initial values before the start function ran");
  assert.equal(e.globals(), 40n);
  assert.equal(e.persia_stack.value, 0);
  assert.ok(Buffer.from(bytes().subarray(0, 65536)).equals(initial), "the first page as after the first reset");
  assert.ok(bytes().subarray(65536).every((x) => x === 0), "the grown page zeroed");
  assert.equal(e.spare(), "e".charCodeAt(0), "the spare segment is back");
});

test("a data segment that does not fit the memory faults OOB in persia_reset instead of trapping at instantiation", async () => {
  const { bytes } = await containText(`(module (import "env" "memory" (memory 1)) (data (i32.const 65534) "abc") (func (export "persia_event")))`);
  const memory = new WebAssembly.Memory({ initial: 1 });
  const e = await instance(bytes, memory);
  assert.throws(() => e.persia_reset(), (x) => x instanceof Fault && x.reason === FaultReason.OOB);
  const big = await instance(bytes, new WebAssembly.Memory({ initial: 2 }));
  big.persia_reset();
});

test("100,000 passive data segments, as many as the engine takes, are contained", async () => {
  const bytes = dataSegments(100_000);
  const contained = await contain((await meterFuel(bytes, NAME)).bytes, NAME);
  assert.ok(WebAssembly.validate(contained.bytes as BufferSource));
  const memory = new WebAssembly.Memory({ initial: 1 });
  (await instance(contained.bytes, memory)).persia_reset();
});

test("a global initialised from an imported global goes back to that global's value", async () => {
  const { bytes } = await containText(`(module (import "env" "memory" (memory 1)) (import "env" "base" (global $base i32))
    (global $g (mut i32) (global.get $base))
    (func (export "persia_event") (global.set $g (i32.const 0))) (func (export "g") (result i32) (global.get $g)))`);
  const e = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource),
    { ...faultImports(), env: { memory: new WebAssembly.Memory({ initial: 1 }), base: 77 } }).exports as Exports;
  e.persia_event();
  assert.equal(e.g(), 0);
  e.persia_reset();
  assert.equal(e.g(), 77);
});

const REFUSED: [what: string, text: string, why: RegExp][] = [
  ["an imported table", `(import "env" "table" (table 1 funcref))`, /imports table env\.table/],
  ["an exported table", `(table $t 1 funcref) (export "t" (table $t))`, /exports table/],
  ["table.set", `(table $t 1 funcref) (func (export "f") (table.set $t (i32.const 0) (ref.null func)))`, /table\.set/],
  ["table.grow", `(table $t 1 funcref) (func (export "f") (drop (table.grow $t (ref.null func) (i32.const 1))))`, /grows a table/],
  ["table.get", `(table $t 1 funcref) (func (export "f") (drop (table.get $t (i32.const 0))))`, /table\.get/],
  ["an element segment at an imported offset", `(import "env" "base" (global $base i32)) (table 4 funcref) (elem (global.get $base) $f) (func $f)`,
    /offset that is not a constant/],
  ["an element segment past the table", `(table 2 funcref) (elem (i32.const 1) $f $f) (func $f)`, /fills slots 1\.\.2 of table .* which has 2/],
  ["an export named persia_reset", `(func (export "persia_reset"))`, /exports persia_reset/],
  ["an export named persia_stack", `(global (export "persia_stack") i32 (i32.const 0))`, /exports persia_stack/],
  ["an export named persia_ram_max", `(global (export "persia_ram_max") (mut i32) (i32.const 0))`, /exports persia_ram_max/],
  ["an import of persia_fault.fault", `(import "persia_fault" "fault" (func (param i32)))`, /imports persia_fault\.fault/],
];

for (const [what, fields, why] of REFUSED) {
  test(`refused: ${what}, with why and how to fix`, async () => {
    const text = `(module (import "env" "memory" (memory 1)) ${fields} (func (export "persia_event")))`;
    const bytes = (await meterFuel(await wat(text), NAME)).bytes;
    await assert.rejects(contain(bytes, NAME), (e) => {
      assert.ok(e instanceof LoaderError, String(e));
      assert.equal(e.what, `service ${NAME}`);
      assert.match(e.why, why);
      assert.ok(e.fix.length > 10, e.fix);
      return true;
    });
  });
}

// The services' fake kernel: a queue for recv, sent packets captured, one address.
const ADDR = "20010db8000000000000000000000009";
const PING = "6000000000103a4020010db800000000000000000000000120010db8000000000000000000000009" +
  "8000806e123400016162636465666768";   // 2001:db8::1 → 2001:db8::9, id 0x1234 seq 1

async function service(bytes: Uint8Array): Promise<{ e: Exports; queue: Buffer[]; sent: Buffer[]; refused: () => number }> {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 16 });
  const queue: Buffer[] = [], sent: Buffer[] = [];
  let refused = 0;
  const persia: Record<string, Function> = {};
  for (const s of SYSCALLS) persia[s.name] = () => -Errno.ENOSYS;
  persia.recv = (ptr: number) => {
    const p = queue.shift();
    if (p === undefined) return -Errno.EAGAIN;
    new Uint8Array(memory.buffer, ptr, p.length).set(p);
    return p.length;
  };
  persia.send = (ptr: number, len: number) => {
    if (len > MTU_MAX) return refused++, -Errno.EMSGSIZE;   // as the kernel does, before copying anything
    sent.push(Buffer.from(new Uint8Array(memory.buffer, ptr, len)));
    return 0;
  };
  // The batched pair (echo uses them), laying out records as the kernel does (abi/kernel.ts REC_*).
  persia.recv_many = (ptr: number, cap: number) => {
    let off = 0, n = 0;
    while (queue[0] && recSize(queue[0].length) <= cap - off) {
      const p = queue.shift()!;
      const rec = new Uint8Array(memory.buffer, ptr + off, recSize(p.length));
      rec.fill(0);
      new DataView(rec.buffer, rec.byteOffset).setUint16(REC_LEN, p.length, true);
      rec.set(p, REC_HDR);
      off += rec.length; n++;
    }
    return n > 0 ? n : queue[0] ? -Errno.EMSGSIZE : -Errno.EAGAIN;
  };
  persia.send_many = (ptr: number, len: number) => {
    const all = Buffer.from(new Uint8Array(memory.buffer, ptr, len));
    let off = 0, n = 0;
    while (off + REC_HDR <= len) {
      const plen = all.readUInt16LE(off + REC_LEN);
      if (plen === 0 || off + REC_HDR + plen > len) return -Errno.EINVAL;
      if (plen > MTU_MAX) { refused++; } else sent.push(Buffer.from(all.subarray(off + REC_HDR, off + REC_HDR + plen)));
      off += recSize(plen); n++;
    }
    return n;
  };
  persia.addr = (i: number, ptr: number) => {
    if (i > 0) return -Errno.ENOENT;
    new Uint8Array(memory.buffer, ptr, 16).set(Buffer.from(ADDR, "hex"));
    return 0;
  };
  return { e: await instance(bytes, memory, persia), queue, sent, refused: () => refused };
}

const MODULES = ["services", "tests"].flatMap((dir) =>
  fs.readdirSync(path.join(ROOT, "build/wasm", dir)).filter((f) => f.endsWith(".wasm")).map((f) => path.join("build/wasm", dir, f)));

test("every built service and test service is contained and validates", async () => {
  assert.ok(MODULES.length >= 13, `only ${MODULES.length} modules under build/wasm: run npm run build`);
  for (const file of MODULES) {
    const metered = await meterFuel(fs.readFileSync(path.join(ROOT, file)), NAME);
    const { bytes, counts } = await contain(metered.bytes, NAME);
    assert.ok(WebAssembly.validate(bytes as BufferSource), `${file} does not validate`);
    assert.ok(counts.frames > 0 && counts.access > 0, `${file}: ${JSON.stringify(counts)}`);
  }
});

const TRIGGERS: [name: string, word: string, reason: FaultReason][] = [
  ["trap", "crash", FaultReason.UNREACHABLE], ["oob", "crash", FaultReason.OOB],
  ["recurse", "recurse", FaultReason.STACK], ["spin", "spin", FaultReason.FUEL],
];

for (const [name, word, reason] of TRIGGERS) {
  test(`${name}: answers a ping contained, then faults ${FaultReason[reason]} on its trigger`, async () => {
    const metered = await meterFuel(fs.readFileSync(path.join(ROOT, `build/wasm/tests/${name}.wasm`)), NAME);
    const s = await service((await contain(metered.bytes, NAME)).bytes);
    s.e.persia_reset();
    s.queue.push(Buffer.from(PING, "hex"));
    s.e.persia_event();
    assert.equal(s.sent.length, 1, "the ping was answered");
    s.queue.push(udp("2001:db8::1", "2001:db8::9", 50000, 9, `${word} now`));
    s.e.persia_fuel.value = 10_000_000n;
    s.e.persia_stack.value = 0;
    assert.throws(() => s.e.persia_event(), (e) => e instanceof Fault && e.reason === reason);
    s.e.persia_reset();
    s.queue.push(Buffer.from(PING, "hex"));
    s.e.persia_fuel.value = 10_000_000n;
    s.e.persia_stack.value = 0;
    s.e.persia_event();
    assert.equal(s.sent.length, 2, "and answers again after persia_reset");
  });
}

test("stall contained, as the image runs it, pays IMPORT_CALL_COST for each send through its table", async () => {
  const metered = await meterFuel(fs.readFileSync(path.join(ROOT, "build/wasm/tests/stall.wasm")), NAME);
  const s = await service((await contain(metered.bytes, NAME)).bytes);
  s.e.persia_reset();
  s.queue.push(udp("2001:db8::1", "2001:db8::9", 50000, 9, "stall"));
  s.e.persia_fuel.value = BigInt(FUEL_PER_CALL);
  s.e.persia_stack.value = 0;
  assert.throws(() => s.e.persia_event(), (e) => e instanceof Fault && e.reason === FaultReason.FUEL);
  // each iteration: the loop 1 + 7 instructions + IMPORT_CALL_COST (before: 8, so 12.5 million sends)
  const most = FUEL_PER_CALL / IMPORT_CALL_COST;
  assert.ok(s.refused() > most * 0.9 && s.refused() <= most, `one budget allowed ${s.refused()} sends; at most ${most}`);
});

test("echo contained answers a ping byte for byte as echo does", async () => {
  const raw = fs.readFileSync(path.join(ROOT, "build/wasm/services/echo.wasm"));
  const plain = await service((await meterFuel(raw, NAME)).bytes);
  const safe = await service((await contain((await meterFuel(raw, NAME)).bytes, NAME)).bytes);
  safe.e.persia_reset();
  for (const s of [plain, safe]) {
    s.queue.push(Buffer.from(PING, "hex"), udp("2001:db8::1", "2001:db8::9", 50000, 7, "hello"));
    s.e.persia_event();
  }
  assert.equal(safe.sent.length, 2);
  assert.deepEqual(safe.sent, plain.sent);
});
