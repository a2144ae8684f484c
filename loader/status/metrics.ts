// A decoded status (decode.ts) as Prometheus metrics, through prom-client: every counter
// and gauge of the snapshot as a persia_* metric with labels per service (domain), NIC,
// egress class, drop reason, (the client role) address, WireGuard peer and certificate origin, in the standard units (seconds, bytes, `_total` for
// counters, `_info` for labels-only facts). Each metric reads the status when a registry
// is collected, so a scrape always shows the newest snapshot and nothing runs between
// scrapes. The kernel's counters are mirrored, not counted here: at each collect a counter
// is reset and set to the kernel's total.
// Does not serve HTTP or add the Node process's own metrics: hosts/node/observe/ does both.
// Used by the status socket and `persia status --format metrics` (metricsText), and by
// the metrics server of `persia run --metrics` and `persia status --from … --metrics`.
import { Counter, Gauge, Registry } from "prom-client";
import { SvcState } from "../../abi/kernel";
import { CPU_SHARE_MAX } from "../../abi/limits";
import { AddrState, LIFETIME_INFINITE } from "../../abi/status";
import { WASM_PAGE } from "../manifest/limits";
import { className, serviceName } from "./decode";
import type { ClassStatus, NicStatus, ServiceStatus, Status, WgPeerStatus } from "./decode";

type Labels = Record<string, string>;
type Row = [Labels, number];
type Rows = (s: Status) => Row[];

/** Bytes in a 64 KiB Wasm page: the unit of the kernel's RAM counts. */
/** Service states a service record can carry (EMPTY slots are not reported). */
const STATES = [SvcState.RUNNING, SvcState.RESTARTING, SvcState.FAILED].map((s) => SvcState[s]);

const lower = (s: string): string => s.toLowerCase();

/** A counter whose value is the kernel's own total, read at each collect. */
function mirrorCounter(registry: Registry, read: () => Status, name: string, help: string, labelNames: string[], rows: Rows): void {
  new Counter({
    name, help, labelNames, registers: [registry],
    collect() {
      this.reset();   // the kernel's total, not a sum over scrapes
      for (const [labels, value] of rows(read())) this.inc(labels, value);
    },
  });
}

/** A gauge set from the status at each collect. */
function mirrorGauge(registry: Registry, read: () => Status, name: string, help: string, labelNames: string[], rows: Rows): void {
  new Gauge({
    name, help, labelNames, registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of rows(read())) this.set(labels, value);
    },
  });
}

/** A NIC's labels: its id, and its manifest name when the host knows it. */
function nicLabels(s: Status, id: number): Labels {
  const name = s.host?.nics.find((n) => n.id === id)?.name;
  return name === undefined ? { nic: String(id) } : { nic: String(id), name };
}

const svcLabels = (v: ServiceStatus): Labels => ({ domain: v.name, id: String(v.id) });


/** Counts of `items` by the labels `key` gives them. */
function countBy<T>(items: T[], key: (x: T) => Labels): Row[] {
  const rows = new Map<string, Row>();
  for (const x of items) {
    const labels = key(x);
    const k = JSON.stringify(labels);
    const row = rows.get(k) ?? [labels, 0];
    row[1]++;
    rows.set(k, row);
  }
  return [...rows.values()];
}

function nodeMetrics(reg: Registry, read: () => Status): void {
  const node = (f: (n: NonNullable<Status["node"]>, s: Status) => Row[]): Rows => (s) => (s.node === null ? [] : f(s.node, s));
  mirrorGauge(reg, read, "persia_node_info", "The node's name (when the host knows it) and role; always 1.", ["node", "role"],
    node((n, s): Row[] => [[{ ...(s.host?.name === undefined ? {} : { node: s.host.name }), role: lower(n.role) }, 1]]));
  mirrorGauge(reg, read, "persia_kernel_time_seconds", "The kernel's clock: seconds since its host started it.", [],
    node((n) => [[{}, n.nowMs / 1000]]));
  mirrorGauge(reg, read, "persia_kernel_free_buffers", "Free packet buffers in the kernel's pool.", [],
    node((n) => [[{}, n.freeBuffers]]));
  mirrorGauge(reg, read, "persia_routes", "Routes in the kernel's table, by kind (those the status snapshot holds; " +
    "persia_route_entries counts them all).", ["kind"],
    (s) => countBy(s.routes, (r) => ({ kind: lower(r.kind) })));
  mirrorGauge(reg, read, "persia_route_entries", "Routes in the kernel's table, all of them.", [],
    node((n) => [[{}, n.routes]]));
  mirrorGauge(reg, read, "persia_neighbors", "Neighbor cache entries, by NIC and state (those the status snapshot " +
    "holds; persia_neighbor_entries counts them all).", ["nic", "name", "state"],
    (s) => countBy(s.neighbors, (g) => ({ ...nicLabels(s, g.nic), state: lower(g.state) })));
  mirrorGauge(reg, read, "persia_neighbor_entries", "Neighbor cache entries, all of them.", [],
    node((n) => [[{}, n.neighbors]]));
  mirrorCounter(reg, read, "persia_icmp_errors_sent_total", "ICMPv6 error messages the kernel sent.", [],
    node((n) => [[{}, n.icmpErrorsSent]]));
  mirrorCounter(reg, read, "persia_control_messages_total", "Signed control messages, by what the kernel did with them.", ["result"],
    node((n) => [[{ result: "accepted" }, n.controlAccepted], [{ result: "refused" }, n.controlRefused]]));
  mirrorCounter(reg, read, "persia_drops_total", "Packets the kernel dropped, by reason (abi/drop.ts).", ["reason"],
    (s) => Object.entries(s.drops).map(([reason, n]): Row => [{ reason }, n]));
}

function nicMetrics(reg: Registry, read: () => Status): void {
  const labels = ["nic", "name"];
  const each = (f: (n: NicStatus) => number): Rows => (s) => s.nics.map((n): Row => [nicLabels(s, n.id), f(n)]);
  mirrorGauge(reg, read, "persia_nic_info", "A NIC's kind and MAC address; always 1.", [...labels, "kind", "mac"],
    (s) => s.nics.map((n): Row => [{ ...nicLabels(s, n.id), kind: lower(n.kind), mac: n.mac }, 1]));
  mirrorGauge(reg, read, "persia_nic_mtu_bytes", "The NIC's MTU.", labels, each((n) => n.mtu));
  mirrorCounter(reg, read, "persia_nic_rx_frames_total", "Frames the kernel received on the NIC.", labels, each((n) => n.rxFrames));
  mirrorCounter(reg, read, "persia_nic_rx_bytes_total", "Bytes the kernel received on the NIC.", labels, each((n) => n.rxBytes));
  mirrorCounter(reg, read, "persia_nic_tx_frames_total", "Frames the kernel sent on the NIC.", labels, each((n) => n.txFrames));
  mirrorCounter(reg, read, "persia_nic_tx_bytes_total", "Bytes the kernel sent on the NIC.", labels, each((n) => n.txBytes));
  mirrorCounter(reg, read, "persia_nic_send_errors_total", "Frames the host failed to send on the NIC.", labels, each((n) => n.txErrors));
  mirrorCounter(reg, read, "persia_nic_router_advertisements_total", "Router advertisements sent on the NIC.", labels,
    each((n) => n.raSent));
  mirrorGauge(reg, read, "persia_nic_tx_queue_frames", "Frames waiting in the NIC's egress queues.", labels, each((n) => n.txQueue));
  mirrorCounter(reg, read, "persia_host_nic_events_total", "What the host's NIC backend counted, before frames reach the kernel.",
    [...labels, "backend", "event"], (s) => (s.host?.nics ?? []).flatMap((n) =>
      Object.entries(n.counters).map(([event, v]): Row => [{ ...nicLabels(s, n.id), backend: n.backend, event }, v])));
}

function serviceMetrics(reg: Registry, read: () => Status): void {
  const labels = ["domain", "id"];
  const each = (f: (v: ServiceStatus) => number): Rows => (s) => s.services.map((v): Row => [svcLabels(v), f(v)]);
  mirrorGauge(reg, read, "persia_service_up", "1 if the service is running, else 0.", labels, each((v) => (v.state === "RUNNING" ? 1 : 0)));
  mirrorGauge(reg, read, "persia_service_state", "1 for the state the service is in, 0 for the others.", [...labels, "state"],
    (s) => s.services.flatMap((v) => STATES.map((st): Row => [{ ...svcLabels(v), state: lower(st) }, v.state === st ? 1 : 0])));
  mirrorCounter(reg, read, "persia_service_rx_packets_total", "Packets the kernel delivered to the service.", labels, each((v) => v.rxPackets));
  mirrorCounter(reg, read, "persia_service_tx_packets_total", "Packets the service sent.", labels, each((v) => v.txPackets));
  mirrorCounter(reg, read, "persia_service_send_refused_total", "Sends of the service the kernel refused.", labels,
    each((v) => v.sendRefused));
  mirrorGauge(reg, read, "persia_service_rx_queue_packets", "Packets waiting in the service's receive queue.", labels, each((v) => v.queue));
  mirrorCounter(reg, read, "persia_service_faults_total", "Faults of the service: traps, stack, memory, fuel.", labels, each((v) => v.faults));
  mirrorCounter(reg, read, "persia_service_restarts_total", "Restarts of the service after faults.", labels, each((v) => v.restarts));
  mirrorCounter(reg, read, "persia_service_fuel_total", "Fuel units the service's calls consumed: its CPU (spec/instrumentation.md).",
    labels, each((v) => v.fuel));
  mirrorGauge(reg, read, "persia_service_memory_bytes", "The service's linear memory now.", labels,
    (s) => s.services.filter((v) => v.ramPages !== undefined).map((v): Row => [svcLabels(v), v.ramPages! * WASM_PAGE]));
  const granted = (f: (g: Status["grants"][number]) => number): Rows => (s) => s.grants.flatMap((g): Row[] => {
    const v = s.services.find((x) => x.id === g.service);
    return v === undefined ? [] : [[svcLabels(v), f(g)]];
  });
  mirrorGauge(reg, read, "persia_service_memory_min_bytes", "The service's RAM min grant.", labels, granted((g) => g.ramMinPages * WASM_PAGE));
  mirrorGauge(reg, read, "persia_service_memory_max_bytes", "The service's RAM max grant.", labels, granted((g) => g.ramMaxPages * WASM_PAGE));
  mirrorGauge(reg, read, "persia_service_cpu_min_ratio", "The service's CPU min grant, a part of the node's CPU (0 to 1).", labels,
    granted((g) => g.cpuMinPermille / CPU_SHARE_MAX));
  mirrorGauge(reg, read, "persia_service_cpu_max_ratio", "The service's CPU max grant, a part of the node's CPU (1: no max).", labels,
    granted((g) => (g.cpuMaxPermille === 0 ? 1 : g.cpuMaxPermille / CPU_SHARE_MAX)));
}

function egressMetrics(reg: Registry, read: () => Status): void {
  const labels = ["nic", "name", "class"];
  const each = (f: (c: ClassStatus) => number): Rows => (s) =>
    s.classes.map((c): Row => [{ ...nicLabels(s, c.nic), class: className(c, s) }, f(c)]);
  mirrorCounter(reg, read, "persia_egress_bytes_total", "Bytes an egress class of a NIC sent.", labels, each((c) => c.bytes));
  mirrorCounter(reg, read, "persia_egress_drops_total", "Frames an egress class dropped at its full queue.", labels, each((c) => c.drops));
  mirrorGauge(reg, read, "persia_egress_queue_frames", "Frames waiting in an egress class's queue.", labels, each((c) => c.queue));
  mirrorGauge(reg, read, "persia_egress_min_bytes_per_second", "An egress class's guaranteed rate.", labels, each((c) => c.minBits / 8));
  mirrorGauge(reg, read, "persia_egress_max_bytes_per_second", "An egress class's ceiling (+Inf: unlimited).", labels,
    each((c) => (c.maxBits === 0 ? Infinity : c.maxBits / 8)));
}

/** Seconds of a lifetime; LIFETIME_INFINITE is +Inf. */
const seconds = (v: number): number => (v === LIFETIME_INFINITE ? Infinity : v);
const ADDR_STATES = [AddrState.TENTATIVE, AddrState.PREFERRED, AddrState.DEPRECATED, AddrState.DUPLICATE].map((a) => AddrState[a]);

/** The client role (issue #20): addresses and their DAD state, learned prefixes, default routers. */
function clientMetrics(reg: Registry, read: () => Status): void {
  const owner = (s: Status, svc: number | null) => (svc === null ? "node" : serviceName(s, svc));
  mirrorGauge(reg, read, "persia_address_state", "1 for the state an address is in (RFC 4862: tentative, preferred, " +
    "deprecated, duplicate), 0 for the others.", ["nic", "name", "owner", "origin", "address", "state"],
  (s) => s.addresses.flatMap((a) => ADDR_STATES.map((st): Row => [{
    ...nicLabels(s, a.nic), owner: owner(s, a.service), origin: lower(a.origin), address: a.address, state: lower(st),
  }, a.state === st ? 1 : 0])));
  const prefix = ["nic", "name", "prefix"];
  mirrorGauge(reg, read, "persia_learned_prefix_valid_seconds", "Valid lifetime left of a prefix learned from router " +
    "advertisements (+Inf: infinite).", prefix, (s) => s.learned.map((p): Row => [{ ...nicLabels(s, p.nic), prefix: p.prefix },
    seconds(p.validLeft)]));
  mirrorGauge(reg, read, "persia_learned_prefix_preferred_seconds", "Preferred lifetime left of a learned prefix (+Inf: infinite).",
    prefix, (s) => s.learned.map((p): Row => [{ ...nicLabels(s, p.nic), prefix: p.prefix }, seconds(p.preferredLeft)]));
  mirrorGauge(reg, read, "persia_default_routers", "Routers on the NIC's default router list.", ["nic", "name"],
    (s) => countBy(s.routers, (r) => nicLabels(s, r.nic)));
  const router = (f: (r: Status["routers"][number]) => number): Rows => (s) =>
    s.routers.map((r): Row => [{ ...nicLabels(s, r.nic), router: r.address }, f(r)]);
  mirrorGauge(reg, read, "persia_default_router_lifetime_seconds", "Router lifetime left of a router on the default router list.",
    ["nic", "name", "router"], router((r) => r.lifetimeLeft));
  mirrorGauge(reg, read, "persia_default_router_chosen", "1 for the default router in use, 0 for the others.",
    ["nic", "name", "router"], router((r) => (r.chosen ? 1 : 0)));
}

/** Block filters (issue #15): how many are active, and what block signals did. */
function filterMetrics(reg: Registry, read: () => Status): void {
  const one = (f: (x: NonNullable<Status["filters"]>) => number): Rows => (s) => s.filters === null ? [] : [[{}, f(s.filters)]];
  mirrorGauge(reg, read, "persia_block_filters", "Block filters active now (installed by signed block signals).", [], one((f) => f.active));
  mirrorCounter(reg, read, "persia_block_filters_installed_total", "Block filters installed.", [], one((f) => f.installed));
  mirrorCounter(reg, read, "persia_block_filters_expired_total", "Block filters that ran out.", [], one((f) => f.expired));
  mirrorCounter(reg, read, "persia_block_filters_removed_total", "Block filters removed by UNBLOCK.", [], one((f) => f.removed));
  mirrorCounter(reg, read, "persia_block_requests_refused_total", "BLOCK, UNBLOCK and RELAY requests refused.", [], one((f) => f.refused));
  mirrorCounter(reg, read, "persia_block_relays_sent_total", "Block requests passed on to sources' routers.", [], one((f) => f.relayed));
  mirrorCounter(reg, read, "persia_block_relays_accepted_total", "Block requests other routers passed on, taken here.", [], one((f) => f.relaysIn));
}

/** WireGuard peers (issue #13), labelled by NIC and the peer's public key. Never a private key. */
function wireguardMetrics(reg: Registry, read: () => Status): void {
  const labels = ["nic", "name", "peer"];
  const each = (f: (p: WgPeerStatus, s: Status) => number | null): Rows => (s) => s.wgPeers.flatMap((p): Row[] => {
    const v = f(p, s);
    return v === null ? [] : [[{ ...nicLabels(s, p.nic), peer: p.key }, v]];
  });
  mirrorGauge(reg, read, "persia_wireguard_peer_up", "1 if the peer has a session (packets flow), else 0.", labels,
    each((p) => (p.state === "UP" ? 1 : 0)));
  mirrorCounter(reg, read, "persia_wireguard_peer_rx_bytes_total", "Bytes received from the WireGuard peer.", labels, each((p) => p.rxBytes));
  mirrorCounter(reg, read, "persia_wireguard_peer_rx_packets_total", "Packets received from the WireGuard peer.", labels, each((p) => p.rxPackets));
  mirrorCounter(reg, read, "persia_wireguard_peer_tx_bytes_total", "Bytes sent to the WireGuard peer.", labels, each((p) => p.txBytes));
  mirrorCounter(reg, read, "persia_wireguard_peer_tx_packets_total", "Packets sent to the WireGuard peer.", labels, each((p) => p.txPackets));
  mirrorCounter(reg, read, "persia_wireguard_peer_handshakes_total", "Handshakes completed with the WireGuard peer.", labels,
    each((p) => p.handshakes));
  mirrorGauge(reg, read, "persia_wireguard_peer_last_handshake_age_seconds", "Seconds since the last completed handshake " +
    "with the peer, on the kernel's clock (absent: never).", labels,
  each((p, s) => (p.lastHandshakeMs === null || s.node === null ? null : Math.max(0, s.node.nowMs - p.lastHandshakeMs) / 1000)));
}

/** Address certificates (issue #15): how many the node issued and holds, by origin. */
function certMetrics(reg: Registry, read: () => Status): void {
  mirrorGauge(reg, read, "persia_certificates", "Address certificates the node issued (origin service or host) and holds " +
    "from upstream (origin node).", ["origin"], (s) => countBy(s.certificates, (c) => ({ origin: lower(c.origin) })));
  mirrorGauge(reg, read, "persia_certificate_expiry_seconds", "The earliest expiry (Unix time) among the node's certificates " +
    "of an origin: a renewal that stopped shows here.", ["origin"], (s) => {
    const first = new Map<string, number>();
    for (const c of s.certificates) first.set(lower(c.origin), Math.min(first.get(lower(c.origin)) ?? Infinity, c.notAfter));
    return [...first].map(([origin, t]): Row => [{ origin }, t]);
  });
}

/** USB devices (issue #16), labelled by device id and the domain of the service holding it. */
function usbMetrics(reg: Registry, read: () => Status): void {
  const labels = ["usb", "domain"];
  const each = (f: (u: NonNullable<Status["usb"]>[number]) => number): Rows => (s) => (s.usb ?? []).map((u): Row =>
    [{ usb: String(u.id), domain: u.holder === null ? "" : serviceName(s, u.holder) }, f(u)]);
  mirrorGauge(reg, read, "persia_usb_present", "1 if the USB device is attached and its descriptors were taken, else 0.", labels,
    each((u) => (u.present ? 1 : 0)));
  mirrorGauge(reg, read, "persia_usb_inflight", "USB transfers in flight (at the host, or completed and not yet read).", labels,
    each((u) => u.inflight));
  mirrorCounter(reg, read, "persia_usb_transfers_total", "USB transfers completed, any status.", labels, each((u) => u.transfers));
  mirrorCounter(reg, read, "persia_usb_transfer_errors_total", "USB transfers completed with an error status.", labels, each((u) => u.errors));
  mirrorCounter(reg, read, "persia_usb_late_completions_total", "Host completions for no USB transfer in flight (ignored).", labels,
    each((u) => u.late));
  mirrorCounter(reg, read, "persia_usb_attaches_refused_total", "USB attaches refused: descriptors that lie.", labels, each((u) => u.refused));
  mirrorCounter(reg, read, "persia_usb_plug_events_dropped_total", "USB ATTACH/DETACH events dropped from a full queue.", labels,
    each((u) => u.coalesced));
}

/** Registers every persia_* metric in `registry`; each reads `read()` when it is collected. */
export function statusMetrics(read: () => Status, registry = new Registry()): Registry {
  nodeMetrics(registry, read);
  nicMetrics(registry, read);
  serviceMetrics(registry, read);
  egressMetrics(registry, read);
  clientMetrics(registry, read);
  wireguardMetrics(registry, read);
  filterMetrics(registry, read);
  certMetrics(registry, read);
  usbMetrics(registry, read);
  return registry;
}

/** The Prometheus text format's Content-Type (version 0.0.4). */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** One status as Prometheus text. */
export function metricsText(s: Status): Promise<string> {
  return statusMetrics(() => s).metrics();
}
