// The pcapng blocks a capture file is made of, each encoded whole, exactly as
// draft-ietf-opsawg-pcapng (version 1.0 of the format) lays them out, little-endian:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +---------------------------------------------------------------+
//   |                          Block Type                           |
//   +---------------------------------------------------------------+
//   |                      Block Total Length                       |
//   +---------------------------------------------------------------+
//   /                          Block Body                           /   padded to 32 bits
//   +---------------------------------------------------------------+
//   |                      Block Total Length                       |
//   +---------------------------------------------------------------+
//
// Options (§3.5) follow a block's fixed body: code u16, length u16, the value padded to 32
// bits; a list that has any ends with opt_endofopt (code 0, length 0).
// Only the blocks `persia capture` writes: the Section Header (§4.1), Interface Description
// (§4.2), Enhanced Packet (§4.3) and Interface Statistics (§4.6) blocks. Does not read
// pcapng, and knows nothing of the kernel's records (file.ts maps them to these blocks).

export const BT_SHB = 0x0a0d0d0a;        // §4.1
export const BT_IDB = 0x00000001;        // §4.2
export const BT_ISB = 0x00000005;        // §4.6
export const BT_EPB = 0x00000006;        // §4.3
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

// Link types (the tcpdump.org LINKTYPE_ registry): an Ethernet frame, or a bare IPv6
// packet (decoded as IPv6 whatever its first nibble says, so a malformed version stays
// visible as such).
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_IPV6 = 229;

// Option codes.
export const OPT_ENDOFOPT = 0;
export const OPT_COMMENT = 1;            // any block: UTF-8 text
export const SHB_USERAPPL = 4;           // the application that wrote the section
export const IF_NAME = 2;                // the interface's name
export const IF_DESCRIPTION = 3;
export const IF_TSRESOL = 9;             // one byte: 6 means timestamps are in µs (10^-6 s)
export const EPB_FLAGS = 2;              // u32; bits 0-1 the direction
export const ISB_STARTTIME = 2;          // u64 timestamp, as a block's (high 32 bits first)
export const ISB_ENDTIME = 3;
export const ISB_IFDROP = 5;             // u64 packets dropped for lack of resources

/** epb_flags bits 0-1 (§4.3.1). */
export enum Direction { UNKNOWN = 0, INBOUND = 1, OUTBOUND = 2 }

const TSRESOL_US = 6;

export type Option = [code: number, value: Uint8Array];

const pad4 = (n: number) => (n + 3) & ~3;
const utf8 = (s: string) => new TextEncoder().encode(s);

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}

function u64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
}

/** A timestamp in µs as pcapng stores it: the high 32 bits, then the low 32 bits. */
function stamp(us: bigint): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint32(0, Number(us >> 32n), true);
  v.setUint32(4, Number(us & 0xffffffffn), true);
  return b;
}

/** An options list: each option padded to 32 bits, then opt_endofopt; empty if none. */
export function options(list: Option[]): Uint8Array {
  if (list.length === 0) return new Uint8Array(0);
  const out = new Uint8Array(list.reduce((n, [, v]) => n + 4 + pad4(v.length), 4));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const [code, value] of list) {
    if (value.length > 0xffff) throw new RangeError(`pcapng option ${code} has ${value.length} bytes, more than 65535`);
    view.setUint16(at, code, true);
    view.setUint16(at + 2, value.length, true);
    out.set(value, at + 4);
    at += 4 + pad4(value.length);
  }
  return out;   // the last 4 bytes are already opt_endofopt (0, 0)
}

/** A whole block: type, total length, the body parts (each padded to 32 bits), total length. */
export function block(type: number, parts: Uint8Array[]): Uint8Array {
  const total = 12 + parts.reduce((n, p) => n + pad4(p.length), 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, type, true);
  view.setUint32(4, total, true);
  let at = 8;
  for (const p of parts) {
    out.set(p, at);
    at += pad4(p.length);
  }
  view.setUint32(total - 4, total, true);
  return out;
}

/** Section Header Block: version 1.0, section length unknown (-1). */
export function sectionHeader(app: string, comment?: string): Uint8Array {
  const fixed = new Uint8Array(16);
  const v = new DataView(fixed.buffer);
  v.setUint32(0, BYTE_ORDER_MAGIC, true);
  v.setUint16(4, 1, true);
  v.setUint16(6, 0, true);
  v.setBigInt64(8, -1n, true);
  const opts: Option[] = [[SHB_USERAPPL, utf8(app)]];
  if (comment) opts.push([OPT_COMMENT, utf8(comment)]);
  return block(BT_SHB, [fixed, options(opts)]);
}

/** Interface Description Block: a link type, no snap length limit (0), its name, and
 *  timestamps in µs. */
export function interfaceDescription(linkType: number, name: string, description?: string): Uint8Array {
  const fixed = new Uint8Array(8);
  const v = new DataView(fixed.buffer);
  v.setUint16(0, linkType, true);
  v.setUint32(4, 0, true);
  const opts: Option[] = [[IF_NAME, utf8(name)]];
  if (description) opts.push([IF_DESCRIPTION, utf8(description)]);
  opts.push([IF_TSRESOL, Uint8Array.of(TSRESOL_US)]);
  return block(BT_IDB, [fixed, options(opts)]);
}

/** Enhanced Packet Block: the whole packet (captured length = original length), its
 *  direction, and its comments (opt_comment may repeat). */
export function enhancedPacket(iface: number, us: bigint, data: Uint8Array, dir: Direction, comments: string[] = []): Uint8Array {
  const fixed = new Uint8Array(20);
  fixed.set(u32(iface), 0);
  fixed.set(stamp(us), 4);
  fixed.set(u32(data.length), 12);
  fixed.set(u32(data.length), 16);
  const opts: Option[] = comments.map((c): Option => [OPT_COMMENT, utf8(c)]);
  if (dir !== Direction.UNKNOWN) opts.push([EPB_FLAGS, u32(dir)]);
  return block(BT_EPB, [fixed, data, options(opts)]);
}

/** Interface Statistics Block at `end`: when capturing started and ended, the packets
 *  lost (isb_ifdrop), and a comment. */
export function interfaceStatistics(iface: number, s: { start: bigint; end: bigint; dropped: bigint; comment?: string }): Uint8Array {
  const fixed = new Uint8Array(12);
  fixed.set(u32(iface), 0);
  fixed.set(stamp(s.end), 4);
  const opts: Option[] = [];
  if (s.comment) opts.push([OPT_COMMENT, utf8(s.comment)]);
  opts.push([ISB_STARTTIME, stamp(s.start)], [ISB_ENDTIME, stamp(s.end)], [ISB_IFDROP, u64(s.dropped)]);
  return block(BT_ISB, [fixed, options(opts)]);
}
