// USB standard descriptors and the setup packet (USB 2.0 §9.3 and §9.6), as usb_desc hands
// them to a service (abi/usb.ts: the device descriptor, then the active configuration with
// its interface, endpoint and class descriptors). Every descriptor starts with its own
// length and type; multi-byte fields are little-endian. Layout only, valid AssemblyScript
// and TypeScript; services/sdk/usb.ts walks and reads it.
//
//   any descriptor (§9.5)          setup packet (§9.3), 8 bytes
//   0 bLength                      0 bmRequestType (bit 7: device-to-host)
//   1 bDescriptorType              1 bRequest
//                                  2 wValue   4 wIndex   6 wLength
//
//   device (§9.6.1), 18 bytes      configuration (§9.6.3), 9 bytes
//   4 bDeviceClass                 2 wTotalLength (this and all that follow it)
//   7 bMaxPacketSize0              4 bNumInterfaces   5 bConfigurationValue
//   8 idVendor  10 idProduct
//
//   interface (§9.6.5), 9 bytes    endpoint (§9.6.6), 7 bytes
//   2 bInterfaceNumber             2 bEndpointAddress (bit 7: IN; bits 3..0: number)
//   3 bAlternateSetting            3 bmAttributes (bits 1..0: UsbType)
//   4 bNumEndpoints                4 wMaxPacketSize (bits 10..0: bytes)
//   5 bInterfaceClass  6 bInterfaceSubClass  7 bInterfaceProtocol   6 bInterval

export const DESC_LENGTH = 0;
export const DESC_TYPE = 1;

// bDescriptorType values (§9.4, Table 9-5).
export const DT_DEVICE = 1;
export const DT_CONFIG = 2;
export const DT_STRING = 3;
export const DT_INTERFACE = 4;
export const DT_ENDPOINT = 5;

export const DEV_CLASS = 4;
export const DEV_MAX_PACKET0 = 7;
export const DEV_VENDOR = 8;
export const DEV_PRODUCT = 10;
export const DEV_SERIAL = 16;            // iSerialNumber: the index of its string
export const DEV_NUM_CONFIGS = 17;
export const DEV_SIZE = 18;

export const CFG_TOTAL_LENGTH = 2;
export const CFG_NUM_INTERFACES = 4;
export const CFG_VALUE = 5;
export const CFG_SIZE = 9;

export const IF_NUMBER = 2;
export const IF_ALT = 3;
export const IF_NUM_ENDPOINTS = 4;
export const IF_CLASS = 5;
export const IF_SUBCLASS = 6;
export const IF_PROTOCOL = 7;
export const IF_SIZE = 9;

export const EP_ADDRESS = 2;
export const EP_ATTRIBUTES = 3;
export const EP_MAX_PACKET = 4;
export const EP_INTERVAL = 6;
export const EP_SIZE = 7;
export const EP_TYPE_MASK = 3;          // bmAttributes & 3: UsbType (abi/usb.ts)
export const EP_NUMBER_MASK = 0x0f;     // bEndpointAddress & 15: the endpoint number
export const EP_MAX_PACKET_MASK = 0x7ff; // wMaxPacketSize bits 10..0

export const SETUP_REQUEST_TYPE = 0;
export const SETUP_REQUEST = 1;
export const SETUP_VALUE = 2;
export const SETUP_INDEX = 4;
export const SETUP_LENGTH = 6;
export const SETUP_SIZE = 8;

// Standard requests (§9.4, Table 9-4) a service may make on the default pipe.
export const REQ_GET_STATUS = 0;
export const REQ_CLEAR_FEATURE = 1;
export const REQ_SET_ADDRESS = 5;        // only the host: it addresses the device
export const REQ_GET_DESCRIPTOR = 6;
export const REQ_GET_CONFIGURATION = 8;
export const REQ_SET_CONFIGURATION = 9;  // only the host: it chose the configuration the kernel checked
export const REQ_GET_INTERFACE = 10;
export const REQ_SET_INTERFACE = 11;     // only the host: alternate setting 0 is the one checked
export const RT_TYPE_MASK = 0x60;        // bmRequestType bits 6..5: 0 standard, else class or vendor
export const CLASS_HUB = 9;              // bDeviceClass / bInterfaceClass of a hub (USB 2.0 §11.23.1)
export const FEATURE_ENDPOINT_HALT = 0;  // CLEAR_FEATURE(ENDPOINT_HALT) to an endpoint: clears a stall
export const RT_ENDPOINT = 0x02;         // bmRequestType recipient: endpoint (host-to-device, standard)
