// kernel/svc/queue.ts: a running service's bounded receive queue, first in first out;
// a full queue (SVC_QUEUE_FULL, -ENOSPC) or a service that is not running (SVC_DOWN,
// -EHOSTUNREACH) loses the packet with a counted drop and returns its buffer to the pool.
import { Drop } from "../../../abi/drop";
import { Errno } from "../../../abi/errno";
import { SvcState } from "../../../abi/kernel";
import { SVC_RXQ, SVC_MAX, PKT_SLOTS } from "../../../kernel/param";
import { poolInit, pktAlloc, poolFree } from "../../../kernel/pool";
import { drops } from "../../../kernel/stats";
import { svcState, svcRx } from "../../../kernel/svc/registry";
import { svcDeliver, queueDepth, queuePeek, queuePop, queueFlush } from "../../../kernel/svc/queue";

function count(r: Drop): u64 { return drops[<i32>r]; }

describe("service receive queue", () => {
  it("delivers to a running service in order", () => {
    poolInit();
    svcState[2] = <u8>SvcState.RUNNING;
    let a = pktAlloc(), b = pktAlloc();
    expect(svcDeliver(2, a, -1)).toBe(0);
    expect(svcDeliver(2, b, -1)).toBe(0);
    expect(queueDepth(2)).toBe(2);
    expect(svcRx[2]).toBe(2);
    expect(queuePeek(2)).toBe(a);
    queuePop(2);
    expect(queuePeek(2)).toBe(b);
    queuePop(2);
    expect(queuePeek(2)).toBe(-1);
  });
  it("drops the packet after SVC_RXQ as SVC_QUEUE_FULL and frees it", () => {
    poolInit();
    for (let i = 0; i < SVC_RXQ; i++) expect(svcDeliver(2, pktAlloc(), -1)).toBe(0);
    expect(queueDepth(2)).toBe(SVC_RXQ);
    expect(poolFree()).toBe(PKT_SLOTS - SVC_RXQ);
    expect(svcDeliver(2, pktAlloc(), -1)).toBe(-Errno.ENOSPC);
    expect(count(Drop.SVC_QUEUE_FULL)).toBe(1);
    expect(queueDepth(2)).toBe(SVC_RXQ);
    expect(poolFree()).toBe(PKT_SLOTS - SVC_RXQ);
  });
  it("flushes a failed service's queue, one SVC_DOWN per packet", () => {
    queueFlush(2);
    expect(queueDepth(2)).toBe(0);
    expect(count(Drop.SVC_DOWN)).toBe(<u64>SVC_RXQ);
    expect(poolFree()).toBe(PKT_SLOTS);
  });
  it("drops for a restarting, failed or unknown service as SVC_DOWN", () => {
    poolInit();
    svcState[4] = <u8>SvcState.RESTARTING;
    svcState[6] = <u8>SvcState.FAILED;
    expect(svcDeliver(4, pktAlloc(), -1)).toBe(-Errno.EHOSTUNREACH);
    expect(svcDeliver(6, pktAlloc(), -1)).toBe(-Errno.EHOSTUNREACH);
    expect(svcDeliver(7, pktAlloc(), -1)).toBe(-Errno.EHOSTUNREACH);
    expect(svcDeliver(SVC_MAX, pktAlloc(), -1)).toBe(-Errno.EHOSTUNREACH);
    expect(svcDeliver(-1, pktAlloc(), -1)).toBe(-Errno.EHOSTUNREACH);
    expect(count(Drop.SVC_DOWN)).toBe(<u64>SVC_RXQ + 5);
    expect(queueDepth(4)).toBe(0);
    expect(poolFree()).toBe(PKT_SLOTS);
  });
});
