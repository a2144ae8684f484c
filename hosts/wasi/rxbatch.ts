// The frames one receive brings, handed to the kernel together: each is written into
// Buf.RX_BATCH as a record (abi/kernel.ts REC_*: [nic u16][len u16][bytes], padded to
// REC_ALIGN) and rxFlush gives them all in one k_rx_batch, in order, at one `now` — the
// receive's time, which every frame of it shares (spec/hosts.md). A record that would not
// fit flushes first. Does not check frames (vxlan.ts, wireguard.ts do, before rxQueue).
// Used by vxlan.ts receiveBatch and wireguard.ts wgDeliver.
import { glue_k_write, k_buf, k_buf_size, k_rx_batch } from "../../abi/gen/shim";
import { Buf, REC_NIC, REC_LEN, REC_HDR } from "../../abi/kernel";
import { recSize } from "../../abi/gen/records";

const HDR: usize = memory.data(REC_HDR, 4);   // one record's header, copied in before its bytes
let batchAt: i32 = 0;     // k_buf(Buf.RX_BATCH)
let batchSize: i32 = 0;   // k_buf_size(Buf.RX_BATCH)
let off: i32 = 0;         // bytes queued
let count: i32 = 0;       // records queued

/** Finds Buf.RX_BATCH; once, after boot (nic.ts openNics). */
export function rxBatchOpen(): void {
  batchAt = k_buf(Buf.RX_BATCH);
  batchSize = k_buf_size(Buf.RX_BATCH);
  off = 0;
  count = 0;
}

/** Queues one frame of nic, the `len1` bytes at p1 then the `len2` at p2 (len1 + len2 is at
 *  most k_buf_size(Buf.RX), checked by the caller). */
export function rxQueue(nic: u32, p1: usize, len1: i32, p2: usize, len2: i32, now: i64): void {
  let len = len1 + len2;
  let size = recSize(len);
  if (off + size > batchSize) rxFlush(now);
  store<u16>(HDR + REC_NIC, <u16>nic);   // little-endian, as Wasm stores
  store<u16>(HDR + REC_LEN, <u16>len);
  glue_k_write(batchAt + off, <i32>HDR, REC_HDR);
  if (len1 > 0) glue_k_write(batchAt + off + REC_HDR, <i32>p1, len1);
  if (len2 > 0) glue_k_write(batchAt + off + REC_HDR + len1, <i32>p2, len2);
  off += size;
  count++;
}

/** Gives the queued frames, received by now (ms), to the kernel in one k_rx_batch. */
export function rxFlush(now: i64): void {
  if (count == 0) return;
  k_rx_batch(count, now);
  off = 0;
  count = 0;
}
