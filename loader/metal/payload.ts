// The payload of a metal image (abi/metal.ts, spec/metal.md "The payload"): a header with
// the kernel's SHA-256, a table of sections, and each section's bytes at a multiple of
// MTL_ALIGN from the payload's first byte, so the host may run precompiled code in place.
// encodePayload writes it for `persia image --target metal` (loader/metal/image.ts);
// decodePayload reads it back, checking every offset, for tests and for `persia` tools.
// Also the three fixed bodies (NIC, DISK, SLOT). Deliberately no knowledge of what a
// section means beyond its body layout: image.ts decides which sections an image holds.
import {
  MTL_ALIGN, MTL_BY_MAC, MTL_COUNT, MTL_DISK_BODY, MTL_DISK_PCI_INDEX, MTL_DISK_SIZE, MTL_HEADER,
  MTL_KERNEL_SHA256, MTL_MAGIC, MTL_NIC_MAC, MTL_NIC_PCI_INDEX, MTL_NIC_SIZE, MTL_SEC_ID, MTL_SEC_KIND,
  MTL_SEC_LENGTH, MTL_SEC_OFFSET, MTL_SEC_SIZE, MTL_SLOT_DECLARED_MAX, MTL_SLOT_FLAGS, MTL_SLOT_MEM_MIN,
  MTL_SLOT_MODULE, MTL_SLOT_RAM_MAX, MTL_SLOT_SHA256, MTL_SLOT_SIZE, MTL_TOTAL, MTL_VERSION, MtlSection,
  MTL_USB_MATCH, MTL_USB_NAME, MTL_USB_NAME_MAX, MTL_USB_PATH, MTL_USB_PATH_MAX, MTL_USB_PRODUCT, MTL_USB_SERIAL, MTL_USB_SERIAL_LEN,
  MTL_USB_SERIAL_MAX, MTL_USB_VENDOR, MtlUsbMatch,
} from "../../abi/metal";

const SHA256_BYTES = 32;
const MAC_BYTES = 6;

export interface PayloadSection { kind: MtlSection; id: number; bytes: Uint8Array; }
export interface Payload { kernelSha256: Uint8Array; sections: PayloadSection[]; }

/** A payload that does not read back: what is wrong, at which byte. */
export class PayloadError extends Error {
  constructor(message: string) {
    super(`metal payload: ${message}`);
    this.name = "PayloadError";
  }
}

export const alignUp = (n: number, to: number) => Math.ceil(n / to) * to;

/** The payload's bytes: header, section table, then each section at the next MTL_ALIGN
 *  boundary, in the order given. Its length is the end of the last section. */
export function encodePayload(p: Payload): Uint8Array {
  if (p.kernelSha256.length !== SHA256_BYTES) throw new Error(`a kernel SHA-256 has ${SHA256_BYTES} bytes, not ${p.kernelSha256.length}`);
  let at = alignUp(MTL_HEADER + p.sections.length * MTL_SEC_SIZE, MTL_ALIGN);
  const offsets = p.sections.map((s) => {
    const here = at;
    at = alignUp(here + s.bytes.length, MTL_ALIGN);
    return here;
  });
  const total = p.sections.length === 0 ? MTL_HEADER : offsets[offsets.length - 1] + p.sections[p.sections.length - 1].bytes.length;
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, MTL_MAGIC, true);
  v.setUint32(4, MTL_VERSION, true);
  v.setUint32(MTL_TOTAL, total, true);
  v.setUint32(MTL_COUNT, p.sections.length, true);
  out.set(p.kernelSha256, MTL_KERNEL_SHA256);
  p.sections.forEach((s, i) => {
    const e = MTL_HEADER + i * MTL_SEC_SIZE;
    v.setUint32(e + MTL_SEC_KIND, s.kind, true);
    v.setUint32(e + MTL_SEC_ID, s.id, true);
    v.setUint32(e + MTL_SEC_OFFSET, offsets[i], true);
    v.setUint32(e + MTL_SEC_LENGTH, s.bytes.length, true);
    out.set(s.bytes, offsets[i]);
  });
  return out;
}

/** Reads a payload back (bytes may run on past its total), checking what the metal host
 *  checks at boot: magic, version, total within the bytes, the table within the header's
 *  room, every section aligned, inside the total, after the table and not overlapping
 *  another. Throws PayloadError naming the fault. */
export function decodePayload(bytes: Uint8Array): Payload {
  if (bytes.length < MTL_HEADER) throw new PayloadError(`${bytes.length} bytes is shorter than the ${MTL_HEADER}-byte header`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = v.getUint32(0, true), version = v.getUint32(4, true);
  if (magic !== MTL_MAGIC) throw new PayloadError(`magic 0x${magic.toString(16)} at byte 0 is not "PMTL" (0x${MTL_MAGIC.toString(16)})`);
  if (version !== MTL_VERSION) throw new PayloadError(`version ${version} at byte 4; this reader knows version ${MTL_VERSION}`);
  const total = v.getUint32(MTL_TOTAL, true), count = v.getUint32(MTL_COUNT, true);
  if (total > bytes.length) throw new PayloadError(`total ${total} bytes (byte ${MTL_TOTAL}) runs past the ${bytes.length} bytes there are`);
  const tableEnd = MTL_HEADER + count * MTL_SEC_SIZE;
  if (tableEnd > total) throw new PayloadError(`${count} sections (byte ${MTL_COUNT}) need a ${tableEnd}-byte table, past the total ${total}`);
  const sections: PayloadSection[] = [];
  const spans: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    const e = MTL_HEADER + i * MTL_SEC_SIZE;
    const kind = v.getUint32(e + MTL_SEC_KIND, true), id = v.getUint32(e + MTL_SEC_ID, true);
    const off = v.getUint32(e + MTL_SEC_OFFSET, true), len = v.getUint32(e + MTL_SEC_LENGTH, true);
    const where = `section ${i} (byte ${e})`;
    if (MtlSection[kind] === undefined) throw new PayloadError(`${where} has unknown kind ${kind}`);
    if (off % MTL_ALIGN !== 0) throw new PayloadError(`${where} starts at ${off}, not a multiple of ${MTL_ALIGN}`);
    if (off < tableEnd || off + len > total) throw new PayloadError(`${where} [${off}, ${off + len}) is not between the table's end ${tableEnd} and the total ${total}`);
    const clash = spans.findIndex(([a, b]) => off < b && a < off + len);
    if (clash >= 0) throw new PayloadError(`${where} overlaps section ${clash}`);
    spans.push([off, off + len]);
    sections.push({ kind, id, bytes: bytes.subarray(off, off + len) });
  }
  return { kernelSha256: bytes.slice(MTL_KERNEL_SHA256, MTL_KERNEL_SHA256 + SHA256_BYTES), sections };
}

/** A NIC section's body: the n-th virtio-net device in PCI order (pci), or (pci null) the
 *  one with the NIC's MAC; the MAC is written either way, and the device must have it. */
export type NicMatch = { pci: number | null; mac: Uint8Array };

export function nicBody(m: NicMatch): Uint8Array {
  if (m.mac.length !== MAC_BYTES) throw new Error(`a MAC has ${MAC_BYTES} bytes, not ${m.mac.length}`);
  const out = new Uint8Array(MTL_NIC_SIZE);
  new DataView(out.buffer).setUint32(MTL_NIC_PCI_INDEX, m.pci ?? MTL_BY_MAC, true);
  out.set(m.mac, MTL_NIC_MAC);
  return out;
}

export function readNicBody(b: Uint8Array): NicMatch {
  if (b.length !== MTL_NIC_SIZE) throw new PayloadError(`a NIC body is ${MTL_NIC_SIZE} bytes, not ${b.length}`);
  const pci = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(MTL_NIC_PCI_INDEX, true);
  return { pci: pci === MTL_BY_MAC ? null : pci, mac: b.slice(MTL_NIC_MAC, MTL_NIC_MAC + MAC_BYTES) };
}

/** A DISK section's body: the n-th virtio-blk device in PCI order and the manifest's size. */
export function diskBody(pci: number, size: bigint): Uint8Array {
  const out = new Uint8Array(MTL_DISK_BODY);
  const v = new DataView(out.buffer);
  v.setUint32(MTL_DISK_PCI_INDEX, pci, true);
  v.setBigUint64(MTL_DISK_SIZE, size, true);
  return out;
}

export function readDiskBody(b: Uint8Array): { pci: number; size: bigint } {
  if (b.length !== MTL_DISK_BODY) throw new PayloadError(`a DISK body is ${MTL_DISK_BODY} bytes, not ${b.length}`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { pci: v.getUint32(MTL_DISK_PCI_INDEX, true), size: v.getBigUint64(MTL_DISK_SIZE, true) };
}

/** How the metal host recognises a manifest USB device: each matcher given must match. */
export interface UsbMatch { name: string; vendor: number | null; product: number | null; serial: string | null; path: string | null; }

/** A USB section's body (abi/metal.ts MTL_USB_*). */
export function usbBody(m: UsbMatch): Uint8Array {
  const enc = new TextEncoder();
  const serial = enc.encode(m.serial ?? "");
  const path = enc.encode(m.path ?? "");
  const name = enc.encode(m.name);
  if (serial.length > MTL_USB_SERIAL_MAX) throw new PayloadError(`USB device ${m.name}: its serial is ${serial.length} bytes; at most ${MTL_USB_SERIAL_MAX}`);
  if (path.length > MTL_USB_PATH_MAX) throw new PayloadError(`USB device ${m.name}: its path "${m.path}" is ${path.length} bytes; at most ${MTL_USB_PATH_MAX}`);
  if (name.length > MTL_USB_NAME_MAX) throw new PayloadError(`USB device ${m.name}: its name is ${name.length} bytes; at most ${MTL_USB_NAME_MAX}`);
  const device = m.vendor !== null && m.product !== null;
  const match = (device ? MtlUsbMatch.DEVICE : 0) | (m.serial !== null ? MtlUsbMatch.SERIAL : 0) | (m.path !== null ? MtlUsbMatch.PATH : 0);
  if (match === 0) throw new PayloadError(`USB device ${m.name}: no device, serial or path to match it by`);
  const out = new Uint8Array(MTL_USB_SERIAL + serial.length);
  const v = new DataView(out.buffer);
  v.setUint32(MTL_USB_MATCH, match, true);
  v.setUint16(MTL_USB_VENDOR, device ? m.vendor! : 0, true);
  v.setUint16(MTL_USB_PRODUCT, device ? m.product! : 0, true);
  out.set(path, MTL_USB_PATH);
  out.set(name, MTL_USB_NAME);
  v.setUint32(MTL_USB_SERIAL_LEN, serial.length, true);
  out.set(serial, MTL_USB_SERIAL);
  return out;
}

export function readUsbBody(b: Uint8Array): UsbMatch {
  if (b.length < MTL_USB_SERIAL) throw new PayloadError(`a USB body is at least ${MTL_USB_SERIAL} bytes, not ${b.length}`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const len = v.getUint32(MTL_USB_SERIAL_LEN, true);
  if (len > MTL_USB_SERIAL_MAX || MTL_USB_SERIAL + len !== b.length) throw new PayloadError(`a USB body's serial length ${len} does not fit its ${b.length} bytes`);
  const dec = new TextDecoder();
  const field = (at: number, max: number) => dec.decode(b.subarray(at, at + max)).replace(/\0+$/, "");
  const match = v.getUint32(MTL_USB_MATCH, true);
  const device = (match & MtlUsbMatch.DEVICE) !== 0;
  return {
    name: field(MTL_USB_NAME, MTL_USB_NAME_MAX),
    vendor: device ? v.getUint16(MTL_USB_VENDOR, true) : null,
    product: device ? v.getUint16(MTL_USB_PRODUCT, true) : null,
    serial: match & MtlUsbMatch.SERIAL ? dec.decode(b.subarray(MTL_USB_SERIAL, MTL_USB_SERIAL + len)) : null,
    path: match & MtlUsbMatch.PATH ? field(MTL_USB_PATH, MTL_USB_PATH_MAX) : null,
  };
}

/** A SLOT section's body (hosts/node/services.ts SlotPlace): flags (MtlSlotFlag), the
 *  module index, the RAM ceiling, the module's initial memory and declared maximum
 *  (MTL_NO_MAX: none), in pages, and the SHA-256 of the module file. */
export interface SlotBody { flags: number; module: number; ramMaxPages: number; memMinPages: number; declaredMaxPages: number; sha256: Uint8Array; }

export function slotBody(s: SlotBody): Uint8Array {
  if (s.sha256.length !== SHA256_BYTES) throw new Error(`a module SHA-256 has ${SHA256_BYTES} bytes, not ${s.sha256.length}`);
  const out = new Uint8Array(MTL_SLOT_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(MTL_SLOT_FLAGS, s.flags, true);
  v.setUint32(MTL_SLOT_MODULE, s.module, true);
  v.setUint32(MTL_SLOT_RAM_MAX, s.ramMaxPages, true);
  v.setUint32(MTL_SLOT_MEM_MIN, s.memMinPages, true);
  v.setUint32(MTL_SLOT_DECLARED_MAX, s.declaredMaxPages, true);
  out.set(s.sha256, MTL_SLOT_SHA256);
  return out;
}

export function readSlotBody(b: Uint8Array): SlotBody {
  if (b.length !== MTL_SLOT_SIZE) throw new PayloadError(`a SLOT body is ${MTL_SLOT_SIZE} bytes, not ${b.length}`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    flags: v.getUint32(MTL_SLOT_FLAGS, true), module: v.getUint32(MTL_SLOT_MODULE, true),
    ramMaxPages: v.getUint32(MTL_SLOT_RAM_MAX, true), memMinPages: v.getUint32(MTL_SLOT_MEM_MIN, true),
    declaredMaxPages: v.getUint32(MTL_SLOT_DECLARED_MAX, true), sha256: b.slice(MTL_SLOT_SHA256, MTL_SLOT_SHA256 + SHA256_BYTES),
  };
}
