// kernel/crypto/kdf.ts: HMAC-BLAKE2s with keys of 0, 32, 64 (one whole block) and 100 bytes
// (hashed first), and WireGuard's KDF with one, two and three outputs, with the chaining
// key updated in place (out1 == ck) and out1 over the input (out1 == p). The expected values
// are Python's hmac.new(key, msg, hashlib.blake2s) and the KDF written out with it
// (τ0 = HMAC(ck, in), τ1 = HMAC(τ0, 01), τ2 = HMAC(τ0, τ1 ‖ 02), τ3 = HMAC(τ0, τ2 ‖ 03)), from
// WireGuard's initial chaining key (HASH(Construction)) and the input 01..20.
import { hmacBlake2s, kdf } from "../../../kernel/crypto/kdf";
import { put, hexBuf, firstDiff } from "../frames";

const KEY: usize = memory.data(128, 16);
const MSG: usize = memory.data(128, 16);
const CK: usize = memory.data(32, 16);
const O1: usize = memory.data(32, 16);
const O2: usize = memory.data(32, 16);
const O3: usize = memory.data(32, 16);

const CK0 = "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36";
const T1 = "c84b602256edf8cb02f4c85e186dd022766e0d04f81da9b3b1237333ec7f852f";
const T2 = "d58cc632deb7a04c4447024b071b3eea96d09729a96c48117240bf28b54d5a0f";
const T3 = "563457f9624f515acd75040684241962ad46d9a892427dbf306c38d81560a610";

/** n bytes 0, 1, 2, ... at p. */
function counting(p: usize, n: i32, from: i32): void {
  for (let i = 0; i < n; i++) store<u8>(p + <usize>i, <u8>(from + i));
}

/** WireGuard's first chaining key at CK and the input 01..20 at MSG. */
function setup(): void {
  put(CK, CK0);
  counting(MSG, 32, 1);
}

describe("hmacBlake2s", () => {
  it("matches RFC 2104 over BLAKE2s for keys of 0, 32, 64 and 100 bytes", () => {
    hmacBlake2s(O1, KEY, 0, MSG, 0);
    expect(firstDiff(O1, hexBuf("eaf4bb25938f4d20e72656bbbc7a9bf63c0c18537333c35bdb67db1402661acd"), 32)).toBe(-1);
    counting(KEY, 32, 0);
    put(MSG, "616263");
    hmacBlake2s(O1, KEY, 32, MSG, 3);
    expect(firstDiff(O1, hexBuf("82623be5bc0a391b24dce53e67d028eff92d586de0485ac37822e597d049c74f"), 32)).toBe(-1);
    counting(KEY, 100, 0);
    hmacBlake2s(O1, KEY, 100, MSG, 3);
    expect(firstDiff(O1, hexBuf("c1b751501db12b753069a918627b623179be55c8cc7ca5c4e14bdf32274ac656"), 32)).toBe(-1);
    counting(MSG, 100, 0);
    hmacBlake2s(O1, KEY, 64, MSG, 100);
    expect(firstDiff(O1, hexBuf("647576eb06d7546ce6db9b3c0c1509a64cc7fae9cb732ee3845e7b486ad26edc"), 32)).toBe(-1);
  });
});

describe("kdf", () => {
  it("derives τ1, τ2 and τ3", () => {
    setup();
    kdf(CK, MSG, 32, O1, O2, O3);
    expect(firstDiff(O1, hexBuf(T1), 32)).toBe(-1);
    expect(firstDiff(O2, hexBuf(T2), 32)).toBe(-1);
    expect(firstDiff(O3, hexBuf(T3), 32)).toBe(-1);
  });
  it("derives τ1 alone, and τ1 and τ2, writing nothing for an output of 0", () => {
    setup();
    memory.fill(O2, 0xcc, 32);
    kdf(CK, MSG, 32, O1, 0, 0);
    expect(firstDiff(O1, hexBuf(T1), 32)).toBe(-1);
    expect(load<u64>(O2)).toBe(0xcccccccccccccccc);
    kdf(CK, MSG, 32, O1, O2, 0);
    expect(firstDiff(O1, hexBuf(T1), 32)).toBe(-1);
    expect(firstDiff(O2, hexBuf(T2), 32)).toBe(-1);
  });
  it("updates the chaining key in place (out1 == ck)", () => {
    setup();
    kdf(CK, MSG, 32, CK, O2, O3);
    expect(firstDiff(CK, hexBuf(T1), 32)).toBe(-1);
    expect(firstDiff(O2, hexBuf(T2), 32)).toBe(-1);
    expect(firstDiff(O3, hexBuf(T3), 32)).toBe(-1);
  });
  it("may write τ1 over its input (out1 == p)", () => {
    setup();
    kdf(CK, MSG, 32, MSG, O2, 0);
    expect(firstDiff(MSG, hexBuf(T1), 32)).toBe(-1);
    expect(firstDiff(O2, hexBuf(T2), 32)).toBe(-1);
  });
});
