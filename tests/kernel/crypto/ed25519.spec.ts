// kernel/crypto/ed25519.ts: the five Ed25519 examples of RFC 8032 §7.1 (TEST 1, 2, 3, 1024,
// SHA(abc)) verify, with their keys, messages and signatures as the RFC prints them; then
// one flipped bit anywhere fails, and the encodings RFC 8032 refuses are refused: S ≥ L
// (§5.1.7), a key or an R with y ≥ p, with x = 0 and the sign bit set, or off the curve
// (§5.1.3). The edge cases use the identity point (y = 1) as key or R, for which valid
// signatures are easy to write down, so each refusal can be set beside the same signature
// accepted in canonical form. The vectors are in rfc8032.ts.
import { ed25519Verify } from "../../../kernel/crypto/ed25519";
import { put } from "../frames";
import { TEST_1, TEST_2, TEST_3, TEST_1024, TEST_ABC } from "./rfc8032";

const SIG: usize = memory.data(64, 16);
const PK: usize = memory.data(32, 16);
const MSG: usize = memory.data(1024, 16);

/** Place one example's key, message and signature; returns the message's length. */
function example(pk: string, msg: string, sig: string): i32 {
  expect(put(PK, pk)).toBe(32);
  expect(put(SIG, sig)).toBe(64);
  return put(MSG, msg);
}

function flip(p: usize, bit: i32): void {
  let at = p + <usize>(bit >> 3);
  store<u8>(at, load<u8>(at) ^ (<u8>1 << <u8>(bit & 7)));
}

function verify(n: i32): bool { return ed25519Verify(SIG, MSG, n, PK); }

// RFC 8032 §7.1.
function test1(): i32 { return example(TEST_1.pk, TEST_1.msg, TEST_1.sig); }
function test2(): i32 { return example(TEST_2.pk, TEST_2.msg, TEST_2.sig); }
function test3(): i32 { return example(TEST_3.pk, TEST_3.msg, TEST_3.sig); }
function test1024(): i32 { return example(TEST_1024.pk, TEST_1024.msg, TEST_1024.sig); }
function testAbc(): i32 { return example(TEST_ABC.pk, TEST_ABC.msg, TEST_ABC.sig); }

// The identity point's encodings: canonical (y = 1), y = p + 1, and y = 1 with the sign bit.
const IDENTITY = "0100000000000000000000000000000000000000000000000000000000000000";
const IDENTITY_P1 = "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";
const IDENTITY_NEG0 = "0100000000000000000000000000000000000000000000000000000000000080";
const NOT_ON_CURVE = "0200000000000000000000000000000000000000000000000000000000000000"; // y = 2: x² has no root
const BASE = "5866666666666666666666666666666666666666666666666666666666666666";  // B
const ZERO = "0000000000000000000000000000000000000000000000000000000000000000";
const ONE = IDENTITY;
const L = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";

/** "abc" signed by the key pk with R = B, S = 1: valid when pk is the identity, for which
 *  [S]B = R + [k]A holds for every message. */
function withKey(pk: string): bool {
  put(PK, pk);
  put(SIG, BASE);
  put(SIG + 32, ONE);
  return verify(put(MSG, "616263"));
}

/** "abc" signed by the identity with this R and S = 0: valid when R is the identity. */
function withR(r: string): bool {
  put(PK, IDENTITY);
  put(SIG, r);
  put(SIG + 32, ZERO);
  return verify(put(MSG, "616263"));
}

describe("ed25519Verify: RFC 8032 §7.1", () => {
  it("accepts TEST 1 (empty message)", () => { expect(verify(test1())).toBe(true); });
  it("accepts TEST 2 (1 byte)", () => { expect(verify(test2())).toBe(true); });
  it("accepts TEST 3 (2 bytes)", () => { expect(verify(test3())).toBe(true); });
  it("accepts TEST 1024 (1023 bytes)", () => {
    let n = test1024();
    expect(n).toBe(1023);
    expect(verify(n)).toBe(true);
  });
  it("accepts TEST SHA(abc) (64 bytes)", () => { expect(verify(testAbc())).toBe(true); });
});

describe("ed25519Verify: one flipped bit", () => {
  it("in the message fails (TEST 2: 0x72 becomes 0x73)", () => {
    let n = test2();
    flip(MSG, 0);
    expect(verify(n)).toBe(false);
  });
  it("in the last byte of TEST 1024's message fails", () => {
    let n = test1024();
    flip(MSG, 8 * 1022 + 7);
    expect(verify(n)).toBe(false);
  });
  it("in R fails (TEST 3, bit 0 and bit 255)", () => {
    let n = test3();
    flip(SIG, 0);
    expect(verify(n)).toBe(false);
    n = test3();
    flip(SIG, 255);
    expect(verify(n)).toBe(false);
  });
  it("in S fails (TEST 3, bit 256 and bit 500)", () => {
    let n = test3();
    flip(SIG, 256);
    expect(verify(n)).toBe(false);
    n = test3();
    flip(SIG, 500);
    expect(verify(n)).toBe(false);
  });
  it("in the key fails (TEST 1, bit 0, and bit 255: the sign of x)", () => {
    let n = test1();
    flip(PK, 0);
    expect(verify(n)).toBe(false);
    n = test1();
    flip(PK, 255);
    expect(verify(n)).toBe(false);
  });
  it("also fails when the message is one byte shorter (TEST 3)", () => {
    expect(verify(test3() - 1)).toBe(false);
  });
});

describe("ed25519Verify: S must be below L (§5.1.7)", () => {
  it("refuses TEST 1 with S + L in place of S (the same point [S]B)", () => {
    let n = test1();
    put(SIG + 32, "4c8c7872aa064e049dbb3013fbf29380d25bf5f0595bbe24655141438e7a101b");
    expect(verify(n)).toBe(false);
  });
  it("with the identity as key and R: accepts S = 0, refuses S = L", () => {
    put(PK, IDENTITY);
    put(SIG, IDENTITY);
    put(SIG + 32, ZERO);
    expect(verify(put(MSG, "72"))).toBe(true);
    put(SIG + 32, L);
    expect(verify(1)).toBe(false);
  });
});

describe("ed25519Verify: the key must decode (§5.1.3)", () => {
  it("accepts the identity in its canonical encoding (so the cases below fail only for the encoding)", () => {
    expect(withKey(IDENTITY)).toBe(true);
  });
  it("refuses y ≥ p: the identity as y = p + 1", () => { expect(withKey(IDENTITY_P1)).toBe(false); });
  it("refuses y = p: the point (√-1, 0) of order 4, whose canonical encoding y = 0 verifies", () => {
    // The message 0x04 was searched for so that k = SHA-512(R || A || M) is 0 mod 4 for both
    // encodings: then R = the identity, S = 0 satisfies the equation (tweetnacl accepts both).
    put(SIG, IDENTITY);
    put(SIG + 32, ZERO);
    put(PK, ZERO);
    expect(verify(put(MSG, "04"))).toBe(true);
    put(PK, "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    expect(verify(1)).toBe(false);
  });
  it("refuses x = 0 with the sign bit set", () => { expect(withKey(IDENTITY_NEG0)).toBe(false); });
  it("refuses a y that is on no point (y = 2)", () => {
    expect(withKey(NOT_ON_CURVE)).toBe(false);
    let n = test1();
    put(PK, NOT_ON_CURVE);
    expect(verify(n)).toBe(false);
  });
});

describe("ed25519Verify: R must be the canonical encoding", () => {
  it("accepts R = the identity, canonical", () => { expect(withR(IDENTITY)).toBe(true); });
  it("refuses the identity as y = p + 1", () => { expect(withR(IDENTITY_P1)).toBe(false); });
  it("refuses the identity with the sign bit set", () => { expect(withR(IDENTITY_NEG0)).toBe(false); });
  it("refuses an R on no point (y = 2)", () => { expect(withR(NOT_ON_CURVE)).toBe(false); });
});
