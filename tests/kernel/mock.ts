// What a kernel unit test can ask the mock host (tests/kernel/mock-host.mjs): the frames
// the kernel handed to nic_send, copied back into a buffer of the test's, log lines, and
// what svc_call returns next (fault, fuel used) and was given (fuel budget, call count,
// which service each call was for), the memory of a service and the bytes of a disk
// once a test has given them some, the packets the kernel reported to capture(), and the
// USB transfers it started and cancelled.
@external("mock", "svc_next") export declare function svcNext(fault: i32, used: i64): void;
/** Every svc_call first calls the spec's exported duringCall(id) (a spec that uses this exports
 *  one), and every svc_start the spec's duringStart(id) if it exports one. */
@external("mock", "svc_during") export declare function svcDuring(on: bool): void;
/** The fault the next svc_starts return (none by default). */
@external("mock", "svc_start_next") export declare function svcStartNext(fault: i32): void;
@external("mock", "svc_fuel_given") export declare function svcFuelGiven(): i64;
@external("mock", "svc_calls") export declare function svcCalls(): i32;
@external("mock", "svc_called") export declare function svcCalled(i: i32): i32;
@external("mock", "frame_count") export declare function frameCount(): i32;
@external("mock", "frame_nic") export declare function frameNic(i: i32): i32;
@external("mock", "frame_len") export declare function frameLen(i: i32): i32;
@external("mock", "frame_copy") export declare function frameCopy(i: i32, ptr: usize): void;
@external("mock", "frames_clear") export declare function framesClear(): void;
/** The gso_size of the i-th frame sent: a super-frame's (nic_send_gso), 0 for nic_send's. */
@external("mock", "frame_gso") export declare function frameGso(i: i32): i32;
/** What nic_send_gso answers from now: 0 (the default) or -Errno (then it keeps nothing). */
@external("mock", "gso_next") export declare function gsoNext(r: i32): void;
/** nic_send_gso calls so far, whatever they were answered. */
@external("mock", "gso_calls") export declare function gsoCalls(): i32;
/** The next n nic_send calls answer -EIO and keep nothing. */
@external("mock", "send_fail") export declare function sendFail(n: i32): void;
@external("mock", "capture_count") export declare function captureCount(): i32;
/** Field `which` of the i-th capture() call: 0 point, 1 nic, 2 svc, 3 reason, 4 length. */
@external("mock", "capture_field") export declare function captureField(i: i32, which: i32): i32;
@external("mock", "capture_copy") export declare function captureCopy(i: i32, ptr: usize): void;
@external("mock", "captures_clear") export declare function capturesClear(): void;
@external("mock", "svc_memory") export declare function svcMemory(svc: i32, size: i32): void;
@external("mock", "svc_put") export declare function svcPut(svc: i32, at: i32, ptr: usize, len: i32): i32;
@external("mock", "svc_get") export declare function svcGet(svc: i32, at: i32, ptr: usize, len: i32): i32;
@external("mock", "disk") export declare function mockDisk(disk: i32, size: i32): void;
@external("mock", "disk_put") export declare function diskPut(disk: i32, at: i32, ptr: usize, len: i32): i32;
@external("mock", "disk_get") export declare function diskGet(disk: i32, at: i32, ptr: usize, len: i32): i32;
@external("mock", "disk_calls") export declare function diskCalls(): i32;
/** What mod_stage answers from now: -20 (ENOTSUP, the default), 0 (MS_STAGED: a store in
 *  memory) or 1 (MS_HELD: the store holds the module, whose bytes mod_hold gave). */
@external("mock", "mod_mode") export declare function modMode(mode: i32): void;
@external("mock", "mod_hold") export declare function modHold(ptr: usize, len: i32): void;
/** 0: mod_write calls, 1: commits, 2: aborts (of a staged slot), 3: slots staged now. */
@external("mock", "mod_count") export declare function modCount(which: i32): i32;
/** What usb_submit answers from now (0 by default). */
@external("mock", "usb_next") export declare function usbNext(r: i32): void;
@external("mock", "usb_submits") export declare function usbSubmits(): i32;
/** Field `which` of the i-th usb_submit call: 0 dev, 1 xfer, 2 ep, 3 kind, 4 len, 5 timeout. */
@external("mock", "usb_submit_field") export declare function usbSubmitField(i: i32, which: i32): i32;
@external("mock", "usb_submit_setup") export declare function usbSubmitSetup(i: i32): i64;
/** The bytes the i-th usb_submit copied (an OUT transfer's), to ptr. */
@external("mock", "usb_submit_copy") export declare function usbSubmitCopy(i: i32, ptr: usize): void;
@external("mock", "usb_cancels") export declare function usbCancels(): i32;
/** Field `which` of the i-th usb_cancel call: 0 dev, 1 xfer. */
@external("mock", "usb_cancel_field") export declare function usbCancelField(i: i32, which: i32): i32;
@external("mock", "usb_clear") export declare function usbClear(): void;
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
