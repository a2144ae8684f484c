// kernel/crypto/sha256.ts: the FIPS 180-2 Appendix B examples ("abc", the 448-bit message
// whose padding needs a second block, a million "a"), the empty message, and a message fed
// in pieces across block boundaries giving the digest of the whole. The expected digests
// are the published ones; tests/kernel/crypto.test.ts compares with node's at every length.
import { sha256, sha256Init, sha256Update, sha256Final } from "../../../kernel/crypto/sha256";
import { hexBuf, firstDiff } from "../frames";

const MSG: usize = memory.data(1024, 16);
const OUT: usize = memory.data(32, 16);
const OUT2: usize = memory.data(32, 16);

function text(s: string): i32 {
  let n = String.UTF8.byteLength(s);
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, MSG);
  return n;
}

describe("sha256", () => {
  it("hashes the empty message", () => {
    sha256(MSG, 0, OUT);
    expect(firstDiff(OUT, hexBuf("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), 32)).toBe(-1);
  });
  it("hashes \"abc\" (one block)", () => {
    sha256(MSG, text("abc"), OUT);
    expect(firstDiff(OUT, hexBuf("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), 32)).toBe(-1);
  });
  it("hashes the 448-bit message (56 bytes: the length needs a second block)", () => {
    let n = text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
    expect(n).toBe(56);
    sha256(MSG, n, OUT);
    expect(firstDiff(OUT, hexBuf("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"), 32)).toBe(-1);
  });
  it("hashes a million \"a\" given 1000 bytes at a time", () => {
    memory.fill(MSG, 0x61, 1000);
    sha256Init();
    for (let i = 0; i < 1000; i++) sha256Update(MSG, 1000);
    sha256Final(OUT);
    expect(firstDiff(OUT, hexBuf("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"), 32)).toBe(-1);
  });
  it("gives the one-shot digest when fed in pieces of 1, 62, 3, 64, 0 and 300 bytes", () => {
    for (let i = 0; i < 430; i++) store<u8>(MSG + <usize>i, <u8>(i * 7 + 3));
    sha256(MSG, 430, OUT);
    sha256Init();
    sha256Update(MSG, 1);
    sha256Update(MSG + 1, 62);
    sha256Update(MSG + 63, 3);
    sha256Update(MSG + 66, 64);
    sha256Update(MSG + 130, 0);
    sha256Update(MSG + 130, 300);
    sha256Final(OUT2);
    expect(firstDiff(OUT, OUT2, 32)).toBe(-1);
  });
});
