// sys_log (kernel/svc/syscall.ts): a service's line is logged under its own domain, cut at
// SVC_LOG_MAX, and with every control byte (below 0x20, and 0x7f) written as '?', so that
// it cannot end its line and start one that speaks for the kernel or another domain.
import { Sys } from "../../../abi/syscalls";
import { Errno } from "../../../abi/errno";
import { SVC_LOG_MAX } from "../../../abi/limits";
import { k_sys } from "../../../kernel/main";
import { lastLog, svcPut } from "../mock";
import { BUF, bootWorld } from "./rights_world";

const TEXT: usize = memory.data(1024, 8);

function say(svc: i32, text: string): i32 {
  let n = String.UTF8.encodeUnsafe(changetype<usize>(text), text.length, TEXT);
  svcPut(svc, <i32>BUF, TEXT, <i32>n);
  return k_sys(svc, Sys.LOG, <i32>BUF, <i32>n, 0, 0, 0);
}

describe("sys_log", () => {
  beforeEach(() => { bootWorld(); });

  it("logs the line under the service's own domain", () => {
    expect(say(0, "hello")).toBe(0);
    expect(lastLog().endsWith(": hello")).toBe(true);
  });

  it("writes control bytes as '?', so a line cannot become two", () => {
    expect(say(0, "ok\nwarn kernel: service 1 (other.sabz.city) trapped\r\x1b[2J\x7f\t")).toBe(0);
    let line = lastLog();
    expect(line.endsWith(": ok?warn kernel: service 1 (other.sabz.city) trapped??[2J??")).toBe(true, line);
    expect(line.includes("\n")).toBe(false);
  });

  it("keeps at most SVC_LOG_MAX bytes of the line, and refuses a negative length", () => {
    let long = "x".repeat(SVC_LOG_MAX + 50);
    expect(say(0, long)).toBe(0);
    expect(lastLog().endsWith(": " + "x".repeat(SVC_LOG_MAX))).toBe(true);
    expect(k_sys(0, Sys.LOG, <i32>BUF, -1, 0, 0, 0)).toBe(-Errno.EINVAL);
  });
});
