// A software model of a USB mass-storage stick (Bulk-Only Transport, SCSI block commands)
// together with the USB half of a fake kernel: the usb_desc/usb_submit/usb_cancel/usb_event
// syscalls and cap_find for one USB capability, answered the way abi/usb.ts says (transfers
// complete later, as events; IN data lands in service memory at completion). It is a unit
// test's peer for services/usbdisk's protocol logic, written from the BOT 1.0 and SCSI texts
// with its own literal offsets (it shares no code with the service), and it can misbehave on
// request: stalls, lying CSWs, short data, babble, unplugging. The real peers are QEMU's
// usb-storage in tests/usb and tests/metal. Used by tests/usbdisk/*.test.ts.
import { CapKind } from "../../abi/caps";
import { Errno } from "../../abi/errno";
import { UR_EP, UR_TIMEOUT, UR_SETUP, UR_PTR, UR_LEN, UR_COOKIE, UE_KIND, UE_HANDLE, UE_STATUS, UE_ACTUAL, UE_COOKIE, UsbEvent } from "../../abi/usb";
import { USB_XFER_MAX, USB_INFLIGHT } from "../../abi/limits";

export const USB_HANDLE = 5;
const EP_IN = 0x81;
const EP_OUT = 0x02;

/** The descriptors of a stick: device, configuration, interface 0 (8/6/0x50), bulk IN
 *  0x81 and bulk OUT 0x02 of 512 bytes (literal bytes, USB 2.0 §9.6). */
export const STICK_DESC = Buffer.from(
  "120100020000004" + "0f446010000000102030" + "1" +   // device: USB 2.0, 46f4:0001, 1 configuration
  "09022000010100c032" +                                  // configuration 1, 32 bytes in all
  "090400000208065000" +                                  // interface 0: class 8, subclass 6, protocol 0x50
  "07058102000200" +                                      // endpoint 0x81 bulk IN, 512 bytes
  "07050202000200", "hex");                               // endpoint 0x02 bulk OUT, 512 bytes

export interface Transfer { ep: number; setup: Buffer; len: number; out?: Buffer; cookie: number }

/** How the device misbehaves; each hook sees the transfer and may return a status to end it
 *  with (negative -Errno), or undefined to behave. */
export interface Faults {
  /** Before the device looks at a bulk transfer. */
  bulk?: (t: Transfer, n: number) => number | undefined;
  /** Change the CSW about to be sent (13 bytes). */
  csw?: (csw: Buffer) => Buffer;
  /** Bytes a READ(10)'s data phase returns (default: all). */
  readBytes?: (want: number) => number;
  /** Control requests stall. */
  controlStall?: boolean;
  /** TEST UNIT READY answers NOT READY this many times first. */
  notReady?: number;
  /** Sense key for READ(10) and WRITE(10) (CHECK CONDITION), e.g. 3 MEDIUM ERROR. */
  failRw?: number;
  /** SYNCHRONIZE CACHE is not supported (ILLEGAL REQUEST). */
  noSync?: boolean;
}

type Mode = "cbw" | "in" | "out" | "csw";

export class BotDevice {
  present = true;
  faults: Faults = {};
  desc: Buffer = STICK_DESC;
  /** Every SCSI operation code received, in order, and every control setup packet (hex). */
  readonly ops: number[] = [];
  readonly controls: string[] = [];
  bulkCount = 0;
  private mode: Mode = "cbw";
  private halted = new Set<number>();
  private tag = 0;
  private into = false;
  private expect = 0;
  private inData: Buffer = Buffer.alloc(0);
  private status = 0;
  private sense = Buffer.alloc(18);
  private pending: { op: number; lba: number } | null = null;
  private inflight: { t: Transfer; ptr: number; status: number; data?: Buffer; actual: number }[] = [];
  private events: Buffer[] = [];
  private memory!: WebAssembly.Memory;

  constructor(readonly disk: Buffer, readonly blockSize = 512) {}

  /** The syscalls to hand to tests/sdk/guest.ts (its `syscalls` option). */
  syscalls(memory: WebAssembly.Memory): Record<string, Function> {
    this.memory = memory;
    if (this.present) this.event(UsbEvent.ATTACH, 0, 0, 0);   // as the kernel tells a starting service
    return {
      cap_find: (kind: number, index: number) => kind === CapKind.USB && index === 0 ? USB_HANDLE : -Errno.ENOENT,
      usb_desc: (h: number, ptr: number, cap: number) => {
        if (h !== USB_HANDLE) return -Errno.EBADF;
        if (!this.present) return -Errno.ENODEV;
        this.bytes(ptr, Math.min(cap, this.desc.length)).set(this.desc.subarray(0, Math.min(cap, this.desc.length)));
        return this.desc.length;
      },
      usb_submit: (h: number, req: number) => this.submit(h, req),
      usb_cancel: () => 0,
      usb_event: (ptr: number) => {
        const e = this.events.shift();
        if (!e) return -Errno.EAGAIN;
        this.bytes(ptr, e.length).set(e);
        return 0;
      },
    };
  }

  /** Finish every transfer in flight (as events); returns how many. */
  complete(): number {
    const done = this.inflight.splice(0);
    for (const x of done) {
      if (x.data) this.bytes(x.ptr, x.data.length).set(x.data);
      this.event(UsbEvent.COMPLETE, x.status, x.actual, x.t.cookie);
    }
    return done.length;
  }

  /** Unplug: transfers in flight end with ENODEV, then DETACH. */
  unplug(): void {
    this.present = false;
    for (const x of this.inflight.splice(0)) this.event(UsbEvent.COMPLETE, -Errno.ENODEV, 0, x.t.cookie);
    this.event(UsbEvent.DETACH, 0, 0, 0);
    this.mode = "cbw";
    this.halted.clear();
  }

  plug(): void {
    this.present = true;
    this.event(UsbEvent.ATTACH, 0, 0, 0);
  }

  busy(): boolean { return this.inflight.length > 0 || this.events.length > 0; }

  private bytes(ptr: number, len: number): Uint8Array { return new Uint8Array(this.memory.buffer, ptr, len); }

  private event(kind: number, status: number, actual: number, cookie: number): void {
    const e = Buffer.alloc(16);
    e[UE_KIND] = kind;
    e.writeUInt16LE(USB_HANDLE, UE_HANDLE);
    e.writeInt32LE(status, UE_STATUS);
    e.writeUInt32LE(actual, UE_ACTUAL);
    e.writeUInt32LE(cookie >>> 0, UE_COOKIE);
    this.events.push(e);
  }

  /** What the kernel checks before the host, then the device's answer. */
  private submit(h: number, req: number): number {
    if (h !== USB_HANDLE) return -Errno.EBADF;
    if (!this.present) return -Errno.ENODEV;
    const v = new DataView(this.memory.buffer, req, 28);
    const t: Transfer = {
      ep: v.getUint8(UR_EP), setup: Buffer.from(this.bytes(req + UR_SETUP, 8)),
      len: v.getUint32(UR_LEN, true), cookie: v.getUint32(UR_COOKIE, true),
    };
    const timeout = v.getUint32(UR_TIMEOUT, true);
    const ptr = v.getUint32(UR_PTR, true);
    if (![0, EP_IN, EP_OUT].includes(t.ep)) return -Errno.ENOENT;
    if (t.len > USB_XFER_MAX || timeout < 1) return -Errno.EINVAL;
    if (t.ep === 0 && t.setup.readUInt16LE(6) !== t.len) return -Errno.EINVAL;
    if (this.inflight.length >= USB_INFLIGHT) return -Errno.ENOSPC;
    if (ptr + t.len > this.memory.buffer.byteLength) return -Errno.EFAULT;
    if (!(t.ep & 0x80) && !(t.ep === 0 && t.setup[0] & 0x80)) t.out = Buffer.from(this.bytes(ptr, t.len));
    const r = t.ep === 0 ? this.control(t) : this.bulk(t);
    this.inflight.push({ t, ptr, ...r });
    return 0;
  }

  private control(t: Transfer): { status: number; actual: number } {
    this.controls.push(t.setup.toString("hex"));
    if (this.faults.controlStall) return { status: -Errno.EPIPE, actual: 0 };
    const type = t.setup[0], request = t.setup[1], index = t.setup.readUInt16LE(4);
    if (type === 0x21 && request === 0xff) { this.mode = "cbw"; return { status: 0, actual: 0 }; }
    if (type === 0x02 && request === 0x01) { this.halted.delete(index); return { status: 0, actual: 0 }; }
    return { status: -Errno.EPIPE, actual: 0 };
  }

  private bulk(t: Transfer): { status: number; actual: number; data?: Buffer } {
    const n = this.bulkCount++;
    const hooked = this.faults.bulk?.(t, n);
    if (hooked !== undefined) return { status: hooked, actual: 0 };
    if (this.halted.has(t.ep)) return { status: -Errno.EPIPE, actual: 0 };
    if (t.ep === EP_OUT && this.mode === "cbw") return this.cbw(t);
    if (t.ep === EP_OUT && this.mode === "out") return this.dataOut(t);
    if (t.ep === EP_IN && this.mode === "in") {
      const d = this.inData.subarray(0, Math.min(t.len, this.inData.length));
      if (d.length > t.len) return { status: -Errno.EOVERFLOW, actual: t.len };
      this.mode = "csw";
      this.expect -= d.length;
      return { status: 0, actual: d.length, data: d };
    }
    if (t.ep === EP_IN && this.mode === "csw") {
      let csw: Buffer = Buffer.alloc(13);
      csw.writeUInt32LE(0x53425355, 0);
      csw.writeUInt32LE(this.tag, 4);
      csw.writeUInt32LE(Math.max(0, this.expect), 8);
      csw[12] = this.status;
      if (this.faults.csw) csw = this.faults.csw(csw);
      this.mode = "cbw";
      return { status: 0, actual: Math.min(csw.length, t.len), data: csw.subarray(0, t.len) };
    }
    // Out of sequence: stall the pipe (BOT §6.6).
    this.halted.add(t.ep);
    return { status: -Errno.EPIPE, actual: 0 };
  }

  private cbw(t: Transfer): { status: number; actual: number } {
    const c = t.out!;
    if (c.length !== 31 || c.readUInt32LE(0) !== 0x43425355 || c[14] < 1 || c[14] > 16) {
      this.halted.add(EP_IN); this.halted.add(EP_OUT);   // §6.6.1: invalid CBW
      return { status: -Errno.EPIPE, actual: 0 };
    }
    this.tag = c.readUInt32LE(4);
    this.expect = c.readUInt32LE(8);
    this.into = (c[12] & 0x80) !== 0;
    const into = (c[12] & 0x80) !== 0;
    this.scsi(c.subarray(15, 15 + c[14]), into);
    return { status: 0, actual: 31 };
  }

  private dataOut(t: Transfer): { status: number; actual: number } {
    const d = t.out!;
    this.expect -= d.length;
    this.mode = "csw";
    if (this.pending && d.length === this.blockSize) d.copy(this.disk, this.pending.lba * this.blockSize);
    else if (this.pending) this.fail(0x5, 0x24);
    this.pending = null;
    return { status: 0, actual: d.length };
  }

  /** Run a CDB; sets mode, inData, status, sense. */
  private scsi(cdb: Buffer, into: boolean): void {
    const op = cdb[0];
    this.ops.push(op);
    this.status = 0;
    this.inData = Buffer.alloc(0);
    const blocks = this.disk.length / this.blockSize;
    const reply = (d: Buffer) => { this.inData = d; this.mode = into && this.expect > 0 ? "in" : "csw"; };
    switch (op) {
      case 0x00:
        if (this.faults.notReady) { this.faults.notReady--; this.fail(0x2, 0x04); break; }
        reply(Buffer.alloc(0)); break;
      case 0x03: {
        const s = Buffer.from(this.sense);
        this.sense = Buffer.alloc(18);
        reply(s.subarray(0, Math.min(18, cdb[4]))); break;
      }
      case 0x12: {
        const d = Buffer.alloc(36);
        d[0] = 0x00; d[1] = 0x80; d[2] = 0x04; d[3] = 0x02; d[4] = 31;
        d.write("MOCKVEND", 8, "latin1");
        d.write("Model Stick 42  ", 16, "latin1");
        d.write("1.00", 32, "latin1");
        reply(d.subarray(0, Math.min(36, cdb.readUInt16BE(3)))); break;
      }
      case 0x25: {
        const d = Buffer.alloc(8);
        d.writeUInt32BE(blocks - 1, 0);
        d.writeUInt32BE(this.blockSize, 4);
        reply(d); break;
      }
      case 0x28: case 0x2a: {
        const lba = cdb.readUInt32BE(2), count = cdb.readUInt16BE(7);
        if (lba + count > blocks) { this.fail(0x5, 0x21); break; }
        if (this.faults.failRw) { this.fail(this.faults.failRw, 0x11); break; }
        if (op === 0x28) {
          const all = this.disk.subarray(lba * this.blockSize, (lba + count) * this.blockSize);
          reply(Buffer.from(all.subarray(0, this.faults.readBytes ? this.faults.readBytes(all.length) : all.length)));
        } else { this.pending = { op, lba }; this.mode = "out"; }
        break;
      }
      case 0x35:
        if (this.faults.noSync) { this.fail(0x5, 0x20); break; }
        reply(Buffer.alloc(0)); break;
      default: this.fail(0x5, 0x20);
    }
  }

  /** CHECK CONDITION with this sense key and code; a data phase the host expects is stalled. */
  private fail(key: number, asc: number): void {
    this.status = 1;
    this.sense = Buffer.alloc(18);
    this.sense[0] = 0x70; this.sense[2] = key; this.sense[7] = 10; this.sense[12] = asc;
    if (this.expect > 0) this.halted.add(this.into ? EP_IN : EP_OUT);
    this.mode = "csw";
  }
}
