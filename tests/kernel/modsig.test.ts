// The kernel's module signature check (kernel/svc/modsig.ts, through build/wasm/tests/
// modsig.wasm: tests/kernel/svc/modsig_entry.ts) against the loader's independent one in
// TypeScript with Node's crypto (loader/modsig/verify.ts) and against wasmsign2 0.2.8, the
// tool-conventions' reference tool: modules signed either way pass both ways; every byte
// of a small signed module flipped is refused; seeded random modules and mutations of a
// signed one get the same verdict and reason from the kernel and the loader. Random
// inputs come from one seeded generator: MODSIG_SEED=<seed> repeats a run.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import nacl from "tweetnacl";
import { seeded } from "../seeded";
import { ROOT } from "../../hosts/node/paths";
import { modsigProblem, Publisher, sha256 } from "../../loader/modsig/verify";
import { signModule } from "../../loader/modsig/sign";
import { customSection, encodeSignatureData, leb, WASM_HEADER } from "../../loader/modsig/format";
import { wasmsign2, wasmsign2Skip } from "../wasmsign2";
import { fromWasmsign2Secret, toWasmsign2Public, toWasmsign2Secret } from "../../loader/modsig/keys";

interface Modsig {
  memory: WebAssembly.Memory;
  buf(): number; arg(): number; why(): number; whyLength(): number;
  reset(): void;
  addPublisher(key: number, domain: number, dl: number): number;
  verify(size: number, hash: number, domain: number, dl: number): number;
}
const wasm = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(path.join(ROOT, "build/wasm/tests/modsig.wasm"))),
  { env: { abort: () => { throw new Error("abort in modsig.wasm"); } } }).exports as unknown as Modsig;
const { int, bytes } = seeded("modsig", "MODSIG_SEED");
const ECHO = new Uint8Array(fs.readFileSync(path.join(ROOT, "build/wasm/services/echo.wasm")));

function put(at: number, b: Uint8Array): void { new Uint8Array(wasm.memory.buffer, at, b.length).set(b); }

/** The kernel's verdict on m: null or its reason. */
function kernel(m: Uint8Array, pubs: Publisher[], domain: string | null, hash?: Uint8Array): string | null {
  wasm.reset();
  const A = wasm.arg();
  for (const p of pubs) {
    const d = Buffer.from(p.domain);
    put(A, p.key); put(A + 32, d);
    assert.equal(wasm.addPublisher(A, A + 32, d.length), 1);
  }
  put(wasm.buf(), m);
  const d = Buffer.from(domain ?? "");
  put(A, hash ?? new Uint8Array(32)); put(A + 64, d);
  const ok = wasm.verify(m.length, hash ? A : 0, A + 64, domain === null ? -1 : d.length);
  return ok === 1 ? null : Buffer.from(new Uint8Array(wasm.memory.buffer, wasm.why(), wasm.whyLength())).toString("latin1");
}

/** Both verdicts, which must agree; returns the kernel's. */
function both(m: Uint8Array, pubs: Publisher[], domain: string | null, hash?: Uint8Array): string | null {
  const k = kernel(m, pubs, domain, hash), l = modsigProblem(m, pubs, domain, hash);
  assert.equal(k, l, `kernel and loader disagree on a module of ${m.length} bytes`);
  return k;
}

const seedA = bytes(32), seedB = bytes(32);
const keyA = nacl.sign.keyPair.fromSeed(seedA).publicKey, keyB = nacl.sign.keyPair.fromSeed(seedB).publicKey;
const sabz: Publisher[] = [{ key: keyA, domain: "sabz.city" }];

test("a module signed with persia's signer passes the kernel and the loader for its domain and every name under it", () => {
  const m = signModule(ECHO, seedA);
  assert.equal(both(m, sabz, "sabz.city"), null);
  assert.equal(both(m, sabz, "echo.sabz.city"), null);
  assert.equal(both(m, sabz, null), null, "a store module: any trusted publisher");
  assert.equal(both(m, sabz, "echo.sabz.city", sha256(m)), null, "named by its SHA-256");
  assert.match(both(m, sabz, "xsabz.city")!, /no publisher key/);
  assert.match(both(m, sabz, "echo.sabz.city", sha256(ECHO))!, /SHA-256 is not the one it is named by/);
  assert.match(both(m, [{ key: keyB, domain: "sabz.city" }], "echo.sabz.city")!, /no signature on it verifies/);
  assert.match(both(ECHO, sabz, "echo.sabz.city")!, /it is not signed/);
  const twice = signModule(m, seedB);
  assert.equal(both(twice, [{ key: keyB, domain: "city" }], "echo.sabz.city"), null, "a second signature joins the first");
  assert.equal(both(twice, sabz, "echo.sabz.city"), null);
});

test("every byte of a small signed module xor 0x01, 0x80 and 0xff: each one refused by the kernel, and by the loader", () => {
  const m = signModule(ECHO, seedA);
  let refused = 0;
  for (const x of [0x01, 0x80, 0xff]) {
    for (let i = 0; i < m.length; i++) {
      const f = m.slice();
      f[i] ^= x;
      const why = both(f, sabz, "echo.sabz.city", i % 7 === 0 ? sha256(f) : undefined);
      assert.notEqual(why, null, `byte ${i} xor ${x} passed`);
      refused++;
    }
  }
  console.log(`modsig: ${refused} flipped modules of ${m.length} bytes, all refused`);
});

test("every bit of a tiny signed module flipped: each one refused", () => {
  const tiny = Uint8Array.of(...WASM_HEADER, 1, 4, 1, 0x60, 0, 0);     // one type: () -> ()
  const m = signModule(tiny, seedA);
  for (let i = 0; i < m.length * 8; i++) {
    const f = m.slice();
    f[i >> 3] ^= 1 << (i & 7);
    assert.notEqual(both(f, sabz, "sabz.city"), null, `bit ${i} passed`);
  }
});

/** A random module: header, random sections, sometimes a random or real signature. */
function randomModule(): Uint8Array {
  const secs: Uint8Array[] = [];
  for (let i = int(4); i > 0; i--) { const b = bytes(int(40)); secs.push(Uint8Array.of(1 + int(11), ...leb(b.length), ...b)); }
  const rest = new Uint8Array(Buffer.concat(secs));
  const m = new Uint8Array(Buffer.concat([WASM_HEADER, rest]));
  switch (int(4)) {
    case 0: return m;
    case 1: return signModule(m, int(2) ? seedA : seedB);
    case 2: {
      const sets = Array.from({ length: 1 + int(2) }, () => ({
        hashes: Array.from({ length: 1 + int(3) }, () => (int(3) ? bytes(32) : sha256(rest))),
        signatures: Array.from({ length: int(3) }, () => ({ keyId: bytes(int(3)), alg: int(3), sig: bytes(int(2) ? 64 : int(70)) })),
      }));
      return new Uint8Array(Buffer.concat([WASM_HEADER, customSection("signature", encodeSignatureData(sets)), rest]));
    }
    default: return new Uint8Array(Buffer.concat([WASM_HEADER, customSection("signature", bytes(int(60))), rest]));
  }
}

test("seeded random modules, and random mutations of signed ones: the kernel and the loader agree on each, verdict and reason", () => {
  const pubs: Publisher[] = [...sabz, { key: keyB, domain: "kv.sabz.city" }];
  const reasons = new Map<string, number>();
  const count = (r: string | null) => reasons.set(r ?? "passes", (reasons.get(r ?? "passes") ?? 0) + 1);
  for (let i = 0; i < 600; i++) count(both(randomModule(), pubs, int(2) ? "echo.sabz.city" : "kv.sabz.city"));
  const signed = signModule(ECHO, seedB);
  for (let i = 0; i < 600; i++) {
    const f = signed.slice(0, int(8) ? signed.length : int(signed.length));
    for (let k = 1 + int(3); k > 0; k--) f[int(Math.min(f.length, 200))] = int(256);
    count(both(f, pubs, "kv.sabz.city"));
  }
  console.log("modsig: verdicts", Object.fromEntries(reasons));
  assert.ok(reasons.size >= 6, "the random inputs reach most of the checks");
});

test("interop: a module signed by wasmsign2 passes the kernel and the loader; one signed by persia passes wasmsign2 verify", { skip: wasmsign2Skip() }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "modsig-"));
  try {
    const at = (f: string) => path.join(dir, f);
    fs.writeFileSync(at("echo.wasm"), ECHO);
    fs.writeFileSync(at("sk"), toWasmsign2Secret(seedA));
    fs.writeFileSync(at("pk"), toWasmsign2Public(keyA));
    let r = wasmsign2("sign", "-i", at("echo.wasm"), "-o", at("ws.wasm"), "-k", at("sk"));
    assert.equal(r.status, 0, r.out);
    const ws = new Uint8Array(fs.readFileSync(at("ws.wasm")));
    assert.equal(both(ws, sabz, "echo.sabz.city", sha256(ws)), null, "wasmsign2's module passes");
    assert.deepEqual(ws, signModule(ECHO, seedA), "persia sign writes the very bytes wasmsign2 writes");
    r = wasmsign2("sign", "-i", at("echo.wasm"), "-o", at("wsk.wasm"), "-k", at("sk"), "-K", at("pk"));
    assert.equal(r.status, 0, r.out);
    assert.equal(both(new Uint8Array(fs.readFileSync(at("wsk.wasm"))), sabz, "echo.sabz.city"), null, "with a key id too");
    fs.writeFileSync(at("ps.wasm"), signModule(ECHO, seedA));
    r = wasmsign2("verify", "-i", at("ps.wasm"), "-K", at("pk"));
    assert.equal(r.status, 0, r.out);
    const flipped = signModule(ECHO, seedA); flipped[flipped.length - 3] ^= 1;
    fs.writeFileSync(at("bad.wasm"), flipped);
    assert.notEqual(wasmsign2("verify", "-i", at("bad.wasm"), "-K", at("pk")).status, 0, "wasmsign2 refuses a flipped one too");
    const { publicKey } = nacl.sign.keyPair.fromSeed(fromWasmsign2Secret(new Uint8Array(fs.readFileSync(at("sk")))));
    assert.deepEqual(publicKey, keyA, "a wasmsign2 secret key file reads back as the seed");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a module signed with a signature delimiter and cut there is refused by the kernel and the loader (wasmsign2 verify takes it)", { skip: wasmsign2Skip() }, () => {
  // wasmsign2 split puts a delimiter before a section; sign then signs the digests of the
  // module up to each delimiter and of the whole. Cut at the delimiter, the rest is a valid
  // module whose digest is one of the signed ones: only the last digest covers the module.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "modsig-cut-"));
  try {
    const at = (f: string) => path.join(dir, f);
    // Split twice: wasmsign2 then puts a delimiter after the code, after "meta" and after
    // "more", and signs the three digests.
    fs.writeFileSync(at("in.wasm"), Buffer.concat([ECHO, customSection("meta", Buffer.from("x"))]));
    fs.writeFileSync(at("sk"), toWasmsign2Secret(seedA));
    fs.writeFileSync(at("pk"), toWasmsign2Public(keyA));
    let r = wasmsign2("split", "-i", at("in.wasm"), "-o", at("split1.wasm"), "-s", "meta");
    assert.equal(r.status, 0, r.out);
    fs.writeFileSync(at("in2.wasm"), Buffer.concat([fs.readFileSync(at("split1.wasm")), customSection("more", Buffer.from("y"))]));
    r = wasmsign2("split", "-i", at("in2.wasm"), "-o", at("split.wasm"), "-s", "more");
    assert.equal(r.status, 0, r.out);
    r = wasmsign2("sign", "-i", at("split.wasm"), "-o", at("signed.wasm"), "-k", at("sk"));
    assert.equal(r.status, 0, r.out);
    const signed = new Uint8Array(fs.readFileSync(at("signed.wasm")));
    assert.equal(both(signed, sabz, "echo.sabz.city"), null, "the whole module passes");
    // Every cut at a section boundary past the signature section.
    let cuts = 0;
    for (let p = 8, first = true; p < signed.length; first = false) {
      p++;
      let n = 0, shift = 0, b: number;
      do { b = signed[p++]; n |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80);
      p += n;
      if (first || p >= signed.length) continue;
      const cut = signed.subarray(0, p);
      assert.notEqual(both(cut, sabz, "echo.sabz.city"), null, `cut at byte ${p} of ${signed.length} passed`);
      cuts++;
    }
    assert.ok(cuts >= 3, `${cuts} cuts tried`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
