// The primitives under the tests' WireGuard peer, against published answers and Node's
// own implementations: BLAKE2s (blake2s.ts) unkeyed against Node's 'blake2s256' and keyed
// against the BLAKE2 reference's known answers (blake2s-kat.txt: key 00..1f, input
// 00..n−1; the same values as Python's hashlib.blake2s); HMAC-BLAKE2s through Node
// against one built from blake2s.ts; HChaCha20 and XChaCha20-Poly1305 (aead.ts) against
// draft-irtf-cfrg-xchacha-03; TAI64N and the replay window against wireguard-go's rules.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { createHash, randomBytes } from "crypto";
import { blake2s } from "./blake2s";
import { hchacha20, xseal, xopen, seal, open } from "./aead";
import { hmac, kdf, tai64n, after, INITIAL_CHAIN, INITIAL_HASH } from "./noise";
import { ReplayWindow, WINDOW } from "./replay";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const seq = (n: number, from = 0) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

test("BLAKE2s without a key equals Node's blake2s256 at every length around the block size", () => {
  for (const n of [0, 1, 3, 55, 63, 64, 65, 127, 128, 129, 1000]) {
    const m = randomBytes(n);
    assert.equal(hex(blake2s(m)), createHash("blake2s256").update(m).digest("hex"), `length ${n}`);
  }
  assert.equal(hex(blake2s([seq(10), seq(90, 10)])), hex(blake2s(seq(100))), "parts hash as their concatenation");
});

test("keyed BLAKE2s gives the reference known answers (key 00..1f, input 00..n-1)", () => {
  const kat: [number, string][] = [
    [0, "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49"],
    [1, "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1"],
    [2, "6bb71300644cd3991b26ccd4d274acd1adeab8b1d7914546c1198bbe9fc9d803"],
    [63, "c65382513f07460da39833cb666c5ed82e61b9e998f4b0c4287cee56c3cc9bcd"],
    [64, "8975b0577fd35566d750b362b0897a26c399136df07bababbde6203ff2954ed4"],
    [65, "21fe0ceb0052be7fb0f004187cacd7de67fa6eb0938d927677f2398c132317a8"],
    [255, "3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd"],
  ];
  for (const [n, want] of kat) assert.equal(hex(blake2s(seq(n), 32, seq(32))), want, `input of ${n} bytes`);
  // WireGuard's MAC: a 16-byte digest, which is a different hash, not a truncation.
  assert.equal(hex(blake2s(seq(100), 16, seq(32))), "0b67d33f8b859c3157fbabd9e6e47ed0");
  assert.equal(hex(blake2s(seq(60), 16, seq(16))), "da0a38612447a7e4984ab1b31a51b962");
  assert.throws(() => blake2s(seq(1), 33), RangeError);
  assert.throws(() => blake2s(seq(1), 16, seq(33)), RangeError);
});

test("HMAC-BLAKE2s through Node equals RFC 2104 built on blake2s.ts, and KDF chains it", () => {
  const key = randomBytes(32), msg = randomBytes(77);
  const pad = (b: number) => { const p = new Uint8Array(64).fill(b); key.forEach((x, i) => (p[i] ^= x)); return p; };
  const inner = blake2s([pad(0x36), msg]);
  assert.equal(hex(hmac(key, msg)), hex(blake2s([pad(0x5c), inner])));
  const [t1, t2, t3] = kdf(3, key, msg);
  const prk = hmac(key, msg);
  assert.equal(hex(t1), hex(hmac(prk, Uint8Array.of(1))));
  assert.equal(hex(t2), hex(hmac(prk, t1, Uint8Array.of(2))));
  assert.equal(hex(t3), hex(hmac(prk, t2, Uint8Array.of(3))));
  assert.equal(hex(kdf(1, key, msg)[0]), hex(t1));
});

test("the handshake's initial chaining key and hash are WireGuard's", () => {
  // HASH("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"), and HASH(that ‖ "WireGuard v1 zx2c4 Jason@zx2c4.com").
  assert.equal(hex(INITIAL_CHAIN), createHash("blake2s256").update("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s").digest("hex"));
  assert.equal(hex(INITIAL_CHAIN), "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");
  assert.equal(hex(INITIAL_HASH), "2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3");
});

test("HChaCha20 and XChaCha20-Poly1305 give draft-irtf-cfrg-xchacha-03's vectors (§2.2.1, §A.3.1)", () => {
  const nonce16 = unhex("000000090000004a0000000031415927");
  assert.equal(hex(hchacha20(seq(32), nonce16)), "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc");
  const plain = new TextEncoder().encode("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
  const key = seq(32, 0x80), nonce = seq(24, 0x40), ad = unhex("50515253c0c1c2c3c4c5c6c7");
  const sealed = xseal(key, nonce, plain, ad);
  assert.equal(hex(sealed), "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb" +
    "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452" +
    "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9" +
    "21f9664c97637da9768812f615c68b13b52e" + "c0875924c1c7987947deafd8780acf49");
  assert.deepEqual(xopen(key, nonce, sealed, ad), plain);
  for (const at of [0, plain.length, sealed.length - 1]) {
    const bad = Uint8Array.from(sealed); bad[at] ^= 1;
    assert.equal(xopen(key, nonce, bad, ad), null, `a bit flipped at ${at}`);
  }
  assert.equal(xopen(key, nonce, sealed, seq(12)), null, "other associated data");
});

test("ChaCha20-Poly1305 with WireGuard's nonce (0000 0000 ‖ counter LE) gives RFC 8439 §A.5's answer", () => {
  // §A.5's nonce 00000000 0102030405060708 is WireGuard's nonce for counter 0x0807060504030201.
  const key = unhex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
  const ad = unhex("f33388860000000000004e91");
  const sealed = unhex(`64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2
    4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855
    9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e
    af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10
    49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29a6ad5cb4022b02709b eead9d67890cbb22392336fea1851f38`);
  const counter = 0x0807060504030201n;
  const plain = open(key, counter, sealed, ad);
  assert.ok(plain !== null, "the RFC's message opens");
  const text = new TextDecoder().decode(plain);
  assert.ok(text.startsWith("Internet-Drafts are draft documents") && text.endsWith("/\u201cwork in progress./\u201d"), text);
  assert.equal(hex(seal(key, counter, plain, ad)), hex(sealed));
  assert.equal(open(key, counter + 1n, sealed, ad), null, "another counter");
  assert.equal(open(key, counter, sealed.subarray(0, 15), ad), null, "shorter than a tag");
});

test("TAI64N is 2^62 + 10 + Unix seconds, then nanoseconds with the low 24 bits cleared", () => {
  const t = tai64n(1_700_000_000_123_456_789n);
  assert.equal(hex(t), "400000006553f10a" + (123_456_789 & ~0xffffff).toString(16).padStart(8, "0"));
  assert.ok(after(tai64n(2_000_000_000n), tai64n(1_000_000_000n)));
  assert.ok(!after(tai64n(1_000_000_001n), tai64n(1_000_000_000n)), "within 16 ms: the same timestamp");
});

test("the replay window takes each counter once, out of order within 8,128 behind the highest, none at the limit", () => {
  const w = new ReplayWindow();
  assert.equal(WINDOW, 8128n);
  assert.ok(w.accept(0n));
  assert.ok(!w.accept(0n), "0 twice");
  assert.ok(w.accept(10_000n));
  assert.ok(w.accept(10_000n - WINDOW), "the oldest counter still in the window");
  assert.ok(!w.accept(10_000n - WINDOW - 1n), "one behind the window");
  assert.ok(w.accept(9_999n) && !w.accept(9_999n), "an earlier one, once");
  assert.ok(w.accept(10_000n + 64n * 200n), "a jump past the whole ring clears it");
  assert.ok(w.accept(10_000n + 64n * 200n - 1n));
  assert.ok(!w.accept(100n, 100n), "a counter at the limit");
});
