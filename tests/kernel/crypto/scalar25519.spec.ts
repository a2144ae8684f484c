// kernel/crypto/scalar25519.ts: the S < L check at its boundary, and reduction of 64-byte
// numbers mod L. Expected values were computed outside this project (BigInt in Node).
import { reduce, scalarBelowL } from "../../../kernel/crypto/scalar25519";
import { put, hexBuf, firstDiff } from "../frames";

const S: usize = memory.data(32, 16);
const R: usize = memory.data(64, 16);

function below(hex: string): bool {
  put(S, hex);
  return scalarBelowL(S);
}

describe("scalarBelowL", () => {
  it("holds for 0 and for L - 1", () => {
    expect(below("0000000000000000000000000000000000000000000000000000000000000000")).toBe(true);
    expect(below("ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")).toBe(true);
  });
  it("fails for L, L + 1 and 2^256 - 1", () => {
    expect(below("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")).toBe(false);
    expect(below("eed3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")).toBe(false);
    expect(below("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")).toBe(false);
  });
  it("fails for 2^253, whose low bytes are below L's", () => {
    expect(below("0000000000000000000000000000000000000000000000000000000000000020")).toBe(false);
  });
});

describe("reduce", () => {
  it("takes L to 0 and L + 5 to 5", () => {
    memory.fill(R, 0, 64);
    put(R, "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    reduce(R);
    expect(firstDiff(R, hexBuf("0000000000000000000000000000000000000000000000000000000000000000"), 32)).toBe(-1);
    memory.fill(R, 0, 64);
    put(R, "f2d3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    reduce(R);
    expect(firstDiff(R, hexBuf("0500000000000000000000000000000000000000000000000000000000000000"), 32)).toBe(-1);
  });
  it("reduces 2^512 - 1", () => {
    memory.fill(R, 0xff, 64);
    reduce(R);
    expect(firstDiff(R, hexBuf("000f9c44e31106a447938568a71b0ed065bef517d273ecce3d9a307c1b419903"), 32)).toBe(-1);
  });
  it("reduces a 64-byte number with every byte different", () => {
    put(R, "efcdab8967452301efcdab8967452301efcdab8967452301efcdab8967452301" +
      "efcdab8967452301efcdab8967452301efcdab8967452301efcdab8967452301");
    reduce(R);
    expect(firstDiff(R, hexBuf("6500243575c70913a9bf306a8256ddc0455813e3e5173d1e9da1fe465c67d100"), 32)).toBe(-1);
  });
});
