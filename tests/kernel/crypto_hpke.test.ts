// kernel/crypto's sealing of control answers: HMAC-SHA256 (RFC 4231), HKDF-SHA256 (RFC
// 5869), HPKE's single-shot seal (RFC 9180 Appendix A.2.1: DHKEM(X25519, HKDF-SHA256),
// HKDF-SHA256, ChaCha20-Poly1305) and the ed25519 → X25519 map, through
// build/wasm/tests/crypto.wasm (tests/kernel/crypto/entry.ts). Each is checked against
// the RFC's vectors and, on seeded random inputs, against an independent implementation:
// node's createHmac and hkdfSync, @hpke/core's open, a BigInt map and node's X25519 (the
// converted key must agree with the seed's X25519 key, as libsodium's pair of functions
// does). CRYPTO_SEED=<seed> repeats a run.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import nacl from "tweetnacl";
import { CipherSuite, HkdfSha256 } from "@hpke/core";
import { DhkemX25519HkdfSha256 } from "@hpke/dhkem-x25519";
import { Chacha20Poly1305 } from "@hpke/chacha20poly1305";
import { seeded } from "../seeded";
import { ROOT } from "../../hosts/node/paths";
import { edPublicToX25519, edSeedToX25519 } from "../../loader/control/sealed";
import { keyProblem } from "../../loader/control/keys";

const ROUNDS = 200;
const { int, bytes: rawBytes } = seeded("crypto_hpke");
const bytes = (n: number) => Buffer.from(rawBytes(n));
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

interface Crypto {
  memory: WebAssembly.Memory;
  buf(): number;
  hmac256(out: number, key: number, keyLen: number, p: number, n: number): void;
  hkdf256(okm: number, L: number, salt: number, saltLen: number, ikm: number, ikmLen: number, info: number, infoLen: number): void;
  hpke(enc: number, ct: number, pkR: number, skE: number, info: number, infoLen: number, aad: number, aadLen: number, pt: number, n: number): number;
  edToX(u: number, pk: number): number;
}
const wasm = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(path.join(ROOT, "build/wasm/tests/crypto.wasm"))),
  { env: { abort: () => { throw new Error("abort in crypto.wasm"); } } }).exports as unknown as Crypto;
const BUF = wasm.buf();
const A = BUF, B = BUF + 4096, Cc = BUF + 8192, D = BUF + 12288, E = BUF + 16384, F = BUF + 20480, G = BUF + 24576, OUT = BUF + 32768;
const put = (at: number, b: Uint8Array) => new Uint8Array(wasm.memory.buffer, at, b.length).set(b);
const get = (at: number, n: number) => Buffer.from(new Uint8Array(wasm.memory.buffer, at, n));

function kHmac(key: Buffer, msg: Buffer): Buffer { put(A, key); put(B, msg); wasm.hmac256(OUT, A, key.length, B, msg.length); return get(OUT, 32); }
function kHkdf(ikm: Buffer, salt: Buffer, info: Buffer, L: number): Buffer {
  put(A, ikm); put(B, salt); put(Cc, info);
  wasm.hkdf256(OUT, L, B, salt.length, A, ikm.length, Cc, info.length);
  return get(OUT, L);
}
function kSeal(pkR: Buffer, skE: Buffer, info: Buffer, aad: Buffer, pt: Buffer): { enc: Buffer; ct: Buffer } {
  put(A, pkR); put(B, skE); put(Cc, info); put(D, aad); put(E, pt);
  assert.equal(wasm.hpke(F, G, A, B, Cc, info.length, D, aad.length, E, pt.length), 1);
  return { enc: get(F, 32), ct: get(G, pt.length + 16) };
}

test("HMAC-SHA256: RFC 4231 test cases 1, 2, 6 and 7", () => {
  assert.equal(kHmac(Buffer.alloc(20, 0x0b), Buffer.from("Hi There")).toString("hex"),
    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  assert.equal(kHmac(Buffer.from("Jefe"), Buffer.from("what do ya want for nothing?")).toString("hex"),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  assert.equal(kHmac(Buffer.alloc(131, 0xaa), Buffer.from("Test Using Larger Than Block-Size Key - Hash Key First")).toString("hex"),
    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  assert.equal(kHmac(Buffer.alloc(131, 0xaa), Buffer.from("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.")).toString("hex"),
    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
});

test("HKDF-SHA256: RFC 5869 A.1, A.2 and A.3", () => {
  assert.equal(kHkdf(Buffer.alloc(22, 0x0b), hex("000102030405060708090a0b0c"), hex("f0f1f2f3f4f5f6f7f8f9"), 42).toString("hex"),
    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  const r = (a: number, b: number) => Buffer.from(Array.from({ length: b - a + 1 }, (_, i) => a + i));
  assert.equal(kHkdf(r(0x00, 0x4f), r(0x60, 0xaf), r(0xb0, 0xff), 82).toString("hex"),
    "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87");
  assert.equal(kHkdf(Buffer.alloc(22, 0x0b), Buffer.alloc(0), Buffer.alloc(0), 42).toString("hex"),
    "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
});

test("HMAC and HKDF agree with node's crypto on random keys, messages and lengths", () => {
  for (let i = 0; i < ROUNDS; i++) {
    const key = bytes(int(4) === 0 ? 64 + int(100) : int(65)), msg = bytes(int(1500));
    assert.deepEqual(kHmac(key, msg), crypto.createHmac("sha256", key).update(msg).digest(), `HMAC round ${i}`);
    const ikm = bytes(1 + int(80)), salt = bytes(int(80)), info = bytes(int(200)), L = 1 + int(255);
    assert.deepEqual(kHkdf(ikm, salt, info, L), Buffer.from(crypto.hkdfSync("sha256", ikm, salt, info, L)), `HKDF round ${i}`);
  }
});

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });

test("HPKE seal: RFC 9180 A.2.1 (base mode, X25519, HKDF-SHA256, ChaCha20-Poly1305), sequence number 0", async () => {
  const { enc, ct } = kSeal(hex("4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a"),
    hex("f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600"),
    hex("4f6465206f6e2061204772656369616e2055726e"), hex("436f756e742d30"),
    hex("4265617574792069732074727574682c20747275746820626561757479"));
  assert.equal(enc.toString("hex"), "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a");
  assert.equal(ct.toString("hex"), "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28");
});

test("HPKE seal opens with @hpke/core on random keys, info, aad and plaintexts; a flipped bit does not", async () => {
  for (let i = 0; i < 60; i++) {
    const skR = bytes(32);
    const pkR = Buffer.from(nacl.scalarMult.base(skR));
    const info = bytes(int(64)), aad = bytes(int(100)), pt = bytes(int(1300));
    const { enc, ct } = kSeal(pkR, bytes(32), info, aad, pt);
    const recipientKey = await suite.kem.importKey("raw", new Uint8Array(skR).buffer, false);
    const opened = Buffer.from(await suite.open({ recipientKey, enc: new Uint8Array(enc).buffer, info }, ct, aad));
    assert.deepEqual(opened, pt, `round ${i}`);
    const bad = Buffer.from(ct); bad[int(bad.length)] ^= 1 << int(8);
    await assert.rejects(suite.open({ recipientKey, enc: new Uint8Array(enc).buffer, info }, bad, aad));
  }
});

test("ed25519 → X25519: the BigInt map, and the X25519 key of the seed (libsodium's two conversions agree)", () => {
  for (let i = 0; i < ROUNDS; i++) {
    const seed = bytes(32);
    const pk = Buffer.from(nacl.sign.keyPair.fromSeed(seed).publicKey);
    put(A, pk);
    assert.equal(wasm.edToX(OUT, A), 1);
    const u = get(OUT, 32);
    assert.deepEqual(u, Buffer.from(edPublicToX25519(pk)), `the BigInt map, round ${i}`);
    assert.deepEqual(u, Buffer.from(nacl.scalarMult.base(edSeedToX25519(seed))), `the seed's X25519 public key, round ${i}`);
  }
});

test("ed25519 → X25519 refuses what is not a usable key: the identity, small order, not on the curve", () => {
  const refused = [
    "0100000000000000000000000000000000000000000000000000000000000000",   // the identity: y = 1
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",   // y = -1: order 2
    "0000000000000000000000000000000000000000000000000000000000000000",   // y = 0: order 4
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",   // order 8
    "0200000000000000000000000000000000000000000000000000000000000000",   // y = 2: no x
  ];
  for (const h of refused) {
    put(A, hex(h));
    assert.equal(wasm.edToX(OUT, A), 0, h);
    assert.notEqual(keyProblem(hex(h)), null, `the loader refuses ${h} too`);
  }
});
