// ServiceHost on hand-built service modules with a fake kernel: each exception a service
// can raise becomes its Fault (trap, stack, memory, abort, fuel) and never escapes
// svc_call; a kernel failure inside a syscall does escape; syscalls reach k_sys with the
// service id, the syscall number and zero padding; svc_fuel_used reports what a call
// consumed; svc_read/svc_write copy and refuse out-of-range ranges on both sides; a
// refused module reports BAD_MODULE. The syscall imports, one set shared by every instance,
// act for the service whose code runs, also when a syscall runs another service's code or
// start function; a copy after memory.grow sees the grown memory. A service its own start
// function got unloaded or stopped is not running, has no memory to copy, and no fault.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Errno } from "../../abi/errno";
import { Entry, Fault } from "../../abi/kernel";
import { Sys } from "../../abi/syscalls";
import { KernelTrap } from "../../hosts/node/faults";
import { KernelSide, ServiceHost } from "../../hosts/node/services";
import { I32 } from "../loader/wasm_fixture";
import { ABORTS, GROWS, LOGS, OP, RECURSES, SPINS, SPINS_AT_START, TRAPS, buildService, eventService, svcLoadRequest } from "./service_fixture";

const NAME = "echo.sabz.city";
const PAGE = 65536;
const FUEL = 1_000_000n;   // a budget per call, as the kernel passes it

async function host(bytes: Uint8Array, ramMaxPages = 4, sys: KernelSide["sys"] = () => 0, kernelBytes = new Uint8Array(PAGE)): Promise<ServiceHost> {
  const h = new ServiceHost();
  h.attach({ sys, bytes: kernelBytes });
  assert.ok(await h.add(3, bytes, NAME, ramMaxPages), h.faultMessage(3));
  assert.equal(h.start(3), Fault.NONE, h.faultMessage(3));
  return h;
}

test("unreachable in persia_event is a TRAP with the engine's message", async () => {
  const h = await host(TRAPS);
  assert.equal(h.call(3, Entry.EVENT, FUEL), Fault.TRAP);
  assert.match(h.faultMessage(3), /RuntimeError: unreachable/);
  assert.equal(h.call(3, Entry.EVENT, FUEL), Fault.TRAP, "the instance stays callable until the kernel restarts it");
});

test("endless recursion is a STACK fault", async () => {
  assert.equal((await host(RECURSES)).call(3, Entry.EVENT, FUEL), Fault.STACK);
});

test("a trap after memory.grow failed at the RAM max is a MEMORY fault", async () => {
  assert.equal((await host(GROWS(1), 3)).call(3, Entry.EVENT, FUEL), Fault.MEMORY);
});

test("the module's own lower memory maximum wins over the RAM max", async () => {
  assert.equal((await host(GROWS(1, 2), 8)).call(3, Entry.EVENT, FUEL), Fault.MEMORY);
});

test("a trap in a service whose memory starts at its max is a TRAP", async () => {
  assert.equal((await host(GROWS(2), 2)).call(3, Entry.EVENT, FUEL), Fault.TRAP);
});

test("env.abort is a TRAP whose message says abort", async () => {
  const h = await host(ABORTS);
  assert.equal(h.call(3, Entry.EVENT, FUEL), Fault.TRAP);
  assert.match(h.faultMessage(3), /ServiceAbort: abort/);
});

test("a call that loops forever is a FUEL fault once its budget is used", async () => {
  const h = await host(SPINS);
  assert.equal(h.call(3, Entry.EVENT, FUEL), Fault.FUEL);
  assert.match(h.faultMessage(3), /used its budget of 1000000 fuel units in one call/);
  // Entry costs 1, each iteration 2 (the loop and its br): the fuel first goes below zero
  // at -1, in the 500000th iteration.
  assert.equal(h.fuelUsed(3), FUEL + 1n);
  assert.equal(h.call(3, Entry.EVENT, 10n), Fault.FUEL, "each call gets the budget the kernel passes");
  assert.equal(h.fuelUsed(3), 11n);
});

test("a start function that loops forever is a FUEL fault of svc_start, within the start budget", async () => {
  const h = new ServiceHost();
  h.attach({ sys: () => 0, bytes: new Uint8Array(PAGE) });
  assert.ok(await h.add(3, SPINS_AT_START, NAME, 4), h.faultMessage(3));
  assert.equal(h.start(3), Fault.FUEL);
  assert.match(h.faultMessage(3), /^in its start function: used its budget of 100000000 fuel units$/);
  assert.equal(h.running(3), false);
});

test("svc_fuel_used reports what the last call consumed", async () => {
  const h = await host(LOGS);
  assert.equal(h.call(3, Entry.EVENT, FUEL), Fault.NONE);
  assert.equal(h.fuelUsed(3), 1005n, "entry 1 + i32.const, i32.const, call, drop + 1000 for calling an import");
  assert.equal(h.call(3, Entry.INIT, FUEL), Fault.NONE);
  assert.equal(h.fuelUsed(3), 1n, "the entry of an empty body");
  assert.equal(h.call(3, Entry.EVENT, 1004n), Fault.FUEL, "a budget one short of the cost");
  h.stop(3);
  assert.equal(h.call(3, Entry.EVENT, FUEL), Fault.TRAP);
  assert.equal(h.fuelUsed(3), 0n, "a service that did not run used nothing");
});

test("a syscall reaches k_sys as (svc, nr, args..., 0 padding)", async () => {
  const calls: number[][] = [];
  const h = await host(LOGS, 4, (...args) => { calls.push(args); return 0; });
  assert.equal(h.call(3, Entry.INIT, FUEL), Fault.NONE);
  assert.equal(h.call(3, Entry.EVENT, FUEL), Fault.NONE);
  assert.deepEqual(calls, [[3, Sys.LOG, 16, 5, 0, 0, 0]]);
});

/** persia_event calls persia.log(16, 5), then persia.log(17, 6). */
const LOGS_TWICE = buildService({
  types: [[[I32, I32], [I32]], [[], []]],
  funcImports: [["persia", "log", 0]],
  memory: { min: 1 },
  funcs: [{ type: 1, body: [OP.i32_const, 16, OP.i32_const, 5, OP.call, 0, OP.drop, OP.i32_const, 17, OP.i32_const, 6, OP.call, 0, OP.drop] }],
  exports: [["persia_event", 1]],
});

test("a syscall that runs another service's call comes back acting for its own service", async () => {
  const calls: number[][] = [];
  const h = new ServiceHost();
  h.attach({ sys: (...args) => {
    calls.push(args.slice(0, 3));
    if (args[0] === 3 && args[2] === 16) h.call(4, Entry.EVENT, FUEL);   // as a control message might
    return 0;
  }, bytes: new Uint8Array(PAGE) });
  for (const id of [3, 4]) {
    assert.ok(await h.add(id, LOGS_TWICE, NAME, 4), h.faultMessage(id));
    assert.equal(h.start(id), Fault.NONE, h.faultMessage(id));
  }
  assert.equal(h.call(3, Entry.EVENT, FUEL), Fault.NONE);
  assert.deepEqual(calls, [[3, Sys.LOG, 16], [4, Sys.LOG, 16], [4, Sys.LOG, 17], [3, Sys.LOG, 17]]);
});

/** The module's start function calls persia.log(1, 1) (then traps, if `trap`); persia_event
 *  calls persia.log(16, 5), then persia.log(17, 6). */
const logsAtStart = (trap = false): Uint8Array => buildService({
  types: [[[I32, I32], [I32]], [[], []]],
  funcImports: [["persia", "log", 0]],
  memory: { min: 1 },
  funcs: [
    { type: 1, body: [OP.i32_const, 1, OP.i32_const, 1, OP.call, 0, OP.drop, ...(trap ? [OP.unreachable] : [])] },
    { type: 1, body: [OP.i32_const, 16, OP.i32_const, 5, OP.call, 0, OP.drop, OP.i32_const, 17, OP.i32_const, 6, OP.call, 0, OP.drop] },
  ],
  exports: [["persia_event", 2]],
  start: 1,
});
const LOGS_AT_START = logsAtStart();

test("a start function's syscall reaches k_sys as the starting service", async () => {
  const calls: number[][] = [];
  const h = new ServiceHost();
  h.attach({ sys: (...args) => { calls.push(args.slice(0, 3)); return 0; }, bytes: new Uint8Array(PAGE) });
  assert.ok(await h.add(4, LOGS_AT_START, NAME, 4), h.faultMessage(4));
  assert.equal(h.start(4), Fault.NONE, h.faultMessage(4));
  assert.deepEqual(calls, [[4, Sys.LOG, 1]]);
});

test("a syscall that starts another service (its start function makes a syscall) comes back acting for its own service", async () => {
  const calls: number[][] = [];
  const h = new ServiceHost();
  h.attach({ sys: (...args) => {
    calls.push(args.slice(0, 3));
    if (args[0] === 3 && args[2] === 16) assert.equal(h.start(4), Fault.NONE);   // as a GRANT's restart might
    return 0;
  }, bytes: new Uint8Array(PAGE) });
  assert.ok(await h.add(3, LOGS_TWICE, NAME, 4), h.faultMessage(3));
  assert.ok(await h.add(4, LOGS_AT_START, NAME, 4), h.faultMessage(4));
  assert.equal(h.start(3), Fault.NONE, h.faultMessage(3));
  assert.equal(h.call(3, Entry.EVENT, FUEL), Fault.NONE);
  assert.deepEqual(calls, [[3, Sys.LOG, 16], [4, Sys.LOG, 1], [3, Sys.LOG, 17]]);
});

test("a syscall that starts another service whose start function runs out of fuel comes back acting for its own service", async () => {
  const calls: number[][] = [];
  const h = new ServiceHost();
  h.attach({ sys: (...args) => {
    calls.push(args.slice(0, 3));
    if (args[0] === 3 && args[2] === 16) assert.equal(h.start(4), Fault.FUEL);
    return 0;
  }, bytes: new Uint8Array(PAGE) });
  assert.ok(await h.add(3, LOGS_TWICE, NAME, 4), h.faultMessage(3));
  assert.ok(await h.add(4, SPINS_AT_START, NAME, 4), h.faultMessage(4));
  assert.equal(h.start(3), Fault.NONE, h.faultMessage(3));
  assert.equal(h.call(3, Entry.EVENT, FUEL), Fault.NONE);
  assert.deepEqual(calls, [[3, Sys.LOG, 16], [3, Sys.LOG, 17]]);
});

/** A host whose kernel side runs `during` (once) from inside the next syscall, with the
 *  store slot 3 holding `bytes` LOADed into id 3; kernel bytes 100..103 are 9s. */
async function startInside(bytes: Uint8Array, during: (h: ServiceHost) => void): Promise<{ h: ServiceHost; kernel: Uint8Array }> {
  const kernel = new Uint8Array(PAGE);
  kernel.set([9, 9, 9, 9], 100);
  let act: ((h: ServiceHost) => void) | null = during;
  const h = new ServiceHost();
  h.attach({ sys: () => { const f = act; act = null; f?.(h); return 0; }, bytes: kernel });
  assert.equal(await h.addStore(3, bytes, "store[0]", 4, 1), null);
  assert.equal(h.load(svcLoadRequest(createHash("sha256").update(bytes).digest(), 0xffff, 2, "x.sabz.city")), 3);
  return { h, kernel };
}

test("a service its own start function got unloaded has no memory for svc_read/svc_write", async () => {
  const { h } = await startInside(LOGS_AT_START, (h) => h.unload(3));
  assert.equal(h.start(3), Fault.NONE);
  assert.equal(h.running(3), false);
  assert.equal(h.write(3, 0, 100, 4), -Errno.EFAULT);
  assert.equal(h.read(3, 0, 200, 4), -Errno.EFAULT);
});

test("an id unloaded and LOADed again from inside the old start function is not running and has no memory", async () => {
  const again = svcLoadRequest(createHash("sha256").update(LOGS_AT_START).digest(), 0xffff, 2, "y.sabz.city");
  const { h, kernel } = await startInside(LOGS_AT_START, (h) => { h.unload(3); assert.equal(h.load(again), 3); });
  assert.equal(h.start(3), Fault.NONE);
  assert.equal(h.running(3), false, "the new LOAD has not started");
  assert.equal(h.write(3, 0, 100, 4), -Errno.EFAULT);
  assert.equal(h.read(3, 0, 200, 4), -Errno.EFAULT);
  assert.deepEqual([...kernel.subarray(200, 204)], [0, 0, 0, 0]);
});

test("a service stopped from inside its own start function (a GRANT's restart) is not running and has no memory", async () => {
  const { h } = await startInside(LOGS_AT_START, (h) => h.stop(3));
  assert.equal(h.start(3), Fault.NONE);
  assert.equal(h.running(3), false);
  assert.equal(h.write(3, 0, 100, 4), -Errno.EFAULT);
  assert.equal(h.call(3, Entry.EVENT, FUEL), Fault.TRAP, "no instance to call");
  assert.equal(h.start(3), Fault.NONE, "its restart");
  assert.equal(h.running(3), true);
});

test("a start function that got its service unloaded, then traps, reports no fault", async () => {
  const { h } = await startInside(logsAtStart(true), (h) => h.unload(3));
  assert.equal(h.start(3), Fault.NONE);
  assert.equal(h.faultMessage(3), "");
});

test("a kernel failure inside a syscall escapes svc_call as KernelTrap", async () => {
  const h = await host(LOGS, 4, () => { throw new WebAssembly.RuntimeError("unreachable"); });
  assert.throws(() => h.call(3, Entry.EVENT, FUEL), KernelTrap);
});

test("a missing persia_init is not a fault; an unknown entry is", async () => {
  const h = await host(TRAPS);
  assert.equal(h.call(3, Entry.INIT, FUEL), Fault.NONE);
  assert.equal(h.call(3, 9, FUEL), Fault.TRAP);
});

test("svc_write then svc_read copy between kernel and service memory", async () => {
  const kernel = new Uint8Array(PAGE);
  const h = await host(LOGS, 4, () => 0, kernel);
  kernel.set([1, 2, 3, 4], 100);
  assert.equal(h.write(3, PAGE - 4, 100, 4), 0);
  assert.equal(h.read(3, PAGE - 4, 200, 4), 0);
  assert.deepEqual([...kernel.subarray(200, 204)], [1, 2, 3, 4]);
});

test("svc_write and svc_read reach the pages a service grew its memory by", async () => {
  const kernel = new Uint8Array(PAGE);
  const h = await host(GROWS(1, 2), 8, () => 0, kernel);
  assert.equal(h.write(3, PAGE - 4, 100, 4), 0, "before the grow");
  assert.equal(h.write(3, PAGE, 100, 4), -Errno.EFAULT, "past its one page");
  assert.equal(h.call(3, Entry.EVENT, FUEL), Fault.MEMORY, "grows to 2 pages, then traps");
  kernel.set([5, 6, 7, 8], 100);
  assert.equal(h.write(3, 2 * PAGE - 4, 100, 4), 0, "into the second page");
  assert.equal(h.read(3, 2 * PAGE - 4, 200, 4), 0);
  assert.deepEqual([...kernel.subarray(200, 204)], [5, 6, 7, 8]);
  assert.deepEqual([...h.memoryOf(3)!.subarray(2 * PAGE - 4)], [5, 6, 7, 8]);
});

test("svc_read and svc_write refuse ranges outside either memory, negatives included", async () => {
  const h = await host(LOGS);
  const EFAULT = -Errno.EFAULT;
  assert.equal(h.read(3, PAGE - 3, 0, 4), EFAULT, "past the service's memory");
  assert.equal(h.read(3, 0, PAGE - 3, 4), EFAULT, "past the kernel's memory");
  assert.equal(h.write(3, PAGE - 3, 0, 4), EFAULT, "past the service's memory");
  assert.equal(h.write(3, 0, PAGE - 3, 4), EFAULT, "past the kernel's memory");
  assert.equal(h.read(3, -1, 0, 1), EFAULT, "negative source");
  assert.equal(h.read(3, 0, 0, -1), EFAULT, "negative length");
  assert.equal(h.read(3, 0, 0, 0), 0, "an empty copy is fine");
  h.stop(3);
  assert.equal(h.read(3, 0, 0, 1), EFAULT, "a stopped service has no memory");
});

test("a module the loader refuses starts as BAD_MODULE and says why", async () => {
  const h = new ServiceHost();
  h.attach({ sys: () => 0, bytes: new Uint8Array(PAGE) });
  assert.equal(await h.add(1, Uint8Array.from([0, 1, 2]), NAME, 4), false);
  assert.equal(h.start(1), Fault.BAD_MODULE);
  assert.match(h.faultMessage(1), /^module refused: service echo\.sabz\.city/);
  assert.equal(h.start(2), Fault.BAD_MODULE, "an id never added");
});

test("calling a stopped service is a fault, not an exception", async () => {
  const h = await host(TRAPS);
  h.stop(3);
  assert.equal(h.running(3), false);
  assert.equal(h.call(3, Entry.EVENT, FUEL), Fault.TRAP);
  assert.equal(h.start(3), Fault.NONE);
  assert.equal(h.running(3), true);
});

test("store slots: svc_load gives the lowest free slot of a module by SHA-256, svc_unload frees it, svc_ram checks the ceiling", async () => {
  const TWO = eventService([], { min: 2 });     // a module whose memory starts at 2 pages
  const h = new ServiceHost();
  h.attach({ sys: () => 0, bytes: new Uint8Array(PAGE) });
  assert.equal(await h.addStore(3, TWO, "store[0]", 8, 2), null);
  const req = (bytes: Uint8Array, free: number, ram: number, name = "x.sabz.city") =>
    svcLoadRequest(createHash("sha256").update(bytes).digest(), free, ram, name);
  assert.equal(h.load(req(TRAPS, 0xffff, 4)), -Errno.ENOENT, "a module not in the store");
  assert.equal(h.load(req(TWO, 0xffff, 9)), -Errno.ENOSPC, "more RAM than the entry's ceiling");
  assert.equal(h.load(req(TWO, 0xffff, 1)), -Errno.EINVAL, "less RAM than the module's initial memory");
  assert.equal(h.load(req(TWO, 1 << 4, 4)), 4, "the kernel's mask decides which slot is free");
  assert.equal(h.load(req(TWO, 0xffff, 4)), 3, "the lowest free slot");
  assert.equal(h.load(req(TWO, 0xffff, 4)), -Errno.ENOSPC, "both slots taken");
  assert.equal(h.start(3), Fault.NONE);
  assert.equal(h.ram(3).maxPages, 4);
  assert.deepEqual([h.setRam(3, 9), h.setRam(3, 1), h.setRam(3, 8)], [-Errno.ENOSPC, -Errno.EINVAL, 0]);
  assert.equal(h.ram(3).maxPages, 8, "the new max, for its next start");
  h.unload(3);
  assert.equal(h.running(3), false);
  assert.equal(h.load(req(TWO, 0xffff, 4)), 3, "an unloaded slot is free again");
});
