// kernel/crypto/hkdf.ts and hpke.ts from literal bytes: RFC 4231 test case 2 (HMAC-SHA256),
// RFC 5869 A.1 (HKDF-SHA256), and RFC 9180 A.2.1 (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
// ChaCha20-Poly1305, base mode, sequence number 0): enc and the ciphertext; sealing in
// place gives the same; a recipient key of small order is refused. Random inputs against
// node's crypto and @hpke/core are in tests/kernel/crypto_hpke.test.ts.
import { hmacSha256, hkdfExtract, hkdfExpand } from "../../../kernel/crypto/hkdf";
import { hpkeEnc, hpkeSeal } from "../../../kernel/crypto/hpke";
import { hexBuf, firstDiff } from "../frames";

const OUT: usize = memory.data(128, 16);
const PRK: usize = memory.data(32, 16);
const ENC: usize = memory.data(32, 16);
const CT: usize = memory.data(64, 16);

describe("hmac-sha256 and hkdf-sha256", () => {
  it("RFC 4231 test case 2", () => {
    hmacSha256(OUT, hexBuf("4a656665"), 4, hexBuf("7768617420646f2079612077616e7420666f72206e6f7468696e673f"), 28);
    expect(firstDiff(OUT, hexBuf("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"), 32)).toBe(-1);
  });
  it("RFC 5869 A.1: the PRK and 42 bytes of OKM", () => {
    hkdfExtract(PRK, hexBuf("000102030405060708090a0b0c"), 13, hexBuf("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), 22, 0, 0);
    expect(firstDiff(PRK, hexBuf("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"), 32)).toBe(-1);
    hkdfExpand(OUT, 42, PRK, hexBuf("f0f1f2f3f4f5f6f7f8f9"), 10, 0, 0, 0, 0);
    expect(firstDiff(OUT, hexBuf("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"), 42)).toBe(-1);
  });
});

describe("hpke seal", () => {
  it("RFC 9180 A.2.1: enc and the ciphertext of sequence number 0", () => {
    let skE = hexBuf("f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600");
    hpkeEnc(ENC, skE);
    expect(firstDiff(ENC, hexBuf("1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a"), 32)).toBe(-1);
    let ok = hpkeSeal(ENC, CT, hexBuf("4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a"), skE,
      hexBuf("4f6465206f6e2061204772656369616e2055726e"), 20, hexBuf("436f756e742d30"), 7,
      hexBuf("4265617574792069732074727574682c20747275746820626561757479"), 29);
    expect(ok).toBe(true);
    expect(firstDiff(CT, hexBuf("1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28"), 45)).toBe(-1);
  });
  it("refuses a recipient key of small order (the shared value is zero)", () => {
    let skE = hexBuf("f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600");
    hpkeEnc(ENC, skE);
    expect(hpkeSeal(ENC, CT, hexBuf("0000000000000000000000000000000000000000000000000000000000000000"), skE, 0, 0, 0, 0, OUT, 4)).toBe(false);
  });
});
