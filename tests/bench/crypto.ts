// What WireGuard's crypto costs in the kernel's own code (kernel/crypto, compiled into
// build/wasm/tests/crypto.wasm), each figure next to node's native OpenSSL measured in the
// same run so the ratio means something on any machine:
//   aead      ChaCha20-Poly1305 at 1,420-byte packets (a WireGuard MTU): seal alone, and
//             seal then open, in Gbit/s of packet payload, under Node and in the wasmtime CLI
//             (`wasmtime run --invoke`, two counts differenced to remove start-up and compile)
//   x25519    one Diffie-Hellman, and a handshake side's five (ephemeral key, es, ss, ee, se),
//             against tweetnacl (pure JavaScript) and node's diffieHellman
//   ed25519   one signature of a certificate's signed bytes (issue #15), against tweetnacl's
//             sign.detached and node's crypto.sign; and one verification of it (issue #17's
//             goal: the kernel within 3× of OpenSSL's time), against tweetnacl's
//             sign.detached.verify and node's crypto.verify (OpenSSL)
//   answer    sealing one control answer (issue #14): the ed25519 → X25519 map, a fresh
//             ephemeral key, X25519, HPKE's key schedule, ChaCha20-Poly1305 and the node's
//             ed25519 signature, against node's crypto doing the same steps natively
// Best of RUNS each. Prints figures; asserts nothing (benchmarks are not tests).
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import nacl from "tweetnacl";
import { ROOT } from "../../hosts/node/paths";
import { findWasmtime } from "../e2e/wasmtime";
import { CERT_SIG } from "../../wire/layout/cert";
import { goal } from "./goals";

const PACKET = 1420;                       // bytes of payload per packet
const PACKETS = 50_000;                    // packets per timed run
const DHS = 300;                           // X25519 operations per timed run
const SIGNS = 200;                         // Ed25519 signatures per timed run
const VERIFIES = 500;                      // Ed25519 verifications per timed run
const RUNS = 3;
const WASM = path.join(ROOT, "build/wasm/tests/crypto.wasm");

interface Bench {
  sealMany(count: number, n: number): number;
  sealOpenMany(count: number, n: number): number;
  dhMany(count: number): number;
  memory: WebAssembly.Memory;
  buf(): number;
  publicKey(pk: number, seed: number): void;
  signMany(sig: number, msg: number, n: number, seed: number, pk: number, count: number): number;
  verifyMany(sig: number, msg: number, n: number, pk: number, count: number): number;
  answerSealMany(enc: number, ct: number, pkEd: number, skE: number, p: number, n: number, seed: number, pk: number, count: number): number;
}

/** The best (shortest) time of RUNS calls of f, in seconds. */
function best(f: () => void): number {
  let t = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    f();
    t = Math.min(t, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return t;
}

const gbits = (packets: number, s: number) => (packets * PACKET * 8) / s / 1e9;

function nodeAead(open: boolean): number {
  const key = crypto.randomBytes(32), nonce = Buffer.alloc(12), p = crypto.randomBytes(PACKET);
  return best(() => {
    for (let i = 0; i < PACKETS; i++) {
      nonce.writeUInt32LE(i, 4);
      const c = crypto.createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
      const ct = c.update(p); c.final();
      const tag = c.getAuthTag();
      if (!open) continue;
      const d = crypto.createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
      d.setAuthTag(tag);
      d.update(ct); d.final();
    }
  });
}

/** Seconds per call of `export` with count, in the wasmtime CLI: two counts, differenced. */
function wasmtimeSeconds(file: string, exp: string, count: number, args: string[]): number | string {
  const time = (n: number): number | string => {
    let t = Infinity;
    for (let i = 0; i < RUNS; i++) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(file, ["run", "--invoke", exp, WASM, String(n), ...args], { encoding: "utf8" });
      if (r.status !== 0) return `wasmtime run --invoke ${exp} failed (exit ${r.status}): ${r.stderr.slice(-300)}`;
      t = Math.min(t, Number(process.hrtime.bigint() - t0) / 1e9);
    }
    return t;
  };
  const a = time(count / 10), b = time(count);
  if (typeof a === "string") return a;
  if (typeof b === "string") return b;
  return (b - a) / (count - count / 10);
}

export async function cryptoBench(out: (line: string) => void): Promise<void> {
  const w = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(WASM)), {}).exports as unknown as Bench;
  const kSeal = best(() => w.sealMany(PACKETS, PACKET));
  const kBoth = best(() => { if (w.sealOpenMany(PACKETS, PACKET) !== PACKETS) throw new Error("a packet did not open"); });
  const nSeal = nodeAead(false), nBoth = nodeAead(true);
  const g = (s: number) => `${gbits(PACKETS, s).toFixed(2).padStart(6)} Gbit/s`;
  out(`WireGuard's crypto (${PACKET}-byte packets, best of ${RUNS}; the kernel's rate as a multiple of node's native`);
  out(`  OpenSSL's, which pays for a cipher object per packet as a per-packet caller must)`);
  out(`  seal         kernel under Node ${g(kSeal)}   node native ${g(nSeal)}   ${(nSeal / kSeal).toFixed(2)}× native`);
  out(`  seal + open  kernel under Node ${g(kBoth)}   node native ${g(nBoth)}   ${(nBoth / kBoth).toFixed(2)}× native`);
  const wt = findWasmtime();
  if (!("file" in wt)) out(`  wasmtime: not measured: ${wt.missing}`);
  else {
    for (const [name, exp, node] of [["seal", "sealMany", kSeal], ["seal + open", "sealOpenMany", kBoth]] as const) {
      const s = wasmtimeSeconds(wt.file, exp, PACKETS * 2, [String(PACKET)]);
      if (typeof s === "string") { out(`  wasmtime: ${s}`); break; }
      const rate = (PACKET * 8) / s / 1e9;
      out(`  ${name.padEnd(12)} kernel in wasmtime ${rate.toFixed(2).padStart(6)} Gbit/s   ${(rate / gbits(PACKETS, node)).toFixed(2)}× under Node`);
    }
  }
  const kDh = best(() => w.dhMany(DHS)) / DHS;
  const s = crypto.randomBytes(32), u = nacl.scalarMult.base(crypto.randomBytes(32));
  const tDh = best(() => { for (let i = 0; i < DHS / 10; i++) nacl.scalarMult(s, u); }) / (DHS / 10);
  const a = crypto.generateKeyPairSync("x25519"), b = crypto.generateKeyPairSync("x25519");
  const nDh = best(() => { for (let i = 0; i < DHS; i++) crypto.diffieHellman({ privateKey: a.privateKey, publicKey: b.publicKey }); }) / DHS;
  const ms = (x: number) => `${(x * 1e3).toFixed(3).padStart(7)} ms`;
  out(`  x25519       kernel ${ms(kDh)}   tweetnacl ${ms(tDh)}   node native ${ms(nDh)}   (${(tDh / kDh).toFixed(2)}× tweetnacl's rate, ${(nDh / kDh).toFixed(2)}× native)`);
  const wdh = "file" in wt ? wasmtimeSeconds(wt.file, "dhMany", DHS, []) : wt.missing;
  out(`               kernel in wasmtime ${typeof wdh === "number" ? ms(wdh) : `not measured: ${wdh}`}`);
  out(`  a handshake side (5 X25519): kernel ${ms(5 * kDh)}   node native ${ms(5 * nDh)}`);
  const [kSign, tSign, nSign] = signing(w);
  out(`  ed25519 sign kernel ${ms(kSign)}   tweetnacl ${ms(tSign)}   node native ${ms(nSign)}   (${(tSign / kSign).toFixed(2)}× tweetnacl's rate, ${(nSign / kSign).toFixed(2)}× native; ${CERT_SIG}-byte message)`);
  const [kVer, tVer, nVer] = verifying(w);
  goal("ed25519", `${(kVer / nVer).toFixed(2)}× (kernel ${ms(kVer)}, OpenSSL ${ms(nVer)})`, kVer / nVer <= 3);
  out(`  ed25519 verify kernel ${ms(kVer)}   tweetnacl ${ms(tVer)}   node native (OpenSSL) ${ms(nVer)}   kernel ${(kVer / nVer).toFixed(2)}× OpenSSL's time (goal ≤ 3), tweetnacl ${(tVer / nVer).toFixed(2)}×`);
  const [kAns, nAns] = sealing(w);
  out(`  seal + sign one control answer (${ANSWER} bytes): kernel ${ms(kAns)}   node native ${ms(nAns)}   (${(nAns / kAns).toFixed(2)}× native)`);
}

const ANSWER = 240;                        // bytes of a typical sealed part (text of a LOAD's answer)
const SEALS = 100;

/** Seconds to seal and sign one answer: the kernel's answerSealMany (crypto/entry.ts), and
 *  node's crypto doing the same: a fresh X25519 key pair, diffieHellman, HPKE's labeled
 *  HKDF steps with createHmac, ChaCha20-Poly1305 with createCipheriv, crypto.sign. */
function sealing(w: Bench): [number, number] {
  const seed = crypto.randomBytes(32), user = nacl.sign.keyPair.fromSeed(crypto.randomBytes(32));
  const PKED = w.buf(), SKE = PKED + 32, SEED = PKED + 64, PK = PKED + 96, ENC = PKED + 128, P = PKED + 256, CT = PKED + 2048;
  const mem = () => new Uint8Array(w.memory.buffer);
  mem().set(user.publicKey, PKED); mem().set(crypto.randomBytes(32), SKE); mem().set(seed, SEED);
  mem().set(crypto.randomBytes(ANSWER), P);
  w.publicKey(PK, SEED);
  const k = best(() => w.answerSealMany(ENC, CT, PKED, SKE, P, ANSWER, SEED, PK, SEALS)) / SEALS;
  const key = crypto.createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]), format: "der", type: "pkcs8" });
  const uRaw = Buffer.from(nacl.scalarMult.base(crypto.randomBytes(32)));   // node has no ed25519 → X25519 map: given
  const uR = crypto.createPublicKey({ key: Buffer.concat([Buffer.from("302a300506032b656e032100", "hex"), uRaw]), format: "der", type: "spki" });
  const suite = Buffer.from("48504b4500200001 0003".replace(/ /g, ""), "hex"), kem = Buffer.from("4b454d0020", "hex"), v1 = Buffer.from("HPKE-v1");
  const hmac = (k: Buffer, ...p: Buffer[]) => { const h = crypto.createHmac("sha256", k); for (const x of p) h.update(x); return h.digest(); };
  const extract = (salt: Buffer, sid: Buffer, label: string, ikm: Buffer) => hmac(salt, v1, sid, Buffer.from(label), ikm);
  const expand = (prk: Buffer, sid: Buffer, label: string, info: Buffer, L: number) => {
    const l = Buffer.from([L >> 8, L & 255]);
    return hmac(prk, l, v1, sid, Buffer.from(label), info, Buffer.from([1])).subarray(0, L);
  };
  const pt = crypto.randomBytes(ANSWER), empty = Buffer.alloc(0);
  const n = best(() => {
    for (let i = 0; i < SEALS; i++) {
      const sig = crypto.sign(null, pt, key);
      const e = crypto.generateKeyPairSync("x25519");
      const enc = e.publicKey.export({ format: "der", type: "spki" }).subarray(12);
      const dh = crypto.diffieHellman({ privateKey: e.privateKey, publicKey: uR });
      const shared = expand(extract(empty, kem, "eae_prk", dh), kem, "shared_secret", Buffer.concat([enc, uRaw]), 32);
      const ctx = Buffer.concat([Buffer.from([0]), extract(empty, suite, "psk_id_hash", empty), extract(empty, suite, "info_hash", empty)]);
      const secret = extract(shared, suite, "secret", empty);
      const c = crypto.createCipheriv("chacha20-poly1305", expand(secret, suite, "key", ctx, 32), expand(secret, suite, "base_nonce", ctx, 12), { authTagLength: 16 });
      c.update(pt); c.update(sig); c.final(); c.getAuthTag();
    }
  }) / SEALS;
  return [k, n];
}

/** Seconds per Ed25519 signature of a certificate's signed bytes: the kernel under Node,
 *  tweetnacl, node's crypto.sign (each with its key made once, outside the timing). */
function signing(w: Bench): [number, number, number] {
  const seed = crypto.randomBytes(32), msg = crypto.randomBytes(CERT_SIG);
  const SEED = w.buf(), PK = SEED + 32, SIG = SEED + 64, MSG = SEED + 128;
  new Uint8Array(w.memory.buffer, SEED, 32).set(seed);
  new Uint8Array(w.memory.buffer, MSG, msg.length).set(msg);
  w.publicKey(PK, SEED);
  const k = best(() => w.signMany(SIG, MSG, msg.length, SEED, PK, SIGNS)) / SIGNS;
  const secret = nacl.sign.keyPair.fromSeed(seed).secretKey;
  const t = best(() => { for (let i = 0; i < SIGNS / 10; i++) nacl.sign.detached(msg, secret); }) / (SIGNS / 10);
  const key = crypto.createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]), format: "der", type: "pkcs8" });
  const n = best(() => { for (let i = 0; i < SIGNS; i++) crypto.sign(null, msg, key); }) / SIGNS;
  return [k, t, n];
}

/** Seconds per Ed25519 verification of a certificate's signed bytes: the kernel under
 *  Node, tweetnacl, node's crypto.verify (OpenSSL), each of one valid signature. */
function verifying(w: Bench): [number, number, number] {
  const pair = nacl.sign.keyPair.fromSeed(crypto.randomBytes(32)), msg = crypto.randomBytes(CERT_SIG);
  const sig = nacl.sign.detached(msg, pair.secretKey);
  const SIG = w.buf(), PK = SIG + 64, MSG = SIG + 128;
  const mem = new Uint8Array(w.memory.buffer);
  mem.set(sig, SIG); mem.set(pair.publicKey, PK); mem.set(msg, MSG);
  const k = best(() => { if (w.verifyMany(SIG, MSG, msg.length, PK, VERIFIES) !== VERIFIES) throw new Error("the kernel refused a valid signature"); }) / VERIFIES;
  const t = best(() => { for (let i = 0; i < VERIFIES / 10; i++) if (!nacl.sign.detached.verify(msg, sig, pair.publicKey)) throw new Error("tweetnacl refused"); }) / (VERIFIES / 10);
  const key = crypto.createPublicKey({ key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), pair.publicKey]), format: "der", type: "spki" });
  const n = best(() => { for (let i = 0; i < VERIFIES; i++) if (!crypto.verify(null, msg, key, sig)) throw new Error("node refused"); }) / VERIFIES;
  return [k, t, n];
}

if (require.main === module) cryptoBench((l) => console.log(l)).catch((e) => { console.error(e); process.exit(1); });
