// The mock host for kernel unit tests: implements module "persia_host" (abi/contract.ts
// HOST_IMPORTS) in memory, deterministically. Frames the kernel sends are kept and can be
// copied back into the kernel's memory by the test through module "mock" (see
// tests/kernel/mock.ts). Services are absent: svc_start succeeds (or returns what mock.svc_start_next set), and svc_call does nothing
// but record which service it called and the fuel budget it was given, and return the fault
// (and report the fuel use) a test scripted through mock.svc_next (none and 0 by default).
// A service has no memory and a disk no bytes (svc_read/svc_write say -EFAULT, disk I/O
// -EIO) until a test gives them some through mock.svc_memory and mock.disk; then the test
// reads and writes them with svc_put/svc_get and disk_put/disk_get, and disk_calls counts
// the host's disk calls, so a test can tell that a refused syscall touched nothing.
// PUT's host side (mod_*) refuses with -ENOTSUP until a test sets mock.mod_mode; then it
// stages in memory, and mod_count tells writes, commits, aborts and slots staged.
// USB (usb_submit, usb_cancel): every call is kept (an OUT transfer's bytes copied as the
// contract says, before returning), and usb_submit answers what mock.usb_next set (0).
// nic_send_gso's super-frames are kept with the frames, each with its gso_size (0 for
// nic_send's), unless mock.gso_next made it answer an error.
// Every capture() call is kept (point, nic, svc, reason and a copy of the bytes) for the
// test to read back through capture_*.
// Memory is reached through the instance's exports, so nothing here may run before bind():
// the kernel only calls the host after _start, from a test.
import { createRequire } from "module";
// The contract's constants, from the build (npm run build:ts compiles abi/ before any spec runs).
const { SL_FREE, SL_FREE_BYTES } = createRequire(import.meta.url)("../../build/ts/abi/control.js");

export function mockHost() {
  let exports = null;
  const frames = [];
  const captures = [];
  const logs = [];
  let seed = 1;
  const svc = { fault: 0, startFault: 0, used: 0n, given: -1n, calls: 0, called: [], during: false };
  const svcMem = new Map();    // service id → its memory, once a test gives it one
  const disks = new Map();     // disk id → its bytes, once a test gives it one
  let diskCalls = 0;           // disk_read, disk_write and disk_flush calls that reached a disk
  // PUT's store (mod_*): what mod_stage answers, the staged bytes per slot, the bytes a held
  // module has, and how many writes, commits and aborts reached it.
  const mods = { mode: -20, staged: new Map(), held: new Uint8Array(0), writes: 0, commits: 0, aborts: 0 };
  const usb = { next: 0, submits: [], cancels: [] };
  let gsoAnswer = 0;           // what nic_send_gso answers (mock.gso_next)
  let gsoCalls = 0;            // nic_send_gso calls, answered anything
  let sendFails = 0;           // nic_send calls still to answer -EIO (mock.send_fail)
  const mem = () => new Uint8Array(exports.memory.buffer);
  const inside = (m, at, len) => m !== undefined && at >= 0 && len >= 0 && at + len <= m.length;
  /** Copy len bytes between a mock buffer m at `at` and kernel memory at ptr; -1 if out of range. */
  const copyOut = (m, at, ptr, len) => { if (!inside(m, at, len)) return -1; mem().set(m.subarray(at, at + len), ptr); return 0; };
  const copyIn = (m, at, ptr, len) => { if (!inside(m, at, len)) return -1; m.set(mem().subarray(ptr, ptr + len), at); return 0; };
  const imports = {
    persia_host: {
      log(level, ptr, len) {
        const line = new TextDecoder().decode(mem().slice(ptr, ptr + len));
        logs.push(line);
        if (process.env.PERSIA_TEST_LOG) console.log(`[kernel ${level}] ${line}`);
      },
      random(ptr, len) {
        const m = mem();
        for (let i = 0; i < len; i++) { seed = (seed * 1103515245 + 12345) >>> 0; m[ptr + i] = seed >>> 24; }
      },
      nic_send(nic, ptr, len) {
        if (sendFails > 0) { sendFails--; return -5; }   // mock.send_fail: -EIO, not kept
        frames.push({ nic, bytes: mem().slice(ptr, ptr + len), gso: 0 });
        return 0;
      },
      // A super-frame is kept as a frame with its gso_size (mock.frame_gso), and answered what
      // mock.gso_next set: 0 by default, -20 (ENOTSUP) for a host that takes none (then not kept).
      nic_send_gso(nic, ptr, len, gso) {
        gsoCalls++;
        if (gsoAnswer === 0) frames.push({ nic, bytes: mem().slice(ptr, ptr + len), gso });
        return gsoAnswer;
      },
      // mock.svc_during(true) also reaches a start: the spec's export duringStart(id), if it
      // has one, runs from inside svc_start (a start function acting on the kernel) before
      // the start's scripted fault (mock.svc_start_next, none by default) is returned.
      svc_start(id) {
        if (svc.during && exports.duringStart) exports.duringStart(id);
        return svc.startFault;
      },
      svc_stop() {},
      // A run-time LOAD gets the lowest free id in the kernel's mask (abi/control.ts SL_FREE).
      // The mask is SVC_MAX bits, 32 to a little-endian word (abi/control.ts SL_FREE).
      svc_load(ptr) {
        const v = new DataView(exports.memory.buffer);
        for (let w = 0; w < SL_FREE_BYTES / 4; w++) {
          const free = v.getUint32(ptr + SL_FREE + 4 * w, true);
          if (free !== 0) return 32 * w + 31 - Math.clz32(free & -free);
        }
        return -7;
      },
      svc_unload() {},
      module_read() { return -2; },
      svc_ram() { return 0; },
      // By default a host that takes no module at run time (-ENOTSUP), as the wasmtime
      // image; after mock.mod_mode(0) a store in memory (mod_mode(1): it holds every module).
      mod_stage(slot, hash, size) {
        if (mods.mode < 0) return mods.mode;
        mods.staged.set(slot, mods.mode === 1 ? mods.held.slice(0, size) : new Uint8Array(size));
        return mods.mode;
      },
      mod_write(slot, off, ptr, len) { mods.writes++; return copyIn(mods.staged.get(slot), off, ptr, len) < 0 ? -4 : 0; },
      mod_read(slot, off, ptr, len) { return copyOut(mods.staged.get(slot), off, ptr, len) < 0 ? -4 : len; },
      mod_commit(slot) { if (!mods.staged.has(slot)) return -4; mods.commits++; mods.staged.delete(slot); return 0; },
      mod_abort(slot) { if (mods.staged.delete(slot)) mods.aborts++; },
      svc_call(id, _entry, fuel) {
        svc.calls++; svc.called.push(id); svc.given = fuel;
        // mock.svc_during(true): the service acts on the kernel from inside its call (as a
        // service's control message can: UNLOAD itself, a GRANT that restarts it), through
        // the spec's own export duringCall(id), before the scripted fault is returned.
        if (svc.during) exports.duringCall(id);
        return svc.fault;
      },
      svc_fuel_used() { return svc.used; },
      svc_read(id, src, dst, len) { return copyOut(svcMem.get(id), src, dst, len) < 0 ? -8 : 0; },
      svc_write(id, dst, src, len) { return copyIn(svcMem.get(id), dst, src, len) < 0 ? -8 : 0; },
      disk_read(d, off, ptr, len) {
        if (!disks.has(d)) return -12;
        diskCalls++;
        return copyOut(disks.get(d), Number(off), ptr, len) < 0 ? -12 : len;
      },
      disk_write(d, off, ptr, len) {
        if (!disks.has(d)) return -12;
        diskCalls++;
        return copyIn(disks.get(d), Number(off), ptr, len) < 0 ? -12 : len;
      },
      disk_flush(d) { if (disks.has(d)) diskCalls++; return 0; },
      usb_submit(dev, xfer, ep, kind, setup, ptr, len, timeout) {
        usb.submits.push({ dev, xfer, ep, kind, setup, len, timeout, bytes: mem().slice(ptr, ptr + len) });
        return usb.next;
      },
      usb_cancel(dev, xfer) { usb.cancels.push({ dev, xfer }); },
      capture(point, nic, svc, reason, ptr, len) { captures.push({ point, nic, svc, reason, bytes: mem().slice(ptr, ptr + len) }); },
    },
    mock: {
      svc_next(fault, used) { svc.fault = fault; svc.used = used; },
      svc_during(on) { svc.during = on !== 0; },
      svc_start_next(fault) { svc.startFault = fault; },
      svc_fuel_given() { return svc.given; },
      svc_calls() { return svc.calls; },
      svc_called(i) { return svc.called[i] ?? -1; },
      frame_count() { return frames.length; },
      frame_nic(i) { return frames[i] ? frames[i].nic : -1; },
      frame_len(i) { return frames[i] ? frames[i].bytes.length : -1; },
      frame_copy(i, ptr) { if (frames[i]) mem().set(frames[i].bytes, ptr); },
      frames_clear() { frames.length = 0; },
      frame_gso(i) { return frames[i] ? frames[i].gso : -1; },
      gso_next(r) { gsoAnswer = r; },
      gso_calls() { return gsoCalls; },
      send_fail(n) { sendFails = n; },
      capture_count() { return captures.length; },
      capture_field(i, which) { const c = captures[i]; return c ? [c.point, c.nic, c.svc, c.reason, c.bytes.length][which] : -2; },
      capture_copy(i, ptr) { if (captures[i]) mem().set(captures[i].bytes, ptr); },
      captures_clear() { captures.length = 0; },
      svc_memory(id, size) { svcMem.set(id, new Uint8Array(size)); },
      svc_put(id, at, ptr, len) { return copyIn(svcMem.get(id), at, ptr, len); },
      svc_get(id, at, ptr, len) { return copyOut(svcMem.get(id), at, ptr, len); },
      disk(d, size) { disks.set(d, new Uint8Array(size)); },
      disk_put(d, at, ptr, len) { return copyIn(disks.get(d), at, ptr, len); },
      disk_get(d, at, ptr, len) { return copyOut(disks.get(d), at, ptr, len); },
      disk_calls() { return diskCalls; },
      mod_mode(mode) { mods.mode = mode; },
      mod_hold(ptr, len) { mods.held = mem().slice(ptr, ptr + len); },
      mod_count(which) { return [mods.writes, mods.commits, mods.aborts, mods.staged.size][which]; },
      usb_next(r) { usb.next = r; },
      usb_submits() { return usb.submits.length; },
      usb_submit_field(i, which) { const u = usb.submits[i]; return u ? [u.dev, u.xfer, u.ep, u.kind, u.len, u.timeout][which] : -1; },
      usb_submit_setup(i) { const u = usb.submits[i]; return u ? u.setup : -1n; },
      usb_submit_copy(i, ptr) { const u = usb.submits[i]; if (u) mem().set(u.bytes, ptr); },
      usb_cancels() { return usb.cancels.length; },
      usb_cancel_field(i, which) { const c = usb.cancels[i]; return c ? [c.dev, c.xfer][which] : -1; },
      usb_clear() { usb.submits.length = 0; usb.cancels.length = 0; },
      log_count() { return logs.length; },
      log_copy(i, ptr) {
        const b = new TextEncoder().encode(logs[i] ?? "");
        mem().set(b, ptr);
        return b.length;
      },
    },
  };
  return { imports, bind(instance) { exports = instance.exports; } };
}
