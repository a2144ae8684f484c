// Numbers the kernel and its hosts share: the Ethernet header, kernel buffers, service
// entry points, fault kinds, service states, node roles, NIC kinds, log levels. Valid
// AssemblyScript and TypeScript. The function signatures themselves are in abi/contract.ts;
// the capacities a host sizes its tables by (NIC_MAX, SVC_MAX, DISK_MAX) are in abi/limits.ts.
import { ETH_HDR as ETHERNET_HDR } from "../wire/layout/ethernet";

export const ABI_VERSION = 12; // 2: svc_call(svc, entry, fuel) and svc_fuel_used (fuel metering)
                              // 3: svc_load, svc_unload, svc_ram (run-time LOAD and GRANT)
                              // 4: k_rx(nic, len, now): a frame carries its time of arrival
                              //    (a batch received after an idle spell ran on a stale clock)
                              // 5: k_capture and the host import capture (packet capture)
                              // 6: k_stop(now): a graceful stop (a router's final RAs)
                              // 7: k_epoch(unix_ms) and NicKind.WIREGUARD (sealed links, issue #13)
                              // 8: module_read(svc, off, dst, len): the kernel reads a module's
                              //    signed file to check its signature (issue #14)
                              // 9: mod_stage, mod_write, mod_read, mod_commit, mod_abort (PUT, issue #14)
                              // 10: USB (issue #16): k_usb_attach, k_usb_detach, k_usb_done,
                              //     usb_submit, usb_cancel, Buf.USB
                               // 11: issue #17: SVC_MAX 1024 (svc_load's free-id mask is
                               //     SVC_MAX bits, no longer one u32);
                               //     k_rx_batch and Buf.RX_BATCH (many frames per call), the
                               //     syscalls recv_many and send_many
                               // 12: issue #17: TCP super-frames: k_rx_gso and Buf.GSO, the host
                               //     import nic_send_gso, Drop.GSO_BAD

// The longest a host waits for k_stop to say the stop is done before it stops the node
// anyway (spec/hosts.md "Stopping a node"): a router's longest stop — its two final RAs 3 s
// apart, the first up to 3 s after its last RA (kernel/param.ts FINAL_RTR_ADVERTISEMENTS,
// MIN_DELAY_BETWEEN_RAS_MS) — and a second to spare.
export const STOP_MAX_MS = 7000;

// The Ethernet II header (no VLAN tag, no FCS) that precedes the IPv6 packet in every
// frame of k_rx and nic_send: its layout is wire/layout/ethernet.ts. A constant of this
// module, not `export { ETH_HDR } from`: compiled to CommonJS that re-export is a getter on
// `exports`, which turns the module object into a dictionary, and every use of recSize,
// REC_HDR or Buf on a host's frame path then a hash lookup (recSize took 28 ns, now 6).
export const ETH_HDR = ETHERNET_HDR;

// k_buf(which): kernel-owned buffers a host writes into or reads from.
export enum Buf {
  RX = 0,      // one received frame, written by the host before k_rx(nic, len, now)
  BOOT = 1,    // the binary boot manifest, written before k_boot(len, now)
  STATUS = 2,  // the status snapshot, read after k_status() returns its length
  USB = 3,     // a USB device's descriptors before k_usb_attach; a transfer's IN data before k_usb_done
  RX_BATCH = 4, // received frames, packed as below, written by the host before k_rx_batch(count, now)
  GSO = 5,     // one TCP super-frame, written by the host before k_rx_gso(nic, len, gso_size, now)
}

// TCP super-frames (spec/abi.md "Super-frames"): up to 64 KiB of one TCP flow's consecutive
// segments behind one set of headers, as Linux's GSO hands them to a TAP and takes them back
// (struct virtio_net_hdr's GSO_TCPV6). The host hands one to the kernel whole (k_rx_gso); the
// kernel forwards it whole to a NIC of kind TAP (nic_send_gso) and cuts it into segments of
// gso_size payload bytes for any other way out.
/** The longest super-frame: an Ethernet header, the IPv6 header and 64 KiB of payload (no
 *  jumbogram): Buf.GSO's size. */
export const GSO_FRAME_MAX = ETH_HDR + 40 + 0xffff;
/** The most segments one super-frame may carry (ceil(TCP payload / gso_size)); a host cuts a
 *  frame of more itself, and k_rx_gso drops one (GSO_BAD). A 64 KiB frame at IPv6's smallest
 *  MSS (1220) is 54. */
export const GSO_SEGS_MAX = 128;
/** The bytes before a super-frame nic_send_gso hands over that are the host's to overwrite
 *  during the call (the kernel's headroom, unused there): a host writes a header of its own in
 *  front (a TAP's 10-byte struct virtio_net_hdr) and sends both with one write, without a copy. */
export const GSO_HEADROOM = 16;

// Buf.RX_BATCH and the records of recv_many/send_many: one record per frame or packet,
// packed one after another, each starting on a 4-byte boundary:
//   +0 u16 LE  nic (Buf.RX_BATCH; the syscalls' records keep it 0)
//   +2 u16 LE  len: the bytes that follow
//   +4 len bytes, then zero to three bytes of padding to the next record
export const REC_NIC = 0;
export const REC_LEN = 2;
export const REC_HDR = 4;
export const REC_ALIGN = 4;          // a record of len bytes takes (REC_HDR + len) rounded up to it
/** The bytes a record of `len` bytes takes: REC_HDR + len rounded up to REC_ALIGN. The one
 *  formula: abi/gen.ts writes the same for AssemblyScript (abi/gen/records.ts) and Rust
 *  (persia_abi.rs rec_size), and tests/abi checks the three agree. */
export function recSize(len: number): number { return (REC_HDR + len + REC_ALIGN - 1) & ~(REC_ALIGN - 1); }
export const RX_BATCH_SIZE = 65536;  // bytes in Buf.RX_BATCH: 32 frames of 1514 bytes, or 7 jumbo frames
export const SYS_BATCH_SIZE = 32768; // the most bytes one recv_many or send_many moves


// svc_call(svc, entry, fuel): entry points a service module exports.
export enum Entry {
  INIT = 0,    // persia_init(): once after each (re)start
  EVENT = 1,   // persia_event(): packets are queued or the service's timer fired
}

// What svc_call / svc_start return when the service did not return normally.
export enum Fault {
  NONE = 0,
  TRAP = 1,        // unreachable, abort(), out-of-bounds, division by zero, ...
  STACK = 2,       // call stack exhausted
  MEMORY = 3,      // memory.grow past the RAM max ended in a trap
  INSTANTIATE = 4, // the module could not be instantiated
  BAD_MODULE = 5,  // refused by the loader before any code ran
  FUEL = 6,        // used up its fuel budget for one call (runaway loop); see spec/instrumentation.md
}

export enum SvcState {
  EMPTY = 0,       // slot unused
  RUNNING = 1,
  RESTARTING = 2,  // faulted; restarts after a backoff
  FAILED = 3,      // over its restart limit; stays down until reloaded
}

export enum Role {
  SERVER = 0,
  CLIENT = 1,
  ROUTER = 2,
}

export enum NicKind {
  VIRTUAL = 0,     // in-process link (tests, demo)
  VXLAN = 1,       // Ethernet over UDP, RFC 7348
  TAP = 2,         // Linux TAP device
  WIREGUARD = 3,   // a sealed link speaking WireGuard over the host's UDP socket: layer 3, no
                   // Ethernet; each frame is an endpoint header and a UDP payload
                   // (wire/layout/wireguard.ts WG_EP_*), spec/wire.md "WireGuard"
  VIRTIO = 4,      // a virtio-net device the metal host drives (spec/metal.md): Ethernet, as TAP
}

export enum LogLevel {
  ERROR = 0,
  WARN = 1,
  INFO = 2,
  DEBUG = 3,
}
