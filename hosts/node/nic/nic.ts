// What node.ts needs from a network interface backend: send a frame, be told about
// received frames, close. A backend carries the NIC id of the boot manifest it serves.
// Does not know about the kernel; node.ts connects onFrame to kernel.rx.
// Implemented by virtual.ts (an in-process link), vxlan.ts (Ethernet over UDP), tap.ts
// (a Linux TAP device) and wireguard.ts (UDP datagrams behind an endpoint header: the
// "frame" of a WIREGUARD NIC, which the kernel seals and opens).

export interface NicBackend {
  /** The NIC id in the boot manifest (its NIC record). */
  readonly id: number;
  /** Which backend this is, for status output ("virtual", "vxlan", ...). */
  readonly backend: string;
  /** Transmits one whole Ethernet frame (no FCS; a WIREGUARD NIC's endpoint frame), the
   *  bytes [off, off + len) of `bytes`. The node hands over the kernel's memory and where the
   *  frame lies in it, so that no view is made per frame for a backend that needs none
   *  (frameAt makes one for those that do). A method of its own, not an optional pair of
   *  parameters of send(frame): a backend written for send(frame) alone would be handed
   *  the whole kernel memory, and TypeScript would not say so; without sendAt it does not
   *  compile (a sendAt declared with fewer parameters still would: keep all three). The
   *  frame is only borrowed: a backend copies what it keeps before returning. 0 when the
   *  frame was sent or queued to be sent, -Errno when it was not. A backend that
   *  queues (a TAP with offloads: written when the turn ends) counts a queued frame's later
   *  failure itself, per frame, in counters(); the kernel, told 0, has counted it as sent. */
  sendAt(bytes: Uint8Array, off: number, len: number): number;
  /** Called once per received frame, in order. The frame is only valid during the call. */
  onFrame: ((frame: Uint8Array) => void) | null;
  /** A backend that receives TCP super-frames (a TAP with offloads) and hands the kernel
   *  those it takes whole (k_rx_gso, spec/abi.md "Super-frames") calls this instead of onFrame
   *  for them, in order with its frames; only valid during the call. */
  onSuper?: ((frame: Uint8Array, gsoSize: number) => void) | null;
  /** Where such a backend may read the next super-frame straight into the kernel's Buf.GSO,
   *  so that none is copied there (node.ts sets it beside onSuper). */
  gsoSink?: GsoSink | null;
  /** nic_send_gso: one TCP super-frame, [off, off + len) of `bytes`, segments of gsoSize TCP
   *  payload bytes; as sendAt otherwise, but that the GSO_HEADROOM bytes before off are the
   *  backend's to overwrite during the call (abi/kernel.ts). Only a TAP NIC has it: the kernel sends super-frames
   *  to no other kind, and node.ts answers -ENOTSUP for a backend without it. */
  sendGsoAt?(bytes: Uint8Array, off: number, len: number, gsoSize: number): number;
  /** Told about asynchronous errors (a socket failing), if the backend has any. */
  onError?: ((message: string) => void) | null;
  /** Host-side counters, by name (frames dropped before the kernel saw them, errors). */
  counters(): Record<string, number>;
  /** Releases sockets or queues; later sends fail and no more frames arrive. */
  close(): void;
}

/** Buf.GSO for a backend that reads super-frames into it in place (kernel.ts gsoTarget). */
export interface GsoTarget {
  /** The kernel's memory as bytes; valid until the next call into the kernel. */
  bytes: Uint8Array;
  /** Buf.GSO's address: the frame goes there, and the GSO_HEADROOM bytes before it are the
   *  backend's too (a TAP's vnet header; spec/abi.md "Super-frames"). */
  at: number;
  /** Buf.GSO's size. */
  cap: number;
}

/** The node's side of reading super-frames in place: target() hands over what was queued
 *  before (so nothing reaches the kernel between the read and taken()) and says where
 *  Buf.GSO is, or null when it cannot be read into now; taken() is k_rx_gso of the
 *  super-frame a backend read there, len bytes from target().at, segments of gsoSize. A
 *  read there that is not such a super-frame is the backend's to copy out before it calls
 *  into the node again. */
export interface GsoSink {
  target(): GsoTarget | null;
  taken(len: number, gsoSize: number): void;
}

/** One whole frame to nic: sendAt over all of it (peers and tests hold their frames alone). */
export function sendFrame(nic: NicBackend, frame: Uint8Array): number {
  return nic.sendAt(frame, 0, frame.length);
}

/** bytes[off, off + len) as a view, or bytes itself when that is all of it. */
export function frameAt(bytes: Uint8Array, off: number, len: number): Uint8Array {
  return off === 0 && len === bytes.length ? bytes : bytes.subarray(off, off + len);
}
