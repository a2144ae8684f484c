// The Node host's libusb backend (hosts/node/usb.ts) against a real USB stack: one boot of
// the Linux guest (guest.ts) with QEMU's qemu-xhci, usb-storage over a raw image, usb-kbd and
// usb-serial writing to a file, running tests/usb/backend_guest.ts (the backend with a sink
// where the kernel would be). Checks, from the guest's USBT lines: the three devices match
// by vendor:product, bus path and serial (an absent one does not); their descriptors, read
// from the devices, equal Linux's (sysfs descriptors); GET_DESCRIPTOR over control; an
// INQUIRY round trip over Bulk-Only Transport; a CBW with a bad signature stalls (EPIPE) and
// the stick works again after CLEAR_FEATURE(HALT); `sendkey a` arrives as an interrupt
// report; a timeout (ETIMEDOUT) and a cancel (ECANCELED); bad submissions are errors; bulk
// OUT reaches QEMU's chardev; unplugging the stick mid-transfer ends its transfer with
// ENODEV and detaches it; plugged in again it attaches and answers. Prints the boot time,
// control latency, bulk throughput and idle CPU.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Errno } from "../../abi/errno";
import { guestOrSkip, runGuest } from "./guest";
import { results } from "./in_guest";

const STICK_BYTES = 16 << 20;

test("the libusb backend drives QEMU's USB devices in a Linux guest", { skip: guestOrSkip(), timeout: 300_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-usb-backend-"));
  const image = path.join(dir, "stick.img");
  const serialOut = path.join(dir, "serial.out");
  fs.writeFileSync(image, Buffer.alloc(STICK_BYTES));
  try {
    const r = await runGuest({
      devices: [
        "-drive", `if=none,id=stick,file=${image},format=raw`, "-device", "usb-storage,drive=stick,bus=xhci.0,id=stick0",
        "-device", "usb-kbd,bus=xhci.0,id=kbd0",
        "-chardev", `file,id=ser0,path=${serialOut}`, "-device", "usb-serial,bus=xhci.0,chardev=ser0",
      ],
      script: path.join(__dirname, "backend_guest.js"),
      env: { STICK_IMAGE: image },
      udev: true,
      seconds: 240,
    });
    const out = results(r.lines);
    const one = <T>(key: string): T => {
      const v = out.get(key);
      assert.ok(v !== undefined && v.length > 0, `the guest printed no "${key}" result; its console:\n${r.lines.slice(-60).join("\n")}`);
      return v[0] as T;
    };
    assert.equal(r.status, 0, `the guest script failed:\n${r.lines.slice(-60).join("\n")}`);
    assert.equal(out.get("failed"), undefined, "nothing reached the sink's failed()");

    const descs = out.get("desc") as { id: number; equal: boolean; bytes: number; sysfs: number }[];
    assert.equal(descs.length, 3);
    for (const d of descs) assert.ok(d.equal && d.bytes === d.sysfs, `device ${d.id}: the descriptors read from it differ from sysfs (${d.bytes} vs ${d.sysfs} bytes)`);
    assert.deepEqual(one("absent"), { attached: false, submit: -Errno.ENODEV });
    assert.deepEqual(one("control"), { status: 0, moved: 18, equal: true });

    const inq = one<{ cbw: number[]; data: number[]; vendor: string; csw: { sig: number; tag: number; status: number } }>("inquiry");
    assert.deepEqual(inq.cbw, [0, 31]);
    assert.deepEqual(inq.data, [0, 36]);
    assert.equal(inq.vendor, "QEMU");
    assert.deepEqual(inq.csw, { sig: 0x53425355, tag: 0x1001, status: 0 });

    const stall = one<{ bad: number; clear: number; again: { sig: number; tag: number; status: number }; againData: number }>("stall");
    assert.equal(stall.bad, -Errno.EPIPE, "a CBW with a bad signature stalls the bulk OUT endpoint");
    assert.equal(stall.clear, 0);
    assert.deepEqual(stall.again, { sig: 0x53425355, tag: 0x1003, status: 0 });

    const key = one<{ status: number; moved: number; report: number[] }>("interrupt");
    assert.equal(key.status, 0);
    assert.equal(key.moved, 8);
    assert.equal(key.report[2], 4, "usage 4 (a) in the boot keyboard report");
    assert.equal(one<{ status: number }>("release").status, 0);

    const to = one<{ status: number; ms: number }>("timeout");
    assert.equal(to.status, -Errno.ETIMEDOUT);
    assert.ok(to.ms >= 290 && to.ms < 3000, `a 300 ms timeout took ${to.ms} ms`);
    assert.deepEqual(one("cancel"), { status: -Errno.ECANCELED, busy: -Errno.EAGAIN });
    assert.deepEqual(one("refused"), { slot: -Errno.EINVAL, iso: -Errno.EINVAL, long: -Errno.EINVAL, fault: -Errno.EFAULT, nodev: -Errno.ENODEV });

    assert.deepEqual(one("serial"), { status: 0, moved: 18 });
    assert.equal(fs.readFileSync(serialOut, "utf8"), "persia-usb-serial\n", "bulk OUT reached QEMU's usb-serial chardev");

    const unplug = one<{ mid: { status: number; submit: number }[]; rounds: number; events: string[]; after: number }>("unplug");
    assert.ok(unplug.rounds >= 1, "reads ran before the unplug");
    const ended = unplug.mid.find((x) => x.status !== 0);
    assert.ok(ended !== undefined && ended.status === -Errno.ENODEV, `the stick's reads ended with ENODEV: ${JSON.stringify(unplug.mid)}`);
    assert.deepEqual(unplug.events, ["detach 0", "detach 1"]);
    const kbd = one<{ status: number; attached: boolean }>("unplugKbd");
    assert.equal(kbd.status, -Errno.ENODEV, "the interrupt transfer waiting when the keyboard went ended with ENODEV");
    assert.equal(kbd.attached, false);
    assert.equal(unplug.after, -Errno.ENODEV);
    const replug = one<{ csw: { status: number; tag: number }; vendor: string }>("replug");
    assert.equal(replug.vendor, "QEMU");
    assert.equal(replug.csw.status, 0);
    assert.deepEqual(one<{ events: string[] }>("end").events.sort(), ["attach 0", "attach 0", "attach 1", "attach 2", "detach 0", "detach 1"]);

    const m = one<{ controlUs: number; readMBps: number; readOk: number; reads: number; idleCpuMs: number; idleWakeups: number }>("measure");
    assert.equal(m.readOk, m.reads);
    assert.equal(m.idleWakeups, 0, "libusb's fds stay quiet while nothing happens");
    assert.ok(m.idleCpuMs < 200, `idle for 2 s with three devices open cost ${m.idleCpuMs} ms of CPU`);
    console.log(`# guest boot ${r.bootMs} ms (QEMU start to root mounted, TCG); control round trip ${m.controlUs} us; ` +
      `bulk READ(10) 64 KiB: ${m.readMBps} MB/s; idle CPU ${m.idleCpuMs} ms in 2 s`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
