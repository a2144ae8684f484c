// The USB test guest's one script (guest.ts runs it; tests/usb/guest.test.ts judges it):
// first Linux's own usb-storage driver reads the stick (a baseline: what QEMU's emulation
// gives a kernel driver), then the libusb backend's checks (backend_guest.ts), which take
// the stick from that driver, then a whole node's (node_guest.ts), in one boot of the
// guest, against the same QEMU devices. Exits 0 when all ran to their end; what they found
// is in the USBT lines.
import { spawnSync } from "child_process";
import * as fs from "fs";
import { backendChecks, sysfsDevice, until } from "./backend_guest";
import { nodeChecks } from "./node_guest";
import { say, section } from "./in_guest";

/** Linux's usb-storage: bound to the stick, and how fast dd reads it (O_DIRECT, 64 KiB). */
async function linuxBaseline(): Promise<void> {
  section("linux");
  const stick = await until(() => sysfsDevice("46f4", "0001"), 30000, "QEMU's usb-storage in sysfs");
  const disk = await until(() => {
    try { return fs.readdirSync(`/sys/bus/usb/devices/${stick}:1.0/host0/target0:0:0/0:0:0:0/block`)[0]; } catch { return null; }
  }, 30000, "the stick as a Linux block device");
  await until(() => fs.existsSync(`/dev/${disk}`), 10000, `/dev/${disk}`);
  const blocks = 64;
  const t0 = process.hrtime.bigint();
  const dd = spawnSync("dd", [`if=/dev/${disk}`, "of=/dev/null", "bs=64k", `count=${blocks}`, "iflag=direct"], { encoding: "utf8" });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  say("dd", { driver: fs.readlinkSync(`/sys/bus/usb/devices/${stick}:1.0/driver`).split("/").pop(), status: dd.status,
    MBps: Math.round((blocks * 65536) / s / 1e5) / 10 });
}

async function main(): Promise<void> {
  await linuxBaseline();
  section("backend");
  await backendChecks();
  section("node");
  await nodeChecks("stick1", "kbd1");   // what backendChecks left plugged in
}

main().then(() => process.exit(0), (e) => { say("error", String((e as Error).stack ?? e)); process.exit(1); });
