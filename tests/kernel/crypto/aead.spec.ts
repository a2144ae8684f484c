// kernel/crypto/aead.ts: RFC 8439's AEAD example (§2.8.2) sealed, and sealed in place; the
// decryption example of Appendix A.5 opened; XChaCha20-Poly1305's example of
// draft-irtf-cfrg-xchacha-03 §A.3.1 sealed and opened; an empty message; and the refusals:
// a flip of any one byte of ciphertext, tag or associated data, a wrong nonce, a message
// shorter than a tag. A refused open leaves its destination as it was. Keys, nonces, texts
// and outputs are as the documents print them.
import { aeadSeal, aeadOpen, xaeadSeal, xaeadOpen } from "../../../kernel/crypto/aead";
import { put, hexBuf, firstDiff } from "../frames";

const KEY: usize = memory.data(32, 16);
const NONCE: usize = memory.data(24, 16);
const AD: usize = memory.data(64, 16);
const IN: usize = memory.data(512, 16);
const OUT: usize = memory.data(512, 16);

const SUNSCREEN =
  "4c616469657320616e642047656e746c656d656e206f662074686520636c6173" +
  "73206f66202739393a204966204920636f756c64206f6666657220796f75206f" +
  "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73" +
  "637265656e20776f756c642062652069742e";
const SEALED_282 =                         // §2.8.2: ciphertext, then tag
  "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6" +
  "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36" +
  "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc" +
  "3ff4def08e4b7a9de576d26586cec64b6116" + "1ae10b594f09e26a7e902ecbd0600691";
const A5_KEY = "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0";
const A5_SEALED =                          // A.5: ciphertext, then the received tag
  "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2" +
  "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf" +
  "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855" +
  "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4" +
  "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e" +
  "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a" +
  "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10" +
  "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29" +
  "a6ad5cb4022b02709b" + "eead9d67890cbb22392336fea1851f38";
const A5_PLAIN =                           // A.5: "Internet-Drafts are draft documents ..."
  "496e7465726e65742d4472616674732061726520647261667420646f63756d65" +
  "6e74732076616c696420666f722061206d6178696d756d206f6620736978206d" +
  "6f6e74687320616e64206d617920626520757064617465642c207265706c6163" +
  "65642c206f72206f62736f6c65746564206279206f7468657220646f63756d65" +
  "6e747320617420616e792074696d652e20497420697320696e617070726f7072" +
  "6961746520746f2075736520496e7465726e65742d4472616674732061732072" +
  "65666572656e6365206d6174657269616c206f7220746f206369746520746865" +
  "6d206f74686572207468616e206173202fe2809c776f726b20696e2070726f67" +
  "726573732e2fe2809d";

/** §2.8.2's key, nonce (constant 07000000 ‖ IV) and AAD; returns the plaintext's length at IN. */
function setup282(): i32 {
  put(KEY, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  put(NONCE, "070000004041424344454647");
  put(AD, "50515253c0c1c2c3c4c5c6c7");
  return put(IN, SUNSCREEN);
}

/** A.5's key, nonce, AAD and sealed message at IN; returns its length (ciphertext and tag). */
function setupA5(): i32 {
  put(KEY, A5_KEY);
  put(NONCE, "000000000102030405060708");
  put(AD, "f33388860000000000004e91");
  return put(IN, A5_SEALED);
}

/** The first of n bytes at p that is not b, or -1. */
function written(p: usize, n: i32, b: u8): i32 {
  for (let i = 0; i < n; i++) if (load<u8>(p + <usize>i) != b) return i;
  return -1;
}

describe("aeadSeal", () => {
  it("seals the sunscreen text of RFC 8439 §2.8.2", () => {
    let n = setup282();
    aeadSeal(OUT, KEY, NONCE, IN, n, AD, 12);
    expect(firstDiff(OUT, hexBuf(SEALED_282), n + 16)).toBe(-1);
  });
  it("seals in place (dst == p)", () => {
    let n = setup282();
    aeadSeal(IN, KEY, NONCE, IN, n, AD, 12);
    expect(firstDiff(IN, hexBuf(SEALED_282), n + 16)).toBe(-1);
  });
  it("seals an empty message into a tag alone, which opens to nothing", () => {
    setup282();
    memory.fill(OUT, 0xee, 32);
    aeadSeal(OUT, KEY, NONCE, IN, 0, AD, 12);
    expect(load<u8>(OUT + 16)).toBe(0xee);
    expect(aeadOpen(OUT + 64, KEY, NONCE, OUT, 16, AD, 12)).toBe(true);
    store<u8>(OUT, load<u8>(OUT) ^ 1);
    expect(aeadOpen(OUT + 64, KEY, NONCE, OUT, 16, AD, 12)).toBe(false);
  });
});

describe("aeadOpen", () => {
  it("opens the message of Appendix A.5", () => {
    let n = setupA5();
    expect(n).toBe(265 + 16);
    expect(aeadOpen(OUT, KEY, NONCE, IN, n, AD, 12)).toBe(true);
    expect(firstDiff(OUT, hexBuf(A5_PLAIN), 265)).toBe(-1);
  });
  it("opens in place (dst == c), back to §2.8.2's plaintext", () => {
    let n = setup282();
    aeadSeal(IN, KEY, NONCE, IN, n, AD, 12);
    expect(aeadOpen(IN, KEY, NONCE, IN, n + 16, AD, 12)).toBe(true);
    expect(firstDiff(IN, hexBuf(SUNSCREEN), n)).toBe(-1);
  });
  it("refuses a flip of any byte of ciphertext or tag, and writes nothing", () => {
    let n = setupA5();
    for (let i = 0; i < n; i++) {
      memory.fill(OUT, 0x5a, 512);
      store<u8>(IN + <usize>i, load<u8>(IN + <usize>i) ^ 0x80);
      expect(aeadOpen(OUT, KEY, NONCE, IN, n, AD, 12)).toBe(false);
      store<u8>(IN + <usize>i, load<u8>(IN + <usize>i) ^ 0x80);
      expect(written(OUT, 512, 0x5a)).toBe(-1);
    }
    expect(aeadOpen(OUT, KEY, NONCE, IN, n, AD, 12)).toBe(true);
  });
  it("refuses in place without changing the message", () => {
    let n = setupA5();
    store<u8>(IN + <usize>(n - 1), load<u8>(IN + <usize>(n - 1)) ^ 1);
    expect(aeadOpen(IN, KEY, NONCE, IN, n, AD, 12)).toBe(false);
    store<u8>(IN + <usize>(n - 1), load<u8>(IN + <usize>(n - 1)) ^ 1);
    expect(firstDiff(IN, hexBuf(A5_SEALED), n)).toBe(-1);
  });
  it("refuses a flip of any byte of the associated data, or another nonce", () => {
    let n = setupA5();
    for (let i = 0; i < 12; i++) {
      store<u8>(AD + <usize>i, load<u8>(AD + <usize>i) ^ 1);
      expect(aeadOpen(OUT, KEY, NONCE, IN, n, AD, 12)).toBe(false);
      store<u8>(AD + <usize>i, load<u8>(AD + <usize>i) ^ 1);
    }
    expect(aeadOpen(OUT, KEY, NONCE, IN, n, AD, 11)).toBe(false);
    store<u8>(NONCE + 11, 9);
    expect(aeadOpen(OUT, KEY, NONCE, IN, n, AD, 12)).toBe(false);
  });
  it("refuses fewer bytes than a tag", () => {
    setupA5();
    for (let n = -1; n < 16; n++) expect(aeadOpen(OUT, KEY, NONCE, IN, n, AD, 12)).toBe(false);
  });
});

const X_SEALED =
  "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb" +
  "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452" +
  "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9" +
  "21f9664c97637da9768812f615c68b13b52e" + "c0875924c1c7987947deafd8780acf49";

/** §A.3.1's key, 24-byte nonce and AAD; returns the plaintext's length at IN. */
function setupX(): i32 {
  put(KEY, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  put(NONCE, "404142434445464748494a4b4c4d4e4f5051525354555657");
  put(AD, "50515253c0c1c2c3c4c5c6c7");
  return put(IN, SUNSCREEN);
}

describe("xaead", () => {
  it("seals the example of draft-irtf-cfrg-xchacha-03 §A.3.1", () => {
    let n = setupX();
    xaeadSeal(OUT, KEY, NONCE, IN, n, AD, 12);
    expect(firstDiff(OUT, hexBuf(X_SEALED), n + 16)).toBe(-1);
  });
  it("opens it in place, and refuses it with one nonce byte changed (the last 8 count too)", () => {
    let n = setupX();
    put(IN, X_SEALED);
    store<u8>(NONCE + 23, 0x58);
    expect(xaeadOpen(IN, KEY, NONCE, IN, n + 16, AD, 12)).toBe(false);
    store<u8>(NONCE + 23, 0x57);
    store<u8>(NONCE + 0, 0x41);
    expect(xaeadOpen(IN, KEY, NONCE, IN, n + 16, AD, 12)).toBe(false);
    store<u8>(NONCE + 0, 0x40);
    expect(firstDiff(IN, hexBuf(X_SEALED), n + 16)).toBe(-1);
    expect(xaeadOpen(IN, KEY, NONCE, IN, n + 16, AD, 12)).toBe(true);
    expect(firstDiff(IN, hexBuf(SUNSCREEN), n)).toBe(-1);
  });
});
