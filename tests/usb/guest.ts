// A Linux guest with a real USB stack, for tests of code that drives USB devices from
// Linux (the Node host's libusb backend; usbdisk.sabz.city on the Node host). QEMU (TCG)
// boots Debian's own kernel with an initramfs of busybox and the modules for xHCI and 9p;
// the guest mounts this machine's whole root read-only over 9p, chroots into it and runs
// `/usr/bin/node <script> <args>` from this checkout, so the code under test is the code
// built here. The USB devices are QEMU's own (qemu-xhci with usb-storage, usb-kbd,
// usb-serial, …): an honest peer, none of it ours. The guest's lines come back on the
// serial console; a guest line "HOST: <command>" is a QEMU monitor command the harness runs
// (sendkey, device_del, device_add), answered by a file the guest can wait for.
// Does not install anything: prepareGuest() downloads Debian's kernel and busybox-static
// with apt-get download (no install) into build/usbguest once; tests/setup.js calls it.
import { spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../../hosts/node/paths";

export const QEMU = "/usr/bin/qemu-system-x86_64";
export const GUEST_DIR = path.join(ROOT, "build/usbguest");
/** Where, in the guest, a monitor command's answer appears: <HOST_IO>/ack-<n>. */
export const HOST_IO = "/run/hostio";
/** Prefix of a guest line that asks the harness for a QEMU monitor command. */
export const HOST_PREFIX = "HOST: ";
/** The modules the guest needs, each with what it needs loaded first (modprobe --show-depends);
 *  Linux's own mass-storage driver and disks are loaded only when a run asks (GuestRun.linuxStorage). */
const MODULES = ["xhci-pci", "virtio_pci", "9pnet_virtio", "9p", "usb-storage", "sd_mod"];
const STORAGE_MODULES = ["usb-storage.ko", "sd_mod.ko"];

export interface GuestImage { kernel: string; initrd: string; version: string }

function run(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${(r.stderr || r.stdout || String(r.error)).slice(-800)}`);
  return r.stdout;
}

/** Why the guest cannot run here, or null. */
export function guestMissing(): string | null {
  if (!fs.existsSync(QEMU)) return `${QEMU} is missing (node tests/setup.js installs qemu-system-x86)`;
  if (!fs.existsSync(path.join(GUEST_DIR, "initrd.gz"))) {
    return `the USB test guest is not prepared in ${GUEST_DIR} (node tests/setup.js downloads Debian's kernel and busybox-static with apt-get download)`;
  }
  return null;
}

/** `skip` for a test that boots the guest; under CI=true a missing piece throws. */
export function guestOrSkip(): string | false {
  const why = guestMissing();
  if (why === null) return false;
  if (process.env.CI === "true") throw new Error(`the USB guest tests cannot run under CI: ${why}`);
  console.log(`# skipped: ${why}`);
  return why;
}

/** Downloads (once) Debian's current kernel and busybox-static, and builds the initramfs. */
export function prepareGuest(): GuestImage {
  const deb = path.join(GUEST_DIR, "deb"), x = path.join(GUEST_DIR, "x");
  const done = path.join(GUEST_DIR, "image.json");
  if (fs.existsSync(done)) {
    // Made for these modules and this /init (a changed INIT needs a new initramfs); the paths
    // are this checkout's, whatever checkout wrote the cache.
    const cached = JSON.parse(fs.readFileSync(done, "utf8")) as GuestImage & { modules?: string[]; init?: string };
    if (JSON.stringify(cached.modules) === JSON.stringify(MODULES) && cached.init === initHash()) {
      return { ...cached, kernel: path.join(GUEST_DIR, "vmlinuz"), initrd: path.join(GUEST_DIR, "initrd.gz") };
    }
  }
  fs.rmSync(GUEST_DIR, { recursive: true, force: true });
  fs.mkdirSync(deb, { recursive: true });
  // linux-image-amd64 depends on the current ABI's image, e.g. linux-image-6.1.0-57-amd64.
  const download = () => {
    const dep = /Depends: (linux-image-\S+)/.exec(run("apt-cache", ["depends", "linux-image-amd64"]));
    if (dep === null) throw new Error("apt-cache names no kernel image for linux-image-amd64");
    run("apt-get", ["download", "-q", dep[1], "busybox-static"], deb);
  };
  try {
    download();
  } catch {
    run("apt-get", ["update", "-qq"]);   // package lists missing or older than the mirror
    download();
  }
  for (const f of fs.readdirSync(deb)) run("dpkg-deb", ["-x", path.join(deb, f), x]);
  const version = fs.readdirSync(path.join(x, "lib/modules"))[0];
  run("depmod", ["-b", x, version]);
  const order: string[] = [];
  for (const m of MODULES) {
    for (const line of run("modprobe", ["-d", x, "-S", version, "--show-depends", m]).split("\n")) {
      const ko = /^insmod (\S+)/.exec(line)?.[1];
      if (ko !== undefined && !order.includes(ko)) order.push(ko);
    }
  }
  const files: [string, Uint8Array, number][] = [
    ["bin/busybox", fs.readFileSync(path.join(x, "bin/busybox")), 0o755],
    ["init", Buffer.from(INIT), 0o755],
    ...order.map((ko, i): [string, Uint8Array, number] => [`lib/modules/${String(i).padStart(2, "0")}-${path.basename(ko)}`, fs.readFileSync(ko), 0o644]),
  ];
  const initrd = path.join(GUEST_DIR, "initrd.gz");
  fs.writeFileSync(initrd, require("zlib").gzipSync(cpio(files), { level: 1 }));
  const kernel = path.join(GUEST_DIR, "vmlinuz");
  fs.copyFileSync(path.join(x, `boot/vmlinuz-${version}`), kernel);
  fs.rmSync(deb, { recursive: true, force: true });
  const image = { kernel, initrd, version, modules: MODULES, init: initHash() };
  fs.writeFileSync(done, JSON.stringify(image));
  return image;
}

/*
 * The guest's /init: mount, load the modules in order (the storage ones only with
 * persia.storage=1; crct10dif-pclmul fails quietly without PCLMUL under TCG), mount the host's root (9p tag
 * hostroot) at /newroot with fresh /proc /sys /dev /tmp /run, this checkout again (tag hostrepo)
 * at its own path (persia.repo=), so that a checkout under /tmp is seen too, the writable share (tag
 * hostio) at /run/hostio, start systemd-udevd when asked (libusb's hot-plug listens to
 * udev), then run the script the kernel command line names (persia.run=) in the chroot and
 * print its exit status.
 */
const INIT = `#!/bin/busybox sh
B=/bin/busybox
$B mkdir -p /proc /sys /dev /newroot
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev
RUN=; UDEV=; STORAGE=; REPO=
for a in $($B cat /proc/cmdline); do case $a in persia.run=*) RUN=\${a#persia.run=};; persia.repo=*) REPO=\${a#persia.repo=};; persia.udev=1) UDEV=1;; persia.storage=1) STORAGE=1;; esac; done
for m in /lib/modules/*.ko; do
  case $m in ${STORAGE_MODULES.map((m) => `*-${m}`).join("|")}) [ -n "$STORAGE" ] || continue;; esac
  $B insmod $m 2>/dev/null || echo "GUEST: insmod $m failed"
done
$B mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose hostroot /newroot || echo "GUEST: mounting the host's root failed"
$B mount -t proc proc /newroot/proc
$B mount -t sysfs sys /newroot/sys
$B mount -t devtmpfs dev /newroot/dev
$B mount -t tmpfs tmp /newroot/tmp
$B mount -t tmpfs run /newroot/run
$B mkdir -p /newroot$REPO
$B mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose hostrepo /newroot$REPO || echo "GUEST: mounting the checkout failed"
$B mkdir -p /newroot${HOST_IO}
$B mount -t 9p -o trans=virtio,version=9p2000.L hostio /newroot${HOST_IO} || echo "GUEST: mounting hostio failed"
if [ -n "$UDEV" ]; then $B chroot /newroot /lib/systemd/systemd-udevd --daemon >/dev/null 2>&1 || echo "GUEST: systemd-udevd failed"; fi
echo "GUEST-UP $($B cut -d' ' -f1 /newroot/proc/uptime)"
$B chroot /newroot /bin/sh "$RUN"
echo "GUEST-EXIT $?"
$B poweroff -f
`;

/** What the cached initramfs's /init was made from. */
function initHash(): string {
  return crypto.createHash("sha256").update(INIT).digest("hex");
}

/** An initramfs: the files in cpio's "newc" format (what the kernel unpacks). */
function cpio(files: [string, Uint8Array, number][]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const entry = (name: string, mode: number, data: Uint8Array) => {
    const fields = [ino++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, name.length + 1, 0];
    const head = "070701" + fields.map((n) => n.toString(16).padStart(8, "0")).join("");
    const pad = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);
    parts.push(Buffer.from(head + name + "\0"), pad(110 + name.length + 1), Buffer.from(data), pad(data.length));
  };
  const dirs = new Set<string>();
  for (const [name] of files) for (let d = path.dirname(name); d !== "."; d = path.dirname(d)) dirs.add(d);
  for (const d of [...dirs].sort()) entry(d, 0o40755, new Uint8Array(0));
  for (const [name, data, mode] of files) entry(name, 0o100000 | mode, data);
  entry("TRAILER!!!", 0, new Uint8Array(0));
  return Buffer.concat(parts);
}

export interface GuestRun {
  /** QEMU arguments for the USB devices, after `-device qemu-xhci,id=xhci`
   *  (put them on bus=xhci.0). */
  devices: string[];
  /** A JavaScript file run in the guest with /usr/bin/node, and its arguments. */
  script: string;
  args?: string[];
  /** Environment for the script (PATH, HOME and CI are set). */
  env?: Record<string, string>;
  /** Start systemd-udevd in the guest first (libusb's hot-plug needs it). */
  udev?: boolean;
  /** Load Linux's usb-storage and sd_mod, so that a stick is also a block device (/dev/sd*)
   *  until a program claims it (libusb detaches the kernel's driver). */
  linuxStorage?: boolean;
  /** QEMU is killed after this many seconds whatever happens. */
  seconds?: number;
  /** Called for every whole line from the guest's console. */
  onLine?: (line: string) => void;
}

export interface GuestResult {
  /** Every line of the serial console, without \r. */
  lines: string[];
  /** The script's exit status, or null when it did not end (QEMU stopped first). */
  status: number | null;
  /** Milliseconds from QEMU's start to the guest's "GUEST-UP" line (its root mounted). */
  bootMs: number;
  /** The monitor commands run for the guest, with their output. */
  monitor: { command: string; output: string }[];
}

/** Boots the guest with `devices`, runs `script` in it and resolves when QEMU exits. */
export async function runGuest(o: GuestRun): Promise<GuestResult> {
  if (/\s/.test(ROOT)) throw new Error(`the Linux guest cannot be given this checkout: its path "${ROOT}" has white space, which the kernel command line cannot carry; clone it to a path without`);
  const image = prepareGuest();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-usbguest-"));
  const io = path.join(dir, "io");
  fs.mkdirSync(io);
  const env = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: "/tmp", CI: process.env.CI ?? "", ...o.env };
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const runSh = path.join(io, "run.sh");      // the guest's /tmp is its own: the script goes through hostio
  fs.writeFileSync(runSh, `cd ${quote(ROOT)}\n${Object.entries(env).map(([k, v]) => `export ${k}=${quote(v)}`).join("\n")}\n` +
    `exec /usr/bin/node ${[o.script, ...(o.args ?? [])].map(quote).join(" ")}\n`);
  const sock = path.join(dir, "monitor.sock");
  const args = ["--kill-after=2", String(o.seconds ?? 240), QEMU, "-accel", "tcg", "-m", "1G", "-smp", "1",
    "-nographic", "-no-reboot", "-nic", "none", "-kernel", image.kernel, "-initrd", image.initrd,
    "-append", `console=ttyS0 quiet panic=-1 persia.run=${HOST_IO}/run.sh persia.repo=${ROOT}${o.udev ? " persia.udev=1" : ""}${o.linuxStorage ? " persia.storage=1" : ""}`,
    "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
    "-virtfs", `local,path=${ROOT},mount_tag=hostrepo,security_model=none,readonly=on,multidevs=remap`,
    "-virtfs", `local,path=${io},mount_tag=hostio,security_model=none`,
    "-monitor", `unix:${sock},server,nowait`,
    "-device", "qemu-xhci,id=xhci", ...o.devices];
  const t0 = Date.now();
  const proc = spawn("timeout", args, { stdio: ["ignore", "pipe", "pipe"] });
  const result: GuestResult = { lines: [], status: null, bootMs: -1, monitor: [] };
  let partial = "", stderr = "";
  let acks = 0;
  let chain = Promise.resolve();
  proc.stderr.on("data", (d) => { stderr += d; });
  proc.stdout.on("data", (d: Buffer) => {
    const text = partial + d.toString("utf8").replace(/\r/g, "");
    const lines = text.split("\n");
    partial = lines.pop()!;
    for (const line of lines) {
      result.lines.push(line);
      if (result.bootMs < 0 && line.includes("GUEST-UP")) result.bootMs = Date.now() - t0;
      const exit = /GUEST-EXIT (\d+)/.exec(line);
      if (exit) result.status = Number(exit[1]);
      const at = line.indexOf(HOST_PREFIX);
      if (at >= 0) {
        const command = line.slice(at + HOST_PREFIX.length).trim();
        const n = acks++;
        chain = chain.then(async () => {
          const output = await monitor(sock, command).catch((e) => `(the monitor failed: ${(e as Error).message})`);
          result.monitor.push({ command, output });
          fs.writeFileSync(path.join(io, `ack-${n}`), output);
        });
      }
      o.onLine?.(line);
    }
  });
  await new Promise<void>((resolve) => proc.on("close", () => resolve()));
  await chain;
  if (partial !== "") result.lines.push(partial);
  if (result.status === null) result.lines.push(`(QEMU stopped before the script ended; its stderr: ${stderr.slice(-800)})`);
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

/** One HMP command on QEMU's monitor socket; its output (the echo and prompts removed). */
function monitor(sock: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(sock);
    let out = "";
    let sent = false;
    const timer = setTimeout(() => { c.destroy(); reject(new Error(`no answer to "${command}" within 10 s`)); }, 10000);
    c.on("error", (e) => { clearTimeout(timer); reject(e); });
    c.on("data", (d) => {
      out += d.toString("utf8");
      const prompts = out.split("(qemu)").length - 1;
      if (!sent && prompts >= 1) { sent = true; c.write(`${command}\n`); }
      else if (sent && prompts >= 2) {
        clearTimeout(timer);
        c.end();
        const body = out.slice(out.indexOf("(qemu)") + 6).split("(qemu)")[0];
        resolve(body.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/\r/g, "").split("\n").slice(1).join("\n").trim());
      }
    });
  });
}
