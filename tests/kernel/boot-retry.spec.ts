// kernel/boot.ts: "a bad record refuses the whole boot". A refused manifest must leave no
// trace, so that the host can boot the corrected manifest on the same kernel; a booted
// kernel refuses a second boot. Kept apart from boot.spec.ts because it needs a fresh
// instance.
import { Errno } from "../../abi/errno";
import { Buf } from "../../abi/kernel";
import { k_boot, k_buf, k_poll, k_rx } from "../../kernel/main";
import { frameCount } from "./mock";
import { booted } from "../../kernel/boot";
import { mfStart, mfEnd, mfNode, mfNic, mfPrefix, mfService, mfSvcAddr } from "./manifest";

const M: usize = memory.data(1024, 16);

function build(dup: bool): i32 {
  mfStart(M);
  mfNode(0, "n1.test");
  mfNic(0, 1500, "02:00:00:00:00:01");
  mfPrefix(0, 64, "fd00:1::");
  mfService(0, "echo.n1.test");
  mfSvcAddr(0, "fd00:1::7");
  if (dup) mfSvcAddr(0, "fd00:1::7");
  let n = mfEnd();
  memory.copy(<usize>k_buf(Buf.BOOT), M, <usize>n);
  return n;
}

describe("a refused boot", () => {
  it("is refused at its last record", () => {
    expect(k_boot(build(true), 1000)).toBe(-Errno.EBADMSG);
    expect(booted).toBe(false);
  });
  it("leaves a kernel that ignores frames and polls until it boots", () => {
    expect(k_poll(2000)).toBe(-1);
    k_rx(0, 60, 0);
    expect(k_poll(3000)).toBe(-1);
    expect(frameCount()).toBe(0);
  });
  it("leaves nothing behind: the corrected manifest then boots", () => {
    expect(k_boot(build(false), 1000)).toBe(0);
    expect(booted).toBe(true);
  });
  it("a booted kernel refuses a second boot", () => {
    expect(k_boot(build(false), 1000)).toBe(-Errno.EINVAL);
  });
});
