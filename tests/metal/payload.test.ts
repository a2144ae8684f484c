// loader/metal/payload.ts: a payload reads back as it was written (sections at MTL_ALIGN
// boundaries, bodies of NIC, DISK and SLOT sections), and a payload whose header or table
// is wrong is refused with the byte at fault rather than read past its end.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import {
  MTL_ALIGN, MTL_BY_MAC, MTL_COUNT, MTL_HEADER, MTL_NO_MAX, MTL_SEC_OFFSET, MTL_TOTAL, MtlSection, MtlSlotFlag,
} from "../../abi/metal";
import {
  decodePayload, diskBody, encodePayload, nicBody, readDiskBody, readNicBody, readSlotBody, slotBody,
} from "../../loader/metal/payload";

const SHA = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

function sample(): Uint8Array {
  return encodePayload({
    kernelSha256: SHA,
    sections: [
      { kind: MtlSection.BOOT, id: 0, bytes: bytes(100, 0xb0) },
      { kind: MtlSection.NAME, id: 0, bytes: new TextEncoder().encode("metal.sabz.city") },
      { kind: MtlSection.KERNEL, id: 0, bytes: bytes(MTL_ALIGN + 1, 0xcc) },
      { kind: MtlSection.MODULE_CODE, id: 0, bytes: bytes(0, 0) },
      { kind: MtlSection.MODULE_FILE, id: 0, bytes: bytes(5, 0xf1) },
    ],
  });
}

describe("the metal payload", () => {
  it("reads back every section, each at a multiple of MTL_ALIGN, with the kernel's SHA-256", () => {
    const p = sample();
    const back = decodePayload(p);
    assert.deepEqual(back.kernelSha256, SHA);
    assert.deepEqual(back.sections.map((s) => [s.kind, s.id, s.bytes.length]),
      [[MtlSection.BOOT, 0, 100], [MtlSection.NAME, 0, 15], [MtlSection.KERNEL, 0, MTL_ALIGN + 1], [MtlSection.MODULE_CODE, 0, 0], [MtlSection.MODULE_FILE, 0, 5]]);
    assert.equal(new TextDecoder().decode(back.sections[1].bytes), "metal.sabz.city");
    assert.ok(back.sections[2].bytes.every((b) => b === 0xcc));
    for (const s of back.sections) assert.equal((s.bytes.byteOffset - p.byteOffset) % MTL_ALIGN, 0);
    const v = new DataView(p.buffer);
    assert.equal(v.getUint32(MTL_TOTAL, true), p.length, "the total is the end of the last section");
    assert.equal(v.getUint32(MTL_HEADER + MTL_SEC_OFFSET, true), MTL_ALIGN, "the first section starts on the page after the table");
  });

  it("reads a payload followed by more bytes (the rest of a page), and an empty one", () => {
    const p = sample();
    const padded = new Uint8Array(p.length + 300);
    padded.set(p);
    assert.equal(decodePayload(padded).sections.length, 5);
    assert.deepEqual(decodePayload(encodePayload({ kernelSha256: SHA, sections: [] })).sections, []);
  });

  it("refuses a wrong magic, a wrong version, a total past the bytes and a short header", () => {
    const p = sample();
    const bad = (edit: (b: Uint8Array, v: DataView) => void, why: RegExp, cut = p.length) => {
      const b = p.slice(0, cut);
      edit(b, new DataView(b.buffer));
      assert.throws(() => decodePayload(b), why);
    };
    bad((b) => { b[0] = 0x51; }, /magic 0x4c544d51 at byte 0 is not "PMTL"/);
    bad((_, v) => v.setUint32(4, 2, true), /version 2 at byte 4/);
    bad(() => {}, /runs past the/, p.length - 1);
    bad(() => {}, /shorter than the 64-byte header/, 63);
    bad((_, v) => v.setUint32(MTL_COUNT, 100000, true), /100000 sections .* need a/);
  });

  it("refuses a section that is unaligned, outside the total, overlapping another or of an unknown kind", () => {
    const p = sample();
    const entry = (i: number) => MTL_HEADER + i * 16;
    const bad = (edit: (v: DataView) => void, why: RegExp) => {
      const b = p.slice();
      edit(new DataView(b.buffer));
      assert.throws(() => decodePayload(b), why);
    };
    bad((v) => v.setUint32(entry(1) + MTL_SEC_OFFSET, MTL_ALIGN + 8, true), /section 1 \(byte 80\) starts at 4104, not a multiple of 4096/);
    bad((v) => v.setUint32(entry(4) + 12, 1 << 20, true), /section 4 .* is not between the table's end/);
    bad((v) => v.setUint32(entry(0) + MTL_SEC_OFFSET, 0, true), /section 0 .* is not between the table's end/);
    bad((v) => v.setUint32(entry(1) + MTL_SEC_OFFSET, MTL_ALIGN, true), /section 1 .* overlaps section 0/);
    bad((v) => v.setUint32(entry(2), 99, true), /section 2 .* unknown kind 99/);
  });

  it("writes and reads the NIC, DISK and SLOT bodies", () => {
    const mac = Uint8Array.from([2, 0, 0, 0, 0, 9]);
    const atPci = nicBody({ pci: 2, mac });
    assert.deepEqual(readNicBody(atPci), { pci: 2, mac }, "a NIC at a PCI place carries its MAC too (the device must have it)");
    const byMac = nicBody({ pci: null, mac });
    assert.equal(new DataView(byMac.buffer).getUint32(0, true), MTL_BY_MAC);
    assert.deepEqual(readNicBody(byMac), { pci: null, mac });
    assert.deepEqual(readDiskBody(diskBody(1, 16n << 20n)), { pci: 1, size: 16n << 20n });
    const slot = { flags: MtlSlotFlag.STORE, module: 3, ramMaxPages: 256, memMinPages: 2, declaredMaxPages: MTL_NO_MAX, sha256: SHA };
    assert.deepEqual(readSlotBody(slotBody(slot)), slot);
    assert.throws(() => readSlotBody(new Uint8Array(10)), /a SLOT body is 52 bytes, not 10/);
  });
});
