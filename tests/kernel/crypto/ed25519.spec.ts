// kernel/crypto/ed25519.ts: the five Ed25519 examples of RFC 8032 §7.1 (TEST 1, 2, 3, 1024,
// SHA(abc)) verify, with their keys, messages and signatures as the RFC prints them; then
// one flipped bit anywhere fails, and the encodings RFC 8032 refuses are refused: S ≥ L
// (§5.1.7), a key or an R with y ≥ p, with x = 0 and the sign bit set, or off the curve
// (§5.1.3). The edge cases use the identity point (y = 1) as key or R, for which valid
// signatures are easy to write down, so each refusal can be set beside the same signature
// accepted in canonical form. The vectors were checked against tweetnacl outside this file.
import { ed25519Verify } from "../../../kernel/crypto/ed25519";
import { put } from "../frames";

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

const MSG_1024 =
  "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1" +
  "e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d" +
  "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a" +
  "7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e" +
  "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc10" +
  "3b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1" +
  "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d" +
  "502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270" +
  "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089b" +
  "eccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba" +
  "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969b" +
  "e3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7" +
  "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988d" +
  "cda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df" +
  "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7" +
  "984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4" +
  "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac09" +
  "43bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f" +
  "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f161" +
  "0e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d" +
  "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8ca" +
  "c60c905c15fc910840b94c00a0b9d0";

// RFC 8032 §7.1.
function test1(): i32 {
  return example("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
}
function test2(): i32 {
  return example("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
}
function test3(): i32 {
  return example("fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
    "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a");
}
function test1024(): i32 {
  return example("278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e", MSG_1024,
    "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03");
}
function testAbc(): i32 {
  return example("ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704");
}

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
