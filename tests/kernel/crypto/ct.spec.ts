// kernel/crypto/ct.ts: equal buffers compare equal at lengths across the 8-byte stride
// (0, 1, 7, 8, 9, 16, 33), and a difference of one bit anywhere, in the first or last byte
// or in the 8-byte part or the tail, makes them unequal.
import { ctEq } from "../../../kernel/crypto/ct";

const A: usize = memory.data(64, 16);
const B: usize = memory.data(64, 16);

describe("ctEq", () => {
  it("finds equal buffers equal, of every length around the 8-byte stride", () => {
    for (let i = 0; i < 64; i++) { store<u8>(A + <usize>i, <u8>(i * 7)); store<u8>(B + <usize>i, <u8>(i * 7)); }
    let lens: i32[] = [0, 1, 7, 8, 9, 16, 33];
    for (let i = 0; i < lens.length; i++) expect(ctEq(A, B, lens[i])).toBe(true);
  });
  it("finds one flipped bit in any byte and bit position", () => {
    for (let i = 0; i < 33; i++) {
      for (let bit = 0; bit < 8; bit++) {
        store<u8>(B + <usize>i, load<u8>(B + <usize>i) ^ (<u8>1 << <u8>bit));
        expect(ctEq(A, B, 33)).toBe(false);
        store<u8>(B + <usize>i, load<u8>(B + <usize>i) ^ (<u8>1 << <u8>bit));
      }
    }
    expect(ctEq(A, B, 33)).toBe(true);
  });
  it("looks only at the n bytes", () => {
    store<u8>(B + 33, load<u8>(B + 33) ^ 1);
    expect(ctEq(A, B, 33)).toBe(true);
    expect(ctEq(A, B, 34)).toBe(false);
  });
});
