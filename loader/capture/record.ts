// Capture records between a host and `persia capture` (abi/capture.ts): the binary records
// a Node host streams over its status socket (encoded here for hosts/node/capture.ts,
// decoded from a byte stream for cli/capture.ts), the text lines a wasmtime image prints
// (abi/image.ts IMG_CAPTURE_PREFIX), and the filter both apply. Every record carries the
// kernel's capture() arguments and the host's time of the call.
// Does not write pcapng (file.ts) and does not talk to a node.
import {
  CapturePoint, CaptureRecord, CAPTURE_NONE, CAP_REC_HEADER, CAP_REC_KIND, CAP_REC_LEN, CAP_REC_LOST, CAP_REC_NIC,
  CAP_REC_POINT, CAP_REC_REASON, CAP_REC_SVC, CAP_REC_TIME,
} from "../../abi/capture";
import { IMG_CAPTURE_PREFIX } from "../../abi/image";

/** One capture() call of the kernel, time-stamped by its host. */
export interface Packet {
  kind: "packet";
  point: CapturePoint;
  nic: number;        // CAPTURE_NONE when it has none
  svc: number;
  reason: number;     // a Drop for DROP_FRAME and DROP_PACKET, else CAPTURE_NONE
  us: bigint;         // µs since the Unix epoch
  bytes: Uint8Array;
}

/** Records of one interface (named by point, nic and svc) the host left out. */
export interface Lost {
  kind: "lost";
  point: CapturePoint;
  nic: number;
  svc: number;
  count: number;
  us: bigint;
}

export type Captured = Packet | Lost;

/** What a capture stream says before its records: the node, and its NICs and services
 *  by id (services loaded later appear in records only). */
export interface CaptureHeader {
  node: string;
  /** layer3: a NIC without link headers (WireGuard): its records are bare IPv6 packets. */
  nics: { id: number; name: string; layer3?: boolean }[];
  services: { id: number; name: string }[];
}

/** What a capture keeps: records naming this NIC and this service (undefined: any). */
export interface Filter { nic?: number; svc?: number }

export function passes(f: Filter, r: { nic: number; svc: number }): boolean {
  return (f.nic === undefined || r.nic === f.nic) && (f.svc === undefined || r.svc === f.svc);
}

/** Are a point's bytes an Ethernet frame (else a bare IPv6 packet)? */
export function isFrame(point: CapturePoint): boolean {
  return point === CapturePoint.RX || point === CapturePoint.TX || point === CapturePoint.DROP_FRAME;
}

/** The pcapng interface a record belongs to: its NIC's ("n<id>") for a frame, else its
 *  service's ("s<id>"), else the kernel's ("k"). The file and the host's lost counts use it. */
export function ifaceKey(r: { point: CapturePoint; nic: number; svc: number }): string {
  return isFrame(r.point) ? `n${r.nic}` : r.svc >= 0 ? `s${r.svc}` : "k";
}

function header(kind: CaptureRecord, r: { point: number; nic: number; svc: number }, reason: number, lost: number, us: bigint, len: number): Uint8Array {
  const out = new Uint8Array(CAP_REC_HEADER + len);
  const v = new DataView(out.buffer);
  v.setUint32(CAP_REC_LEN, out.length, true);
  v.setUint8(CAP_REC_KIND, kind);
  v.setUint8(CAP_REC_POINT, r.point);
  v.setInt16(CAP_REC_REASON, reason, true);
  v.setInt16(CAP_REC_NIC, r.nic, true);
  v.setInt16(CAP_REC_SVC, r.svc, true);
  v.setUint32(CAP_REC_LOST, lost, true);
  v.setBigUint64(CAP_REC_TIME, us, true);
  return out;
}

/** A PACKET record for the stream: header and a copy of the bytes. */
export function encodePacket(point: number, nic: number, svc: number, reason: number, us: bigint, bytes: Uint8Array): Uint8Array {
  const out = header(CaptureRecord.PACKET, { point, nic, svc }, reason, 0, us, bytes.length);
  out.set(bytes, CAP_REC_HEADER);
  return out;
}

export function encodeLost(l: Omit<Lost, "kind">): Uint8Array {
  return header(CaptureRecord.LOST, l, CAPTURE_NONE, l.count, l.us, 0);
}

/** Splits a byte stream into records, whatever the chunks' boundaries. Throws on a
 *  record shorter than its header or of an unknown kind (not a capture stream). */
export class RecordReader {
  private pending = new Uint8Array(0);

  push(chunk: Uint8Array): Captured[] {
    const buf = this.pending.length === 0 ? chunk : concat(this.pending, chunk);
    const out: Captured[] = [];
    let at = 0;
    while (buf.length - at >= CAP_REC_HEADER) {
      const v = new DataView(buf.buffer, buf.byteOffset + at);
      const len = v.getUint32(CAP_REC_LEN, true);
      if (len < CAP_REC_HEADER) throw new Error(`a capture record of ${len} bytes, shorter than its ${CAP_REC_HEADER}-byte header`);
      if (buf.length - at < len) break;
      const kind = v.getUint8(CAP_REC_KIND);
      const base = {
        point: v.getUint8(CAP_REC_POINT) as CapturePoint, nic: v.getInt16(CAP_REC_NIC, true), svc: v.getInt16(CAP_REC_SVC, true),
        us: v.getBigUint64(CAP_REC_TIME, true),
      };
      if (kind === CaptureRecord.PACKET) {
        out.push({ kind: "packet", ...base, reason: v.getInt16(CAP_REC_REASON, true), bytes: buf.slice(at + CAP_REC_HEADER, at + len) });
      } else if (kind === CaptureRecord.LOST) {
        out.push({ kind: "lost", ...base, count: v.getUint32(CAP_REC_LOST, true) });
      } else {
        throw new Error(`a capture record of unknown kind ${kind}`);
      }
      at += len;
    }
    this.pending = buf.slice(at);
    return out;
  }

  /** Bytes of a record not yet whole. */
  get partial(): number {
    return this.pending.length;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

const INT = /^-?\d+$/;

/** A capture line of a wasmtime image's output ("capture <µs> <point> <nic> <svc>
 *  <reason> <base64 bytes>"), or null for any other line; throws on a capture line that
 *  does not parse (a damaged file). */
export function parseImageLine(line: string): Packet | null {
  if (!line.startsWith(IMG_CAPTURE_PREFIX)) return null;
  const f = line.slice(IMG_CAPTURE_PREFIX.length).trim().split(" ");
  if (f.length < 5 || f.length > 6 || !f.slice(0, 5).every((x) => INT.test(x)) || !/^[A-Za-z0-9+/]*=*$/.test(f[5] ?? "")) {
    throw new Error(`not a capture line: "${line.slice(0, 80)}"`);
  }
  const point = Number(f[1]);
  if (point < 0 || point >= CapturePoint.COUNT) throw new Error(`a capture line with unknown point ${point}: "${line.slice(0, 80)}"`);
  return {
    kind: "packet", us: BigInt(f[0]), point, nic: Number(f[2]), svc: Number(f[3]), reason: Number(f[4]),
    bytes: new Uint8Array(Buffer.from(f[5] ?? "", "base64")),
  };
}
