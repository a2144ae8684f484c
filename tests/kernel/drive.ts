// Drives the kernel through its exports (kernel/main.ts) the way a host does: a frame is
// copied into Buf.RX before k_rx, a manifest into Buf.BOOT before k_boot, and what the
// kernel transmitted is read back from the mock host (tests/kernel/mock-host.mjs), which
// recorded each nic_send. For the end-to-end specs; unit specs call modules directly.
import { Buf } from "../../abi/kernel";
import { Drop } from "../../abi/drop";
import { k_buf, k_rx, k_boot } from "../../kernel/main";
import { drops } from "../../kernel/stats";
import { frameCount, frameNic, frameLen, frameCopy } from "./mock";
import { rd16 } from "./frames";

const SENT: usize = memory.data(16384, 16);

/** Receive the len-byte frame at f on nic, at time t (0: the kernel's clock stays). */
export function rx(nic: i32, f: usize, len: i32, t: i64 = 0): void {
  memory.copy(<usize>k_buf(Buf.RX), f, <usize>len);
  k_rx(nic, len, t);
}

/** Boot from the len-byte manifest at p, at time t. */
export function bootFrom(p: usize, len: i32, t: i64): i32 {
  memory.copy(<usize>k_buf(Buf.BOOT), p, <usize>len);
  return k_boot(len, t);
}

/** The i-th frame the kernel sent, copied into a buffer of the test's (zeros if none). */
export function sent(i: i32): usize {
  memory.fill(SENT, 0, 16384);
  if (i < frameCount()) frameCopy(i, SENT);
  return SENT;
}
export function sentLen(i: i32): i32 { return frameLen(i); }
export function sentNic(i: i32): i32 { return frameNic(i); }

/** How many of the frames sent so far carry an ICMPv6 message of this type right after
 *  the IPv6 header (neighbor probes and the like are not counted). */
export function sentIcmp(type: u32): i32 {
  let n = 0;
  for (let i = 0; i < frameCount(); i++) {
    let f = sent(i);
    if (rd16(f + 12) == 0x86dd && load<u8>(f + 20) == 58 && <u32>load<u8>(f + 54) == type) n++;
  }
  return n;
}

/** The kernel's counter for one drop reason (kernel/stats.ts). */
export function dropped(reason: Drop): u64 { return drops[<i32>reason]; }
