// A USB device's descriptors as the Node host reads them (usb.ts): the raw
// device and active configuration descriptors fetched from the device with GET_DESCRIPTOR
// (not libusb's cache), its serial string (UTF-16 decoded, as metal does), the interface
// numbers to claim, the descriptor offsets the host matches on, and libusb's transfer
// status as the contract's errno. The reads are synchronous on Node's loop, so a device
// cannot make them long: each has ATTACH_TIMEOUT_MS, at most CONFIG_HEADS_MAX
// configuration heads are read, and all of one attach share an AttachBudget. Checks nothing a device
// could lie about beyond not reading past the bytes it gave: the kernel parses them
// strictly at k_usb_attach (spec/abi.md "USB").
import { Errno } from "../../abi/errno";
import { USB_DEVICE_DESC, USB_DIR_IN } from "../../abi/usb";
import { REQ_GET_DESCRIPTOR, DT_DEVICE, DT_CONFIG, DT_STRING, DT_INTERFACE, DEV_NUM_CONFIGS, CFG_TOTAL_LENGTH,
  CFG_VALUE, CFG_SIZE, IF_NUMBER } from "../../wire/layout/usb";
import { ERROR_TIMEOUT, LibUsb, Ptr, XferStatus } from "./libusb";

/** The bytes of a control transfer's setup packet, ahead of its data in libusb's buffer. */
export const SETUP = 8;
/** The timeout of each control transfer that reads descriptors while attaching (ms): a
 *  device answers GET_DESCRIPTOR within 5 ms when it is well (USB 2.0 §9.2.6.4). */
export const ATTACH_TIMEOUT_MS = 200;
/** All the reads of one attach together (ms): Node's loop waits for them. */
export const ATTACH_BUDGET_MS = 1000;
/** Configuration heads read while looking for the active one (a device may claim 255). */
export const CONFIG_HEADS_MAX = 8;

/** The time left for one device's attach; every read takes its timeout from it. */
export class AttachBudget {
  private readonly end: number;
  constructor(ms = ATTACH_BUDGET_MS, private readonly now: () => number = Date.now) { this.end = now() + ms; }
  /** The timeout for the next read, or 0 when the budget is spent. */
  next(): number { return Math.max(0, Math.min(ATTACH_TIMEOUT_MS, this.end - this.now())); }
}

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
export function readDescriptors(lib: LibUsb, h: Ptr, budget: AttachBudget): Uint8Array | string {
  const dd = new Uint8Array(USB_DEVICE_DESC);
  const n = getDescriptor(lib, h, DT_DEVICE, 0, dd, budget);
  if (n < 0) return failedRead(lib, "its device descriptor", n);
  const active = lib.getConfiguration(h);
  if (active < 0) return failedRead(lib, "its active configuration", active);
  const head = new Uint8Array(CFG_SIZE);
  // The first head whose value is the active one; a device claiming more than
  // CONFIG_HEADS_MAX configurations is looked at no further.
  for (let index = 0; index < Math.min(CONFIG_HEADS_MAX, Math.max(1, dd[DEV_NUM_CONFIGS])); index++) {
    const m = getDescriptor(lib, h, DT_CONFIG, index, head, budget);
    if (m < 0) return failedRead(lib, `configuration descriptor ${index}`, m);
    if (m < CFG_SIZE || head[CFG_VALUE] !== active) continue;
    const config = new Uint8Array(head[CFG_TOTAL_LENGTH] | (head[CFG_TOTAL_LENGTH + 1] << 8));
    const k = getDescriptor(lib, h, DT_CONFIG, index, config, budget);
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

/** The device's string `index` in its first language, UTF-16 decoded as metal decodes it
 *  (hosts/metal/src/dev/xhci.rs `string`; a lone surrogate becomes U+FFFD), "" for index 0;
 *  or why it could not be read. */
export function readString(lib: LibUsb, h: Ptr, index: number, budget: AttachBudget): string | { failed: string } {
  if (index === 0) return "";
  const langs = new Uint8Array(4);
  const n = getDescriptor(lib, h, DT_STRING, 0, langs, budget);
  if (n < 0) return { failed: failedRead(lib, "its string languages", n) };
  if (n < 4 || langs[1] !== DT_STRING) return { failed: "its string language list is malformed" };
  const s = new Uint8Array(255);
  const m = getDescriptor(lib, h, DT_STRING, index, s, budget, langs[2] | (langs[3] << 8));
  if (m < 0) return { failed: failedRead(lib, `its string ${index}`, m) };
  const k = Math.min(m, s[0]);
  if (k < 2 || s[1] !== DT_STRING) return { failed: `its string ${index} is malformed` };
  const units: number[] = [];
  for (let at = 2; at + 1 < k; at += 2) units.push(s[at] | (s[at + 1] << 8));
  let out = "";
  for (let i = 0; i < units.length; i++) {
    const u = units[i];
    if (u >= 0xd800 && u < 0xdc00 && i + 1 < units.length && units[i + 1] >= 0xdc00 && units[i + 1] < 0xe000) {
      out += String.fromCharCode(u, units[++i]);
    } else out += u >= 0xd800 && u < 0xe000 ? "\ufffd" : String.fromCharCode(u);
  }
  return out;
}

/** GET_DESCRIPTOR; LIBUSB_ERROR_TIMEOUT without a transfer when the budget is spent (a
 *  timeout of 0 would be libusb's "forever"). */
function getDescriptor(lib: LibUsb, h: Ptr, type: number, index: number, out: Uint8Array, budget: AttachBudget, lang = 0): number {
  const t = budget.next();
  if (t <= 0) return ERROR_TIMEOUT;
  return lib.control(h, USB_DIR_IN, REQ_GET_DESCRIPTOR, (type << 8) | index, lang, out, t);
}

function failedRead(lib: LibUsb, what: string, code: number): string {
  return `reading ${what} failed (${lib.errorName(code)}${code === ERROR_TIMEOUT ? `: each read may take ${ATTACH_TIMEOUT_MS} ms, an attach ${ATTACH_BUDGET_MS} ms` : ""})`;
}

/** The distinct bInterfaceNumber of every interface descriptor in a configuration (after
 *  the device descriptor), walked by bLength; the walk stops at a length that lies (the
 *  kernel already refused such descriptors). */
export function interfacesOf(desc: Uint8Array): number[] {
  const found: number[] = [];
  for (let at = USB_DEVICE_DESC; at + 2 <= desc.length;) {
    const len = desc[at];
    if (len < 2 || at + len > desc.length) break;
    if (desc[at + 1] === DT_INTERFACE && len > IF_NUMBER && !found.includes(desc[at + IF_NUMBER])) found.push(desc[at + IF_NUMBER]);
    at += len;
  }
  return found;
}
