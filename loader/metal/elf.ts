// The metal image file (spec/metal.md "The image file"): the flat boot image
// (build/metal/persia-metal.bin, hosts/metal/link.ld) with the payload appended at the first
// MTL_ALIGN boundary after it (the host's __payload), wrapped in an ELF32 file with one
// PT_LOAD, since QEMU's -kernel and GRUB take a Multiboot 1 kernel as an ELF. Both loaders
// see the a.out kludge (flag 16) of the Multiboot header and load the file from the PT_LOAD's
// offset to its end at load_addr; the ELF headers say the same for every other tool.
// checkBootImage refuses a boot image whose Multiboot header does not fit that plan, with a
// sentence. Deliberately not here: what the payload holds (payload.ts, image.ts).
import { MTL_ALIGN, MTL_HEADER, MTL_MAGIC, MTL_TOTAL } from "../../abi/metal";
import { LoaderError } from "../errors";
import { alignUp } from "./payload";

// Multiboot 1 header (Multiboot Specification 0.6.96, §3.1.1), byte offsets:
//   0 magic   4 flags   8 checksum   (flag 16, the a.out kludge, adds:)
//  12 header_addr  16 load_addr  20 load_end_addr  24 bss_end_addr  28 entry_addr
export const MB_MAGIC = 0x1badb002;
export const MB_AOUT_KLUDGE = 1 << 16;
const MB_PAGE_ALIGN = 1 << 0, MB_MEMORY_INFO = 1 << 1, MB_VIDEO_MODE = 1 << 2;
/** Flags 0..15 a loader must understand or refuse; QEMU and GRUB know bits 0..2. */
const MB_REQUIRED_KNOWN = MB_PAGE_ALIGN | MB_MEMORY_INFO | MB_VIDEO_MODE;
const MB_HEADER_BYTES = 32;
/** A loader looks for the header in the file's first 8 KiB, 4-byte aligned (§3.1). */
export const MB_SEARCH = 8192;
/** Where the boot image is linked to run (hosts/metal/link.ld): 1 MiB. */
export const LOAD_ADDR = 0x100000;

// ELF32 (System V ABI, i386 supplement): file header and one program header.
const EHDR = 52, PHDR = 32;
const ET_EXEC = 2, EM_386 = 3, PT_LOAD = 1, PF_RWX = 7;
/** File offset of the loaded bytes: a page, so p_offset ≡ p_vaddr (mod p_align). */
export const ELF_TEXT_OFFSET = 0x1000;

export interface Multiboot { at: number; flags: number; headerAddr: number; loadAddr: number; loadEndAddr: number; bssEndAddr: number; entry: number; }

const notAnImage = (why: string): never => {
  throw new LoaderError("the metal image file", why, "Build it again with `persia image node.yaml --target metal -o node.elf`");
};

const refuse = (why: string): never => {
  throw new LoaderError("the metal boot image", why,
    "Rebuild it with `persia build` (hosts/metal/build.ts); if it still fails, hosts/metal/link.ld or boot.rs no longer lays out the header as spec/metal.md says");
};

/** The boot image's Multiboot header, checked against what elf.ts relies on: found in the
 *  first MB_SEARCH − ELF_TEXT_OFFSET bytes (so it is in the output file's first 8 KiB),
 *  checksum right, the a.out kludge on, no required flag a loader may not know, header_addr
 *  and load_addr consistent with the header's place in the image, load_addr 1 MiB,
 *  load_end_addr and bss_end_addr 0 (load the whole file; .bss is in it), entry inside. */
export function checkBootImage(flat: Uint8Array): Multiboot {
  const v = new DataView(flat.buffer, flat.byteOffset, flat.byteLength);
  const room = Math.min(flat.length, MB_SEARCH - ELF_TEXT_OFFSET);
  let at = -1;
  for (let i = 0; i + 4 <= room; i += 4) if (v.getUint32(i, true) === MB_MAGIC) { at = i; break; }
  if (at < 0) refuse(`no Multiboot header (magic 0x${MB_MAGIC.toString(16)}) in its first ${room} bytes; ${flat.length} bytes were read`);
  if (at + MB_HEADER_BYTES > flat.length) refuse(`its Multiboot header at byte ${at} is cut short by the end of the file`);
  const u = (o: number) => v.getUint32(at + o, true);
  const mb: Multiboot = { at, flags: u(4), headerAddr: u(12), loadAddr: u(16), loadEndAddr: u(20), bssEndAddr: u(24), entry: u(28) };
  if (((MB_MAGIC + mb.flags + u(8)) >>> 0) !== 0) refuse(`its Multiboot header at byte ${at} has a wrong checksum (magic + flags + checksum must be 0 mod 2^32)`);
  if ((mb.flags & MB_AOUT_KLUDGE) === 0) refuse(`its Multiboot flags 0x${mb.flags.toString(16)} lack the a.out kludge (bit 16), which the image relies on to be loaded as one flat run`);
  const unknown = mb.flags & 0xffff & ~MB_REQUIRED_KNOWN;
  if (unknown !== 0) refuse(`its Multiboot flags ask for bits 0x${unknown.toString(16)} that loaders refuse (only bits 0..2 are defined)`);
  if (mb.loadAddr !== LOAD_ADDR) refuse(`its load_addr is 0x${mb.loadAddr.toString(16)}, not 1 MiB (0x${LOAD_ADDR.toString(16)}) where it is linked to run`);
  if (mb.headerAddr - mb.loadAddr !== at) {
    refuse(`its header_addr 0x${mb.headerAddr.toString(16)} does not match the header's place (byte ${at} of an image loaded at 0x${mb.loadAddr.toString(16)})`);
  }
  if (mb.loadEndAddr !== 0) refuse(`its load_end_addr is 0x${mb.loadEndAddr.toString(16)}, not 0: a loader would stop before the payload appended after it`);
  if (mb.bssEndAddr !== 0) refuse(`its bss_end_addr is 0x${mb.bssEndAddr.toString(16)}, not 0: the loader would clear memory over the payload`);
  if (mb.entry < mb.loadAddr || mb.entry >= mb.loadAddr + flat.length) {
    refuse(`its entry_addr 0x${mb.entry.toString(16)} lies outside the image [0x${mb.loadAddr.toString(16)}, 0x${(mb.loadAddr + flat.length).toString(16)})`);
  }
  return mb;
}

/** The ELF32 file: headers, the boot image at ELF_TEXT_OFFSET, the payload at the first
 *  MTL_ALIGN boundary after the boot image (the host's __payload), one PT_LOAD over both. */
export function wrapElf(flat: Uint8Array, payload: Uint8Array): Uint8Array {
  const mb = checkBootImage(flat);
  const payloadAt = alignUp(flat.length, MTL_ALIGN);
  const loaded = payloadAt + payload.length;
  const out = new Uint8Array(ELF_TEXT_OFFSET + loaded);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0);     // \x7fELF, ELFCLASS32, ELFDATA2LSB, EV_CURRENT
  v.setUint16(16, ET_EXEC, true);
  v.setUint16(18, EM_386, true);
  v.setUint32(20, 1, true);                          // e_version
  v.setUint32(24, mb.entry, true);                   // e_entry
  v.setUint32(28, EHDR, true);                       // e_phoff
  v.setUint32(32, 0, true);                          // e_shoff: no section headers
  v.setUint32(36, 0, true);                          // e_flags
  v.setUint16(40, EHDR, true);                       // e_ehsize
  v.setUint16(42, PHDR, true);                       // e_phentsize
  v.setUint16(44, 1, true);                          // e_phnum
  v.setUint16(46, 0, true);                          // e_shentsize
  v.setUint16(48, 0, true);                          // e_shnum
  v.setUint16(50, 0, true);                          // e_shstrndx
  const p = EHDR;
  v.setUint32(p + 0, PT_LOAD, true);
  v.setUint32(p + 4, ELF_TEXT_OFFSET, true);         // p_offset
  v.setUint32(p + 8, mb.loadAddr, true);             // p_vaddr
  v.setUint32(p + 12, mb.loadAddr, true);            // p_paddr
  v.setUint32(p + 16, loaded, true);                 // p_filesz
  v.setUint32(p + 20, loaded, true);                 // p_memsz
  v.setUint32(p + 24, PF_RWX, true);                 // p_flags
  v.setUint32(p + 28, MTL_ALIGN, true);              // p_align
  out.set(flat, ELF_TEXT_OFFSET);
  out.set(payload, ELF_TEXT_OFFSET + payloadAt);
  return out;
}

/** The payload inside an image file wrapElf wrote (from its first byte to the file's end),
 *  and the Multiboot header: for tests and tools that look inside an image. */
export function unwrapElf(file: Uint8Array): { flat: Uint8Array; payload: Uint8Array; multiboot: Multiboot } {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < EHDR + PHDR || v.getUint32(0, false) !== 0x7f454c46 || file[4] !== 1) notAnImage("it is not an ELF32 file");
  const off = v.getUint32(EHDR + 4, true), filesz = v.getUint32(EHDR + 16, true);
  if (off + filesz !== file.length) notAnImage(`its PT_LOAD [${off}, ${off + filesz}) does not end at the file's end ${file.length}`);
  const loaded = file.subarray(off);
  const multiboot = checkBootImage(loaded);
  // The payload starts at a MTL_ALIGN boundary with its magic and a total reaching the end.
  const lv = new DataView(loaded.buffer, loaded.byteOffset, loaded.byteLength);
  for (let at = MTL_ALIGN; at + MTL_HEADER <= loaded.length; at += MTL_ALIGN) {
    if (lv.getUint32(at, true) === MTL_MAGIC && lv.getUint32(at + MTL_TOTAL, true) === loaded.length - at) {
      return { flat: loaded.subarray(0, at), payload: loaded.subarray(at), multiboot };
    }
  }
  return notAnImage("no payload (magic \"PMTL\" at a 4 KiB boundary, its total reaching the file's end) follows the boot image");
}
