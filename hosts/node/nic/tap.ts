// A NIC on a Linux TAP device: /dev/net/tun attached with TUNSETIFF (IFF_TAP | IFF_NO_PI),
// so each read() returns one whole Ethernet frame that Linux sent out of the interface and
// each write() hands Linux one frame as if it had arrived on the wire (with offloads, below,
// behind a vnet header, and possibly a super-frame of many). Creates the device
// if it does not exist (it then disappears when the NIC closes), attaches to an existing
// TAP otherwise; sets its MTU and brings it up. Reads in batches when libuv's poll on the
// fd says it is readable, on the event loop's own thread. A device that disappears is
// reported once; the NIC then refuses to send and the node goes on with its other NICs.
// With offloads on (the default; PERSIA_TAP_OFFLOAD=0 turns them off, for measuring) the
// device is opened with IFF_VNET_HDR and TUNSETOFFLOAD (checksum, TCP and UDP segmentation
// over IPv6): Linux then hands over 64 KiB super-frames, which offload.ts splits back into
// link-sized frames with complete checksums before the node sees them, and the frames the
// node sends in one turn are queued and merged (offload.ts Coalescer; TCP always, UDP only with
// the manifest's `tap: { udp_gro: true }` and USO taken) into super-frames
// written once each when the turn ends (a microtask), so Linux runs its receive path once
// per super-frame. The kernel sees ordinary frames either way (spec/hosts.md "tap").
// Does not re-attach, use multiple queues or set the MAC.
// Node has no ioctl: libc is called through koffi, in tap_device.ts (spec/hosts.md says why).
// Used by node.ts as a NicBackend; launch.ts opens it for a manifest NIC of kind "tap".
import { Errno } from "../../../abi/errno";
import { TAP_DEVICE_PATTERN } from "../../../loader/manifest/limits";
import { frameAt, GsoSink, NicBackend } from "./nic";
import { LINK_FRAME_MAX, MTU_MAX } from "../../../abi/limits";
import { ETH_HDR, GSO_FRAME_MAX, GSO_HEADROOM } from "../../../abi/kernel";
import { Coalescer, F_NEEDS_CSUM, GSO_ECN, GSO_TCPV6, GSO_UDP_L4, receive, split, VNET_HDR_LEN, wholeSegments } from "./offload";
import { IP_HDR, IP_NEXT, NH_TCP } from "../../../wire/layout/ipv6";
import { TCP_CHECKSUM, TCP_CWR, TCP_FLAGS, TCP_HDR, TCP_OFFSET } from "../../../wire/layout/tcp";
import { checksumBuffer, checksumsInJs } from "./csum";
import { WriteRing } from "./uring";
import { attach, configure, IFNAMSIZ, libc, Libc, offloadDefault, PollHandle, RING_ENTRIES, TapOptions, TUN_F_USO6 } from "./tap_device";

if (VNET_HDR_LEN > GSO_HEADROOM) throw new Error("tap.ts: a vnet header does not fit nic_send_gso's GSO_HEADROOM (abi/kernel.ts)");

/** Frames delivered per readable turn (segments after a split, not reads: one read with
 *  offloads can carry 45 frames, and the node's egress queues are sized for about this many
 *  a turn); the read that reaches it finishes its frame, so a turn delivers at most
 *  RX_BATCH - 1 + one super-frame's segments. The rest wait for the next turn of the event
 *  loop (libuv polls level-triggered), so timers, other NICs and the status socket still run. */
export const RX_BATCH = 64;

export class TapNic implements NicBackend {
  readonly backend = "tap";
  readonly id: number;
  /** The Linux interface name. */
  readonly device: string;
  /** True if this NIC created the device (it then disappears on close). */
  readonly created: boolean;
  onFrame: ((frame: Uint8Array) => void) | null = null;
  /** Told once that the device is gone, and once each time it is found down on send. */
  onError: ((message: string) => void) | null = null;
  /** Given each TCP super-frame Linux hands over (GSO_TCPV6, its checksum left to fill) that
   *  the kernel takes whole (k_rx_gso, spec/abi.md "Super-frames"), with its gso_size; the
   *  frame is only valid during the call. null: every super-frame is split here, as before. */
  onSuper: ((frame: Uint8Array, gsoSize: number) => void) | null = null;
  /** Where the node lets this NIC read a super-frame straight into Buf.GSO (nic.ts GsoSink):
   *  used while the last read was one taken whole, so a TCP flow's 64 KiB reads are not
   *  copied again; a read there that is not one is copied into rx and goes on from there.
   *  PERSIA_TAP_GSO_IN_PLACE=0 reads every one into rx, for measuring. */
  gsoSink: GsoSink | null = null;
  private readonly inPlace = process.env.PERSIA_TAP_GSO_IN_PLACE !== "0";
  /** The last read was a super-frame the kernel took whole: read the next one in place. */
  private direct = false;
  /** sendGsoAt's room for one segment, without offloads. */
  private gsoOut: Uint8Array | null = null;
  private fd: number;
  private poller: PollHandle | null;
  private closed = false;
  private gone = false;
  private down = false;
  /** With a vnet header: every read and write starts with one (offload.ts). */
  readonly vnet: boolean;
  /** The TUN_F_* flags Linux took (0 without a vnet header). */
  readonly offloads: number;
  /** Linux took USO: UDP super-frames may be written (merged only if udpGro asks too). */
  readonly uso: boolean;
  /** GSO kinds Linux refused on write (EINVAL), already reported: no longer merged. */
  private refusedGso = 0;
  private readonly rx: Uint8Array;  // not a Buffer: its slice() would not copy
  private readonly segment: Uint8Array;
  /** The longest frame a split may make: the NIC's MTU (the kernel's largest if not given)
   *  plus the Ethernet header; a GSO frame with a larger gso_size is refused. */
  private readonly splitFrameMax: number;
  private readonly coalescer: Coalescer | null;
  /** With offloads, and io_uring there (PERSIA_TAP_URING=0 turns it off, for measuring): the
   *  turn's writes go to Linux in one io_uring_enter (uring.ts). Per pending write: how many
   *  frames it carries, its GSO type and its length. */
  private ring: WriteRing | null = null;
  /** Writes no longer than this go through the ring (copied into its arena): one frame of
   *  the NIC's MTU with its vnet header. A super-frame is written alone, directly, after what
   *  the ring holds (its copy would cost more than the system call it saves). */
  private readonly ringWriteMax: number;
  private readonly ringFrames = new Int32Array(RING_ENTRIES);
  private readonly ringGso = new Uint8Array(RING_ENTRIES);
  private readonly ringLen = new Int32Array(RING_ENTRIES);
  private submitting = false;
  private flushQueued = false;
  /** What the last write at a flush came to, as send would answer it: 0 or -Errno. */
  private lastWrite = 0;
  private readonly stats = {
    rx_frames: 0, rx_batches: 0, rx_batch_full: 0, undelivered: 0,
    tx_frames: 0, send_errors: 0, tx_link_down: 0, tx_busy: 0, device_gone: 0,
    rx_gso: 0, rx_gso_whole: 0, rx_gso_in_place: 0, tx_gso_whole: 0, rx_csum: 0, rx_vnet_short: 0, rx_vnet_bad_csum: 0, rx_gso_bad: 0, rx_gso_capped: 0,
    tx_writes: 0, tx_gso: 0, tx_lost: 0, tx_gso_refused: 0, tx_ring_submits: 0,
    /** 1 while the writes go through io_uring. */
    tx_ring: 0,
  };

  private constructor(private readonly lib: Libc, o: TapOptions, fd: number, created: boolean, vnet: boolean, offloads: number, udpGro: boolean) {
    this.id = o.id;
    this.device = o.device;
    this.created = created;
    this.fd = fd;
    this.vnet = vnet;
    this.offloads = offloads;
    this.uso = (offloads & TUN_F_USO6) !== 0;
    this.splitFrameMax = ETH_HDR + (o.mtu ?? MTU_MAX);
    // With a vnet header the read buffer and the segment buffer share one ArrayBuffer, so a
    // split copies each segment's payload without a view per segment (offload.ts split).
    const rxLen = vnet ? VNET_HDR_LEN + GSO_FRAME_MAX : LINK_FRAME_MAX;
    // A Wasm memory of their own, so that checksums over them run in Wasm (csum.ts); where
    // they cannot, in JavaScript, said once.
    const mem = checksumBuffer(rxLen + (vnet ? LINK_FRAME_MAX : 0));
    const slow = vnet ? checksumsInJs() : null;
    if (slow !== null) {
      this.report(`TAP NIC ${this.id}: checksums on ${this.device} are summed in JavaScript, not Wasm (${slow}); they are the same, ` +
        `about four times slower for a full-sized TCP segment.`);
    }
    this.rx = new Uint8Array(mem, 0, rxLen);
    this.segment = new Uint8Array(mem, rxLen, vnet ? LINK_FRAME_MAX : 0);
    this.coalescer = vnet ? new Coalescer((buf, n, frames) => this.writeOut(buf, n, frames), udpGro && this.uso) : null;
    this.ringWriteMax = VNET_HDR_LEN + this.splitFrameMax;
    this.poller = lib.poll(fd, (status) => this.readable(status));
    // After the poll, which may throw: nothing then holds a ring that no NIC would close.
    if (vnet && lib.ring !== undefined && process.env.PERSIA_TAP_URING !== "0") {
      const r = WriteRing.open(lib.ring, fd, RING_ENTRIES, RING_ENTRIES * ((this.ringWriteMax + 15) & ~15));
      if (typeof r === "string") this.ringOff(r);
      else { this.ring = r; this.stats.tx_ring = 1; }
    }
  }

  /** The writes go one write() each from now on: said once, with why. */
  private ringOff(why: string): void {
    this.stats.tx_ring = 0;
    this.report(`TAP NIC ${this.id}: writes to ${this.device} go one write() each, not through io_uring (${why}); ` +
      `they work, with one system call per frame.`);
  }

  /** Attaches to (or creates) the device, sets its MTU and brings it up. Rejects with a
   *  message saying what to change if the name is invalid or Linux refuses. */
  static async open(o: TapOptions): Promise<TapNic> {
    if (!TAP_DEVICE_PATTERN.test(o.device)) {
      throw new Error(`TAP NIC ${o.id}: "${o.device}" is not a Linux interface name (1 to ${IFNAMSIZ - 1} of A-Z a-z 0-9 _ . -)`);
    }
    if (o.mtu !== undefined && !(Number.isInteger(o.mtu) && o.mtu > 0)) {
      throw new Error(`TAP NIC ${o.id}: MTU ${o.mtu} is not a positive whole number of bytes`);
    }
    const lib = libc();
    const vnet = o.offload ?? offloadDefault();
    const { fd, created, offloads } = attach(lib, o, vnet);
    try {
      configure(lib, o);
      return new TapNic(lib, o, fd, created, vnet, offloads, o.udpGro ?? false);
    } catch (e) {
      lib.close(fd);
      throw e;
    }
  }

  sendAt(bytes: Uint8Array, off: number, len: number): number {
    if (this.closed) return -Errno.EIO;
    const frame = frameAt(bytes, off, len);   // the coalescer and koffi's write take a view
    if (this.gone || frame.length > LINK_FRAME_MAX) {
      this.stats.send_errors++;
      return this.gone ? -Errno.ENODEV : -Errno.EMSGSIZE;
    }
    if (this.coalescer !== null) return this.queue(frame);
    const n = this.lib.write(this.fd, frame, frame.length);
    if (n === frame.length) {
      this.stats.tx_frames++;
      this.down = false;
      return 0;
    }
    return this.sendFailed(n < 0 ? this.lib.errno() : this.lib.E.EIO);
  }

  /** nic_send_gso: one TCP super-frame of the kernel's (spec/abi.md "Super-frames"), whose
   *  segments carry gsoSize bytes of TCP payload and whose checksum field holds the
   *  pseudo-header's partial sum. With offloads it is written whole behind a vnet header
   *  (GSO_TCPV6, with GSO_ECN when it carries CWR, as Linux's own TCP marks one; NEEDS_CSUM),
   *  which goes in the GSO_HEADROOM before it (bytes[off - 10, off)), after whatever this NIC
   *  holds from before, so nothing overtakes what was sent first.
   *  Without, it is cut here (offload.ts split) and each segment written as sendAt would. */
  sendGsoAt(bytes: Uint8Array, off: number, len: number, gsoSize: number): number {
    if (this.closed) return -Errno.EIO;
    const L4 = ETH_HDR + IP_HDR;
    if (this.gone || len < L4 + TCP_HDR || len > GSO_FRAME_MAX || bytes[off + ETH_HDR + IP_NEXT] !== NH_TCP ||
        gsoSize <= 0 || L4 + ((bytes[off + L4 + TCP_OFFSET] >>> 4) << 2) > len) {
      this.stats.send_errors++;
      return this.gone ? -Errno.ENODEV : -Errno.EINVAL;
    }
    const hdr = L4 + ((bytes[off + L4 + TCP_OFFSET] >>> 4) << 2);
    const segs = Math.ceil((len - hdr) / gsoSize);
    if (!this.vnet) {
      // Cut here; each segment is written as sendAt writes a frame. The first one's result is
      // the answer: if it failed nothing more is written (the kernel counts the whole drop);
      // a later failure is counted here, per segment, as a queued frame's is (tx_lost).
      const room = this.gsoOut ??= new Uint8Array(this.splitFrameMax);
      let first = 1;
      const r = split(frameAt(bytes, off, len), gsoSize, GSO_TCPV6, F_NEEDS_CSUM, L4, TCP_CHECKSUM, room, this.splitFrameMax,
        (seg) => {
          if (first < 0) return;
          const e = this.sendAt(seg, 0, seg.length);
          if (first === 1) first = e;
          else if (e !== 0) this.stats.tx_lost++;
        });
      if (typeof r === "string") {
        this.stats.send_errors++;
        return -Errno.EINVAL;
      }
      return first;
    }
    // The vnet header goes in the GSO_HEADROOM before the frame, which is ours during the call:
    // header and frame leave in one write, without a copy of 64 KiB.
    const at = off - VNET_HDR_LEN;
    if (at < 0) { this.stats.send_errors++; return -Errno.EINVAL; }
    const out = bytes.subarray(at, off + len);
    out[0] = F_NEEDS_CSUM; out[1] = GSO_TCPV6 | ((bytes[off + L4 + TCP_FLAGS] & TCP_CWR) !== 0 ? GSO_ECN : 0);
    out[2] = hdr & 0xff; out[3] = hdr >>> 8;
    out[4] = gsoSize & 0xff; out[5] = gsoSize >>> 8;
    out[6] = L4; out[7] = 0;
    out[8] = TCP_CHECKSUM; out[9] = 0;
    this.coalescer!.flush();                      // what was sent before goes first
    this.stats.tx_frames += segs;
    this.stats.tx_gso_whole++;
    this.writeOut(out, VNET_HDR_LEN + len, segs);
    return this.lastWrite;
  }

  counters(): Record<string, number> {
    return { ...this.stats, tx_merged: this.coalescer?.merged ?? 0 };
  }

  /** Offloads on: what is known now is answered now (closed, gone, too long, too short, the
   *  link found down by the last write); the frame is copied into the coalescer, and what it
   *  holds is written when this turn's microtasks run (or sooner, when a frame cannot join
   *  the open super-frame). A write that fails then is counted (tx_lost, and tx_busy or
   *  tx_link_down as a direct send would) and reported as a direct send would be. */
  private queue(frame: Uint8Array): number {
    if (frame.length < ETH_HDR) {
      this.stats.send_errors++;
      return -Errno.EINVAL;
    }
    if (this.down) {
      // Known down: try this frame alone, now, so the result is honest and a link that came
      // back up is noticed.
      this.flushOut();
      this.coalescer!.add(frame);
      this.flushOut();
      if (this.lastWrite !== 0) {
        this.stats.tx_lost--;   // this frame's failure is send's result, not a loss after it
        return this.lastWrite;  // -EIO still down, -ENOSPC busy, -ENODEV gone
      }
      this.stats.tx_frames++;
      return 0;
    }
    this.stats.tx_frames++;
    this.coalescer!.add(frame);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushOut);
    }
    return 0;
  }

  /** Writes what the coalescer holds, and what the ring holds. */
  private readonly flushOut = (): void => {
    this.flushQueued = false;
    this.coalescer?.flush();
    this.submitRing();
  };

  private writeOut(buf: Uint8Array, n: number, frames: number): void {
    if (this.closed || this.gone) {
      this.stats.tx_lost += frames;
      this.stats.send_errors += frames;
      this.lastWrite = this.closed ? -Errno.EIO : -Errno.ENODEV;
      return;
    }
    // A super-frame, or a frame the ring has no room for: what the ring holds goes first.
    const small = n <= this.ringWriteMax;
    if (this.ring !== null && !(small && this.ring.fits(n))) {
      this.submitRing();
      if (this.gone) return this.writeOut(buf, n, frames);
    }
    const ring = this.ring;   // (a submit may have closed it; one that could not run left no room)
    if (ring !== null && small && ring.fits(n)) {
      const slot = ring.pending;
      this.ringFrames[slot] = frames;
      this.ringGso[slot] = buf[1];
      this.ringLen[slot] = n;
      ring.queue(buf, n, slot);
      this.lastWrite = 0;   // as far as is known now; a failure is counted when the ring is submitted
      return;
    }
    this.writeNow(buf, n, frames, buf[1]);
  }

  /** One write() now: its result counted (written). */
  private writeNow(buf: Uint8Array, n: number, frames: number, gso: number): void {
    let w: number;
    do { w = this.lib.write(this.fd, buf, n); } while (w < 0 && this.lib.errno() === this.lib.E.EINTR);
    this.written(w < 0 ? -this.lib.errno() : w, n, frames, gso);
  }

  /** Hands Linux what the ring holds, in one io_uring_enter (more than one only on EINTR). */
  private submitRing(): void {
    const ring = this.ring;
    if (ring === null || ring.pending === 0 || this.submitting) return;
    this.submitting = true;
    this.stats.tx_ring_submits++;
    try {
      ring.submit(this.ringDone, this.ringRest);
    } finally {
      this.submitting = false;
    }
    if (this.gone || this.closed) this.releaseRing();
    else if (this.ringRefused !== null || ring.broken) {
      this.releaseRing();
      this.ringOff(this.ringRefused ?? "an io_uring_enter failed while writes were out; the ring is closed");
    }
  }

  /** Why the ring's writes are refused (set by ringDone), or null. */
  private ringRefused: string | null = null;

  private readonly ringDone = (slot: number, result: number): void => {
    if (slot >= RING_ENTRIES) return;   // not one of ours: nothing else uses this ring
    const frames = this.ringFrames[slot], gso = this.ringGso[slot];
    if (result === -this.lib.E.EINVAL && frames === 1 && (gso & ~GSO_ECN) === 0) {
      // One plain frame refused: not the frame (send checked its length) but the ring (a
      // Linux without IORING_OP_WRITE that open() could not tell). Written again with
      // write(), and the ring closed after this submit.
      this.ringRefused = "Linux answered an IORING_OP_WRITE of one frame EINVAL; the ring is closed";
      this.writeNow(this.ring!.bytes(slot, this.ringLen[slot]), this.ringLen[slot], frames, gso);
      return;
    }
    this.written(result, this.ringLen[slot], frames, gso);
  };

  /** io_uring_enter failed (not EINTR): what it did not take is written one by one. */
  private readonly ringRest = (slot: number, bytes: Uint8Array): void => {
    if (this.gone || this.closed) {
      this.written(-this.lib.E.ENODEV, bytes.length, this.ringFrames[slot], this.ringGso[slot]);
      return;
    }
    this.writeNow(bytes, bytes.length, this.ringFrames[slot], this.ringGso[slot]);
  };

  /** What a write of `n` bytes (`frames` frames) came to: `result` bytes, or -errno. */
  private written(result: number, n: number, frames: number, gso: number): void {
    if (result === n) {
      this.stats.tx_writes++;
      if (frames > 1) this.stats.tx_gso++;
      this.down = false;
      this.lastWrite = 0;
      return;
    }
    this.stats.tx_lost += frames;
    const e = result < 0 ? -result : this.lib.E.EIO;
    if (e === this.lib.E.EINVAL && frames > 1) this.gsoRefused(gso & ~GSO_ECN, frames);
    this.lastWrite = this.sendFailed(e, frames);
  }

  /** Closes the ring; writes still pending in it are lost with the device. */
  private releaseRing(): void {
    const ring = this.ring;
    if (ring === null || this.submitting) return;
    for (let i = 0; i < ring.pending; i++) {
      this.stats.tx_lost += this.ringFrames[i];
      this.stats.send_errors += this.ringFrames[i];
    }
    ring.drop();
    ring.close();
    this.ring = null;
  }

  /** Linux refused a super-frame of `gsoType` (e.g. a kernel before 6.2 took USO yet has no
   *  UDP_L4 case in virtio_net_hdr_to_skb): stop merging that kind here, and say so once. */
  private gsoRefused(gsoType: number, frames: number): void {
    const kind = gsoType === GSO_UDP_L4 ? "udp" : "tcp";
    const bit = kind === "udp" ? 2 : 1;
    this.coalescer?.stopMerging(kind);
    if (this.refusedGso & bit) return;
    this.refusedGso |= bit;
    this.stats.tx_gso_refused++;
    this.report(`TAP NIC ${this.id}: Linux refused a merged ${kind.toUpperCase()} super-frame written to ${this.device} ` +
      `(EINVAL; ${frames} frames lost); ${kind.toUpperCase()} is no longer merged on this NIC. ` +
      `The running kernel does not take this GSO type from a TAP; nothing to do but update it.`);
  }

  close(): void {
    if (this.closed) return;
    if (!this.gone) {
      this.coalescer?.flush();
      this.submitRing();
    }
    this.closed = true;
    this.onFrame = null;
    this.release();
  }

  /** The poll callback: read until RX_BATCH frames are delivered (a refused read counts as
   *  one, so a flood of them still ends the turn), in order. Runs inside a koffi callback,
   *  where an exception would not reach Node's handlers, so nothing may escape it. */
  private readable(status: number): void {
    const { E } = this.lib;
    let frames = 0;
    while (frames < RX_BATCH && !this.closed && !this.gone) {
      // After a super-frame taken whole, the next read goes straight into Buf.GSO, which
      // target() makes sure nothing else reaches before taken() (kernel.ts gsoTarget).
      let t = this.direct && this.gsoSink !== null ? this.gsoSink.target() : null;
      if (this.closed || this.gone) break;               // the node may have stopped in there
      // No more than rx holds (a copy out must fit), and the vnet header's room before it.
      if (t !== null && (t.at < VNET_HDR_LEN || t.cap > this.rx.length - VNET_HDR_LEN)) t = null;
      const into = t === null ? this.rx : t.bytes.subarray(t.at - VNET_HDR_LEN, t.at + t.cap);
      const n = this.lib.read(this.fd, into, into.length);
      if (n < 0) {
        const e = this.lib.errno();
        if (e === E.EINTR) continue;
        if (e !== E.EAGAIN) this.lose("read", this.lib.describe(e));
        break;
      }
      if (t !== null) {
        frames += this.receiveInPlace(into, n);
      } else if (this.vnet) {
        frames += this.receiveVnet(n);
      } else {
        frames++;
        this.deliver(this.rx.subarray(0, n));
      }
    }
    if (frames > 0) this.stats.rx_batches++;
    if (frames >= RX_BATCH) this.stats.rx_batch_full++;
    // libuv has stopped polling after POLLERR: the device is unusable even if read said EAGAIN.
    if (status < 0) this.lose("poll", "POLLERR");
  }

  /** A read with a vnet header, in rx: a TCP super-frame the kernel takes whole goes to
   *  onSuper (the node copies it into Buf.GSO, and the next read goes there itself), anything
   *  else to receiveSplit. Returns the frames it delivered, at least 1 (what the turn's budget
   *  counts). */
  private receiveVnet(n: number): number {
    const whole = this.onSuper !== null ? wholeSegments(this.rx, n, this.splitFrameMax) : 0;
    this.direct = whole > 0 && this.inPlace;
    return whole > 0 ? this.handWhole(this.rx, n, whole, false) : this.receiveSplit(n);
  }

  /** A read into Buf.GSO (vnet header first, in `into`): the super-frame is the kernel's
   *  with no copy (taken), or anything else is copied into rx and received from there, before
   *  anything calls into the node; the next read then goes to rx. */
  private receiveInPlace(into: Uint8Array, n: number): number {
    const whole = wholeSegments(into, n, this.splitFrameMax);
    if (whole > 0) return this.handWhole(into, n, whole, true);
    this.direct = false;
    this.rx.set(into.subarray(0, n));
    return this.receiveSplit(n);
  }

  /** A super-frame of `segs` segments, buf[0, n) behind its vnet header, handed to the kernel
   *  whole: through onSuper from rx, or in place (taken) from Buf.GSO. Counted as its segments. */
  private handWhole(buf: Uint8Array, n: number, segs: number, inPlace: boolean): number {
    this.stats.rx_gso++;
    this.stats.rx_gso_whole++;
    if (inPlace) this.stats.rx_gso_in_place++;
    this.stats.rx_frames += segs;
    const gsoSize = buf[4] | (buf[5] << 8);
    try {
      if (inPlace) this.gsoSink!.taken(n - VNET_HDR_LEN, gsoSize);
      else this.onSuper!(buf.subarray(VNET_HDR_LEN, n), gsoSize);
    } catch (e) {
      process.nextTick(() => { throw e; }); // a broken node: let Node's own handlers see it
    }
    return segs;
  }

  /** A read in rx that the kernel does not take whole: split or checksum-completed
   *  (offload.ts), or counted and dropped. Returns the frames it delivered, at least 1. */
  private receiveSplit(n: number): number {
    const gso = this.rx[1] !== 0, csum = (this.rx[0] & 1) !== 0;
    let r = receive(this.rx, n, this.segment, this.splitFrameMax, this.deliverBound);
    if (typeof r === "string") {
      this.stats[r]++;
      return 1;
    }
    if (r < 0) {                  // cut short at GSO_SEGS_MAX
      this.stats.rx_gso_capped++;
      r = -r;
    }
    if (gso) this.stats.rx_gso++;
    else if (csum) this.stats.rx_csum++;
    return r > 0 ? r : 1;
  }

  private readonly deliverBound = (frame: Uint8Array): void => this.deliver(frame);


  private deliver(frame: Uint8Array): void {
    if (this.onFrame === null) {
      this.stats.undelivered++;
      return;
    }
    this.stats.rx_frames++;
    try {
      this.onFrame(frame);
    } catch (e) {
      process.nextTick(() => { throw e; }); // a broken node: let Node's own handlers see it
    }
  }

  /** A write of `frames` frames failed with errno `e`: counted per frame, reported, and
   *  answered as send answers it. */
  private sendFailed(e: number, frames = 1): number {
    const { E } = this.lib;
    this.stats.send_errors += frames;
    if (e === E.EAGAIN || e === E.ENOBUFS || e === E.ENOMEM) {
      this.stats.tx_busy += frames;
      return -Errno.ENOSPC;
    }
    if (e === E.EINVAL) return -Errno.EINVAL; // shorter than an Ethernet header
    if (e === E.EIO) {                        // what tun answers while the link is down
      this.stats.tx_link_down += frames;
      if (!this.down) {
        this.down = true;
        this.report(`TAP NIC ${this.id}: ${this.device} is down and drops what this node sends; ` +
          `bring it up with \`ip link set dev ${this.device} up\``);
      }
      return -Errno.EIO;
    }
    this.lose("write", this.lib.describe(e));
    return -Errno.ENODEV;
  }

  /** The device was deleted or detached: stop using it and say so, once. */
  private lose(during: string, why: string): void {
    if (this.gone || this.closed) return;
    this.gone = true;
    this.stats.device_gone = 1;
    this.release();
    this.report(`TAP NIC ${this.id}: device ${this.device} is gone (${during}: ${why}); it was deleted or ` +
      `detached. This NIC drops every frame from now on and the node goes on with its other NICs. ` +
      `To use it again, restart the node (it creates ${this.device} if it is missing).`);
  }

  private release(): void {
    this.releaseRing();     // during a submit: closed by submitRing when it returns
    this.poller?.close();
    this.poller = null;
    if (this.fd >= 0) this.lib.close(this.fd);
    this.fd = -1;
  }

  /** onError on a clean stack: never from inside send() or the poll callback. */
  private report(message: string): void {
    process.nextTick(() => this.onError?.(message));
  }
}
