// The mock host for kernel unit tests: implements module "persia_host" (abi/contract.ts
// HOST_IMPORTS) in memory, deterministically. Frames the kernel sends are kept and can be
// copied back into the kernel's memory by the test through module "mock" (see
// tests/kernel/mock.ts). Services are absent: svc_start succeeds, and svc_call does nothing
// but record the fuel budget it was given and return the fault (and report the fuel use)
// a test scripted through mock.svc_next (none and 0 by default).
// Memory is reached through the instance's exports, so nothing here may run before bind():
// the kernel only calls the host after _start, from a test.
export function mockHost() {
  let exports = null;
  const frames = [];
  const logs = [];
  let seed = 1;
  const svc = { fault: 0, used: 0n, given: -1n, calls: 0 };
  const mem = () => new Uint8Array(exports.memory.buffer);
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
      nic_send(nic, ptr, len) { frames.push({ nic, bytes: mem().slice(ptr, ptr + len) }); return 0; },
      svc_start() { return 0; },
      svc_stop() {},
      // A run-time LOAD gets the lowest free id in the kernel's mask (abi/control.ts SL_FREE).
      svc_load(ptr) { const free = new DataView(exports.memory.buffer).getUint32(ptr + 32, true); return free === 0 ? -7 : 31 - Math.clz32(free & -free); },
      svc_unload() {},
      svc_ram() { return 0; },
      svc_call(_svc, _entry, fuel) { svc.calls++; svc.given = fuel; return svc.fault; },
      svc_fuel_used() { return svc.used; },
      svc_read() { return -8; },
      svc_write() { return -8; },
      disk_read() { return -12; },
      disk_write() { return -12; },
      disk_flush() { return 0; },
    },
    mock: {
      svc_next(fault, used) { svc.fault = fault; svc.used = used; },
      svc_fuel_given() { return svc.given; },
      svc_calls() { return svc.calls; },
      frame_count() { return frames.length; },
      frame_nic(i) { return frames[i] ? frames[i].nic : -1; },
      frame_len(i) { return frames[i] ? frames[i].bytes.length : -1; },
      frame_copy(i, ptr) { if (frames[i]) mem().set(frames[i].bytes, ptr); },
      frames_clear() { frames.length = 0; },
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
