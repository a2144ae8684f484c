// A capture as one pcapng section (pcapng.ts), for `persia capture`: an Ethernet interface
// per NIC and a raw IPv6 interface per service, named as the manifest names them, all
// written before the first packet; a "kernel" IPv6 interface (packets dropped inside the
// node that no service sent or was to get) and one per service the header did not name,
// written when their first packet comes. Each record is an Enhanced Packet Block with its
// direction as the kernel sees it (received from a NIC or from a service: inbound; sent to
// either: outbound) and, for a drop, the comment "dropped: REASON (what it means)".
// Records the host lost (it never waits for a slow reader) are counted per interface and
// end the file as that interface's Interface Statistics Block (isb_ifdrop and a comment,
// which Wireshark shows), and the next packet written says how many were lost before it
// in a comment (which `tshark -z expert` shows too).
// Bounded: takes no more records after `count`, nor one that would take the file past
// `maxBytes` (room for the closing blocks is kept). Does not read files or filter records.
import { CapturePoint } from "../../abi/capture";
import { Drop } from "../../abi/drop";
import { DROP_TEXT } from "../../abi/describe";
import { CaptureHeader, Captured, ifaceKey } from "./record";
import { Direction, LINKTYPE_ETHERNET, LINKTYPE_IPV6, enhancedPacket, interfaceDescription, interfaceStatistics, sectionHeader } from "./pcapng";

/** The room an interface's closing statistics block may take. */
const ISB_ROOM = 192;
const LOST_WHY = "the capture client read too slowly (the node never waits for it)";

export type StopReason = "count" | "max-size";

interface Iface { id: number; lost: number }

const DIRECTION: Record<CapturePoint, Direction> = {
  [CapturePoint.RX]: Direction.INBOUND,
  [CapturePoint.SEND]: Direction.INBOUND,
  [CapturePoint.TX]: Direction.OUTBOUND,
  [CapturePoint.DELIVER]: Direction.OUTBOUND,
  [CapturePoint.DROP_FRAME]: Direction.UNKNOWN,
  [CapturePoint.DROP_PACKET]: Direction.UNKNOWN,
  [CapturePoint.COUNT]: Direction.UNKNOWN,
};

/** "dropped: NO_ROUTE (no route to destination)" */
export function dropComment(reason: number): string {
  const name = Drop[reason as Drop];
  return name === undefined || reason === Drop.COUNT ? `dropped: reason ${reason}` : `dropped: ${name} (${DROP_TEXT[reason as Drop]})`;
}

export class CaptureFile {
  /** Packets written, records the host lost, and the file's size so far. */
  written = 0;
  lost = 0;
  bytes = 0;
  /** Why it takes no more records, once a limit is reached. */
  stopped: StopReason | null = null;
  private readonly ifaces = new Map<string, Iface>();
  private lostUnsaid = 0;   // lost since the last packet written
  private readonly nics: Map<number, string>;
  private readonly layer3: Set<number>;
  private readonly services: Map<number, string>;

  constructor(private readonly sink: (bytes: Uint8Array) => void, header: CaptureHeader,
    private readonly limits: { count?: number; maxBytes: number }, private readonly startUs: bigint) {
    this.nics = new Map(header.nics.map((n) => [n.id, n.name]));
    this.layer3 = new Set(header.nics.filter((n) => n.layer3).map((n) => n.id));
    this.services = new Map(header.services.map((s) => [s.id, s.name]));
    this.put(sectionHeader("persia capture", `PersiaOS node ${header.node}: what its kernel received, sent, delivered and dropped`));
    for (const n of [...this.nics.keys()].sort((a, b) => a - b)) this.iface(`n${n}`);
    for (const s of [...this.services.keys()].sort((a, b) => a - b)) this.iface(`s${s}`);
  }

  /** Takes one record: a packet is written unless a limit says stop; a lost count is kept
   *  for the end. */
  add(r: Captured): void {
    const key = ifaceKey(r);
    if (r.kind === "lost") {
      this.lost += r.count;
      this.lostUnsaid += r.count;
      const known = this.ifaces.get(key);
      if (known) known.lost += r.count;
      else if (this.stopped === null && this.room(this.describe(key).length)) this.iface(key).lost += r.count;
      return;
    }
    if (this.stopped !== null) return;
    if (this.limits.count !== undefined && this.written >= this.limits.count) { this.stopped = "count"; return; }
    const idb = this.ifaces.has(key) ? 0 : this.describe(key).length;
    const comments: string[] = [];
    if (r.point === CapturePoint.DROP_FRAME || r.point === CapturePoint.DROP_PACKET) comments.push(dropComment(r.reason));
    if (this.lostUnsaid > 0) comments.push(`${this.lostUnsaid} capture record(s) lost before this packet: ${LOST_WHY}`);
    const epb = (id: number) => enhancedPacket(id, r.us, r.bytes, DIRECTION[r.point], comments);
    if (!this.room(idb + epb(0).length)) { this.stopped = "max-size"; return; }
    this.put(epb(this.iface(key).id));
    this.written++;
    this.lostUnsaid = 0;
    if (this.limits.count !== undefined && this.written >= this.limits.count) this.stopped = "count";
  }

  /** Ends the file: one statistics block per interface, with what the host lost of it. */
  close(endUs: bigint): void {
    for (const i of this.ifaces.values()) {
      const comment = i.lost > 0 ? `${i.lost} capture record(s) of this interface lost: ${LOST_WHY}` : undefined;
      this.put(interfaceStatistics(i.id, { start: this.startUs, end: endUs, dropped: BigInt(i.lost), comment }));
    }
  }

  /** Is there room for n more bytes, and the closing blocks of one more interface? */
  private room(n: number): boolean {
    return this.bytes + n + ISB_ROOM * (this.ifaces.size + 1) <= this.limits.maxBytes;
  }

  private put(b: Uint8Array): void {
    this.sink(b);
    this.bytes += b.length;
  }

  /** The interface of a key ("n0" NIC 0, "s3" service 3, "k" the kernel), written first
   *  if it is new. */
  private iface(key: string): Iface {
    let i = this.ifaces.get(key);
    if (i === undefined) {
      i = { id: this.ifaces.size, lost: 0 };
      this.put(this.describe(key));
      this.ifaces.set(key, i);
    }
    return i;
  }

  private describe(key: string): Uint8Array {
    const id = Number(key.slice(1));
    if (key === "k") return interfaceDescription(LINKTYPE_IPV6, "kernel", "IPv6 packets dropped inside the node, neither from nor for a service");
    if (key[0] === "n" && this.layer3.has(id)) {
      return interfaceDescription(LINKTYPE_IPV6, this.nics.get(id) ?? `nic${id}`, `NIC ${id}: IPv6 packets inside its WireGuard tunnel (decrypted, as sent or received)`);
    }
    if (key[0] === "n") return interfaceDescription(LINKTYPE_ETHERNET, this.nics.get(id) ?? `nic${id}`, `NIC ${id}: Ethernet frames`);
    return interfaceDescription(LINKTYPE_IPV6, this.services.get(id) ?? `service ${id}`, `service ${id}: IPv6 packets to and from it`);
  }
}
