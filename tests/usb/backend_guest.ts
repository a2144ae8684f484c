// Runs INSIDE the USB test guest (guest.ts; first part of guest_main.ts): the Node host's
// libusb backend (hosts/node/usb.ts) against QEMU's usb-storage, usb-kbd and usb-serial on
// a real Linux USB stack, with a sink that stands where the kernel would (it keeps what
// k_usb_attach, k_usb_detach and k_usb_done would be told). Each check prints a USBT line
// that the test on the host judges; nothing here decides pass or fail.
// Matching: the stick by vendor:product, the keyboard by bus path, the serial adapter by
// its iSerialNumber, each read from sysfs, as a manifest would name them.
import * as fs from "fs";
import { Errno } from "../../abi/errno";
import { LogLevel } from "../../abi/kernel";
import { UsbType } from "../../abi/usb";
import { UsbHost, UsbMatch } from "../../hosts/node/usb";
import { host, say } from "./in_guest";

const STICK = 0, KBD = 1, SERIAL = 2, ABSENT = 3;
const SYS = "/sys/bus/usb/devices";
const MEM = new Uint8Array(1 << 20);          // stands for kernel memory: OUT data is read from here

/** A completion; `submit` is usb_submit's answer (when it is not 0, there is no completion). */
type Done = { status: number; moved: number; data: Uint8Array; submit: number; byDetach?: boolean };
const NONE = new Uint8Array(0);
const waiting = new Map<string, (d: Done) => void>();
const events: string[] = [];
const attached = new Map<number, Uint8Array>();
const attachWaiters: (() => void)[] = [];

export function sysfsDevice(vendor: string, product: string): string | null {
  for (const name of fs.readdirSync(SYS)) {
    if (name.includes(":") || name.startsWith("usb")) continue;
    const read = (f: string) => { try { return fs.readFileSync(`${SYS}/${name}/${f}`, "utf8").trim(); } catch { return ""; } };
    if (read("idVendor") === vendor && read("idProduct") === product) return name;
  }
  return null;
}

export async function until<T>(f: () => T | null | undefined | false, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let usb: UsbHost;

/** Submits through the backend as the kernel would; resolves with the completion. */
function xfer(dev: number, slot: number, ep: number, kind: UsbType, setup: bigint, out: Uint8Array | null, len: number, timeout: number): Promise<Done> {
  if (out !== null) MEM.set(out, 4096);
  return new Promise<Done>((resolve) => {
    waiting.set(`${dev}/${slot}`, resolve);
    const submit = usb.submit(dev, slot, ep, kind, setup, MEM, 4096, len, timeout);
    if (submit === 0) return;
    waiting.delete(`${dev}/${slot}`);
    resolve({ status: submit, moved: 0, data: NONE, submit });
  });
}

function setup(reqType: number, req: number, value: number, index: number, length: number): bigint {
  const b = Buffer.alloc(8);
  b.writeUInt8(reqType, 0); b.writeUInt8(req, 1); b.writeUInt16LE(value, 2); b.writeUInt16LE(index, 4); b.writeUInt16LE(length, 6);
  return b.readBigUInt64LE(0);
}

/** A Bulk-Only Transport CBW (USB Mass Storage Class BOT 1.0 §5.1): 31 bytes. */
function cbw(tag: number, dataLen: number, dirIn: boolean, cdb: number[], signature = 0x43425355): Uint8Array {
  const b = Buffer.alloc(31);
  b.writeUInt32LE(signature, 0); b.writeUInt32LE(tag, 4); b.writeUInt32LE(dataLen, 8);
  b.writeUInt8(dirIn ? 0x80 : 0, 12); b.writeUInt8(0, 13); b.writeUInt8(cdb.length, 14);
  Buffer.from(cdb).copy(b, 15);
  return b;
}

const INQUIRY = [0x12, 0, 0, 0, 36, 0];
const read10 = (lba: number, blocks: number) => [0x28, 0, (lba >>> 24) & 255, (lba >>> 16) & 255, (lba >>> 8) & 255, lba & 255, 0, blocks >> 8, blocks & 255, 0];
const BULK_OUT = 0x02, BULK_IN = 0x81, INT_IN = 0x81;

/** One SCSI command over BOT: CBW out, data in, CSW in. */
async function scsi(tag: number, cdb: number[], dataLen: number): Promise<{ cbw: Done; data: Done; csw: Done }> {
  const c = await xfer(STICK, 0, BULK_OUT, UsbType.BULK, 0n, cbw(tag, dataLen, true, cdb), 31, 2000);
  const data = await xfer(STICK, 1, BULK_IN, UsbType.BULK, 0n, null, dataLen, 2000);
  const csw = await xfer(STICK, 2, BULK_IN, UsbType.BULK, 0n, null, 13, 2000);
  return { cbw: c, data, csw };
}

function cswOf(d: Done): { sig: number; tag: number; status: number } {
  const b = Buffer.from(d.data);
  return b.length >= 13 ? { sig: b.readUInt32LE(0), tag: b.readUInt32LE(4), status: b[12] } : { sig: 0, tag: 0, status: -1 };
}

/** The backend's checks; leaves the stick plugged in as stick1 and the keyboard as kbd1. */
export async function backendChecks(): Promise<void> {
  const stickName = await until(() => sysfsDevice("46f4", "0001"), 30000, "QEMU's usb-storage in sysfs");
  const kbdName = await until(() => sysfsDevice("0627", "0001"), 30000, "QEMU's usb-kbd in sysfs");
  const serialName = await until(() => sysfsDevice("0403", "6001"), 30000, "QEMU's usb-serial in sysfs");
  const serial = fs.readFileSync(`${SYS}/${serialName}/serial`, "utf8").trim();
  say("sysfs", { stick: stickName, kbd: kbdName, serial: serialName, serialNumber: serial });
  const matches: UsbMatch[] = [
    { id: STICK, name: "stick", vendor: 0x46f4, product: 0x0001 },
    { id: KBD, name: "kbd", path: kbdName },
    { id: SERIAL, name: "serial", serial },
    { id: ABSENT, name: "absent", vendor: 0xdead, product: 0xbeef },
  ];
  const cpu0 = process.cpuUsage();
  usb = new UsbHost(matches, {
    attach: (dev, desc) => { attached.set(dev, desc.slice()); events.push(`attach ${dev}`); for (const w of attachWaiters.splice(0)) w(); return 0; },
    detach: (dev) => {
      attached.delete(dev);
      events.push(`detach ${dev}`);
      // What the kernel does on k_usb_detach: every transfer in flight ends with ENODEV.
      for (const [k, w] of [...waiting]) {
        if (!k.startsWith(`${dev}/`)) continue;
        waiting.delete(k);
        w({ status: -Errno.ENODEV, moved: 0, data: NONE, submit: 0, byDetach: true });
      }
    },
    done: (dev, slot, status, moved, data) => {
      const w = waiting.get(`${dev}/${slot}`);
      waiting.delete(`${dev}/${slot}`);
      events.push(`done ${dev}/${slot} ${status}`);
      w?.({ status, moved, data: data === null ? NONE : data.slice(), submit: 0 });   // a copy: the buffer is the slot's
    },
    log: (level, line) => say("log", `${LogLevel[level]} ${line}`),
    failed: (e) => say("failed", String(e)),
  });
  await until(() => attached.size >= 3, 10000, "three devices attached");
  // usb-storage let go of the stick: its interface is now usbfs's (libusb's claim)
  say("driver", { stick: fs.readlinkSync(`${SYS}/${stickName}:1.0/driver`).split("/").pop() });

  // Descriptors: what the kernel is given equals what Linux read at enumeration.
  for (const [id, name] of [[STICK, stickName], [KBD, kbdName], [SERIAL, serialName]] as [number, string][]) {
    const sys = fs.readFileSync(`${SYS}/${name}/descriptors`);
    say("desc", { id, equal: Buffer.compare(sys, Buffer.from(attached.get(id)!)) === 0, bytes: attached.get(id)!.length, sysfs: sys.length });
  }
  say("absent", { attached: attached.has(ABSENT), submit: usb.submit(ABSENT, 0, 0x81, UsbType.BULK, 0n, MEM, 0, 8, 100) });

  // Control: GET_DESCRIPTOR(device) on the keyboard's default pipe.
  const gd = await xfer(KBD, 0, 0, UsbType.CONTROL, setup(0x80, 6, 0x0100, 0, 18), null, 18, 1000);
  say("control", { status: gd.status, moved: gd.moved, equal: Buffer.compare(Buffer.from(gd.data), Buffer.from(attached.get(KBD)!.subarray(0, 18))) === 0 });

  // Bulk: INQUIRY over BOT.
  const inq = await scsi(0x1001, INQUIRY, 36);
  say("inquiry", { cbw: [inq.cbw.status, inq.cbw.moved], data: [inq.data.status, inq.data.moved], vendor: Buffer.from(inq.data.data.slice(8, 16)).toString("latin1").trim(), csw: cswOf(inq.csw) });

  // Stall: a CBW with a bad signature; then the endpoint's halt is cleared and INQUIRY works again.
  const bad = await xfer(STICK, 0, BULK_OUT, UsbType.BULK, 0n, cbw(0x1002, 36, true, INQUIRY, 0x12345678), 31, 2000);
  const clear = await xfer(STICK, 3, 0, UsbType.CONTROL, setup(0x02, 1, 0, BULK_OUT, 0), null, 0, 1000);
  const again = await scsi(0x1003, INQUIRY, 36);
  say("stall", { bad: bad.status, clear: clear.status, again: cswOf(again.csw), againData: again.data.moved });

  // Interrupt IN from the keyboard: `sendkey a` makes a report (usage 4 = a).
  const key = xfer(KBD, 1, INT_IN, UsbType.INTERRUPT, 0n, null, 8, 15000);
  await host("sendkey a");
  const report = await key;
  say("interrupt", { status: report.status, moved: report.moved, report: Array.from(report.data) });
  const release = await xfer(KBD, 1, INT_IN, UsbType.INTERRUPT, 0n, null, 8, 2000);   // the key going up
  say("release", { status: release.status, report: Array.from(release.data) });

  // Timeout and cancel on the idle keyboard.
  const t0 = Date.now();
  const to = await xfer(KBD, 2, INT_IN, UsbType.INTERRUPT, 0n, null, 8, 300);
  say("timeout", { status: to.status, ms: Date.now() - t0 });
  const pending = xfer(KBD, 3, INT_IN, UsbType.INTERRUPT, 0n, null, 8, 20000);
  const busy = usb.submit(KBD, 3, INT_IN, UsbType.INTERRUPT, 0n, MEM, 0, 8, 100);   // the slot is taken
  usb.cancel(KBD, 3);
  say("cancel", { status: (await pending).status, busy });

  // Bad input from "the kernel": each an error, none a crash.
  say("refused", {
    slot: usb.submit(KBD, 99, INT_IN, UsbType.INTERRUPT, 0n, MEM, 0, 8, 100),
    iso: usb.submit(KBD, 4, INT_IN, UsbType.ISOCHRONOUS, 0n, MEM, 0, 8, 100),
    long: usb.submit(KBD, 4, INT_IN, UsbType.INTERRUPT, 0n, MEM, 0, 1 << 20, 100),
    fault: usb.submit(SERIAL, 4, BULK_OUT, UsbType.BULK, 0n, MEM, MEM.length - 4, 64, 100),
    nodev: usb.submit(7, 0, INT_IN, UsbType.INTERRUPT, 0n, MEM, 0, 8, 100),
  });

  // Bulk OUT to the serial adapter: the bytes reach QEMU's chardev (a file the test reads).
  const text = Buffer.from("persia-usb-serial\n");
  const wr = await xfer(SERIAL, 0, BULK_OUT, UsbType.BULK, 0n, text, text.length, 2000);
  say("serial", { status: wr.status, moved: wr.moved });

  // Measurements: control round trips, bulk read throughput, idle CPU.
  const rounds = 200;
  let t = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) await xfer(KBD, 0, 0, UsbType.CONTROL, setup(0x80, 6, 0x0100, 0, 18), null, 18, 1000);
  const controlUs = Number(process.hrtime.bigint() - t) / 1000 / rounds;
  const reads = 64;
  t = process.hrtime.bigint();
  let bytes = 0, readOk = 0;
  const phases = [0n, 0n, 0n];
  for (let i = 0; i < reads; i++) {
    const t0 = process.hrtime.bigint();
    const c = await xfer(STICK, 0, BULK_OUT, UsbType.BULK, 0n, cbw(0x2000 + i, 65536, true, read10(i * 128, 128)), 31, 2000);
    const t1 = process.hrtime.bigint();
    const data = await xfer(STICK, 1, BULK_IN, UsbType.BULK, 0n, null, 65536, 2000);
    const t2 = process.hrtime.bigint();
    const csw = await xfer(STICK, 2, BULK_IN, UsbType.BULK, 0n, null, 13, 2000);
    phases[0] += t1 - t0; phases[1] += t2 - t1; phases[2] += process.hrtime.bigint() - t2;
    bytes += data.moved;
    if (c.status === 0 && data.status === 0 && cswOf(csw).status === 0) readOk++;
  }
  const mbps = bytes / (Number(process.hrtime.bigint() - t) / 1e9) / 1e6;
  await new Promise((r) => setTimeout(r, 1000));     // let the reads' garbage be collected first
  const c1 = process.cpuUsage(), w1 = usb.stats.wakeups;
  await new Promise((r) => setTimeout(r, 2000));
  const c2 = process.cpuUsage(c1), idleWakeups = usb.stats.wakeups - w1;
  say("measure", { controlUs: Math.round(controlUs), readMBps: Math.round(mbps * 10) / 10, readOk, reads, idleCpuMs: (c2.user + c2.system) / 1000, idleWakeups, phasesUs: phases.map((p) => Math.round(Number(p) / reads / 1000)), setupCpuMs: Math.round((c1.user + c1.system - cpu0.user - cpu0.system) / 1000) });

  // Hot-unplug mid-transfer: reads keep the stick busy while QEMU removes it.
  let stop = false, mid: Done[] = [], rounds2 = 0;
  const loop = (async () => {
    for (let i = 0; !stop && i < 100000; i++) {
      const c = await xfer(STICK, 0, BULK_OUT, UsbType.BULK, 0n, cbw(0x3000 + i, 65536, true, read10(0, 128)), 31, 2000);
      const d = c.status === 0 ? await xfer(STICK, 1, BULK_IN, UsbType.BULK, 0n, null, 65536, 2000) : c;
      const s = d.status === 0 ? await xfer(STICK, 2, BULK_IN, UsbType.BULK, 0n, null, 13, 2000) : d;
      rounds2++;
      if (s.status !== 0) { mid = [c, d, s].map((x) => ({ ...x, data: NONE })); break; }
    }
  })();
  await new Promise((r) => setTimeout(r, 300));
  const del = await host("device_del stick0");
  await until(() => !attached.has(STICK), 15000, "the stick's detach");
  stop = true;
  await loop;
  // The keyboard with an interrupt IN waiting for a key that never comes.
  const waitingKey = xfer(KBD, 5, INT_IN, UsbType.INTERRUPT, 0n, null, 8, 30000);
  await new Promise((r) => setTimeout(r, 200));
  const delKbd = await host("device_del kbd0");
  const kbdEnd = await waitingKey;
  say("unplugKbd", { monitor: delKbd, status: kbdEnd.status, byDetach: kbdEnd.byDetach === true, attached: attached.has(KBD) });
  say("unplug", { monitor: del, mid, rounds: rounds2, events: events.filter((e) => e.startsWith("detach")), after: usb.submit(STICK, 0, BULK_OUT, UsbType.BULK, 0n, MEM, 0, 31, 100) });

  // Plugged in again: attached again (hot-plug through udev), and it works.
  const image = process.env.STICK_IMAGE!;
  const add1 = await host(`drive_add 0 if=none,id=stick2,file=${image},format=raw`);
  const add2 = await host("device_add usb-storage,drive=stick2,bus=xhci.0,id=stick1");
  await until(() => attached.has(STICK), 20000, "the stick attached again");
  const back = await scsi(0x4001, INQUIRY, 36);
  say("replug", { monitor: [add1, add2], csw: cswOf(back.csw), vendor: Buffer.from(back.data.data.slice(8, 16)).toString("latin1").trim() });
  usb.close();
  say("end", { events: events.filter((e) => !e.startsWith("done")) });
  await host("device_add usb-kbd,bus=xhci.0,id=kbd1");   // for the node's checks
}
