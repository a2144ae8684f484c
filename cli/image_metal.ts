// `persia image --target metal`: writes a metal image (loader/metal/image.ts) as an ELF for
// QEMU's -kernel, or, for `-o *.iso`, as a GRUB ISO (loader/metal/iso.ts), and says how
// to run it: the TAP devices, the disk files, the QEMU command line (spec/metal.md). The
// node prints the same status lines on its serial console as a wasmtime image on stdout,
// so `persia status --from serial.log` reads either (cli/image.ts). Does not run QEMU
// (tests/metal/qemu.ts does, for the tests).
import * as fs from "fs";
import * as path from "path";
import { MTL_KERNEL_LINE, MTL_WASMTIME } from "../abi/metal";
import { loadManifest } from "../loader/manifest";
import { composeMetal, MetalImage, qemuArgs } from "../loader/metal/image";
import { grubLine, writeIso } from "../loader/metal/iso";
import { ROOT } from "../hosts/node/paths";
import { KERNEL_WASM, readBuilt, shellWord } from "./image";

export const BOOT_BIN = path.join(ROOT, "build/metal/persia-metal.bin");

/** Writes the metal image of `manifest` to `out` (an ISO when it ends in .iso, whose
 *  grub.cfg boots it with `cmdline`; for an ELF, `cmdline` goes into the printed QEMU
 *  line's -append); returns what to tell the user. */
export async function buildMetalImage(manifest: string, out: string, cmdline = ""): Promise<string> {
  const image = await composeMetal(loadManifest(manifest), {
    kernel: readBuilt("the kernel", KERNEL_WASM),
    boot: readBuilt("the metal boot image", BOOT_BIN),
  });
  const iso = out.endsWith(".iso");
  // The node's identity seed is in the boot manifest inside: the image is a key file.
  const identity = image.plan.node.identity !== undefined;
  if (iso) {
    writeIso(image.bytes, image.plan.node.name, cmdline, out, identity ? 0o600 : undefined);
  } else {
    fs.writeFileSync(out, image.bytes, identity ? { mode: 0o600 } : {});
    if (identity) fs.chmodSync(out, 0o600);
  }
  const size = fs.statSync(out).size;
  const args = qemuArgs(image.plan, out, { memoryMiB: image.ram.mib, ...(iso ? { cdrom: true } : { append: cmdline || undefined }) });
  const lines = [
    `persia: wrote ${out} (${size} bytes${iso ? ", a GRUB ISO" : ", an ELF for QEMU's -kernel or GRUB's multiboot"}): node ${image.plan.node.name}, ` +
      `${image.plan.services.length} service(s), ${image.plan.nics.length} virtio NIC(s), ${image.plan.disks.length} disk(s)`,
    ...(identity ? [`  it holds the node's identity seed (node.identity, ${image.plan.node.identity}; mode 0600): keep it as secret as the seed file`] : []),
    ...nicLines(image),
    ...diskLines(image),
    ...usbLines(image),
    ...storeLines(image),
    `  ${MTL_KERNEL_LINE}${image.kernelSha256} (unchanged inside the image; the node prints this line at boot)`,
    `  boot manifest sha256 ${image.bootSha256}`,
    `  payload ${image.payloadBytes} bytes: the kernel and ${image.modules.length} module(s) precompiled by wasmtime ${MTL_WASMTIME}`,
    `  RAM ${image.ram.mib} MiB (QEMU -m): services and store slots ${mib(image.ram.services)} (each RAM max twice: wasmtime's memories may double as they grow), ` +
      `code ${mib(image.ram.code)}, kernel ${mib(image.ram.kernel)}, host ${mib(image.ram.host)}, image ${mib(image.ram.image)}`,
    ...(iso ? [`GRUB: ${grubLine(cmdline)}`] : []),
    `Run it with QEMU (the TAP devices must exist and be up${image.plan.disks.length > 0 ? ", the disk files must exist at their size" : ""}):`,
    ...setupLines(image),
    `  qemu-system-x86_64 ${args.map(shellWord).join(" ")}${iso || cmdline ? "" : " [-append 'for=<ms> status-every=<ms> quiet capture']"}`,
    "Status: the serial console (QEMU's stdio) carries `status <base64>` lines; save it and `persia status --from <file>` shows the last one.",
    `Capture: with \`capture\` on its command line it prints a \`capture\` line per packet; \`persia capture --from <file> --manifest ${shellWord(manifest)} -o out.pcapng\` writes them for Wireshark.`,
    "Exit: with for=<ms> the node stops and QEMU exits 1 (isa-debug-exit); 3 means the node failed (the serial console says why).",
  ];
  return lines.join("\n") + "\n";
}

const mib = (bytes: number) => `${Math.ceil(bytes / (1 << 20))} MiB`;

function nicLines(image: MetalImage): string[] {
  return image.plan.nics.map((n) => `  NIC ${n.name}: ${n.virtio?.pci != null ? `the virtio-net device number ${n.virtio.pci} in PCI order` :
    "the virtio-net device with its MAC"}, mac ${n.mac}, TAP ${n.name}`);
}

function diskLines(image: MetalImage): string[] {
  return image.plan.disks.map((d, i) => `  disk ${d.name}: the virtio-blk device number ${i} in PCI order, ${d.path} (${d.size} bytes)`);
}

/** Each USB device the manifest names, how the host recognises it, and (the command line
 *  below has -device qemu-xhci,id=xhci) how QEMU plugs one in on its bus. */
function usbLines(image: MetalImage): string[] {
  if (image.plan.usb.length === 0) return [];
  const hex = (n: number) => n.toString(16).padStart(4, "0");
  return [
    ...image.plan.usb.map((u) => `  USB ${u.name}: the device on the xHCI with ${[
      u.vendor !== null && u.product !== null ? `device ${hex(u.vendor)}:${hex(u.product)}` : "",
      u.serial !== null ? `serial "${u.serial}"` : "",
      u.path !== null ? `path ${u.path} (bus 1: USB 2 ports, bus 2: USB 3 ports, as Linux numbers them)` : "",
    ].filter((x) => x).join(", ")}`),
    "  USB devices go on the xHCI's bus, e.g. -drive if=none,id=stick,format=raw,file=stick.img -device usb-storage,bus=xhci.0,drive=stick; -device usb-kbd,bus=xhci.0",
  ];
}

function storeLines(image: MetalImage): string[] {
  const ids = image.slots.filter((s) => !s.boot);
  return image.plan.store.map((e) => {
    const mine = ids.splice(0, e.slots);
    return `  store ${path.basename(e.modulePath)}: service id(s) ${mine.map((s) => s.id).join(", ")}, RAM up to ` +
      `${e.ramMaxPages * 64} KiB, sha256 ${mine[0].sha256}`;
  });
}

/** The TAP devices and disk files QEMU opens, made as root: `truncate -s '>n'` makes a
 *  missing file and only ever grows one. */
function setupLines(image: MetalImage): string[] {
  return [
    ...image.plan.nics.map((n) => `  ip tuntap add dev ${n.name} mode tap && ip link set ${n.name} up`),
    ...image.plan.disks.map((d) => `  truncate -s '>${d.size}' ${shellWord(d.path)}`),
  ];
}
