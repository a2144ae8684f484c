// USB under QEMU for the metal tests (issue #16, spec/metal.md "USB (xHCI)"): QEMU's own xHCI
// controller and devices — usb-storage over a raw image, usb-kbd, usb-serial — are the honest
// peers of the metal host's xHCI driver. usbArgs gives the QEMU arguments (for
// RunningQemu's `extra`), Monitor drives QEMU's human monitor over its Unix socket
// (RunningQemu's `monitor`): `sendkey a`, `device_del kbd`, `device_add usb-kbd,...`.
// API for other tests (e.g. usbdisk on metal):
//   const mon = path.join(dir, "mon.sock");
//   const q = new RunningQemu(image, elf, { monitor: mon, extra: usbArgs({ stick: img, kbd: true }) });
//   const m = await Monitor.open(mon); await m.command("sendkey a"); m.close();
import * as net from "net";
import { XHCI_ARGS } from "../../loader/metal/image";

/** The id of QEMU's xHCI (its bus is `${XHCI_ID}.0`), as XHCI_ARGS names it. */
export const XHCI_ID = /id=([^,]+)/.exec(XHCI_ARGS[1])![1];

export interface UsbDevices {
  /** Add the controller too (default); false when the image's manifest has usb: devices,
   *  since qemuArgs then adds it (loader/metal/image.ts XHCI_ARGS). */
  controller?: boolean;
  /** A raw image QEMU's usb-storage serves (device id "stick"). */
  stick?: string;
  /** usb-storage's serial (else QEMU makes one from the port path). */
  stickSerial?: string;
  /** A usb-kbd (device id "kbd"). */
  kbd?: boolean;
  /** A usb-ccid smartcard reader (device id "ccid"): full speed with a 64-byte EP0, so the
   *  driver reads 8 bytes of its device descriptor first and sets EP0 by Evaluate Context. */
  ccid?: boolean;
  /** A usb-serial on a ring-buffer chardev (device id "ser"; QEMU attaches a usb-serial only
   *  when its chardev is open, which the null backend never is). */
  serial?: boolean;
}

/** `-device qemu-xhci` and the devices on its bus, in this order (the xHC gives ports as
 *  QEMU attaches them: USB 3 devices on its USB 3 ports, the others on its USB 2 ports).
 *  XHCI_ARGS gives qemu-xhci 8 ports for QEMU's bus (each USB 2 and USB 3); a device that
 *  would take the last free one gets a usb-hub chained in first, which the metal driver does
 *  not drive: at most seven devices, or give each a port= of its own. */
export function usbArgs(d: UsbDevices): string[] {
  const a = d.controller === false ? [] : [...XHCI_ARGS];
  if (d.stick !== undefined) {
    a.push("-drive", `if=none,id=stickdrive,format=raw,file=${d.stick.replace(/,/g, ",,")}`,
      "-device", `usb-storage,bus=${XHCI_ID}.0,drive=stickdrive,id=stick${d.stickSerial ? `,serial=${d.stickSerial}` : ""}`);
  }
  if (d.kbd) a.push("-device", `usb-kbd,bus=${XHCI_ID}.0,id=kbd`);
  if (d.ccid) a.push("-device", `usb-ccid,bus=${XHCI_ID}.0,id=ccid`);
  if (d.serial) a.push("-chardev", "ringbuf,id=serchar", "-device", `usb-serial,bus=${XHCI_ID}.0,chardev=serchar,id=ser`);
  return a;
}

/** QEMU's human monitor: one command at a time, each answered by the next "(qemu) " prompt. */
export class Monitor {
  private buf = "";
  private waiter: (() => void) | null = null;
  private constructor(private readonly sock: net.Socket) {
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => { this.buf += d; this.waiter?.(); });
  }

  /** Connects to the socket QEMU listens on, retrying while QEMU starts (up to ms). */
  static async open(file: string, ms = 10000): Promise<Monitor> {
    const end = Date.now() + ms;
    for (;;) {
      try {
        const sock = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.createConnection(file, () => resolve(s));
          s.once("error", reject);
        });
        const m = new Monitor(sock);
        await m.prompt(ms);
        return m;
      } catch (e) {
        if (Date.now() > end) throw new Error(`cannot reach QEMU's monitor at ${file}: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private prompt(ms: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiter = null; reject(new Error(`QEMU's monitor gave no prompt within ${ms} ms; it said: ${this.buf.slice(-500)}`)); }, ms);
      const check = () => {
        const at = this.buf.indexOf("(qemu) ");
        if (at < 0) return;
        clearTimeout(timer);
        this.waiter = null;
        const out = this.buf.slice(0, at);
        this.buf = this.buf.slice(at + 7);
        resolve(out);
      };
      this.waiter = check;
      check();
    });
  }

  /** Runs one monitor command; its output (QEMU echoes the command first). */
  async command(cmd: string, ms = 10000): Promise<string> {
    this.sock.write(cmd + "\n");
    return this.prompt(ms);
  }

  close(): void {
    this.sock.destroy();
  }
}
