// The metal host's xHCI driver against QEMU's own controller and devices (issue #16,
// spec/metal.md "USB (xHCI)"), in one QEMU boot of the `devtest` mode. First the endpoint walk
// over configuration descriptors a hostile device could send (QEMU's devices do not lie).
// Then a usb-storage stick
// (super speed), a usb-kbd (high speed) and a usb-ccid (full speed, 64-byte EP0: read first,
// then set by Evaluate Context) are enumerated and their descriptors printed and
// read again through the asynchronous path; a short control read; a transfer to an endpoint
// the device lacks and a SET_ADDRESS are refused; on the stick a BOT INQUIRY (CBW out, 36
// bytes in, CSW in), a CBW with a bad signature that QEMU stalls, CLEAR_FEATURE(ENDPOINT_HALT)
// making the endpoint work again, READ CAPACITY and a read throughput figure; on the keyboard
// an interrupt IN cancelled, one timing out, one answered by a key this test sends through
// QEMU's monitor (`sendkey a`), then one in flight when the test unplugs the keyboard
// (`device_del`: a detach, no completion) and a keyboard plugged in again (`device_add`).
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { BOOT_BIN } from "../../cli/image_metal";
import { HostPlan } from "../../loader/manifest/compile";
import { EXIT_STOPPED, metalOrSkip, RunningQemu, tempDir } from "./qemu";
import { Monitor, usbArgs, XHCI_ID } from "./usb";

const skip = metalOrSkip();
const SERIAL = "persia-stick-1";

describe("the xHCI driver against QEMU's USB devices (devtest)", { skip }, () => {
  let dir = "", qemu: RunningQemu, mon: Monitor | undefined, exit = -1;

  before(async () => {
    dir = tempDir("usb-devtest");
    const stick = path.join(dir, "stick.img");
    fs.writeFileSync(stick, new Uint8Array(8 << 20));
    const monitor = path.join(dir, "mon.sock");
    const noDevices = { plan: { nics: [], disks: [] } as unknown as HostPlan };
    qemu = new RunningQemu(noDevices, BOOT_BIN, {
      append: "devtest devtest-usb-mib=4 devtest-usb-key=8000 devtest-usb-unplug=8000", monitor, seconds: 120,
      extra: usbArgs({ stick, stickSerial: SERIAL, kbd: true, ccid: true }),
    });
    mon = await Monitor.open(monitor);
    await qemu.line(/^devtest: usb press a key/, 60000);
    await mon.command("sendkey a");
    await qemu.line(/^devtest: usb unplug the keyboard now/, 30000);
    await new Promise((r) => setTimeout(r, 300)); // the transfer is in flight meanwhile
    await mon.command("device_del kbd");
    await qemu.line(/^devtest: usb plug a device in now/, 30000);
    await mon.command(`device_add usb-kbd,bus=${XHCI_ID}.0,id=kbd2`);
    exit = await qemu.exited(60000);
  });
  after(async () => {
    mon?.close();
    await qemu?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const line = (re: RegExp) => qemu.lines.find((l) => re.test(l));

  it("passes every check and exits STOPPED", () => {
    const fails = qemu.lines.filter((l) => /^devtest: .*FAIL/.test(l));
    assert.deepEqual(fails, [], qemu.serial.slice(-4000));
    assert.ok(line(/^devtest: usb 1 controller\(s\): PASS/), qemu.serial.slice(-4000));
    assert.equal(exit, EXIT_STOPPED);
  });

  it("enumerates the stick, the keyboard and the smartcard reader at their speeds and paths", () => {
    // paths as Linux numbers a lone xHC's root hubs: USB 3 ports on bus 2, USB 2 ports on bus 1;
    // QEMU gives its ports in the order the devices are attached
    assert.match(line(/^devtest: usb device 46f4:0001 /) ?? "", /path 2-1 super speed class 08\.06\.50 .*serial "persia-stick-1"/);
    assert.match(line(/^devtest: usb device 0627:0001 /) ?? "", /path 1-2 high speed class 03\.01\.01 /);
    // full speed with a 64-byte EP0: 8 bytes of the device descriptor first, then Evaluate Context
    assert.match(line(/^devtest: usb device 08e6:4433 /) ?? "", /path 1-3 full speed class 0b\./);
    assert.match(line(/^xhci .*: full speed device 08e6:4433 /) ?? "", /EP0 max packet 64,/);
    // the descriptors read again through submit equal the enumeration's, for each device
    assert.equal(qemu.lines.filter((l) => /^devtest: usb control GET_DESCRIPTOR\(configuration\)/.test(l)).length, 3);
  });

  it("walks hostile configuration descriptors (lengths that lie, reserved bits, duplicates) without trusting them", () => {
    const hostile = qemu.lines.filter((l) => /^devtest: usb (FAIL )?hostile configuration descriptor/.test(l));
    assert.equal(hostile.length, 9, hostile.join("\n"));
    assert.ok(hostile.every((l) => !/FAIL/.test(l)), hostile.join("\n"));
    // hubs are refused: bDeviceClass 9 or an interface of class 9, found by the same careful walk
    const hubs = qemu.lines.filter((l) => /^devtest: usb (FAIL )?hub descriptor/.test(l));
    assert.equal(hubs.length, 6, hubs.join("\n"));
    assert.ok(hubs.every((l) => !/FAIL/.test(l)), hubs.join("\n"));
  });

  it("does bulk transfers: INQUIRY, a stall and its recovery, READ CAPACITY", () => {
    assert.match(line(/^devtest: usb bulk INQUIRY/) ?? "", /Ok\(36\) "QEMU    QEMU HARDDISK/);
    assert.match(line(/^devtest: usb a CBW with a bad signature stalls/) ?? "", /Err\(Stall\)/);
    assert.match(line(/^devtest: usb INQUIRY after the halt was cleared/) ?? "", /Ok\(36\)/);
    assert.match(line(/^devtest: usb READ CAPACITY/) ?? "", /16384 blocks of 512 bytes/);
    const rate = line(/^devtest: usb read \d+ KiB/);
    assert.ok(rate, "a throughput line");
    console.log(`# ${rate}`);
  });

  it("does interrupt transfers: cancelled, timed out, a key's report", () => {
    assert.match(line(/^devtest: usb an interrupt IN cancelled/) ?? "", /Cancelled/);
    assert.match(line(/^devtest: usb an interrupt IN with no key times out/) ?? "", /Timeout/);
    assert.match(line(/^devtest: usb an interrupt IN keyboard report/) ?? "", /report 0000040000000000/);
  });

  it("sees the keyboard unplugged mid-transfer and a new one plugged in", () => {
    assert.match(line(/^devtest: usb unplugged mid-transfer/) ?? "", /Detached/);
    assert.match(line(/^devtest: usb a transfer to the unplugged device/) ?? "", /NoDevice/);
    assert.match(line(/^devtest: usb plugged in again/) ?? "", /0627:0001/);
    assert.match(line(/^devtest: usb control on the new device/) ?? "", /Ok\(18\)/);
  });
});
