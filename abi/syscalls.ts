// Syscall numbers. A service imports each syscall by name from module "persia"
// (abi/contract.ts lists names and signatures); every host forwards it to the kernel
// export k_sys(svc, nr, a0..a4) with this number. Valid AssemblyScript and TypeScript.
export enum Sys {
  SEND = 0,        // send(ptr, len): route one whole IPv6 packet
  RECV = 1,        // recv(ptr, cap): next queued packet, its length or -EAGAIN
  ADDR = 2,        // addr(index, ptr): write the service's index-th address (16 bytes)
  RESOLVE = 3,     // resolve(name_ptr, name_len, out_ptr): a domain's first address
  LOG = 4,         // log(ptr, len): one UTF-8 line to the node's log
  CLOCK = 5,       // clock(ptr): write the kernel time in ms (i64 LE)
  TIMER = 6,       // timer(ms): one persia_event() after ms; 0 cancels
  CAP_FIND = 7,    // cap_find(kind, index): handle of the index-th capability of kind
  CAP_INFO = 8,    // cap_info(handle, ptr): write the CapInfo record
  CAP_DERIVE = 9,  // cap_derive(handle, rights): a new handle with rights ⊆ parent's
  CAP_REVOKE = 10, // cap_revoke(handle): remove it and everything derived from it
  DISK_READ = 11,  // disk_read(handle, off_lo, off_hi, ptr, len)
  DISK_WRITE = 12, // disk_write(handle, off_lo, off_hi, ptr, len)
  DISK_FLUSH = 13, // disk_flush(handle)
  MTU = 14,        // mtu(dst_ptr): path MTU towards a destination address
  USB_DESC = 15,   // usb_desc(handle, ptr, cap): the device's descriptors (abi/usb.ts)
  USB_SUBMIT = 16, // usb_submit(handle, req): start a transfer (abi/usb.ts UR_*)
  USB_CANCEL = 17, // usb_cancel(handle, cookie): cancel the transfers with this cookie
  USB_EVENT = 18,  // usb_event(ptr): the next USB event (abi/usb.ts UE_*), or -EAGAIN
  RECV_MANY = 19,  // recv_many(ptr, cap): queued packets as records (abi/kernel.ts REC_*), how many
  SEND_MANY = 20,  // send_many(ptr, len): route every packet of the records in [ptr, +len)
  COUNT = 21,
}

// cap_info(handle, ptr) writes this record into service memory (little-endian).
export const CAPINFO_KIND = 0;     // u8  CapKind
export const CAPINFO_RIGHTS = 1;   // u8  rights bits
export const CAPINFO_OBJECT = 2;   // u16 object (address index, NIC id, disk id, USB device id)
export const CAPINFO_LENGTH = 4;   // u32 reserved; extent length is at 8
export const CAPINFO_EXT_LEN = 8;  // u64 DISK: extent length in bytes
export const CAPINFO_SIZE = 16;
