// Finds the mass-storage interface in a USB device's descriptors as usb_desc gives them
// (abi/usb.ts: the 18-byte device descriptor, then the active configuration with its
// interface and endpoint descriptors): the first interface, alternate setting 0, of class 8
// (mass storage), subclass 6 (SCSI transparent command set), protocol 0x50 (Bulk-Only
// Transport), and its bulk IN and bulk OUT endpoints. Every descriptor's own length is
// checked against what is left, whatever the kernel checked before. It does not choose a
// configuration (the host did) nor read string descriptors. Used by disk.ts at (re)probe.
import { UsbType, USB_DIR_IN, USB_DEVICE_DESC } from "../../abi/usb";

// USB 2.0 §9.6: every descriptor starts with bLength (u8) and bDescriptorType (u8).
const D_LENGTH = 0;
const D_TYPE = 1;
const TYPE_INTERFACE: u32 = 4;
const TYPE_ENDPOINT: u32 = 5;
// Interface descriptor (§9.6.5): bInterfaceNumber 2, bAlternateSetting 3, bNumEndpoints 4,
// bInterfaceClass 5, bInterfaceSubClass 6, bInterfaceProtocol 7; 9 bytes.
const IF_NUMBER = 2;
const IF_ALT = 3;
const IF_CLASS = 5;
const IF_SUBCLASS = 6;
const IF_PROTOCOL = 7;
const IF_SIZE = 9;
// Endpoint descriptor (§9.6.6): bEndpointAddress 2, bmAttributes 3, wMaxPacketSize 4; 7 bytes.
const EP_ADDRESS = 2;
const EP_ATTRIBUTES = 3;
const EP_SIZE = 7;
// USB Mass Storage Class Specification Overview 1.4 §2 and §3.
const CLASS_MASS_STORAGE: u32 = 0x08;
const SUBCLASS_SCSI: u32 = 0x06;
const PROTOCOL_BOT: u32 = 0x50;

/** What find() found: the interface number and the two bulk endpoint addresses. */
export let iface: u32 = 0;
export let epIn: u32 = 0;
export let epOut: u32 = 0;

/** Look through the n descriptor bytes at p; true if a Bulk-Only SCSI interface with a bulk
 *  IN and a bulk OUT endpoint is there (iface, epIn, epOut are then set). */
export function find(p: usize, n: i32): bool {
  let at = USB_DEVICE_DESC;   // skip the device descriptor: the configuration follows it
  let inside = false;         // walking the endpoints of the interface we want
  epIn = 0;
  epOut = 0;
  while (at + 2 <= n) {
    let len = <i32>load<u8>(p + <usize>(at + D_LENGTH));
    if (len < 2 || at + len > n) break;                    // a length that lies: stop here
    let d = p + <usize>at;
    let type = <u32>load<u8>(d + D_TYPE);
    if (type == TYPE_INTERFACE && len >= IF_SIZE) {
      if (inside) break;                                   // the next interface: done
      inside = load<u8>(d + IF_ALT) == 0 && load<u8>(d + IF_CLASS) == CLASS_MASS_STORAGE &&
        load<u8>(d + IF_SUBCLASS) == SUBCLASS_SCSI && load<u8>(d + IF_PROTOCOL) == PROTOCOL_BOT;
      if (inside) iface = <u32>load<u8>(d + IF_NUMBER);
    } else if (type == TYPE_ENDPOINT && len >= EP_SIZE && inside) {
      let addr = <u32>load<u8>(d + EP_ADDRESS);
      if ((<u32>load<u8>(d + EP_ATTRIBUTES) & 3) == <u32>UsbType.BULK && (addr & 0x0f) != 0) {
        if ((addr & USB_DIR_IN) != 0) { if (epIn == 0) epIn = addr; }
        else if (epOut == 0) epOut = addr;
      }
    }
    at += len;
  }
  return epIn != 0 && epOut != 0;
}
