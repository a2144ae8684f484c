// libusb-1.0 (Debian libusb-1.0-0) bound through koffi: the calls, structure offsets and
// numbers the Node host's USB backend (usb.ts) uses, and nothing else. Pointers are BigInt
// (koffi 3). Bound once, on first use, so a node without USB devices never loads libusb.
// Does not decide anything: matching, the transfer pool and event handling live in usb.ts.
// Numbers are libusb.h's (libusb 1.0.26, the ABI of libusb-1.0.so.0 since 1.0.0).
import type { default as KoffiT } from "koffi";

type Koffi = typeof KoffiT;
export type Ptr = bigint;

/** enum libusb_transfer_status. */
export const enum XferStatus { COMPLETED = 0, ERROR = 1, TIMED_OUT = 2, CANCELLED = 3, STALL = 4, NO_DEVICE = 5, OVERFLOW = 6 }
/** enum libusb_hotplug_event and libusb_hotplug_flag. */
export const HOTPLUG_ARRIVED = 1, HOTPLUG_LEFT = 2, HOTPLUG_ENUMERATE = 1, HOTPLUG_MATCH_ANY = -1;
/** LIBUSB_CAP_HAS_HOTPLUG for libusb_has_capability. */
export const CAP_HAS_HOTPLUG = 1;
/** enum libusb_error values this backend tells apart. */
export const ERROR_NO_DEVICE = -4, ERROR_BUSY = -6, ERROR_TIMEOUT = -7, ERROR_PIPE = -9, ERROR_NOT_SUPPORTED = -12;
/** <poll.h> event bits of struct libusb_pollfd. */
export const POLLIN = 0x1, POLLOUT = 0x4;

/*
 * struct libusb_transfer, libusb.h (LP64): 64 bytes with no isochronous packets.
 *
 *   0 libusb_device_handle *dev_handle   8 u8 flags   9 u8 endpoint   10 u8 type
 *  12 u32 timeout (ms)   16 i32 status   20 i32 length   24 i32 actual_length
 *  32 callback   40 void *user_data   48 unsigned char *buffer   56 i32 num_iso_packets
 */
export const TR_HANDLE = 0, TR_FLAGS = 8, TR_ENDPOINT = 9, TR_TYPE = 10, TR_TIMEOUT = 12,
  TR_STATUS = 16, TR_LENGTH = 20, TR_ACTUAL = 24, TR_CALLBACK = 32, TR_USER = 40, TR_BUFFER = 48;
export const TR_SIZE = 64;
/** struct libusb_pollfd: int fd, short events (8 bytes). */
const PFD_SIZE = 8;

export interface PollFd { fd: number; events: number }

/** The libusb calls usb.ts makes. Every int result is 0/a count, or a negative libusb_error. */
export interface LibUsb {
  koffi: Koffi;
  init(): Ptr;
  errorName(code: number): string;
  hasCapability(cap: number): boolean;
  /** The devices now on the bus, each referenced; give the list back with freeDeviceList. */
  deviceList(ctx: Ptr): { list: Ptr; devices: Ptr[] } | number;
  freeDeviceList(list: Ptr): void;
  refDevice(dev: Ptr): void;
  unrefDevice(dev: Ptr): void;
  /** The device descriptor libusb cached at enumeration (18 bytes, host order = LE here). */
  deviceDescriptor(dev: Ptr, out: Uint8Array): number;
  busNumber(dev: Ptr): number;
  portNumbers(dev: Ptr, out: Uint8Array): number;
  open(dev: Ptr): Ptr | number;
  close(handle: Ptr): void;
  setAutoDetach(handle: Ptr, on: boolean): number;
  getConfiguration(handle: Ptr): number;
  claimInterface(handle: Ptr, iface: number): number;
  releaseInterface(handle: Ptr, iface: number): number;
  /** A synchronous control transfer (used while attaching only, never on the hot path). */
  control(handle: Ptr, reqType: number, req: number, value: number, index: number, data: Uint8Array, timeout: number): number;
  /** libusb_clear_halt: CLEAR_FEATURE(ENDPOINT_HALT) and the host side's data toggle reset
   *  (synchronous; the kernel's usbfs times it out). */
  clearHalt(handle: Ptr, endpoint: number): number;
  allocTransfer(): Ptr;
  freeTransfer(t: Ptr): void;
  submit(t: Ptr): number;
  cancel(t: Ptr): number;
  /** libusb_handle_events_timeout_completed with a zero timeout: what is ready, no waiting. */
  handleEventsNow(ctx: Ptr): number;
  pollfds(ctx: Ptr): PollFd[];
  pollfdsHandleTimeouts(ctx: Ptr): boolean;
  setPollfdNotifiers(ctx: Ptr, added: Ptr, removed: Ptr): void;
  hotplugRegister(ctx: Ptr, events: number, flags: number, cb: Ptr): number;
  /** Native memory of n bytes, never freed by the garbage collector. */
  alloc(n: number): Ptr;
  view(p: Ptr, n: number): ArrayBuffer;
  /** The callback types, declared once per process (koffi's type names are global). */
  types: { transfer: unknown; pollAdded: unknown; pollRemoved: unknown; hotplug: unknown };
}

let bound: LibUsb | null = null;

export const LIBUSB_SO = "libusb-1.0.so.0";

/** Binds libusb once; throws with what to install when koffi or libusb is missing. */
export function libusb(): LibUsb {
  if (bound !== null) return bound;
  let koffi: Koffi, lib: ReturnType<Koffi["load"]>;
  try {
    koffi = require("koffi") as Koffi;
    lib = koffi.load(LIBUSB_SO);
  } catch (e) {
    throw new Error(`USB devices need ${LIBUSB_SO} through the koffi package, and loading it failed: ${(e as Error).message}. ` +
      `Install Debian's libusb-1.0-0 (apt-get install libusb-1.0-0) and run \`npm install\` in the PersiaOS directory.`);
  }
  const f = (sig: string) => lib.func(sig);
  const init = f("int libusb_init(_Out_ void **ctx)");
  const getList = f("long libusb_get_device_list(void *ctx, _Out_ void **list)");
  const open = f("int libusb_open(void *dev, _Out_ void **handle)");
  const getConfig = f("int libusb_get_configuration(void *handle, _Out_ int *config)");
  const handleEvents = f("int libusb_handle_events_timeout_completed(void *ctx, void *tv, void *completed)");
  const getPollfds = f("void *libusb_get_pollfds(void *ctx)");
  const freePollfds = f("void libusb_free_pollfds(void *fds)");
  const hotplug = f("int libusb_hotplug_register_callback(void *ctx, int events, int flags, int vendor, int product, int cls, void *cb, void *user, _Out_ int *handle)");
  const hasCap = f("int libusb_has_capability(uint32_t cap)");
  const ports = f("int libusb_get_port_numbers(void *dev, _Out_ uint8_t *ports, int len)");
  const autoDetach = f("int libusb_set_auto_detach_kernel_driver(void *handle, int enable)");
  const control = f("int libusb_control_transfer(void *h, uint8_t rt, uint8_t rq, uint16_t v, uint16_t i, _Inout_ uint8_t *data, uint16_t len, unsigned int t)");
  const allocTransfer = f("void *libusb_alloc_transfer(int iso)");
  const freeList = f("void libusb_free_device_list(void *list, int unref)");
  const pollTimeouts = f("int libusb_pollfds_handle_timeouts(void *ctx)");
  const notifiers = f("void libusb_set_pollfd_notifiers(void *ctx, void *added, void *removed, void *user)");
  const zero = koffi.alloc("uint8_t", 16);                         // struct timeval {0, 0}
  new Uint8Array(koffi.view(zero, 16)).fill(0);
  bound = {
    koffi,
    init: () => {
      const out: [Ptr | null] = [null];
      const r = init(out) as number;
      if (r < 0) throw new Error(`libusb_init failed (${bound!.errorName(r)}): is /dev/bus/usb there and readable? USB devices need usbfs (Linux)`);
      return out[0]!;
    },
    errorName: f("const char *libusb_error_name(int code)"),
    hasCapability: (cap) => (hasCap(cap) as number) !== 0,
    deviceList: (ctx) => {
      const out: [Ptr | null] = [null];
      const n = getList(ctx, out) as number;
      if (n < 0) return n;
      const devices = Array.from(new BigUint64Array(koffi.view(out[0]!, n * 8)));
      return { list: out[0]!, devices };
    },
    freeDeviceList: (list) => freeList(list, 1),
    refDevice: f("void *libusb_ref_device(void *dev)"),
    unrefDevice: f("void libusb_unref_device(void *dev)"),
    deviceDescriptor: f("int libusb_get_device_descriptor(void *dev, _Out_ uint8_t *desc)"),
    busNumber: f("uint8_t libusb_get_bus_number(void *dev)"),
    portNumbers: (dev, out) => ports(dev, out, out.length) as number,
    open: (dev) => {
      const out: [Ptr | null] = [null];
      const r = open(dev, out) as number;
      return r < 0 ? r : out[0]!;
    },
    close: f("void libusb_close(void *handle)"),
    setAutoDetach: (h, on) => autoDetach(h, on ? 1 : 0) as number,
    getConfiguration: (h) => {
      const out = [0];
      const r = getConfig(h, out) as number;
      return r < 0 ? r : out[0];
    },
    claimInterface: f("int libusb_claim_interface(void *handle, int iface)"),
    releaseInterface: f("int libusb_release_interface(void *handle, int iface)"),
    control: (h, rt, rq, v, i, data, t) => control(h, rt, rq, v, i, data, data.length, t) as number,
    clearHalt: f("int libusb_clear_halt(void *handle, uint8_t endpoint)"),
    allocTransfer: () => allocTransfer(0) as Ptr,
    freeTransfer: f("void libusb_free_transfer(void *t)"),
    submit: f("int libusb_submit_transfer(void *t)"),
    cancel: f("int libusb_cancel_transfer(void *t)"),
    handleEventsNow: (ctx) => handleEvents(ctx, zero, null) as number,
    pollfds: (ctx) => {
      const list = getPollfds(ctx) as Ptr;
      const fds: PollFd[] = [];
      if (!list) return fds;
      for (let i = 0; ; i++) {
        const p = new BigUint64Array(koffi.view(list + BigInt(i * 8), 8))[0];
        if (p === 0n) break;
        const v = new DataView(koffi.view(p, PFD_SIZE));
        fds.push({ fd: v.getInt32(0, true), events: v.getInt16(4, true) });
      }
      freePollfds(list);
      return fds;
    },
    pollfdsHandleTimeouts: (ctx) => (pollTimeouts(ctx) as number) !== 0,
    setPollfdNotifiers: (ctx, added, removed) => notifiers(ctx, added, removed, null),
    hotplugRegister: (ctx, events, flags, cb) => {
      const out = [0];
      return hotplug(ctx, events, flags, HOTPLUG_MATCH_ANY, HOTPLUG_MATCH_ANY, HOTPLUG_MATCH_ANY, cb, null, out) as number;
    },
    alloc: (n) => koffi.alloc("uint8_t", n) as Ptr,
    types: {
      transfer: koffi.pointer(koffi.proto("void PersiaUsbTransferCb(void *transfer)")),
      pollAdded: koffi.pointer(koffi.proto("void PersiaUsbPollAdded(int fd, short events, void *user)")),
      pollRemoved: koffi.pointer(koffi.proto("void PersiaUsbPollRemoved(int fd, void *user)")),
      hotplug: koffi.pointer(koffi.proto("int PersiaUsbHotplug(void *ctx, void *dev, int event, void *user)")),
    },
    view: (p, n) => koffi.view(p, n),
  };
  return bound;
}
