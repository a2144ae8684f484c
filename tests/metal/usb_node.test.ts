// USB on a metal node (issue #16, spec/metal.md "USB (xHCI)"): one QEMU boot with QEMU's own
// xHCI, a usb-storage stick, a usb-kbd and a usb-serial, three usbprobe services
// (tests/services/usbprobe, UDP 7072), granted the stick (matched by vendor:product and
// serial), the keyboard (matched by its path, 1-2) and the serial adapter (vendor:product), and a Linux host on a TAP sending them commands. Checked: the
// descriptors the kernel keeps, control transfers, a BOT INQUIRY (CBW out, 36 bytes in, CSW
// in), a CBW with a bad signature that QEMU stalls (EPIPE) and the CLEAR_FEATURE that makes
// the endpoint work again, a missing endpoint refused by the kernel (ENOENT), an interrupt IN
// that times out (ETIMEDOUT), one cancelled (ECANCELED), one answered by a key QEMU's monitor
// sends, bulk OUT to a full-speed usb-serial (its bytes read back from QEMU's chardev), one in
// flight when the keyboard is unplugged (ENODEV, then a detach event), and the
// keyboard plugged in again on another port (left alone: keys is matched by its path) and on
// its own port (an attach event; it works); a keyboard plugged in and out ten times and a
// usb-hub (refused) while a client pings the node, and a device that never answers and keeps
// reconnecting (QEMU's usb-redir with a silent Python peer): the node keeps answering, the
// port backs off. Also QEMU's CPU while the node idles.
// Needs root, iproute2, python3, and what qemu.ts needs.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { MTL_KERNEL_LINE } from "../../abi/metal";
import { MetalImage } from "../../loader/metal/image";
import { missing, skipOrFail } from "../e2e/linux";
import { metalImageOf, metalOrSkip, RunningQemu, tempDir } from "./qemu";
import { adoptTap, dropHost, inNs, makeTap, PYTHON, TapHost } from "./tap";
import { shAsync } from "../e2e/linux";
import { Monitor, usbArgs, XHCI_ID } from "./usb";

const skip = skipOrFail(missing(["ip", PYTHON])) || metalOrSkip();
const TAG = (process.pid % 900) + 100;
const PREFIX = `fd00:e:${TAG + 1000}::`;
const MAC = "02:00:5a:b2:0e:16";
const LINUX = `${PREFIX}100`;
const STICK_ADDR = `${PREFIX}16`;
const KBD_ADDR = `${PREFIX}17`;
const SERIAL_ADDR = `${PREFIX}18`;
const SERIAL = "persia-stick-1";
const PROBE = "build/wasm/tests/usbprobe.wasm";

const manifest = `
node: { name: u${TAG}.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtio, mac: "${MAC}", prefixes: ["${PREFIX}/64"] }
usb:
  - { name: stick, device: "46f4:0001", serial: "${SERIAL}" }
  - { name: keys, path: "1-2" }
  - { name: serial, device: "0403:6001" }
services:
  - { domain: stick.sabz.city, module: ${PROBE}, addresses: ["${STICK_ADDR}"], ram: { min: 64KiB, max: 1MiB },
      usb: [{ device: stick, rights: [read, write] }] }
  - { domain: keys.sabz.city, module: ${PROBE}, addresses: ["${KBD_ADDR}"], ram: { min: 64KiB, max: 1MiB },
      usb: [{ device: keys, rights: [read, write] }] }
  - { domain: serial.sabz.city, module: ${PROBE}, addresses: ["${SERIAL_ADDR}"], ram: { min: 64KiB, max: 1MiB },
      usb: [{ device: serial, rights: [read, write] }] }
`;

/** One command to a usbprobe, its answer (or "timeout" after `wait` s). */
const ASK = `
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(float(sys.argv[4]))
s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
try:
    print(s.recvfrom(4096)[0].decode())
except socket.timeout:
    print("timeout")
`;

/** Asks a usbprobe "EVENTS" every 50 ms for argv[3] s (each answer awaited up to 250 ms):
 *  "<asked> <answered> <longest gap between answers, ms>". */
const PINGER = `
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(0.25)
end = time.time() + float(sys.argv[3])
asked = answered = longest = 0
last = time.time()
while time.time() < end:
    s.sendto(b"EVENTS", (sys.argv[1], int(sys.argv[2])))
    asked += 1
    try:
        if s.recvfrom(4096)[0].startswith(b"EVENTS"):
            now = time.time()
            answered += 1
            longest = max(longest, now - last)
            last = now
    except socket.timeout:
        pass
    time.sleep(0.05)
longest = max(longest, time.time() - last)
print(asked, answered, int(longest * 1000))
`;

/** A USB device that never answers, and drops off and comes back every argv[3] s, for argv[2]
 *  s: the peer of QEMU's usb-redir (usbredir protocol, usbredirproto.h; QEMU's xHCI wants the
 *  peer to have the 64-bit ids and 32-bit bulk length capabilities: each side's hello has a
 *  12-byte header, every packet after it 16 bytes). QEMU asks it for descriptors
 *  (control packets); none is ever answered. Prints "<control requests> <reconnects>". */
const SILENT = `
import socket, struct, sys, time
srv = socket.socket(socket.AF_UNIX)
srv.bind(sys.argv[1])
srv.listen(1)
print("listening", flush=True)
c, _ = srv.accept()
def send(t, body):
    c.sendall(struct.pack("<IIQ", t, len(body), 0) + body)
c.sendall(struct.pack("<III", 0, 68, 0) + b"persia-silent".ljust(64, b"\\0") + struct.pack("<I", (1 << 1) | (1 << 4) | (1 << 5) | (1 << 6)))
info = struct.pack("<I", 1) + bytes(32) + bytes([255]) + bytes(31) + bytes(64)
eps = bytes([0]) + bytes([255] * 15) + bytes([0]) + bytes([255] * 15) + bytes(64) + struct.pack("<32H", *([64] + [0] * 15 + [64] + [0] * 15))
connect = struct.pack("<BBBBHHH", 2, 255, 0, 0, 0x1234, 0x5678, 0x0100)
send(4, info)
send(5, eps)
send(1, connect)
end = time.time() + float(sys.argv[2])
flap = time.time() + float(sys.argv[3])
buf = b""
head = 12
requests = reconnects = 0
c.settimeout(0.02)
while time.time() < end:
    try:
        d = c.recv(65536)
        if not d:
            break
        buf += d
    except socket.timeout:
        pass
    while len(buf) >= head:
        t, n = struct.unpack("<II", buf[:8])
        if len(buf) < head + n:
            break
        if t == 100:
            requests += 1
        buf = buf[head + n:]
        head = 16
    if time.time() > flap:
        send(2, b"")
        time.sleep(0.05)
        send(4, info)
        send(5, eps)
        send(1, connect)
        reconnects += 1
        flap = time.time() + float(sys.argv[3])
print(requests, reconnects, flush=True)
c.close()
`;

/** A Bulk-Only Transport CBW with data in (hex): tag, length, the SCSI command. */
function cbw(tag: number, len: number, cdb: number[], sig = "USBC"): string {
  const b = Buffer.alloc(31);
  b.write(sig, 0, "latin1");
  b.writeUInt32LE(tag, 4);
  b.writeUInt32LE(len, 8);
  b[12] = 0x80;
  b[14] = cdb.length;
  Buffer.from(cdb).copy(b, 15);
  return b.toString("hex");
}
const INQUIRY = [0x12, 0, 0, 0, 36, 0];

describe("USB on a metal node: usbprobe over QEMU's xHCI devices", { skip, timeout: 240000 }, () => {
  const dev = `mtu${TAG}`, ns = `mu${TAG}`;
  let dir = "", elf = "", image: MetalImage, qemu: RunningQemu | null = null, host: TapHost, mon: Monitor;

  const ask = async (addr: string, cmd: string, wait = 3) =>
    (await inNs(ns, `${PYTHON} -c '${ASK}' ${addr} 7072 '${cmd}' ${wait}`)).out.trim();

  before(async () => {
    dir = tempDir("usb-node");
    const stick = path.join(dir, "stick.img");
    const data = Buffer.alloc(1 << 20);
    data.write("persia usb stick block 0", 0);
    fs.writeFileSync(stick, data);
    elf = path.join(dir, "node.elf");
    image = await metalImageOf(manifest, elf);
    makeTap(dev);
    const monitor = path.join(dir, "mon.sock");
    qemu = new RunningQemu(image, elf, { taps: { lan0: dev }, append: "status-every=0", seconds: 220, monitor,
      extra: usbArgs({ controller: false, stick, stickSerial: SERIAL, kbd: true, serial: true }) });
    await qemu.line(new RegExp(`^${MTL_KERNEL_LINE}`), 30000);
    host = adoptTap(dev, ns, [`${LINUX}/64`]);
    mon = await Monitor.open(monitor);
    await qemu.line(/node .* is running on metal/, 30000);
    const t0 = Date.now();
    while (!(await ask(STICK_ADDR, "EVENTS", 1)).startsWith("EVENTS")) {
      if (Date.now() - t0 > 30000) throw new Error(`usbprobe does not answer\n${qemu.serial.slice(-3000)}`);
    }
  });
  after(async () => {
    mon?.close();
    await qemu?.kill();
    if (host) dropHost(host); else dropHost({ ns, dev });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("binds each manifest device to what matches it and attaches it", async () => {
    await qemu!.line(/info host: USB stick \(usb id 0\) is device 46f4:0001 serial "persia-stick-1" path 2-1/, 1000);
    await qemu!.line(/info host: USB keys \(usb id 1\) is device 0627:0001 .* path 1-2/, 1000);
    assert.equal(await ask(STICK_ADDR, "EVENTS"), "EVENTS attach");
    assert.equal(await ask(KBD_ADDR, "EVENTS"), "EVENTS attach");
  });

  it("gives the descriptors and does control transfers", async () => {
    const desc = await ask(STICK_ADDR, "DESC");
    assert.match(desc, /^DESC 12010003000000..f4460100/, desc);
    const r = await ask(STICK_ADDR, "CTRL 8006000100001200");
    assert.equal(r, `DONE OK ${desc.slice(5, 5 + 36)}`);
    // a short read: 64 bytes asked of an 18-byte descriptor
    assert.equal(await ask(STICK_ADDR, "CTRL 8006000100004000"), r);
  });

  it("does bulk transfers: INQUIRY, a stall and its clearing; the kernel refuses a missing endpoint", async () => {
    assert.equal(await ask(STICK_ADDR, `BULK 02 ${cbw(1, 36, INQUIRY)}`), `DONE OK ${cbw(1, 36, INQUIRY)}`);
    const inq = await ask(STICK_ADDR, "BULK 81 36");
    assert.match(inq, /^DONE OK 0000/, inq);
    assert.match(Buffer.from(inq.slice(8), "hex").toString("latin1"), /QEMU    QEMU HARDDISK/);
    assert.match(await ask(STICK_ADDR, "BULK 81 13"), /^DONE OK 55534253010000000000000000$/);
    assert.equal(await ask(STICK_ADDR, `BULK 02 ${cbw(2, 36, INQUIRY, "XSBC")}`), "DONE EPIPE");
    assert.equal(await ask(STICK_ADDR, "CTRL 0201000002000000"), "DONE OK");   // CLEAR_FEATURE(ENDPOINT_HALT) on 0x02
    assert.equal(await ask(STICK_ADDR, "CTRL 21ff000000000000"), "DONE OK");   // Bulk-Only Mass Storage Reset
    assert.match(await ask(STICK_ADDR, `BULK 02 ${cbw(3, 36, INQUIRY)}`), /^DONE OK /);
    assert.match(await ask(STICK_ADDR, "BULK 81 36"), /^DONE OK 0000/);
    assert.match(await ask(STICK_ADDR, "BULK 81 13"), /^DONE OK 55534253030000000000000000$/);
    assert.equal(await ask(STICK_ADDR, "BULK 83 8"), "ERR ENOENT");
  });

  it("does interrupt transfers: a timeout, a cancel, a key pressed", async () => {
    const t0 = Date.now();
    assert.equal(await ask(KBD_ADDR, "INTR 81 8 ms=300"), "DONE ETIMEDOUT");
    assert.ok(Date.now() - t0 < 2500, `the timeout took ${Date.now() - t0} ms`);
    const pending = ask(KBD_ADDR, "INTR 81 8 ms=20000", 10);
    await new Promise((r) => setTimeout(r, 500));
    assert.match(await ask(KBD_ADDR, "CANCEL"), /^(CANCEL 1|DONE ECANCELED)$/);
    assert.equal(await pending, "DONE ECANCELED");
    // three queued on one endpoint, all cancelled: each TD is stopped or skipped in turn
    const three = [1, 2, 3].map(() => ask(KBD_ADDR, "INTR 81 8 ms=20000", 10));
    await new Promise((r) => setTimeout(r, 700));
    assert.match(await ask(KBD_ADDR, "CANCEL"), /^(CANCEL 3|DONE ECANCELED)$/);
    assert.deepEqual(await Promise.all(three), ["DONE ECANCELED", "DONE ECANCELED", "DONE ECANCELED"]);
    const key = ask(KBD_ADDR, "INTR 81 8 ms=10000", 12);
    await new Promise((r) => setTimeout(r, 500));
    await mon.command("sendkey a");
    assert.equal(await key, "DONE OK 0000040000000000");
    assert.equal(await ask(KBD_ADDR, "INTR 81 8 ms=2000"), "DONE OK 0000000000000000", "the key's release");
  });

  it("sends bulk OUT to a full-speed usb-serial, whose bytes reach QEMU's chardev", async () => {
    await qemu!.line(/info host: USB serial \(usb id 2\) is device 0403:6001 .* path 1-3/, 1000);
    const text = Buffer.from("persia over ftdi").toString("hex");
    assert.equal(await ask(SERIAL_ADDR, `BULK 02 ${text}`), `DONE OK ${text}`);
    const got = await mon.command("ringbuf_read serchar 64");
    assert.match(got, /persia over ftdi/, got);
  });

  it("sees the keyboard unplugged mid-transfer (ENODEV, detach) and plugged in again (attach)", async () => {
    const pending = ask(KBD_ADDR, "INTR 81 8 ms=20000", 15);
    await new Promise((r) => setTimeout(r, 500));
    await mon.command("device_del kbd");
    assert.equal(await pending, "DONE ENODEV");
    await qemu!.line(/info host: USB keys \(usb id 1\) was unplugged/, 5000);
    assert.equal(await ask(KBD_ADDR, "EVENTS"), "EVENTS attach detach");
    assert.equal(await ask(KBD_ADDR, "INTR 81 8 ms=300"), "ERR ENODEV");
    // a keyboard on another port matches no entry (keys is matched by its path) ...
    await mon.command(`device_add usb-kbd,bus=${XHCI_ID}.0,port=4,id=kbd4`);
    await qemu!.line(/info host: USB device 0627:0001 serial ".*" path 1-4 matches no usb: entry of the manifest that is free; it is left alone/, 10000);
    // ... one on the port the manifest names does
    await mon.command(`device_add usb-kbd,bus=${XHCI_ID}.0,port=2,id=kbd2`);
    const t0 = Date.now();
    while ((await ask(KBD_ADDR, "EVENTS")) !== "EVENTS attach detach attach") {
      assert.ok(Date.now() - t0 < 10000, `no attach after the replug\n${qemu!.serial.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(await ask(KBD_ADDR, "INTR 81 8 ms=300"), "DONE ETIMEDOUT", "the new keyboard answers (nothing pressed)");
    assert.equal(await ask(STICK_ADDR, "EVENTS"), "EVENTS attach", "the stick saw none of it");
  });

  it("keeps answering while a device is plugged and unplugged again and again, and refuses a hub", async () => {
    // a client asks the stick's usbprobe every 50 ms while QEMU's monitor plugs a keyboard
    // into port 5 and pulls it out 10 times, then plugs in a usb-hub (bDeviceClass 9)
    const pinger = inNs(ns, `${PYTHON} -c '${PINGER}' ${STICK_ADDR} 7072 9`);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const t0 = Date.now();
    for (let i = 0; i < 10; i++) {
      await mon.command(`device_add usb-kbd,bus=${XHCI_ID}.0,port=5,id=churn${i}`);
      await sleep(100 + (i % 3) * 150);
      await mon.command(`device_del churn${i}`);
      await sleep(100);
    }
    await mon.command(`device_add usb-hub,bus=${XHCI_ID}.0,port=6,id=hub`);
    const churn = Date.now() - t0;
    const [asked, answered, longest] = (await pinger).out.trim().split(/\s+/).map(Number);
    const hub = await qemu!.line(/^xhci .*: port \d+: the device is not used: it is a hub \(class 9 in its device descriptor\)/, 5000);
    const tries = qemu!.lines.filter((l) => /^xhci .*: port \d+: (low|full|high|super) speed device 0627:0001 /.test(l)).length;
    console.log(`# 10 keyboard plugs and unplugs in ${churn} ms while a client asked every 50 ms for 9 s: ${answered} of ${asked} answered, the longest gap between answers ${longest} ms; keyboards enumerated ${tries}`);
    console.log(`# ${hub}`);
    assert.match(hub, /refused until it is unplugged/);
    assert.ok(asked > 0 && answered >= asked * 0.9, `${answered} of ${asked} answered`);
    assert.ok(longest < 1500, `the node did not answer for ${longest} ms`);
    assert.ok(!qemu!.lines.some((l) => /info host: USB .*0409:55aa/.test(l)), "the hub was handed to the kernel");
    assert.equal(await ask(STICK_ADDR, "EVENTS"), "EVENTS attach", "the stick saw none of it");
  });

  it("does not stall on a device that never answers and keeps reconnecting: its port backs off", async () => {
    const sock = path.join(dir, "silent.sock");
    const silent = shAsync(`${PYTHON} -c '${SILENT}' ${sock} 10 0.4`);
    const t1 = Date.now();
    while (!fs.existsSync(sock)) {
      assert.ok(Date.now() - t1 < 5000, "the silent device's socket did not appear");
      await new Promise((r) => setTimeout(r, 50));
    }
    const pinger = inNs(ns, `${PYTHON} -c '${PINGER}' ${STICK_ADDR} 7072 9`);
    await mon.command(`chardev-add socket,id=silent,path=${sock}`);
    await mon.command(`device_add usb-redir,chardev=silent,bus=${XHCI_ID}.0,port=7,id=silent`);
    const [asked, answered, longest] = (await pinger).out.trim().split(/\s+/).map(Number);
    const [requests, reconnects] = (await silent).out.trim().split(/\s+/).slice(-2).map(Number);
    await mon.command("device_del silent");
    const fails = qemu!.lines.filter((l) => /^xhci .*: port \d+: the device is not used: request 6 .*got no answer within 150 ms/.test(l));
    const waits = fails.map((l) => Number(/tried again in (\d+) ms/.exec(l)?.[1]));
    const took = fails.map((l) => Number(/enumeration took (\d+) ms/.exec(l)?.[1]));
    console.log(`# a silent device reconnecting ${reconnects} times in 10 s (${requests} requests, none answered): ${fails.length} enumerations, each ${took.join("/")} ms, then waits ${waits.join("/")} ms; a client asking every 50 ms: ${answered} of ${asked} answered, the longest gap ${longest} ms`);
    assert.ok(reconnects >= 15, `the silent device reconnected only ${reconnects} times`);
    assert.ok(fails.length >= 2 && fails.length <= 6, `${fails.length} enumerations of a device reconnecting ${reconnects} times:\n${fails.join("\n")}`);
    assert.deepEqual(waits.slice(0, 3), [1000, 2000, 4000].slice(0, Math.min(3, waits.length)));
    assert.ok(took.every((t) => t < 1000), `an enumeration took ${took.join("/")} ms`);
    assert.ok(answered >= asked * 0.9, `${answered} of ${asked} answered`);
    assert.ok(longest < 1000, `the node did not answer for ${longest} ms`);
  });

  it("idles without spinning: QEMU's CPU over 3 s with no transfer in flight", async () => {
    const pid = qemuPid(qemu!);
    const cpu = () => fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ").slice(11, 13).reduce((a, b) => a + Number(b), 0);
    const c0 = cpu();
    await new Promise((r) => setTimeout(r, 3000));
    const ticks = cpu() - c0;   // USER_HZ = 100
    console.log(`# QEMU used ${ticks * 10} ms of CPU in 3000 ms while the node idled with three USB devices`);
    assert.ok(ticks < 60, `QEMU used ${ticks * 10} ms of CPU in 3 s`);
  });
});

/** QEMU's pid: the child of `timeout`. */
function qemuPid(q: RunningQemu): number {
  const parent = (q as unknown as { proc: { pid: number } }).proc.pid;
  const kids = fs.readFileSync(`/proc/${parent}/task/${parent}/children`, "utf8").trim().split(/\s+/).map(Number);
  return kids[0];
}
