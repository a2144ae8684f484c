// A hostile service and a careless host against the kernel's USB table (kernel/svc/usb.ts),
// seeded: 8,000 random steps of usb_submit with requests biased to edges (endpoints that
// are there, are not, or are reserved; lengths and timeouts at their bounds; pointers at
// the end of memory and past it; setup packets host-only or with a wrong wLength), through
// the full-rights handle and a read-only derived one, mixed with usb_cancel, usb_event,
// usb_desc, k_usb_done for any slot with any status and length, detach and attach, revokes
// and fresh derives. Throughout: no trap; every transfer the host is handed is one the
// contract allows (an endpoint of alternate setting 0 or the default pipe, its real type,
// at most USB_XFER_MAX bytes, a timeout in 1..USB_TIMEOUT_MAX_MS, a control wLength equal to
// the length, no SET_ADDRESS/SET_CONFIGURATION/SET_INTERFACE, no OUT through the read-only
// handle, a free slot); never more than USB_INFLIGHT transfers; and at the end, after a
// detach and reading every event, every slot is free again.
import { Errno } from "../../../abi/errno";
import { Buf } from "../../../abi/kernel";
import { Sys } from "../../../abi/syscalls";
import { CapKind, RIGHT_READ, RIGHT_WRITE, RIGHT_DERIVE } from "../../../abi/caps";
import { USB_INFLIGHT, USB_XFER_MAX, USB_TIMEOUT_MAX_MS } from "../../../abi/limits";
import { UsbType, UR_EP, UR_TIMEOUT, UR_SETUP, UR_PTR, UR_LEN, UR_COOKIE, UR_SIZE } from "../../../abi/usb";
import { k_sys, k_poll, k_buf, k_usb_attach, k_usb_detach, k_usb_done } from "../../../kernel/main";
import { usbInflight, usbPending, usbPresent } from "../../../kernel/svc/usb";
import { mfStart, mfEnd, mfNode, mfService, mfUsb, mfCapUsb } from "../manifest";
import { bootFrom } from "../drive";
import { put } from "../frames";
import { svcMemory, svcPut, usbSubmits, usbSubmitField, usbSubmitSetup, usbCancels, usbCancelField, usbClear } from "../mock";

const T: i64 = 1000;
const SVC_MEM: i32 = 131072;
const REQ = 0;
const EV = 64;
const STEPS = 8000;
const M: usize = memory.data(512, 16);
const D: usize = memory.data(256, 16);
const V: usize = memory.data(64, 16);
// Device, configuration, alt 0: bulk 0x81, bulk 0x02, interrupt 0x83, isochronous 0x04;
// alt 1: bulk 0x85.
const DESC = "12 01 00 02 00 00 00 40 f4 46 01 00 00 01 01 02 03 01  09 02 45 00 01 01 00 80 32" +
  "  09 04 00 00 04 08 06 50 00  07 05 81 02 00 02 00  07 05 02 02 00 02 00  07 05 83 03 08 00 0a  07 05 04 01 40 00 01" +
  "  09 04 00 01 02 08 06 50 00  07 05 81 02 00 02 00  07 05 85 02 00 02 00";
const EPS: i32[] = [0, 0, 0, 0x81, 0x81, 0x02, 0x02, 0x83, 0x04, 0x85, 0x01, 0x82, 0x91, 0x80, 0xff];

let seed: u32 = 0x9e3779b9;
function rnd(n: u32): u32 {
  seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
  return seed % n;
}
function pick32(a: u32, b: u32, c: u32, d: u32): u32 {
  let r = rnd(5);
  return r == 0 ? a : r == 1 ? b : r == 2 ? c : r == 3 ? d : seed;
}

/** What the host was handed for transfer `i` is allowed: endpoint and type as described. */
function typeOf(ep: i32): i32 {
  if (ep == 0) return UsbType.CONTROL;
  if (ep == 0x81 || ep == 0x02) return UsbType.BULK;
  if (ep == 0x83) return UsbType.INTERRUPT;
  return -1;   // 0x04 isochronous, 0x85 alt 1, the rest absent: never handed over
}

describe("USB under a hostile service and a careless host", () => {
  it("holds every invariant through random steps", () => {
    svcMemory(0, SVC_MEM);
    mfStart(M);
    mfNode(0, "n1.test");
    mfService(0, "usb.n1.test");
    mfUsb(0);
    mfCapUsb(0, 0, RIGHT_READ | RIGHT_WRITE | RIGHT_DERIVE);
    expect(bootFrom(M, mfEnd(), T)).toBe(0);
    k_poll(T);
    let n = put(D, DESC);
    memory.copy(<usize>k_buf(Buf.USB), D, <usize>n);
    expect(k_usb_attach(0, n, T)).toBe(0);
    let root = k_sys(0, Sys.CAP_FIND, CapKind.USB, 0, 0, 0, 0);
    let ro = k_sys(0, Sys.CAP_DERIVE, root, RIGHT_READ | RIGHT_DERIVE, 0, 0, 0);
    expect(ro).toBeGreaterThanOrEqual(0);
    let busy = new StaticArray<bool>(USB_INFLIGHT);   // slots the host holds, as the host sees them
    let checked = 0, handed = 0, okSubmits = 0, refusals = 0;
    for (let step = 0; step < STEPS; step++) {
      let op = rnd(100);
      if (op < 45) {
        // A request biased to edges.
        memory.fill(V, 0, UR_SIZE);
        let ep = EPS[rnd(<u32>EPS.length)];
        if (rnd(20) == 0) ep = <i32>rnd(256);
        store<u8>(V + UR_EP, <u8>ep);
        if (rnd(30) == 0) store<u8>(V + 1 + rnd(3), 1);
        // Each field is an edge (often out of bounds) one time in four, else an ordinary value.
        store<u32>(V + UR_TIMEOUT, rnd(4) == 0 ? pick32(0, 1, USB_TIMEOUT_MAX_MS, USB_TIMEOUT_MAX_MS + 1) : 1 + rnd(5000));
        let len = rnd(4) == 0 ? pick32(0, 1, USB_XFER_MAX, USB_XFER_MAX + 1) % (USB_XFER_MAX + 2) : rnd(600);
        store<u32>(V + UR_LEN, len);
        store<u32>(V + UR_PTR, rnd(4) == 0 ? pick32(0, <u32>SVC_MEM - len, <u32>SVC_MEM - len + 1, 0xffffffff - len / 2) : 1024 + rnd(4096));
        if (ep == 0 || rnd(10) == 0) {
          store<u8>(V + UR_SETUP, <u8>(rnd(2) == 0 ? 0x80 : 0) | <u8>(rnd(4) == 0 ? 0x21 : rnd(4) == 0 ? 0x40 : 0));
          store<u8>(V + UR_SETUP + 1, <u8>(rnd(3) == 0 ? pick32(5, 9, 11, 1) : rnd(4) == 0 ? pick32(0, 8, 10, 3) : 6));
          store<u16>(V + UR_SETUP + 6, <u16>(rnd(6) == 0 ? rnd(65536) : len));
        }
        store<u32>(V + UR_COOKIE, rnd(4));
        svcPut(0, REQ, V, UR_SIZE);
        let h = rnd(4) == 0 ? ro : rnd(20) == 0 ? <i32>seed : root;
        let before = usbSubmits();
        let r = k_sys(0, Sys.USB_SUBMIT, h, REQ, 0, 0, 0);
        if (r < 0) {
          refusals++;
          expect(usbSubmits()).toBe(before, "a refused submit reached the host");
        } else {
        okSubmits++;
        expect(usbSubmits()).toBe(before + 1);
        let i = before;
        let x = usbSubmitField(i, 1), hep = usbSubmitField(i, 2), kind = usbSubmitField(i, 3);
        let hlen = usbSubmitField(i, 4), tmo = usbSubmitField(i, 5);
        expect(hep).toBe(ep);
        expect(kind).toBe(typeOf(ep), "the endpoint's real type");
        expect(<u32>hlen <= <u32>USB_XFER_MAX).toBe(true);
        expect(tmo >= 1 && tmo <= USB_TIMEOUT_MAX_MS).toBe(true);
        expect(x >= 0 && x < USB_INFLIGHT).toBe(true);
        expect(busy[x]).toBe(false, "a slot handed out twice");
        let setup = usbSubmitSetup(i);
        let dirIn = ep == 0 ? (setup & 0x80) != 0 : (ep & 0x80) != 0;
        if (h == ro) expect(dirIn).toBe(true, "OUT through the read-only handle");
        if (h == ro && ep == 0) {
          let r = <i32>((setup >> 8) & 0xff);
          expect((setup & 0x60) == 0 && (r == 0 || r == 6 || r == 8 || r == 10)).toBe(true, "a command on EP0 through the read-only handle");
        }
        if (kind == UsbType.CONTROL) {
          expect(<i32>((setup >> 48) & 0xffff)).toBe(hlen, "wLength");
          let req = <i32>((setup >> 8) & 0xff);
          if ((setup & 0x60) == 0) expect(req == 5 || req == 9 || req == 11).toBe(false, "a host-only request");
        } else expect(setup).toBe(0);
        busy[x] = true;
        handed++;
        usbClear();   // the mock keeps each OUT transfer's bytes: do not let them pile up
        }
      } else if (op < 65) {
        // The host completes a slot (or one it does not hold) with any status and length.
        let x = rnd(12) == 0 ? <i32>seed : <i32>rnd(USB_INFLIGHT);
        let status = rnd(3) == 0 ? -<i32>rnd(30) : rnd(15) == 0 ? <i32>rnd(5) : 0;
        let len = rnd(10) == 0 ? <i32>seed : <i32>rnd(700);
        memory.fill(<usize>k_buf(Buf.USB), <u8>step, 700);
        k_usb_done(0, x, status, len, T);
        if (<u32>x < <u32>USB_INFLIGHT) busy[x] = false;
      } else if (op < 87) {
        k_sys(0, Sys.USB_EVENT, rnd(8) == 0 ? SVC_MEM - 4 : EV, 0, 0, 0, 0);
      } else if (op < 91) {
        let c = usbCancels();
        let r = k_sys(0, Sys.USB_CANCEL, rnd(2) == 0 ? root : ro, <i32>rnd(4), 0, 0, 0);
        if (r >= 0) expect(usbCancels()).toBe(c + r);
      } else if (op < 94) {
        k_sys(0, Sys.USB_DESC, root, <i32>pick32(0, 100, <u32>SVC_MEM - 10, 0xffffff00), <i32>rnd(200) - 20, 0, 0);
      } else if (op < 96) {
        // Unplug (the host reports nothing of what was in flight), a replug now and then with
        // lies, or (a careless host) an attach while present, which must change nothing.
        let how = rnd(5);   // 0: unplug; 1: a replug whose descriptors may lie; 2, 3: a replug; 4: attach while present
        let m = put(D, DESC);
        if (how == 4) {
          if (usbPresent(0)) {
            let inflight = usbInflight(0);
            store<u8>(D + rnd(<u32>m), <u8>seed);
            memory.copy(<usize>k_buf(Buf.USB), D, <usize>m);
            expect(k_usb_attach(0, m, T)).toBe(-Errno.EEXIST, "an attach while present");
            expect(usbInflight(0)).toBe(inflight, "an attach while present changed the transfers");
          }
        } else {
          k_usb_detach(0, T);
          for (let s = 0; s < USB_INFLIGHT; s++) busy[s] = false;
        }
        if (how >= 1 && how <= 3) {
          if (how == 1) store<u8>(D + rnd(<u32>m), <u8>seed);
          memory.copy(<usize>k_buf(Buf.USB), D, <usize>m);
          let r = k_usb_attach(0, m, T);
          expect(r == 0 || r == -Errno.EBADMSG).toBe(true);
          if (how == 1 && r == 0) {
            // A changed byte that still parses (a string index, an interval, a type): the
            // endpoints may differ from the model above, so plug the real descriptors in again.
            k_usb_detach(0, T);
            put(D, DESC);
            memory.copy(<usize>k_buf(Buf.USB), D, <usize>m);
            expect(k_usb_attach(0, m, T)).toBe(0);
          }
        }
      } else if (op < 98) {
        // Revoke the read-only handle and derive a new one: its transfers are cancelled.
        k_sys(0, Sys.CAP_REVOKE, ro, 0, 0, 0, 0);
        ro = k_sys(0, Sys.CAP_DERIVE, root, RIGHT_READ | RIGHT_DERIVE, 0, 0, 0);
        expect(ro).toBeGreaterThanOrEqual(0);
      } else {
        k_poll(T);
      }
      expect(usbInflight(0) <= USB_INFLIGHT).toBe(true);
      checked++;
    }
    expect(checked).toBe(STEPS);
    trace("usb-hostile: transfers handed to the host, submits refused", 2, <f64>okSubmits, <f64>refusals);
    expect(okSubmits).toBeGreaterThan(400, "the walk reached past the checks");
    expect(refusals).toBeGreaterThan(800);
    expect(handed).toBe(okSubmits);
    // The end: unplug, read everything; no slot stays taken, nothing stays queued.
    k_usb_detach(0, T);
    for (let k = 0; k < 100 && k_sys(0, Sys.USB_EVENT, EV, 0, 0, 0, 0) == 0; k++) {}
    // Orphans (cancelled by a revoke) wait for their host's completion: give it.
    for (let x = 0; x < USB_INFLIGHT; x++) k_usb_done(0, x, -Errno.ECANCELED, 0, T);
    for (let k = 0; k < 100 && k_sys(0, Sys.USB_EVENT, EV, 0, 0, 0, 0) == 0; k++) {}
    expect(usbInflight(0)).toBe(0);
    expect(usbPending(0)).toBe(false);
  });
});
