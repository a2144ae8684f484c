// loader/metal/elf.ts: the image file is an ELF32 with one PT_LOAD at 1 MiB whose bytes are
// the boot image and, at the next 4 KiB boundary, the payload; its Multiboot header lies in
// the file's first 8 KiB. A boot image whose Multiboot header does not fit that plan is
// refused with a sentence. Also the real build/metal/persia-metal.bin, once built.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../../hosts/node/paths";
import { encodePayload, decodePayload } from "../../loader/metal/payload";
import { checkBootImage, ELF_TEXT_OFFSET, LOAD_ADDR, MB_AOUT_KLUDGE, MB_MAGIC, MB_SEARCH, unwrapElf, wrapElf } from "../../loader/metal/elf";
import { MTL_ALIGN, MtlSection } from "../../abi/metal";
import { flatBootImage as flat } from "./fixture";

const BOOT_BIN = path.join(ROOT, "build/metal/persia-metal.bin");

const payload = () => encodePayload({ kernelSha256: new Uint8Array(32).fill(7), sections: [{ kind: MtlSection.NAME, id: 0, bytes: new Uint8Array([1, 2, 3]) }] });

describe("the metal image file", () => {
  it("is an ELF32 (i386, executable) with one PT_LOAD at 1 MiB over the boot image and the payload", () => {
    const boot = flat(), p = payload();
    const elf = wrapElf(boot, p);
    const v = new DataView(elf.buffer);
    assert.deepEqual([...elf.subarray(0, 7)], [0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
    assert.equal(v.getUint16(16, true), 2);
    assert.equal(v.getUint16(18, true), 3);
    assert.equal(v.getUint32(24, true), LOAD_ADDR + 64, "e_entry is the Multiboot entry");
    assert.equal(v.getUint16(44, true), 1);
    const ph = v.getUint32(28, true);
    assert.equal(v.getUint32(ph, true), 1, "PT_LOAD");
    assert.equal(v.getUint32(ph + 4, true), ELF_TEXT_OFFSET);
    assert.equal(v.getUint32(ph + 8, true), LOAD_ADDR);
    assert.equal(v.getUint32(ph + 16, true), elf.length - ELF_TEXT_OFFSET, "it loads the file to its end");
    assert.deepEqual(elf.subarray(ELF_TEXT_OFFSET, ELF_TEXT_OFFSET + boot.length), boot);
    const payloadAt = ELF_TEXT_OFFSET + 4 * MTL_ALIGN;   // the first 4 KiB boundary after 3 pages + 17 bytes
    assert.deepEqual(elf.subarray(payloadAt), p);
    assert.ok(elf.subarray(ELF_TEXT_OFFSET + boot.length, payloadAt).every((b) => b === 0));
    const back = unwrapElf(elf);
    assert.deepEqual(back.payload, p);
    assert.equal(decodePayload(back.payload).sections[0].bytes.length, 3);
    assert.equal(back.multiboot.loadAddr, LOAD_ADDR);
  });

  it("keeps the Multiboot header in the file's first 8 KiB, where QEMU and GRUB look for it", () => {
    const elf = wrapElf(flat(), payload());
    const v = new DataView(elf.buffer);
    let found = -1;
    for (let i = 0; i < MB_SEARCH - 48; i += 4) if (v.getUint32(i, true) === MB_MAGIC) { found = i; break; }
    assert.equal(found, ELF_TEXT_OFFSET);
    // QEMU's multiboot.c loads from file offset (header offset − (header_addr − load_addr)): the PT_LOAD's.
    assert.equal(found - (v.getUint32(found + 12, true) - v.getUint32(found + 16, true)), v.getUint32(52 + 4, true));
  });

  it("refuses a boot image whose Multiboot header does not fit, saying what is wrong", () => {
    const refused = (b: Uint8Array, why: RegExp) => assert.throws(() => wrapElf(b, payload()), (e: Error) =>
      why.test(e.message) && /Rebuild it with `persia build`/.test(e.message));
    refused(new Uint8Array(5000), /no Multiboot header \(magic 0x1badb002\) in its first 4096 bytes/);
    refused(flat(3 * MTL_ALIGN, MTL_ALIGN), /no Multiboot header/);
    refused(flat(undefined, 0, { sum: 0 }), /wrong checksum/);
    refused(flat(undefined, 0, { flags: 2 }), /lack the a\.out kludge \(bit 16\)/);
    refused(flat(undefined, 0, { flags: MB_AOUT_KLUDGE | 8 }), /ask for bits 0x8 that loaders refuse/);
    refused(flat(undefined, 0, { load: 0x200000, header: 0x200000 }), /load_addr is 0x200000, not 1 MiB/);
    refused(flat(undefined, 8, { header: LOAD_ADDR }), /header_addr 0x100000 does not match the header's place \(byte 8/);
    refused(flat(undefined, 0, { loadEnd: LOAD_ADDR + 100 }), /load_end_addr .* would stop before the payload/);
    refused(flat(undefined, 0, { bssEnd: LOAD_ADDR + 100 }), /bss_end_addr .* clear memory over the payload/);
    refused(flat(undefined, 0, { entry: 0x1000 }), /entry_addr 0x1000 lies outside the image/);
    refused(new Uint8Array([0x02, 0xb0, 0xad, 0x1b]), /cut short by the end of the file/);
  });

  it("accepts the boot image `persia build` made (build/metal/persia-metal.bin)", { skip: fs.existsSync(BOOT_BIN) ? false : `${BOOT_BIN} is not built (hosts/metal, npm run build)` }, () => {
    const mb = checkBootImage(fs.readFileSync(BOOT_BIN));
    assert.equal(mb.loadAddr, LOAD_ADDR);
    assert.ok(mb.flags & MB_AOUT_KLUDGE);
  });
});
