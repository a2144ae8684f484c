// USB devices as capabilities (issue #16, spec/abi.md "USB", spec/capabilities.md "USB").
// A USB device the manifest names (by vendor:product, serial or bus path; the host
// matches) is granted whole to one service as a USB capability. The service lists the
// device's descriptors and submits control, bulk and interrupt transfers; each completes
// later as an event in the service's queue (like a packet), and so do hot-plug changes.
// The kernel checks every transfer — endpoint present in alternate setting 0 of the active configuration,
// direction (on the default pipe, the request) against the capability's rights, length, timeout, buffer — before the host
// sees it. Valid AssemblyScript and TypeScript; numbers only.

// Endpoint transfer types, as bmAttributes & 3 of an endpoint descriptor (USB 2.0 §9.6.6).
export enum UsbType {
  CONTROL = 0,
  ISOCHRONOUS = 1,   // never submitted: the kernel refuses it (EINVAL)
  BULK = 2,
  INTERRUPT = 3,
}

export const USB_DIR_IN = 0x80;        // bit 7 of an endpoint address and of bmRequestType

// usb_submit(handle, req): the request record in service memory (little-endian).
//   0 u8 endpoint address (0 = the default control pipe; bit 7 = IN)
//   1 u8 0   2 u16 0
//   4 u32 timeout in ms (1 .. USB_TIMEOUT_MAX_MS)
//   8 [8] setup packet (control only; bmRequestType bit 7 gives the direction and
//         wLength must equal len; zero for bulk and interrupt)
//  16 u32 buffer pointer in service memory (IN: where the data goes at completion;
//         OUT: read at submit, so the buffer is free again when usb_submit returns)
//  20 u32 length in bytes (0 .. USB_XFER_MAX)
//  24 u32 cookie: any value; the completion event carries it back
export const UR_EP = 0;
export const UR_TIMEOUT = 4;
export const UR_SETUP = 8;
export const UR_PTR = 16;
export const UR_LEN = 20;
export const UR_COOKIE = 24;
export const UR_SIZE = 28;

// usb_event(ptr): the next event of the service's USB devices (little-endian).
//   0 u8 kind (UsbEvent)   1 u8 0   2 u16 handle of the USB capability it concerns
//   4 i32 status: 0, or -Errno (COMPLETE: EPIPE stall, ETIMEDOUT, ENODEV unplugged,
//         EOVERFLOW babble, ECANCELED, EIO, EFAULT the buffer left service memory)
//   8 u32 bytes transferred (COMPLETE; IN data already written at the request's buffer)
//  12 u32 the request's cookie (COMPLETE)
export const UE_KIND = 0;
export const UE_HANDLE = 2;
export const UE_STATUS = 4;
export const UE_ACTUAL = 8;
export const UE_COOKIE = 12;
export const UE_SIZE = 16;

export enum UsbEvent {
  NONE = 0,
  COMPLETE = 1,   // a transfer finished (or failed, or was cancelled)
  ATTACH = 2,     // the device is present and its descriptors can be read
  DETACH = 3,     // the device was unplugged: transfers in flight completed with ENODEV
}

// usb_desc(handle, ptr, cap) writes the device's descriptors as the kernel checked them: the
// device descriptor (18 bytes), then the active configuration descriptor with all its
// interface, endpoint and class descriptors (wTotalLength bytes). Returns the length.
export const USB_DEVICE_DESC = 18;

// k_usb_done(dev, xfer, status, len, now): the host reports a transfer the kernel submitted
// with usb_submit(dev, xfer, ...). xfer is the kernel's slot (0 .. USB_INFLIGHT-1); IN data
// is in Buf.USB[0, len). k_usb_attach(dev, len, now): the device is present, its descriptors
// (as usb_desc gives them) are in Buf.USB[0, len); 0, or -EBADMSG when they do not parse
// (lengths that lie, an endpoint twice, more than USB_DESC_MAX bytes): the device stays
// unusable until it is plugged in again.
