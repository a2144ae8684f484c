// USB devices on the Node host, through libusb (libusb.ts, spec/hosts.md "USB on the Node
// host"). Matches the devices on the bus against the manifest's usb: entries (vendor:product,
// serial, bus path), opens each match, detaches its kernel driver, claims every interface of
// its active configuration, reads its raw descriptors from the device itself (usb_desc.ts)
// and hands them to the kernel (k_usb_attach); the kernel then submits transfers (usb_submit), which run as
// libusb async transfers from a fixed pool of USB_INFLIGHT per device and complete through
// k_usb_done. Hot-plug comes from libusb's hotplug callbacks (attach / k_usb_detach); a
// transfer that ends with NO_DEVICE also detaches.
// Attaching reads descriptors synchronously (usb_desc.ts bounds each read and the whole
// attach); a bus path whose attach failed is left alone for a while, doubling up to
// BACKOFF_MAX_MS. A hub is never opened (the kernel would refuse it too). A device goes to
// the first free entry in manifest order whose matchers all fit (spec/manifest.md "usb").
// CLEAR_FEATURE(ENDPOINT_HALT) from the service runs as libusb_clear_halt, which also
// resets the host side's data toggle as Linux's usb_clear_halt does.
// libusb's file descriptors are watched with libuv's poll on Node's loop: no thread, no
// timer, nothing runs while nothing happens. Every callback from libusb catches what it
// throws (an exception would not reach Node), and a device's misbehaviour is a status for
// the service, never an exception. Does not check transfers: the kernel did.
// Used by node.ts (usb_submit, usb_cancel); launch.ts gives it the manifest's matchers.
import * as fs from "fs";
import { Errno } from "../../abi/errno";
import { LogLevel } from "../../abi/kernel";
import { USB_INFLIGHT, USB_XFER_MAX } from "../../abi/limits";
import { USB_DEVICE_DESC, USB_DIR_IN, UsbType } from "../../abi/usb";
import {
  CAP_HAS_HOTPLUG, ERROR_BUSY, ERROR_NO_DEVICE, ERROR_NOT_SUPPORTED, ERROR_PIPE, ERROR_TIMEOUT, HOTPLUG_ARRIVED, HOTPLUG_ENUMERATE,
  HOTPLUG_LEFT, LibUsb, libusb, POLLIN, POLLOUT, Ptr, TR_ACTUAL, TR_BUFFER, TR_CALLBACK, TR_ENDPOINT,
  TR_FLAGS, TR_HANDLE, TR_LENGTH, TR_SIZE, TR_STATUS, TR_TIMEOUT, TR_TYPE, TR_USER, XferStatus,
} from "./libusb";
import { inRange } from "./memview";
import { CLASS_HUB, DEV_CLASS, DEV_PRODUCT, DEV_SERIAL, DEV_VENDOR } from "../../wire/layout/usb";
import { AttachBudget, ATTACH_BUDGET_MS, interfacesOf, readDescriptors, readString, SETUP, xferStatus } from "./usb_desc";

/** A manifest usb: entry as the host matches it (HostPlan.usb); every field given (not
 *  null) must match. */
export interface UsbMatch {
  id: number;
  name: string;
  vendor?: number | null;
  product?: number | null;
  serial?: string | null;
  /** "bus-port.port…", e.g. "1-1" or "2-1.4" (Linux's sysfs names). */
  path?: string | null;
}

/** What the backend tells the node; the node turns each into a kernel call and a poll. */
export interface UsbSink {
  attach(dev: number, desc: Uint8Array): number;
  detach(dev: number): void;
  /** A transfer ended: `moved` bytes went across; `data` is the IN data (null for OUT). */
  done(dev: number, xfer: number, status: number, moved: number, data: Uint8Array | null): void;
  log(level: LogLevel, line: string): void;
  /** The kernel failed inside one of the calls above: the node stops. */
  failed(e: unknown): void;
}

/** Port numbers libusb gives at most (USB 3.0 allows a depth of 7). */
const PORT_DEPTH_MAX = 7;
/** Where systemd-udevd listens: without it libusb (built with udev) sees no hot-plug. */
const UDEV_CONTROL = "/run/udev/control";
/** How long a bus path whose attach failed is left alone: the first time, then doubling. */
export const BACKOFF_FIRST_MS = 1000, BACKOFF_MAX_MS = 60_000;


/** One of a device's USB_INFLIGHT transfers: libusb's struct and its buffer, made once. */
interface Slot {
  xfer: number;
  transfer: Ptr;
  fields: DataView;
  buffer: Uint8Array;          // SETUP + USB_XFER_MAX bytes of native memory
  busy: boolean;               // libusb holds it: submitted and not yet called back
  report: boolean;             // its end goes to the kernel (false once the device detached)
  control: boolean;
  dirIn: boolean;
  seq: number;                 // submits so far: a clear-halt's deferred end is for this one only
}

interface Device {
  match: UsbMatch;
  slots: Slot[];
  dev: Ptr | null;             // the libusb_device while attached (referenced)
  handle: Ptr | null;          // open while attached, and after a detach until every slot is back
  interfaces: number[];
}

type Plug = { dev: Ptr; event: number };

export class UsbHost {
  private readonly lib: LibUsb;
  private readonly ctx: Ptr;
  private readonly devices: Device[] = [];
  private readonly polls = new Map<number, { close(): void }>();
  private readonly plugs: Plug[] = [];
  private readonly keep: Ptr[] = [];   // registered callbacks: never unregistered (libusb may call them until it exits), kept alive here
  private plugQueued = false;
  private broken = false;              // the sink failed (the kernel trapped): libusb's callbacks stop here
  /** How often libusb's fds woke the loop, transfers started and ended (for status and tests). */
  readonly stats = { wakeups: 0, submitted: 0, completed: 0 };
  private closed = false;
  private readonly desc = new Uint8Array(USB_DEVICE_DESC);
  private readonly ports = new Uint8Array(PORT_DEPTH_MAX);
  /** Bus paths whose attach failed: left alone until `until`, then `delay` doubles. */
  private readonly backoff = new Map<string, { until: number; delay: number }>();

  /** Binds libusb, starts watching its descriptors and hot-plug, and attaches every matching
   *  device now on the bus (through the sink). Throws when libusb cannot start. `lib` is
   *  libusb itself but in tests of failures no real device shows (tests/usb/usb.test.ts). */
  constructor(matches: UsbMatch[], private readonly sink: UsbSink, lib: LibUsb = libusb(), private readonly now: () => number = Date.now) {
    this.lib = lib;
    this.ctx = this.lib.init();
    for (const m of matches) this.devices[m.id] = { match: m, slots: [], dev: null, handle: null, interfaces: [] };
    this.watchFds();
    this.watchPlugs();
  }

  /** usb_submit: start the transfer the kernel checked; 0 or -Errno. OUT data is copied from
   *  kernel memory [ptr, +len) before returning. */
  submit(id: number, xfer: number, ep: number, kind: number, setup: bigint, mem: Uint8Array, ptr: number, len: number, timeout: number): number {
    const d = this.devices[id];
    if (d === undefined || d.dev === null || d.handle === null) return -Errno.ENODEV;
    if (xfer < 0 || xfer >= USB_INFLIGHT || len < 0 || len > USB_XFER_MAX) return -Errno.EINVAL;
    if (kind !== UsbType.CONTROL && kind !== UsbType.BULK && kind !== UsbType.INTERRUPT) return -Errno.EINVAL;
    const s = d.slots[xfer];
    if (s.busy) return -Errno.EAGAIN;                // the slot's last transfer has not come back from libusb yet
    s.control = kind === UsbType.CONTROL;
    s.seq++;
    if (s.control && (setup & 0xffffffffn) === 0x0102n && (setup >> 48n) === 0n) return this.clearHalt(d, s, Number((setup >> 32n) & 0xffn));
    s.dirIn = ((s.control ? Number(setup & 0xffn) : ep) & USB_DIR_IN) !== 0;
    const at = s.control ? SETUP : 0;
    if (s.control) new DataView(s.buffer.buffer, s.buffer.byteOffset, SETUP).setBigUint64(0, BigInt.asUintN(64, setup), true);
    if (!s.dirIn && len > 0) {
      if (!inRange(ptr, len, mem.length)) return -Errno.EFAULT;
      s.buffer.set(mem.subarray(ptr >>> 0, (ptr >>> 0) + len), at);
    }
    const f = s.fields;
    f.setBigUint64(TR_HANDLE, d.handle, true);
    f.setUint8(TR_ENDPOINT, s.control ? 0 : ep);
    f.setUint8(TR_TYPE, kind);
    f.setUint32(TR_TIMEOUT, timeout >>> 0, true);
    f.setInt32(TR_LENGTH, at + len, true);
    f.setInt32(TR_ACTUAL, 0, true);
    const r = this.lib.submit(s.transfer);
    if (r < 0) return r === ERROR_NO_DEVICE ? -Errno.ENODEV : r === ERROR_BUSY ? -Errno.EAGAIN : r === ERROR_NOT_SUPPORTED ? -Errno.EINVAL : -Errno.EIO;
    s.busy = true;
    s.report = true;
    this.stats.submitted++;
    return 0;
  }

  /** CLEAR_FEATURE(ENDPOINT_HALT) to endpoint ep (bmRequestType 0x02, wValue 0, wLength 0):
   *  libusb_clear_halt sends it and resets the host side's data toggle, which the raw
   *  request through usbfs would not (the next transfer would be dropped as a repeat).
   *  Synchronous; its end reaches the kernel on the next turn, as a control transfer's. */
  private clearHalt(d: Device, s: Slot, ep: number): number {
    const r = this.lib.clearHalt(d.handle!, ep);
    const status = r >= 0 ? 0 : r === ERROR_PIPE ? -Errno.EPIPE : r === ERROR_NO_DEVICE ? -Errno.ENODEV
      : r === ERROR_TIMEOUT ? -Errno.ETIMEDOUT : -Errno.EIO;
    const seq = s.seq;
    s.report = true;
    s.dirIn = false;
    this.stats.submitted++;
    setImmediate(() => this.guard(() => {
      if (s.seq !== seq || !s.report || this.closed) return;   // detached, closed, or the slot reused since
      s.report = false;
      this.stats.completed++;
      this.sink.done(d.match.id, s.xfer, status, 0, null);
    }));
    return 0;
  }

  /** usb_cancel: libusb ends the transfer (CANCELLED, or how it ended first) in a later event. */
  cancel(id: number, xfer: number): void {
    const s = this.devices[id]?.slots[xfer];
    if (s !== undefined && s.busy) this.lib.cancel(s.transfer);
  }

  /** Stops watching, releases and closes every device (one with a transfer libusb still
   *  holds stays open: closing would free what the transfer points to). The native pools
   *  and the libusb context stay allocated, for the same reason. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.polls.values()) p.close();
    this.polls.clear();
    for (const d of this.devices) {
      if (d === undefined) continue;
      for (const s of d.slots) { s.report = false; if (s.busy) this.lib.cancel(s.transfer); }
      if (d.handle !== null) {
        for (const i of d.interfaces) this.lib.releaseInterface(d.handle, i);
        if (!d.slots.some((s) => s.busy)) this.lib.close(d.handle);
        d.handle = null;
      }
      if (d.dev !== null) this.lib.unrefDevice(d.dev);
      d.dev = null;
    }
  }

  // ——— attaching ———

  /** A hot-plug callback runs inside libusb's event handling, where opening a device and
   *  synchronous transfers must not happen: note it, and act on the next turn. */
  private plugged(dev: Ptr, event: number): void {
    this.lib.refDevice(dev);
    this.plugs.push({ dev, event });
    if (this.plugQueued) return;
    this.plugQueued = true;
    setImmediate(() => this.guard(() => this.plugNow()));
  }

  private plugNow(): void {
    this.plugQueued = false;
    while (this.plugs.length > 0) {
      const { dev, event } = this.plugs.shift()!;
      if (!this.closed) {
        if (event === HOTPLUG_ARRIVED) this.arrived(dev);
        else if (event === HOTPLUG_LEFT) for (const d of this.devices) if (d !== undefined && d.dev === dev) this.detach(d, "it was unplugged");
      }
      this.lib.unrefDevice(dev);
    }
  }

  /** "bus-port.port…" of a device, as Linux names it in sysfs. */
  private pathOf(dev: Ptr): string {
    const n = this.lib.portNumbers(dev, this.ports);
    const bus = this.lib.busNumber(dev);
    return n <= 0 ? `${bus}-0` : `${bus}-${Array.from(this.ports.subarray(0, n)).join(".")}`;
  }

  /** A device is on the bus: the first entry in manifest order (this.devices is by id)
   *  that is free and whose matchers all fit gets it. Vendor, product and path come from
   *  libusb's cache; only a device that passes them and a path not backed off is opened,
   *  and its serial read only when a candidate names one. */
  private arrived(dev: Ptr): void {
    if (this.lib.deviceDescriptor(dev, this.desc) < 0) return;
    const v = new DataView(this.desc.buffer);
    const vendor = v.getUint16(DEV_VENDOR, true), product = v.getUint16(DEV_PRODUCT, true);
    const path = this.pathOf(dev);
    const candidates = this.devices.filter((d) => d !== undefined && d.dev === null && d.handle === null &&
      (d.match.vendor == null || (d.match.vendor === vendor && d.match.product === product)) &&
      (d.match.path == null || d.match.path === path));
    if (candidates.length === 0) return;
    const where = `USB device ${hex(vendor)}:${hex(product)} at ${path}`;
    if (this.desc[DEV_CLASS] === CLASS_HUB) {
      this.sink.log(LogLevel.WARN, `${where} matches usb device ${candidates[0].match.name} but is a hub, which cannot be granted ` +
        `(its ports reach the devices below it): name those devices in the manifest instead`);
      return;
    }
    const off = this.backoff.get(path);
    const now = this.now();
    if (off !== undefined && now < off.until) {
      this.sink.log(LogLevel.WARN, `${where}: not tried, attaching a device there failed ${off.delay / 1000} s ago or less; ` +
        `unplug it and plug it in again after ${Math.ceil((off.until - now) / 1000)} s`);
      return;
    }
    const h = this.lib.open(dev);
    if (typeof h === "number") {
      this.sink.log(LogLevel.WARN, `${where} matches usb device ${candidates[0].match.name} but cannot be opened (${this.lib.errorName(h)}): ` +
        `run the node as root, or give its user access to /dev/bus/usb (a udev rule)`);
      return;
    }
    const budget = new AttachBudget(ATTACH_BUDGET_MS, this.now);
    let serial: string | null = "";
    if (candidates.some((d) => d.match.serial != null)) {
      const s = readString(this.lib, h, this.desc[DEV_SERIAL], budget);
      if (typeof s !== "string") {
        this.sink.log(LogLevel.WARN, `${where}: ${s.failed}, so it matches no entry that names a serial`);
        serial = null;
      } else serial = s;
    }
    const d = candidates.find((c) => c.match.serial == null || c.match.serial === serial);
    if (d === undefined) {
      if (serial === null) this.failed(path);
      this.lib.close(h);
      return;
    }
    this.attach(d, dev, h, `${where} (usb device ${d.match.id}, ${d.match.name})`, budget, path);
  }

  /** An attach at path failed: leave the path alone for a while, longer each time. */
  private failed(path: string): void {
    const last = this.backoff.get(path);
    const delay = last === undefined ? BACKOFF_FIRST_MS : Math.min(BACKOFF_MAX_MS, last.delay * 2);
    this.backoff.set(path, { until: this.now() + delay, delay });
  }

  private attach(d: Device, dev: Ptr, h: Ptr, where: string, budget: AttachBudget, path: string): void {
    const desc = readDescriptors(this.lib, h, budget);
    if (typeof desc === "string") {
      this.sink.log(LogLevel.WARN, `${where}: ${desc}; it stays unused until it is plugged in again`);
      this.failed(path);
      this.lib.close(h);
      return;
    }
    const r = this.sink.attach(d.match.id, desc);
    if (r < 0) {
      this.sink.log(LogLevel.WARN, r === -Errno.ENODEV
        ? `${where}: the kernel has no USB device ${d.match.id}; the boot manifest and the host's plan disagree (compile both from one manifest)`
        : `${where}: the kernel refuses it (${Errno[-r] ?? r}: its log line above says which field); it stays unused until it is plugged in again`);
      this.failed(path);
      this.lib.close(h);
      return;
    }
    this.lib.setAutoDetach(h, true);      // LIBUSB_ERROR_NOT_SUPPORTED off Linux: then claiming says why
    const interfaces = interfacesOf(desc);
    for (const i of interfaces) {
      const c = this.lib.claimInterface(h, i);
      if (c < 0) {
        this.sink.log(LogLevel.WARN, `${where}: cannot claim interface ${i} (${this.lib.errorName(c)}); another program holds it: stop it`);
        for (const j of interfaces.slice(0, interfaces.indexOf(i))) this.lib.releaseInterface(h, j);
        this.failed(path);
        this.lib.close(h);
        this.sink.detach(d.match.id);
        return;
      }
    }
    this.lib.refDevice(dev);
    d.dev = dev;
    d.handle = h;
    d.interfaces = interfaces;
    if (d.slots.length === 0) d.slots = this.pool(d.match.id);
    this.backoff.delete(path);
    this.sink.log(LogLevel.INFO, `${where}: attached, ${desc.length} bytes of descriptors, interfaces ${interfaces.join(", ") || "none"} claimed`);
  }


  private detach(d: Device, why: string): void {
    if (d.dev === null) return;
    this.lib.unrefDevice(d.dev);
    d.dev = null;
    for (const s of d.slots) s.report = false;
    this.sink.log(LogLevel.INFO, `usb device ${d.match.id} (${d.match.name}): detached, ${why}`);
    this.sink.detach(d.match.id);
    this.closeWhenIdle(d);
  }

  /** libusb_close frees what a transfer in flight points to: wait for every slot. */
  private closeWhenIdle(d: Device): void {
    if (d.handle === null || d.dev !== null || d.slots.some((s) => s.busy)) return;
    const h = d.handle;
    d.handle = null;
    setImmediate(() => this.lib.close(h));   // not from inside libusb's event handling
  }

  // ——— transfers ———

  private pool(id: number): Slot[] {
    const slots: Slot[] = [];
    for (let xfer = 0; xfer < USB_INFLIGHT; xfer++) {
      const transfer = this.lib.allocTransfer();
      const buffer = this.lib.alloc(SETUP + USB_XFER_MAX);
      const cb = this.lib.koffi.register((_t: Ptr) => this.guard(() => this.finished(id, xfer)), this.lib.types.transfer as never);
      this.keep.push(cb);
      const fields = new DataView(this.lib.view(transfer, TR_SIZE));
      fields.setUint8(TR_FLAGS, 0);
      fields.setBigUint64(TR_CALLBACK, cb, true);
      fields.setBigUint64(TR_USER, 0n, true);
      fields.setBigUint64(TR_BUFFER, buffer, true);
      slots.push({ xfer, transfer, fields, buffer: new Uint8Array(this.lib.view(buffer, SETUP + USB_XFER_MAX)),
        busy: false, report: false, control: false, dirIn: false, seq: 0 });
    }
    return slots;
  }

  /** A transfer's callback, inside libusb's event handling. */
  private finished(id: number, xfer: number): void {
    const d = this.devices[id];
    const s = d.slots[xfer];
    s.busy = false;
    this.stats.completed++;
    const status = s.fields.getInt32(TR_STATUS, true);
    if (s.report && !this.closed) {
      s.report = false;
      const moved = Math.min(Math.max(0, s.fields.getInt32(TR_ACTUAL, true)), USB_XFER_MAX);
      const at = s.control ? SETUP : 0;
      this.sink.done(id, xfer, xferStatus(status), moved, s.dirIn ? s.buffer.subarray(at, at + moved) : null);
    }
    if (status === XferStatus.NO_DEVICE) this.detach(d, "a transfer found it gone");
    this.closeWhenIdle(d);
  }

  // ——— libusb's events on Node's loop ———

  private watchFds(): void {
    const added = this.lib.koffi.register((fd: number, events: number) => this.guard(() => this.watch(fd, events)),
      this.lib.types.pollAdded as never);
    const removed = this.lib.koffi.register((fd: number) => this.guard(() => this.unwatch(fd)),
      this.lib.types.pollRemoved as never);
    this.keep.push(added, removed);
    this.lib.setPollfdNotifiers(this.ctx, added, removed);
    for (const p of this.lib.pollfds(this.ctx)) this.watch(p.fd, p.events);
    if (!this.lib.pollfdsHandleTimeouts(this.ctx)) {
      this.sink.log(LogLevel.WARN, "libusb here has no timerfd: USB transfer timeouts are only noticed when another USB event happens");
    }
  }

  private watch(fd: number, events: number): void {
    this.unwatch(fd);
    if (this.closed) return;
    const poll = this.lib.koffi.node.poll as unknown as
      (fd: number, opts: { readable: boolean; writable: boolean }, cb: (status: number) => void) => { close(): void };
    this.polls.set(fd, poll(fd, { readable: (events & POLLIN) !== 0, writable: (events & POLLOUT) !== 0 },
      () => this.guard(() => this.events())));
  }

  private unwatch(fd: number): void {
    this.polls.get(fd)?.close();
    this.polls.delete(fd);
  }

  private events(): void {
    this.stats.wakeups++;
    if (!this.closed) this.lib.handleEventsNow(this.ctx);
  }

  private watchPlugs(): void {
    if (!this.lib.hasCapability(CAP_HAS_HOTPLUG)) {
      this.sink.log(LogLevel.WARN, "libusb here has no hot-plug: only the USB devices present at start are used");
      this.scanOnce();
      return;
    }
    if (!fs.existsSync(UDEV_CONTROL)) {
      this.sink.log(LogLevel.WARN, `systemd-udevd is not running (${UDEV_CONTROL} is missing): libusb sees no USB device plugged in ` +
        `after start (one unplugged is still noticed: its open device file reports it). Start systemd-udevd for hot-plug`);
    }
    const cb = this.lib.koffi.register((_ctx: Ptr, dev: Ptr, event: number) => { this.guard(() => this.plugged(dev, event)); return 0; },
      this.lib.types.hotplug as never);
    this.keep.push(cb);
    const r = this.lib.hotplugRegister(this.ctx, HOTPLUG_ARRIVED | HOTPLUG_LEFT, HOTPLUG_ENUMERATE, cb);
    if (r < 0) {
      this.sink.log(LogLevel.WARN, `libusb refused a hot-plug callback (${this.lib.errorName(r)}): only the USB devices present at start are used`);
      this.scanOnce();
    }
  }

  private scanOnce(): void {
    const l = this.lib.deviceList(this.ctx);
    if (typeof l === "number") {
      this.sink.log(LogLevel.WARN, `libusb cannot list the USB devices (${this.lib.errorName(l)})`);
      return;
    }
    for (const dev of l.devices) this.plugged(dev, HOTPLUG_ARRIVED);
    this.lib.freeDeviceList(l.list);
  }

  /** Runs f; an exception (a kernel trap reached through the sink) stops the node instead
   *  of escaping into libusb's C frames, where Node would never see it. */
  private guard(f: () => void): void {
    if (this.broken) return;
    try {
      f();
    } catch (e) {
      this.broken = true;
      // Not from inside libusb's event handling: the node's stop closes the devices.
      setImmediate(() => this.sink.failed(e));
    }
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(4, "0");
}

