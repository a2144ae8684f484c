// From a manifest to a running node: load and validate the YAML (loader/manifest),
// compile it to the boot manifest, read and validate every service module before any of
// its code runs (loader/wasm/validate), open the NIC backends the plan names, and start
// a PersiaNode (whose ServiceHost meters each module, loader/instrument/fuel). Used by
// `persia run`, `persia demo` and the integration tests.
// Virtual NICs are returned with their far end, where a caller attaches a traffic peer.
import * as fs from "fs";
import * as path from "path";
import { loadManifest, compileManifest, Manifest, HostPlan } from "../../loader/manifest";
import { validateService } from "../../loader/wasm/validate";
import { PersiaNode, PersiaNodeOptions } from "./node";
import { NicBackend } from "./nic/nic";
import { VirtualLink, VirtualEnd } from "./nic/virtual";
import { VxlanNic, parseEndpoint } from "./nic/vxlan";
import { TapNic } from "./nic/tap";
import { WireguardNic } from "./nic/wireguard";
import { WASM_DIR } from "./paths";

export interface Launched {
  node: PersiaNode;
  plan: HostPlan;
  /** For each virtual NIC id, the other end of its link. */
  peers: Map<number, VirtualEnd>;
}

export type LaunchOptions = Omit<PersiaNodeOptions, "kernelBytes" | "boot" | "services" | "nics" | "disks" | "nicNames" | "diskNames" | "usb">;

function readFile(what: string, file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const hint = file.startsWith(WASM_DIR) ? " Run `persia build` (or `npm run build`) first." : "";
    throw new Error(`cannot read ${what} ${file}: ${(e as Error).message}.${hint}`);
  }
}

async function openNic(nic: HostPlan["nics"][number], peers: Map<number, VirtualEnd>): Promise<NicBackend> {
  if (nic.kind === "virtual") {
    const link = new VirtualLink({ aId: nic.id, bId: nic.id });
    peers.set(nic.id, link.b);
    return link.a;
  }
  if (nic.kind === "vxlan" && nic.vxlan) {
    const v = nic.vxlan;
    return VxlanNic.open({
      id: nic.id, vni: v.vni,
      local: parseEndpoint(`[${v.local.address}]:${v.local.port}`),
      remote: parseEndpoint(`[${v.remote.address}]:${v.remote.port}`),
    });
  }
  if (nic.kind === "tap" && nic.tap) {
    return TapNic.open({ id: nic.id, device: nic.tap.device, mtu: nic.mtu, udpGro: nic.tap.udpGro === true });
  }
  if (nic.kind === "wireguard" && nic.wireguard) {
    return WireguardNic.open({ id: nic.id, listen: nic.wireguard.listen });
  }
  if (nic.kind === "virtio") {
    throw new Error(`NIC ${nic.name}: a virtio NIC needs --target metal: it is a virtio-net PCI device, which only the ` +
      "metal host drives (`persia image node.yaml --target metal -o node.elf`, spec/metal.md); under Node give it " +
      "kind tap with tap: { device: … } instead");
  }
  throw new Error(`NIC ${nic.name}: kind "${nic.kind}" is not available on the Node host; ` +
    `use "virtual", "vxlan", "tap" or "wireguard"`);
}

/** Boot a node from a parsed manifest. Throws with a person-readable message. */
export async function launch(manifest: Manifest, options: LaunchOptions = {}): Promise<Launched> {
  const { boot, plan } = compileManifest(manifest);
  const kernelBytes = readFile("the kernel", path.join(WASM_DIR, "kernel.wasm"));
  const services = new Map<number, Uint8Array>();
  for (const s of plan.services) {
    const bytes = readFile(`the module of ${s.domain}`, s.modulePath);
    validateService(bytes, s.domain, s.ramMaxPages);
    services.set(s.id, bytes);
  }
  const store = plan.store.map((e, i) => {
    const label = `store[${i}] (${path.basename(e.modulePath)})`;
    const bytes = readFile(`the module of ${label}`, e.modulePath);
    validateService(bytes, label, e.ramMaxPages);
    return { bytes, label, ramMaxPages: e.ramMaxPages, slots: e.slots };
  });
  const peers = new Map<number, VirtualEnd>();
  const nics: NicBackend[] = [];
  try {
    for (const nic of plan.nics) nics.push(await openNic(nic, peers));
  } catch (e) {
    for (const n of nics) n.close();
    throw e;
  }
  const disks = new Map(plan.disks.map((d) => [d.id, d.path]));
  const nicNames = new Map(plan.nics.map((n) => [n.id, n.name]));
  const diskNames = new Map(plan.disks.map((d) => [d.id, d.name]));
  const network = plan.network;
  const ownFiles = [...(options.ownFiles ?? []), path.join(WASM_DIR, "kernel.wasm"), ...plan.services.map((s) => s.modulePath),
    ...plan.store.map((e) => e.modulePath)];
  const node = new PersiaNode({ ...options, kernelBytes, boot, services, store, network, nics, disks, nicNames, diskNames, usb: plan.usb, ownFiles });
  await node.start();
  return { node, plan, peers };
}

export async function launchFile(file: string, options: LaunchOptions = {}): Promise<Launched> {
  return launch(loadManifest(file), { ...options, ownFiles: [...(options.ownFiles ?? []), file] });
}
