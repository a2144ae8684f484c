// The USB records of the boot manifest (kernel/boot.ts usb, capUsb): each malformed USB or
// CAP_USB record refuses the boot with -EBADMSG and one line naming the record and field;
// a refused boot leaves no USB table behind (the next boot on the same instance starts
// empty); a good one grants CapKind.USB capabilities, and a device granted to no one is in
// the table but no service hears of it. The unload of a holder (ctl/ops.ts forget →
// usbForget) cancels its transfers and lets the device go.
import { Errno } from "../../../abi/errno";
import { Buf } from "../../../abi/kernel";
import { Sys } from "../../../abi/syscalls";
import { CapKind, RIGHT_READ, RIGHT_WRITE, RIGHT_DERIVE, RIGHT_SEND } from "../../../abi/caps";
import { USB_MAX } from "../../../abi/limits";
import { UR_EP, UR_TIMEOUT, UR_LEN, UR_SIZE } from "../../../abi/usb";
import { k_sys, k_poll, k_buf, k_usb_attach, k_usb_done } from "../../../kernel/main";
import { usbDeclared, usbHolder, usbPresent, usbPending, usbForget, usbInflight } from "../../../kernel/svc/usb";
import { capsClear } from "../../../kernel/svc/caps";
import { mfStart, mfEnd, mfRecord, mfNode, mfService, mfUsb, mfCapUsb } from "../manifest";
import { bootFrom } from "../drive";
import { put } from "../frames";
import { logCount, lastLog, svcMemory, svcPut, usbCancels, usbCancelField, usbSubmits, usbSubmitField } from "../mock";

const M: usize = memory.data(1024, 16);
const D: usize = memory.data(256, 16);
const V: usize = memory.data(64, 16);
const RWD = RIGHT_READ | RIGHT_WRITE | RIGHT_DERIVE;

function start(): void {
  mfStart(M);
  mfNode(0, "n1.test");
  mfService(0, "a.n1.test");
  mfService(1, "b.n1.test");
}

/** Boot is refused with -EBADMSG and one log line blaming `at`, and no USB table is left. */
function refused(at: string): void {
  let logs = logCount();
  expect(bootFrom(M, mfEnd(), 1000)).toBe(-Errno.EBADMSG, at);
  expect(logCount()).toBe(logs + 1, at);
  let line = lastLog();
  let a = line.indexOf("refused: ") + 9;
  expect(line.substring(a, line.indexOf(": ", a))).toBe(at);
  for (let d = 0; d < USB_MAX; d++) {
    expect(usbDeclared(d)).toBe(false, at + ": nothing left behind");
    expect(usbHolder(d)).toBe(-1, at);
  }
}

describe("USB boot records", () => {
  it("refuse a USB record with a bad length, reserved bytes, an id past USB_MAX or given twice", () => {
    start(); mfRecord(28, 5); refused("record 3 (type 28), length");
    start(); store<u8>(mfRecord(28, 4) + 1, 1); refused("record 3 (type 28), reserved");
    start(); store<u8>(mfRecord(28, 4) + 2, 1); refused("record 3 (type 28), reserved");
    start(); mfUsb(USB_MAX); refused("record 3 (type 28), id");
    start(); mfUsb(255); refused("record 3 (type 28), id");
    start(); mfUsb(1); mfUsb(0); mfUsb(1); refused("record 5 (type 28), id");
  });

  it("refuse a CAP_USB record with a bad length, no such service (its id is u16) or device, bad rights, or a device granted twice", () => {
    start(); mfUsb(0); mfRecord(29, 3); refused("record 4 (type 29), length");
    start(); mfUsb(0); mfCapUsb(0x100, 0, RIGHT_READ); refused("record 4 (type 29), service");   // a u16 id: 256, not 0
    start(); mfUsb(0); mfCapUsb(2, 0, RIGHT_READ); refused("record 4 (type 29), service");
    start(); mfUsb(0); mfCapUsb(0, 1, RIGHT_READ); refused("record 4 (type 29), usb");
    start(); mfCapUsb(0, 0, RIGHT_READ); mfUsb(0); refused("record 3 (type 29), usb");
    start(); mfUsb(0); mfCapUsb(0, 0, RIGHT_READ | RIGHT_SEND); refused("record 4 (type 29), rights");
    start(); mfUsb(0); mfCapUsb(0, 0, 32); refused("record 4 (type 29), rights");
    start(); mfUsb(0); mfCapUsb(0, 0, 0); refused("record 4 (type 29), rights");
    start(); mfUsb(0); mfCapUsb(0, 0, RIGHT_DERIVE); refused("record 4 (type 29), rights");
    start(); mfUsb(0); mfCapUsb(0, 0, RIGHT_READ); mfCapUsb(1, 0, RIGHT_READ); refused("record 5 (type 29), usb");
    start(); mfUsb(0); mfCapUsb(0, 0, RIGHT_READ); mfCapUsb(0, 0, RIGHT_WRITE); refused("record 5 (type 29), usb");
  });

  it("boot the good manifest after the refusals: grants, and a device no one holds", () => {
    svcMemory(0, 4096);
    start(); mfUsb(0); mfUsb(3); mfCapUsb(1, 3, RIGHT_WRITE);
    expect(bootFrom(M, mfEnd(), 1000)).toBe(0);
    k_poll(1000);
    expect(usbDeclared(0)).toBe(true);
    expect(usbDeclared(1)).toBe(false);
    expect(usbHolder(0)).toBe(-1);
    expect(usbHolder(3)).toBe(1);
    expect(k_sys(0, Sys.CAP_FIND, CapKind.USB, 0, 0, 0, 0)).toBe(-Errno.ENOENT);
    expect(k_sys(1, Sys.CAP_FIND, CapKind.USB, 0, 0, 0, 0)).toBeGreaterThanOrEqual(0);
    let n = put(D, "12 01 00 02 00 00 00 40 f4 46 01 00 00 01 01 02 03 01  09 02 19 00 01 01 00 80 32" +
      "  09 04 00 00 01 08 06 50 00  07 05 02 02 00 02 00");
    memory.copy(<usize>k_buf(Buf.USB), D, <usize>n);
    expect(k_usb_attach(0, n, 1000)).toBe(0);
    expect(usbPresent(0)).toBe(true);
    expect(usbPending(0)).toBe(false, "no one holds device 0");
    expect(usbPending(1)).toBe(false);
    expect(k_usb_attach(3, n, 1000)).toBe(0);
    expect(usbPending(1)).toBe(true);
  });

  it("an unloaded holder's transfers are cancelled and its device is held by no one", () => {
    svcMemory(1, 4096);
    let h = k_sys(1, Sys.CAP_FIND, CapKind.USB, 0, 0, 0, 0);
    memory.fill(V, 0, UR_SIZE);
    store<u8>(V + UR_EP, 0x02);
    store<u32>(V + UR_TIMEOUT, 100);
    store<u32>(V + UR_LEN, 8);
    svcPut(1, 0, V, UR_SIZE);
    let s = usbSubmits();
    expect(k_sys(1, Sys.USB_SUBMIT, h, 0, 0, 0, 0)).toBe(0);
    let x = usbSubmitField(s, 1);
    let c = usbCancels();
    usbForget(1);          // what ctl/ops.ts forget does first, then capsClear
    capsClear(1);
    expect(usbCancels()).toBe(c + 1);
    expect(usbCancelField(c, 1)).toBe(x);
    expect(usbHolder(3)).toBe(-1);
    expect(usbPending(1)).toBe(false);
    k_usb_done(3, x, 0, 8, 1000);
    expect(usbInflight(3)).toBe(0, "the orphan's completion freed its slot");
    expect(usbPending(1)).toBe(false, "and queued nothing");
  });
});
