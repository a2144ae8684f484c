// USB devices as capabilities (issue #16; spec/abi.md "USB", spec/capabilities.md "USB").
// The manifest names up to USB_MAX devices and grants each whole to at most one service
// (its holder). The host matches the physical device and reports it with k_usb_attach,
// giving the device and active configuration descriptors; the kernel parses them strictly
// and keeps the endpoints of alternate setting 0 (the only one active: SET_INTERFACE is
// refused). A service's transfer is checked here in full before the host sees it, then
// runs in one of the device's USB_INFLIGHT slots; its end (k_usb_done) is queued as a
// COMPLETE event for the holder, as are ATTACH and DETACH, and the holder is woken.
//
// A slot stays taken until the service has read the COMPLETE event with usb_event, so a
// device's queue never holds more than USB_INFLIGHT completions: those are never lost.
// The rest of its USB_EVENTQ entries hold ATTACH and DETACH, which alternate; when they are
// full, the oldest two (one attach and one detach) are dropped, so what remains still
// alternates and ends in the device's present state.
//
// When the holder's instance stops (fault, restart, unload) or the capability a transfer
// was submitted with is revoked, its transfers in flight are cancelled at the host and
// become orphans: their completions are discarded, never written into a new instance's
// memory. Nothing here allocates; no host or service input can trap.
import { Errno } from "../../abi/errno";
import { LogLevel, SvcState } from "../../abi/kernel";
import { CapKind, RIGHT_READ, RIGHT_WRITE } from "../../abi/caps";
import { USB_MAX, USB_INFLIGHT, USB_XFER_MAX, USB_DESC_MAX, USB_TIMEOUT_MAX_MS, USB_EVENTQ } from "../../abi/limits";
import { UsbType, UsbEvent, USB_DIR_IN, USB_DEVICE_DESC, UR_EP, UR_TIMEOUT, UR_SETUP, UR_PTR, UR_LEN,
  UR_COOKIE, UR_SIZE, UE_KIND, UE_HANDLE, UE_STATUS, UE_ACTUAL, UE_COOKIE, UE_SIZE } from "../../abi/usb";
import { REQ_GET_STATUS, REQ_GET_DESCRIPTOR, REQ_GET_CONFIGURATION, REQ_GET_INTERFACE, REQ_SET_ADDRESS, REQ_SET_CONFIGURATION,
  REQ_SET_INTERFACE, RT_TYPE_MASK, CLASS_HUB, DEV_CLASS, IF_CLASS } from "../../wire/layout/usb";
import { host_usb_submit, host_usb_cancel, host_svc_read, host_svc_write } from "../../abi/gen/host";
import { SVC_MAX } from "../param";
import { logStart, logStr, logInt, logEnd } from "../log";
import { resolve, capKind, capObject, capRights, capHandle } from "./caps";
import { svcState } from "./registry";
import { svcWoken } from "./queue";

/** Buf.USB: descriptors before k_usb_attach, a completion's IN data before k_usb_done. */
export const USB_BUF: usize = memory.data(USB_XFER_MAX, 16);
const STAGE: usize = memory.data(USB_XFER_MAX, 16);          // an OUT transfer's bytes, copied at submit
const DESC: usize = memory.data(USB_MAX * USB_DESC_MAX, 8);   // each device's checked descriptors
const REQ: usize = memory.data(32, 8);                        // a request or event record

const EP_TABLE = 32;   // endpoint table per device: index (address & 15) | (IN ? 16 : 0)
const PLUG_MAX = USB_EVENTQ - USB_INFLIGHT;   // ATTACH/DETACH events queued per device

// Transfer slot states.
const FREE: u8 = 0;
const BUSY: u8 = 1;     // at the host; its k_usb_done completes it
const DONE: u8 = 2;     // completed; its COMPLETE event waits in the queue
const ORPHAN: u8 = 3;   // at the host, but its service instance or capability is gone: discard

// Per device.
const declared = new StaticArray<bool>(USB_MAX);
const present = new StaticArray<bool>(USB_MAX);
const holder = new StaticArray<i16>(USB_MAX);      // service, or -1
const rootSlot = new StaticArray<i16>(USB_MAX);    // the holder's granted capability (ATTACH/DETACH name it)
const descLen = new StaticArray<i32>(USB_MAX);
const eps = new StaticArray<u8>(USB_MAX * EP_TABLE);   // 0: no such endpoint, else UsbType + 1
export const usbXfers = new StaticArray<u64>(USB_MAX);    // transfers completed (any status)
export const usbErrors = new StaticArray<u64>(USB_MAX);   // ... of which with an error status
export const usbLate = new StaticArray<u64>(USB_MAX);     // k_usb_done for no transfer in flight: ignored
export const usbRefused = new StaticArray<u64>(USB_MAX);  // attaches refused (descriptors that lie)
export const usbCoalesced = new StaticArray<u64>(USB_MAX); // ATTACH/DETACH events dropped from a full queue

// Per transfer slot (dev * USB_INFLIGHT + xfer).
const N = USB_MAX * USB_INFLIGHT;
const xState = new StaticArray<u8>(N);
const xHandle = new StaticArray<i32>(N);
const xIn = new StaticArray<bool>(N);
const xPtr = new StaticArray<u32>(N);
const xLen = new StaticArray<i32>(N);
const xCookie = new StaticArray<u32>(N);
const xStatus = new StaticArray<i32>(N);
const xActual = new StaticArray<i32>(N);
const xCancelled = new StaticArray<bool>(N);

// Per device event ring.
const qKind = new StaticArray<u8>(USB_MAX * USB_EVENTQ);
const qSlot = new StaticArray<u8>(USB_MAX * USB_EVENTQ);     // COMPLETE: the transfer slot
const qHandle = new StaticArray<i32>(USB_MAX * USB_EVENTQ);
const qHead = new StaticArray<i32>(USB_MAX);
const qCount = new StaticArray<i32>(USB_MAX);
const qPlug = new StaticArray<i32>(USB_MAX);                 // ATTACH/DETACH among them
const svcEvents = new StaticArray<i32>(SVC_MAX);             // events queued for a service, all devices

/** Did the manifest name any USB device? (The scheduler asks only then.) */
export let usbAny = false;

export function usbDeclared(dev: i32): bool { return <u32>dev < <u32>USB_MAX && unchecked(declared[dev]); }
export function usbPresent(dev: i32): bool { return usbDeclared(dev) && unchecked(present[dev]); }
export function usbHolder(dev: i32): i32 { return <u32>dev < <u32>USB_MAX ? <i32>unchecked(holder[dev]) : -1; }
export function usbDescLen(dev: i32): i32 { return unchecked(descLen[dev]); }
export function usbDesc(dev: i32): usize { return DESC + <usize>(dev * USB_DESC_MAX); }
/** Transfers in flight on dev (at the host, or completed and not yet read). */
export function usbInflight(dev: i32): i32 {
  let n = 0;
  for (let x = 0; x < USB_INFLIGHT; x++) if (unchecked(xState[dev * USB_INFLIGHT + x]) != FREE) n++;
  return n;
}
/** Does svc have USB events to read? */
export function usbPending(svc: i32): bool { return unchecked(svcEvents[svc]) > 0; }

// ——— boot ———

/** Empty the table (boot, and a refused boot). Transfers cannot be in flight then. */
export function usbReset(): void {
  usbAny = false;
  for (let d = 0; d < USB_MAX; d++) {
    unchecked(declared[d] = false); unchecked(present[d] = false); unchecked(holder[d] = -1);
    unchecked(rootSlot[d] = -1); unchecked(descLen[d] = 0);
    unchecked(qHead[d] = 0); unchecked(qCount[d] = 0); unchecked(qPlug[d] = 0);
    unchecked(usbXfers[d] = 0); unchecked(usbErrors[d] = 0); unchecked(usbLate[d] = 0);
    unchecked(usbRefused[d] = 0); unchecked(usbCoalesced[d] = 0);
  }
  for (let i = 0; i < N; i++) unchecked(xState[i] = FREE);
  for (let s = 0; s < SVC_MAX; s++) unchecked(svcEvents[s] = 0);
}

/** Rec.USB: device dev exists. The caller checked dev < USB_MAX and declared once. */
export function usbDeclare(dev: i32): void { unchecked(declared[dev] = true); usbAny = true; }

/** Rec.CAP_USB: dev is granted to svc as capability slot `slot`. */
export function usbGrant(dev: i32, svc: i32, slot: i32): void {
  unchecked(holder[dev] = <i16>svc);
  unchecked(rootSlot[dev] = <i16>slot);
}

// ——— the event queue ———

function wake(svc: i32): void { unchecked(svcWoken[svc] = true); }

function push(dev: i32, kind: UsbEvent, slot: i32, handle: i32): void {
  let svc = <i32>unchecked(holder[dev]);
  let base = dev * USB_EVENTQ;
  let c = unchecked(qCount[dev]);
  if (c >= USB_EVENTQ) return;   // cannot happen: completions ≤ USB_INFLIGHT, plugs ≤ PLUG_MAX
  unchecked(qKind[base + (unchecked(qHead[dev]) + c) % USB_EVENTQ] = <u8>kind);
  unchecked(qSlot[base + (unchecked(qHead[dev]) + c) % USB_EVENTQ] = <u8>slot);
  unchecked(qHandle[base + (unchecked(qHead[dev]) + c) % USB_EVENTQ] = handle);
  unchecked(qCount[dev] = c + 1);
  unchecked(svcEvents[svc]++);
  wake(svc);
}

function pop(dev: i32): void {
  let base = dev * USB_EVENTQ, h = unchecked(qHead[dev]);
  let k = unchecked(qKind[base + h]);
  if (k == UsbEvent.COMPLETE) unchecked(xState[dev * USB_INFLIGHT + <i32>unchecked(qSlot[base + h])] = FREE);
  else unchecked(qPlug[dev]--);
  unchecked(qHead[dev] = (h + 1) % USB_EVENTQ);
  unchecked(qCount[dev]--);
  let svc = <i32>unchecked(holder[dev]);
  if (svc >= 0) unchecked(svcEvents[svc]--);
}

/** Empty dev's queue; its completed transfers' slots are free again. */
function clearQueue(dev: i32): void {
  while (unchecked(qCount[dev]) > 0) pop(dev);
}

/** Remove from dev's queue (keeping its order) the two oldest ATTACH/DETACH events
 *  (oldestPlugs), or every event whose handle is no longer a live capability of svc on
 *  dev (a completion's slot is free again). How many went. */
function dropEvents(dev: i32, oldestPlugs: bool, svc: i32): i32 {
  let base = dev * USB_EVENTQ, h = unchecked(qHead[dev]), c = unchecked(qCount[dev]);
  let plugs = 0, w = 0;
  for (let i = 0; i < c; i++) {
    let from = base + (h + i) % USB_EVENTQ;
    let kind = unchecked(qKind[from]);
    let drop = oldestPlugs ? plugs < 2 && kind != UsbEvent.COMPLETE : !live(svc, unchecked(qHandle[from]), dev);
    if (drop) {
      if (kind == UsbEvent.COMPLETE) unchecked(xState[dev * USB_INFLIGHT + <i32>unchecked(qSlot[from])] = FREE);
      else plugs++;
      continue;
    }
    let to = base + (h + w) % USB_EVENTQ;
    unchecked(qKind[to] = kind);
    unchecked(qSlot[to] = unchecked(qSlot[from]));
    unchecked(qHandle[to] = unchecked(qHandle[from]));
    w++;
  }
  unchecked(qCount[dev] = w);
  unchecked(qPlug[dev] -= plugs);
  unchecked(svcEvents[<i32>unchecked(holder[dev])] -= c - w);
  return c - w;
}

/** Queue ATTACH or DETACH for dev's holder, if it has one. */
function plug(dev: i32, kind: UsbEvent): void {
  let svc = <i32>unchecked(holder[dev]), root = <i32>unchecked(rootSlot[dev]);
  if (svc < 0 || root < 0) return;   // no holder, or it revoked its capability
  if (unchecked(qPlug[dev]) >= PLUG_MAX) unchecked(usbCoalesced[dev] += <u64>dropEvents(dev, true, -1));
  unchecked(qPlug[dev]++);
  push(dev, kind, 0, capHandle(svc, root));
}

/** Transfer slot i completed: status, actual bytes; queue its COMPLETE event. */
function complete(dev: i32, i: i32, status: i32, actual: i32): void {
  unchecked(usbXfers[dev]++);
  if (status != 0) unchecked(usbErrors[dev]++);
  if (unchecked(holder[dev]) < 0) { unchecked(xState[i] = FREE); return; }
  unchecked(xState[i] = DONE);
  unchecked(xStatus[i] = status);
  unchecked(xActual[i] = actual);
  push(dev, UsbEvent.COMPLETE, i - dev * USB_INFLIGHT, unchecked(xHandle[i]));
}

// ——— the host's calls ———

function refuse(dev: i32, field: string, why: string): i32 {
  unchecked(present[dev] = false);
  unchecked(usbRefused[dev]++);
  logStart();
  logStr("USB device ");
  logInt(dev);
  logStr(" refused: its descriptors lie, ");
  logStr(field);
  logStr(": ");
  logStr(why);
  logStr("; it stays unusable until it is plugged in again (check the device, or its host backend)");
  logEnd(LogLevel.WARN);
  return -Errno.EBADMSG;
}

/** Parse the len bytes of descriptors at p for dev, filling its endpoint table. 0 or -EBADMSG. */
function parse(dev: i32, p: usize, len: i32): i32 {
  if (len < USB_DEVICE_DESC + 9) return refuse(dev, "length", "shorter than a device and a configuration descriptor");
  if (len > USB_DESC_MAX) return refuse(dev, "length", "more than USB_DESC_MAX bytes");
  if (load<u8>(p) != USB_DEVICE_DESC) return refuse(dev, "device bLength", "not 18");
  if (load<u8>(p + 1) != 1) return refuse(dev, "device bDescriptorType", "not DEVICE (1)");
  let mps0 = <i32>load<u8>(p + 7), bcd = <i32>load<u16>(p + 2);
  if (load<u8>(p + DEV_CLASS) == CLASS_HUB) return refuse(dev, "bDeviceClass", "9 (hub): a hub cannot be granted, its ports would reach devices below it (grant those devices instead)");
  let mpsOk = mps0 == 8 || mps0 == 16 || mps0 == 32 || mps0 == 64 || (mps0 == 9 && bcd >= 0x0300);
  if (!mpsOk) return refuse(dev, "bMaxPacketSize0", "not 8, 16, 32, 64, or 9 (512) for USB 3");
  let c = p + USB_DEVICE_DESC;
  let cl = <i32>load<u8>(c);
  if (load<u8>(c + 1) != 2) return refuse(dev, "configuration bDescriptorType", "not CONFIGURATION (2)");
  if (cl < 9) return refuse(dev, "configuration bLength", "less than 9");
  let total = <i32>load<u16>(c + 2);
  if (total != len - USB_DEVICE_DESC) return refuse(dev, "wTotalLength", "not the length of the configuration given");
  if (cl > total) return refuse(dev, "configuration bLength", "past wTotalLength");
  let t = dev * EP_TABLE;
  for (let i = 0; i < EP_TABLE; i++) unchecked(eps[t + i] = 0);
  let off = cl, alt = -1;
  while (off < total) {
    if (total - off < 2) return refuse(dev, "descriptor", "a descriptor header runs past wTotalLength");
    let d = c + <usize>off;
    let bl = <i32>load<u8>(d), ty = <i32>load<u8>(d + 1);
    if (bl < 2) return refuse(dev, "bLength", "a descriptor shorter than 2 bytes");
    if (bl > total - off) return refuse(dev, "bLength", "a descriptor runs past wTotalLength");
    if (ty == 1 || ty == 2) return refuse(dev, "bDescriptorType", "a second device or configuration descriptor");
    if (ty == 4) {
      if (bl < 9) return refuse(dev, "interface bLength", "less than 9");
      alt = <i32>load<u8>(d + 3);
      if (load<u8>(d + IF_CLASS) == CLASS_HUB) return refuse(dev, "bInterfaceClass", "9 (hub): a hub cannot be granted, its ports would reach devices below it (grant those devices instead)");
    } else if (ty == 5) {
      if (bl < 7) return refuse(dev, "endpoint bLength", "less than 7");
      if (alt < 0) return refuse(dev, "endpoint", "before any interface descriptor");
      let a = <i32>load<u8>(d + 2);
      if ((a & 0x0f) == 0) return refuse(dev, "bEndpointAddress", "endpoint 0 (the default pipe) in a configuration");
      if ((a & 0x70) != 0) return refuse(dev, "bEndpointAddress", "reserved bits 4..6 set");
      let type = <i32>load<u8>(d + 3) & 3;
      let mps = <i32>load<u16>(d + 4) & 0x7ff;
      if ((type == UsbType.BULK || type == UsbType.INTERRUPT) && mps == 0) {
        return refuse(dev, "wMaxPacketSize", "0 for a bulk or interrupt endpoint");
      }
      if (alt == 0) {
        let k = t + ((a & 0x0f) | ((a & USB_DIR_IN) >> 3));
        if (unchecked(eps[k]) != 0) return refuse(dev, "bEndpointAddress", "the same endpoint twice in alternate setting 0");
        unchecked(eps[k] = <u8>(type + 1));
      }
    }
    off += bl;
  }
  return 0;
}

/** Every transfer at the host completes with -ENODEV; orphans are forgotten; the device is
 *  absent and its holder hears DETACH. */
function unplug(dev: i32): void {
  for (let x = 0; x < USB_INFLIGHT; x++) {
    let i = dev * USB_INFLIGHT + x;
    let st = unchecked(xState[i]);
    if (st == BUSY) complete(dev, i, -Errno.ENODEV, 0);
    else if (st == ORPHAN) unchecked(xState[i] = FREE);
  }
  unchecked(present[dev] = false);
  plug(dev, UsbEvent.DETACH);
}

/** k_usb_attach: dev's descriptors are in Buf.USB[0, len). A device already present is
 *  -EEXIST and nothing changes: its transfers at the host stay in flight (a host reports
 *  k_usb_detach first; unplugging here would free slots the host still completes). */
export function usbAttach(dev: i32, len: i32): i32 {
  if (!usbDeclared(dev)) return -Errno.ENODEV;
  if (unchecked(present[dev])) return -Errno.EEXIST;
  let r = parse(dev, USB_BUF, len);
  if (r < 0) return r;
  memory.copy(usbDesc(dev), USB_BUF, <usize>len);
  unchecked(descLen[dev] = len);
  unchecked(present[dev] = true);
  plug(dev, UsbEvent.ATTACH);
  return 0;
}

/** k_usb_detach. */
export function usbDetach(dev: i32): void {
  if (!usbDeclared(dev) || !unchecked(present[dev])) return;
  unplug(dev);
}

/** k_usb_done: the transfer in slot xfer ended with status, len bytes moved (IN data in Buf.USB). */
export function usbDone(dev: i32, xfer: i32, status: i32, len: i32): void {
  if (!usbDeclared(dev)) return;
  if (<u32>xfer >= <u32>USB_INFLIGHT) { unchecked(usbLate[dev]++); return; }
  let i = dev * USB_INFLIGHT + xfer;
  let st = unchecked(xState[i]);
  if (st == ORPHAN) { unchecked(xState[i] = FREE); return; }
  if (st != BUSY) { unchecked(usbLate[dev]++); return; }
  if (status > 0) status = -Errno.EIO;   // a host that breaks the contract: not a success
  let actual = len;
  if (len < 0) { actual = 0; if (status == 0) status = -Errno.EIO; }
  else if (len > unchecked(xLen[i])) { actual = 0; status = -Errno.EOVERFLOW; }   // copy nothing
  else if (unchecked(xIn[i]) && len > 0) {
    let svc = <i32>unchecked(holder[dev]);
    if (host_svc_write(svc, <i32>unchecked(xPtr[i]), <i32>USB_BUF, len) < 0) { actual = 0; status = -Errno.EFAULT; }
  }
  complete(dev, i, status, actual);
}

// ——— service stops, starts, capabilities go ———

/** svc's instance stopped (fault, restart, unload): cancel its transfers at the host (their
 *  completions will be discarded) and empty its queues. */
export function usbStop(svc: i32): void {
  if (!usbAny) return;
  for (let dev = 0; dev < USB_MAX; dev++) {
    if (<i32>unchecked(holder[dev]) != svc) continue;
    for (let x = 0; x < USB_INFLIGHT; x++) {
      let i = dev * USB_INFLIGHT + x;
      if (unchecked(xState[i]) == BUSY) { unchecked(xState[i] = ORPHAN); host_usb_cancel(dev, x); }
    }
    clearQueue(dev);
  }
}

/** svc starts (again): it hears ATTACH for each of its devices that is present. */
export function usbStart(svc: i32): void {
  if (!usbAny) return;
  for (let dev = 0; dev < USB_MAX; dev++) {
    if (<i32>unchecked(holder[dev]) != svc) continue;
    clearQueue(dev);
    if (unchecked(present[dev])) plug(dev, UsbEvent.ATTACH);
  }
}

/** svc is unloaded: it holds its devices no more. */
export function usbForget(svc: i32): void {
  if (!usbAny) return;
  usbStop(svc);
  for (let dev = 0; dev < USB_MAX; dev++) {
    if (<i32>unchecked(holder[dev]) == svc) { unchecked(holder[dev] = -1); unchecked(rootSlot[dev] = -1); }
  }
  unchecked(svcEvents[svc] = 0);
}

/** Some of svc's capabilities were revoked (syscall.ts, after cap_revoke): the transfers
 *  submitted with a handle that no longer resolves are cancelled at the host and become
 *  orphans, whose completions are discarded; the queued events naming such a handle are
 *  dropped (a completion's slot is free again); a revoked grant hears no more plugging. */
export function usbRevoked(svc: i32): void {
  if (!usbAny) return;
  for (let dev = 0; dev < USB_MAX; dev++) {
    if (<i32>unchecked(holder[dev]) != svc) continue;
    for (let x = 0; x < USB_INFLIGHT; x++) {
      let i = dev * USB_INFLIGHT + x;
      if (unchecked(xState[i]) == BUSY && !live(svc, unchecked(xHandle[i]), dev)) {
        unchecked(xState[i] = ORPHAN);
        host_usb_cancel(dev, x);
      }
    }
    dropEvents(dev, false, svc);
    let root = <i32>unchecked(rootSlot[dev]);
    if (root >= 0 && (capKind(svc, root) != CapKind.USB || capObject(svc, root) != dev)) unchecked(rootSlot[dev] = -1);
  }
}

// ——— the syscalls ———

/** The USB device a handle of svc names, or -EBADF. Sets CAP_SLOT. */
let capSlot = 0;
function device(svc: i32, handle: i32): i32 {
  let slot = resolve(svc, handle);
  if (slot < 0) return -Errno.EBADF;
  if (capKind(svc, slot) != CapKind.USB) return -Errno.EBADF;
  capSlot = slot;
  return capObject(svc, slot);
}

/** usb_desc(h, ptr, cap). */
export function usbDescSys(svc: i32, handle: i32, ptr: i32, cap: i32): i32 {
  let dev = device(svc, handle);
  if (dev < 0) return dev;
  if (cap < 0) return -Errno.EINVAL;
  if (!usbPresent(dev)) return -Errno.ENODEV;
  let n = unchecked(descLen[dev]);
  let m = min(n, cap);
  if (m > 0 && host_svc_write(svc, ptr, <i32>usbDesc(dev), m) < 0) return -Errno.EFAULT;
  return n;
}

/** Standard requests only the host makes on the default pipe: SET_ADDRESS,
 *  SET_CONFIGURATION, SET_INTERFACE. */
function hostOnly(setup: usize): bool {
  if ((load<u8>(setup) & RT_TYPE_MASK) != 0) return false;   // class or vendor request
  let r = <i32>load<u8>(setup + 1);
  return r == REQ_SET_ADDRESS || r == REQ_SET_CONFIGURATION || r == REQ_SET_INTERFACE;
}

/** The rights a request on the default pipe needs: a standard GET_STATUS (0),
 *  GET_DESCRIPTOR (6), GET_CONFIGURATION (8) or GET_INTERFACE (10) with bit 7 set only
 *  reads, so READ; anything else (any OUT, any class or vendor request, any other standard
 *  one) can command the device, so WRITE, and READ too when it has an IN data stage. */
function ep0Rights(setup: usize): i32 {
  let rt = <i32>load<u8>(setup), r = <i32>load<u8>(setup + 1);
  let dataIn = (rt & USB_DIR_IN) != 0 && load<u16>(setup + 6) != 0;
  if ((rt & USB_DIR_IN) != 0 && (rt & RT_TYPE_MASK) == 0 && (r == REQ_GET_STATUS || r == REQ_GET_DESCRIPTOR ||
      r == REQ_GET_CONFIGURATION || r == REQ_GET_INTERFACE)) return RIGHT_READ;
  return dataIn ? RIGHT_READ | RIGHT_WRITE : RIGHT_WRITE;
}

/** usb_submit(h, req): check everything, in spec/abi.md's order, then start it. */
export function usbSubmit(svc: i32, handle: i32, req: i32): i32 {
  let dev = device(svc, handle);
  if (dev < 0) return dev;
  let cs = capSlot;
  if (host_svc_read(svc, req, <i32>REQ, UR_SIZE) < 0) return -Errno.EFAULT;
  let ep = <i32>load<u8>(REQ + UR_EP);
  let setup = REQ + UR_SETUP;
  let dirIn = ep == 0 ? (load<u8>(setup) & USB_DIR_IN) != 0 : (ep & USB_DIR_IN) != 0;
  let need = ep == 0 ? ep0Rights(setup) : dirIn ? RIGHT_READ : RIGHT_WRITE;
  if ((capRights(svc, cs) & need) != need) return -Errno.EPERM;
  if (!unchecked(present[dev])) return -Errno.ENODEV;
  let kind = <i32>UsbType.CONTROL;
  if (ep != 0) {
    let e = (ep & 0x70) != 0 ? 0 : <i32>unchecked(eps[dev * EP_TABLE + ((ep & 0x0f) | ((ep & USB_DIR_IN) >> 3))]);
    if (e == 0) return -Errno.ENOENT;
    kind = e - 1;
  }
  let timeout = load<u32>(REQ + UR_TIMEOUT);
  let ptr = load<u32>(REQ + UR_PTR), len = load<u32>(REQ + UR_LEN);
  if (kind == UsbType.ISOCHRONOUS || (kind == UsbType.CONTROL && ep != 0)) return -Errno.EINVAL;
  if (load<u8>(REQ + 1) != 0 || load<u16>(REQ + 2) != 0) return -Errno.EINVAL;
  if (len > <u32>USB_XFER_MAX) return -Errno.EINVAL;
  if (timeout < 1 || timeout > <u32>USB_TIMEOUT_MAX_MS) return -Errno.EINVAL;
  if (kind == UsbType.CONTROL) {
    if (<u32>load<u16>(setup + 6) != len) return -Errno.EINVAL;
  } else if (load<u64>(setup) != 0) return -Errno.EINVAL;
  if (kind == UsbType.CONTROL && hostOnly(setup)) return -Errno.EPERM;
  if (len > 0) {
    if (<u64>ptr + <u64>len > 0xffffffff) return -Errno.EFAULT;
    if (dirIn) {
      // The buffer is written at completion: it must lie in service memory now (which never shrinks).
      if (host_svc_read(svc, <i32>(ptr + len - 1), <i32>REQ + UR_SIZE, 1) < 0 ||
          host_svc_read(svc, <i32>ptr, <i32>REQ + UR_SIZE, 1) < 0) return -Errno.EFAULT;
    } else if (host_svc_read(svc, <i32>ptr, <i32>STAGE, <i32>len) < 0) return -Errno.EFAULT;
  }
  let x = 0;
  while (x < USB_INFLIGHT && unchecked(xState[dev * USB_INFLIGHT + x]) != FREE) x++;
  if (x == USB_INFLIGHT) return -Errno.ENOSPC;
  let i = dev * USB_INFLIGHT + x;
  unchecked(xState[i] = BUSY);
  unchecked(xHandle[i] = handle);
  unchecked(xIn[i] = dirIn);
  unchecked(xPtr[i] = ptr);
  unchecked(xLen[i] = <i32>len);
  unchecked(xCookie[i] = load<u32>(REQ + UR_COOKIE));
  unchecked(xCancelled[i] = false);
  let r = host_usb_submit(dev, x, ep, kind, load<i64>(setup), <i32>STAGE, <i32>len, <i32>timeout);
  if (r < 0) { unchecked(xState[i] = FREE); return r; }
  return 0;
}

/** usb_cancel(h, cookie): how many transfers in flight on the device carry cookie. */
export function usbCancel(svc: i32, handle: i32, cookie: i32): i32 {
  let dev = device(svc, handle);
  if (dev < 0) return dev;
  let n = 0;
  for (let x = 0; x < USB_INFLIGHT; x++) {
    let i = dev * USB_INFLIGHT + x;
    if (unchecked(xState[i]) != BUSY || unchecked(xCookie[i]) != <u32>cookie || unchecked(xCancelled[i])) continue;
    unchecked(xCancelled[i] = true);
    host_usb_cancel(dev, x);
    n++;
  }
  return n;
}

/** Is the handle an event names still svc's USB capability on dev? */
function live(svc: i32, handle: i32, dev: i32): bool {
  let s = resolve(svc, handle);
  return s >= 0 && capKind(svc, s) == CapKind.USB && capObject(svc, s) == dev;
}

let nextDev = 0;

/** usb_event(ptr): the next event of svc's devices, or -EAGAIN. */
export function usbEvent(svc: i32, ptr: i32): i32 {
  if (unchecked(svcEvents[svc]) <= 0) return -Errno.EAGAIN;
  for (let k = 0; k < USB_MAX; k++) {
    let dev = (nextDev + k) % USB_MAX;
    if (<i32>unchecked(holder[dev]) != svc) continue;
    while (unchecked(qCount[dev]) > 0) {
      let q = dev * USB_EVENTQ + unchecked(qHead[dev]);
      let h = unchecked(qHandle[q]);
      if (!live(svc, h, dev)) { pop(dev); continue; }   // its capability was revoked
      let kind = unchecked(qKind[q]);
      memory.fill(REQ, 0, UE_SIZE);
      store<u8>(REQ + UE_KIND, kind);
      store<u16>(REQ + UE_HANDLE, <u16>h);
      if (kind == UsbEvent.COMPLETE) {
        let i = dev * USB_INFLIGHT + <i32>unchecked(qSlot[q]);
        store<i32>(REQ + UE_STATUS, unchecked(xStatus[i]));
        store<u32>(REQ + UE_ACTUAL, <u32>unchecked(xActual[i]));
        store<u32>(REQ + UE_COOKIE, unchecked(xCookie[i]));
      }
      if (host_svc_write(svc, ptr, <i32>REQ, UE_SIZE) < 0) return -Errno.EFAULT;   // it stays queued
      pop(dev);
      nextDev = (dev + 1) % USB_MAX;
      return 0;
    }
  }
  return -Errno.EAGAIN;
}
