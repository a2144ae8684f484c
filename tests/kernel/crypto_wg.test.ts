// kernel/crypto's WireGuard primitives cross-checked against node's crypto (OpenSSL) and
// tweetnacl over random inputs, through build/wasm/tests/crypto.wasm (tests/kernel/crypto/
// entry.ts, built by `persia build`): ChaCha20-Poly1305 against createCipheriv, XChaCha20-
// Poly1305 against the same with HChaCha20 recovered from node's raw ChaCha20 keystream,
// BLAKE2s against createHash("blake2s256") whole and in random pieces, HMAC-BLAKE2s against
// createHmac, WireGuard's KDF against an HMAC chain, X25519 against tweetnacl and node's
// diffieHellman, TAI64N against BigInt arithmetic. Everything random comes from one seeded
// generator: the seed is printed, and CRYPTO_SEED=<seed> repeats a run. The literal
// vectors are in tests/kernel/crypto/*.spec.ts; timings are in tests/bench/crypto.ts.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import nacl from "tweetnacl";
import { seeded } from "../seeded";
import { ROOT } from "../../hosts/node/paths";

const ROUNDS = 300;                          // random cases per primitive
const MSG_MAX = 1500;                        // longest random message (a WireGuard MTU's worth)
const { seed: SEED, int, bytes: rawBytes } = seeded("crypto_wg");
const bytes = (n: number) => Buffer.from(rawBytes(n));
/** A length up to max, the edges (0, 1, 15, 16, 17, 63, 64, 65, max) more often than chance. */
const length = (max: number) => (int(4) === 0 ? [0, 1, 15, 16, 17, 63, 64, 65, max][int(9)] : int(max + 1));

interface Crypto {
  memory: WebAssembly.Memory;
  buf(): number;
  seal(dst: number, key: number, nonce: number, p: number, n: number, ad: number, adLen: number): void;
  open(dst: number, key: number, nonce: number, c: number, n: number, ad: number, adLen: number): number;
  xseal(dst: number, key: number, nonce: number, p: number, n: number, ad: number, adLen: number): void;
  xopen(dst: number, key: number, nonce: number, c: number, n: number, ad: number, adLen: number): number;
  b2s(out: number, outLen: number, key: number, keyLen: number, p: number, n: number): void;
  b2sInit(outLen: number, key: number, keyLen: number): void;
  b2sUpdate(p: number, n: number): void;
  b2sFinal(out: number): void;
  hmac(out: number, key: number, keyLen: number, p: number, n: number): void;
  wgKdf(ck: number, p: number, n: number, out1: number, out2: number, out3: number): void;
  dh(out: number, scalar: number, point: number): number;
  dhBase(out: number, scalar: number): void;
  tai(out: number, unixMs: bigint): void;
}
const WASM = path.join(ROOT, "build/wasm/tests/crypto.wasm");
const wasm = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(WASM)),
  { env: { abort: () => { throw new Error("abort in crypto.wasm"); } } }).exports as unknown as Crypto;
const BUF = wasm.buf();
const KEY = BUF, NONCE = BUF + 128, AD = BUF + 256, P = BUF + 1024, D = BUF + 8192;   // where each input goes
const O1 = BUF + 16384, O2 = O1 + 64, O3 = O2 + 64;

function put(at: number, b: Uint8Array): void { new Uint8Array(wasm.memory.buffer, at, b.length).set(b); }
function get(at: number, n: number): Buffer { return Buffer.from(new Uint8Array(wasm.memory.buffer, at, n)); }

function nodeSeal(key: Buffer, nonce: Buffer, p: Buffer, ad: Buffer): Buffer {
  const c = crypto.createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
  c.setAAD(ad, { plaintextLength: p.length });
  return Buffer.concat([c.update(p), c.final(), c.getAuthTag()]);
}

/** HChaCha20 from node's raw ChaCha20: its block over (key, words 12–15 = nonce16) is the
 *  permutation plus the input, so subtracting the input words 0–3 and 12–15 undoes it. */
function nodeHChaCha(key: Buffer, nonce16: Buffer): Buffer {
  const ks = crypto.createCipheriv("chacha20", key, nonce16).update(Buffer.alloc(64));
  const sigma = Buffer.from("expand 32-byte k", "ascii");
  const out = Buffer.alloc(32);
  for (let i = 0; i < 4; i++) {
    out.writeUInt32LE((ks.readUInt32LE(4 * i) - sigma.readUInt32LE(4 * i)) >>> 0, 4 * i);
    out.writeUInt32LE((ks.readUInt32LE(48 + 4 * i) - nonce16.readUInt32LE(4 * i)) >>> 0, 16 + 4 * i);
  }
  return out;
}

const hmac = (key: Buffer, msg: Buffer) => crypto.createHmac("blake2s256", key).update(msg).digest();

test("ChaCha20-Poly1305 seals as node's crypto does, opens its own, refuses one flipped bit", () => {
  for (let i = 0; i < ROUNDS; i++) {
    const key = bytes(32), nonce = bytes(12), ad = bytes(length(64)), p = bytes(length(MSG_MAX));
    put(KEY, key); put(NONCE, nonce); put(AD, ad); put(P, p);
    wasm.seal(D, KEY, NONCE, P, p.length, AD, ad.length);
    const want = nodeSeal(key, nonce, p, ad);
    assert.deepEqual(get(D, p.length + 16), want, `seal of ${p.length} bytes with ${ad.length} of AD (seed ${SEED})`);
    assert.equal(wasm.open(P, KEY, NONCE, D, p.length + 16, AD, ad.length), 1);
    assert.deepEqual(get(P, p.length), p);
    const at = int(p.length + 16);
    put(D + at, Uint8Array.of(get(D + at, 1)[0] ^ (1 << int(8))));
    put(P, Buffer.alloc(p.length, 0x77));
    assert.equal(wasm.open(P, KEY, NONCE, D, p.length + 16, AD, ad.length), 0, `flipped byte ${at} opened`);
    assert.deepEqual(get(P, p.length), Buffer.alloc(p.length, 0x77), "a refused open wrote its destination");
  }
});

test("XChaCha20-Poly1305 is ChaCha20-Poly1305 under HChaCha20's subkey and 0⁴ ‖ nonce[16..24]", () => {
  for (let i = 0; i < ROUNDS; i++) {
    const key = bytes(32), nonce = bytes(24), ad = bytes(length(64)), p = bytes(length(MSG_MAX));
    put(KEY, key); put(NONCE, nonce); put(AD, ad); put(P, p);
    wasm.xseal(D, KEY, NONCE, P, p.length, AD, ad.length);
    const inner = Buffer.concat([Buffer.alloc(4), nonce.subarray(16)]);
    const want = nodeSeal(nodeHChaCha(key, nonce.subarray(0, 16)), inner, p, ad);
    assert.deepEqual(get(D, p.length + 16), want, `xseal of ${p.length} bytes (seed ${SEED})`);
    assert.equal(wasm.xopen(D, KEY, NONCE, D, p.length + 16, AD, ad.length), 1);
    assert.deepEqual(get(D, p.length), p);
  }
});

test("BLAKE2s-256 hashes as node's blake2s256, whole and in random pieces", () => {
  for (let i = 0; i < ROUNDS; i++) {
    const m = bytes(length(MSG_MAX));
    const want = crypto.createHash("blake2s256").update(m).digest();
    put(P, m);
    wasm.b2s(D, 32, 0, 0, P, m.length);
    assert.deepEqual(get(D, 32), want, `${m.length} bytes (seed ${SEED})`);
    wasm.b2sInit(32, 0, 0);
    for (let off = 0; off < m.length;) {
      const k = Math.min(m.length - off, int(130));
      wasm.b2sUpdate(P + off, k);
      off += k;
    }
    wasm.b2sFinal(D);
    assert.deepEqual(get(D, 32), want, `${m.length} bytes in pieces (seed ${SEED})`);
  }
});

test("HMAC-BLAKE2s matches node's createHmac for keys of 0 to 100 bytes", () => {
  for (let i = 0; i < ROUNDS; i++) {
    const key = bytes(int(101)), m = bytes(length(MSG_MAX));
    put(KEY, key); put(P, m);
    wasm.hmac(D, KEY, key.length, P, m.length);
    assert.deepEqual(get(D, 32), hmac(key, m), `key ${key.length}, message ${m.length} (seed ${SEED})`);
  }
});

test("WireGuard's KDF is the HMAC chain, also with the chaining key updated in place", () => {
  for (let i = 0; i < ROUNDS; i++) {
    const ck = bytes(32), input = bytes([0, 32, 32, 32, int(200)][int(5)]);
    const t0 = hmac(ck, input), t1 = hmac(t0, Buffer.from([1]));
    const t2 = hmac(t0, Buffer.concat([t1, Buffer.from([2])])), t3 = hmac(t0, Buffer.concat([t2, Buffer.from([3])]));
    put(KEY, ck); put(P, input);
    wasm.wgKdf(KEY, P, input.length, O1, O2, O3);
    assert.deepEqual([get(O1, 32), get(O2, 32), get(O3, 32)], [t1, t2, t3], `seed ${SEED}`);
    wasm.wgKdf(KEY, P, input.length, KEY, O2, 0);
    assert.deepEqual([get(KEY, 32), get(O2, 32)], [t1, t2], `in place (seed ${SEED})`);
  }
});

const PKCS8 = Buffer.from("302e020100300506032b656e04220420", "hex");   // RFC 8410 X25519 private key
const SPKI = Buffer.from("302a300506032b656e032100", "hex");             // ... and public key
function nodeDh(scalar: Buffer, u: Buffer): Buffer {
  return crypto.diffieHellman({
    privateKey: crypto.createPrivateKey({ key: Buffer.concat([PKCS8, scalar]), format: "der", type: "pkcs8" }),
    publicKey: crypto.createPublicKey({ key: Buffer.concat([SPKI, u]), format: "der", type: "spki" }),
  });
}

test("X25519 agrees with tweetnacl and node's diffieHellman; public keys with scalarMult.base", () => {
  for (let i = 0; i < ROUNDS / 3; i++) {
    const s = bytes(32), u = bytes(32);
    put(KEY, s); put(P, u);
    assert.equal(wasm.dh(D, KEY, P), 1);
    const got = get(D, 32);
    assert.deepEqual(got, Buffer.from(nacl.scalarMult(s, u)), `tweetnacl (seed ${SEED})`);
    assert.deepEqual(got, nodeDh(s, u), `node (seed ${SEED})`);
    wasm.dhBase(D, KEY);
    assert.deepEqual(get(D, 32), Buffer.from(nacl.scalarMult.base(s)), `base (seed ${SEED})`);
  }
});

test("TAI64N is 2^62 + 10 + seconds and milliseconds × 10^6 ns, big-endian", () => {
  for (let i = 0; i < ROUNDS; i++) {
    const ms = BigInt(int(2 ** 31)) * 1000n + BigInt(int(1000));
    wasm.tai(O1, ms);
    const want = Buffer.alloc(12);
    want.writeBigUInt64BE((1n << 62n) + 10n + ms / 1000n, 0);
    want.writeUInt32BE(Number(ms % 1000n) * 1e6, 8);
    assert.deepEqual(get(O1, 12), want, `${ms} ms`);
  }
});
