// The scheduler's ready set (kernel/svc/ready.ts, issue #17): with many services, a poll
// looks only at those that may have work. An idle service leaves the set after its first
// poll; its timer (the TIMER syscall) puts it back, it is called when the timer is due, and
// it leaves again; a service never in the set is never called. Fails if runServices scans
// every service (the bits would never clear) or if the timer does not mark its service.
import { Fault } from "../../../abi/kernel";
import { Sys } from "../../../abi/syscalls";
import { k_poll, k_sys } from "../../../kernel/main";
import { readyBits } from "../../../kernel/svc/ready";
import { setBits } from "./ready_count";
import { mfStart, mfEnd, mfNode, mfService } from "../manifest";
import { bootFrom } from "../drive";
import { svcNext, svcCalls } from "../mock";

const M: usize = memory.data(8192, 16);
const T0: i64 = 1000;
const N = 40;   // two words of bits

describe("the ready set", () => {
  it("holds every service from boot until its first poll, then none of the idle ones", () => {
    mfStart(M);
    mfNode(0, "n1.test");
    for (let i = 0; i < N; i++) mfService(i, "s" + i.toString() + ".sabz.city");
    expect(bootFrom(M, mfEnd(), T0)).toBe(0);
    expect(setBits()).toBe(N);
    svcNext(Fault.NONE, 1);
    let before = svcCalls();
    k_poll(T0);
    expect(svcCalls() - before).toBe(N);       // each one's persia_init
    expect(setBits()).toBe(0);
    before = svcCalls();
    k_poll(T0 + 1);
    expect(svcCalls()).toBe(before);           // nobody has work: nobody is called
  });

  it("takes a service back with its timer, calls it when due, and lets it go", () => {
    expect(k_sys(33, Sys.TIMER, 5, 0, 0, 0, 0)).toBe(0);
    expect(setBits()).toBe(1);
    expect(readyBits[1]).toBe(<u32>1 << 1);
    let before = svcCalls();
    k_poll(T0 + 2);
    expect(svcCalls()).toBe(before);           // not due yet: kept, not called
    expect(setBits()).toBe(1);
    k_poll(T0 + 6);
    expect(svcCalls()).toBe(before + 1);
    k_poll(T0 + 7);
    expect(setBits()).toBe(0);
  });
});
