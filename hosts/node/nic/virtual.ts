// An in-process Ethernet link with two ends: a frame sent on one end arrives at the other
// end's onFrame, asynchronously (the queue drains on setImmediate) and in order. Each
// direction has a bounded queue; a frame sent into a full queue is dropped and counted,
// as on a real link. The demo and tests attach a JS traffic peer to one end and a kernel
// NIC to the other.
// Does not model delay, loss or bandwidth; frames are copied once, when sent.
// Used by node.ts (as a NicBackend), tests and the demo.
import { Errno } from "../../../abi/errno";
import { NicBackend } from "./nic";
import { LINK_FRAME_MAX } from "../../../abi/limits";

/** Frames waiting for delivery per direction, unless the caller asks for another bound. */
const QUEUE_FRAMES_DEFAULT = 256;

export interface VirtualLinkOptions {
  /** NIC ids of the two ends (default 0 and 0). */
  aId?: number;
  bId?: number;
  /** Bound of each direction's queue, in frames. */
  queueFrames?: number;
  /** Longest frame the link carries, in bytes. */
  maxFrame?: number;
}

export class VirtualEnd implements NicBackend {
  readonly backend = "virtual";
  onFrame: ((frame: Uint8Array) => void) | null = null;
  /** The other end; VirtualLink connects the two. */
  peer: VirtualEnd | null = null;
  private readonly ring: (Uint8Array | null)[];
  private head = 0;
  private waiting = 0;
  private draining = false;
  private closed = false;
  private readonly stats = { sent: 0, received: 0, dropped_queue_full: 0, dropped_too_long: 0, undelivered: 0 };

  constructor(readonly id: number, queueFrames: number, private readonly maxFrame: number) {
    this.ring = new Array(queueFrames).fill(null);
  }

  sendAt(bytes: Uint8Array, off: number, len: number): number {
    if (this.closed || this.peer === null) return -Errno.EIO;
    if (len > this.maxFrame) {
      this.stats.dropped_too_long++;
      return -Errno.EMSGSIZE;
    }
    const result = this.peer.enqueue(bytes, off, len);
    if (result === 0) this.stats.sent++;
    return result;
  }

  counters(): Record<string, number> {
    return { ...this.stats };
  }

  /** Frames waiting for delivery to this end. */
  get queued(): number {
    return this.waiting;
  }

  close(): void {
    this.closed = true;
    this.onFrame = null;
    this.ring.fill(null);
    this.waiting = 0;
  }

  /** Frames dropped because this end's inbound queue was full. */
  get dropped(): number {
    return this.stats.dropped_queue_full;
  }

  private enqueue(bytes: Uint8Array, off: number, len: number): number {
    if (this.closed) return -Errno.EIO;
    const capacity = this.ring.length;
    if (this.waiting === capacity) {
      this.stats.dropped_queue_full++;
      return -Errno.ENOSPC;
    }
    this.ring[(this.head + this.waiting) % capacity] = bytes.slice(off, off + len);
    this.waiting++;
    this.schedule();
    return 0;
  }

  private schedule(): void {
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => this.drain());
  }

  /** Delivers the frames queued when the drain began; later ones wait for the next turn,
   *  so a peer that answers from onFrame cannot starve the event loop. */
  private drain(): void {
    this.draining = false;
    let n = this.waiting;
    try {
      while (n-- > 0 && !this.closed) {
        const frame = this.ring[this.head] as Uint8Array;
        this.ring[this.head] = null;
        this.head = (this.head + 1) % this.ring.length;
        this.waiting--;
        if (this.onFrame === null) {
          this.stats.undelivered++;
          continue;
        }
        this.stats.received++;
        this.onFrame(frame);
      }
    } finally {
      if (this.waiting > 0 && !this.closed) this.schedule();
    }
  }
}

export class VirtualLink {
  readonly a: VirtualEnd;
  readonly b: VirtualEnd;

  constructor(options: VirtualLinkOptions = {}) {
    const queue = options.queueFrames ?? QUEUE_FRAMES_DEFAULT;
    const max = options.maxFrame ?? LINK_FRAME_MAX;
    if (!Number.isInteger(queue) || queue < 1) throw new RangeError(`queueFrames must be a positive integer, not ${queue}`);
    this.a = new VirtualEnd(options.aId ?? 0, queue, max);
    this.b = new VirtualEnd(options.bId ?? 0, queue, max);
    this.a.peer = this.b;
    this.b.peer = this.a;
  }

  close(): void {
    this.a.close();
    this.b.close();
  }
}
