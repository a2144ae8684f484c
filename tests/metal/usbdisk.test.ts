// usbdisk.sabz.city on a metal node under QEMU, against QEMU's own usb-storage on its
// qemu-xhci (tests/metal/usb.ts) over a raw image of random bytes, reached over a TAP from a
// Linux host in a network namespace (root): INFO, READ of several LBAs byte for byte
// against the image file, WRITE then READ back, unplug (QEMU's device_del) while READs run
// back to back → "ERR detached", then replug (drive_add, device_add) and READ again, and the
// written blocks in the image file after QEMU exits. One boot for all of it. Needs root,
// iproute2, ping, python3 and what qemu.ts needs.
import { describe, it, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { MTL_KERNEL_LINE } from "../../abi/metal";
import { MetalImage } from "../../loader/metal/image";
import { missing, skipOrFail } from "../e2e/linux";
import { waitFor } from "../wait";
import { metalImageOf, metalOrSkip, RunningQemu, tempDir } from "./qemu";
import { adoptTap, dropHost, makeTap, TapHost } from "./tap";
import { Monitor, usbArgs, XHCI_ID } from "./usb";
import { askIn } from "../usbdisk/remote";

const skip = skipOrFail(missing(["ip"])) || metalOrSkip();
const TAG = (process.pid % 900) + 100;
const PREFIX = `fd00:e:${TAG}::`;
const MAC = "02:00:5a:b2:0e:01";
const DISK = `${PREFIX}71`, LINUX = `${PREFIX}100`;
const PORT = 7071;
const BLOCKS = 2048;

const manifest = `
node: { name: u${TAG}.sabz.city, role: server }
nics:
  - { name: lan0, kind: virtio, mac: "${MAC}", prefixes: ["${PREFIX}/64"] }
usb:
  - { name: stick, device: "46f4:0001" }
services:
  - { domain: usbdisk.sabz.city, module: build/wasm/services/usbdisk.wasm, addresses: ["${DISK}"], ram: { min: 64KiB, max: 1MiB },
      usb: [{ device: stick, rights: [read, write] }] }
`;

describe("usbdisk on a metal node, QEMU's usb-storage on its xHCI", { skip, timeout: 240000 }, () => {
  const dev = `mdp${TAG}`, ns = `md${TAG}`;
  let dir = "", img = "", elf = "", image: MetalImage, qemu: RunningQemu | null = null, host: TapHost, mon: Monitor | null = null;
  let content = Buffer.alloc(0);
  const ask = async (...reqs: (string | Buffer)[]) => askIn(ns, DISK, PORT, reqs);
  const block = (lba: number) => content.subarray(lba * 512, (lba + 1) * 512);

  before(async () => {
    dir = tempDir("usbdisk");
    img = path.join(dir, "stick.img");
    content = crypto.randomBytes(BLOCKS * 512);
    fs.writeFileSync(img, content);
    elf = path.join(dir, "node.elf");
    image = await metalImageOf(manifest, elf);
    makeTap(dev);
    const monitor = path.join(dir, "mon.sock");
    qemu = new RunningQemu(image, elf, { taps: { lan0: dev }, monitor, extra: usbArgs({ controller: false, stick: img }), seconds: 220 });
    await qemu.line(new RegExp(`^${MTL_KERNEL_LINE}`), 30000);
    host = adoptTap(dev, ns, [`${LINUX}/64`]);
    mon = await Monitor.open(monitor);
    await qemu.line(/usbdisk: ready/, 60000);
  });
  after(async () => {
    mon?.close();
    await qemu?.kill();
    if (host) dropHost(host); else dropHost({ ns, dev });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("INFO: the image's block count, 512-byte blocks, QEMU's INQUIRY strings", async () => {
    const [r] = await ask("INFO");
    assert.equal(r?.toString(), `OK ${BLOCKS} 512 QEMU QEMU HARDDISK`);
  });

  it("READ of several LBAs gives the image file's bytes", async () => {
    const lbas = [0, 1, 2, 511, 1024, 1777, BLOCKS - 1];
    const replies = await ask(...lbas.map((l) => `READ ${l}`));
    lbas.forEach((l, i) => {
      const head = Buffer.from(`DATA ${l} `);
      assert.ok(replies[i], `a reply to READ ${l}`);
      assert.deepEqual(replies[i]!.subarray(0, head.length), head, replies[i]!.toString("latin1", 0, 40));
      assert.ok(replies[i]!.subarray(head.length).equals(block(l)), `block ${l} differs from the image file`);
    });
    assert.equal((await ask(`READ ${BLOCKS}`))[0]?.toString(), "ERR out of range");
  });

  it("WRITE is OK, and READ gives the new bytes back", async () => {
    for (const lba of [5, 1500]) {
      const data = crypto.randomBytes(512);
      const [ok, back] = await ask(Buffer.concat([Buffer.from(`WRITE ${lba} `), data]), `READ ${lba}`);
      assert.equal(ok?.toString(), "OK");
      assert.ok(back?.subarray(`DATA ${lba} `.length).equals(data), `block ${lba} read back differs`);
      data.copy(content, lba * 512);
    }
  });

  it("unplugged during READs: ERR detached; replugged: READ works again", async () => {
    // Back to back until five ERR detached came back (the unplug comes after 1.5 s of them).
    const reads = Array.from({ length: 200000 }, (_, i) => `READ ${i % BLOCKS}`);
    const running = askIn(ns, DISK, PORT, reads, { text: "ERR detached", count: 5 });
    await new Promise((r) => setTimeout(r, 1500));
    await mon!.command("device_del stick");
    const replies = await running;
    const texts = replies.map((r) => r === null ? "(none)" : r.toString("latin1", 0, 12));
    const first = texts.findIndex((t) => t === "ERR detached");
    assert.ok(first > 0, `some READs answered before the unplug and ERR detached after it: ${texts.slice(0, 5)}…`);
    for (let i = 0; i < first; i++) {
      assert.ok(replies[i]!.subarray(`DATA ${i % BLOCKS} `.length).equals(block(i % BLOCKS)), `READ ${i % BLOCKS} before the unplug`);
    }
    assert.deepEqual(texts.slice(first).filter((t) => t !== "ERR detached"), [], "every READ after the unplug is ERR detached");
    assert.equal((await ask("INFO"))[0]?.toString(), "ERR detached");
    // QEMU dropped the drive with the device: add it again, then the device.
    await mon!.command(`drive_add 0 if=none,id=stick2,format=raw,file=${img.replace(/,/g, ",,")}`);
    await mon!.command(`device_add usb-storage,bus=${XHCI_ID}.0,drive=stick2,id=stick`);
    const info = await waitFor(async () => {
      const [r] = await ask("INFO");
      return r?.toString().startsWith("OK") ? r.toString() : null;
    }, 60000, "usbdisk to answer INFO after the replug", 500);
    assert.equal(info, `OK ${BLOCKS} 512 QEMU QEMU HARDDISK`);
    const [r] = await ask("READ 1777");
    assert.ok(r?.subarray("DATA 1777 ".length).equals(block(1777)));
  });

  it("after QEMU exits, the image file holds what was written", async () => {
    const data = crypto.randomBytes(512);
    assert.equal((await ask(Buffer.concat([Buffer.from("WRITE 9 "), data])))[0]?.toString(), "OK");
    data.copy(content, 9 * 512);
    await qemu!.kill();
    assert.ok(fs.readFileSync(img).equals(content), "the image file is what the WRITEs made it, and nothing else changed");
  });
});
