// kernel/crypto/ed25519_sign.ts cross-checked against node's crypto (OpenSSL) and tweetnacl
// over random seeds and messages, through build/wasm/tests/crypto.wasm (tests/kernel/crypto/
// entry.ts, built by `persia build`): the public key of a seed, and the signature of a
// message, byte for byte, which the kernel's verifier and node's then accept; and the
// signature comes out the same when it is written over the message, the seed or the key.
// Everything random comes from one seeded generator: the seed is printed, and
// CRYPTO_SEED=<seed> repeats a run. The RFC 8032 vectors are in tests/kernel/crypto/
// ed25519_sign.spec.ts; the time of one signature is in tests/bench/crypto.ts.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import nacl from "tweetnacl";
import { seeded } from "../seeded";
import { ROOT } from "../../hosts/node/paths";

const ROUNDS = 300;                          // random seeds, each signing one random message
const MSG_MAX = 1500;                        // longest random message
const { seed: SEED, int, bytes: rawBytes } = seeded("crypto_sign");
const bytes = (n: number) => Buffer.from(rawBytes(n));

interface Crypto {
  memory: WebAssembly.Memory;
  buf(): number;
  publicKey(pk: number, seed: number): void;
  sign(sig: number, msg: number, n: number, seed: number, pk: number): void;
  verify(sig: number, msg: number, n: number, pk: number): number;
}
const WASM = path.join(ROOT, "build/wasm/tests/crypto.wasm");
const wasm = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(WASM)),
  { env: { abort: () => { throw new Error("abort in crypto.wasm"); } } }).exports as unknown as Crypto;
const BUF = wasm.buf();
const KEY = BUF, PK = BUF + 64, SIG = BUF + 128, MSG = BUF + 256;   // where each input goes

function put(at: number, b: Uint8Array): void { new Uint8Array(wasm.memory.buffer, at, b.length).set(b); }
function get(at: number, n: number): Buffer { return Buffer.from(new Uint8Array(wasm.memory.buffer, at, n)); }

const PKCS8 = Buffer.from("302e020100300506032b657004220420", "hex");   // RFC 8410 Ed25519 private key
const nodeKey = (seed: Buffer) => crypto.createPrivateKey({ key: Buffer.concat([PKCS8, seed]), format: "der", type: "pkcs8" });
/** The last 32 bytes of the SPKI encoding are the key itself (RFC 8410 §4). */
const nodePublic = (seed: Buffer) => crypto.createPublicKey(nodeKey(seed)).export({ format: "der", type: "spki" }).subarray(-32);

interface Case { seed: Buffer; msg: Buffer }
const cases: Case[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const n = i < 2 ? i * MSG_MAX : int(4) === 0 ? [1, 63, 64, 111, 112, 128][int(6)] : int(MSG_MAX + 1);
  cases.push({ seed: bytes(32), msg: bytes(n) });
}

function kernelPublic(seed: Buffer): Buffer {
  put(KEY, seed);
  wasm.publicKey(PK, KEY);
  return get(PK, 32);
}

test(`ed25519Public: ${ROUNDS} random seeds give node's and tweetnacl's public keys`, () => {
  for (const [i, c] of cases.entries()) {
    const pk = kernelPublic(c.seed);
    assert.deepEqual(pk, nodePublic(c.seed), `seed ${i} (CRYPTO_SEED=${SEED})`);
    assert.deepEqual(pk, Buffer.from(nacl.sign.keyPair.fromSeed(c.seed).publicKey), `seed ${i}, tweetnacl (CRYPTO_SEED=${SEED})`);
  }
});

test(`ed25519Sign: ${ROUNDS} signatures over 0..${MSG_MAX} bytes equal node's crypto.sign and tweetnacl's, and verify`, () => {
  for (const [i, c] of cases.entries()) {
    const pk = kernelPublic(c.seed);
    put(MSG, c.msg);
    wasm.sign(SIG, MSG, c.msg.length, KEY, PK);
    const sig = get(SIG, 64);
    const where = `case ${i}, ${c.msg.length} bytes (CRYPTO_SEED=${SEED})`;
    assert.deepEqual(sig, crypto.sign(null, c.msg, nodeKey(c.seed)), where);
    assert.deepEqual(sig, Buffer.from(nacl.sign.detached(c.msg, nacl.sign.keyPair.fromSeed(c.seed).secretKey)), `${where}, tweetnacl`);
    assert.equal(wasm.verify(SIG, MSG, c.msg.length, PK), 1, `${where}: the kernel's verify`);
    assert.ok(crypto.verify(null, c.msg, crypto.createPublicKey(nodeKey(c.seed)), sig), `${where}: node's verify`);
    assert.deepEqual(get(KEY, 32), c.seed, `${where}: the seed is left as it was`);
    assert.deepEqual(get(PK, 32), pk, `${where}: the key is left as it was`);
  }
});

test("ed25519Sign: the signature may be written over the message, the seed or the key", () => {
  for (const [i, c] of cases.slice(0, 60).entries()) {
    const want = crypto.sign(null, c.msg, nodeKey(c.seed));
    const pk = kernelPublic(c.seed);
    const over = ["message", "seed", "key"][i % 3];
    // The signature starts anywhere in the message (or at the seed or key), its 64 bytes
    // reaching past them into what follows.
    const at = over === "message" ? MSG + int(c.msg.length + 1) : over === "seed" ? KEY : PK;
    put(KEY, c.seed); put(PK, pk); put(MSG, c.msg);
    wasm.sign(at, MSG, c.msg.length, KEY, PK);
    assert.deepEqual(get(at, 64), want, `case ${i}: over the ${over} (CRYPTO_SEED=${SEED})`);
  }
});
