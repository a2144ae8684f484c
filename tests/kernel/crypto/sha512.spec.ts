// kernel/crypto/sha512.ts: the FIPS 180-2 Appendix C examples ("abc", the 896-bit message,
// a million "a"), the empty message and the 448-bit message of the NIST example set, and
// a message fed in pieces across block boundaries giving the digest of the whole. The
// expected digests are the published ones (and node's crypto for the pieced message).
import { sha512, sha512Init, sha512Update, sha512Final } from "../../../kernel/crypto/sha512";
import { hexBuf, firstDiff } from "../frames";

const MSG: usize = memory.data(1024, 16);
const OUT: usize = memory.data(64, 16);
const OUT2: usize = memory.data(64, 16);

/** The ASCII text s at MSG; returns its length. */
function text(s: string): i32 {
  let n = String.UTF8.byteLength(s);
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, MSG);
  return n;
}

describe("sha512", () => {
  it("hashes the empty message", () => {
    sha512(MSG, 0, OUT);
    expect(firstDiff(OUT, hexBuf("cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce" +
      "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"), 64)).toBe(-1);
  });
  it("hashes \"abc\" (one block)", () => {
    sha512(MSG, text("abc"), OUT);
    expect(firstDiff(OUT, hexBuf("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" +
      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"), 64)).toBe(-1);
  });
  it("hashes the 448-bit message (56 bytes: the length still fits the one block)", () => {
    sha512(MSG, text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), OUT);
    expect(firstDiff(OUT, hexBuf("204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335" +
      "96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445"), 64)).toBe(-1);
  });
  it("hashes the 896-bit message (112 bytes: the length needs a second block)", () => {
    let n = text("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno" +
      "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu");
    expect(n).toBe(112);
    sha512(MSG, n, OUT);
    expect(firstDiff(OUT, hexBuf("8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018" +
      "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"), 64)).toBe(-1);
  });
  it("hashes a million \"a\" given 1000 bytes at a time", () => {
    memory.fill(MSG, 0x61, 1000);
    sha512Init();
    for (let i = 0; i < 1000; i++) sha512Update(MSG, 1000);
    sha512Final(OUT);
    expect(firstDiff(OUT, hexBuf("e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb" +
      "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"), 64)).toBe(-1);
  });
  it("gives the one-shot digest when fed in pieces of 1, 126, 3, 128, 0 and 300 bytes", () => {
    for (let i = 0; i < 558; i++) store<u8>(MSG + <usize>i, <u8>(i * 7 + 3));
    sha512(MSG, 558, OUT);
    sha512Init();
    sha512Update(MSG, 1);
    sha512Update(MSG + 1, 126);
    sha512Update(MSG + 127, 3);
    sha512Update(MSG + 130, 128);
    sha512Update(MSG + 258, 0);
    sha512Update(MSG + 258, 300);
    sha512Final(OUT2);
    expect(firstDiff(OUT, OUT2, 64)).toBe(-1);
    expect(firstDiff(OUT2, hexBuf("6f72f5acff2ff1931de3663f9b9c5b24935f0ff9a69bd1950e951ddea4abdf9c" +
      "ed6dddf99ad52672512db2b6bf0e048d222766aac554b3b09a29e619e3470cb8"), 64)).toBe(-1);
  });
  it("starts afresh on sha512Init, forgetting an unfinished message", () => {
    sha512Init();
    sha512Update(MSG, 200);
    sha512(MSG, text("abc"), OUT);
    expect(firstDiff(OUT, hexBuf("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" +
      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"), 64)).toBe(-1);
  });
});
