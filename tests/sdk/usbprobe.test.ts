// tests/services/usbprobe (the hosts' USB test service) on a fake kernel whose USB syscalls
// are a model written here: the request records it submits (byte for byte, against
// abi/usb.ts), the answers it sends only once a transfer completes, to the client that
// asked, and at once for what cannot start; descriptors walked by services/sdk/usb.ts
// (FIND, ID) over the bytes QEMU's usb-storage and usb-kbd describe themselves with;
// plug events, CANCEL, a late completion ignored, and every malformed command refused.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { Guest } from "./guest";
import { udp, udpText } from "./packets";
import { CapKind } from "../../abi/caps";
import { Errno } from "../../abi/errno";
import { USB_INFLIGHT } from "../../abi/limits";
import { UR_COOKIE, UR_EP, UR_LEN, UR_PTR, UR_SETUP, UR_SIZE, UR_TIMEOUT, UE_ACTUAL, UE_COOKIE, UE_HANDLE, UE_KIND, UE_SIZE, UE_STATUS, UsbEvent } from "../../abi/usb";

const PROBE = "fd00::72";
const CLIENT = "fd00::c1";
const HANDLE = 7;

// QEMU's usb-storage at full speed (hw/usb/dev-storage.c): device 46f4:0001, one Bulk-Only
// SCSI interface with bulk IN 0x81 and bulk OUT 0x02 of 64 bytes.
const STORAGE = Buffer.from(
  "1201000200000008f446010000000102030109022000010100c0320904000002080650000705810240000007050202400000", "hex");
// QEMU's usb-kbd (hw/usb/dev-hid.c): a HID boot keyboard interface with interrupt IN 0x81 of
// 8 bytes, after its HID class descriptor.
const KEYBOARD = Buffer.from(
  "12010001000000082706010000000104050109022200010106a032090400000103010107092111010001223f000705810308000a", "hex");

interface Submitted { ep: number; timeout: number; setup: string; ptr: number; len: number; cookie: number; out: string; }

/** The kernel's side of USB as the probe sees it: what it submitted, and events to hand back. */
class UsbModel {
  desc: Buffer = STORAGE;
  granted = true;
  refuse = 0;                                 // -Errno the next submits get, or 0
  submitted: Submitted[] = [];
  cancelled: number[] = [];
  events: Buffer[] = [];
  memory!: WebAssembly.Memory;

  syscalls = (memory: WebAssembly.Memory): Record<string, Function> => {
    this.memory = memory;
    const bytes = (p: number, n: number) => Buffer.from(new Uint8Array(memory.buffer, p, n));
    return {
      cap_find: (kind: number, i: number) => (kind === CapKind.USB && i === 0 && this.granted ? HANDLE : -Errno.ENOENT),
      usb_desc: (h: number, p: number, cap: number) => {
        if (h !== HANDLE) return -Errno.EBADF;
        new Uint8Array(memory.buffer, p, Math.min(cap, this.desc.length)).set(this.desc.subarray(0, cap));
        return this.desc.length;
      },
      usb_submit: (h: number, req: number) => {
        assert.equal(h, HANDLE);
        const r = bytes(req, UR_SIZE);
        assert.equal(r.subarray(UR_EP + 1, UR_TIMEOUT).toString("hex"), "000000", "reserved bytes of the record");
        if (this.refuse) return this.refuse;
        const s: Submitted = {
          ep: r[UR_EP], timeout: r.readUInt32LE(UR_TIMEOUT), setup: r.subarray(UR_SETUP, UR_SETUP + 8).toString("hex"),
          ptr: r.readUInt32LE(UR_PTR), len: r.readUInt32LE(UR_LEN), cookie: r.readUInt32LE(UR_COOKIE), out: "",
        };
        s.out = bytes(s.ptr, s.len).toString("hex");
        this.submitted.push(s);
        return 0;
      },
      usb_cancel: (h: number, cookie: number) => {
        this.cancelled.push(cookie >>> 0);
        return this.submitted.filter((s) => s.cookie === cookie >>> 0).length;
      },
      usb_event: (p: number) => {
        const e = this.events.shift();
        if (!e) return -Errno.EAGAIN;
        new Uint8Array(memory.buffer, p, UE_SIZE).set(e);
        return 0;
      },
    };
  };

  /** Complete submitted transfer s: IN data written at its buffer first, as the kernel does. */
  complete(s: Submitted, status: number, data = Buffer.alloc(0), actual = data.length): void {
    new Uint8Array(this.memory.buffer, s.ptr, data.length).set(data);
    this.event(UsbEvent.COMPLETE, status, actual, s.cookie);
  }

  event(kind: UsbEvent, status = 0, actual = 0, cookie = 0): void {
    const e = Buffer.alloc(UE_SIZE);
    e[UE_KIND] = kind;
    e.writeUInt16LE(HANDLE, UE_HANDLE);
    e.writeInt32LE(status, UE_STATUS);
    e.writeUInt32LE(actual, UE_ACTUAL);
    e.writeUInt32LE(cookie, UE_COOKIE);
    this.events.push(e);
  }
}

function probe() {
  const usb = new UsbModel();
  const g = new Guest("build/wasm/tests/usbprobe.wasm", { addrs: ["fd000000000000000000000000000072"], syscalls: usb.syscalls });
  /** Send a command from the client's port; the answers sent since, as text. */
  const ask = (cmd: string, port = 40000): string[] => {
    const before = g.sent.length;
    g.deliver(udp(CLIENT, PROBE, port, 7072, cmd));
    return g.sent.slice(before).map(udpText);
  };
  const run = (): string[] => { const before = g.sent.length; g.event(); return g.sent.slice(before).map(udpText); };
  return { usb, g, ask, run };
}

test("DESC answers the descriptors as hex; ID and FIND read them with the SDK's walk", () => {
  const { usb, ask } = probe();
  assert.deepEqual(ask("DESC"), [`DESC ${STORAGE.toString("hex")}`]);
  assert.deepEqual(ask("ID"), ["ID 46f4:0001"]);
  assert.deepEqual(ask("FIND 08 06 50"), ["FIND 00 81 02 -"]);
  assert.deepEqual(ask("FIND 8"), ["FIND 00 81 02 -"]);
  assert.deepEqual(ask("FIND 03"), ["ERR ENOENT"]);
  assert.deepEqual(ask("FIND 08 06 62"), ["ERR ENOENT"]);     // UAS, not Bulk-Only
  usb.desc = KEYBOARD;
  assert.deepEqual(ask("ID"), ["ID 0627:0001"]);
  assert.deepEqual(ask("FIND 03 01 01"), ["FIND 00 - - 81"]);
  // A descriptor whose length runs past the end stops the walk: the endpoint after it is not found.
  usb.desc = Buffer.concat([STORAGE.subarray(0, 36), Buffer.from("0705810240", "hex")]);
  assert.deepEqual(ask("FIND 08 06 50"), ["FIND 00 - - -"]);
  usb.desc = Buffer.concat([STORAGE.subarray(0, 36), Buffer.from("00058102400000", "hex"), STORAGE.subarray(43)]);
  assert.deepEqual(ask("FIND 08 06 50"), ["FIND 00 - - -"]);  // bLength 0: the walk stops, never loops
});

test("CTRL submits the setup packet as given and answers once the transfer completes, to the client that asked", () => {
  const { usb, g, ask, run } = probe();
  assert.deepEqual(ask("CTRL 8006000100001200", 40001), []);
  assert.equal(usb.submitted.length, 1);
  const s = usb.submitted[0];
  assert.deepEqual([s.ep, s.timeout, s.setup, s.len], [0, 5000, "8006000100001200", 18]);
  usb.complete(s, 0, STORAGE.subarray(0, 18));
  assert.deepEqual(run(), [`DONE OK ${STORAGE.subarray(0, 18).toString("hex")}`]);
  const reply = g.sent[g.sent.length - 1];
  assert.equal(reply.subarray(24, 40).toString("hex"), "fd0000000000000000000000000000c1");   // to the client
  assert.deepEqual([reply.readUInt16BE(40), reply.readUInt16BE(42)], [7072, 40001]);
  // An OUT control transfer: its data's length goes in the record, for the kernel to check against wLength.
  assert.deepEqual(ask("CTRL 2109000200000300 aabbcc ms=250"), []);
  assert.deepEqual([usb.submitted[1].len, usb.submitted[1].out, usb.submitted[1].timeout], [3, "aabbcc", 250]);
  usb.complete(usb.submitted[1], -Errno.EPIPE, Buffer.alloc(0));
  assert.deepEqual(run(), ["DONE EPIPE "]);
  assert.deepEqual(ask("CLEAR 81"), []);
  assert.deepEqual([usb.submitted[2].ep, usb.submitted[2].setup, usb.submitted[2].len], [0, "0201000081000000", 0]);
});

test("BULK and INTR: IN asks for len bytes, OUT sends the data; status and bytes moved come back", () => {
  const { usb, ask, run } = probe();
  const cbw = "55534243010000002400000080000612000000240000000000000000000000";
  assert.deepEqual(ask(`BULK 02 ${cbw}`), []);
  assert.deepEqual(ask("BULK 81 36 ms=100", 40002), []);
  assert.deepEqual(ask("INTR 83 8"), []);
  const [out, inn, intr] = usb.submitted;
  assert.deepEqual([out.ep, out.len, out.out, out.setup], [0x02, 31, cbw, "0000000000000000"]);
  assert.deepEqual([inn.ep, inn.len, inn.timeout, intr.ep, intr.len], [0x81, 36, 100, 0x83, 8]);
  assert.equal(new Set([out.cookie, inn.cookie, intr.cookie]).size, 3);
  usb.complete(inn, 0, Buffer.from("00800502", "hex"));      // a short packet: 4 of 36
  usb.complete(out, 0, Buffer.alloc(0), 31);
  usb.complete(intr, -Errno.ETIMEDOUT);
  assert.deepEqual(run(), ["DONE OK 00800502", `DONE OK ${cbw}`, "DONE ETIMEDOUT "]);
  usb.complete(inn, 0, Buffer.from("ff", "hex"));            // its slot is done: a late or repeated completion is ignored
  assert.deepEqual(run(), []);
});

test("what cannot start is answered at once: the kernel's refusal, no device granted, malformed commands, full slots", () => {
  const { usb, ask } = probe();
  usb.refuse = -Errno.ENOENT;
  assert.deepEqual(ask("BULK 85 8"), ["ERR ENOENT"]);
  usb.refuse = -Errno.EPERM;
  assert.deepEqual(ask("BULK 02 00"), ["ERR EPERM"]);
  usb.refuse = 0;
  for (const bad of ["", "NOPE", "BULK", "BULK 81", "BULK zz 1", "BULK 181 1", "BULK 81 -1", "BULK 81 4097", "BULK 02 abc",
    "CTRL 80060001", "CTRL 800600010000120g", "CTRL 8006000100001200 aa bb", "INTR 81 1 2 3 4", "FIND", "FIND 08 06"]) {
    assert.deepEqual(ask(bad), ["ERR EINVAL"], bad);
  }
  assert.equal(usb.submitted.length, 0);
  for (let i = 0; i <= USB_INFLIGHT; i++) assert.deepEqual(ask("BULK 81 1"), []);
  assert.deepEqual(ask("BULK 81 1"), ["ERR ENOSPC"]);
  usb.granted = false;
  assert.deepEqual(ask("DESC"), ["ERR ENOENT"]);
});

test("EVENTS lists the plug events since start; CANCEL cancels what is in flight, each still answered", () => {
  const { usb, g, ask, run } = probe();
  assert.deepEqual(ask("EVENTS"), ["EVENTS"]);
  usb.event(UsbEvent.ATTACH);
  usb.event(UsbEvent.DETACH);
  usb.event(UsbEvent.ATTACH);
  assert.deepEqual(run(), []);
  assert.deepEqual(g.logs, [`usbprobe: attach handle=${HANDLE}`, `usbprobe: detach handle=${HANDLE}`, `usbprobe: attach handle=${HANDLE}`]);
  assert.deepEqual(ask("EVENTS"), ["EVENTS attach detach attach"]);
  ask("BULK 81 8", 41000);
  ask("INTR 83 8", 41001);
  assert.deepEqual(ask("CANCEL"), ["CANCEL 2"]);
  assert.deepEqual(usb.cancelled, usb.submitted.map((s) => s.cookie));
  usb.complete(usb.submitted[1], -Errno.ECANCELED);
  usb.complete(usb.submitted[0], -Errno.ECANCELED);
  const before = g.sent.length;
  assert.deepEqual(run(), ["DONE ECANCELED ", "DONE ECANCELED "]);
  assert.deepEqual(g.sent.slice(before).map((p) => p.readUInt16BE(42)), [41001, 41000]);
});
