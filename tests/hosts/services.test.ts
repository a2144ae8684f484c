// ServiceHost on hand-built service modules with a fake kernel: each exception a service
// can raise becomes its Fault (trap, stack, memory, abort) and never escapes svc_call; a
// kernel failure inside a syscall does escape; syscalls reach k_sys with the service id,
// the syscall number and zero padding; svc_read/svc_write copy and refuse out-of-range
// ranges on both sides; a refused module reports BAD_MODULE.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Errno } from "../../abi/errno";
import { Entry, Fault } from "../../abi/kernel";
import { Sys } from "../../abi/syscalls";
import { KernelTrap } from "../../hosts/node/faults";
import { KernelSide, ServiceHost } from "../../hosts/node/services";
import { ABORTS, GROWS, LOGS, RECURSES, TRAPS } from "./service_fixture";

const NAME = "echo.sabz.city";
const PAGE = 65536;

function host(bytes: Uint8Array, ramMaxPages = 4, sys: KernelSide["sys"] = () => 0, kernelBytes = new Uint8Array(PAGE)): ServiceHost {
  const h = new ServiceHost();
  h.attach({ sys, bytes: kernelBytes });
  assert.ok(h.add(3, bytes, NAME, ramMaxPages), h.faultMessage(3));
  assert.equal(h.start(3), Fault.NONE, h.faultMessage(3));
  return h;
}

test("unreachable in persia_event is a TRAP with the engine's message", () => {
  const h = host(TRAPS);
  assert.equal(h.call(3, Entry.EVENT), Fault.TRAP);
  assert.match(h.faultMessage(3), /RuntimeError: unreachable/);
  assert.equal(h.call(3, Entry.EVENT), Fault.TRAP, "the instance stays callable until the kernel restarts it");
});

test("endless recursion is a STACK fault", () => {
  assert.equal(host(RECURSES).call(3, Entry.EVENT), Fault.STACK);
});

test("a trap after memory.grow failed at the RAM max is a MEMORY fault", () => {
  assert.equal(host(GROWS(1), 3).call(3, Entry.EVENT), Fault.MEMORY);
});

test("the module's own lower memory maximum wins over the RAM max", () => {
  assert.equal(host(GROWS(1, 2), 8).call(3, Entry.EVENT), Fault.MEMORY);
});

test("a trap in a service whose memory starts at its max is a TRAP", () => {
  assert.equal(host(GROWS(2), 2).call(3, Entry.EVENT), Fault.TRAP);
});

test("env.abort is a TRAP whose message says abort", () => {
  const h = host(ABORTS);
  assert.equal(h.call(3, Entry.EVENT), Fault.TRAP);
  assert.match(h.faultMessage(3), /ServiceAbort: abort/);
});

test("a syscall reaches k_sys as (svc, nr, args..., 0 padding)", () => {
  const calls: number[][] = [];
  const h = host(LOGS, 4, (...args) => { calls.push(args); return 0; });
  assert.equal(h.call(3, Entry.INIT), Fault.NONE);
  assert.equal(h.call(3, Entry.EVENT), Fault.NONE);
  assert.deepEqual(calls, [[3, Sys.LOG, 16, 5, 0, 0, 0]]);
});

test("a kernel failure inside a syscall escapes svc_call as KernelTrap", () => {
  const h = host(LOGS, 4, () => { throw new WebAssembly.RuntimeError("unreachable"); });
  assert.throws(() => h.call(3, Entry.EVENT), KernelTrap);
});

test("a missing persia_init is not a fault; an unknown entry is", () => {
  const h = host(TRAPS);
  assert.equal(h.call(3, Entry.INIT), Fault.NONE);
  assert.equal(h.call(3, 9), Fault.TRAP);
});

test("svc_write then svc_read copy between kernel and service memory", () => {
  const kernel = new Uint8Array(PAGE);
  const h = host(LOGS, 4, () => 0, kernel);
  kernel.set([1, 2, 3, 4], 100);
  assert.equal(h.write(3, PAGE - 4, 100, 4), 0);
  assert.equal(h.read(3, PAGE - 4, 200, 4), 0);
  assert.deepEqual([...kernel.subarray(200, 204)], [1, 2, 3, 4]);
});

test("svc_read and svc_write refuse ranges outside either memory, negatives included", () => {
  const h = host(LOGS);
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

test("a module the loader refuses starts as BAD_MODULE and says why", () => {
  const h = new ServiceHost();
  h.attach({ sys: () => 0, bytes: new Uint8Array(PAGE) });
  assert.equal(h.add(1, Uint8Array.from([0, 1, 2]), NAME, 4), false);
  assert.equal(h.start(1), Fault.BAD_MODULE);
  assert.match(h.faultMessage(1), /^module refused: service echo\.sabz\.city/);
  assert.equal(h.start(2), Fault.BAD_MODULE, "an id never added");
});

test("calling a stopped service is a fault, not an exception", () => {
  const h = host(TRAPS);
  h.stop(3);
  assert.equal(h.running(3), false);
  assert.equal(h.call(3, Entry.EVENT), Fault.TRAP);
  assert.equal(h.start(3), Fault.NONE);
  assert.equal(h.running(3), true);
});
