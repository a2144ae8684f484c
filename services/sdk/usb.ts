// A granted USB device for services (issue #16; spec/abi.md "USB"): thin typed wrappers over
// the generated syscalls (abi/gen/persia.ts usb_desc, usb_submit, usb_cancel, usb_event), the
// request record (abi/usb.ts UR_*) built in a caller's buffer, the event record read, and
// the descriptors usb_desc gives walked (wire/layout/usb.ts): a device's ids, an interface
// by class, an endpoint of it by type and direction. Every walk checks each descriptor's
// own length against the bytes it has, whatever the kernel checked. Nothing allocates;
// nothing here waits (a transfer ends later, as an event). Used by services/usbdisk and
// tests/services/usbprobe.
import { CapKind } from "../../abi/caps";
import { Errno } from "../../abi/errno";
import {
  UsbType, USB_DIR_IN, USB_DEVICE_DESC, UR_EP, UR_TIMEOUT, UR_SETUP, UR_PTR, UR_LEN, UR_COOKIE, UR_SIZE,
  UE_KIND, UE_HANDLE, UE_STATUS, UE_ACTUAL, UE_COOKIE, UE_SIZE,
} from "../../abi/usb";
import { sys_cap_find, sys_usb_desc, sys_usb_submit, sys_usb_cancel, sys_usb_event } from "../../abi/gen/persia";
import * as D from "../../wire/layout/usb";

/** Bytes of a request record and of an event record (the caller's buffers). */
export const REQUEST_SIZE: i32 = UR_SIZE;
export const EVENT_SIZE: i32 = UE_SIZE;
/** "any" for findInterface's subclass and protocol. */
export const ANY: i32 = -1;

/** Handle of the service's first USB capability, or -Errno (ENOENT: none granted). */
export function first(): i32 {
  return sys_cap_find(CapKind.USB, 0);
}

/** Copy the device's descriptors into [p, +cap): their whole length (more than cap when cut
 *  off), or -Errno (ENODEV: unplugged). */
export function descriptors(handle: i32, p: usize, cap: i32): i32 {
  return sys_usb_desc(handle, <i32>p, cap);
}

/** The 8-byte setup packet (USB 2.0 §9.3) as the u64 the request record holds. */
export function setup(requestType: u32, request: u32, value: u32, index: u32, length: u32): u64 {
  return <u64>(requestType & 0xff) | <u64>(request & 0xff) << 8 | <u64>(value & 0xffff) << 16 |
    <u64>(index & 0xffff) << 32 | <u64>(length & 0xffff) << 48;
}

/** A control transfer on the default pipe into the record at req: its length is the setup
 *  packet's wLength; data goes to (IN) or comes from (OUT) buf, as bmRequestType says. */
export function control(req: usize, setupPacket: u64, buf: usize, timeoutMs: u32, cookie: u32): void {
  record(req, 0, timeoutMs, setupPacket, buf, <u32>(setupPacket >> 48), cookie);
}

/** A bulk or interrupt transfer on endpoint address ep (bit 7: IN) into the record at req:
 *  the kernel knows the endpoint's type from the descriptors. */
export function transfer(req: usize, ep: u32, buf: usize, len: u32, timeoutMs: u32, cookie: u32): void {
  record(req, ep, timeoutMs, 0, buf, len, cookie);
}

function record(req: usize, ep: u32, timeoutMs: u32, setupPacket: u64, buf: usize, len: u32, cookie: u32): void {
  store<u32>(req + UR_EP, ep & 0xff);   // and the three reserved bytes, zero
  store<u32>(req + UR_TIMEOUT, timeoutMs);
  store<u64>(req + UR_SETUP, setupPacket);
  store<u32>(req + UR_PTR, <u32>buf);
  store<u32>(req + UR_LEN, len);
  store<u32>(req + UR_COOKIE, cookie);
}

/** Start the transfer the record at req describes: 0, or -Errno (refused; no event follows). */
export function submit(handle: i32, req: usize): i32 {
  return sys_usb_submit(handle, <i32>req);
}

/** Cancel the device's transfers carrying cookie: how many, or -Errno. Each still ends with
 *  an event (ECANCELED, or how it ended first). */
export function cancel(handle: i32, cookie: u32): i32 {
  return sys_usb_cancel(handle, <i32>cookie);
}

/** The next USB event into ev (EVENT_SIZE bytes): true, or false when none is queued. */
export function nextEvent(ev: usize): bool {
  return sys_usb_event(<i32>ev) == 0;
}

/** An event's UsbEvent kind, capability handle, status (0 or -Errno), bytes moved, cookie. */
export function kind(ev: usize): i32 { return <i32>load<u8>(ev + UE_KIND); }
export function handle(ev: usize): i32 { return <i32>load<u16>(ev + UE_HANDLE); }
export function status(ev: usize): i32 { return load<i32>(ev + UE_STATUS); }
export function actual(ev: usize): i32 { return load<i32>(ev + UE_ACTUAL); }
export function cookie(ev: usize): u32 { return load<u32>(ev + UE_COOKIE); }

/** idVendor and idProduct of the n descriptor bytes at p, or -1 when n is too short. */
export function vendor(p: usize, n: i32): i32 { return n < USB_DEVICE_DESC ? -1 : <i32>load<u16>(p + D.DEV_VENDOR); }
export function product(p: usize, n: i32): i32 { return n < USB_DEVICE_DESC ? -1 : <i32>load<u16>(p + D.DEV_PRODUCT); }

/** Offset of the next descriptor after the one at `at` among n bytes, or -1 when the one at
 *  `at` is not whole (a length under 2 or past the end: a walk stops there). */
export function next(p: usize, n: i32, at: i32): i32 {
  if (at < 0 || at + 2 > n) return -1;
  let len = <i32>load<u8>(p + <usize>(at + D.DESC_LENGTH));
  return len < 2 || at + len > n ? -1 : at + len;
}

/** Offset of the first interface descriptor (alternate setting 0) of class cls, subclass
 *  and protocol (ANY: any), or -1. */
export function findInterface(p: usize, n: i32, cls: i32, subclass: i32, protocol: i32): i32 {
  for (let at = USB_DEVICE_DESC; next(p, n, at) > 0; at = next(p, n, at)) {
    let d = p + <usize>at;
    if (load<u8>(d + D.DESC_TYPE) != D.DT_INTERFACE || <i32>load<u8>(d + D.DESC_LENGTH) < D.IF_SIZE) continue;
    if (load<u8>(d + D.IF_ALT) != 0 || <i32>load<u8>(d + D.IF_CLASS) != cls) continue;
    if (subclass != ANY && <i32>load<u8>(d + D.IF_SUBCLASS) != subclass) continue;
    if (protocol != ANY && <i32>load<u8>(d + D.IF_PROTOCOL) != protocol) continue;
    return at;
  }
  return -1;
}

/** bInterfaceNumber of the interface descriptor at offset at (from findInterface). */
export function interfaceNumber(p: usize, at: i32): u32 {
  return <u32>load<u8>(p + <usize>(at + D.IF_NUMBER));
}

/** Offset of the first endpoint descriptor of type `type` and direction IN (in) or OUT of
 *  the interface whose descriptor is at iface, before the next interface; -1 if none. */
export function findEndpoint(p: usize, n: i32, iface: i32, type: UsbType, dirIn: bool): i32 {
  if (next(p, n, iface) < 0) return -1;
  for (let at = next(p, n, iface); next(p, n, at) > 0; at = next(p, n, at)) {
    let d = p + <usize>at;
    let t = load<u8>(d + D.DESC_TYPE);
    if (t == D.DT_INTERFACE) return -1;
    if (t != D.DT_ENDPOINT || <i32>load<u8>(d + D.DESC_LENGTH) < D.EP_SIZE) continue;
    let addr = <u32>load<u8>(d + D.EP_ADDRESS);
    if ((addr & D.EP_NUMBER_MASK) == 0 || ((addr & USB_DIR_IN) != 0) != dirIn) continue;
    if ((<u32>load<u8>(d + D.EP_ATTRIBUTES) & D.EP_TYPE_MASK) == <u32>type) return at;
  }
  return -1;
}

/** bEndpointAddress and the max packet size in bytes of the endpoint descriptor at `at`. */
export function endpointAddress(p: usize, at: i32): u32 { return <u32>load<u8>(p + <usize>(at + D.EP_ADDRESS)); }
export function maxPacket(p: usize, at: i32): u32 { return <u32>load<u16>(p + <usize>(at + D.EP_MAX_PACKET)) & D.EP_MAX_PACKET_MASK; }

/** The setup packet of CLEAR_FEATURE(ENDPOINT_HALT) for endpoint address ep: what clears a
 *  stall (EPIPE) before the next transfer on it (USB 2.0 §9.4.1). */
export function clearHalt(ep: u32): u64 {
  return setup(D.RT_ENDPOINT, D.REQ_CLEAR_FEATURE, D.FEATURE_ENDPOINT_HALT, ep, 0);
}

/** The name of an Errno (for logs and text replies): "EPIPE"; "OK" for 0; "E?" for a code abi/errno.ts does not name. */
export function errName(code: i32): string {
  switch (code < 0 ? -code : code) {
    case Errno.OK: return "OK";
    case Errno.EPERM: return "EPERM";
    case Errno.ENOENT: return "ENOENT";
    case Errno.EBADF: return "EBADF";
    case Errno.EINVAL: return "EINVAL";
    case Errno.EAGAIN: return "EAGAIN";
    case Errno.EMSGSIZE: return "EMSGSIZE";
    case Errno.ENOSPC: return "ENOSPC";
    case Errno.EFAULT: return "EFAULT";
    case Errno.EHOSTUNREACH: return "EHOSTUNREACH";
    case Errno.EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case Errno.ERANGE: return "ERANGE";
    case Errno.EIO: return "EIO";
    case Errno.ENOSYS: return "ENOSYS";
    case Errno.EBADMSG: return "EBADMSG";
    case Errno.EEXIST: return "EEXIST";
    case Errno.ENODEV: return "ENODEV";
    case Errno.EACCES: return "EACCES";
    case Errno.ESTALE: return "ESTALE";
    case Errno.EDQUOT: return "EDQUOT";
    case Errno.ENOTSUP: return "ENOTSUP";
    case Errno.ETIMEDOUT: return "ETIMEDOUT";
    case Errno.EPIPE: return "EPIPE";
    case Errno.ECANCELED: return "ECANCELED";
    case Errno.EOVERFLOW: return "EOVERFLOW";
    default: return "E?";
  }
}
