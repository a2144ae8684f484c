// kernel/crypto/chacha20.ts: RFC 8439's block function (§2.3.2), the cipher over the
// "sunscreen" text across two blocks (§2.4.2), the Poly1305 key generation of §2.6.2 and
// A.4 (block 0's first 32 bytes), encryption in place, and HChaCha20's subkey
// (draft-irtf-cfrg-xchacha-03 §2.2.1). Every expected value is as the documents print it.
import { chachaBlock, chacha20Xor, hchacha20, KS } from "../../../kernel/crypto/chacha20";
import { put, hexBuf, firstDiff } from "../frames";

const KEY: usize = memory.data(32, 16);
const NONCE: usize = memory.data(16, 16);
const IN: usize = memory.data(512, 16);
const OUT: usize = memory.data(512, 16);

const KEY_0_31 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const SUNSCREEN =
  "4c616469657320616e642047656e746c656d656e206f662074686520636c6173" +
  "73206f66202739393a204966204920636f756c64206f6666657220796f75206f" +
  "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73" +
  "637265656e20776f756c642062652069742e";

describe("chacha20", () => {
  it("computes the block of RFC 8439 §2.3.2", () => {
    put(KEY, KEY_0_31);
    put(NONCE, "000000090000004a00000000");
    chachaBlock(KEY, 1, NONCE);
    expect(firstDiff(KS, hexBuf(
      "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e" +
      "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"), 64)).toBe(-1);
  });
  it("encrypts the sunscreen text of §2.4.2 (counter 1, 114 bytes: one block and a part)", () => {
    put(KEY, KEY_0_31);
    put(NONCE, "000000000000004a00000000");
    let n = put(IN, SUNSCREEN);
    expect(n).toBe(114);
    chacha20Xor(OUT, IN, n, KEY, NONCE, 1);
    expect(firstDiff(OUT, hexBuf(
      "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b" +
      "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8" +
      "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736" +
      "5af90bbf74a35be6b40b8eedf2785e42874d"), n)).toBe(-1);
  });
  it("encrypts in place, and decrypts back", () => {
    put(KEY, KEY_0_31);
    put(NONCE, "000000000000004a00000000");
    let n = put(IN, SUNSCREEN);
    chacha20Xor(IN, IN, n, KEY, NONCE, 1);
    expect(load<u8>(IN)).toBe(0x6e);
    expect(load<u8>(IN + 113)).toBe(0x4d);
    chacha20Xor(IN, IN, n, KEY, NONCE, 1);
    expect(firstDiff(IN, hexBuf(SUNSCREEN), n)).toBe(-1);
  });
  it("writes nothing for n = 0", () => {
    memory.fill(OUT, 0xa5, 64);
    chacha20Xor(OUT, IN, 0, KEY, NONCE, 1);
    expect(load<u64>(OUT)).toBe(0xa5a5a5a5a5a5a5a5);
  });
  it("generates the Poly1305 key of §2.6.2 (block 0)", () => {
    put(KEY, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    put(NONCE, "000000000001020304050607");
    chachaBlock(KEY, 0, NONCE);
    expect(firstDiff(KS, hexBuf("8ad5a08b905f81cc815040274ab29471a833b637e3fd0da508dbb8e2fdd1a646"), 32)).toBe(-1);
  });
  it("generates the Poly1305 keys of Appendix A.4", () => {
    memory.fill(KEY, 0, 32);
    memory.fill(NONCE, 0, 12);
    chachaBlock(KEY, 0, NONCE);
    expect(firstDiff(KS, hexBuf("76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"), 32)).toBe(-1);
    store<u8>(KEY + 31, 1);
    store<u8>(NONCE + 11, 2);
    chachaBlock(KEY, 0, NONCE);
    expect(firstDiff(KS, hexBuf("ecfa254f845f647473d3cb140da9e87606cb33066c447b87bc2666dde3fbb739"), 32)).toBe(-1);
    put(KEY, "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
    chachaBlock(KEY, 0, NONCE);
    expect(firstDiff(KS, hexBuf("965e3bc6f9ec7ed9560808f4d229f94b137ff275ca9b3fcbdd59deaad23310ae"), 32)).toBe(-1);
  });
});

describe("hchacha20", () => {
  it("derives the subkey of draft-irtf-cfrg-xchacha-03 §2.2.1", () => {
    put(KEY, KEY_0_31);
    put(NONCE, "000000090000004a0000000031415927");
    hchacha20(OUT, KEY, NONCE);
    expect(firstDiff(OUT, hexBuf("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"), 32)).toBe(-1);
  });
});
