// Decodes the kernel's status snapshot (abi/status.ts layout) into a plain object that
// JSON.stringify can print: node counters, drops by reason (abi/drop.ts names), NICs,
// services, routes, neighbors, the client role's addresses, learned prefixes and
// default routers (issue #20), WireGuard peers (issue #13), and the node's identity and
// address certificates (issue #15). Enum values become their abi names ("RUNNING", "NO_ROUTE",
// "TENTATIVE"), addresses their RFC 5952 text; lifetimes stay seconds (LIFETIME_INFINITE
// for infinity, which the views print as such).
// Does not print anything: formatStatus (format.ts), re-exported here, and metricsText
// (metrics.ts) turn the object into text. Throws on a snapshot that breaks the
// layout, which is a kernel bug, not outside input.
// Used by the Node host (hosts/node/node.ts PersiaNode.status, and its status server) and
// the CLI (cli/image.ts, for the status lines of a wasmtime image).
import { Drop } from "../../abi/drop";
import { Fault, NicKind, Role, SvcState } from "../../abi/kernel";
import { MF_HEADER, MF_REC_HEADER } from "../../abi/manifest";
import * as S from "../../abi/status";
import { PI_AUTONOMOUS, PI_ON_LINK } from "../../wire/layout/nd";
import { formatAddr, formatMac } from "../ip6";

export { formatStatus } from "./format";

export interface NodeStatus {
  nowMs: number;
  role: string;
  services: number;
  nics: number;
  /** Routes in the kernel's table and entries in its neighbor cache, all of them: the
   *  snapshot's route and neighbor lists may hold fewer (it is cut to fit its buffer). */
  routes: number;
  neighbors: number;
  freeBuffers: number;
  icmpErrorsSent: number;
  /** Signed control messages the kernel acted on, and refused with an answer (spec/control.md). */
  controlAccepted: number;
  controlRefused: number;
  /** Whether the kernel checks modules' signatures (the manifest has domains:; issue #14). */
  signedModules: boolean;
}

export interface NicStatus {
  id: number;
  kind: string;
  mtu: number;
  mac: string;
  txQueue: number;
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  txErrors: number;
  raSent: number;
}

export interface ServiceStatus {
  id: number;
  name: string;
  state: string;
  lastFault: string;
  restarts: number;
  queue: number;
  rxPackets: number;
  txPackets: number;
  faults: number;
  sendRefused: number;
  /** Fuel units its calls consumed (spec/instrumentation.md). */
  fuel: number;
  /** The host's message for the last fault, when the host adds it (node.ts). */
  faultMessage?: string;
  /** Added by node.ts: the service's memory now and its RAM max, in 64 KiB pages. */
  ramPages?: number;
  ramMaxPages?: number;
}

/** What a service was granted (issue #5) and what it uses of CPU now. */
export interface GrantStatus {
  service: number;
  cpuMinPermille: number;
  cpuMaxPermille: number;
  cpuUsed: number;        // fuel used in the current CPU period
  ramMinPages: number;
  ramMaxPages: number;
  disks: { disk: number; rights: number; offset: number; length: number }[];
}

/** An egress class of a NIC (kernel/net/egress.ts): its rates and what it carried. */
export interface ClassStatus {
  nic: number;
  /** "kernel", "forwarded", or the service id. */
  class: "kernel" | "forwarded" | number;
  queue: number;
  minBits: number;
  maxBits: number;        // 0: unlimited
  bytes: number;
  drops: number;
}

/** A service's domain by its id, or `service <id>` when the snapshot has no such service. */
export function serviceName(s: { services: ServiceStatus[] }, id: number): string {
  return s.services.find((v) => v.id === id)?.name ?? `service ${id}`;
}

/** Who an egress class is for, for a person: "kernel", "forwarded", or the service's domain. */
export function className(c: ClassStatus, s: { services: ServiceStatus[] }): string {
  return typeof c.class !== "number" ? c.class : serviceName(s, c.class);
}

export interface RouteStatus {
  kind: string;
  prefix: string;
  length: number;
  nic: number;
  service: number;
  via: string;
}

export interface NeighborStatus {
  nic: number;
  state: string;
  mac: string;
  address: string;
}

/** An address of the node or a service that DAD checks or a prefix gave (RFC 4862). */
export interface AddrStatus {
  nic: number;
  /** The owning service's id; null: the node's own. */
  service: number | null;
  state: string;          // AddrState name: TENTATIVE, PREFERRED, DEPRECATED, DUPLICATE
  origin: string;         // AddrOrigin name: LINK_LOCAL, MANIFEST, LEARNED
  preferredLeft: number;  // s; LIFETIME_INFINITE: infinite
  validLeft: number;      // s; LIFETIME_INFINITE: infinite
  dadLeft: number;        // DAD solicitations still to send
  dadCounter: number;     // RFC 7217's DAD_Counter: duplicates met so far
  address: string;
}

/** A prefix learned from router advertisements (RFC 4861 §6.3.4). */
export interface LearnedStatus {
  nic: number;
  prefix: string;         // "2001:db8:1::/64"
  length: number;
  onLink: boolean;        // L flag
  autonomous: boolean;    // A flag: addresses are formed in it
  validLeft: number;      // s; LIFETIME_INFINITE: infinite
  preferredLeft: number;  // s; LIFETIME_INFINITE: infinite
}

/** A router on a NIC's default router list (RFC 4861 §6.3.6). */
export interface RouterStatus {
  nic: number;
  address: string;
  chosen: boolean;        // the default router now
  lifetimeLeft: number;   // s
  mtu: number;            // 0: none advertised
  reachableMs: number;    // 0: unspecified
  retransMs: number;      // 0: unspecified
}

/** A WireGuard peer of a WIREGUARD NIC (issue #13): never a private key. */
export interface WgPeerStatus {
  nic: number;
  peer: number;
  state: string;                 // WgState's name: IDLE, HANDSHAKE, UP
  key: string;                   // its public key, base64 as `wg pubkey` prints it
  endpoint: string | null;       // "[fd00:99::2]:51820" or "192.0.2.7:51820"; null: none yet
  keepalive: number;             // s, 0: off
  lastHandshakeMs: number | null; // kernel time of the last completed handshake; null: never
  rxBytes: number; rxPackets: number; txBytes: number; txPackets: number;
  handshakes: number;
}

/** The node's identity (issue #15): never its seed. */
export interface IdentityStatus {
  key: string | null;            // "ed25519:…" as `persia key` prints it; null: no node.identity
  trusted: number;               // TRUST records: (key, prefix) pairs it trusts
  ownCerts: number;              // NODE_CERT records: certificates of its key from upstream
}

/** A certificate the node issued (SERVICE, HOST) or holds from upstream (NODE). */
export interface CertStatus {
  origin: string;                // CertOrigin's name: SERVICE, HOST, NODE
  prefix: string;                // "fd00:5ab2:1::7/128"
  length: number;
  service: number | null;        // SERVICE: the service whose address it is
  notAfter: number;              // Unix time (s) from which it is no longer valid
  holder: string;                // "ed25519:…"
  issuer: string;                // "ed25519:…"
}

/** The block filters (issue #15): counters since boot. */
export interface FiltersStatus {
  active: number; holders: number; installed: number; refreshed: number; expired: number; removed: number;
  refused: number; relayed: number; relaysIn: number;
}

/** One active block filter: traffic from `from` to `to` is dropped until kernel time expiresMs. */
export interface FilterStatus { to: string; from: string; proto: number; port: number; expiresMs: number }

/** Counters a NIC backend keeps in the host, before frames reach the kernel. */
export interface HostNicStatus {
  id: number;
  /** The NIC's name in the manifest, when the host knows it (the Node host does). */
  name?: string;
  backend: string;
  counters: Record<string, number>;
}

/** A disk as the Node host sees it (hosts/node/disk.ts): attached, detached by the operator,
 *  or faulty (errors injected), and its host-side counters. */
export interface HostDiskStatus {
  id: number;
  /** The disk's name in the manifest, when the host knows it. */
  name?: string;
  path: string;
  state: string;
  counters: Record<string, number>;
}

/** A USB device of the manifest (issue #16): its id is its position in the manifest's usb:. */
export interface UsbStatus {
  id: number;
  present: boolean;              // attached, and its descriptors were taken
  holder: number | null;         // the service granted it; null: none
  device: string | null;         // "46f4:0001" (vendor:product) of the last descriptors taken; null: never attached
  inflight: number;              // transfers at the host, or completed and not yet read
  transfers: number;             // completed since boot, any status
  errors: number;                // ... of which with an error status
  late: number;                  // completions for no transfer in flight (ignored)
  refused: number;               // attaches refused: descriptors that lie
  coalesced: number;             // ATTACH/DETACH events dropped from a full queue
}

export interface Status {
  node: NodeStatus | null;
  drops: Record<string, number>;
  nics: NicStatus[];
  services: ServiceStatus[];
  routes: RouteStatus[];
  neighbors: NeighborStatus[];
  classes: ClassStatus[];
  grants: GrantStatus[];
  addresses: AddrStatus[];
  learned: LearnedStatus[];
  routers: RouterStatus[];
  wgPeers: WgPeerStatus[];
  identity: IdentityStatus | null;
  certificates: CertStatus[];
  filters: FiltersStatus | null;   // null: a kernel without block filters' records
  filterList: FilterStatus[];      // the first FILTER_STATUS_MAX active filters
  usb?: UsbStatus[];               // the manifest's USB devices (absent in a hand-made status)
  /** Added by node.ts; absent in a snapshot decoded on its own. `name` is the node's, when
   *  the host knows it (the Node host, or the line a wasmtime image prints at boot). */
  host?: { name?: string; nics: HostNicStatus[]; disks?: HostDiskStatus[] };
}

// The snapshot header and record header, as drawn in abi/status.ts; sizes are those of
// the boot manifest, whose shape the snapshot shares.
const H_MAGIC = 0;
const H_VERSION = 4;
const H_COUNT = 6;
const R_TYPE = 0;
const R_LENGTH = 2;
const ADDR_BYTES = 16;
const MAC_BYTES = 6;
const U64_BYTES = 8;

function name(e: Record<number, string>, n: number): string {
  return e[n] ?? `UNKNOWN_${n}`;
}

/** A record body: bounds-checked field readers over the snapshot. */
class Body {
  constructor(private readonly dv: DataView, private readonly at: number, readonly length: number, private readonly type: string) {}

  need(size: number): void {
    if (this.length < size) throw new Error(`status snapshot: ${this.type} record has ${this.length} bytes, needs ${size}`);
  }
  u8(off: number): number { return this.dv.getUint8(this.at + off); }
  u16(off: number): number { return this.dv.getUint16(this.at + off, true); }
  u32(off: number): number { return this.dv.getUint32(this.at + off, true); }
  u64(off: number): number { return Number(this.dv.getBigUint64(this.at + off, true)); }
  i64(off: number): number { return Number(this.dv.getBigInt64(this.at + off, true)); }
  bytes(off: number, len: number): Uint8Array {
    return new Uint8Array(this.dv.buffer, this.dv.byteOffset + this.at + off, len);
  }
  addr(off: number): string { return formatAddr(this.bytes(off, ADDR_BYTES)); }
  mac(off: number): string { return formatMac(this.bytes(off, MAC_BYTES)); }
}

function decodeNode(b: Body): NodeStatus {
  b.need(S.SN_SIZE);
  return {
    nowMs: b.i64(S.SN_NOW), role: name(Role, b.u8(S.SN_ROLE)), services: b.u16(S.SN_SVCS),
    nics: b.u8(S.SN_NICS), routes: b.u32(S.SN_ROUTE_COUNT), neighbors: b.u32(S.SN_NEIGH_COUNT), freeBuffers: b.u16(S.SN_FREE),
    icmpErrorsSent: b.u64(S.SN_ICMP_ERRORS), controlAccepted: b.u64(S.SN_CTL_ACCEPTED), controlRefused: b.u64(S.SN_CTL_REFUSED),
    signedModules: (b.u8(S.SN_FLAGS) & S.SN_SIGNED_MODULES) !== 0,
  };
}

function decodeDrops(b: Body, drops: Record<string, number>): void {
  const n = Math.floor(b.length / U64_BYTES);
  for (let i = 0; i < n; i++) drops[i < Drop.COUNT ? name(Drop, i) : `UNKNOWN_${i}`] = b.u64(i * U64_BYTES);
}

function decodeNic(b: Body): NicStatus {
  b.need(S.SI_SIZE);
  return {
    id: b.u8(S.SI_ID), kind: name(NicKind, b.u8(S.SI_KIND)), mtu: b.u16(S.SI_MTU), mac: b.mac(S.SI_MAC),
    txQueue: b.u16(S.SI_TXQ), rxFrames: b.u64(S.SI_RX_FRAMES), rxBytes: b.u64(S.SI_RX_BYTES),
    txFrames: b.u64(S.SI_TX_FRAMES), txBytes: b.u64(S.SI_TX_BYTES), txErrors: b.u64(S.SI_TX_ERRORS), raSent: b.u64(S.SI_RA_SENT),
  };
}

function decodeService(b: Body): ServiceStatus {
  b.need(S.SS_NAME);
  const len = b.u8(S.SS_NAME_LEN);
  b.need(S.SS_NAME + len);
  return {
    id: b.u16(S.SS_ID), name: Buffer.from(b.bytes(S.SS_NAME, len)).toString("utf8"),
    state: name(SvcState, b.u8(S.SS_STATE)), lastFault: name(Fault, b.u8(S.SS_FAULT)),
    restarts: b.u16(S.SS_RESTARTS), queue: b.u16(S.SS_QUEUE), rxPackets: b.u64(S.SS_RX),
    txPackets: b.u64(S.SS_TX), faults: b.u64(S.SS_FAULTS), sendRefused: b.u64(S.SS_REFUSED),
    fuel: b.u64(S.SS_FUEL),
  };
}

function decodeRoute(b: Body): RouteStatus {
  b.need(S.SR_SIZE);
  const length = b.u8(S.SR_LEN);
  return {
    kind: name(S.RouteKind, b.u8(S.SR_KIND)), prefix: `${b.addr(S.SR_PREFIX)}/${length}`, length,
    nic: b.u8(S.SR_NIC), service: b.u16(S.SR_SVC), via: b.addr(S.SR_VIA),
  };
}

function decodeNeighbor(b: Body): NeighborStatus {
  b.need(S.SG_SIZE);
  return {
    nic: b.u8(S.SG_NIC), state: name(S.NeighState, b.u8(S.SG_STATE)),
    mac: b.mac(S.SG_MAC), address: b.addr(S.SG_ADDR),
  };
}

function decodeClass(b: Body): ClassStatus {
  b.need(S.SC_SIZE);
  const c = b.u16(S.SC_CLASS);
  return {
    nic: b.u8(S.SC_NIC),
    class: c === S.EgressClass.KERNEL ? "kernel" : c === S.EgressClass.FORWARD ? "forwarded" : c - S.EgressClass.SERVICE,
    queue: b.u16(S.SC_QUEUE), minBits: b.u64(S.SC_MIN), maxBits: b.u64(S.SC_MAX),
    bytes: b.u64(S.SC_BYTES), drops: b.u64(S.SC_DROPS),
  };
}

function decodeGrant(b: Body): GrantStatus {
  b.need(S.SGR_SIZE);
  return {
    service: b.u16(S.SGR_SVC), cpuMinPermille: b.u16(S.SGR_CPU_MIN), cpuMaxPermille: b.u16(S.SGR_CPU_MAX),
    cpuUsed: b.u64(S.SGR_CPU_USED), ramMinPages: b.u32(S.SGR_RAM_MIN), ramMaxPages: b.u32(S.SGR_RAM_MAX), disks: [],
  };
}

/** A DISK_GRANT record joins the GRANT of its service, which the kernel writes first. */
function addDiskGrant(grants: GrantStatus[], b: Body): void {
  b.need(S.SDG_SIZE);
  const g = grants.find((x) => x.service === b.u16(S.SDG_SVC));
  if (!g) throw new Error(`status snapshot: a disk grant of service ${b.u16(S.SDG_SVC)} comes before its GRANT record`);
  g.disks.push({ disk: b.u8(S.SDG_DISK), rights: b.u8(S.SDG_RIGHTS), offset: b.u64(S.SDG_OFFSET), length: b.u64(S.SDG_LENGTH) });
}

function decodeAddr(b: Body): AddrStatus {
  b.need(S.SAD_SIZE);
  const svc = b.u16(S.SAD_SVC);
  return {
    nic: b.u8(S.SAD_NIC), service: svc === S.SAD_NODE ? null : svc, state: name(S.AddrState, b.u8(S.SAD_STATE)),
    origin: name(S.AddrOrigin, b.u8(S.SAD_ORIGIN)), preferredLeft: b.u32(S.SAD_PREFERRED), validLeft: b.u32(S.SAD_VALID),
    dadLeft: b.u8(S.SAD_DAD_LEFT), dadCounter: b.u8(S.SAD_DAD_COUNTER), address: b.addr(S.SAD_ADDR),
  };
}

function decodeLearned(b: Body): LearnedStatus {
  b.need(S.SLP_SIZE);
  const length = b.u8(S.SLP_LEN), flags = b.u8(S.SLP_FLAGS);
  return {
    nic: b.u8(S.SLP_NIC), prefix: `${b.addr(S.SLP_PREFIX)}/${length}`, length,
    onLink: (flags & PI_ON_LINK) !== 0, autonomous: (flags & PI_AUTONOMOUS) !== 0,
    validLeft: b.u32(S.SLP_VALID), preferredLeft: b.u32(S.SLP_PREFERRED),
  };
}

function decodeRouter(b: Body): RouterStatus {
  b.need(S.SRT_SIZE);
  return {
    nic: b.u8(S.SRT_NIC), address: b.addr(S.SRT_ADDR), chosen: b.u8(S.SRT_CHOSEN) !== 0, lifetimeLeft: b.u32(S.SRT_LIFETIME),
    mtu: b.u16(S.SRT_MTU), reachableMs: b.u32(S.SRT_REACHABLE), retransMs: b.u32(S.SRT_RETRANS),
  };
}

function decodeWgPeer(b: Body): WgPeerStatus {
  b.need(S.SW_SIZE);
  const a = b.bytes(S.SW_ENDPOINT, ADDR_BYTES), port = b.u16(S.SW_PORT), handshake = b.i64(S.SW_HANDSHAKE);
  const v4 = a.subarray(0, 10).every((x) => x === 0) && a[10] === 0xff && a[11] === 0xff;
  return {
    nic: b.u8(S.SW_NIC), peer: b.u8(S.SW_PEER), state: name(S.WgState, b.u8(S.SW_STATE)),
    key: Buffer.from(b.bytes(S.SW_KEY, S.SW_ENDPOINT - S.SW_KEY)).toString("base64"),
    endpoint: port === 0 ? null : v4 ? `${a.subarray(12).join(".")}:${port}` : `[${formatAddr(a)}]:${port}`,
    keepalive: b.u16(S.SW_KEEPALIVE), lastHandshakeMs: handshake < 0 ? null : handshake,
    rxBytes: b.u64(S.SW_RX_BYTES), rxPackets: b.u64(S.SW_RX_PACKETS), txBytes: b.u64(S.SW_TX_BYTES),
    txPackets: b.u64(S.SW_TX_PACKETS), handshakes: b.u64(S.SW_HANDSHAKES),
  };
}

const edKey = (b: Uint8Array): string => `ed25519:${Buffer.from(b).toString("base64")}`;
const KEY_BYTES = S.SCT_ISSUER - S.SCT_HOLDER;

function decodeIdentity(b: Body): IdentityStatus {
  b.need(S.SY_SIZE);
  const key = b.bytes(S.SY_KEY, KEY_BYTES);
  return { key: key.every((x) => x === 0) ? null : edKey(key), trusted: b.u8(S.SY_TRUST), ownCerts: b.u8(S.SY_CERTS) };
}

function decodeCert(b: Body): CertStatus {
  b.need(S.SCT_SIZE);
  const length = b.u8(S.SCT_LEN), svc = b.u16(S.SCT_SVC), origin = b.u8(S.SCT_ORIGIN);
  return {
    origin: name(S.CertOrigin, origin), prefix: `${b.addr(S.SCT_PREFIX)}/${length}`, length,
    service: origin === S.CertOrigin.SERVICE ? svc : null, notAfter: b.u64(S.SCT_NOT_AFTER),
    holder: edKey(b.bytes(S.SCT_HOLDER, KEY_BYTES)), issuer: edKey(b.bytes(S.SCT_ISSUER, KEY_BYTES)),
  };
}

function decodeFilters(b: Body): FiltersStatus {
  b.need(S.SF_SIZE);
  return {
    active: b.u32(S.SF_ACTIVE), holders: b.u32(S.SF_HOLDERS), installed: b.u64(S.SF_INSTALLED), refreshed: b.u64(S.SF_REFRESHED),
    expired: b.u64(S.SF_EXPIRED), removed: b.u64(S.SF_REMOVED), refused: b.u64(S.SF_REFUSED), relayed: b.u64(S.SF_RELAYED),
    relaysIn: b.u64(S.SF_RELAYS_IN),
  };
}

function decodeFilter(b: Body): FilterStatus {
  b.need(S.SFL_SIZE);
  return {
    to: b.addr(S.SFL_DST), from: `${b.addr(S.SFL_SRC)}/${b.u8(S.SFL_SRC_LEN)}`, proto: b.u8(S.SFL_PROTO), port: b.u16(S.SFL_PORT),
    expiresMs: b.i64(S.SFL_EXPIRES),
  };
}

function decodeUsb(b: Body): UsbStatus {
  b.need(S.SU_SIZE);
  const holder = b.u16(S.SU_HOLDER), vendor = b.u16(S.SU_VENDOR), product = b.u16(S.SU_PRODUCT);
  const hex = (v: number): string => v.toString(16).padStart(4, "0");
  return {
    id: b.u8(S.SU_ID), present: (b.u8(S.SU_FLAGS) & S.SU_PRESENT) !== 0, holder: holder === S.SU_NONE ? null : holder,
    device: vendor === 0 && product === 0 ? null : `${hex(vendor)}:${hex(product)}`, inflight: b.u8(S.SU_INFLIGHT),
    transfers: b.u64(S.SU_TRANSFERS), errors: b.u64(S.SU_ERRORS), late: b.u64(S.SU_LATE), refused: b.u64(S.SU_REFUSED),
    coalesced: b.u64(S.SU_COALESCED),
  };
}

/** Decodes a snapshot. Unknown record types are skipped, so an older host can read a
 *  newer kernel's snapshot; a record that overruns the snapshot is an error. */
export function decodeStatus(snapshot: Uint8Array): Status {
  const dv = new DataView(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength);
  if (snapshot.length < MF_HEADER) throw new Error(`status snapshot: ${snapshot.length} bytes, shorter than its header`);
  const magic = dv.getUint32(H_MAGIC, true);
  if (magic !== S.ST_MAGIC) throw new Error(`status snapshot: magic 0x${magic.toString(16)} is not "PRST"`);
  const version = dv.getUint16(H_VERSION, true);
  if (version !== S.ST_VERSION) throw new Error(`status snapshot: version ${version}; this host reads version ${S.ST_VERSION}`);
  const status: Status = {
    node: null, drops: {}, nics: [], services: [], routes: [], neighbors: [], classes: [], grants: [],
    addresses: [], learned: [], routers: [], wgPeers: [], identity: null, certificates: [], filters: null, filterList: [], usb: [],
  };
  const count = dv.getUint16(H_COUNT, true);
  let at = MF_HEADER;
  for (let i = 0; i < count; i++) {
    if (at + MF_REC_HEADER > snapshot.length) throw new Error(`status snapshot: record ${i} of ${count} starts past the end`);
    const type = dv.getUint8(at + R_TYPE);
    const length = dv.getUint16(at + R_LENGTH, true);
    const bodyAt = at + MF_REC_HEADER;
    if (bodyAt + length > snapshot.length) throw new Error(`status snapshot: record ${i} (${name(S.St, type)}) overruns the snapshot`);
    const b = new Body(dv, bodyAt, length, name(S.St, type));
    switch (type) {
      case S.St.NODE: status.node = decodeNode(b); break;
      case S.St.DROPS: decodeDrops(b, status.drops); break;
      case S.St.NIC: status.nics.push(decodeNic(b)); break;
      case S.St.SVC: status.services.push(decodeService(b)); break;
      case S.St.ROUTE: status.routes.push(decodeRoute(b)); break;
      case S.St.NEIGH: status.neighbors.push(decodeNeighbor(b)); break;
      case S.St.CLASS: status.classes.push(decodeClass(b)); break;
      case S.St.GRANT: status.grants.push(decodeGrant(b)); break;
      case S.St.DISK_GRANT: addDiskGrant(status.grants, b); break;
      case S.St.ADDR: status.addresses.push(decodeAddr(b)); break;
      case S.St.LEARNED: status.learned.push(decodeLearned(b)); break;
      case S.St.ROUTER: status.routers.push(decodeRouter(b)); break;
      case S.St.WG_PEER: status.wgPeers.push(decodeWgPeer(b)); break;
      case S.St.IDENTITY: status.identity = decodeIdentity(b); break;
      case S.St.CERT: status.certificates.push(decodeCert(b)); break;
      case S.St.FILTERS: status.filters = decodeFilters(b); break;
      case S.St.FILTER: status.filterList.push(decodeFilter(b)); break;
      case S.St.USB: status.usb?.push(decodeUsb(b)); break;
    }
    at = bodyAt + length;
  }
  return status;
}
