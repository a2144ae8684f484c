// Packet capture on the Node host (spec/hosts.md, "Packet capture"): the kernel's capture
// import lands in CaptureTap.record, which stamps the record with the host's clock (µs
// since the Unix epoch) and hands it to every subscriber whose filter it passes. The
// kernel captures while at least one subscriber is there and stops when the last leaves;
// it filters too (k_capture), by the one subscriber's NIC and service, or by what all
// subscribers share. Nothing here waits: a subscriber must take a record at once or lose it.
// captureStream serves the status socket's `capture <json>` request with this.
// Used by node.ts (PersiaNode.capture) and status_server.ts.
import type { Socket } from "net";
import { CAPTURE_ALL, CAPTURE_NONE, CapturePoint } from "../../abi/capture";
import { CaptureHeader, Filter, Packet, encodeLost, encodePacket, ifaceKey, passes } from "../../loader/capture/record";

/** Bytes a capture client may leave unread on its socket before records are lost. */
export const CAPTURE_BACKLOG = 4 << 20;
/** Capture clients at once: each costs the kernel's loop a copy of every record it takes. */
export const CAPTURE_CLIENTS = 8;

export type Subscriber = (p: Packet) => void;

/** µs since the Unix epoch, from the host's monotonic clock. */
export function nowUs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
}

export class CaptureTap {
  private readonly subs = new Map<number, { filter: Filter; fn: Subscriber; end: () => void }>();
  private next = 0;

  /** `set` is the kernel's k_capture. */
  constructor(private readonly set: (mask: number, nic: number, svc: number) => number) {}

  get active(): number {
    return this.subs.size;
  }

  /** Calls fn with every record that passes filter until the returned function is called,
   *  or end() when the node stops. */
  subscribe(filter: Filter, fn: Subscriber, end: () => void = () => {}): () => void {
    const id = this.next++;
    this.subs.set(id, { filter, fn, end });
    this.update();
    return () => {
      if (this.subs.delete(id)) this.update();
    };
  }

  /** Whether one more subscriber may come (CAPTURE_CLIENTS). */
  get full(): boolean {
    return this.subs.size >= CAPTURE_CLIENTS;
  }

  /** The node stops: every subscriber is told, and none is left. */
  close(): void {
    const ends = [...this.subs.values()].map((s) => s.end);
    this.subs.clear();
    for (const end of ends) end();
  }

  /** The kernel's capture(point, nic, svc, reason, ptr, len), with its bytes (valid only
   *  during the call: a subscriber copies what it keeps). */
  record(point: CapturePoint, nic: number, svc: number, reason: number, bytes: Uint8Array): void {
    if (this.subs.size === 0) return;
    const p: Packet = { kind: "packet", point, nic, svc, reason, us: nowUs(), bytes };
    for (const s of this.subs.values()) if (passes(s.filter, p)) s.fn(p);
  }

  /** k_capture for the subscribers there are: off, or every point for the NIC and service
   *  they all name (any, where they differ). */
  private update(): void {
    const all = [...this.subs.values()].map((s) => s.filter);
    const same = (k: keyof Filter) => all.every((f) => f[k] !== undefined && f[k] === all[0][k]) ? all[0][k]! : CAPTURE_NONE;
    const r = all.length === 0 ? this.set(0, CAPTURE_NONE, CAPTURE_NONE) : this.set(CAPTURE_ALL, same("nic"), same("svc"));
    // The ids were checked against the node's names; a refusal is a host bug. It must not
    // throw out of a socket callback into the node: capture everything, the host filters.
    if (r !== 0 && all.length > 0) this.set(CAPTURE_ALL, CAPTURE_NONE, CAPTURE_NONE);
  }
}

/** `capture <json>` on the status socket: {"nic": name, "service": domain} (both optional).
 *  Answers one JSON line — the stream's header, or {"error": why} and closes — then the
 *  binary records (abi/capture.ts) until the client closes its side or the node stops; then
 *  the last lost count, and the server closes too. Records that would go past CAPTURE_BACKLOG unread
 *  bytes are lost and counted, per interface, in LOST records sent once the socket drains. */
export function captureStream(socket: Socket, request: string, tap: CaptureTap, names: () => CaptureHeader): void {
  const header = names();
  let filter: Filter;
  try {
    if (tap.full) throw new Error(`${header.node} already streams ${CAPTURE_CLIENTS} captures, its most at once; end one and ask again`);
    filter = parseFilter(request, header);
  } catch (e) {
    socket.end(JSON.stringify({ error: e instanceof Error ? e.message : String(e) }) + "\n");
    return;
  }
  socket.write(JSON.stringify({ capture: header }) + "\n");
  const lost = new Map<string, { point: number; nic: number; svc: number; count: number }>();
  const flushLost = () => {
    for (const l of lost.values()) socket.write(encodeLost({ ...l, us: nowUs() }));
    lost.clear();
  };
  const stop = tap.subscribe(filter, (p) => {
    if (socket.writableLength > CAPTURE_BACKLOG || lost.size > 0) {
      const key = ifaceKey(p);
      const l = lost.get(key) ?? { point: p.point, nic: p.nic, svc: p.svc, count: 0 };
      l.count++;
      lost.set(key, l);
      return;
    }
    socket.write(encodePacket(p.point, p.nic, p.svc, p.reason, p.us, p.bytes));
  }, () => { flushLost(); socket.end(); });
  socket.on("drain", flushLost);
  socket.on("end", () => { stop(); flushLost(); socket.end(); });
  socket.on("close", stop);
  socket.on("error", stop);
}

/** The request's filter, names resolved to ids; throws naming the valid ones. */
function parseFilter(request: string, h: CaptureHeader): Filter {
  let q: unknown;
  try {
    q = request.trim() === "" ? {} : JSON.parse(request);
  } catch {
    throw new Error(`a capture request is "capture" and a JSON object, e.g. capture {"nic":"lan0"}; not ${JSON.stringify(request.slice(0, 80))}`);
  }
  if (typeof q !== "object" || q === null || Array.isArray(q)) throw new Error("a capture filter is a JSON object: {\"nic\": name, \"service\": domain}");
  const o = q as { nic?: unknown; service?: unknown };
  for (const k of Object.keys(o)) if (k !== "nic" && k !== "service") throw new Error(`unknown capture filter "${k}"; filter by nic or service`);
  const f: Filter = {};
  if (o.nic !== undefined) {
    const n = h.nics.find((x) => x.name === o.nic);
    if (!n) throw new Error(`${JSON.stringify(o.nic)} is not a NIC of ${h.node}; its NICs are ${h.nics.map((x) => x.name).join(", ") || "none"}`);
    f.nic = n.id;
  }
  if (o.service !== undefined) {
    const s = h.services.find((x) => x.name === o.service);
    if (!s) throw new Error(`${JSON.stringify(o.service)} is not a service of ${h.node}; its services are ${h.services.map((x) => x.name).join(", ") || "none"}`);
    f.svc = s.id;
  }
  return f;
}
