// Packet capture (issue #18): the kernel reports what it saw and sent to the host's
// `capture` import, at the points of abi/capture.ts, once a host turned them on with
// k_capture. Off by default. A capture point in the packet path is one test of
// `capturing` (a global load and a branch) while capture is off; on or off, nothing is
// copied or allocated for a capture: the host reads the bytes where they lie, during the
// call. The kernel filters by NIC and service itself, so a capture of one service costs
// the others no host crossing.
// Does not time-stamp, buffer or format anything (the host does, spec/abi.md "Packet
// capture"). Called by main.ts (k_capture), net/input.ts (RX), net/egress.ts (TX),
// svc/queue.ts (DELIVER), svc/syscall.ts (SEND) and stats.ts (every drop with bytes).
import { CapturePoint, CAPTURE_ALL, CAPTURE_NONE } from "../abi/capture";
import { Errno } from "../abi/errno";
import { NIC_MAX, SVC_MAX } from "./param";
import { host_capture } from "../abi/gen/host";

/** The points being captured, a bit per CapturePoint; 0 while capture is off. */
export let capturing: u32 = 0;
let onlyNic: i32 = CAPTURE_NONE;   // CAPTURE_NONE: records of any NIC, or of none
let onlySvc: i32 = CAPTURE_NONE;

/** k_capture: the points of mask, for records naming nic and svc (CAPTURE_NONE: any).
 *  0, or -EINVAL (unknown points, an id out of range) with nothing changed. */
export function captureSet(mask: i32, nic: i32, svc: i32): i32 {
  if ((mask & ~CAPTURE_ALL) != 0) return -Errno.EINVAL;
  if (nic != CAPTURE_NONE && <u32>nic >= <u32>NIC_MAX) return -Errno.EINVAL;
  if (svc != CAPTURE_NONE && <u32>svc >= <u32>SVC_MAX) return -Errno.EINVAL;
  capturing = <u32>mask;
  onlyNic = nic;
  onlySvc = svc;
  return 0;
}

/** Report the len bytes at ptr, seen at point (with its NIC, service and drop reason, each
 *  CAPTURE_NONE when it has none), if that point is on and the record passes the filter.
 *  Callers test `capturing != 0` first, so that a point costs nothing more while off. */
export function capture(point: CapturePoint, nic: i32, svc: i32, reason: i32, ptr: usize, len: i32): void {
  if ((capturing & (1 << <u32>point)) == 0) return;
  if (onlyNic != CAPTURE_NONE && nic != onlyNic) return;
  if (onlySvc != CAPTURE_NONE && svc != onlySvc) return;
  host_capture(<i32>point, nic, svc, reason, <i32>ptr, len);
}
