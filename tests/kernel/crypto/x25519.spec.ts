// kernel/crypto/x25519.ts: the two scalar-multiplication vectors of RFC 7748 §5.2 (the
// second with the top bit of u set, which is ignored), the iterated test after 1 and 1,000
// rounds, the Diffie-Hellman example of §6.1 (both public keys and the shared secret from
// both sides), and the all-zero results X25519 refuses: u = 0 and u = 1, points of small
// order, whatever the scalar, and u = p - 1 (order 4), the two points of order 8 and p, p + 1
// (0 and 1 not reduced). A u from p to 2^255 - 1 is taken reduced (§5): p + 9 gives what 9
// gives, 2^255 - 1 what 18 gives. After a call nothing of it is left in memory: not the
// clamped scalar, not the ladder's or the field's scratch. The RFC values are as it prints them.
import { x25519, x25519Base } from "../../../kernel/crypto/x25519";
import { put, hexBuf, firstDiff, copies } from "../frames";

const K: usize = memory.data(32, 16);
const U: usize = memory.data(32, 16);
const OUT: usize = memory.data(32, 16);
const OUT2: usize = memory.data(32, 16);
const K2: usize = memory.data(32, 16);
const CLAMPED: usize = memory.data(32, 16);

const ALICE = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
const ALICE_PUB = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
const BOB = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
const BOB_PUB = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
const SHARED = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

describe("x25519", () => {
  it("multiplies the two examples of RFC 7748 §5.2", () => {
    put(K, "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
    put(U, "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
    expect(x25519(OUT, K, U)).toBe(true);
    expect(firstDiff(OUT, hexBuf("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"), 32)).toBe(-1);
    put(K, "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d");
    put(U, "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493");
    expect(x25519(OUT, K, U)).toBe(true);
    expect(firstDiff(OUT, hexBuf("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"), 32)).toBe(-1);
  });
  it("leaves the caller's scalar unclamped", () => {
    put(K, "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
    put(U, "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
    x25519(OUT, K, U);
    expect(load<u8>(K)).toBe(0xa5);
    expect(load<u8>(K + 31)).toBe(0xc4);
  });
  it("gives §5.2's iterated values after 1 and 1,000 rounds", () => {
    memory.fill(K, 0, 32);
    memory.fill(U, 0, 32);
    store<u8>(K, 9);
    store<u8>(U, 9);
    for (let i = 1; i <= 1000; i++) {
      x25519(OUT, K, U);
      memory.copy(U, K, 32);
      memory.copy(K, OUT, 32);
      if (i == 1) {
        expect(firstDiff(K, hexBuf("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"), 32)).toBe(-1);
      }
    }
    expect(firstDiff(K, hexBuf("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"), 32)).toBe(-1);
  });
  it("computes §6.1's public keys and the shared secret from both sides", () => {
    put(K, ALICE);
    x25519Base(OUT, K);
    expect(firstDiff(OUT, hexBuf(ALICE_PUB), 32)).toBe(-1);
    put(K, BOB);
    x25519Base(OUT, K);
    expect(firstDiff(OUT, hexBuf(BOB_PUB), 32)).toBe(-1);
    put(K, ALICE);
    put(U, BOB_PUB);
    expect(x25519(OUT, K, U)).toBe(true);
    expect(firstDiff(OUT, hexBuf(SHARED), 32)).toBe(-1);
    put(K, BOB);
    put(U, ALICE_PUB);
    expect(x25519(OUT, K, U)).toBe(true);
    expect(firstDiff(OUT, hexBuf(SHARED), 32)).toBe(-1);
  });
  it("refuses the all-zero result of u = 0 and u = 1 (points of small order)", () => {
    put(K, ALICE);
    memory.fill(U, 0, 32);
    memory.fill(OUT, 0xff, 32);
    expect(x25519(OUT, K, U)).toBe(false);
    expect(firstDiff(OUT, hexBuf("00".repeat(32)), 32)).toBe(-1);
    store<u8>(U, 1);
    expect(x25519(OUT, K, U)).toBe(false);
    put(U, "0000000000000000000000000000000000000000000000000000000000000080");  // 0 with bit 255 set
    expect(x25519(OUT, K, U)).toBe(false);
    put(U, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");  // p - 1: twice it is u = 0, so order 4
    expect(x25519(OUT, K, U)).toBe(false);
  });
  it("refuses the points of order 8 and p, p + 1 (0 and 1, not reduced)", () => {
    const points: string[] = [
      "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",   // order 8
      "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",   // order 8
      "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",   // p: 0
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",   // p + 1: 1
    ];
    put(K, ALICE);
    for (let i = 0; i < points.length; i++) {
      put(U, points[i]);
      memory.fill(OUT, 0xff, 32);
      expect(x25519(OUT, K, U)).toBe(false);
      expect(firstDiff(OUT, hexBuf("00".repeat(32)), 32)).toBe(-1);
    }
  });
  it("takes u from p to 2^255 - 1 reduced: p + 9 as 9, 2^255 - 1 as 18", () => {
    put(K, ALICE);
    put(U, "f6ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    expect(x25519(OUT, K, U)).toBe(true);
    expect(firstDiff(OUT, hexBuf(ALICE_PUB), 32)).toBe(-1);
    put(U, "1200000000000000000000000000000000000000000000000000000000000000");
    expect(x25519(OUT2, K, U)).toBe(true);
    put(U, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    expect(x25519(OUT, K, U)).toBe(true);
    expect(firstDiff(OUT, OUT2, 32)).toBe(-1);
  });
});

describe("x25519: secrets are wiped", () => {
  it("leaves no copy of the clamped scalar", () => {
    put(K, BOB);
    memory.copy(CLAMPED, K, 32);
    store<u8>(CLAMPED, load<u8>(CLAMPED) & 248);
    store<u8>(CLAMPED + 31, (load<u8>(CLAMPED + 31) & 127) | 64);
    put(U, ALICE_PUB);
    expect(x25519(OUT, K, U)).toBe(true);
    expect(copies(CLAMPED)).toBe(1);
  });
  it("leaves memory as it found it but for the result: two calls with different scalars leave the same bytes", () => {
    // Everything the test needs is placed before the snapshot: between it and the compare
    // nothing runs but the copy of the second scalar and the call.
    put(K, ALICE);
    put(K2, BOB);
    put(U, BOB_PUB);
    let end = <usize>memory.size() << 16;
    let snap = heap.alloc(end);
    expect(x25519(OUT, K, U)).toBe(true);
    memory.copy(snap, 0, end);
    memory.copy(K, K2, 32);
    let ok = x25519(OUT, K, U);
    let differ = 0;
    for (let q: usize = 0; q < end; q++) {
      if ((q >= snap && q < snap + end) || (q >= OUT && q < OUT + 32) || (q >= K && q < K + 32)) continue;
      if (load<u8>(q) != load<u8>(snap + q)) differ++;
    }
    heap.free(snap);
    expect(ok).toBe(true);
    expect(differ).toBe(0);
  });
});
