// compileManifest: a validated Manifest becomes two things. The boot bytes (abi/manifest.ts)
// are all the kernel learns: ids, kinds, MTUs, MACs, autoconf and DAD settings, router
// advertisement settings, prefixes, routes, disk sizes, USB device ids, service RAM grants in
// 64 KiB pages, addresses given and learned, disk and USB
// capabilities and network rates (NET records: each NIC's line rate and forward class, then
// each service's classes). The HostPlan is what only the host needs — NIC names and how to
// reach them (VXLAN endpoints, TAP device, a WireGuard NIC's socket, public key and peers), module and disk file paths, how to find each USB device — plus, for status
// output, each NIC's RA settings and rates and each service's classes. Ids are list
// positions in the manifest. Deliberately no validation (load.ts did it) and no file access. Called by the `persia` CLI and hosts/node.
import { RIGHT_DERIVE, RIGHT_READ, RIGHT_WRITE } from "../../abi/caps";
import { NicKind, Role } from "../../abi/kernel";
import { AC_ACCEPT_RA, NET_FORWARD, NET_LINK, RA_MANAGED, RA_OTHER } from "../../abi/manifest";
import { IP6_BYTES, formatAddr, formatMac, formatPrefix } from "../ip6";
import { BootNet, BootRa, FullBootManifest, encodeBootManifest } from "./boot";
import { WASM_PAGE, CPU_SHARE_MAX } from "./limits";
import { NetClass } from "./net";
import { RaSettings } from "./ra";
import { VIRTIO_KIND } from "./virtio";
import { Manifest, NIC_KIND_NAMES, ROLE_NAMES, RightName } from "./schema";
import { RS_DEFAULT_FIRST_MS, RS_DEFAULT_MAX_MS } from "../../abi/manifest";
import { BootWireguard } from "./boot_wg";
import { encodeKey } from "../wg/keys";
import { publicKeyText } from "../control/message";
import { WG_KEY } from "../../wire/layout/wireguard";

export interface HostEndpoint { address: string; port: number; }
/** A WireGuard peer as status output names it: its number, public key (base64), the
 *  manifest's endpoint (null: none), allowed ranges and keepalive (s). */
export interface HostWgPeer { peer: number; key: string; endpoint: HostEndpoint | null; addresses: string[]; keepalive: number; }

export interface HostPlan {
  /** identity: the public key of node.identity ("ed25519:…"), when given: the boot manifest
   *  then holds its seed (NODE_KEY). */
  node: { name: string; role: string; identity?: string };
  /** Whether the kernel checks modules' signatures (the manifest has domains:); the node
   *  says so at start and in status when it does not. */
  signedModules: boolean;
  nics: {
    id: number;
    name: string;
    kind: string;                 // "virtual" | "vxlan" | "tap" | "wireguard" | "virtio"
    mac: string;                  // "02:00:5a:b2:00:01"
    mtu: number;
    prefixes: string[];           // "fd00:5ab2:1::/64", for logs and status
    vxlan?: { local: HostEndpoint; remote: HostEndpoint; vni: number };
    tap?: { device: string; udpGro?: true };   // udpGro: merge UDP on write (hosts/node/nic/tap.ts)
    /** A virtio NIC (metal host): its place among virtio-net devices in PCI order, or null
     *  when it is matched by its MAC. */
    virtio?: { pci: number | null };
    /** A wireguard NIC: where its UDP socket binds, its public key (base64, as `wg pubkey`
     *  prints it; never the private key) and its peers, numbered as in WG_PEER records. */
    wireguard?: { listen: HostEndpoint; publicKey: string; peers: HostWgPeer[] };
    ra: RaSettings | null;        // null: the NIC sends no router advertisements
    autoconf: boolean;            // takes its configuration from router advertisements
    dad: number;                  // DupAddrDetectTransmits; 0: no DAD
    rate: number | null;          // the line rate in bit/s; null: not given (unlimited)
    forward: NetClass | null;     // the forwarded traffic's class; null: none given
  }[];
  services: {
    id: number;
    domain: string;
    modulePath: string;           // absolute
    ramMinPages: number;
    ramMaxPages: number;
    addresses: string[];          // RFC 5952 text, the manifest-given ones
    learned: string[];            // NIC names it forms an address on in each learned prefix
    net: (NetClass & { nic: number })[]; // its classes, by NIC id; bit/s, max null = unlimited
  }[];
  disks: { id: number; name: string; path: string; size: number }[]; // path absolute, size in bytes
  /** The USB devices the host is to find (issue #16), id = place in the manifest's usb:
   *  list; a device matches when every matcher that is not null does: idVendor and
   *  idProduct, the iSerialNumber string, the bus-port path ("1-1.2"). */
  usb: { id: number; name: string; vendor: number | null; product: number | null; serial: string | null; path: string | null }[];
  /** Modules a run-time LOAD may start (spec/control.md): absolute path, the most RAM a
   *  service from it may get, and how many services may run from it at once. */
  store: { modulePath: string; ramMaxPages: number; slots: number }[];
  /** The store entry for modules PUT over the network (spec/control.md "Module transfer
   *  (PUT)"), always the last: the directory the host keeps them in, the most RAM a service
   *  from one may get, and its slots, which follow the other store entries'. Null: none. */
  network: { dir: string; ramMaxPages: number; slots: number } | null;
  /** The host's observability views: `metrics`, the TCP address to serve them on (null: none). */
  observe: { metrics: string | null };
}

const RIGHT_BITS: Record<RightName, number> = { read: RIGHT_READ, write: RIGHT_WRITE };

/** The abi enum value for a YAML spelling: "router" → Role.ROUTER. */
function enumValue(e: Record<string, string | number>, names: string[], name: string): number {
  if (!names.includes(name)) throw new Error(`compileManifest: "${name}" is not one of ${names.join(", ")}`);
  return e[name.toUpperCase()] as number;
}

/** A NIC's kind in the boot manifest. The kernel tells Ethernet NICs (VIRTUAL, VXLAN, TAP,
 *  VIRTIO) from sealed ones (WIREGUARD); the kind is also what `persia status` shows. */
function bootNicKind(kind: string): number {
  return enumValue(NicKind, NIC_KIND_NAMES, kind);
}

/** Bytes → Wasm pages, rounded up. */
export function pages(bytes: number): number {
  return Math.ceil(bytes / WASM_PAGE);
}

function indexOf(names: string[], name: string, what: string): number {
  const i = names.indexOf(name);
  if (i < 0) throw new Error(`compileManifest: ${what} "${name}" does not exist; validate the manifest with parseManifest first`);
  return i;
}

function bootRa(nic: number, r: RaSettings): BootRa {
  const { managed, other, ...rest } = r;
  return { nic, flags: (managed ? RA_MANAGED : 0) | (other ? RA_OTHER : 0), ...rest };
}

/** A NET record's max: 0 stands for "no limit". */
const wireMax = (max: number | null) => BigInt(max ?? 0);

/** The NET records: per NIC its line rate and forward class, then per service its classes. */
function bootNets(m: Manifest, nicNames: string[]): BootNet[] {
  const nics = m.nics.flatMap((n, nic) => [
    ...(n.rate !== null ? [{ nic, svc: NET_LINK, min: 0n, max: BigInt(n.rate) }] : []),
    ...(n.forward ? [{ nic, svc: NET_FORWARD, min: BigInt(n.forward.min), max: wireMax(n.forward.max) }] : []),
  ]);
  const services = m.services.flatMap((s, svc) => s.net.map((e) => ({
    nic: indexOf(nicNames, e.nic, "NIC"), svc, min: BigInt(e.min), max: wireMax(e.max),
  })));
  return [...nics, ...services];
}

/** The WG, WG_PEER and WG_ALLOWED records: a WG per wireguard NIC, its peers numbered
 *  0.. over the node in manifest order, each peer's ranges after it. */
function bootWireguard(m: Manifest): Required<BootWireguard> {
  const out: Required<BootWireguard> = { wgs: [], wgPeers: [], wgAllowed: [] };
  m.nics.forEach((n, nic) => {
    if (!n.wireguard) return;
    out.wgs.push({ nic, privateKey: n.wireguard.privateKey });
    for (const p of n.peers) {
      const peer = out.wgPeers.length;
      out.wgPeers.push({
        nic, peer, keepalive: p.keepalive, publicKey: p.key, psk: p.psk ?? new Uint8Array(WG_KEY),
        endpoint: p.endpoint?.address ?? new Uint8Array(IP6_BYTES), port: p.endpoint?.port ?? 0,
      });
      out.wgAllowed.push(...p.addresses.map((a) => ({ peer, len: a.len, prefix: a.addr })));
    }
  });
  return out;
}

/** A wireguard NIC's part of the HostPlan (peers numbered as bootWireguard numbers them). */
function hostWireguard(m: Manifest, nic: number): HostPlan["nics"][number]["wireguard"] {
  const n = m.nics[nic];
  if (!n.wireguard) return undefined;
  const first = m.nics.slice(0, nic).reduce((k, o) => k + (o.wireguard ? o.peers.length : 0), 0);
  const endpoint = (e: { address: Uint8Array; port: number }) => ({ address: formatAddr(e.address), port: e.port });
  return {
    listen: endpoint(n.wireguard.listen), publicKey: encodeKey(n.wireguard.publicKey),
    peers: n.peers.map((p, j) => ({
      peer: first + j, key: encodeKey(p.key), endpoint: p.endpoint && endpoint(p.endpoint),
      addresses: p.addresses.map(formatPrefix), keepalive: p.keepalive,
    })),
  };
}

/** The boot manifest's records for `m`, as a value (see boot.ts for the bytes). */
export function bootRecords(m: Manifest): FullBootManifest {
  const nicNames = m.nics.map((n) => n.name);
  const diskNames = m.disks.map((d) => d.name);
  const usbNames = m.usb.map((u) => u.name);
  return {
    node: { role: enumValue(Role, ROLE_NAMES, m.node.role), name: m.node.name },
    budget: m.node.ram !== null ? Math.floor(m.node.ram / WASM_PAGE) : null,
    users: m.users.flatMap((u) => u.domains.map((domain) => ({ key: u.key, user: u.name, domain }))),
    nodeKey: m.node.identityKey && { seed: m.node.identityKey.seed },
    trusts: m.trust.flatMap((t) => t.prefixes.map((p) => ({ key: t.key, len: p.len, prefix: p.addr }))),
    nodeCerts: m.node.nodeCerts,
    publishers: (m.domains ?? []).flatMap((d) => d.publishers.map((key) => ({ key, domain: d.domain }))),
    userPrefixes: m.users.flatMap((u) => u.addresses.map((p) => ({ key: u.key, len: p.len, prefix: p.addr }))),
    userDisks: m.users.flatMap((u) => u.disks.map((g) => ({
      key: u.key, disk: indexOf(diskNames, g.device, "disk"), rights: g.rights.reduce((bits, r) => bits | RIGHT_BITS[r], 0),
      offset: BigInt(g.offset), length: BigInt(g.length),
    }))),
    userStores: m.users.filter((u) => u.store > 0).map((u) => ({ key: u.key, bytes: u.store })),
    rams: [],
    nics: m.nics.map((n, id) => ({ id, kind: bootNicKind(n.kind), mtu: n.mtu, mac: n.mac })),
    autoconfs: m.nics.flatMap((n, nic) => (n.autoconf || n.dad > 0
      ? [{ nic, flags: n.autoconf ? AC_ACCEPT_RA : 0, dad: n.dad, secret: m.node.secretKey }] : [])),
    ...bootWireguard(m),
    ras: m.nics.flatMap((n, nic) => (n.ra ? [bootRa(nic, n.ra)] : [])),
    prefixes: m.nics.flatMap((n, nic) => n.prefixes.map((p) => ({ nic, len: p.len, addr: p.addr }))),
    routes: m.routes.map((r) => ({
      nic: indexOf(nicNames, r.nic, "NIC"), len: r.to.len, prefix: r.to.addr, via: r.via ?? new Uint8Array(IP6_BYTES),
    })),
    disks: m.disks.map((d, id) => ({ id, size: BigInt(d.size) })),
    services: m.services.map((s, id) => ({
      id, restartLimit: s.restart.limit, ramMinPages: pages(s.ram.min), ramMaxPages: pages(s.ram.max), name: s.domain,
    })),
    svcAddrs: m.services.flatMap((s, svc) => s.addresses.map((addr) => ({ svc, addr }))),
    svcLearned: m.services.flatMap((s, svc) => s.learned.map((name) => ({ svc, nic: indexOf(nicNames, name, "NIC") }))),
    usbs: m.usb.map((_, id) => ({ id })),
    capUsbs: m.services.flatMap((s, svc) => s.usb.map((g) => ({
      svc, usb: indexOf(usbNames, g.device, "USB device"), rights: g.rights.reduce((bits, r) => bits | RIGHT_BITS[r], RIGHT_DERIVE),
    }))),
    capDisks: m.services.flatMap((s, svc) => s.disk.map((g) => ({
      svc,
      disk: indexOf(diskNames, g.device, "disk"),
      rights: g.rights.reduce((bits, r) => bits | RIGHT_BITS[r], RIGHT_DERIVE),
      offset: BigInt(g.offset),
      length: BigInt(g.length),
    }))),
    nets: bootNets(m, nicNames),
    cpus: m.services.flatMap((s, svc) => (s.cpu ? [{ svc, min: s.cpu.min, max: s.cpu.max === CPU_SHARE_MAX ? 0 : s.cpu.max }] : [])),
    restarts: m.services.flatMap((s, svc) => (s.restart.backoff !== null || s.restart.backoff_max !== null
      ? [{ svc, first: s.restart.backoff ?? RS_DEFAULT_FIRST_MS, max: s.restart.backoff_max ?? RS_DEFAULT_MAX_MS }] : [])),
  };
}

export function hostPlan(m: Manifest): HostPlan {
  const endpoint = (e: { address: Uint8Array; port: number }) => ({ address: formatAddr(e.address), port: e.port });
  const nicNames = m.nics.map((n) => n.name);
  return {
    node: { name: m.node.name, role: m.node.role, ...(m.node.identityKey ? { identity: publicKeyText(m.node.identityKey.publicKey) } : {}) },
    signedModules: m.domains !== undefined,
    nics: m.nics.map((n, id) => ({
      id, name: n.name, kind: n.kind, mac: formatMac(n.mac), mtu: n.mtu, prefixes: n.prefixes.map(formatPrefix),
      ...(n.vxlan ? { vxlan: { local: endpoint(n.vxlan.local), remote: endpoint(n.vxlan.remote), vni: n.vxlan.vni } } : {}),
      ...(n.tap ? { tap: { device: n.tap.device, ...(n.tap.udp_gro ? { udpGro: true as const } : {}) } } : {}),
      ...(n.kind === VIRTIO_KIND ? { virtio: { pci: n.virtio?.pci ?? null } } : {}),
      ...(n.wireguard ? { wireguard: hostWireguard(m, id) } : {}),
      ra: n.ra && { ...n.ra },
      autoconf: n.autoconf,
      dad: n.dad,
      rate: n.rate,
      forward: n.forward ? { ...n.forward } : null,
    })),
    services: m.services.map((s, id) => ({
      id, domain: s.domain, modulePath: s.module, ramMinPages: pages(s.ram.min), ramMaxPages: pages(s.ram.max),
      addresses: s.addresses.map(formatAddr),
      learned: [...s.learned],
      net: s.net.map((e) => ({ nic: indexOf(nicNames, e.nic, "NIC"), min: e.min, max: e.max })),
    })),
    disks: m.disks.map((d, id) => ({ id, name: d.name, path: d.path, size: d.size })),
    usb: m.usb.map((u, id) => ({
      id, name: u.name, vendor: u.device?.vendor ?? null, product: u.device?.product ?? null, serial: u.serial, path: u.path,
    })),
    store: m.store.flatMap((e) => (e.module !== null ? [{ modulePath: e.module, ramMaxPages: pages(e.ram), slots: e.slots }] : [])),
    network: m.store.flatMap((e) => (e.network !== null ? [{ dir: e.network, ramMaxPages: pages(e.ram), slots: e.slots }] : []))[0] ?? null,
    observe: { metrics: m.observe.metrics },
  };
}

/** The boot bytes for the kernel and the plan for the host. */
export function compileManifest(m: Manifest): { boot: Uint8Array; plan: HostPlan } {
  return { boot: encodeBootManifest(bootRecords(m)), plan: hostPlan(m) };
}
