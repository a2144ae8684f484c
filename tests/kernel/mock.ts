// What a kernel unit test can ask the mock host (tests/kernel/mock-host.mjs): the frames
// the kernel handed to nic_send, copied back into a buffer of the test's, and log lines.
@external("mock", "frame_count") export declare function frameCount(): i32;
@external("mock", "frame_nic") export declare function frameNic(i: i32): i32;
@external("mock", "frame_len") export declare function frameLen(i: i32): i32;
@external("mock", "frame_copy") export declare function frameCopy(i: i32, ptr: usize): void;
@external("mock", "frames_clear") export declare function framesClear(): void;
@external("mock", "log_count") export declare function logCount(): i32;
@external("mock", "log_copy") declare function logCopy(i: i32, ptr: usize): i32;

const LINE: usize = memory.data(1024, 8);

/** The kernel's last log line ("" if none). */
export function lastLog(): string {
  let n = logCount();
  if (n == 0) return "";
  let len = logCopy(n - 1, LINE);
  return String.UTF8.decodeUnsafe(LINE, <usize>len);
}
