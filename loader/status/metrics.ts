// Prints a decoded status (status.ts) in the Prometheus text exposition format (version
// 0.0.4): every counter of the snapshot as a persia_* metric with labels, so a monitoring
// system can scrape a node through its status socket.
// Does not serve HTTP itself; status_server.ts answers `GET /metrics` with this text.
import type { Status } from "./decode";

type Labels = Record<string, string | number>;
type Sample = [Labels, number];

/** Label values escape backslash, double quote and newline (exposition format). */
function escape(value: string | number): string {
  return String(value).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function sampleLine(name: string, [labels, value]: Sample): string {
  const keys = Object.keys(labels);
  const set = keys.length === 0 ? "" : `{${keys.map((k) => `${k}="${escape(labels[k])}"`).join(",")}}`;
  return `${name}${set} ${value}`;
}

class Exposition {
  private readonly lines: string[] = [];

  add(name: string, type: "counter" | "gauge", help: string, samples: Sample[]): void {
    if (samples.length === 0) return;
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const s of samples) this.lines.push(sampleLine(name, s));
  }

  text(): string {
    return this.lines.join("\n") + "\n";
  }
}

function nodeMetrics(m: Exposition, s: Status): void {
  const n = s.node;
  if (n === null) return;
  m.add("persia_kernel_time_ms", "gauge", "Kernel time in milliseconds.", [[{ role: n.role }, n.nowMs]]);
  m.add("persia_free_buffers", "gauge", "Free packet buffers in the kernel's pool.", [[{}, n.freeBuffers]]);
  m.add("persia_routes", "gauge", "Routes in the kernel's table.", [[{}, n.routes]]);
  m.add("persia_neighbors", "gauge", "Neighbor cache entries.", [[{}, s.neighbors.length]]);
  m.add("persia_icmp_errors_sent_total", "counter", "ICMPv6 error messages sent.", [[{}, n.icmpErrorsSent]]);
  m.add("persia_control_messages_total", "counter", "Signed control messages, by what the kernel did with them.",
    [[{ result: "accepted" }, n.controlAccepted], [{ result: "refused" }, n.controlRefused]]);
}

function nicMetrics(m: Exposition, s: Status): void {
  const nic = (n: Status["nics"][number]): Labels => ({ nic: n.id, kind: n.kind });
  const each = (f: (n: Status["nics"][number]) => number): Sample[] => s.nics.map((n) => [nic(n), f(n)]);
  m.add("persia_nic_rx_frames_total", "counter", "Frames received by the kernel per NIC.", each((n) => n.rxFrames));
  m.add("persia_nic_rx_bytes_total", "counter", "Bytes received by the kernel per NIC.", each((n) => n.rxBytes));
  m.add("persia_nic_tx_frames_total", "counter", "Frames sent per NIC.", each((n) => n.txFrames));
  m.add("persia_nic_tx_bytes_total", "counter", "Bytes sent per NIC.", each((n) => n.txBytes));
  m.add("persia_nic_send_errors_total", "counter", "Frames the host failed to send per NIC.", each((n) => n.txErrors));
  m.add("persia_nic_router_advertisements_total", "counter", "Router advertisements sent per NIC.", each((n) => n.raSent));
  m.add("persia_nic_tx_queue", "gauge", "Frames waiting in the NIC's egress queue.", each((n) => n.txQueue));
}

function serviceMetrics(m: Exposition, s: Status): void {
  type Svc = Status["services"][number];
  const each = (f: (v: Svc) => number): Sample[] => s.services.map((v) => [{ service: v.name, id: v.id }, f(v)]);
  m.add("persia_service_up", "gauge", "1 if the service is running.", each((v) => (v.state === "RUNNING" ? 1 : 0)));
  m.add("persia_service_restarts_total", "counter", "Restarts after faults.", each((v) => v.restarts));
  m.add("persia_service_faults_total", "counter", "Faults (traps, stack, memory, fuel).", each((v) => v.faults));
  m.add("persia_service_fuel_total", "counter", "Fuel units the service's calls consumed.", each((v) => v.fuel));
  m.add("persia_service_ram_bytes", "gauge", "Bytes of memory the service has now.",
    s.services.filter((v) => v.ramPages !== undefined).map((v) => [{ service: v.name, id: v.id }, v.ramPages! * 65536]));
  const cls = (c: Status["classes"][number]): Labels => ({
    nic: c.nic, class: typeof c.class === "number" ? s.services.find((v) => v.id === c.class)?.name ?? String(c.class) : c.class,
  });
  m.add("persia_egress_bytes_total", "counter", "Bytes sent per NIC egress class.", s.classes.map((c) => [cls(c), c.bytes]));
  m.add("persia_egress_drops_total", "counter", "Frames dropped at a full egress class queue.", s.classes.map((c) => [cls(c), c.drops]));
  m.add("persia_egress_max_bits", "gauge", "Egress class max rate, bit/s (0: unlimited).", s.classes.map((c) => [cls(c), c.maxBits]));
  m.add("persia_service_queue", "gauge", "Packets waiting in the service's receive queue.", each((v) => v.queue));
  m.add("persia_service_rx_packets_total", "counter", "Packets delivered to the service.", each((v) => v.rxPackets));
  m.add("persia_service_tx_packets_total", "counter", "Packets the service sent.", each((v) => v.txPackets));
  m.add("persia_service_send_refused_total", "counter", "Sends the kernel refused.", each((v) => v.sendRefused));
}

/** The whole status as Prometheus text. */
export function metricsText(s: Status): string {
  const m = new Exposition();
  nodeMetrics(m, s);
  m.add("persia_drops_total", "counter", "Packets dropped by the kernel, by reason (abi/drop.ts).",
    Object.entries(s.drops).map(([reason, n]) => [{ reason }, n]));
  nicMetrics(m, s);
  serviceMetrics(m, s);
  const host: Sample[] = (s.host?.nics ?? []).flatMap((n) =>
    Object.entries(n.counters).map(([event, v]): Sample => [{ nic: n.id, backend: n.backend, event }, v]));
  m.add("persia_host_nic_events_total", "counter", "Host NIC backend counters, before the kernel.", host);
  return m.text();
}
