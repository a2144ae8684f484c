// usbdisk.sabz.city on the Node host, against a real USB stack: a Linux guest (guest.ts)
// whose qemu-xhci carries QEMU's usb-storage over a raw image of random bytes, the Node host
// and its libusb backend running inside it (usbdisk_guest.ts). Checks INFO, READs byte for
// byte against the image file, WRITE then READ back, unplug (device_del) while READs run back
// to back → "ERR detached" (and nothing else, no timeout), replug → INFO and READ again, and,
// after QEMU exits, that the image file holds exactly the writes. One guest boot.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../../hosts/node/paths";
import { guestOrSkip, runGuest } from "./guest";
import { results } from "./in_guest";

const skip = guestOrSkip();
const BLOCKS = 2048;

test("usbdisk on the Node host in a Linux guest: QEMU's usb-storage through libusb", { skip, timeout: 330000 }, async () => {
  // Under the checkout, not /tmp: the guest sees this machine's root, but a /tmp of its own.
  const dir = fs.mkdtempSync(path.join(ROOT, "build/usbdisk-guest-"));
  try {
    const img = path.join(dir, "stick.img");
    const content = crypto.randomBytes(BLOCKS * 512);
    fs.writeFileSync(img, content);
    const run = await runGuest({
      devices: ["-drive", `if=none,id=stickdrive,format=raw,file=${img.replace(/,/g, ",,")}`,
        "-device", "usb-storage,bus=xhci.0,drive=stickdrive,id=stick"],
      script: path.join(ROOT, "build/ts/tests/usb/usbdisk_guest.js"), args: [img, String(BLOCKS)],
      udev: true, seconds: 300,
    });
    const r = results(run.lines);
    const tail = () => run.lines.slice(-40).join("\n");
    assert.equal(run.status, 0, `the guest script failed:\n${tail()}`);
    const one = <T>(key: string): T => {
      const v = r.get(key);
      assert.ok(v && v.length === 1, `one "${key}" result:\n${tail()}`);
      return v[0] as T;
    };
    const info = one<{ reply: string; startMs: number; ms: number; before: [string, number][]; first?: string; last?: string }>("info");
    assert.equal(info.reply, `OK ${BLOCKS} 512 QEMU QEMU HARDDISK`);
    console.log(`# usbdisk on the Node host in the guest: node.start() took ${info.startMs} ms (TCG); INFO answered OK ${info.ms} ms ` +
      `after the start began; INFO replies before: ${JSON.stringify(info.before)}`);
    for (const x of one<{ lba: number; ok: boolean }[]>("reads")) assert.ok(x.ok, `READ ${x.lba}`);
    const writes = one<{ lba: number; reply: string; back: boolean }[]>("write");
    for (const w of writes) assert.deepEqual([w.reply, w.back], ["OK", true], `WRITE ${w.lba}`);
    const unplug = one<{ texts: [string, number][]; bad: number[]; info: string }>("unplug");
    assert.deepEqual(unplug.texts.map((t) => t[0]), ["DATA", "ERR detached"], JSON.stringify(unplug.texts));
    assert.deepEqual(unplug.bad, [], "READs before the unplug gave the file's bytes");
    assert.equal(unplug.info, "ERR detached");
    const re = one<{ info: string; read: boolean }>("replugged");
    assert.deepEqual(re, { info: `OK ${BLOCKS} 512 QEMU QEMU HARDDISK`, read: true });
    const final = one<{ lba: number; reply: string; data: string }>("final");
    assert.equal(final.reply, "OK");
    // The image file after QEMU exited: the guest's writes where it made them, nothing else changed.
    const after = fs.readFileSync(img);
    const changed: number[] = [];
    for (let lba = 0; lba < BLOCKS; lba++) {
      if (!after.subarray(lba * 512, (lba + 1) * 512).equals(content.subarray(lba * 512, (lba + 1) * 512))) changed.push(lba);
    }
    assert.deepEqual(changed, [5, 9, 1500]);
    assert.ok(after.subarray(9 * 512, 10 * 512).equals(Buffer.from(final.data, "base64")), "block 9 holds the last WRITE's data");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
