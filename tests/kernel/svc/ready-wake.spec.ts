// The scheduler's ready set (kernel/svc/ready.ts) against two ways it could go wrong: a wake
// flag left behind with nothing to call the service for, and the owed fuel kept as it changes.
import { Fault } from "../../../abi/kernel";
import { Sys } from "../../../abi/syscalls";
import { CAPTURE_NONE } from "../../../abi/capture";
import { SVC_MAX } from "../../../abi/limits";
import { CPU_PERIOD_FUEL, CPU_PERIOD_MS, CPU_SHARE_MAX } from "../../../abi/limits";
import { setNow } from "../../../kernel/clock";
import { k_poll, k_sys } from "../../../kernel/main";
import { setBits } from "./ready_count";
import { svcDeliver } from "../../../kernel/svc/queue";
import { pktAlloc, pktSetLen } from "../../../kernel/pool";
import { cpuGrant, cpuCharge, cpuTick, cpuOwed, cpuUsed, cpuMinPermille, cpuReset } from "../../../kernel/svc/cpu";
import { mfStart, mfEnd, mfNode, mfService } from "../manifest";
import { bootFrom } from "../drive";
import { svcNext, svcCalls, svcMemory } from "../mock";

const M: usize = memory.data(8192, 16);
const T0: i64 = 1000;

describe("a service that received, during its own call, a packet it sent itself", () => {
  it("does not keep the node polling at once when nothing is left to call it for", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    mfService(0, "a.sabz.city");
    expect(bootFrom(M, mfEnd(), T0)).toBe(0);
    svcNext(Fault.NONE, 1);
    k_poll(T0);
    expect(setBits()).toBe(0);
    svcMemory(0, 65536);
    // What a call of service 0 leaves behind when it sends to its own address and reads
    // the packet back in the same call (svcWoken was cleared before the call):
    let p = pktAlloc();
    pktSetLen(p, 40);
    expect(svcDeliver(0, p, CAPTURE_NONE)).toBe(0);
    expect(k_sys(0, Sys.RECV, 0, 2048, 0, 0, 0)).toBe(40);
    let before = svcCalls();
    k_poll(T0 + 1);                         // finds nothing to do for it, and forgets the wake
    for (let i = 2; i <= 5; i++) {
      expect(k_poll(T0 + i)).not.toBe(T0 + i, "no \"poll again now\" with nothing to do");
    }
    expect(svcCalls()).toBe(before);        // nobody is called
    expect(setBits()).toBe(0);              // and the ready bit is cleared
  });
});

describe("the owed fuel kept as it changes", () => {
  it("matches the sum over every service after 20,000 seeded grants, charges and periods", () => {
    let seed: u32 = 12345;
    let t: i64 = 5_000_000;
    setNow(t); cpuReset(); cpuTick();
    let bad = 0;
    for (let step = 0; step < 20000; step++) {
      seed = seed * 1664525 + 1013904223;
      let svc = <i32>((seed >> 8) % <u32>SVC_MAX);
      let op = (seed >> 28) & 3;
      if (op == 0) { let mn = <i32>((seed >> 4) % 30); cpuGrant(svc, mn, mn + <i32>((seed >> 12) % 100)); }
      else if (op == 1 || op == 2) cpuCharge(svc, <i64>((seed >> 3) % 20_000_000));
      else if ((seed & 255) == 0) { t += CPU_PERIOD_MS; setNow(t); cpuTick(); }
      let o: i64 = 0;
      if ((step & 63) == 0) {
        for (let s = 0; s < SVC_MAX; s++) {
          let d = <i64>CPU_PERIOD_FUEL * cpuMinPermille(s) / CPU_SHARE_MAX - cpuUsed[s];
          if (d > 0) o += d;
        }
        if (o != cpuOwed()) bad++;
      }
    }
    expect(bad).toBe(0);
  });
});
