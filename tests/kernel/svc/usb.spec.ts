// USB devices as capabilities (kernel/svc/usb.ts, spec/abi.md "USB"), driven through the
// kernel's exports as a host and a service drive them: k_usb_attach with descriptors in
// Buf.USB, k_sys for the four syscalls, k_usb_done with IN data in Buf.USB, k_usb_detach.
// The mock host records every usb_submit (with an OUT transfer's bytes) and usb_cancel.
// Service 0 holds device 0 (read, write, derive); service 1 holds device 1 (read only);
// device 2 is in the manifest but granted to no one.
import { Errno } from "../../../abi/errno";
import { Buf, Fault } from "../../../abi/kernel";
import { Sys, CAPINFO_KIND, CAPINFO_RIGHTS, CAPINFO_OBJECT } from "../../../abi/syscalls";
import { CapKind, RIGHT_READ, RIGHT_WRITE, RIGHT_DERIVE } from "../../../abi/caps";
import { USB_INFLIGHT, USB_XFER_MAX, USB_TIMEOUT_MAX_MS, USB_EVENTQ } from "../../../abi/limits";
import { UsbType, UsbEvent, UR_EP, UR_TIMEOUT, UR_SETUP, UR_PTR, UR_LEN, UR_COOKIE, UR_SIZE,
  UE_KIND, UE_HANDLE, UE_STATUS, UE_ACTUAL, UE_COOKIE, UE_SIZE } from "../../../abi/usb";
import { k_sys, k_poll, k_buf, k_buf_size, k_usb_attach, k_usb_detach, k_usb_done, k_status } from "../../../kernel/main";
import { usbLate, usbCoalesced, usbRefused, usbXfers, usbErrors, usbPending, usbInflight } from "../../../kernel/svc/usb";
import * as S from "../../../abi/status";
import { mfStart, mfEnd, mfNode, mfService, mfUsb, mfCapUsb } from "../manifest";
import { bootFrom } from "../drive";
import { put } from "../frames";
import { svcMemory, svcPut, svcGet, svcNext, svcCalls, svcCalled, usbSubmits, usbSubmitField, usbSubmitSetup,
  usbSubmitCopy, usbCancels, usbCancelField, usbClear, usbNext, lastLog } from "../mock";

const T: i64 = 1000;
const SVC_MEM: i32 = 8192;
const REQ = 0;          // in service memory: the request record,
const EV = 64;          // an event record,
const DESC = 128;       // descriptors,
const BUF = 1024;       // transfer data
const M: usize = memory.data(512, 16);
const D: usize = memory.data(4200, 16);       // descriptors being built
const V: usize = memory.data(SVC_MEM, 16);   // a view of service memory
const W: usize = memory.data(USB_XFER_MAX, 16);

let h0 = 0, h1 = 0;

// Device (18), configuration (9), interface 0 alt 0 (bulk 0x81 and 0x02, interrupt 0x83,
// isochronous 0x04), a class descriptor, interface 0 alt 1 (bulk 0x81 again, bulk 0x85).
const DEV = "12 01 00 02 00 00 00 40 f4 46 01 00 00 01 01 02 03 01";
const CFG = "09 02 4a 00 01 01 00 80 32";
const ALT0 = "09 04 00 00 04 08 06 50 00  07 05 81 02 00 02 00  07 05 02 02 00 02 00  07 05 83 03 08 00 0a  07 05 04 01 40 00 01";
const CLASS = "05 24 00 10 01";
const ALT1 = "09 04 00 01 02 08 06 50 00  07 05 81 02 00 02 00  07 05 85 02 00 02 00";

function desc(): i32 { return put(D, DEV + CFG + ALT0 + CLASS + ALT1); }

function attach(dev: i32, p: usize, len: i32): i32 {
  if (len > 0) memory.copy(<usize>k_buf(Buf.USB), p, <usize>len);
  return k_usb_attach(dev, len, T);
}

/** Write a request into service svc's memory at REQ. */
function req(svc: i32, ep: i32, timeout: u32, setup: string, ptr: u32, len: u32, cookie: u32): void {
  memory.fill(V, 0, UR_SIZE);
  store<u8>(V + UR_EP, <u8>ep);
  store<u32>(V + UR_TIMEOUT, timeout);
  put(V + UR_SETUP, setup);
  store<u32>(V + UR_PTR, ptr);
  store<u32>(V + UR_LEN, len);
  store<u32>(V + UR_COOKIE, cookie);
  svcPut(svc, REQ, V, UR_SIZE);
}

function submit(svc: i32, h: i32): i32 { return k_sys(svc, Sys.USB_SUBMIT, h, REQ, 0, 0, 0); }

/** A bulk IN of len bytes on 0x81 to BUF with cookie; the slot the host was given. */
function bulkIn(len: u32, cookie: u32): i32 {
  req(0, 0x81, 1000, "", BUF, len, cookie);
  let n = usbSubmits();
  expect(submit(0, h0)).toBe(0, "bulk IN");
  expect(usbSubmits()).toBe(n + 1);
  return usbSubmitField(n, 1);
}

/** The next event of svc: its kind (0 if none), fields in EV_* below. */
let evHandle = 0, evStatus = 0, evActual = 0, evCookie = 0;
function event(svc: i32): i32 {
  let r = k_sys(svc, Sys.USB_EVENT, EV, 0, 0, 0, 0);
  if (r == -Errno.EAGAIN) return 0;
  expect(r).toBe(0, "usb_event");
  svcGet(svc, EV, V, UE_SIZE);
  evHandle = <i32>load<u16>(V + UE_HANDLE);
  evStatus = load<i32>(V + UE_STATUS);
  evActual = <i32>load<u32>(V + UE_ACTUAL);
  evCookie = <i32>load<u32>(V + UE_COOKIE);
  return <i32>load<u8>(V + UE_KIND);
}

function drain(svc: i32): void { while (event(svc) != 0) {} }

/** The refused submit changed nothing the host sees. */
function refused(svc: i32, h: i32, err: Errno, what: string): void {
  let n = usbSubmits();
  expect(submit(svc, h)).toBe(-err, what);
  expect(usbSubmits()).toBe(n, what + ": the host saw nothing");
}

describe("USB", () => {
  it("boots with three devices; each holder finds its USB capability", () => {
    svcMemory(0, SVC_MEM);
    svcMemory(1, SVC_MEM);
    mfStart(M);
    mfNode(0, "n1.test");
    mfService(0, "disk.n1.test");
    mfService(1, "b.n1.test");
    mfUsb(0); mfUsb(1); mfUsb(2);
    mfCapUsb(0, 0, RIGHT_READ | RIGHT_WRITE | RIGHT_DERIVE);
    mfCapUsb(1, 1, RIGHT_READ);
    expect(bootFrom(M, mfEnd(), T)).toBe(0);
    k_poll(T);
    h0 = k_sys(0, Sys.CAP_FIND, CapKind.USB, 0, 0, 0, 0);
    h1 = k_sys(1, Sys.CAP_FIND, CapKind.USB, 0, 0, 0, 0);
    expect(h0).toBeGreaterThanOrEqual(0);
    expect(h1).toBeGreaterThanOrEqual(0);
    expect(k_sys(0, Sys.CAP_FIND, CapKind.USB, 1, 0, 0, 0)).toBe(-Errno.ENOENT);
    expect(k_sys(0, Sys.CAP_INFO, h0, EV, 0, 0, 0)).toBe(0);
    svcGet(0, EV, V, 16);
    expect(load<u8>(V + CAPINFO_KIND)).toBe(<u8>CapKind.USB);
    expect(load<u8>(V + CAPINFO_RIGHTS)).toBe(<u8>(RIGHT_READ | RIGHT_WRITE | RIGHT_DERIVE));
    expect(load<u16>(V + CAPINFO_OBJECT)).toBe(0);
    expect(k_sys(1, Sys.CAP_INFO, h1, EV, 0, 0, 0)).toBe(0);
    svcGet(1, EV, V, 16);
    expect(load<u16>(V + CAPINFO_OBJECT)).toBe(1);
    expect(k_buf_size(Buf.USB)).toBe(USB_XFER_MAX);
  });

  it("before an attach: usb_desc and usb_submit say -ENODEV, usb_event -EAGAIN", () => {
    expect(k_sys(0, Sys.USB_DESC, h0, DESC, 256, 0, 0)).toBe(-Errno.ENODEV);
    req(0, 0x81, 1000, "", BUF, 64, 1);
    refused(0, h0, Errno.ENODEV, "not present");
    expect(event(0)).toBe(0);
  });

  it("refuses descriptors that lie, each with -EBADMSG and a line naming the device and the field; no event", () => {
    let n = desc();
    // What each case breaks, and the field the log line must name.
    let cases: string[] = [
      "short|length", "device bLength 17|device bLength", "device type 2|device bDescriptorType",
      "bMaxPacketSize0 63|bMaxPacketSize0", "configuration type 4|configuration bDescriptorType",
      "wTotalLength one more|wTotalLength", "wTotalLength one less|wTotalLength", "truncated|wTotalLength",
      "endpoint address 0|bEndpointAddress", "endpoint address 0x80|bEndpointAddress",
      "reserved address bit|bEndpointAddress", "0x81 twice in alt 0|bEndpointAddress",
      "bulk wMaxPacketSize 0|wMaxPacketSize", "bLength 1|bLength", "runs past the end|bLength",
      "a second configuration|bDescriptorType", "endpoint before an interface|endpoint",
      "interface bLength 8|interface bLength", "endpoint bLength 6|endpoint bLength",
      "bMaxPacketSize0 9 with USB 2|bMaxPacketSize0",
      "a hub (device class 9)|bDeviceClass", "a hub interface (class 9)|bInterfaceClass",
    ];
    for (let c = 0; c < cases.length; c++) {
      desc();
      let len = n;
      let cfg = D + 18;
      let alt0 = cfg + 9;
      switch (c) {
        case 0: len = 20; break;
        case 1: store<u8>(D, 17); break;
        case 2: store<u8>(D + 1, 2); break;
        case 3: store<u8>(D + 7, 63); break;
        case 4: store<u8>(cfg + 1, 4); break;
        case 5: store<u16>(cfg + 2, <u16>(n - 18 + 1)); break;
        case 6: store<u16>(cfg + 2, <u16>(n - 18 - 1)); break;
        case 7: len = n - 1; break;                                    // a truncated configuration
        case 8: store<u8>(alt0 + 9 + 2, 0x00); break;                  // endpoint address 0
        case 9: store<u8>(alt0 + 9 + 2, 0x80); break;
        case 10: store<u8>(alt0 + 9 + 2, 0x91); break;                 // reserved bit 4
        case 11: store<u8>(alt0 + 16 + 2, 0x81); store<u8>(alt0 + 16 + 3, 2); break;   // 0x81 twice in alt 0
        case 12: store<u16>(alt0 + 9 + 4, 0); break;
        case 13: store<u8>(alt0 + 9, 1); break;
        case 14: store<u8>(D + <usize>(n - 7), 8); break;              // the last endpoint runs past the end
        case 15: store<u8>(alt0 + 9 + 1, 2); break;                    // a configuration inside
        case 16: store<u8>(alt0 + 1, 0x24); break;                     // the interface becomes a class descriptor
        case 17: store<u8>(alt0, 8); store<u8>(alt0 + 8 + 0, 0); break;
        case 18: store<u8>(alt0 + 9, 6); break;
        case 19: store<u8>(D + 7, 9); break;
        case 20: store<u8>(D + 4, 9); break;
        case 21: store<u8>(alt0 + 5, 9); break;
      }
      let before = usbRefused[0];
      expect(attach(0, D, len)).toBe(-Errno.EBADMSG, cases[c]);
      expect(usbRefused[0]).toBe(before + 1, cases[c]);
      let field = cases[c].split("|")[1];
      expect(lastLog().startsWith("USB device 0 refused: its descriptors lie, " + field + ":")).toBe(true, cases[c] + ": " + lastLog());
      expect(k_sys(0, Sys.USB_DESC, h0, DESC, 256, 0, 0)).toBe(-Errno.ENODEV, cases[c]);
      expect(event(0)).toBe(0, cases[c]);
    }
    expect(attach(0, D, 4097)).toBe(-Errno.EBADMSG, "over USB_DESC_MAX");
    expect(attach(0, D, -1)).toBe(-Errno.EBADMSG, "negative");
    expect(lastLog().startsWith("USB device 0 refused: its descriptors lie, length:")).toBe(true, lastLog());
  });

  it("takes a USB 3 device descriptor with bMaxPacketSize0 9", () => {
    let n = desc();
    store<u16>(D + 2, 0x0300);
    store<u8>(D + 7, 9);
    expect(attach(2, D, n)).toBe(0);
    k_usb_detach(2, T);
  });

  it("attaches: ATTACH wakes the holder; usb_desc gives the descriptors byte for byte", () => {
    let n = desc();
    let calls = svcCalls();
    expect(attach(0, D, n)).toBe(0);
    k_poll(T);
    expect(svcCalls()).toBe(calls + 1, "service 0 ran");
    expect(svcCalled(calls)).toBe(0);
    expect(event(0)).toBe(UsbEvent.ATTACH);
    expect(evHandle).toBe(h0 & 0xffff);
    expect(event(0)).toBe(0);
    expect(event(1)).toBe(0, "service 1 hears nothing of device 0");
    expect(k_sys(0, Sys.USB_DESC, h0, DESC, 4096, 0, 0)).toBe(n);
    svcGet(0, DESC, V, n);
    expect(memory.compare(V, D, n)).toBe(0);
    svcPut(0, DESC, W, 64);   // zeros
    expect(k_sys(0, Sys.USB_DESC, h0, DESC, 10, 0, 0)).toBe(n, "the length even when cap is less");
    svcGet(0, DESC, V, 64);
    expect(memory.compare(V, D, 10)).toBe(0);
    expect(load<u8>(V + 10)).toBe(0, "nothing past cap");
    expect(k_sys(0, Sys.USB_DESC, h0, SVC_MEM - 4, 4096, 0, 0)).toBe(-Errno.EFAULT);
    expect(k_sys(0, Sys.USB_DESC, h0, DESC, -1, 0, 0)).toBe(-Errno.EINVAL);
    expect(k_sys(1, Sys.USB_DESC, h0, DESC, 4096, 0, 0)).toBe(-Errno.EBADF, "service 0's handle used by service 1");
  });

  it("refuses every bad submit in the order spec/abi.md gives, before the host sees it", () => {
    req(0, 0x81, 1000, "", BUF, 64, 1);
    refused(0, h0 ^ 0x10000, Errno.EBADF, "a stale generation");
    refused(0, -1, Errno.EBADF, "-1");
    refused(1, h0, Errno.EBADF, "another service's handle");
    expect(k_sys(0, Sys.USB_SUBMIT, h0, SVC_MEM - 8, 0, 0, 0)).toBe(-Errno.EFAULT, "the request outside memory");
    req(1, 0x02, 1000, "", BUF, 64, 1);
    refused(1, h1, Errno.EPERM, "OUT without write");
    req(1, 0x00, 1000, "00 09 01 00 00 00 00 00", 0, 0, 1);
    refused(1, h1, Errno.EPERM, "control OUT without write");
    // On the default pipe only the standard GETs are reads; anything else commands the device.
    req(1, 0x00, 1000, "c0 01 00 00 00 00 00 00", 0, 0, 1);
    refused(1, h1, Errno.EPERM, "a vendor request with bit 7 and no data stage, read-only");
    req(1, 0x00, 1000, "c0 01 00 00 00 00 08 00", BUF, 8, 1);
    refused(1, h1, Errno.EPERM, "a vendor IN request, read-only");
    req(1, 0x00, 1000, "a1 01 00 00 00 00 08 00", BUF, 8, 1);
    refused(1, h1, Errno.EPERM, "a class IN request (HID GET_REPORT), read-only");
    req(1, 0x00, 1000, "c0 06 00 01 00 00 12 00", BUF, 18, 1);
    refused(1, h1, Errno.EPERM, "a vendor request numbered 6, read-only");
    req(1, 0x00, 1000, "80 01 00 00 00 00 00 00", 0, 0, 1);
    refused(1, h1, Errno.EPERM, "standard request 1 (CLEAR_FEATURE) with bit 7 set, read-only");
    req(1, 0x00, 1000, "80 06 00 01 00 00 12 00", BUF, 18, 1);
    refused(1, h1, Errno.ENODEV, "GET_DESCRIPTOR read-only passes the rights check");
    req(1, 0x00, 1000, "80 00 00 00 00 00 02 00", BUF, 2, 1);
    refused(1, h1, Errno.ENODEV, "GET_STATUS read-only passes the rights check");
    req(1, 0x00, 1000, "81 0a 00 00 00 00 01 00", BUF, 1, 1);
    refused(1, h1, Errno.ENODEV, "GET_INTERFACE read-only passes the rights check");
    req(1, 0x00, 1000, "80 08 00 00 00 00 01 00", BUF, 1, 1);
    refused(1, h1, Errno.ENODEV, "GET_CONFIGURATION read-only passes the rights check");
    req(1, 0x81, 1000, "", BUF, 64, 1);
    refused(1, h1, Errno.ENODEV, "device 1 is not present");
    req(0, 0x85, 1000, "", BUF, 64, 1);
    refused(0, h0, Errno.ENOENT, "0x85 is only in alternate setting 1");
    req(0, 0x01, 1000, "", BUF, 64, 1);
    refused(0, h0, Errno.ENOENT, "0x01 is not there (0x81 is)");
    req(0, 0x82, 1000, "", BUF, 64, 1);
    refused(0, h0, Errno.ENOENT, "0x82 is not there (0x02 is)");
    req(0, 0x91, 1000, "", BUF, 64, 1);
    refused(0, h0, Errno.ENOENT, "reserved address bits");
    req(0, 0x04, 1000, "", BUF, 64, 1);
    refused(0, h0, Errno.EINVAL, "isochronous");
    req(0, 0x81, 1000, "", BUF, USB_XFER_MAX + 1, 1);
    refused(0, h0, Errno.EINVAL, "over USB_XFER_MAX");
    req(0, 0x81, 0, "", BUF, 64, 1);
    refused(0, h0, Errno.EINVAL, "timeout 0");
    req(0, 0x81, USB_TIMEOUT_MAX_MS + 1, "", BUF, 64, 1);
    refused(0, h0, Errno.EINVAL, "timeout over the max");
    req(0, 0x81, 1000, "01", BUF, 64, 1);
    refused(0, h0, Errno.EINVAL, "a setup packet on a bulk transfer");
    req(0, 0x81, 1000, "", BUF, 64, 1);
    store<u8>(V + 1, 1); svcPut(0, REQ, V, UR_SIZE);
    refused(0, h0, Errno.EINVAL, "reserved byte 1");
    req(0, 0x00, 1000, "80 06 00 01 00 00 12 00", BUF, 17, 1);
    refused(0, h0, Errno.EINVAL, "wLength is not len");
    req(0, 0x00, 1000, "00 05 07 00 00 00 00 00", 0, 0, 1);
    refused(0, h0, Errno.EPERM, "SET_ADDRESS");
    req(0, 0x00, 1000, "00 09 01 00 00 00 00 00", 0, 0, 1);
    refused(0, h0, Errno.EPERM, "SET_CONFIGURATION");
    req(0, 0x00, 1000, "01 0b 01 00 00 00 00 00", 0, 0, 1);
    refused(0, h0, Errno.EPERM, "SET_INTERFACE");
    req(0, 0x81, 1000, "", SVC_MEM - 63, 64, 1);
    refused(0, h0, Errno.EFAULT, "an IN buffer one byte past memory");
    req(0, 0x02, 1000, "", SVC_MEM - 63, 64, 1);
    refused(0, h0, Errno.EFAULT, "an OUT buffer one byte past memory");
    req(0, 0x81, 1000, "", 0xffffffc0, 0x80, 1);
    refused(0, h0, Errno.EFAULT, "a buffer that wraps around");
    // A class request with bRequest 9 (e.g. HID SET_REPORT) is the device's own business.
    req(0, 0x00, 1000, "21 09 00 02 00 00 00 00", 0, 0, 1);
    let n = usbSubmits();
    expect(submit(0, h0)).toBe(0, "class request 9");
    expect(usbSubmits()).toBe(n + 1);
    k_usb_done(0, usbSubmitField(n, 1), 0, 0, T);
    drain(0);
  });

  it("an OUT transfer: the host gets the bytes as they were at submit", () => {
    for (let i = 0; i < 300; i++) store<u8>(W + <usize>i, <u8>(i * 13 + 1));
    svcPut(0, BUF, W, 300);
    req(0, 0x02, 777, "", BUF, 300, 0xabcdef01);
    let n = usbSubmits();
    expect(submit(0, h0)).toBe(0);
    memory.fill(V, 0xee, 300);
    svcPut(0, BUF, V, 300);                      // the service reuses its buffer at once
    expect(usbSubmitField(n, 0)).toBe(0, "dev");
    expect(usbSubmitField(n, 2)).toBe(0x02, "ep");
    expect(usbSubmitField(n, 3)).toBe(UsbType.BULK, "kind");
    expect(usbSubmitField(n, 4)).toBe(300, "len");
    expect(usbSubmitField(n, 5)).toBe(777, "timeout");
    expect(usbSubmitSetup(n)).toBe(0);
    usbSubmitCopy(n, V);
    expect(memory.compare(V, W, 300)).toBe(0, "the bytes");
    k_usb_done(0, usbSubmitField(n, 1), 0, 300, T);
    expect(event(0)).toBe(UsbEvent.COMPLETE);
    expect(evStatus).toBe(0);
    expect(evActual).toBe(300);
    expect(evCookie).toBe(0xabcdef01);
    expect(evHandle).toBe(h0 & 0xffff);
  });

  it("an IN transfer: exactly the bytes the device sent land at the buffer, at completion", () => {
    memory.fill(V, 0x5a, 256);
    svcPut(0, BUF, V, 256);
    let x = bulkIn(128, 42);
    let calls = svcCalls();
    for (let i = 0; i < 100; i++) store<u8>(<usize>k_buf(Buf.USB) + <usize>i, <u8>(255 - i));
    k_usb_done(0, x, 0, 100, T);
    k_poll(T);
    expect(svcCalls()).toBe(calls + 1, "the completion woke service 0");
    svcGet(0, BUF, V, 256);
    for (let i = 0; i < 100; i++) expect(load<u8>(V + <usize>i)).toBe(<u8>(255 - i));
    for (let i = 100; i < 256; i++) expect(load<u8>(V + <usize>i)).toBe(0x5a, "past the bytes sent");
    expect(event(0)).toBe(UsbEvent.COMPLETE);
    expect(evStatus).toBe(0);
    expect(evActual).toBe(100);
    expect(evCookie).toBe(42);
    expect(event(0)).toBe(0);
  });

  it("an IN completion longer than asked is -EOVERFLOW and writes nothing", () => {
    memory.fill(V, 0x5a, 256);
    svcPut(0, BUF, V, 256);
    let x = bulkIn(64, 43);
    memory.fill(<usize>k_buf(Buf.USB), 0x11, 65);
    k_usb_done(0, x, 0, 65, T);
    svcGet(0, BUF, V, 256);
    for (let i = 0; i < 256; i++) expect(load<u8>(V + <usize>i)).toBe(0x5a);
    expect(event(0)).toBe(UsbEvent.COMPLETE);
    expect(evStatus).toBe(-Errno.EOVERFLOW);
    expect(evActual).toBe(0);
  });

  it("a control IN goes to the default pipe with its setup packet; a stall comes back as -EPIPE", () => {
    req(0, 0x00, 500, "80 06 00 01 00 00 12 00", BUF, 18, 7);
    let n = usbSubmits();
    expect(submit(0, h0)).toBe(0);
    expect(usbSubmitField(n, 2)).toBe(0);
    expect(usbSubmitField(n, 3)).toBe(UsbType.CONTROL);
    expect(usbSubmitSetup(n)).toBe(0x0012000001000680);
    k_usb_done(0, usbSubmitField(n, 1), -Errno.EPIPE, 0, T);
    expect(event(0)).toBe(UsbEvent.COMPLETE);
    expect(evStatus).toBe(-Errno.EPIPE);
    req(0, 0x83, 10, "", BUF, 8, 8);
    expect(submit(0, h0)).toBe(0, "interrupt IN");
    expect(usbSubmitField(n + 1, 3)).toBe(UsbType.INTERRUPT);
    k_usb_done(0, usbSubmitField(n + 1, 1), -Errno.ETIMEDOUT, 0, T);
    expect(event(0)).toBe(UsbEvent.COMPLETE);
    expect(evStatus).toBe(-Errno.ETIMEDOUT);
  });

  it("a host that refuses a submit frees its slot and the service gets the host's error", () => {
    usbNext(-Errno.EIO);
    req(0, 0x81, 1000, "", BUF, 64, 1);
    for (let i = 0; i < USB_INFLIGHT + 2; i++) expect(submit(0, h0)).toBe(-Errno.EIO);
    usbNext(0);
    let x = bulkIn(64, 1);
    k_usb_done(0, x, 0, 0, T);
    drain(0);
  });

  it("USB_INFLIGHT transfers at once; a slot is free again only once its COMPLETE is read", () => {
    let first = usbSubmits();
    for (let i = 0; i < USB_INFLIGHT; i++) bulkIn(16, 100 + i);
    req(0, 0x81, 1000, "", BUF, 16, 1);
    refused(0, h0, Errno.ENOSPC, "one more");
    let x = usbSubmitField(first + 3, 1);
    k_usb_done(0, x, 0, 16, T);
    refused(0, h0, Errno.ENOSPC, "completed but not read");
    expect(event(0)).toBe(UsbEvent.COMPLETE);
    expect(evCookie).toBe(103);
    expect(submit(0, h0)).toBe(0, "now there is room");
    expect(usbSubmitField(usbSubmits() - 1, 1)).toBe(x, "in the slot just freed");
    for (let i = 0; i < USB_INFLIGHT; i++) k_usb_done(0, i, 0, 0, T);
    drain(0);
  });

  it("usb_cancel cancels the device's transfers with that cookie, once each; each still completes", () => {
    let a = bulkIn(16, 5), b = bulkIn(16, 6), c = bulkIn(16, 5);
    let n = usbCancels();
    expect(k_sys(0, Sys.USB_CANCEL, h0, 5, 0, 0, 0)).toBe(2);
    expect(usbCancels()).toBe(n + 2);
    expect(usbCancelField(n, 1)).toBe(a);
    expect(usbCancelField(n + 1, 1)).toBe(c);
    expect(k_sys(0, Sys.USB_CANCEL, h0, 5, 0, 0, 0)).toBe(0, "already cancelled");
    expect(k_sys(0, Sys.USB_CANCEL, h0, 9, 0, 0, 0)).toBe(0, "no such cookie");
    expect(k_sys(1, Sys.USB_CANCEL, h0, 6, 0, 0, 0)).toBe(-Errno.EBADF);
    expect(k_sys(1, Sys.USB_CANCEL, h1, 6, 0, 0, 0)).toBe(0, "service 1's device has none");
    expect(usbCancels()).toBe(n + 2);
    k_usb_done(0, a, -Errno.ECANCELED, 0, T);
    k_usb_done(0, c, -Errno.ECANCELED, 0, T);
    k_usb_done(0, b, 0, 16, T);
    expect(event(0)).toBe(UsbEvent.COMPLETE); expect(evStatus).toBe(-Errno.ECANCELED); expect(evCookie).toBe(5);
    expect(event(0)).toBe(UsbEvent.COMPLETE); expect(evStatus).toBe(-Errno.ECANCELED); expect(evCookie).toBe(5);
    expect(event(0)).toBe(UsbEvent.COMPLETE); expect(evStatus).toBe(0); expect(evCookie).toBe(6);
  });

  it("a detach completes the transfers in flight with -ENODEV, then DETACH; late completions are counted and ignored", () => {
    memory.fill(V, 0x5a, 64);
    svcPut(0, BUF, V, 64);
    let a = bulkIn(16, 11), b = bulkIn(16, 12);
    k_usb_detach(0, T);
    expect(event(0)).toBe(UsbEvent.COMPLETE); expect(evStatus).toBe(-Errno.ENODEV); expect(evCookie).toBe(11);
    expect(event(0)).toBe(UsbEvent.COMPLETE); expect(evStatus).toBe(-Errno.ENODEV); expect(evCookie).toBe(12);
    expect(event(0)).toBe(UsbEvent.DETACH);
    expect(event(0)).toBe(0);
    let late = usbLate[0];
    memory.fill(<usize>k_buf(Buf.USB), 0x77, 16);
    k_usb_done(0, a, 0, 16, T);
    k_usb_done(0, b, 0, 16, T);
    k_usb_done(0, -1, 0, 16, T);
    k_usb_done(0, USB_INFLIGHT, 0, 16, T);
    expect(usbLate[0]).toBe(late + 4);
    expect(event(0)).toBe(0);
    svcGet(0, BUF, V, 64);
    for (let i = 0; i < 64; i++) expect(load<u8>(V + <usize>i)).toBe(0x5a, "nothing written");
    req(0, 0x81, 1000, "", BUF, 16, 1);
    refused(0, h0, Errno.ENODEV, "unplugged");
    k_usb_detach(0, T);
    expect(event(0)).toBe(0, "a second detach says nothing");
  });

  it("ignores k_usb_* for devices outside the manifest", () => {
    let n = desc();
    memory.copy(<usize>k_buf(Buf.USB), D, <usize>n);
    expect(k_usb_attach(3, n, T)).toBe(-Errno.ENODEV);
    expect(k_usb_attach(-1, n, T)).toBe(-Errno.ENODEV);
    expect(k_usb_attach(255, n, T)).toBe(-Errno.ENODEV);
    k_usb_detach(3, T); k_usb_detach(-5, T);
    k_usb_done(3, 0, 0, 0, T); k_usb_done(-1, 0, 0, 0, T); k_usb_done(1 << 30, 1 << 30, 0, 1 << 30, T);
    expect(event(0)).toBe(0);
    expect(event(1)).toBe(0);
  });

  it("attaching a present device is -EEXIST and changes nothing; a failed replug leaves the device unusable", () => {
    let n = desc();
    expect(attach(0, D, n)).toBe(0);
    expect(event(0)).toBe(UsbEvent.ATTACH);
    let a = bulkIn(16, 21);
    let inflight = usbInflight(0);
    store<u8>(D + 18 + 9 + 9 + 2, 0x86);             // other descriptors: they must not replace the checked ones
    expect(attach(0, D, n)).toBe(-Errno.EEXIST);
    expect(event(0)).toBe(0, "no DETACH, no ATTACH, no completion");
    expect(usbInflight(0)).toBe(inflight, "the transfer at the host stays in flight");
    expect(k_sys(0, Sys.USB_DESC, h0, DESC, 4096, 0, 0)).toBe(n);
    svcGet(0, DESC, V, n);
    expect(load<u8>(V + 18 + 9 + 9 + 2)).toBe(0x81, "the descriptors are the first attach's");
    memory.fill(<usize>k_buf(Buf.USB), 0x33, 16);
    k_usb_done(0, a, 0, 16, T);
    expect(event(0)).toBe(UsbEvent.COMPLETE); expect(evStatus).toBe(0); expect(evCookie).toBe(21); expect(evActual).toBe(16);
    desc();
    k_usb_detach(0, T);
    expect(event(0)).toBe(UsbEvent.DETACH);
    store<u8>(D, 17);
    expect(attach(0, D, n)).toBe(-Errno.EBADMSG);
    expect(event(0)).toBe(0);
    req(0, 0x81, 1000, "", BUF, 16, 1);
    refused(0, h0, Errno.ENODEV, "refused descriptors");
  });

  it("bounds the event queue: plugging churn drops the oldest pairs, keeping order and the last state", () => {
    let n = desc();
    let before = usbCoalesced[0];
    for (let i = 0; i < 40; i++) { expect(attach(0, D, n)).toBe(0); k_usb_detach(0, T); }
    expect(attach(0, D, n)).toBe(0);
    let count = 0, last = 0, want = 0;
    for (let k = event(0); k != 0; k = event(0)) {
      if (count == 0) want = k;
      expect(k).toBe(want, "alternates");
      want = k == UsbEvent.ATTACH ? UsbEvent.DETACH : UsbEvent.ATTACH;
      last = k; count++;
    }
    expect(count).toBeLessThanOrEqual(USB_EVENTQ - USB_INFLIGHT);
    expect(count).toBeGreaterThan(1);
    expect(last).toBe(UsbEvent.ATTACH, "ends in the present state");
    expect(usbCoalesced[0] - before).toBe(<u64>(81 - count));
  });

  it("a full plug queue keeps every completion", () => {
    let n = desc();
    let a = bulkIn(16, 31), b = bulkIn(16, 32);
    k_usb_done(0, a, 0, 0, T);
    for (let i = 0; i < 40; i++) { k_usb_detach(0, T); expect(attach(0, D, n)).toBe(0); }
    let completes = 0, cookies = 0;
    for (let k = event(0); k != 0; k = event(0)) if (k == UsbEvent.COMPLETE) { completes++; cookies += evCookie; }
    expect(completes).toBe(2, "the one done, the other ended by the first detach");
    expect(cookies).toBe(31 + 32);
    k_usb_done(0, b, 0, 0, T);
    expect(event(0)).toBe(0);
  });

  it("a fault cancels the service's transfers; their completions are discarded; after the restart it hears ATTACH and its handle works", () => {
    memory.fill(V, 0x5a, 64);
    svcPut(0, BUF, V, 64);
    let a = bulkIn(16, 41);
    let c0 = usbCancels();
    k_usb_done(0, bulkIn(16, 42), 0, 0, T);     // a completion waiting in the queue
    svcNext(Fault.TRAP, 0);
    k_poll(T);                                   // service 0 runs for its event and traps
    svcNext(Fault.NONE, 0);
    expect(usbCancels()).toBe(c0 + 1);
    expect(usbCancelField(c0, 1)).toBe(a);
    memory.fill(<usize>k_buf(Buf.USB), 0x77, 16);
    k_usb_done(0, a, -Errno.ECANCELED, 16, T);
    svcGet(0, BUF, V, 64);
    for (let i = 0; i < 64; i++) expect(load<u8>(V + <usize>i)).toBe(0x5a, "nothing written");
    let late = usbLate[0];
    k_usb_done(0, a, 0, 16, T);
    expect(usbLate[0]).toBe(late + 1, "the orphan's slot is free: a second done is late");
    k_poll(T + 10000);                           // restarted
    expect(event(0)).toBe(UsbEvent.ATTACH, "the new instance hears its device");
    expect(evHandle).toBe(h0 & 0xffff);
    expect(event(0)).toBe(0, "the old instance's completion is gone");
    let x = bulkIn(16, 43);
    k_usb_done(0, x, 0, 16, T + 10000);
    expect(event(0)).toBe(UsbEvent.COMPLETE);
    expect(evCookie).toBe(43);
  });

  it("a derived handle works within its rights; revoking it cancels its transfers and drops their events", () => {
    let d = k_sys(0, Sys.CAP_DERIVE, h0, RIGHT_READ, 0, 0, 0);
    expect(d).toBeGreaterThanOrEqual(0);
    req(0, 0x02, 1000, "", BUF, 16, 1);
    refused(0, d, Errno.EPERM, "OUT through a read-only derived handle");
    req(0, 0x00, 1000, "c0 01 00 00 00 00 00 00", 0, 0, 1);
    refused(0, d, Errno.EPERM, "a vendor command with bit 7 and wLength 0 through a read-only derived handle");
    let wo = k_sys(0, Sys.CAP_DERIVE, h0, RIGHT_WRITE, 0, 0, 0);
    expect(wo).toBeGreaterThanOrEqual(0);
    req(0, 0x00, 1000, "c0 01 00 00 00 00 08 00", BUF, 8, 1);
    refused(0, wo, Errno.EPERM, "a vendor IN request needs READ too");
    req(0, 0x00, 1000, "80 06 00 01 00 00 12 00", BUF, 18, 1);
    refused(0, wo, Errno.EPERM, "GET_DESCRIPTOR needs READ");
    req(0, 0x00, 1000, "c0 01 00 00 00 00 00 00", 0, 0, 1);
    let w0 = usbSubmits();
    expect(submit(0, wo)).toBe(0, "a vendor command without data stage through a write-only handle");
    k_usb_done(0, usbSubmitField(w0, 1), 0, 0, T);
    drain(0);
    expect(k_sys(0, Sys.CAP_REVOKE, wo, 0, 0, 0, 0)).toBe(0);
    req(0, 0x00, 1000, "80 06 00 01 00 00 12 00", BUF, 18, 50);
    let g = usbSubmits();
    expect(submit(0, d)).toBe(0, "GET_DESCRIPTOR through a read-only derived handle");
    k_usb_done(0, usbSubmitField(g, 1), 0, 0, T);
    drain(0);
    req(0, 0x81, 1000, "", BUF, 16, 51);
    let n = usbSubmits();
    expect(submit(0, d)).toBe(0);
    let a = usbSubmitField(n, 1);
    req(0, 0x81, 1000, "", BUF, 16, 52);
    expect(submit(0, d)).toBe(0);
    let b = usbSubmitField(n + 1, 1);
    let byRoot = bulkIn(16, 53);
    k_usb_done(0, b, 0, 0, T);                   // b's COMPLETE is queued, naming d
    let c0 = usbCancels();
    expect(usbPending(0)).toBe(true);
    expect(k_sys(0, Sys.CAP_REVOKE, d, 0, 0, 0, 0)).toBe(0);
    expect(usbPending(0)).toBe(false, "b's COMPLETE went with d");
    expect(usbInflight(0)).toBe(2, "b's slot is free; a (an orphan) and the root's are not");
    expect(usbCancels()).toBe(c0 + 1, "a was cancelled, the root's transfer was not");
    expect(usbCancelField(c0, 1)).toBe(a);
    k_usb_done(0, a, -Errno.ECANCELED, 0, T);
    k_usb_done(0, byRoot, 0, 0, T);
    expect(event(0)).toBe(UsbEvent.COMPLETE);
    expect(evCookie).toBe(53, "only the root's completion");
    expect(event(0)).toBe(0);
    expect(submit(0, d)).toBe(-Errno.EBADF);
    let x = bulkIn(16, 54);
    k_usb_done(0, x, 0, 0, T);
    expect(event(0)).toBe(UsbEvent.COMPLETE);
  });

  it("the status snapshot has a USB record per manifest device", () => {
    let n = k_status();
    let p = <usize>k_buf(Buf.STATUS);
    expect(load<u16>(p + 4)).toBe(<u16>S.ST_VERSION);
    let count = <i32>load<u16>(p + 6), off = 8, seen = 0;
    for (let i = 0; i < count; i++) {
      let type = <i32>load<u8>(p + <usize>off), len = <i32>load<u16>(p + <usize>off + 2);
      let b = p + <usize>off + 4;
      if (type == S.St.USB) {
        expect(len).toBe(S.SU_SIZE);
        let id = <i32>load<u8>(b + S.SU_ID);
        expect(id).toBe(seen, "in id order");
        if (id == 0) {
          expect(load<u8>(b + S.SU_FLAGS)).toBe(<u8>S.SU_PRESENT);
          expect(load<u8>(b + S.SU_HOLDER)).toBe(0);
          expect(load<u8>(b + S.SU_INFLIGHT)).toBe(0);
          expect(load<u16>(b + S.SU_VENDOR)).toBe(0x46f4);
          expect(load<u16>(b + S.SU_PRODUCT)).toBe(0x0001);
          expect(load<u64>(b + S.SU_TRANSFERS)).toBe(usbXfers[0]);
          expect(load<u64>(b + S.SU_TRANSFERS)).toBeGreaterThan(20);
          expect(load<u64>(b + S.SU_ERRORS)).toBe(usbErrors[0]);
          expect(load<u64>(b + S.SU_LATE)).toBe(usbLate[0]);
          expect(load<u64>(b + S.SU_REFUSED)).toBe(usbRefused[0]);
          expect(load<u64>(b + S.SU_COALESCED)).toBe(usbCoalesced[0]);
        }
        if (id == 1) {
          expect(load<u8>(b + S.SU_FLAGS)).toBe(0, "device 1 was never attached");
          expect(load<u8>(b + S.SU_HOLDER)).toBe(1);
          expect(load<u16>(b + S.SU_VENDOR)).toBe(0);
        }
        if (id == 2) expect(load<u8>(b + S.SU_HOLDER)).toBe(<u8>S.SU_NONE);
        seen++;
      }
      off += 4 + len;
    }
    expect(off).toBe(n);
    expect(seen).toBe(3);
  });

  it("derive cannot widen; revoking the root takes the device from the service", () => {
    let d = k_sys(0, Sys.CAP_DERIVE, h0, RIGHT_READ, 0, 0, 0);
    expect(k_sys(0, Sys.CAP_DERIVE, d, RIGHT_READ, 0, 0, 0)).toBe(-Errno.EPERM, "no derive right");
    expect(k_sys(1, Sys.CAP_DERIVE, h1, RIGHT_READ | RIGHT_WRITE, 0, 0, 0)).toBe(-Errno.EPERM);
    let a = bulkIn(16, 61);
    let c0 = usbCancels();
    expect(k_sys(0, Sys.CAP_REVOKE, h0, 0, 0, 0, 0)).toBe(0);
    expect(usbCancels()).toBe(c0 + 1);
    k_usb_done(0, a, -Errno.ECANCELED, 0, T);
    expect(event(0)).toBe(0);
    req(0, 0x81, 1000, "", BUF, 16, 1);
    refused(0, h0, Errno.EBADF, "the root is revoked");
    refused(0, d, Errno.EBADF, "so is what was derived from it");
    expect(k_sys(0, Sys.CAP_FIND, CapKind.USB, 0, 0, 0, 0)).toBe(-Errno.ENOENT);
    k_usb_detach(0, T);
    expect(event(0)).toBe(0, "no DETACH for a service that holds the device no more");
  });
});
