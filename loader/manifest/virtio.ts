// The manifest's virtio NICs (`kind: virtio`, issue #12): NICs the metal host drives as
// virtio-net PCI devices. Each is matched at boot to a device either by its place in PCI
// order among virtio-net devices (`virtio: { pci: n }`) or by its `mac` (the device's MAC,
// which QEMU's `mac=` or the hypervisor sets). These are the cross-field rules: `virtio`
// only on a virtio NIC, a way to find the device (pci or mac), each pci place and each
// matched MAC once. The kernel sees a virtio NIC as the Ethernet NIC it is (kind VIRTIO
// in the boot manifest, treated as TAP is). Deliberately not
// here: which host can run it (a host refuses it by name: loader/metal/image.ts takes it,
// the Node host and the wasmtime image do not). Called by check.ts.
import { FieldPath } from "./issues";
import { Report, entries, unique } from "./raw";
import * as V from "./values";

export const VIRTIO_KIND = "virtio";

/** The rules on raw NIC entries for virtio NICs. */
export function virtioRules(raw: unknown, report: Report): void {
  const nics = entries(raw, "nics");
  const places: { key: string | null; at: FieldPath; label: string }[] = [];
  const macs: { key: string | null; at: FieldPath; label: string }[] = [];
  nics.forEach((n, i) => {
    const at = (...p: (string | number)[]): FieldPath => ["nics", i, ...p];
    if (typeof n.kind === "string" && n.kind !== VIRTIO_KIND) {
      if (n.virtio !== undefined) report(at("virtio"), `is only allowed when kind is ${VIRTIO_KIND}, and this NIC's kind is ${n.kind}`);
      return;
    }
    if (n.kind !== VIRTIO_KIND) return;
    const pci = n.virtio !== null && typeof n.virtio === "object" ? (n.virtio as Record<string, unknown>).pci : undefined;
    if (n.virtio === undefined && n.mac === undefined) {
      report(["nics", i], `a ${VIRTIO_KIND} NIC is found at boot by its place in PCI order or by its MAC; give virtio: { pci: 0 } ` +
        `(the first virtio-net device) or the device's mac, e.g. mac: "02:00:5a:b2:00:01"`);
    }
    if (typeof pci === "number") places.push({ key: String(pci), at: at("virtio", "pci"), label: `nics[${i}]` });
    else if (n.virtio === undefined) {
      const mac = V.tryParse(V.mac, n.mac);
      macs.push({ key: mac && Buffer.from(mac).toString("hex"), at: at("mac"), label: `nics[${i}]` });
    }
  });
  unique(places, (first) => `is already the PCI place of ${first}; each virtio-net device carries one NIC`, report);
  unique(macs, (first) => `is already the MAC of ${first}, which is matched by it; a MAC finds one virtio-net device, give one of them virtio: { pci: n }`, report);
}
