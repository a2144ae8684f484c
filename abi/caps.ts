// Capability kinds and rights. A capability is a small record in a per-service table:
// kind, object, rights, parent. Rights can only shrink when derived; revoke removes the
// capability and everything derived from it. See spec/capabilities.md.
// Valid AssemblyScript and TypeScript.
export enum CapKind {
  NONE = 0,
  ADDR = 1,   // an IPv6 address the service owns: object = address index in the registry
  NIC = 2,    // egress on a NIC: object = NIC id (bandwidth limits come with issue 5)
  DISK = 3,   // an extent of a disk: object = disk id, plus offset and length
  USB = 4,    // a whole USB device: object = USB device id (abi/usb.ts)
}

// Rights bits. A derived capability's rights are a subset of its parent's.
export const RIGHT_SEND = 1;    // ADDR, NIC: send packets with this source / on this NIC
export const RIGHT_RECV = 2;    // ADDR: receive packets sent to this address
export const RIGHT_READ = 4;    // DISK: read inside the extent; USB: IN transfers (control with bmRequestType bit 7)
export const RIGHT_WRITE = 8;   // DISK: write inside the extent; USB: OUT transfers
export const RIGHT_DERIVE = 16; // may derive a narrower capability from this one
export const RIGHTS_ALL = 31;
