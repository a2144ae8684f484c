// A whole PersiaNode with USB, in the Linux guest (guest.ts): kernel.wasm and the Node host's
// libusb backend, booted by launch.ts from a manifest that names QEMU's usb-storage by
// vendor:product, usb-kbd by bus path and usb-serial by serial, each granted to its own
// usbprobe service (tests/services/usbprobe), and one device that is not there. A peer on
// the node's virtual NIC sends usbprobe's UDP commands (tests/usb/node_guest.ts); here the
// answers are judged: each service's descriptors (usb_desc) equal what Linux read (sysfs),
// GET_DESCRIPTOR over control, a Bulk-Only INQUIRY (CBW, 36 bytes, CSW), a bad CBW stalls
// (EPIPE) and CLEAR_FEATURE cures it, an endpoint the stick lacks is refused by the kernel
// (ENOENT), an OUT request without the write right and a host-only request are refused
// (EPERM), `sendkey a` arrives as an interrupt report, a 300 ms timeout is ETIMEDOUT, bulk
// OUT reaches QEMU's serial chardev, the keyboard unplugged while its service waits on an
// interrupt transfer ends it with ENODEV and a DETACH event, the stick unplugged and
// plugged in again is ATTACHed and answers, and afterwards every service still runs, no
// fault, the node answers a ping. One guest boot; prints the boot time and the latency.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../../hosts/node/paths";
import { guestOrSkip, runGuest } from "./guest";
import { results } from "./in_guest";

const STICK_BYTES = 16 << 20;
const WASM = path.join(ROOT, "build/wasm");

function skip(): string | false {
  const guest = guestOrSkip();
  if (guest) return guest;
  for (const f of ["kernel.wasm", "tests/usbprobe.wasm"]) {
    if (!fs.existsSync(path.join(WASM, f))) {
      if (process.env.CI === "true") throw new Error(`build/wasm/${f} is not built (npm run build)`);
      return `build/wasm/${f} is not built (npm run build)`;
    }
  }
  return false;
}

/** A CSW's hex (13 bytes): signature "USBS", the tag, residue 0, status 0. */
const csw = (tag: number) => `55534253${Buffer.from(Uint32Array.of(tag).buffer).toString("hex")}0000000000`;
const done = (hex: string) => `DONE OK ${hex}`;

test("a node's services drive QEMU's USB devices through the Node host, in a Linux guest", { skip: skip(), timeout: 300_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-usb-node-"));
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
      script: path.join(__dirname, "node_guest.js"),
      env: { STICK_IMAGE: image },
      udev: true,
      seconds: 240,
    });
    const out = results(r.lines);
    const tail = () => r.lines.filter((l) => !l.startsWith("LOG ")).slice(-40).join("\n");
    const one = <T>(key: string): T => {
      const v = out.get(key);
      assert.ok(v !== undefined && v.length > 0, `the guest printed no "${key}" result:\n${tail()}`);
      return v[0] as T;
    };
    assert.equal(r.status, 0, `the guest script failed:\n${tail()}`);

    const sys = one<{ stick: string; kbd: string; serial: string }>("sysfs");
    assert.deepEqual(one("desc"), { stick: `DESC ${sys.stick}`, kbd: `DESC ${sys.kbd}`, serial: `DESC ${sys.serial}`, absent: "ERR ENODEV" });
    assert.deepEqual(one("id"), { stick: "ID 46f4:0001", kbd: "ID 0627:0001", serial: "ID 0403:6001" });
    assert.equal(one("control"), done(sys.stick.slice(0, 36)));

    const inquiry = one<string[]>("inquiry");
    assert.match(inquiry[0], /^DONE OK 55534243/);
    assert.match(inquiry[1], /^DONE OK [0-9a-f]{16}51454d5520202020/, "36 bytes of INQUIRY data, vendor QEMU");
    assert.equal(inquiry[1].length, "DONE OK ".length + 72);
    assert.equal(inquiry[2], done(csw(0x1001)));

    const stall = one<{ bad: string; clear: string; again: string[] }>("stall");
    assert.match(stall.bad, /^DONE EPIPE/);
    assert.equal(stall.clear, "DONE OK ");
    assert.equal(stall.again[2], done(csw(0x1003)));

    assert.equal(one<{ bulk83: string }>("noEndpoint").bulk83, "ERR ENOENT", "the stick has no endpoint 0x83: the kernel refuses");
    assert.deepEqual(one("rights"), { kbdOut: "ERR EPERM", setConfiguration: "ERR EPERM" });
    assert.equal(one("interrupt"), done("0000040000000000"), "sendkey a: usage 4 in a boot keyboard report");
    assert.equal(one("release"), done("0000000000000000"));
    const to = one<{ answer: string; ms: number }>("timeout");
    assert.equal(to.answer, "DONE ETIMEDOUT ");
    assert.ok(to.ms >= 290, `a 300 ms timeout answered after ${to.ms} ms`);
    assert.equal(one("serial"), done(Buffer.from("persia-node-serial\n").toString("hex")));
    assert.equal(fs.readFileSync(serialOut, "utf8"), "persia-node-serial\n");

    assert.deepEqual(one("unplugKbd"), { answer: "DONE ENODEV ", events: "EVENTS attach detach", desc: "ERR ENODEV" });
    const replug = one<{ gone: Record<string, string>; events: string; inquiry: string[] }>("replug");
    assert.deepEqual(replug.gone, { events: "EVENTS attach detach", desc: "ERR ENODEV", inquiry: "ERR ENODEV" });
    assert.equal(replug.events, "EVENTS attach detach attach");
    assert.equal(replug.inquiry[2], done(csw(0x2002)));

    const survived = one<{ errors: string[]; running: { name: string; state: string; faults: number }[]; ping: boolean }>("survived");
    assert.deepEqual(survived.errors, []);
    for (const s of survived.running) assert.deepEqual([s.state, s.faults], ["RUNNING", 0], `${s.name} still runs, never faulted`);
    assert.equal(survived.ping, true);

    const lat = one<{ rounds: number; ok: number; msPerRound: number }>("latency");
    assert.equal(lat.ok, lat.rounds);
    console.log(`# guest boot ${r.bootMs} ms (QEMU start to root mounted, TCG); a control transfer through the node ` +
      `(UDP in, kernel, libusb, UDP out) ${lat.msPerRound} ms a round trip`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
