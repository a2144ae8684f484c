// kernel/crypto/ed25519_sign.ts: the five Ed25519 examples of RFC 8032 §7.1 (TEST 1, 2, 3,
// 1024, SHA(abc)) from their seeds: the public key and the signature come out as the RFC
// prints them, and ed25519Verify accepts the signature. A signature may be written over
// its own message. After a call, none of the secrets derived from the seed — the clamped
// scalar a, the prefix and the nonce r, which this file computes on its own from SHA-512
// and reduce — is left anywhere in memory but in this file's copy of them. The vectors are
// in rfc8032.ts; random seeds and messages against node and tweetnacl are in
// tests/kernel/crypto_sign.test.ts.
import { ed25519Public, ed25519Sign } from "../../../kernel/crypto/ed25519_sign";
import { ed25519Verify } from "../../../kernel/crypto/ed25519";
import { reduce } from "../../../kernel/crypto/scalar25519";
import { sha512, sha512Init, sha512Update, sha512Final, sha512Wipe } from "../../../kernel/crypto/sha512";
import { put, hexBuf, firstDiff, copies } from "../frames";
import { Example, TEST_1, TEST_2, TEST_3, TEST_1024, TEST_ABC } from "./rfc8032";

const SEED: usize = memory.data(32, 16);
const PK: usize = memory.data(32, 16);
const SIG: usize = memory.data(64, 16);
const MSG: usize = memory.data(1024, 16);
const SECRET: usize = memory.data(96, 16); // a, the prefix and r, as this file computes them
const T: usize = memory.data(128, 16);     // ... its scratch for that, wiped after

/** Place e's seed and message; returns the message's length. */
function place(e: Example): i32 {
  expect(put(SEED, e.seed)).toBe(32);
  return put(MSG, e.msg);
}

/** The public key of e's seed is e's. */
function derives(e: Example): void {
  place(e);
  ed25519Public(PK, SEED);
  expect(firstDiff(PK, hexBuf(e.pk), 32)).toBe(-1);
}

/** e's seed signs e's message as the RFC prints it, with the key ed25519Public made, and
 *  the signature verifies. */
function signs(e: Example): void {
  let n = place(e);
  ed25519Public(PK, SEED);
  ed25519Sign(SIG, MSG, n, SEED, PK);
  expect(firstDiff(SIG, hexBuf(e.sig), 64)).toBe(-1);
  expect(ed25519Verify(SIG, MSG, n, PK)).toBe(true);
}

/** SECRET = a, the prefix (RFC 8032 §5.1.5) and r = SHA-512(prefix || M) mod L (§5.1.6)
 *  for the seed and the n-byte message in place; the scratch and SHA-512's context wiped. */
function secrets(n: i32): void {
  sha512(SEED, 32, T);
  store<u8>(T, load<u8>(T) & 248);
  store<u8>(T + 31, (load<u8>(T + 31) & 127) | 64);
  memory.copy(SECRET, T, 64);
  sha512Init();
  sha512Update(SECRET + 32, 32);
  sha512Update(MSG, n);
  sha512Final(T);
  reduce(T);
  memory.copy(SECRET + 64, T, 32);
  memory.fill(T, 0, 128);
  sha512Wipe();
}

describe("ed25519Public: RFC 8032 §7.1", () => {
  it("derives TEST 1's key", () => { derives(TEST_1); });
  it("derives TEST 2's key", () => { derives(TEST_2); });
  it("derives TEST 3's key", () => { derives(TEST_3); });
  it("derives TEST 1024's key", () => { derives(TEST_1024); });
  it("derives TEST SHA(abc)'s key", () => { derives(TEST_ABC); });
});

describe("ed25519Sign: RFC 8032 §7.1", () => {
  it("signs TEST 1 (empty message)", () => { signs(TEST_1); });
  it("signs TEST 2 (1 byte)", () => { signs(TEST_2); });
  it("signs TEST 3 (2 bytes)", () => { signs(TEST_3); });
  it("signs TEST 1024 (1023 bytes)", () => { signs(TEST_1024); });
  it("signs TEST SHA(abc) (64 bytes)", () => { signs(TEST_ABC); });
  it("may write the signature over the message it signs (SHA(abc), 64 bytes)", () => {
    let n = place(TEST_ABC);
    ed25519Public(PK, SEED);
    ed25519Sign(MSG, MSG, n, SEED, PK);
    expect(firstDiff(MSG, hexBuf(TEST_ABC.sig), 64)).toBe(-1);
  });
});

describe("ed25519_sign: secrets are wiped", () => {
  it("the search finds a copy where there is one", () => {
    secrets(place(TEST_2));
    expect(copies(SECRET)).toBe(1);
    memory.copy(T, SECRET, 32);
    expect(copies(SECRET)).toBe(2);
    memory.fill(T, 0, 32);
  });
  it("after ed25519Public, a and the prefix are nowhere else", () => {
    secrets(place(TEST_3));
    ed25519Public(PK, SEED);
    expect(copies(SECRET)).toBe(1);
    expect(copies(SECRET + 32)).toBe(1);
  });
  it("after ed25519Sign, a, the prefix and r are nowhere else", () => {
    let n = place(TEST_1024);
    secrets(n);
    ed25519Public(PK, SEED);
    ed25519Sign(SIG, MSG, n, SEED, PK);
    expect(firstDiff(SIG, hexBuf(TEST_1024.sig), 64)).toBe(-1);
    expect(copies(SECRET)).toBe(1);
    expect(copies(SECRET + 32)).toBe(1);
    expect(copies(SECRET + 64)).toBe(1);
  });
});
