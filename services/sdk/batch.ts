// Many packets per syscall (issue #17): recv_many fills IN with every queued packet that
// fits, as records (abi/kernel.ts REC_*), and send_many routes the records put in OUT,
// one crossing into the kernel each way instead of one per packet. A service drains with
// fill() and next(), answers with put() (a copy into OUT) or reply() (in place in IN, no
// copy), and ends its event with flush().
// Records are read only after checking that each lies inside what recv_many wrote: the
// kernel lays them out, but a service trusts no length it did not check.
// Used by echo; recv and send (ingress.ts) keep working beside it.
import { REC_LEN, REC_HDR, SYS_BATCH_SIZE } from "../../abi/kernel";
import { recSize } from "../../abi/gen/records";
import { MTU_MAX } from "../../abi/limits";
import { sys_recv_many, sys_send_many } from "../../abi/gen/persia";

/** Bytes in each of IN and OUT: a largest packet's record (9004) fits, and both with the
 *  rest of a small service fit its first 64 KiB page (the kernel moves at most
 *  SYS_BATCH_SIZE per call; less is always allowed). */
export const BYTES: i32 = 16384;
export const IN: usize = memory.data(BYTES, 8);
export const OUT: usize = memory.data(BYTES, 8);

let inEnd = 0;      // bytes of IN that recv_many wrote (its records)
let inLeft = 0;     // records of them not yet read by next()
let inOff = 0;      // where the next record starts
let outOff = 0;     // bytes of OUT put() filled
let cur = 0;        // where the record next() returned starts, and its length
let curLen = 0;
let keep = 0;       // bytes at the start of IN holding reply() records (never past cur)
let cut = false;    // next() stopped at a record that ran past what recv_many wrote
/** The packet next() returned, and its length. */
export let at: usize = 0;

/** Receive a batch into IN: how many packets, 0 when the queue is drained (or on any
 *  error, which a retry would only repeat). */
export function fill(): i32 {
  if (keep > 0) flush();
  let n = sys_recv_many(<i32>IN, BYTES);
  inOff = 0;
  inEnd = BYTES;
  inLeft = n < 0 ? 0 : n;
  cut = false;
  return inLeft;
}

/** The next packet of the batch: its length (its bytes at `at`), or -1 when the batch is done. */
export function next(): i32 {
  if (inLeft == 0 || inOff > inEnd - REC_HDR) return -1;
  let len = <i32>load<u16>(IN + <usize>(inOff + REC_LEN));
  if (len > inEnd - inOff - REC_HDR) { inLeft = 0; cut = true; return -1; }
  at = IN + <usize>(inOff + REC_HDR);
  cur = inOff;
  curLen = len;
  inOff += recSize(len);
  inLeft--;
  return len;
}

/** True when the batch next() has just read to its end took every packet that was queued:
 *  recv_many stops only at the end of the queue or at a packet that does not fit (spec/
 *  abi.md), so if a largest packet's record would still have fitted, the queue was empty.
 *  A service may then end its event without one more recv_many that would only say EAGAIN
 *  (a crossing each way): a packet that arrives later wakes it again. False whenever in
 *  doubt (the batch not read to its end, or full). */
export function drained(): bool {
  return inLeft == 0 && !cut && inOff + recSize(MTU_MAX) <= min(BYTES, SYS_BATCH_SIZE);
}

/** Queue the len-byte packet at p for the next flush (flushing first when OUT is full);
 *  false if it cannot fit a batch at all. */
export function put(p: usize, len: i32): bool {
  let size = recSize(len);
  if (len <= 0 || size > BYTES) return false;
  if (outOff + size > BYTES) flush();
  let r = OUT + <usize>outOff;
  store<u32>(r, <u32>len << 16);               // nic 0, len (little-endian u16 pair)
  memory.copy(r + REC_HDR, p, <usize>len);
  outOff += size;
  return true;
}

/** Answer the packet next() last returned with the len bytes now at `at` (it was turned
 *  around there; len no more than its length): its record stays in IN, moved down over
 *  the records not answered, and goes out at the next flush() or fill(), with no copy
 *  into OUT. False if len does not fit the record (then nothing is queued). Once per
 *  packet: a second call for the same packet is refused. `at` then points at the packet where
 *  it moved. */
export function reply(len: i32): bool {
  if (len <= 0 || len > curLen) return false;
  let r = IN + <usize>keep;
  store<u32>(r, <u32>len << 16);               // nic 0, len (little-endian u16 pair)
  if (keep != cur) memory.copy(r + REC_HDR, at, <usize>len);
  at = r + REC_HDR;                            // the packet moved: `at` follows it
  keep += recSize(len);
  curLen = 0;
  return true;
}

/** send_many the records between p and p + n: records up to and including the first packet
 *  it refuses (counted by the kernel), or until the service's share of buffers runs out, so
 *  the rest goes in further calls until all are taken or one fails. The records taken, or
 *  the -Errno that stopped the first call (what could not be sent is then dropped). */
function sendAll(p: usize, n: i32): i32 {
  let done = 0, off = 0;
  while (off < n) {
    let r = sys_send_many(<i32>(p + <usize>off), n - off);
    if (r <= 0) { if (done == 0) done = r; break; }
    for (let i = 0; i < r && off < n; i++) off += recSize(<i32>load<u16>(p + <usize>off + REC_LEN));
    done += r;
  }
  return done;
}

/** Send what put() queued, then what reply() kept in IN: the records taken, or the -Errno
 *  that stopped the first call (see sendAll). */
export function flush(): i32 {
  let done = 0;
  if (outOff > 0) done = sendAll(OUT, outOff);
  outOff = 0;
  if (keep > 0) {
    let r = sendAll(IN, keep);
    keep = 0;
    done = done < 0 ? done : (r < 0 ? (done > 0 ? done : r) : done + r);
  }
  return done;
}
