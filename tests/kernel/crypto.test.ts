// kernel/crypto (SHA-512, Ed25519 verification) cross-checked against tweetnacl and node's
// crypto over random inputs, through build/wasm/tests/crypto.wasm (tests/kernel/crypto/
// entry.ts, built by `persia build`). Everything random comes from one seeded generator:
// the seed is printed, and CRYPTO_SEED=<seed> repeats a run. The literal RFC vectors and
// the hand-made edge cases are in tests/kernel/crypto/*.spec.ts; this file adds the
// "Taming the many EdDSAs" vectors, keys and R with a small-order part, and verification's
// double-scalar multiplication at edge scalars against BigInt, and prints the time of one
// verify (not asserted).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import nacl from "tweetnacl";
import { seeded } from "../seeded";
import { ROOT } from "../../hosts/node/paths";
import { keyProblem } from "../../loader/control/keys";

const PAIRS = 500;                           // key pairs signed with tweetnacl and verified
const MSG_MAX = 1500;                        // longest random message
const { int, bytes: rawBytes } = seeded("crypto");
const bytes = rawBytes;

interface Crypto {
  memory: WebAssembly.Memory;
  buf(): number;
  hash(p: number, n: number, out: number): void;
  hashInit(): void;
  hashUpdate(p: number, n: number): void;
  hashFinal(out: number): void;
  hash256(p: number, n: number, out: number): void;
  verify(sig: number, msg: number, n: number, pk: number): number;
  verifyMany(sig: number, msg: number, n: number, pk: number, count: number): number;
  keyUsable(pk: number): number;
  doubleScalarMult(out: number, a: number, pk: number, b: number): number;
}
const WASM = path.join(ROOT, "build/wasm/tests/crypto.wasm");
const wasm = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(WASM)),
  { env: { abort: () => { throw new Error("abort in crypto.wasm"); } } }).exports as unknown as Crypto;
const BUF = wasm.buf();
const SIG = BUF, PK = BUF + 64, MSG = BUF + 128, OUT = BUF + 8192;   // where each input goes

function put(at: number, b: Uint8Array): void { new Uint8Array(wasm.memory.buffer, at, b.length).set(b); }
function get(at: number, n: number): Buffer { return Buffer.from(new Uint8Array(wasm.memory.buffer, at, n)); }

function kernelVerify(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean {
  put(SIG, sig); put(PK, pk); put(MSG, msg);
  return wasm.verify(SIG, MSG, msg.length, PK) === 1;
}

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;
function le(x: bigint): Uint8Array {
  const b = new Uint8Array(32);
  for (let i = 0; i < 32; i++, x >>= 8n) b[i] = Number(x & 0xffn);
  return b;
}
function fromLe(b: Uint8Array): bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]);
  return x;
}

interface Signed { pk: Uint8Array; msg: Uint8Array; sig: Uint8Array }
const signed: Signed[] = [];
for (let i = 0; i < PAIRS; i++) {
  const kp = nacl.sign.keyPair.fromSeed(bytes(32));
  const msg = bytes(i < 2 ? i * MSG_MAX : int(MSG_MAX + 1));   // the first two: 0 and MSG_MAX bytes
  signed.push({ pk: kp.publicKey, msg, sig: nacl.sign.detached(msg, kp.secretKey) });
}

test("SHA-512 equals node's and tweetnacl's at every block boundary and at random lengths", () => {
  const lengths = [0, 1, 111, 112, 113, 127, 128, 129, 239, 240, 241, 255, 256, 257];
  for (let i = 0; i < 200; i++) lengths.push(int(4000));
  for (const n of lengths) {
    const m = bytes(n);
    put(MSG, m);
    wasm.hash(MSG, n, OUT);
    const want = crypto.createHash("sha512").update(m).digest();
    assert.deepEqual(get(OUT, 64), want, `length ${n}`);
    assert.deepEqual(get(OUT, 64), Buffer.from(nacl.hash(m)), `length ${n} (tweetnacl)`);
  }
});

test("SHA-256 equals node's at every block boundary and at random lengths", () => {
  const lengths = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 121, 127, 128, 129];
  for (let i = 0; i < 200; i++) lengths.push(int(4000));
  for (const n of lengths) {
    const m = bytes(n);
    put(MSG, m);
    wasm.hash256(MSG, n, OUT);
    assert.deepEqual(get(OUT, 32), crypto.createHash("sha256").update(m).digest(), `length ${n}`);
  }
});

test("SHA-512 fed in random pieces equals the one-shot digest", () => {
  for (let i = 0; i < 200; i++) {
    const n = int(1200);
    const m = bytes(n);
    put(MSG, m);
    wasm.hashInit();
    for (let at = 0; at < n;) {
      const k = Math.min(n - at, int(300));
      wasm.hashUpdate(MSG + at, k);
      at += k;
    }
    wasm.hashFinal(OUT);
    assert.deepEqual(get(OUT, 64), crypto.createHash("sha512").update(m).digest(), `length ${n}`);
  }
});

test(`Ed25519: the kernel accepts ${PAIRS} signatures tweetnacl made over messages of 0..${MSG_MAX} bytes`, () => {
  for (const [i, s] of signed.entries()) assert.ok(kernelVerify(s.sig, s.msg, s.pk), `pair ${i}, ${s.msg.length} bytes`);
});

test("Ed25519: with one bit flipped in the signature, message or key, the kernel answers as tweetnacl", () => {
  const where = { sig: 0, msg: 0, pk: 0 };
  let accepted = 0;
  for (const [i, s] of signed.entries()) {
    const sig = s.sig.slice(), msg = s.msg.slice(), pk = s.pk.slice();
    const kinds = msg.length > 0 ? ["sig", "msg", "pk"] as const : ["sig", "pk"] as const;
    const kind = kinds[i % kinds.length];
    const target = { sig, msg, pk }[kind];
    const bit = int(target.length * 8);
    target[bit >> 3] ^= 1 << (bit & 7);
    where[kind]++;
    const want = nacl.sign.detached.verify(msg, sig, pk);
    if (want) accepted++;
    assert.equal(kernelVerify(sig, msg, pk), want, `pair ${i}: bit ${bit} of ${kind} flipped`);
  }
  assert.ok(where.sig > 100 && where.msg > 100 && where.pk > 100, JSON.stringify(where));
  assert.equal(accepted, 0, "tweetnacl accepted a flipped bit");
});

test("Ed25519: S + L verifies in tweetnacl, which skips RFC 8032's S < L check; the kernel rejects it", () => {
  for (const s of signed.slice(0, 20)) {
    const big = le(fromLe(s.sig.subarray(32)) + L);
    const sig = Uint8Array.from([...s.sig.subarray(0, 32), ...big]);
    assert.equal(nacl.sign.detached.verify(s.msg, sig, s.pk), true);
    assert.equal(kernelVerify(sig, s.msg, s.pk), false);
  }
});

test("Ed25519: keys tweetnacl decodes and RFC 8032 §5.1.3 refuses are refused by the kernel", () => {
  // With the identity (y = 1) as key, R = B and S = 1 is a valid signature of any message.
  const identity = le(1n);
  const B = Buffer.from("5866666666666666666666666666666666666666666666666666666666666666", "hex");
  const sig = Uint8Array.from([...B, ...le(1n)]);
  const msg = bytes(int(100));
  assert.equal(kernelVerify(sig, msg, identity), true, "the identity with its canonical encoding");
  const yAboveP = le(P + 1n);                        // y = p + 1, which is 1 mod p
  const negZero = le(1n); negZero[31] |= 0x80;       // y = 1, x = 0 with the sign bit set
  for (const [name, pk] of [["y = p + 1", yAboveP], ["x = 0, sign 1", negZero]] as const) {
    assert.equal(nacl.sign.detached.verify(msg, sig, pk), true, `tweetnacl accepts ${name}`);
    assert.equal(kernelVerify(sig, msg, pk), false, `the kernel refuses ${name}`);
  }
});

/** The 8 points of small order (the curve's torsion), by their canonical encodings: the
 *  identity (y = 1), order 2 (y = -1), order 4 (y = 0, both signs) and order 8 (libsodium's
 *  blocklist, both signs). */
const SMALL_ORDER = [
  "0100000000000000000000000000000000000000000000000000000000000000",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0000000000000000000000000000000000000000000000000000000000000080",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
].map((h) => Uint8Array.from(Buffer.from(h, "hex")));

function kernelKeyUsable(pk: Uint8Array): boolean {
  put(PK, pk);
  return wasm.keyUsable(PK) === 1;
}

test("Ed25519 keys: the 8 small-order points are refused by the kernel and by the loader's BigInt check", () => {
  for (const pk of SMALL_ORDER) {
    assert.equal(kernelKeyUsable(pk), false, Buffer.from(pk).toString("hex"));
    assert.match(keyProblem(pk) ?? "", /small order/, Buffer.from(pk).toString("hex"));
  }
  // The identity is why: R = B, S = 1 is a signature of any message by it.
  const B = Buffer.from("5866666666666666666666666666666666666666666666666666666666666666", "hex");
  assert.equal(kernelVerify(Uint8Array.from([...B, ...le(1n)]), bytes(40), SMALL_ORDER[0]), true);
});

test("Ed25519 keys: the kernel and the loader agree on tweetnacl's keys and on random bytes", () => {
  let decoded = 0;
  for (const s of signed.slice(0, 200)) {
    assert.equal(kernelKeyUsable(s.pk), true);
    assert.equal(keyProblem(s.pk), null);
  }
  for (let i = 0; i < 500; i++) {
    const pk = bytes(32);
    const want = keyProblem(pk) === null;
    if (want) decoded++;
    assert.equal(kernelKeyUsable(pk), want, Buffer.from(pk).toString("hex"));
  }
  assert.ok(decoded > 150 && decoded < 350, `about half of random strings decode (${decoded} of 500)`);
  assert.match(keyProblem(le(P + 1n)) ?? "", /not the encoding of a point/, "y = p + 1");
  assert.equal(kernelKeyUsable(le(P + 1n)), false);
});

const CROSS = 2000;                          // random keys and messages for the three-way check

/** A key pair from node's crypto: its raw public key and a signer. */
function nodeKey(seed: Uint8Array): { pk: Uint8Array; sign: (m: Uint8Array) => Uint8Array; key: crypto.KeyObject } {
  const priv = crypto.createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]), format: "der", type: "pkcs8" });
  const key = crypto.createPublicKey(priv);
  const pk = Uint8Array.from(key.export({ format: "der", type: "spki" }).subarray(12));
  return { pk, key, sign: (m) => Uint8Array.from(crypto.sign(null, m, priv)) };
}

function nodeVerify(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean {
  try {
    const key = crypto.createPublicKey({ key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), pk]), format: "der", type: "spki" });
    return crypto.verify(null, msg, key, sig);
  } catch {
    return false;                                    // node refuses to import a key that does not decode
  }
}

test(`Ed25519: over ${CROSS} random keys and messages, valid and mutated, the kernel, tweetnacl and node's crypto give the same verdict`, () => {
  const kinds = ["valid", "sig bit", "msg bit", "pk bit", "other key", "random R", "random S"] as const;
  const seen = new Map<string, [number, number]>();
  for (let i = 0; i < CROSS; i++) {
    const k = nodeKey(bytes(32));
    const msg = bytes(int(300));
    let sig: Uint8Array = k.sign(msg), pk: Uint8Array = k.pk.slice(), m: Uint8Array = msg.slice();
    const kind = kinds[i % kinds.length];
    const flip = (b: Uint8Array) => { const at = int(b.length * 8); b[at >> 3] ^= 1 << (at & 7); };
    if (kind === "sig bit") flip(sig);
    else if (kind === "msg bit") { if (m.length > 0) flip(m); else flip(sig); }
    else if (kind === "pk bit") flip(pk);
    else if (kind === "other key") pk = nodeKey(bytes(32)).pk;
    else if (kind === "random R") sig.set(bytes(32), 0);
    else if (kind === "random S") sig.set(le(fromLe(bytes(32)) % L), 32);
    const tw = nacl.sign.detached.verify(m, sig, pk), nd = nodeVerify(sig, m, pk), ke = kernelVerify(sig, m, pk);
    const what = `case ${i} (${kind}): sig ${Buffer.from(sig).toString("hex")} pk ${Buffer.from(pk).toString("hex")} msg ${Buffer.from(m).toString("hex")}`;
    assert.equal(ke, nd, `kernel and node disagree, ${what}`);
    assert.equal(ke, tw, `kernel and tweetnacl disagree, ${what}`);
    const [yes, no] = seen.get(kind) ?? [0, 0];
    seen.set(kind, ke ? [yes + 1, no] : [yes, no + 1]);
  }
  assert.deepEqual(seen.get("valid"), [Math.ceil(CROSS / kinds.length), 0], "every valid signature verifies");
  for (const kind of kinds.slice(1)) assert.equal(seen.get(kind)?.[0], 0, `no ${kind} mutation verifies`);
});

// BigInt Edwards arithmetic (affine, a = -1), to make [S]B for any S.
const D = (((-121665n * powP(121666n, P - 2n)) % P) + P) % P;
function powP(b: bigint, e: bigint): bigint {
  let r = 1n; b %= P;
  for (; e > 0n; e >>= 1n) { if (e & 1n) r = r * b % P; b = b * b % P; }
  return r;
}
function edAdd([x1, y1]: bigint[], [x2, y2]: bigint[]): bigint[] {
  const t = D * x1 * x2 % P * y1 % P * y2 % P;
  const modp = (a: bigint) => ((a % P) + P) % P;
  return [modp((x1 * y2 + y1 * x2) * powP(1n + t, P - 2n)), modp((y1 * y2 + x1 * x2) * powP(modp(1n - t), P - 2n))];
}
const BASE_PT = [0x216936d3cd6e53fec0a4e231fdd6dc5c692cc7609525a7b2c9562d608f25d51an, 4n * powP(5n, P - 2n) % P];
function encode(s: bigint): Uint8Array {
  let r = [0n, 1n], q = BASE_PT;
  for (; s > 0n; s >>= 1n) { if (s & 1n) r = edAdd(r, q); q = edAdd(q, q); }
  const b = le(r[1]);
  b[31] |= Number(r[0] & 1n) << 7;
  return b;
}

test("Ed25519: S of every shape (0, 1, powers of two, long runs of ones, L - 1) verifies with the identity as key, as in tweetnacl, and S + 1 does not", () => {
  // With A the identity, [S]B = R + [k]A holds for R = [S]B whatever the message: the
  // sliding window's digits (carries through runs of ones, the top bits) meet S unmasked.
  const identity = le(1n), msg = bytes(33);
  const shapes = [0n, 1n, 2n, 3n, 15n, 16n, 127n, 128n, 2n ** 64n - 1n, 2n ** 128n + 1n,
    2n ** 252n - 1n, 2n ** 252n, L - 1n, L - 2n, (2n ** 252n - 1n) / 3n, 0xffffn << 200n];
  for (let i = 0; i < 20; i++) shapes.push(fromLe(bytes(32)) % L);
  for (const s of shapes) {
    const sig = Uint8Array.from([...encode(s), ...le(s)]);
    assert.equal(kernelVerify(sig, msg, identity), true, `S = ${s.toString(16)}`);
    assert.equal(nacl.sign.detached.verify(msg, sig, identity), true, `tweetnacl, S = ${s.toString(16)}`);
    const wrong = Uint8Array.from([...encode(s + 1n), ...le(s)]);
    assert.equal(kernelVerify(wrong, msg, identity), false, `R = [S + 1]B, S = ${s.toString(16)}`);
  }
});

test("Ed25519: time per verify inside the wasm", () => {
  const s = signed[1];                               // MSG_MAX bytes
  put(SIG, s.sig); put(PK, s.pk); put(MSG, s.msg);
  const count = 200;
  const t0 = process.hrtime.bigint();
  const ok = wasm.verifyMany(SIG, MSG, s.msg.length, PK, count);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6 / count;
  assert.equal(ok, count);
  console.log(`crypto: ed25519Verify ${ms.toFixed(2)} ms per call (${count} calls, ${s.msg.length}-byte message)`);
});

// Points with a small-order part. Extended coordinates (X:Y:Z:T, a = -1), so a scalar
// multiplication costs one inversion.
const modP = (a: bigint) => ((a % P) + P) % P;
type Ext = [bigint, bigint, bigint, bigint];
function extAdd([X1, Y1, Z1, T1]: Ext, [X2, Y2, Z2, T2]: Ext): Ext {
  const a = modP((Y1 - X1) * (Y2 - X2)), b = modP((Y1 + X1) * (Y2 + X2));
  const c = modP(T1 * 2n * D % P * T2), d = modP(Z1 * 2n * Z2);
  const e = b - a, f = d - c, g = d + c, h = b + a;
  return [modP(e * f), modP(g * h), modP(f * g), modP(e * h)];
}
function extMul(s: bigint, p: Ext): Ext {
  let r: Ext = [0n, 1n, 1n, 0n];
  for (let i = s.toString(2).length - 1; i >= 0; i--) {
    r = extAdd(r, r);
    if ((s >> BigInt(i)) & 1n) r = extAdd(r, p);
  }
  return r;
}
function extEncode(p: Ext): Uint8Array {
  const zi = powP(p[2], P - 2n);
  const b = le(modP(p[1] * zi));
  b[31] |= Number(modP(p[0] * zi) & 1n) << 7;
  return b;
}
/** RFC 8032 §5.1.3's decoding, for canonical encodings of points. */
function extDecode(b: Uint8Array): Ext {
  const y = fromLe(b) & ((1n << 255n) - 1n), sign = BigInt(b[31] >> 7);
  const u = modP(y * y - 1n), v = modP(D * y * y + 1n), x2 = modP(u * powP(v, P - 2n));
  let x = powP(x2, (P + 3n) / 8n);
  if (modP(x * x) !== x2) x = modP(x * powP(2n, (P - 1n) / 4n));
  assert.equal(modP(x * x), x2, "a point");
  if ((x & 1n) !== sign) x = modP(-x);
  return [x, y, 1n, modP(x * y)];
}
const B_EXT = extDecode(Buffer.from("5866666666666666666666666666666666666666666666666666666666666666", "hex"));
/** The torsion subgroup as T8's multiples: small[i] = [i]T8, T8 a point of order 8. */
const TORSION: Ext[] = [];
for (let i = 0, q: Ext = [0n, 1n, 1n, 0n]; i < 8; i++, q = extAdd(q, extDecode(SMALL_ORDER[6]))) TORSION.push(q);

test("Ed25519: the 12 vectors of \"Taming the many EdDSAs\" (Chalkias et al. 2020) get RFC 8032's cofactorless verdicts, cases 0-3 accepted and 4-11 refused", () => {
  // [message, key, signature]: 0 small-order A and R, S = 0; 1 small-order A, mixed-order R;
  // 2 mixed-order A, small-order R; 3 mixed-order A and R, passing both the cofactorless and
  // the cofactored equation; 4 the same passing only the cofactored one; 5 mixed-order A,
  // passing only the cofactored one; 6-7 S >= L; 8-9 R non-canonical, 10-11 A non-canonical
  // (both: y = p - 1, the order-2 point, with x = 0's sign bit set), k hashed over the
  // reduced (10) or the given (11) encoding of A.
  const ff = "ff".repeat(31);
  const cases: [string, string, string][] = [
    ["8c93255d71dcab10e8f379c26200f3c7bd5f09d9bc3068d3ef4edeb4853022b6", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a" + "00".repeat(32)],
    ["9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04"],
    ["aebf3f2601a0c8c5d39cc7d8911642f740b78168218da8471772b35f9d35b9ab", "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa8c4bd45aecaca5b24fb97bc10ac27ac8751a7dfe1baff8b953ec9f5833ca260e"],
    ["9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79", "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d", "9046a64750444938de19f227bb80485e92b83fdb4b6506c160484c016cc1852f87909e14428a7a1d62e9f22f3d3ad7802db02eb2e688b6c52fcd6648a98bd009"],
    ["e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c", "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d", "160a1cb0dc9c0258cd0a7d23e94d8fa878bcb1925f2c64246b2dee1796bed5125ec6bc982a269b723e0668e540911a9a6a58921d6925e434ab10aa7940551a09"],
    ["e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c", "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d", "21122a84e0b5fca4052f5b1235c80a537878b38f3142356b2c2384ebad4668b7e40bc836dac0f71076f9abe3a53f9c03c1ceeeddb658d0030494ace586687405"],
    ["85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40", "442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623", "e96f66be976d82e60150baecff9906684aebb1ef181f67a7189ac78ea23b6c0e547f7690a0e2ddcd04d87dbc3490dc19b3b3052f7ff0538cb68afb369ba3a514"],
    ["85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40", "442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623", "8ce5b96c8f26d0ab6c47958c9e68b937104cd36e13c33566acd2fe8d38aa19427e71f98a4734e74f2f13f06f97c20d58cc3f54b8bd0d272f42b695dd7e89a8c2"],
    ["9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41", "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43", "ec" + ff + "03be9678ac102edcd92b0210bb34d7428d12ffc5df5f37e359941266a4e35f0f"],
    ["9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41", "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43", "ec" + ff + "ca8c5b64cd208982aa38d4936621a4775aa233aa0505711d8fdcfdaa943d4908"],
    ["e96b7021eb39c1a163b6da4e3093dcd3f21387da4cc4572be588fafae23c155b", "ec" + ff, "a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dca5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04"],
    ["39a591f5321bbe07fd5a23dc2f39d025d74526615746727ceefd6e82ae65c06f", "ec" + ff, "a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dca5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04"],
  ];
  for (const [i, [m, k, s]] of cases.entries()) {
    const msg = Buffer.from(m, "hex"), pk = Buffer.from(k, "hex"), sig = Buffer.from(s, "hex");
    const want = i <= 3;
    assert.equal(kernelVerify(sig, msg, pk), want, `case ${i}: the kernel`);
    // Case 11: OpenSSL (node's crypto) decodes x = 0 with the sign bit set, which RFC 8032
    // §5.1.3 step 4 refuses, and hashes the key as given, so the signature verifies there.
    // The kernel keeps the RFC's rule (one encoding per key: a key cannot be re-encoded into
    // a second identity), so only the kernel's verdict is the RFC's here.
    if (i !== 11) assert.equal(nodeVerify(sig, msg, pk), want, `case ${i}: node's crypto`);
  }
});

test("Ed25519: keys and R with a small-order part, all 8 x 8 combinations: the kernel, node's crypto and tweetnacl agree", () => {
  // A = [a]B + T_i and R = [r]B + T_j, S = r + k·a: the cofactorless equation [S]B = R + [k]A
  // holds exactly when T_j + [k]T_i is the identity, so some of these verify and most do not.
  let accepted = 0;
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) {
      const a = fromLe(bytes(40)) % L, r = fromLe(bytes(40)) % L, msg = bytes(int(64));
      const A = extEncode(extAdd(extMul(a, B_EXT), TORSION[i]));
      const R = extEncode(extAdd(extMul(r, B_EXT), TORSION[j]));
      const k = fromLe(crypto.createHash("sha512").update(R).update(A).update(msg).digest()) % L;
      const sig = Uint8Array.from([...R, ...le((r + k * a) % L)]);
      const ke = kernelVerify(sig, msg, A);
      const what = `T${i} in A, T${j} in R: sig ${Buffer.from(sig).toString("hex")} pk ${Buffer.from(A).toString("hex")} msg ${Buffer.from(msg).toString("hex")}`;
      assert.equal(ke, nodeVerify(sig, msg, A), `kernel and node disagree, ${what}`);
      assert.equal(ke, nacl.sign.detached.verify(msg, sig, A), `kernel and tweetnacl disagree, ${what}`);
      if (j === 0 && ((k * BigInt(i)) % 8n) === 0n) assert.equal(ke, true, `torsion cancels, ${what}`);
      if (ke) accepted++;
    }
  }
  assert.ok(accepted > 0 && accepted < 128, `some verify and most do not (${accepted} of 128)`);
});

test("Ed25519: verification's double-scalar multiplication [a](-A) + [b]B equals BigInt's for edge scalars on both sides", () => {
  const edges = [0n, 1n, 2n, L - 1n, L, 2n ** 252n - 1n, 2n ** 253n - 1n, 2n ** 255n - 1n];
  const keys: Ext[] = [extMul(fromLe(bytes(32)) % L, B_EXT), extAdd(extMul(fromLe(bytes(32)) % L, B_EXT), TORSION[3]), TORSION[5]];
  const A_AT = PK, K_AT = SIG, S_AT = SIG + 32;
  for (const key of keys) {
    const neg: Ext = [modP(-key[0]), key[1], key[2], modP(-key[3])];
    for (const a of [...edges, fromLe(bytes(32)) % L]) for (const b of [...edges, fromLe(bytes(32)) % L]) {
      put(A_AT, extEncode(key)); put(K_AT, le(a)); put(S_AT, le(b));
      assert.equal(wasm.doubleScalarMult(OUT, K_AT, A_AT, S_AT), 1);
      const want = extEncode(extAdd(extMul(a, neg), extMul(b, B_EXT)));
      assert.deepEqual(get(OUT, 32), Buffer.from(want), `a = ${a.toString(16)}, b = ${b.toString(16)}, A = ${Buffer.from(extEncode(key)).toString("hex")}`);
    }
  }
});
