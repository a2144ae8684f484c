// Packet capture (issue #18): where the kernel reports a packet to its host's `capture`
// import, which points k_capture turns on, and the record a Node host streams to
// `persia capture` over its status socket. Valid AssemblyScript and TypeScript.
// The functions are in abi/contract.ts (k_capture, capture); the image's capture line is
// in abi/image.ts (IMG_CAPTURE_PREFIX); spec/abi.md, "Packet capture", says what each
// point sees. Off until a host calls k_capture; nothing here is sized per packet.

// capture(point, nic, svc, reason, ptr, len): what the bytes at ptr are, and where the
// kernel had them. Frames are Ethernet II without FCS; packets are IPv6, no link header. On a
// WIREGUARD NIC, RX and TX carry the IPv6 packet inside the tunnel (after opening, before
// sealing): its datagrams are ciphertext, and its handshakes are not captured.
export enum CapturePoint {
  RX = 0,          // a frame a NIC received, before any check (malformed ones too)
  TX = 1,          // a frame handed to the host's nic_send
  DROP_FRAME = 2,  // a frame the kernel dropped (reason: abi/drop.ts Drop)
  DROP_PACKET = 3, // a packet the kernel dropped, without a link header (reason: Drop)
  DELIVER = 4,     // a packet queued for a service
  SEND = 5,        // a packet a service sent (the send syscall), before the kernel's checks
  COUNT = 6,
}

/** k_capture's mask: a bit per point, 1 << CapturePoint; 0 turns capture off. */
export const CAPTURE_ALL = (1 << CapturePoint.COUNT) - 1;
/** k_capture's nic or svc that filters nothing, and a record's nic, svc or reason when it
 *  has none. */
export const CAPTURE_NONE = -1;

// One record of the capture stream (hosts/node/capture.ts → cli/capture.ts), after the
// stream's first line (a JSON header, spec/hosts.md "Packet capture"). Little-endian.
//   0 u32 record length, header included   4 u8 kind (CaptureRecord)   5 u8 point
//   6 i16 reason   8 i16 nic   10 i16 svc   12 u32 records lost (LOST)   16 u64 time,
//   µs since the Unix epoch   24 the bytes (PACKET)
export enum CaptureRecord {
  PACKET = 1,      // one capture() call: its point, nic, svc, reason and bytes
  LOST = 2,        // the host left out this many records of the interface named by point,
                   // nic and svc (the client read too slowly; the node never waits)
}
export const CAP_REC_LEN = 0;
export const CAP_REC_KIND = 4;
export const CAP_REC_POINT = 5;
export const CAP_REC_REASON = 6;
export const CAP_REC_NIC = 8;
export const CAP_REC_SVC = 10;
export const CAP_REC_LOST = 12;
export const CAP_REC_TIME = 16;
export const CAP_REC_HEADER = 24;
