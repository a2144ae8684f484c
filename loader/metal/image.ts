// `persia image --target metal`: a manifest → one ELF file that QEMU (-kernel) or GRUB
// boots on a PC (spec/metal.md). The boot image (build/metal/persia-metal.bin, hosts/metal)
// is the same for every node; this file writes what differs, the payload (payload.ts): the
// boot manifest, the node's name, which virtio device carries each NIC and disk, the
// kernel and every distinct service or store module precompiled by the pinned wasmtime
// (precompile.ts), one SLOT per service id, laid out as the Node host numbers them
// (hosts/node/services.ts) — and, with domains:, the module files as signed. Each module
// is validated and metered as on Node (no containment pass: the metal host, like Node,
// instantiates each service itself and catches its traps); a module the loader refuses
// fails the image with the loader's message, as in a wasmtime image. What metal cannot do
// is refused here by name (checkMetal). Also the QEMU command line that runs the image.
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { MTL_NIC_MTU_MAX, MTL_NO_MAX, MtlSection, MtlSlotFlag } from "../../abi/metal";
import { LoaderError } from "../errors";
import { meterFuel } from "../instrument/fuel";
import { compileManifest, HostPlan, Manifest } from "../manifest";
import { parseMac } from "../ip6";
import { validateService } from "../wasm/validate";
import { wrapElf } from "./elf";
import { diskBody, encodePayload, nicBody, PayloadSection, slotBody, usbBody } from "./payload";
import { precompile } from "./precompile";
import { RamAccount, ramAccount } from "./ram";
import { parseModule } from "../wasm/parse";

export interface MetalInputs {
  /** build/wasm/kernel.wasm, byte for byte. */
  kernel: Uint8Array;
  /** build/metal/persia-metal.bin: the flat boot image. */
  boot: Uint8Array;
  /** Reads a service module; defaults to the file system. */
  readModule?: (file: string) => Uint8Array;
  /** Precompiles a module for the metal host; defaults to precompile.ts (tests pass a stand-in). */
  precompile?: (wasm: Uint8Array, label: string) => Uint8Array;
}

/** One service id: what it may hold (the SLOT section's body) and where it came from. */
export interface MetalSlot { id: number; boot: boolean; label: string; module: number; ramMaxPages: number; memMinPages: number;
  declaredMaxPages: number | null; sha256: string; }

export interface MetalImage {
  bytes: Uint8Array;
  plan: HostPlan;
  slots: MetalSlot[];
  /** Distinct modules, by index (MODULE_CODE id): file SHA-256 and precompiled size. */
  modules: { sha256: string; file: number; code: number }[];
  kernelSha256: string;
  bootSha256: string;
  payloadBytes: number;
  /** The RAM the node needs (ram.ts): QEMU's -m, in MiB, and what it is made of. */
  ram: RamAccount;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest();

/** Why a NIC kind other than virtio cannot run on metal, and what to write instead. */
const NOT_ON_METAL: Record<string, string> = {
  wireguard: "WireGuard needs a UDP underlay (a socket of the host's own IP stack), and the metal host has none yet: its NICs carry Ethernet frames straight to the kernel",
  vxlan: "VXLAN is Ethernet carried in the host's UDP datagrams, and the metal host has no IP stack of its own to send them",
  tap: "a TAP device is a Linux interface; on metal the NIC is the virtio-net device QEMU puts in front of the TAP",
  virtual: "a virtual NIC is an in-process link of the Node host; there is no other node in the process on metal",
};

/** Refuses, by name, what the metal host cannot do: every NIC must be a virtio NIC, with
 *  an MTU its driver carries. */
export function checkMetal(plan: HostPlan): void {
  for (const nic of plan.nics) {
    if (nic.kind !== "virtio") {
      throw new LoaderError(`NIC ${nic.name}`, `kind "${nic.kind}" cannot run on metal: ${NOT_ON_METAL[nic.kind] ?? "the metal host drives virtio-net devices only"}`,
        "Give the NIC `kind: virtio` (with `virtio: { pci: n }` or its `mac`, spec/manifest.md), and QEMU's -netdev tap behind it, as `persia image --target metal` prints.");
    }
    const twin = plan.nics.find((o) => o !== nic && o.mac === nic.mac);
    if (twin !== undefined) {
      throw new LoaderError(`NIC ${nic.name}`, `it has the MAC ${nic.mac} of NIC ${twin.name}: on metal a NIC's MAC is its virtio-net device's, and the node refuses to boot when one MAC names two devices or two NICs one device`,
        "Give each NIC its own `mac` (and QEMU's -device virtio-net-pci the same mac=, as `persia image` prints).");
    }
    if (nic.mtu > MTL_NIC_MTU_MAX) {
      throw new LoaderError(`NIC ${nic.name}`, `mtu ${nic.mtu} cannot run on metal: its virtio-net driver gives each receive buffer one frame of at most ${MTL_NIC_MTU_MAX} bytes of payload (no mergeable buffers), so the device would drop every larger frame without a word to the sender`,
        `Give the NIC \`mtu: ${MTL_NIC_MTU_MAX}\` or less (or leave mtu out), and the same MTU to the link's other end.`);
    }
  }
}

interface Code { sections: PayloadSection[]; slots: MetalSlot[]; modules: MetalImage["modules"] }

/** Every service id in the Node host's order (the manifest's services, then each store
 *  entry's slots) with its SLOT section (and a manifest service's SLOT_NAME: its domain), and one MODULE_CODE (and, with domains:, one
 *  MODULE_FILE) section per distinct module file, validated for each use (its RAM max
 *  differs), metered and precompiled once. */
async function serviceCode(plan: HostPlan, read: (file: string) => Uint8Array, compile: (w: Uint8Array, l: string) => Uint8Array): Promise<Code> {
  const code: Code = { sections: [], slots: [], modules: [] };
  const files: PayloadSection[] = [];
  const byHash = new Map<string, number>();
  const add = async (file: string, label: string, ramMaxPages: number, ids: number[], boot: boolean) => {
    let bytes: Uint8Array;
    try {
      bytes = read(file);
    } catch (e) {
      throw new LoaderError(`service ${label}`, `cannot read its module ${file}: ${(e as Error).message}`,
        "Check the path in the manifest, or run `persia build` if it is under build/.");
    }
    const info = validateService(bytes, label, ramMaxPages);
    const hash = sha256(bytes);
    const hex = hash.toString("hex");
    let module = byHash.get(hex);
    if (module === undefined) {
      module = code.modules.length;
      const compiled = compile((await meterFuel(bytes, label)).bytes, label);
      code.sections.push({ kind: MtlSection.MODULE_CODE, id: module, bytes: compiled });
      if (plan.signedModules) files.push({ kind: MtlSection.MODULE_FILE, id: module, bytes });
      code.modules.push({ sha256: hex, file: bytes.length, code: compiled.length });
      byHash.set(hex, module);
    }
    for (const id of ids) {
      const slot: MetalSlot = { id, boot, label, module, ramMaxPages, memMinPages: info.memoryMinPages,
        declaredMaxPages: info.memoryMaxPages ?? null, sha256: hex };
      code.slots.push(slot);
      code.sections.push({ kind: MtlSection.SLOT, id, bytes: slotBody({
        flags: boot ? MtlSlotFlag.BOOT : MtlSlotFlag.STORE, module, ramMaxPages, memMinPages: info.memoryMinPages,
        declaredMaxPages: info.memoryMaxPages ?? MTL_NO_MAX, sha256: hash,
      }) });
    }
  };
  for (const s of plan.services) {
    await add(s.modulePath, s.domain, s.ramMaxPages, [s.id], true);
    code.sections.push({ kind: MtlSection.SLOT_NAME, id: s.id, bytes: new TextEncoder().encode(s.domain) });
  }
  let next = plan.services.reduce((top, s) => Math.max(top, s.id + 1), 0);
  for (const [i, e] of plan.store.entries()) {
    const ids = Array.from({ length: e.slots }, (_, k) => next + k);
    await add(e.modulePath, `store[${i}] (${path.basename(e.modulePath)})`, e.ramMaxPages, ids, false);
    next += e.slots;
  }
  code.sections.push(...files);
  return code;
}

/** QEMU's xHCI controller (class 0x0C0330) for a manifest with usb: devices; the devices go
 *  on its bus, `bus=xhci.0` (spec/metal.md "USB (xHCI)"). 8 ports of each kind (QEMU's default
 *  is 4): QEMU chains a usb-hub in when a device would take the last free port, and the metal
 *  host does not drive hubs. */
export const XHCI_ARGS = ["-device", "qemu-xhci,id=xhci,p2=8,p3=8"];

/** The NIC, DISK and USB sections: which virtio-net device carries each NIC (its PCI place or
 *  its MAC) and the MAC it must have, for disk i the i-th virtio-blk device in PCI order, with its size,
 *  and for each USB device the matchers the host's xHCI driver recognises it by. */
function deviceSections(plan: HostPlan): PayloadSection[] {
  return [
    ...plan.nics.map((n) => ({ kind: MtlSection.NIC, id: n.id,
      bytes: nicBody({ pci: n.virtio?.pci ?? null, mac: parseMac(n.mac) }) })),
    ...plan.disks.map((d, i) => ({ kind: MtlSection.DISK, id: d.id, bytes: diskBody(i, BigInt(d.size)) })),
    ...plan.usb.map((u) => ({ kind: MtlSection.USB, id: u.id, bytes: usbBody(u) })),
  ];
}

/** The kernel's initial memory in pages (it defines its own memory); 0 if it has none. */
function kernelPages(kernel: Uint8Array): number {
  try {
    return parseModule(kernel).memories[0]?.min ?? 0;
  } catch {
    return 0;   // a stand-in kernel in tests; a real one was parsed by the build
  }
}

export async function composeMetal(manifest: Manifest, inputs: MetalInputs): Promise<MetalImage> {
  const { boot, plan } = compileManifest(manifest);
  checkMetal(plan);
  const compile = inputs.precompile ?? precompile;
  const code = await serviceCode(plan, inputs.readModule ?? ((f: string) => fs.readFileSync(f)), compile);
  const kernelSha = sha256(inputs.kernel);
  const kernelCode = compile(inputs.kernel, "kernel.wasm");
  const payload = encodePayload({
    kernelSha256: kernelSha,
    sections: [
      { kind: MtlSection.BOOT, id: 0, bytes: boot },
      { kind: MtlSection.NAME, id: 0, bytes: new TextEncoder().encode(plan.node.name) },
      ...deviceSections(plan),
      { kind: MtlSection.KERNEL, id: 0, bytes: kernelCode },
      ...code.sections,
    ],
  });
  const codeBytes = kernelCode.length + code.modules.reduce((a, m) => a + m.code, 0);
  const ram = ramAccount(plan, inputs.boot.length + payload.length, codeBytes, kernelPages(inputs.kernel));
  return {
    bytes: wrapElf(inputs.boot, payload), plan, slots: code.slots, modules: code.modules,
    kernelSha256: kernelSha.toString("hex"), bootSha256: sha256(boot).toString("hex"), payloadBytes: payload.length, ram,
  };
}

/** The virtio-net devices in PCI order: the NICs with a PCI place at their place (a place
 *  no NIC takes gets a device with no backend, so the others keep theirs), then the NICs
 *  matched by MAC. Each entry is the NIC, or null for a filler. */
export function nicOrder(plan: HostPlan): (HostPlan["nics"][number] | null)[] {
  const placed = plan.nics.filter((n) => n.virtio?.pci != null);
  const top = placed.reduce((m, n) => Math.max(m, n.virtio!.pci! + 1), 0);
  const order: (HostPlan["nics"][number] | null)[] = Array.from({ length: top }, () => null);
  for (const n of placed) order[n.virtio!.pci!] = n;
  return [...order, ...plan.nics.filter((n) => n.virtio?.pci == null)];
}

export interface QemuOptions {
  /** The TAP device behind each NIC, by NIC name (default: the NIC's name). */
  taps?: Record<string, string>;
  /** The Multiboot command line (spec/metal.md: for=, status-every=, quiet, capture). */
  append?: string;
  /** Boot an ISO with GRUB instead of the ELF with -kernel. */
  cdrom?: boolean;
  /** QEMU's -m in MiB: the image's RAM account (MetalImage.ram.mib); 512 when not given. */
  memoryMiB?: number;
  /** QEMU's human monitor on this Unix socket (tests drive hot-plug and keys through it);
   *  none when not given. */
  monitor?: string;
  /** More arguments, after the rest (tests: USB devices on the xHCI, tests/metal/usb.ts). */
  extra?: string[];
}

/** QEMU's arguments for an image of `plan` at `file`: TCG (KVM aborts on this class of
 *  machine), the RAM the image needs (o.memoryMiB), serial on stdio, isa-debug-exit for the exit status, no default
 *  NIC; a TAP netdev and a virtio-net device with the NIC's MAC per NIC in PCI order; a
 *  virtio-blk device per disk, in the manifest's order. */
export function qemuArgs(plan: HostPlan, file: string, o: QemuOptions = {}): string[] {
  const args = ["-accel", "tcg", "-cpu", "max", "-m", `${o.memoryMiB ?? 512}M`, "-display", "none", "-serial", "stdio",
    "-monitor", o.monitor ? `unix:${o.monitor},server=on,wait=off` : "none",
    "-no-reboot", "-nic", "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"];
  args.push(...(o.cdrom ? ["-cdrom", file] : ["-kernel", file]));
  if (o.append && !o.cdrom) args.push("-append", o.append);
  nicOrder(plan).forEach((n, k) => {
    if (n === null) { args.push("-device", "virtio-net-pci"); return; }
    const tap = o.taps?.[n.name] ?? n.name;
    args.push("-netdev", `tap,id=n${k},ifname=${tap},script=no,downscript=no,vhost=off`, "-device", `virtio-net-pci,netdev=n${k},mac=${n.mac}`);
  });
  plan.disks.forEach((d, i) => {
    args.push("-drive", `file=${d.path.replace(/,/g, ",,")},format=raw,if=none,id=d${i}`, "-device", `virtio-blk-pci,drive=d${i}`);
  });
  if ((plan.usb?.length ?? 0) > 0) args.push(...XHCI_ARGS);   // tests pass stand-in plans without usb
  args.push(...(o.extra ?? []));
  return args;
}
