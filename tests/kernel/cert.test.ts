// kernel/cert against loader/cert (Node's crypto, rules written again from spec/wire.md),
// through build/wasm/tests/cert.wasm (tests/kernel/cert/entry.ts, built by `persia build`):
// a certificate the kernel issues is byte for byte the one loader/cert signs from the same
// seed, fields and time, inside an upstream NODE_CERT too, and its chain verifies there;
// chains loader/cert makes verify in the kernel, and every change to them — a bit flipped,
// a field changed and signed again — is accepted or refused alike, at the same certificate;
// `persia cert issue`'s certificates verify in the kernel. Everything random comes from one
// seeded generator (CERT_SEED=<seed> repeats a run). Prints, without asserting, the time
// to issue a certificate and to verify chains of 1 and 3.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { seeded } from "../seeded";
import { ROOT } from "../../hosts/node/paths";
import { Role } from "../../abi/kernel";
import * as M from "../../abi/manifest";
import { CERT_BYTES, CERT_ISSUER } from "../../wire/layout/cert";
import { CERT_LIFETIME_S } from "../../abi/limits";
import { CertFields, decodeCert, publicKeyOfSeed, signCert } from "../../loader/cert/cert";
import { chainProblem, Trusted } from "../../loader/cert/chain";
import { readCertFile } from "../../loader/cert/files";
import { maskPrefix, parsePrefix } from "../../loader/ip6";
import { publicKeyText } from "../../loader/control/message";
import { certIssue } from "../../cli/cert";

const ROUNDS = 60;
const { int, bytes } = seeded("cert", "CERT_SEED");

interface CertWasm {
  memory: WebAssembly.Memory;
  buf(): number;
  reset(role: number, unixMs: bigint): void;
  recNodeKey(p: number): number;
  recTrust(p: number): number;
  recNodeCert(p: number): number;
  connect(p: number, len: number): number;
  issueHost(a: number, key: number): number;
  chainFor(a: number, out: number, max: number): number;
  verify(chain: number, n: number, a: number): number;
  verifyMany(chain: number, n: number, a: number, count: number): number;
  issueMany(a: number, key: number, count: number): number;
}
let lastLog = "";
const wasm = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(path.join(ROOT, "build/wasm/tests/cert.wasm"))), {
  env: { abort: () => { throw new Error("abort in cert.wasm"); } },
  persia_host: { log: (_level: number, p: number, n: number) => { lastLog = Buffer.from(new Uint8Array(wasm.memory.buffer, p, n)).toString(); } },
}).exports as unknown as CertWasm;
const BUF = wasm.buf();
const A = BUF, KEY = BUF + 64, REC = BUF + 128, CH = BUF + 1024, OUT = BUF + 4096;

function put(at: number, b: Uint8Array): void { new Uint8Array(wasm.memory.buffer, at, b.length).set(b); }
function get(at: number, n: number): Uint8Array { return new Uint8Array(wasm.memory.buffer, at, n).slice(); }
const concat = (list: Uint8Array[]) => Uint8Array.from(list.flatMap((b) => [...b]));

/** A node at Unix time t (s): its key from seed, a router unless told. */
function node(seed: Uint8Array, t: bigint, role = Role.ROUTER): void {
  wasm.reset(role, t * 1000n);
  put(REC, seed);
  assert.equal(wasm.recNodeKey(REC), 0, lastLog);
}

function trust(key: Uint8Array, prefix: Uint8Array, len: number): void {
  const r = new Uint8Array(M.TR_SIZE);
  r.set(key, M.TR_KEY); r.set(prefix, M.TR_PREFIX); r[M.TR_LEN] = len;
  put(REC, r);
  assert.equal(wasm.recTrust(REC), 0, lastLog);
}

/** The kernel's verdict on chain for addr: null (accepted) or the certificate it blames
 *  (its index; -1 for the chain as a whole). */
function kernelVerdict(chain: Uint8Array[], addr: Uint8Array): number | null {
  put(CH, concat(chain));
  put(A, addr);
  if (wasm.verify(CH, chain.length, A) === 0) return null;
  const m = /certificate (\d+) of/.exec(lastLog);
  return m ? Number(m[1]) - 1 : -1;
}

const rand64 = (): Uint8Array => maskPrefix(Uint8Array.from([0xfd, 0, ...bytes(14)]), 64);
const randAddr = (p: Uint8Array): Uint8Array => Uint8Array.from([...p.subarray(0, 8), ...bytes(8)]);
const randTime = (): bigint => 1_700_000_000n + BigInt(int(300_000_000));

test(`the kernel issues a host's certificate as loader/cert signs it from the same seed (${ROUNDS} seeds), and it verifies there`, () => {
  for (let i = 0; i < ROUNDS; i++) {
    const seed = bytes(32), nodePk = publicKeyOfSeed(seed), t = randTime();
    node(seed, t);
    const prefix = rand64(), addr = randAddr(prefix), holder = publicKeyOfSeed(bytes(32));
    put(A, prefix);
    assert.ok(wasm.connect(A, 64) >= 0);
    put(A, addr); put(KEY, holder);
    assert.ok(wasm.issueHost(A, KEY) >= 0, `round ${i}: ${lastLog}`);
    assert.equal(wasm.chainFor(A, OUT, 4), 1);
    const issued = get(OUT, CERT_BYTES);
    const want = signCert({ flags: 0, len: 128, notBefore: t - 60n, notAfter: t + BigInt(CERT_LIFETIME_S), prefix: addr, holder,
      issuer: nodePk }, seed);
    assert.deepEqual(issued, want, `round ${i}`);
    assert.equal(chainProblem([issued], addr, [{ key: nodePk, prefix: { addr: prefix, len: 64 } }], t), null);
    assert.equal(kernelVerdict([issued], addr), null, "the node's own key for its connected prefix");
  }
});

test("inside an upstream NODE_CERT the kernel's certificate keeps to its validity, and the chain verifies both ways", () => {
  for (let i = 0; i < ROUNDS; i++) {
    const seed = bytes(32), nodePk = publicKeyOfSeed(seed), rootSeed = bytes(32), rootPk = publicKeyOfSeed(rootSeed);
    const t = randTime(), prefix = rand64(), addr = randAddr(prefix), holder = publicKeyOfSeed(bytes(32));
    const up: CertFields = { flags: CERT_ISSUER, len: 48, notBefore: t - BigInt(1 + int(1_000_000)),
      notAfter: t + BigInt(1 + int(200_000)), prefix: maskPrefix(prefix, 48), holder: nodePk, issuer: rootPk };
    const upCert = signCert(up, rootSeed);
    node(seed, t);
    put(REC, upCert);
    assert.equal(wasm.recNodeCert(REC), 0, lastLog);
    trust(rootPk, maskPrefix(prefix, 16), 16);
    put(A, addr); put(KEY, holder);
    assert.ok(wasm.issueHost(A, KEY) >= 0, lastLog);
    assert.equal(wasm.chainFor(A, OUT, 4), 2);
    const chain = [get(OUT, CERT_BYTES), get(OUT + CERT_BYTES, CERT_BYTES)];
    assert.deepEqual(chain[1], upCert);
    const nb = t - 60n > up.notBefore ? t - 60n : up.notBefore;
    const naFull = t + BigInt(CERT_LIFETIME_S);
    const na = naFull < up.notAfter ? naFull : up.notAfter;
    assert.deepEqual(chain[0], signCert({ flags: 0, len: 128, notBefore: nb, notAfter: na, prefix: addr, holder, issuer: nodePk }, seed));
    const trusted: Trusted[] = [{ key: rootPk, prefix: { addr: maskPrefix(prefix, 16), len: 16 } }];
    assert.equal(chainProblem(chain, addr, trusted, t), null, `round ${i}`);
    assert.equal(kernelVerdict(chain, addr), null, lastLog);
  }
});

interface Made { chain: Uint8Array[]; fields: CertFields[]; seeds: Uint8Array[]; addr: Uint8Array; t: bigint; trusted: Trusted[] }

/** A good chain of n from loader/cert: key k + 1 certifies key k's prefix (key 0 the leaf's
 *  holder), each prefix and validity inside the next. */
function madeChain(n: number): Made {
  const t = randTime();
  const seeds = Array.from({ length: n + 1 }, () => bytes(32));
  const pks = seeds.map(publicKeyOfSeed);
  const addr = Uint8Array.from([0xfd, ...bytes(15)]);
  const lens = [128, 48 + int(80), 24 + int(24), 8 + int(16)].slice(0, n).sort((a, b) => b - a);
  const fields: CertFields[] = [];
  let nb = t - BigInt(int(1000)), na = t + 1n + BigInt(int(1000));
  for (let i = 0; i < n; i++) {
    fields.push({ flags: i === 0 ? int(2) * CERT_ISSUER : CERT_ISSUER, len: lens[i], notBefore: nb, notAfter: na,
      prefix: maskPrefix(addr, lens[i]), holder: pks[i], issuer: pks[i + 1] });
    nb -= BigInt(int(1000)); na += BigInt(int(1000));
  }
  const chain = fields.map((f, i) => signCert(f, seeds[i + 1]));
  return { chain, fields, seeds, addr, t, trusted: [{ key: pks[n], prefix: { addr: maskPrefix(addr, 8), len: 8 } }] };
}

/** The kernel and loader/cert agree on m's chain (both accept, or both blame one certificate). */
function agree(m: Made, chain: Uint8Array[], what: string): boolean {
  const ts = chainProblem(chain, m.addr, m.trusted, m.t);
  const k = kernelVerdict(chain, m.addr);
  assert.equal(k, ts === null ? null : ts.index ?? -1, `${what}: loader/cert says ${ts === null ? "good" : `#${ts.index}: ${ts.why}`}; the kernel: ${lastLog}`);
  return ts === null;
}

test(`chains of 1 to 4 that loader/cert makes verify in the kernel, and each change is judged alike (${ROUNDS * 4} chains)`, () => {
  let changed = 0, stillGood = 0;
  for (let i = 0; i < ROUNDS * 4; i++) {
    const m = madeChain(1 + (i % 4));
    wasm.reset(Role.ROUTER, m.t * 1000n);
    trust(m.trusted[0].key, m.trusted[0].prefix.addr, m.trusted[0].prefix.len);
    assert.ok(agree(m, m.chain, `chain ${i}`));
    // A bit flipped anywhere.
    const bit = int(m.chain.length * CERT_BYTES * 8);
    const flipped = m.chain.map((c) => c.slice());
    flipped[Math.floor(bit / (CERT_BYTES * 8))][(bit >> 3) % CERT_BYTES] ^= 1 << (bit & 7);
    assert.ok(!agree(m, flipped, `chain ${i}, bit ${bit} flipped`));
    // A field changed and signed again by its issuer.
    const j = int(m.chain.length);
    const f = { ...m.fields[j] };
    const kind = int(6);
    if (kind === 0) f.flags ^= CERT_ISSUER;
    else if (kind === 1) { f.len = int(129); f.prefix = maskPrefix(m.addr, f.len); }
    else if (kind === 2) f.notBefore += BigInt(int(3000) - 1500);
    else if (kind === 3) f.notAfter += BigInt(int(3000) - 1500);
    else if (kind === 4) { f.prefix = f.prefix.slice(); f.prefix[int(16)] ^= 1 << int(8); f.prefix = maskPrefix(f.prefix, f.len); }
    else f.holder = publicKeyOfSeed(bytes(32));
    if (f.notAfter <= f.notBefore) f.notAfter = f.notBefore + 1n;
    const resigned = m.chain.slice();
    resigned[j] = signCert(f, m.seeds[j + 1]);
    changed++;
    if (agree(m, resigned, `chain ${i}, certificate ${j}'s field ${kind} changed`)) stillGood++;
  }
  assert.ok(stillGood < changed, `some changes keep a chain good (${stillGood} of ${changed}), not all`);
});

test("the kernel verifies the certificates `persia cert issue` writes: a router's prefix, then its host's address", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persia-cert-"));
  const seedFile = (name: string, seed: Uint8Array) => {
    fs.writeFileSync(path.join(dir, name), `${Buffer.from(seed).toString("base64")}\n`, { mode: 0o600 });
    return path.join(dir, name);
  };
  const rootSeed = bytes(32), routerSeed = bytes(32), hostPk = publicKeyOfSeed(bytes(32));
  const t = BigInt(Math.floor(Date.now() / 1000));
  certIssue({ key: seedFile("root.key", rootSeed), prefix: "fd00:b::/64", holder: publicKeyText(publicKeyOfSeed(routerSeed)),
    issuer: true, days: 30, o: path.join(dir, "b.cert") });
  certIssue({ key: seedFile("b.key", routerSeed), prefix: "fd00:b::7", holder: publicKeyText(hostPk), issuer: false, days: 1,
    o: path.join(dir, "h.cert") });
  const chain = [...readCertFile(path.join(dir, "h.cert")), ...readCertFile(path.join(dir, "b.cert"))];
  const addr = parsePrefix("fd00:b::7/128").addr;
  wasm.reset(Role.SERVER, t * 1000n);
  trust(publicKeyOfSeed(rootSeed), parsePrefix("fd00::/16").addr, 16);
  assert.equal(kernelVerdict(chain, addr), null, lastLog);
  assert.equal(kernelVerdict(chain.slice(0, 1), addr), 0, "the host's alone: the router's key is not trusted");
  assert.equal(decodeCert(chain[0]).holder.join(), hostPk.join());
});

test("timings: issuing one certificate, verifying chains of 1 and 3 (printed, not asserted)", () => {
  const count = 20;
  const seed = bytes(32), t = randTime();
  node(seed, t);
  const prefix = rand64();
  put(A, prefix);
  wasm.connect(A, 64);
  put(A, randAddr(prefix)); put(KEY, publicKeyOfSeed(bytes(32)));
  let t0 = process.hrtime.bigint();
  assert.equal(wasm.issueMany(A, KEY, count), count);
  const issueMs = Number(process.hrtime.bigint() - t0) / 1e6 / count;
  const times: string[] = [];
  for (const n of [1, 3]) {
    const m = madeChain(n);
    wasm.reset(Role.ROUTER, m.t * 1000n);
    trust(m.trusted[0].key, m.trusted[0].prefix.addr, m.trusted[0].prefix.len);
    put(CH, concat(m.chain)); put(A, m.addr);
    t0 = process.hrtime.bigint();
    assert.equal(wasm.verifyMany(CH, n, A, count), count);
    times.push(`a chain of ${n} ${(Number(process.hrtime.bigint() - t0) / 1e6 / count).toFixed(2)} ms`);
  }
  console.log(`cert: issuing one certificate ${issueMs.toFixed(2)} ms; verifying ${times.join(", ")} (kernel code under Node, ${count} calls each)`);
});
