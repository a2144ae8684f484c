// A module that exposes the kernel's module signature check (kernel/svc/modsig.ts) and its
// publisher table to Node, for tests/kernel/modsig.test.ts and tests/bench/modsig.ts: the
// test writes a module into the buffer, adds publisher keys, and asks for the verdict.
// It is no part of the kernel and has no host imports; `persia build` compiles it with the
// "modsig-test" target into build/wasm/tests/modsig.wasm.
import { modsigVerify } from "../../../kernel/svc/modsig";
import { publisherAdd, publishersReset } from "../../../kernel/svc/publishers";

export const BUF_SIZE: i32 = 2 << 20;      // bytes of module the test may place in the buffer
const BUF: usize = memory.data(BUF_SIZE, 16);
const ARG: usize = memory.data(512, 16);   // keys, hashes and domains the test passes
const WHY: usize = memory.data(512, 16);   // the last refusal's reason, ASCII
let whyLen = 0;

export function buf(): usize { return BUF; }
export function arg(): usize { return ARG; }
export function why(): usize { return WHY; }
export function whyLength(): i32 { return whyLen; }

/** The ModRead over the buffer (src is the module's size). */
function readBuf(src: i32, off: i32, dst: usize, len: i32): i32 {
  let n = min(len, src - off);
  if (n > 0) memory.copy(dst, BUF + <usize>off, <usize>n);
  return src;
}

export function reset(): void { publishersReset(); }
/** 1 if added, 0 if the table is full. */
export function addPublisher(key: usize, domain: usize, dl: i32): i32 { return publisherAdd(key, domain, dl) ? 1 : 0; }

/** 1 if the module of size bytes in the buffer passes; 0 and the reason in why() if not. */
export function verify(size: i32, hash: usize, domain: usize, dl: i32): i32 {
  let r = modsigVerify(readBuf, size, size, hash, domain, dl);
  if (r === null) { whyLen = 0; return 1; }
  let s = r as string;
  whyLen = min(s.length, 512);
  for (let i = 0; i < whyLen; i++) store<u8>(WHY + <usize>i, <u8>s.charCodeAt(i));
  return 0;
}

/** Verify count times (the bench); how many passed. */
export function verifyMany(size: i32, hash: usize, domain: usize, dl: i32, count: i32): i32 {
  let ok = 0;
  for (let i = 0; i < count; i++) if (modsigVerify(readBuf, size, size, hash, domain, dl) === null) ok++;
  return ok;
}
