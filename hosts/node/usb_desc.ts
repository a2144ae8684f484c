// A USB device's descriptors as the Node host reads them (usb.ts): the raw
// device and active configuration descriptors fetched from the device with GET_DESCRIPTOR
// (not libusb's cache), the interface numbers to claim, the descriptor offsets the host
// matches on, and libusb's transfer status as the contract's errno. Checks nothing a device
// could lie about beyond not reading past the bytes it gave: the kernel parses them
// strictly at k_usb_attach (spec/abi.md "USB").
import { Errno } from "../../abi/errno";
import { USB_DEVICE_DESC, USB_DIR_IN } from "../../abi/usb";
import { LibUsb, Ptr, XferStatus } from "./libusb";

/** The bytes of a control transfer's setup packet, ahead of its data in libusb's buffer. */
export const SETUP = 8;
/** Standard request GET_DESCRIPTOR and descriptor types (USB 2.0 §9.4.3, table 9-5). */
const GET_DESCRIPTOR = 6, DT_DEVICE = 1, DT_CONFIG = 2, DT_INTERFACE = 4;
/** Offsets in the device and configuration descriptors (USB 2.0 tables 9-8, 9-10). */
export const DD_VENDOR = 8, DD_PRODUCT = 10, DD_SERIAL = 16, DD_NUM_CONFIGS = 17;
const CD_TOTAL_LENGTH = 2, CD_VALUE = 5, CD_SIZE = 9, ID_NUMBER = 2;
/** The timeout of the control transfers that read descriptors while attaching (ms). */
const ATTACH_TIMEOUT_MS = 1000;

/** libusb's end of a transfer as the contract's status (abi/usb.ts). */
export function xferStatus(s: number): number {
  switch (s) {
    case XferStatus.COMPLETED: return 0;
    case XferStatus.STALL: return -Errno.EPIPE;
    case XferStatus.TIMED_OUT: return -Errno.ETIMEDOUT;
    case XferStatus.NO_DEVICE: return -Errno.ENODEV;
    case XferStatus.OVERFLOW: return -Errno.EOVERFLOW;
    case XferStatus.CANCELLED: return -Errno.ECANCELED;
    default: return -Errno.EIO;
  }
}

/** The device descriptor and the active configuration with everything in it, read from
 *  the device (not libusb's cache), as many bytes as it gives: a device that lies about
 *  its lengths is the kernel's to refuse. */
export function readDescriptors(lib: LibUsb, h: Ptr): Uint8Array | string {
  const dd = new Uint8Array(USB_DEVICE_DESC);
  const n = getDescriptor(lib, h, DT_DEVICE, 0, dd);
  if (n < 0) return failedRead(lib, "its device descriptor", n);
  const active = lib.getConfiguration(h);
  if (active < 0) return failedRead(lib, "its active configuration", active);
  const head = new Uint8Array(CD_SIZE);
  for (let index = 0; index < Math.max(1, dd[DD_NUM_CONFIGS]); index++) {
    const m = getDescriptor(lib, h, DT_CONFIG, index, head);
    if (m < 0) return failedRead(lib, `configuration descriptor ${index}`, m);
    if (m < CD_SIZE || head[CD_VALUE] !== active) continue;
    const config = new Uint8Array(head[CD_TOTAL_LENGTH] | (head[CD_TOTAL_LENGTH + 1] << 8));
    const k = getDescriptor(lib, h, DT_CONFIG, index, config);
    if (k < 0) return failedRead(lib, `configuration ${active}`, k);
    const out = new Uint8Array(n + k);
    out.set(dd.subarray(0, n));
    out.set(config.subarray(0, k), n);
    return out;
  }
  // No configuration answered with the active value: give the device descriptor alone,
  // and the kernel says what is missing.
  return dd.slice(0, n);
}

function getDescriptor(lib: LibUsb, h: Ptr, type: number, index: number, out: Uint8Array): number {
  return lib.control(h, USB_DIR_IN, GET_DESCRIPTOR, (type << 8) | index, 0, out, ATTACH_TIMEOUT_MS);
}

function failedRead(lib: LibUsb, what: string, code: number): string {
  return `reading ${what} failed (${lib.errorName(code)})`;
}

/** The distinct bInterfaceNumber of every interface descriptor in a configuration (after
 *  the device descriptor), walked by bLength; the walk stops at a length that lies (the
 *  kernel already refused such descriptors). */
export function interfacesOf(desc: Uint8Array): number[] {
  const found: number[] = [];
  for (let at = USB_DEVICE_DESC; at + 2 <= desc.length;) {
    const len = desc[at];
    if (len < 2 || at + len > desc.length) break;
    if (desc[at + 1] === DT_INTERFACE && len > ID_NUMBER && !found.includes(desc[at + ID_NUMBER])) found.push(desc[at + ID_NUMBER]);
    at += len;
  }
  return found;
}
