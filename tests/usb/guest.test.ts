// The Node host's USB (hosts/node/usb.ts over libusb) against a real USB stack: ONE boot of
// the Linux guest (guest.ts) with QEMU's qemu-xhci, usb-storage over a raw image, usb-kbd and
// usb-serial writing into a file, running tests/usb/guest_main.ts, whose USBT lines are
// judged here in two parts.
// The backend (backend_guest.ts: UsbHost with a sink where the kernel would be): devices
// matched by vendor:product, bus path and serial (an absent one is not); descriptors read
// from the devices equal Linux's (sysfs); GET_DESCRIPTOR; an INQUIRY over Bulk-Only
// Transport; a CBW with a bad signature stalls (EPIPE) and CLEAR_FEATURE(HALT) cures it;
// `sendkey a` as an interrupt report; timeout and cancel; bad submissions are errors; bulk
// OUT reaches the chardev; the stick unplugged mid-read and the keyboard unplugged with a
// transfer waiting end with ENODEV and detach; the stick plugged in again attaches and
// answers; idle, libusb's fds never wake the loop.
// The node (node_guest.ts: launch.ts, kernel.wasm, three usbprobe services, one device that
// is not there): usb_desc equals sysfs; control, INQUIRY, stall and CLEAR through the
// kernel; ENOENT for an endpoint the stick lacks; EPERM without the write right and for a
// host-only request; interrupt, timeout, serial OUT; the keyboard unplugged under a waiting
// transfer (ENODEV, DETACH); the stick replugged (ATTACH, answers); afterwards every service
// still runs, unfaulted, and the node answers a ping.
// Prints the boot time, latencies, bulk throughput and idle CPU.
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Errno } from "../../abi/errno";
import { ROOT } from "../../hosts/node/paths";
import { GuestResult, guestOrSkip, runGuest } from "./guest";
import { results } from "./in_guest";

const STICK_BYTES = 16 << 20;
const WASM = path.join(ROOT, "build/wasm");

function skip(): string | false {
  const guest = guestOrSkip();
  if (guest) return guest;
  for (const f of ["kernel.wasm", "tests/usbprobe.wasm"]) {
    if (fs.existsSync(path.join(WASM, f))) continue;
    if (process.env.CI === "true") throw new Error(`build/wasm/${f} is not built (npm run build)`);
    console.log(`# skipped: build/wasm/${f} is not built (npm run build)`);
    return `build/wasm/${f} is not built`;
  }
  return false;
}

/** A CSW's hex (13 bytes): signature "USBS", the tag, residue 0, status 0. */
const csw = (tag: number) => `55534253${Buffer.from(Uint32Array.of(tag).buffer).toString("hex")}0000000000`;
const done = (hex: string) => `DONE OK ${hex}`;

const skipped = skip();
let r: GuestResult;
let out: Map<string, unknown[]>;
let serialText = "";

before(async () => {
  if (skipped) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-usb-"));
  const image = path.join(dir, "stick.img");
  const serialOut = path.join(dir, "serial.out");
  fs.writeFileSync(image, Buffer.alloc(STICK_BYTES));
  try {
    r = await runGuest({
      devices: [
        "-drive", `if=none,id=stick,file=${image},format=raw`, "-device", "usb-storage,drive=stick,bus=xhci.0,id=stick0",
        "-device", "usb-kbd,bus=xhci.0,id=kbd0",
        "-chardev", `file,id=ser0,path=${serialOut}`, "-device", "usb-serial,bus=xhci.0,chardev=ser0",
      ],
      script: path.join(__dirname, "guest_main.js"),
      env: { STICK_IMAGE: image },
      udev: true,
      linuxStorage: true,
      seconds: 400,
    });
    out = results(r.lines);
    serialText = fs.existsSync(serialOut) ? fs.readFileSync(serialOut, "latin1") : "";
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const tail = () => r.lines.filter((l) => !l.startsWith("LOG ")).slice(-50).join("\n");
function one<T>(key: string): T {
  const v = out.get(key);
  assert.ok(v !== undefined && v.length > 0, `the guest printed no "${key}" result:\n${tail()}`);
  return v[0] as T;
}

test("the guest ran every check to its end", { skip: skipped, timeout: 450_000 }, () => {
  assert.equal(r.status, 0, `the guest script failed:\n${tail()}`);
});

test("the libusb backend drives QEMU's USB devices on Linux", { skip: skipped }, () => {
  const dd = one<{ driver: string; status: number; MBps: number }>("linux.dd");
  assert.deepEqual([dd.driver, dd.status], ["usb-storage", 0], "Linux's own driver had the stick and read it");
  assert.deepEqual(one("backend.driver"), { stick: "usbfs" }, "attaching took the stick from usb-storage (auto-detach) and claimed it");
  assert.equal(out.get("backend.failed"), undefined, "nothing reached the sink's failed()");

  const descs = out.get("backend.desc") as { id: number; equal: boolean; bytes: number; sysfs: number }[];
  assert.equal(descs.length, 3);
  for (const d of descs) assert.ok(d.equal && d.bytes === d.sysfs, `device ${d.id}: the descriptors read from it differ from sysfs (${d.bytes} vs ${d.sysfs} bytes)`);
  assert.deepEqual(one("backend.absent"), { attached: false, submit: -Errno.ENODEV });
  assert.deepEqual(one("backend.control"), { status: 0, moved: 18, equal: true });

  const inq = one<{ cbw: number[]; data: number[]; vendor: string; csw: { sig: number; tag: number; status: number } }>("backend.inquiry");
  assert.deepEqual(inq.cbw, [0, 31]);
  assert.deepEqual(inq.data, [0, 36]);
  assert.equal(inq.vendor, "QEMU");
  assert.deepEqual(inq.csw, { sig: 0x53425355, tag: 0x1001, status: 0 });

  const stall = one<{ bad: number; clear: number; again: { sig: number; tag: number; status: number }; againData: number }>("backend.stall");
  assert.equal(stall.bad, -Errno.EPIPE, "a CBW with a bad signature stalls the bulk OUT endpoint");
  assert.equal(stall.clear, 0);
  assert.deepEqual(stall.again, { sig: 0x53425355, tag: 0x1003, status: 0 });

  const key = one<{ status: number; moved: number; report: number[] }>("backend.interrupt");
  assert.equal(key.status, 0);
  assert.equal(key.moved, 8);
  assert.equal(key.report[2], 4, "usage 4 (a) in the boot keyboard report");
  assert.equal(one<{ status: number }>("backend.release").status, 0);

  const to = one<{ status: number; ms: number }>("backend.timeout");
  assert.equal(to.status, -Errno.ETIMEDOUT);
  assert.ok(to.ms >= 290 && to.ms < 3000, `a 300 ms timeout took ${to.ms} ms`);
  assert.deepEqual(one("backend.cancel"), { status: -Errno.ECANCELED, busy: -Errno.EAGAIN });
  assert.deepEqual(one("backend.refused"), { slot: -Errno.EINVAL, iso: -Errno.EINVAL, long: -Errno.EINVAL, fault: -Errno.EFAULT, nodev: -Errno.ENODEV });

  assert.deepEqual(one("backend.serial"), { status: 0, moved: 18 });
  assert.equal(serialText.slice(0, 18), "persia-usb-serial\n", "bulk OUT reached QEMU's usb-serial chardev");

  const unplug = one<{ mid: { status: number; submit: number }[]; rounds: number; events: string[]; after: number }>("backend.unplug");
  assert.ok(unplug.rounds >= 1, "reads ran before the unplug");
  const ended = unplug.mid.find((x) => x.status !== 0);
  assert.ok(ended !== undefined && ended.status === -Errno.ENODEV, `the stick's reads ended with ENODEV: ${JSON.stringify(unplug.mid)}`);
  assert.deepEqual(unplug.events, ["detach 0", "detach 1"]);
  const kbd = one<{ status: number; attached: boolean }>("backend.unplugKbd");
  assert.equal(kbd.status, -Errno.ENODEV, "the interrupt transfer waiting when the keyboard went ended with ENODEV");
  assert.equal(kbd.attached, false);
  assert.equal(unplug.after, -Errno.ENODEV);
  const replug = one<{ csw: { status: number; tag: number }; vendor: string }>("backend.replug");
  assert.equal(replug.vendor, "QEMU");
  assert.equal(replug.csw.status, 0);
  assert.deepEqual(one<{ events: string[] }>("backend.end").events.sort(), ["attach 0", "attach 0", "attach 1", "attach 2", "detach 0", "detach 1"]);

  const m = one<{ controlUs: number; readMBps: number; readOk: number; reads: number; idleCpuMs: number; idleWakeups: number }>("backend.measure");
  assert.equal(m.readOk, m.reads);
  // Measured 32 vs 30 MB/s (and 13–34 for dd alone, machine load moves both): a backend
  // an order of magnitude behind Linux's own driver on the same emulated stick is a bug.
  assert.ok(m.readMBps * 8 >= dd.MBps, `bulk reads through libusb ran at ${m.readMBps} MB/s; Linux's usb-storage read the same stick at ${dd.MBps} MB/s`);
  assert.equal(m.idleWakeups, 0, "libusb's fds stay quiet while nothing happens");
  assert.ok(m.idleCpuMs < 200, `idle for 2 s with three devices open cost ${m.idleCpuMs} ms of CPU`);
  console.log(`# guest boot ${r.bootMs} ms (QEMU start to root mounted, TCG); backend: control round trip ${m.controlUs} us; ` +
    `bulk READ(10) 64 KiB: ${m.readMBps} MB/s (Linux's usb-storage with dd: ${dd.MBps} MB/s); idle CPU ${m.idleCpuMs} ms in 2 s`);
});

test("a node's services drive QEMU's USB devices through the Node host", { skip: skipped }, () => {
  const sys = one<{ stick: string; kbd: string; serial: string }>("node.sysfs");
  assert.deepEqual(one("node.desc"), { stick: `DESC ${sys.stick}`, kbd: `DESC ${sys.kbd}`, serial: `DESC ${sys.serial}`, absent: "ERR ENODEV" });
  assert.deepEqual(one("node.id"), { stick: "ID 46f4:0001", kbd: "ID 0627:0001", serial: "ID 0403:6001" });
  assert.equal(one("node.control"), done(sys.stick.slice(0, 36)));

  const inquiry = one<string[]>("node.inquiry");
  assert.match(inquiry[0], /^DONE OK 55534243/);
  assert.match(inquiry[1], /^DONE OK [0-9a-f]{16}51454d5520202020/, "36 bytes of INQUIRY data, vendor QEMU");
  assert.equal(inquiry[1].length, "DONE OK ".length + 72);
  assert.equal(inquiry[2], done(csw(0x1001)));

  const stall = one<{ bad: string; clear: string; again: string[] }>("node.stall");
  assert.match(stall.bad, /^DONE EPIPE/);
  assert.equal(stall.clear, "DONE OK ");
  assert.equal(stall.again[2], done(csw(0x1003)));

  assert.equal(one<{ bulk83: string }>("node.noEndpoint").bulk83, "ERR ENOENT", "the stick has no endpoint 0x83: the kernel refuses");
  assert.deepEqual(one("node.rights"), { kbdOut: "ERR EPERM", setConfiguration: "ERR EPERM" });
  assert.equal(one("node.interrupt"), done("0000040000000000"), "sendkey a: usage 4 in a boot keyboard report");
  assert.equal(one("node.release"), done("0000000000000000"));
  const to = one<{ answer: string; ms: number }>("node.timeout");
  assert.equal(to.answer, "DONE ETIMEDOUT ");
  assert.ok(to.ms >= 290, `a 300 ms timeout answered after ${to.ms} ms`);
  assert.equal(one("node.serial"), done(Buffer.from("persia-node-serial\n").toString("hex")));
  assert.equal(serialText.slice(18), "persia-node-serial\n", "what the service sent reached QEMU's chardev");

  assert.deepEqual(one("node.unplugKbd"), { answer: "DONE ENODEV ", events: "EVENTS attach detach", desc: "ERR ENODEV" });
  const replug = one<{ gone: Record<string, string>; events: string; inquiry: string[] }>("node.replug");
  assert.deepEqual(replug.gone, { events: "EVENTS attach detach", desc: "ERR ENODEV", inquiry: "ERR ENODEV" });
  assert.equal(replug.events, "EVENTS attach detach attach");
  assert.equal(replug.inquiry[2], done(csw(0x2002)));

  const survived = one<{ errors: string[]; running: { name: string; state: string; faults: number }[]; ping: boolean }>("node.survived");
  assert.deepEqual(survived.errors, []);
  for (const s of survived.running) assert.deepEqual([s.state, s.faults], ["RUNNING", 0], `${s.name} still runs, never faulted`);
  assert.equal(survived.ping, true);

  const lat = one<{ rounds: number; ok: number; msPerRound: number }>("node.latency");
  assert.equal(lat.ok, lat.rounds);
  console.log(`# a control transfer through the node ` +
    `(UDP in, kernel, libusb, UDP out) ${lat.msPerRound} ms a round trip`);
});
