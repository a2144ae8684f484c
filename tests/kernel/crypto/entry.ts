// A module that exposes kernel/crypto to Node, for tests/kernel/crypto.test.ts: thin
// exported wrappers around SHA-512, Ed25519 verification and the key check and one buffer the test
// fills with its bytes. It is no part of the kernel and has no host imports; `persia
// build` compiles it with the "crypto-test" target into build/wasm/tests/crypto.wasm.
import { sha512Init, sha512Update, sha512Final, sha512 } from "../../../kernel/crypto/sha512";
import { ed25519Verify, ed25519KeyUsable } from "../../../kernel/crypto/ed25519";

export const BUF_SIZE: i32 = 1 << 16;      // bytes the test may place in the buffer
const BUF: usize = memory.data(BUF_SIZE, 16);

/** Where the buffer starts in this module's memory. */
export function buf(): usize { return BUF; }

export function hash(p: usize, n: i32, out: usize): void { sha512(p, n, out); }
export function hashInit(): void { sha512Init(); }
export function hashUpdate(p: usize, n: i32): void { sha512Update(p, n); }
export function hashFinal(out: usize): void { sha512Final(out); }

/** 1 if the signature verifies, 0 if not. */
export function verify(sig: usize, msg: usize, n: i32, pk: usize): i32 {
  return ed25519Verify(sig, msg, n, pk) ? 1 : 0;
}

/** 1 if the key decodes and is not of small order, 0 if not. */
export function keyUsable(pk: usize): i32 {
  return ed25519KeyUsable(pk) ? 1 : 0;
}

/** Verify the same signature count times, for timing; returns how many verified. */
export function verifyMany(sig: usize, msg: usize, n: i32, pk: usize, count: i32): i32 {
  let ok = 0;
  for (let i = 0; i < count; i++) if (ed25519Verify(sig, msg, n, pk)) ok++;
  return ok;
}
